// rapport.v1.RelationshipService through a real gRPC server in-process (the
// whole rapportd wiring, a fake clock, a temporary store).
#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "rapport/v1/relationships.grpc.pb.h"
#include "server/server.h"
#include "absl/strings/ascii.h"
#include "services/common/proto_time.h"
#include "services/common/resource.h"
#include "storage/key_codec.h"
#include "storage/store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

using ::grpc::StatusCode;
using ::rapport::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

const absl::Time kT0 = absl::FromUnixSeconds(1795000000);  // 2026-11-18.

class RelationshipServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(/*sync=*/true); }

  void Start(bool sync) {
    ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.metrics_listen = "";
    config.data_dir = dir_.Sub("data");
    config.sync_writes = sync;
    config.clock = &clock_;
    auto server = RapportServer::Start(config);
    ASSERT_OK(server.status());
    server_ = std::move(server).value();
    stub_ = v1::RelationshipService::NewStub(server_->InProcessChannel());
  }

  static v1::Relationship Customer(const std::string& display_name) {
    v1::Relationship r;
    r.set_display_name(display_name);
    r.set_kind(v1::Relationship::EXTERNAL_CUSTOMER);
    return r;
  }

  grpc::Status Create(const v1::Relationship& r, const std::string& id, v1::Relationship* out,
                      const std::string& request_id = "") {
    grpc::ClientContext ctx;
    v1::CreateRelationshipRequest request;
    *request.mutable_relationship() = r;
    request.set_relationship_id(id);
    request.set_request_id(request_id);
    return stub_->CreateRelationship(&ctx, request, out);
  }

  v1::Relationship MustCreate(const v1::Relationship& r, const std::string& id) {
    v1::Relationship out;
    EXPECT_OK(Create(r, id, &out));
    return out;
  }

  grpc::Status Get(const std::string& name, v1::Relationship* out) {
    grpc::ClientContext ctx;
    v1::GetRelationshipRequest request;
    request.set_name(name);
    return stub_->GetRelationship(&ctx, request, out);
  }

  grpc::Status Update(const v1::Relationship& r, std::vector<std::string> paths,
                      v1::Relationship* out) {
    grpc::ClientContext ctx;
    v1::UpdateRelationshipRequest request;
    *request.mutable_relationship() = r;
    for (auto& p : paths) request.mutable_update_mask()->add_paths(p);
    return stub_->UpdateRelationship(&ctx, request, out);
  }

  grpc::Status Delete(const std::string& name, const std::string& etag = "") {
    grpc::ClientContext ctx;
    v1::DeleteRelationshipRequest request;
    request.set_name(name);
    request.set_etag(etag);
    google::protobuf::Empty empty;
    return stub_->DeleteRelationship(&ctx, request, &empty);
  }

  // Names of the relationships SearchRelationships finds for `query`.
  std::vector<std::string> Search(const std::string& query) {
    grpc::ClientContext ctx;
    v1::SearchRelationshipsRequest request;
    request.set_query(query);
    v1::ListRelationshipsResponse response;
    EXPECT_OK(stub_->SearchRelationships(&ctx, request, &response));
    std::vector<std::string> names;
    for (const auto& r : response.relationships()) names.push_back(r.name());
    return names;
  }

  std::vector<std::string> ListNames(v1::ListRelationshipsRequest request) {
    std::vector<std::string> names;
    for (;;) {
      grpc::ClientContext ctx;
      v1::ListRelationshipsResponse response;
      const grpc::Status status = stub_->ListRelationships(&ctx, request, &response);
      EXPECT_OK(status);
      if (!status.ok()) break;
      for (const auto& r : response.relationships()) names.push_back(r.name());
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return names;
  }

  testing::TempDir dir_;
  FakeClock clock_{kT0};
  std::unique_ptr<RapportServer> server_;
  std::unique_ptr<v1::RelationshipService::Stub> stub_;
};

TEST_F(RelationshipServiceTest, CreateThenGetRoundTripsWithDefaults) {
  v1::Relationship in = Customer("Acme Corp");
  in.set_manager("jane.doe");
  in.set_description("Manufacturing customer");
  (*in.mutable_labels())["region"] = "emea";
  v1::Relationship created = MustCreate(in, "acme");
  EXPECT_EQ(created.name(), "relationships/acme");
  EXPECT_EQ(created.tier(), v1::Relationship::STANDARD);
  EXPECT_EQ(created.status(), v1::Relationship::PROSPECT);
  EXPECT_EQ(created.etag(), "1");
  EXPECT_EQ(FromProtoTime(created.create_time()), kT0);

  v1::Relationship read;
  ASSERT_OK(Get("relationships/acme", &read));
  EXPECT_EQ(read.SerializeAsString(), created.SerializeAsString());
  EXPECT_EQ(read.labels().at("region"), "emea");

  // A generated id when none is given.
  v1::Relationship generated = MustCreate(Customer("Globex"), "");
  EXPECT_THAT(generated.name(), ::testing::MatchesRegex("relationships/[a-z2-7]{16}"));
}

