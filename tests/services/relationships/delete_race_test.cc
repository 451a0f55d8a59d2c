// A relationship's delete against what is added to it at the same moment:
// a child relationship or an escalation that commits while the delete runs
// either makes the delete refuse, or finds no relationship. Never both
// commit (an orphan pointing at a deleted relationship).
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/transact.h"
#include "services/relationships/relationships.h"
#include "storage/clock.h"
#include "storage/status_macros.h"
#include "storage/store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport::relationships {
namespace {

using ::rapport::testing::StatusIs;
using ::rapport::testing::TempDir;
using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1795000000);

// Open escalations as the test says. `during_check` runs inside the
// delete's transaction, just after the count it answers was taken: a write
// that lands between the delete's checks and its commit.
class ScriptedSignals final : public ExternalSignals {
 public:
  absl::StatusOr<std::optional<HealthInputs::Escalations>> OpenEscalations(
      absl::string_view, absl::Time) const override {
    if (unreadable) return absl::UnavailableError("escalation index unreadable");
    const int counted = open.load();
    if (during_check) {
      auto once = std::move(during_check);
      during_check = nullptr;
      once();
    }
    return HealthInputs::Escalations{counted, 3, absl::ZeroDuration()};
  }
  mutable std::function<void()> during_check;
  std::atomic<int> open{0};
  std::atomic<bool> unreadable{false};
};

class DeleteRaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StoreOptions options;
    options.data_dir = dir_.path();
    options.sync_writes = false;
    auto store = storage::Store::Open(options);
    ASSERT_OK(store.status());
    store_ = std::move(store).value();
    rel_ = std::make_unique<Relationships>(store_.get(), &clock_, &signals_);
    ASSERT_OK(CreateRelationship("acme", "").status());
  }

  absl::StatusOr<v1::Relationship> CreateRelationship(const std::string& id,
                                                      const std::string& parent) {
    v1::CreateRelationshipRequest request;
    request.set_relationship_id(id);
    request.mutable_relationship()->set_display_name(id);
    request.mutable_relationship()->set_kind(v1::Relationship::INTERNAL_BUSINESS_UNIT);
    request.mutable_relationship()->set_parent(parent);
    return Await<v1::Relationship>(
        [&](Callback<v1::Relationship> done) { rel_->CreateRelationship(request, done); });
  }

  absl::Status DeleteRelationship(const std::string& id) {
    v1::DeleteRelationshipRequest request;
    request.set_name("relationships/" + id);
    return Await<bool>([&](Callback<bool> done) { rel_->DeleteRelationship(request, done); })
        .status();
  }

  // What an escalation's write does with its relationship.
  absl::Status OpenEscalation(const std::string& relationship_id) {
    return store_->TransactSync([&](storage::Txn& txn) -> absl::Status {
      RETURN_IF_ERROR(rel_->AdmitEscalationInTxn(txn, "escalation.relationship", relationship_id));
      txn.batch().Put(storage::Cf::kIndex, "escalation-of-" + relationship_id, "");
      return absl::OkStatus();
    });
  }

  bool Exists(const std::string& id) {
    v1::GetRelationshipRequest request;
    request.set_name("relationships/" + id);
    return rel_->GetRelationship(request).ok();
  }

  TempDir dir_;
  FakeClock clock_{kT0};
  ScriptedSignals signals_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Relationships> rel_;
};

TEST_F(DeleteRaceTest, AnEscalationOpenedDuringTheDeleteMakesItRefuse) {
  signals_.during_check = [this] {
    ASSERT_OK(OpenEscalation("acme"));
    signals_.open = 1;  // What the escalation service now counts.
  };
  EXPECT_THAT(DeleteRelationship("acme"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("open escalations")));
  EXPECT_TRUE(Exists("acme"));
}

TEST_F(DeleteRaceTest, ADeleteThatCannotCountOpenEscalationsIsRefused) {
  signals_.unreadable = true;
  EXPECT_THAT(DeleteRelationship("acme"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("unreadable")));
  EXPECT_TRUE(Exists("acme"));
}

TEST_F(DeleteRaceTest, AnEscalationAfterTheDeleteFindsNoRelationship) {
  int runs = 0;
  const absl::Status status = store_->TransactSync([&](storage::Txn& txn) -> absl::Status {
    ++runs;
    RETURN_IF_ERROR(rel_->AdmitEscalationInTxn(txn, "escalation.relationship", "acme"));
    // The delete commits between the escalation's check and its commit.
    if (runs == 1) {
      EXPECT_OK(DeleteRelationship("acme"));
    }
    txn.batch().Put(storage::Cf::kIndex, "escalation-of-acme", "");
    return absl::OkStatus();
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound,
                               HasSubstr("escalation.relationship relationships/acme")));
  EXPECT_EQ(runs, 2);
  EXPECT_FALSE(store_->Get(storage::Cf::kIndex, "escalation-of-acme").value().has_value());
}

TEST_F(DeleteRaceTest, AChildCreatedDuringTheDeleteMakesItRefuse) {
  signals_.during_check = [this] { ASSERT_OK(CreateRelationship("payroll", "relationships/acme")); };
  EXPECT_THAT(DeleteRelationship("acme"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("child relationships")));
  EXPECT_TRUE(Exists("acme"));
  EXPECT_TRUE(Exists("payroll"));
}

TEST_F(DeleteRaceTest, AChildMovedUnderItDuringTheDeleteMakesItRefuse) {
  ASSERT_OK(CreateRelationship("payroll", "").status());
  signals_.during_check = [this] {
    v1::UpdateRelationshipRequest request;
    request.mutable_relationship()->set_name("relationships/payroll");
    request.mutable_relationship()->set_parent("relationships/acme");
    request.mutable_update_mask()->add_paths("parent");
    ASSERT_OK(Await<v1::Relationship>([&](Callback<v1::Relationship> done) {
                rel_->UpdateRelationship(request, done);
              }).status());
  };
  EXPECT_THAT(DeleteRelationship("acme"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("child relationships")));
  EXPECT_TRUE(Exists("acme"));
}

TEST_F(DeleteRaceTest, EscalationsOnTheSameRelationshipDoNotConflict) {
  // Their marks are additions: each commits at its first run.
  int runs = 0;
  ASSERT_OK(store_->TransactSync([&](storage::Txn& txn) -> absl::Status {
    ++runs;
    RETURN_IF_ERROR(rel_->AdmitEscalationInTxn(txn, "escalation.relationship", "acme"));
    if (runs == 1) {
      EXPECT_OK(OpenEscalation("acme"));
    }
    return absl::OkStatus();
  }));
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace rapport::relationships
