// request_id results: replay, refusal of another request under the same id,
// and records written before fingerprints.
#include "services/common/idempotency.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/v1/relationships.pb.h"
#include "storage/key_codec.h"
#include "storage/status_macros.h"
#include "storage/store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

using ::rapport::testing::StatusIs;
using ::testing::HasSubstr;

class IdempotencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StoreOptions options;
    options.data_dir = dir_.path();
    options.sync_writes = false;
    auto store = storage::Store::Open(options);
    ASSERT_OK(store.status());
    store_ = std::move(store).value();
  }

  static v1::CreateStakeholderRequest Request(const std::string& parent) {
    v1::CreateStakeholderRequest r;
    r.set_parent(parent);
    r.set_request_id("row-17");
    r.mutable_stakeholder()->set_display_name("Jane Doe");
    return r;
  }

  absl::Status Record(const v1::CreateStakeholderRequest& request, const v1::Stakeholder& result) {
    return store_->TransactSync([&](storage::Txn& txn) {
      RecordResult(txn, "CreateStakeholder", request.request_id(),
                   RequestFingerprint(request.request_id(), request), result);
      return absl::OkStatus();
    });
  }

  absl::StatusOr<bool> Find(const v1::CreateStakeholderRequest& request, v1::Stakeholder* out) {
    absl::StatusOr<bool> found = false;
    EXPECT_OK(store_->TransactSync([&](storage::Txn& txn) {
      found = FindPriorResult(txn, "CreateStakeholder", request.request_id(),
                              RequestFingerprint(request.request_id(), request), out);
      return absl::OkStatus();
    }));
    return found;
  }

  testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(IdempotencyTest, ARetryGetsTheFirstResultAndAnotherRequestIsRefused) {
  v1::Stakeholder first;
  first.set_name("relationships/acme/stakeholders/s1");
  ASSERT_OK(Record(Request("relationships/acme"), first));

  v1::Stakeholder out;
  ASSERT_OK_AND_ASSIGN(bool replay, Find(Request("relationships/acme"), &out));
  EXPECT_TRUE(replay);
  EXPECT_EQ(out.name(), first.name());

  // Another parent under the same id: not this result.
  EXPECT_THAT(Find(Request("relationships/globex"), &out),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("request_id \"row-17\" was already used by a different "
                                 "CreateStakeholder request")));
  // No request_id: never a replay.
  v1::CreateStakeholderRequest anonymous = Request("relationships/acme");
  anonymous.clear_request_id();
  ASSERT_OK_AND_ASSIGN(replay, Find(anonymous, &out));
  EXPECT_FALSE(replay);
}

TEST_F(IdempotencyTest, AResultStoredBeforeFingerprintsIsStillReplayed) {
  v1::Stakeholder first;
  first.set_name("relationships/acme/stakeholders/s1");
  storage::WriteBatch old;
  old.Put(storage::Cf::kIdempotency, storage::EncodeIdempotencyKey("CreateStakeholder", "row-17"),
          first.SerializeAsString());
  ASSERT_OK(store_->CommitSync(std::move(old)));
  v1::Stakeholder out;
  ASSERT_OK_AND_ASSIGN(bool replay, Find(Request("relationships/globex"), &out));
  EXPECT_TRUE(replay);
  EXPECT_EQ(out.name(), first.name());
}

TEST_F(IdempotencyTest, TheFingerprintDoesNotDependOnTheOrderOfMapEntries) {
  v1::CreateRelationshipRequest a, b;
  a.set_request_id("r");
  b.set_request_id("r");
  for (int i = 0; i < 20; ++i) (*a.mutable_relationship()->mutable_labels())[absl::StrCat("k", i)] = "v";
  for (int i = 19; i >= 0; --i) (*b.mutable_relationship()->mutable_labels())[absl::StrCat("k", i)] = "v";
  EXPECT_EQ(RequestFingerprint("r", a), RequestFingerprint("r", b));
  (*b.mutable_relationship()->mutable_labels())["k0"] = "w";
  EXPECT_NE(RequestFingerprint("r", a), RequestFingerprint("r", b));
  EXPECT_EQ(RequestFingerprint("", a), 0u);
}

}  // namespace
}  // namespace rapport