TEST_F(RelationshipServiceTest, BadInputIsRefusedNamingTheFieldAndWritesNothing) {
  v1::Relationship out;
  EXPECT_THAT(Create(Customer(""), "a", &out),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("relationship.display_name")));
  EXPECT_THAT(Create(Customer(std::string(201, 'x')), "a", &out),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("display_name is too long")));
  // 200 characters of two bytes each are fine.
  std::string umlauts;
  for (int i = 0; i < 200; ++i) umlauts += "\xc3\xa4";
  EXPECT_OK(Create(Customer(umlauts), "umlauts", &out));
  v1::Relationship no_kind = Customer("A");
  no_kind.clear_kind();
  EXPECT_THAT(Create(no_kind, "a", &out),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("relationship.kind is required")));
  v1::Relationship bad_kind = Customer("A");
  bad_kind.set_kind(static_cast<v1::Relationship::Kind>(99));
  EXPECT_THAT(Create(bad_kind, "a", &out),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("unknown value 99")));
  v1::Relationship ended = Customer("A");
  ended.set_status(v1::Relationship::ENDED);
  EXPECT_THAT(Create(ended, "a", &out),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("relationship.status")));
  EXPECT_THAT(Create(Customer("A"), "Bad_Id", &out),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("relationship_id")));
  v1::Relationship bad_label = Customer("A");
  (*bad_label.mutable_labels())["Bad Key"] = "v";
  EXPECT_THAT(Create(bad_label, "a", &out),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("relationship.labels key")));
  v1::Relationship bad_parent = Customer("A");
  bad_parent.set_parent("customers/x");
  EXPECT_THAT(Create(bad_parent, "a", &out),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("relationship.parent")));
  bad_parent.set_parent("relationships/nobody");
  EXPECT_THAT(Create(bad_parent, "a", &out),
              StatusIs(StatusCode::NOT_FOUND, HasSubstr("relationship.parent relationships/nobody")));
  v1::Relationship bad_service = Customer("A");
  bad_service.add_consumed_services()->set_service("email");
  EXPECT_THAT(Create(bad_service, "a", &out),
              StatusIs(StatusCode::INVALID_ARGUMENT,
                       HasSubstr("relationship.consumed_services[0].service")));
  v1::Relationship too_long_request = Customer("A");
  EXPECT_THAT(Create(too_long_request, "a", &out, std::string(129, 'r')),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("request_id")));

  // Only the valid one was written.
  EXPECT_THAT(ListNames(v1::ListRelationshipsRequest()), ElementsAre("relationships/umlauts"));
  EXPECT_THAT(Get("relationships/a", &out), StatusIs(StatusCode::NOT_FOUND));
}

TEST_F(RelationshipServiceTest, DuplicateIdAndRequestIdRetries) {
  v1::Relationship first, again, other;
  ASSERT_OK(Create(Customer("Acme"), "acme", &first));
  EXPECT_THAT(Create(Customer("Acme 2"), "acme", &again),
              StatusIs(StatusCode::ALREADY_EXISTS, HasSubstr("relationships/acme")));

  // Same request_id: the first result, once, even with a generated id.
  ASSERT_OK(Create(Customer("Initech"), "", &first, "req-1"));
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK(Create(Customer("Initech"), "", &again, "req-1"));
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  ASSERT_OK(Create(Customer("Initech"), "", &other, "req-2"));
  EXPECT_NE(other.name(), first.name());
  EXPECT_EQ(ListNames(v1::ListRelationshipsRequest()).size(), 3u);

  // The same request_id with another request is refused, not answered with
  // the first request's result, and writes nothing.
  EXPECT_THAT(Create(Customer("Globex"), "", &other, "req-1"),
              StatusIs(StatusCode::INVALID_ARGUMENT,
                       HasSubstr("request_id \"req-1\" was already used by a different")));
  EXPECT_EQ(ListNames(v1::ListRelationshipsRequest()).size(), 3u);
}

TEST_F(RelationshipServiceTest, ConcurrentRetriesOfOneRequestApplyOnce) {
  std::vector<std::thread> threads;
  std::vector<std::string> names(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      v1::Relationship out;
      EXPECT_OK(Create(Customer("Hooli"), "", &out, "same-request"));
      names[i] = out.name();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 1u);
  EXPECT_EQ(ListNames(v1::ListRelationshipsRequest()).size(), 1u);
}

TEST_F(RelationshipServiceTest, UpdateHonoursMaskEtagAndLifecycle) {
  v1::Relationship r = MustCreate(Customer("Acme"), "acme");
  clock_.Advance(absl::Hours(1));
  v1::Relationship change = r;
  change.set_display_name("Acme Corporation");
  change.set_manager("should-not-change");
  v1::Relationship updated;
  ASSERT_OK(Update(change, {"display_name"}, &updated));
  EXPECT_EQ(updated.display_name(), "Acme Corporation");
  EXPECT_EQ(updated.manager(), "");
  EXPECT_EQ(updated.etag(), "2");
  EXPECT_EQ(FromProtoTime(updated.update_time()), kT0 + absl::Hours(1));
  EXPECT_EQ(FromProtoTime(updated.create_time()), kT0);

  // The etag read before the first update is stale now.
  EXPECT_THAT(Update(change, {"display_name"}, &updated),
              StatusIs(StatusCode::ABORTED, HasSubstr("etag")));
  change.clear_etag();
  EXPECT_THAT(Update(change, {}, &updated),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("update_mask is required")));
  EXPECT_THAT(Update(change, {"create_time"}, &updated),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("'create_time'")));
  change.set_display_name("");
  EXPECT_THAT(Update(change, {"display_name"}, &updated),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("relationship.display_name")));

  // PROSPECT -> ACTIVE -> AT_RISK -> ENDED -> PROSPECT; PROSPECT -> DORMANT is not allowed.
  v1::Relationship status = Customer("x");
  status.set_name("relationships/acme");
  status.set_status(v1::Relationship::DORMANT);
  EXPECT_THAT(Update(status, {"status"}, &updated),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("from PROSPECT to DORMANT")));
  for (auto next : {v1::Relationship::ACTIVE, v1::Relationship::AT_RISK, v1::Relationship::ENDED,
                    v1::Relationship::PROSPECT}) {
    status.set_status(next);
    ASSERT_OK(Update(status, {"status"}, &updated)) << v1::Relationship::Status_Name(next);
    EXPECT_EQ(updated.status(), next);
  }
  status.set_status(v1::Relationship::AT_RISK);
  EXPECT_THAT(Update(status, {"status"}, &updated), StatusIs(StatusCode::INVALID_ARGUMENT));

  v1::Relationship missing = Customer("x");
  missing.set_name("relationships/missing");
  EXPECT_THAT(Update(missing, {"display_name"}, &updated), StatusIs(StatusCode::NOT_FOUND));
}

TEST_F(RelationshipServiceTest, ParentsNeverFormACycle) {
  MustCreate(Customer("Group"), "group");
  v1::Relationship division = Customer("Division");
  division.set_parent("relationships/group");
  MustCreate(division, "division");
  v1::Relationship team = Customer("Team");
  team.set_parent("relationships/division");
  MustCreate(team, "team");

  v1::Relationship change = Customer("Group");
  change.set_name("relationships/group");
  change.set_parent("relationships/team");
  v1::Relationship out;
  EXPECT_THAT(Update(change, {"parent"}, &out),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("would make a cycle")));
  change.set_parent("relationships/group");
  EXPECT_THAT(Update(change, {"parent"}, &out),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("itself")));

  v1::ListRelationshipsRequest children;
  children.set_parent("relationships/group");
  EXPECT_THAT(ListNames(children), ElementsAre("relationships/division"));

  // Re-parenting moves the child in the parent filter.
  v1::Relationship move = Customer("Team");
  move.set_name("relationships/team");
  move.set_parent("relationships/group");
  ASSERT_OK(Update(move, {"parent"}, &out));
  EXPECT_THAT(ListNames(children), ElementsAre("relationships/division", "relationships/team"));
}

TEST_F(RelationshipServiceTest, DeleteRefusedWithChildrenThenRemovesEverything) {
  v1::Relationship parent = MustCreate(Customer("Parent"), "parent");
  v1::Relationship child = Customer("Child");
  child.set_parent("relationships/parent");
  MustCreate(child, "child");
  EXPECT_THAT(Delete("relationships/parent"),
              StatusIs(StatusCode::FAILED_PRECONDITION, HasSubstr("relationships/child")));
  EXPECT_OK(Delete("relationships/child"));

  // Children records of every kind go with it.
  {
    grpc::ClientContext ctx;
    v1::CreateStakeholderRequest request;
    request.set_parent("relationships/parent");
    request.set_stakeholder_id("cfo");
    request.mutable_stakeholder()->set_display_name("Pat");
    request.mutable_stakeholder()->set_power(5);
    request.mutable_stakeholder()->set_interest(5);
    v1::Stakeholder s;
    ASSERT_OK(stub_->CreateStakeholder(&ctx, request, &s));
  }
  {
    grpc::ClientContext ctx;
    v1::CreateInteractionRequest request;
    request.set_parent("relationships/parent");
    request.set_interaction_id("qbr");
    request.mutable_interaction()->set_kind(v1::Interaction::BUSINESS_REVIEW);
    *request.mutable_interaction()->mutable_occur_time() = ToProtoTime(kT0);
    request.mutable_interaction()->set_summary("QBR");
    auto* f = request.mutable_interaction()->add_follow_ups();
    f->set_text("Send minutes");
    *f->mutable_due_time() = ToProtoTime(kT0 + absl::Hours(1));
    v1::Interaction in;
    ASSERT_OK(stub_->CreateInteraction(&ctx, request, &in));
  }
  EXPECT_THAT(Delete("relationships/parent", "999"), StatusIs(StatusCode::ABORTED));
  v1::Relationship current;
  ASSERT_OK(Get("relationships/parent", &current));
  EXPECT_OK(Delete("relationships/parent", current.etag()));
  EXPECT_THAT(Get("relationships/parent", &current), StatusIs(StatusCode::NOT_FOUND));
  EXPECT_THAT(Delete("relationships/parent"), StatusIs(StatusCode::NOT_FOUND));
  grpc::ClientContext ctx;
  v1::GetStakeholderRequest get;
  get.set_name("relationships/parent/stakeholders/cfo");
  v1::Stakeholder s;
  EXPECT_THAT(stub_->GetStakeholder(&ctx, get, &s), StatusIs(StatusCode::NOT_FOUND));
  clock_.Advance(absl::Hours(2));
  grpc::ClientContext ctx2;
  v1::ListOverdueFollowUpsResponse overdue;
  ASSERT_OK(stub_->ListOverdueFollowUps(&ctx2, v1::ListOverdueFollowUpsRequest(), &overdue));
  EXPECT_EQ(overdue.follow_ups_size(), 0);
  EXPECT_TRUE(ListNames(v1::ListRelationshipsRequest()).empty());
}

TEST_F(RelationshipServiceTest, ListFiltersOrdersAndPages) {
  auto make = [&](const std::string& id, const std::string& name, v1::Relationship::Kind kind,
                  v1::Relationship::Tier tier, const std::string& manager, const std::string& region) {
    v1::Relationship r = Customer(name);
    r.set_kind(kind);
    r.set_tier(tier);
    r.set_manager(manager);
    if (!region.empty()) (*r.mutable_labels())["region"] = region;
    MustCreate(r, id);
    clock_.Advance(absl::Minutes(1));
  };
  make("c", "charlie", v1::Relationship::EXTERNAL_CUSTOMER, v1::Relationship::KEY, "ann", "emea");
  make("a", "Alpha", v1::Relationship::SUPPLIER, v1::Relationship::STRATEGIC, "bob", "apac");
  make("b", "bravo", v1::Relationship::EXTERNAL_CUSTOMER, v1::Relationship::STANDARD, "ann", "");
  make("d", "Delta", v1::Relationship::PARTNER, v1::Relationship::KEY, "cid", "emea");

  v1::ListRelationshipsRequest request;
  request.set_page_size(1);
  EXPECT_THAT(ListNames(request), ElementsAre("relationships/a", "relationships/b",
                                              "relationships/c", "relationships/d"));
  request.set_order_by(v1::ListRelationshipsRequest::UPDATE_TIME_DESC);
  EXPECT_THAT(ListNames(request), ElementsAre("relationships/d", "relationships/b",
                                              "relationships/a", "relationships/c"));
  v1::ListRelationshipsRequest filter;
  filter.set_kind(v1::Relationship::EXTERNAL_CUSTOMER);
  EXPECT_THAT(ListNames(filter), ElementsAre("relationships/b", "relationships/c"));
  filter = v1::ListRelationshipsRequest();
  filter.set_tier(v1::Relationship::KEY);
  EXPECT_THAT(ListNames(filter), ElementsAre("relationships/c", "relationships/d"));
  filter = v1::ListRelationshipsRequest();
  filter.set_manager("ann");
  EXPECT_THAT(ListNames(filter), ElementsAre("relationships/b", "relationships/c"));
  filter = v1::ListRelationshipsRequest();
  filter.set_label("region");
  EXPECT_THAT(ListNames(filter), ElementsAre("relationships/a", "relationships/c", "relationships/d"));
  filter.set_label("region=emea");
  EXPECT_THAT(ListNames(filter), ElementsAre("relationships/c", "relationships/d"));
  filter = v1::ListRelationshipsRequest();
  filter.set_status(v1::Relationship::ACTIVE);
  EXPECT_TRUE(ListNames(filter).empty());

  // The update order follows updates.
  v1::Relationship touch = Customer("Charlie");
  touch.set_name("relationships/c");
  v1::Relationship out;
  ASSERT_OK(Update(touch, {"display_name"}, &out));
  EXPECT_EQ(ListNames(request).front(), "relationships/c");

  // Page tokens belong to their filter; page sizes are checked.
  v1::ListRelationshipsRequest first;
  first.set_page_size(1);
  first.set_kind(v1::Relationship::EXTERNAL_CUSTOMER);
  grpc::ClientContext ctx;
  v1::ListRelationshipsResponse page;
  ASSERT_OK(stub_->ListRelationships(&ctx, first, &page));
  ASSERT_FALSE(page.next_page_token().empty());
  first.set_page_token(page.next_page_token());
  first.set_kind(v1::Relationship::SUPPLIER);
  grpc::ClientContext ctx2;
  EXPECT_THAT(stub_->ListRelationships(&ctx2, first, &page),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("page_token")));
  v1::ListRelationshipsRequest negative;
  negative.set_page_size(-1);
  grpc::ClientContext ctx3;
  EXPECT_THAT(stub_->ListRelationships(&ctx3, negative, &page),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("page_size")));
}

TEST_F(RelationshipServiceTest, SearchByNamePrefixIgnoresCase) {
  MustCreate(Customer("Acme Corp"), "acme");
  MustCreate(Customer("ACME Labs"), "acme-labs");
  MustCreate(Customer("Acorn"), "acorn");
  MustCreate(Customer("Globex"), "globex");
  EXPECT_THAT(Search("acme"), ElementsAre("relationships/acme", "relationships/acme-labs"));
  EXPECT_THAT(Search("AC"), ElementsAre("relationships/acme", "relationships/acme-labs",
                                        "relationships/acorn"));
  EXPECT_TRUE(Search("zzz").empty());
  grpc::ClientContext ctx;
  v1::ListRelationshipsResponse response;
  EXPECT_THAT(stub_->SearchRelationships(&ctx, v1::SearchRelationshipsRequest(), &response),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("query")));
}

// Names in any script: "Österreich" is found by "öst" and sorts with the
// other names in ö, not before every lower-case name.
TEST_F(RelationshipServiceTest, SearchAndNameOrderIgnoreCaseInEveryScript) {
  MustCreate(Customer("Österreich AG"), "at");
  MustCreate(Customer("östlich GmbH"), "ost");
  MustCreate(Customer("Ärzte eG"), "arzte");
  MustCreate(Customer("Öz"), "oz");
  MustCreate(Customer("öa"), "oa");
  MustCreate(Customer("ΑΘΗΝΑ"), "athens");
  EXPECT_THAT(Search("öst"), ElementsAre("relationships/at", "relationships/ost"));
  EXPECT_THAT(Search("ÖST"), ElementsAre("relationships/at", "relationships/ost"));
  EXPECT_THAT(Search("ärz"), ElementsAre("relationships/arzte"));
  EXPECT_THAT(Search("ÄRZ"), ElementsAre("relationships/arzte"));
  EXPECT_THAT(Search("αθή"), ElementsAre());  // Accents are not folded, only case.
  EXPECT_THAT(Search("αθη"), ElementsAre("relationships/athens"));
  EXPECT_THAT(ListNames(v1::ListRelationshipsRequest()),
              ElementsAre("relationships/arzte", "relationships/oa", "relationships/at",
                          "relationships/ost", "relationships/oz", "relationships/athens"));
}

// A store whose name index was written when only ASCII letters were folded
// is re-indexed when rapportd starts.
TEST_F(RelationshipServiceTest, ANameIndexOfAsciiFoldingIsRebuiltAtStart) {
  MustCreate(Customer("Österreich AG"), "at");
  MustCreate(Customer("Acme"), "acme");
  server_.reset();
  {
    storage::StoreOptions options;
    options.data_dir = dir_.Sub("data");
    auto store = storage::Store::Open(options);
    ASSERT_OK(store.status());
    storage::WriteBatch old;
    old.Delete(storage::Cf::kIndex, storage::relkeys::ByName(FoldCase("Österreich AG"), "at"));
    old.Put(storage::Cf::kIndex, storage::relkeys::ByName(absl::AsciiStrToLower("Österreich AG"), "at"),
            "");
    old.Delete(storage::Cf::kRelationships, "Mname-index");
    ASSERT_OK((*store)->CommitSync(std::move(old)));
  }
  Start(/*sync=*/true);
  EXPECT_THAT(Search("öst"), ElementsAre("relationships/at"));
  EXPECT_THAT(ListNames(v1::ListRelationshipsRequest()),
              ElementsAre("relationships/acme", "relationships/at"));
}

TEST_F(RelationshipServiceTest, StakeholdersAndTheirMap) {
  MustCreate(Customer("Acme"), "acme");
  auto create = [&](const std::string& id, int power, int interest, v1::Stakeholder* out) {
    grpc::ClientContext ctx;
    v1::CreateStakeholderRequest request;
    request.set_parent("relationships/acme");
    request.set_stakeholder_id(id);
    request.mutable_stakeholder()->set_display_name(id);
    request.mutable_stakeholder()->set_email(id + "@acme.example");
    request.mutable_stakeholder()->set_power(power);
    request.mutable_stakeholder()->set_interest(interest);
    return stub_->CreateStakeholder(&ctx, request, out);
  };
  v1::Stakeholder s;
  ASSERT_OK(create("ceo", 5, 4, &s));
  EXPECT_EQ(s.name(), "relationships/acme/stakeholders/ceo");
  EXPECT_EQ(s.attitude(), v1::Stakeholder::NEUTRAL);
  ASSERT_OK(create("cfo", 4, 1, &s));
  ASSERT_OK(create("user", 1, 5, &s));
  ASSERT_OK(create("intern", 1, 1, &s));
  EXPECT_THAT(create("bad", 0, 3, &s),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("stakeholder.power")));
  EXPECT_THAT(create("bad", 3, 6, &s),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("stakeholder.interest")));
  EXPECT_THAT(create("ceo", 3, 3, &s), StatusIs(StatusCode::ALREADY_EXISTS));
  {
    grpc::ClientContext ctx;
    v1::CreateStakeholderRequest request;
    request.set_parent("relationships/acme");
    request.mutable_stakeholder()->set_display_name("x");
    request.mutable_stakeholder()->set_email("not an email");
    request.mutable_stakeholder()->set_power(3);
    request.mutable_stakeholder()->set_interest(3);
    EXPECT_THAT(stub_->CreateStakeholder(&ctx, request, &s),
                StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("stakeholder.email")));
    request.set_parent("relationships/nobody");
    request.mutable_stakeholder()->set_email("x@y.example");
    grpc::ClientContext ctx2;
    EXPECT_THAT(stub_->CreateStakeholder(&ctx2, request, &s), StatusIs(StatusCode::NOT_FOUND));
  }

  grpc::ClientContext map_ctx;
  v1::GetStakeholderMapRequest map_request;
  map_request.set_relationship("relationships/acme");
  v1::StakeholderMap map;
  ASSERT_OK(stub_->GetStakeholderMap(&map_ctx, map_request, &map));
  ASSERT_EQ(map.manage_closely_size(), 1);
  EXPECT_EQ(map.manage_closely(0).display_name(), "ceo");
  EXPECT_EQ(map.keep_satisfied(0).display_name(), "cfo");
  EXPECT_EQ(map.keep_informed(0).display_name(), "user");
  EXPECT_EQ(map.monitor(0).display_name(), "intern");

  // Update moves the CFO into "manage closely"; then delete.
  v1::Stakeholder change;
  change.set_name("relationships/acme/stakeholders/cfo");
  change.set_interest(5);
  change.set_attitude(v1::Stakeholder::CHAMPION);
  grpc::ClientContext up_ctx;
  v1::UpdateStakeholderRequest update;
  *update.mutable_stakeholder() = change;
  update.mutable_update_mask()->add_paths("interest");
  update.mutable_update_mask()->add_paths("attitude");
  ASSERT_OK(stub_->UpdateStakeholder(&up_ctx, update, &s));
  EXPECT_EQ(s.interest(), 5);
  EXPECT_EQ(s.power(), 4);
  EXPECT_EQ(s.attitude(), v1::Stakeholder::CHAMPION);
  grpc::ClientContext map_ctx2;
  ASSERT_OK(stub_->GetStakeholderMap(&map_ctx2, map_request, &map));
  EXPECT_EQ(map.manage_closely_size(), 2);

  grpc::ClientContext list_ctx;
  v1::ListStakeholdersRequest list;
  list.set_parent("relationships/acme");
  v1::ListStakeholdersResponse listed;
  ASSERT_OK(stub_->ListStakeholders(&list_ctx, list, &listed));
  EXPECT_EQ(listed.stakeholders_size(), 4);

  grpc::ClientContext del_ctx;
  v1::DeleteStakeholderRequest del;
  del.set_name("relationships/acme/stakeholders/intern");
  google::protobuf::Empty empty;
  ASSERT_OK(stub_->DeleteStakeholder(&del_ctx, del, &empty));
  grpc::ClientContext get_ctx;
  v1::GetStakeholderRequest get;
  get.set_name("relationships/acme/stakeholders/intern");
  EXPECT_THAT(stub_->GetStakeholder(&get_ctx, get, &s), StatusIs(StatusCode::NOT_FOUND));
}

TEST_F(RelationshipServiceTest, InteractionsLogFollowUpsAndOverdueList) {
  MustCreate(Customer("Acme"), "acme");
  auto create = [&](const std::string& id, v1::Interaction::Kind kind, absl::Time when,
                    std::optional<absl::Time> due, v1::Interaction* out) {
    grpc::ClientContext ctx;
    v1::CreateInteractionRequest request;
    request.set_parent("relationships/acme");
    request.set_interaction_id(id);
    auto* in = request.mutable_interaction();
    in->set_kind(kind);
    *in->mutable_occur_time() = ToProtoTime(when);
    in->set_summary("summary of " + id);
    in->set_sentiment(1);
    in->add_participants("jane");
    if (due) {
      auto* f = in->add_follow_ups();
      f->set_text("follow up on " + id);
      *f->mutable_due_time() = ToProtoTime(*due);
    }
    return stub_->CreateInteraction(&ctx, request, out);
  };
  v1::Interaction in;
  ASSERT_OK(create("review", v1::Interaction::BUSINESS_REVIEW, kT0 - absl::Hours(48),
                   kT0 + absl::Hours(1), &in));
  ASSERT_OK(create("complaint", v1::Interaction::COMPLAINT, kT0 - absl::Hours(1), std::nullopt, &in));
  ASSERT_OK(create("call", v1::Interaction::CALL, kT0 - absl::Hours(24), kT0 + absl::Hours(3), &in));
  EXPECT_THAT(create("future", v1::Interaction::CALL, kT0 + absl::Hours(25), std::nullopt, &in),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("interaction.occur_time")));
  {
    grpc::ClientContext ctx;
    v1::CreateInteractionRequest request;
    request.set_parent("relationships/acme");
    request.mutable_interaction()->set_kind(v1::Interaction::NOTE);
    *request.mutable_interaction()->mutable_occur_time() = ToProtoTime(kT0);
    request.mutable_interaction()->set_summary("x");
    request.mutable_interaction()->set_sentiment(3);
    EXPECT_THAT(stub_->CreateInteraction(&ctx, request, &in),
                StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("interaction.sentiment")));
  }

  // The relationship remembers the latest review and contact.
  v1::Relationship r;
  ASSERT_OK(Get("relationships/acme", &r));
  EXPECT_EQ(FromProtoTime(r.last_review_time()), kT0 - absl::Hours(48));
  EXPECT_EQ(FromProtoTime(r.last_interaction_time()), kT0 - absl::Hours(1));

  auto list = [&](v1::ListInteractionsRequest request) {
    request.set_parent("relationships/acme");
    grpc::ClientContext ctx;
    v1::ListInteractionsResponse response;
    EXPECT_OK(stub_->ListInteractions(&ctx, request, &response));
    std::vector<std::string> ids;
    for (const auto& i : response.interactions()) ids.push_back(i.name().substr(std::string("relationships/acme/interactions/").size()));
    return ids;
  };
  EXPECT_THAT(list({}), ElementsAre("complaint", "call", "review"));  // Newest first.
  v1::ListInteractionsRequest by_kind;
  by_kind.set_kind(v1::Interaction::COMPLAINT);
  EXPECT_THAT(list(by_kind), ElementsAre("complaint"));
  v1::ListInteractionsRequest window;
  *window.mutable_start_time() = ToProtoTime(kT0 - absl::Hours(24));
  *window.mutable_end_time() = ToProtoTime(kT0 - absl::Hours(1));
  EXPECT_THAT(list(window), ElementsAre("call"));  // [start, end).

  // Overdue follow-ups, most overdue first; done ones drop out.
  clock_.Advance(absl::Hours(4));
  auto overdue = [&] {
    grpc::ClientContext ctx;
    v1::ListOverdueFollowUpsResponse response;
    EXPECT_OK(stub_->ListOverdueFollowUps(&ctx, v1::ListOverdueFollowUpsRequest(), &response));
    std::vector<std::string> texts;
    for (const auto& f : response.follow_ups()) texts.push_back(f.follow_up().text());
    return texts;
  };
  EXPECT_THAT(overdue(), ElementsAre("follow up on review", "follow up on call"));

  v1::Interaction done;
  done.set_name("relationships/acme/interactions/review");
  auto* f = done.add_follow_ups();
  f->set_text("follow up on review");
  f->set_done(true);
  grpc::ClientContext ctx;
  v1::UpdateInteractionRequest update;
  *update.mutable_interaction() = done;
  update.mutable_update_mask()->add_paths("follow_ups");
  ASSERT_OK(stub_->UpdateInteraction(&ctx, update, &in));
  EXPECT_EQ(FromProtoTime(in.follow_ups(0).done_time()), kT0 + absl::Hours(4));
  EXPECT_EQ(in.summary(), "summary of review");
  EXPECT_THAT(overdue(), ElementsAre("follow up on call"));

  update.mutable_update_mask()->add_paths("kind");
  grpc::ClientContext ctx2;
  EXPECT_THAT(stub_->UpdateInteraction(&ctx2, update, &in),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("'kind'")));
}

TEST_F(RelationshipServiceTest, OpportunitiesMoveForwardOnly) {
  MustCreate(Customer("Acme"), "acme");
  grpc::ClientContext ctx;
  v1::CreateOpportunityRequest request;
  request.set_parent("relationships/acme");
  request.set_opportunity_id("crm");
  request.mutable_opportunity()->set_title("CRM rollout");
  auto* value = request.mutable_opportunity()->mutable_estimated_annual_value();
  value->set_currency_code("EUR");
  value->set_units(120000);
  v1::Opportunity o;
  ASSERT_OK(stub_->CreateOpportunity(&ctx, request, &o));
  EXPECT_EQ(o.stage(), v1::Opportunity::IDENTIFIED);

  value->set_currency_code("euro");
  request.set_opportunity_id("bad");
  grpc::ClientContext bad_ctx;
  EXPECT_THAT(stub_->CreateOpportunity(&bad_ctx, request, &o),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("currency_code")));

  auto set_stage = [&](v1::Opportunity::Stage stage) {
    grpc::ClientContext c;
    v1::UpdateOpportunityRequest update;
    update.mutable_opportunity()->set_name("relationships/acme/opportunities/crm");
    update.mutable_opportunity()->set_stage(stage);
    update.mutable_update_mask()->add_paths("stage");
    return stub_->UpdateOpportunity(&c, update, &o);
  };
  clock_.Advance(absl::Hours(1));
  ASSERT_OK(set_stage(v1::Opportunity::PROPOSED));
  EXPECT_EQ(FromProtoTime(o.stage_change_time()), kT0 + absl::Hours(1));
  EXPECT_THAT(set_stage(v1::Opportunity::QUALIFIED),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("only moves forward")));
  ASSERT_OK(set_stage(v1::Opportunity::DECLINED));
  EXPECT_THAT(set_stage(v1::Opportunity::AGREED),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("final")));

  grpc::ClientContext list_ctx;
  v1::ListOpportunitiesRequest list;
  list.set_parent("relationships/acme");
  list.set_stage(v1::Opportunity::DECLINED);
  v1::ListOpportunitiesResponse listed;
  ASSERT_OK(stub_->ListOpportunities(&list_ctx, list, &listed));
  ASSERT_EQ(listed.opportunities_size(), 1);

  grpc::ClientContext del_ctx;
  v1::DeleteOpportunityRequest del;
  del.set_name("relationships/acme/opportunities/crm");
  google::protobuf::Empty empty;
  ASSERT_OK(stub_->DeleteOpportunity(&del_ctx, del, &empty));
  grpc::ClientContext get_ctx;
  v1::GetOpportunityRequest get;
  get.set_name(del.name());
  EXPECT_THAT(stub_->GetOpportunity(&get_ctx, get, &o), StatusIs(StatusCode::NOT_FOUND));
}

TEST_F(RelationshipServiceTest, HealthFromInteractionsWithTrend) {
  MustCreate(Customer("Acme"), "acme");
  auto log = [&](v1::Interaction::Kind kind) {
    grpc::ClientContext ctx;
    v1::CreateInteractionRequest request;
    request.set_parent("relationships/acme");
    request.mutable_interaction()->set_kind(kind);
    *request.mutable_interaction()->mutable_occur_time() = ToProtoTime(clock_.Now());
    request.mutable_interaction()->set_summary("x");
    v1::Interaction in;
    EXPECT_OK(stub_->CreateInteraction(&ctx, request, &in));
  };
  auto health = [&] {
    grpc::ClientContext ctx;
    v1::GetRelationshipHealthRequest request;
    request.set_relationship("relationships/acme");
    v1::RelationshipHealth h;
    EXPECT_OK(stub_->GetRelationshipHealth(&ctx, request, &h));
    return h;
  };
  // At first only the escalation component is known: none open, 100.
  v1::RelationshipHealth h = health();
  EXPECT_EQ(h.score(), 100);
  EXPECT_EQ(h.trend(), 0);

  log(v1::Interaction::BUSINESS_REVIEW);
  log(v1::Interaction::COMPLIMENT);
  h = health();
  // Feedback 100*(1+1)/(1+2) = 66.7 and engagement 100 (weights 10 and 10),
  // and no open escalations: 100 (weight 15).
  EXPECT_NEAR(h.score(), (200.0 / 3 * 10 + 100 * 10 + 100 * 15) / 35, 1e-6);
  EXPECT_NEAR(h.trend(), h.score() - 100, 1e-9);
  for (const auto& c : h.components()) {
    if (c.kind() == v1::RelationshipHealth::Component::SLA_COMPLIANCE ||
        c.kind() == v1::RelationshipHealth::Component::NPS) {
      EXPECT_EQ(c.band(), v1::UNKNOWN);  // Not wired until those services exist.
    }
  }
  const double first = h.score();
  log(v1::Interaction::COMPLAINT);
  log(v1::Interaction::COMPLAINT);
  h = health();
  EXPECT_LT(h.score(), first);
  EXPECT_NEAR(h.previous_score(), first, 1e-9);
  EXPECT_NEAR(h.trend(), h.score() - first, 1e-9);
  // Asking again keeps reporting the last change.
  const double trend = h.trend();
  h = health();
  EXPECT_NEAR(h.trend(), trend, 1e-9);

  grpc::ClientContext ctx;
  v1::GetRelationshipHealthRequest missing;
  missing.set_relationship("relationships/nobody");
  EXPECT_THAT(stub_->GetRelationshipHealth(&ctx, missing, &h), StatusIs(StatusCode::NOT_FOUND));

  // Metrics: the register's gauges and counters.
  const std::string page = server_->metrics().Render();
  EXPECT_THAT(page, HasSubstr(R"(rapport_relationships{kind="EXTERNAL_CUSTOMER",status="PROSPECT",tier="STANDARD"} 1)"));
  EXPECT_THAT(page, HasSubstr(R"(rapport_interactions_total{kind="COMPLAINT"} 2)"));
  EXPECT_THAT(page, HasSubstr("rapport_complaints_total 2"));
  EXPECT_THAT(page, HasSubstr("rapport_compliments_total 1"));
  EXPECT_THAT(page, HasSubstr(R"(rapport_relationship_health_average{tier="STANDARD"})"));

  // A tier change moves the last score to the new tier's average at once.
  v1::Relationship strategic;
  strategic.set_name("relationships/acme");
  strategic.set_tier(v1::Relationship::STRATEGIC);
  v1::Relationship updated;
  ASSERT_OK(Update(strategic, {"tier"}, &updated));
  const std::string after = server_->metrics().Render();
  EXPECT_THAT(after, HasSubstr(R"(rapport_relationship_health_average{tier="STRATEGIC"})"));
  EXPECT_THAT(after, Not(HasSubstr(R"(rapport_relationship_health_average{tier="STANDARD"})")));
}

class RelationshipPagingTest : public RelationshipServiceTest {
 protected:
  void SetUp() override { Start(/*sync=*/false); }
};

TEST_F(RelationshipPagingTest, TenThousandPagedExactlyOnceWhileOthersAreInserted) {
  constexpr int kCount = 10000;
  std::vector<std::thread> loaders;
  for (int t = 0; t < 8; ++t) {
    loaders.emplace_back([&, t] {
      for (int i = t; i < kCount; i += 8) {
        v1::Relationship out;
        EXPECT_OK(Create(Customer(absl::StrFormat("Customer %05d", i)), absl::StrFormat("c%05d", i), &out));
      }
    });
  }
  for (auto& t : loaders) t.join();

  std::atomic<bool> stop{false};
  std::thread inserter([&] {
    for (int i = 0; !stop && i < 5000; ++i) {
      v1::Relationship out;
      // Names that sort before, between and after the existing ones.
      EXPECT_OK(Create(Customer(absl::StrFormat("%s %05d", i % 2 ? "A" : "Customer 0", i)),
                       absl::StrFormat("n%05d", i), &out));
    }
  });
  v1::ListRelationshipsRequest request;
  request.set_page_size(137);
  std::vector<std::string> names = ListNames(request);
  stop = true;
  inserter.join();
  std::multiset<std::string> seen(names.begin(), names.end());
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(seen.count(absl::StrFormat("relationships/c%05d", i)), 1u) << i;
  }
  for (const auto& n : seen) ASSERT_EQ(seen.count(n), 1u) << n;
}

}  // namespace
}  // namespace rapport
