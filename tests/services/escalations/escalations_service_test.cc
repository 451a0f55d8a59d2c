// The escalation workflow through its gRPC adapter on an in-process server
// of its own (a Store in a temporary directory, a Scheduler and a FakeClock),
// and its domain API directly. Timers fire through Scheduler::FireDue after
// the fake clock moves: nothing sleeps waiting for a timer.
#include <atomic>
#include <chrono>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "rapport/v1/escalations.grpc.pb.h"
#include "services/common/proto_time.h"
#include "services/escalations/escalations.h"
#include "services/escalations/escalations_grpc.h"
#include "storage/key_codec.h"
#include "storage/scheduler.h"
#include "storage/status_macros.h"
#include "storage/store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport::escalations {
namespace {

using ::rapport::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Esc = v1::Escalation;
using Action = v1::EscalationTimelineEntry;
using Stub = v1::EscalationService::Stub;

const absl::Time kT0 =
    absl::FromCivil(absl::CivilSecond(2026, 11, 2, 8, 0, 0), absl::UTCTimeZone());

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

class EscalationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Open();
    CreatePolicy("oncall", {{"l1", 10}, {"l2", 20}, {"l3", 30}}, /*repeat=*/1);
  }
  void TearDown() override { Close(); }

  void Open() {
    storage::StoreOptions options;
    options.data_dir = dir_.Sub("data");
    options.sync_writes = false;
    auto store = storage::Store::Open(options);
    ASSERT_OK(store.status());
    store_ = std::move(store).value();
    domain_ = std::make_unique<Escalations>(store_.get(), &clock_);
    scheduler_ = std::make_unique<storage::Scheduler>(store_.get(), &clock_);
    Escalations* domain = domain_.get();
    scheduler_->RegisterHandler(kAckScheduleKind,
                                [domain](const storage::ScheduledEntry& entry, storage::Txn& txn) {
                                  return domain->OnScheduled(entry, txn);
                                });
    adapter_ = std::make_unique<EscalationsGrpc>(domain);
    grpc::ServerBuilder builder;
    builder.RegisterService(adapter_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::EscalationService::NewStub(server_->InProcessChannel(grpc::ChannelArguments()));
  }

  // The store goes before the domain: its commit listener calls the domain.
  void Close() {
    stub_.reset();
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server_.reset();
    adapter_.reset();
    scheduler_.reset();
    store_.reset();
    domain_.reset();
  }

  int Fire() {
    auto fired = scheduler_->FireDue();
    EXPECT_OK(fired.status());
    return fired.ok() ? *fired : -1;
  }

  static v1::EscalationPolicy Policy(std::vector<std::pair<std::string, int>> levels, int repeat) {
    v1::EscalationPolicy p;
    p.set_display_name("On call");
    for (const auto& [name, minutes] : levels) {
      auto* l = p.add_levels();
      l->set_name(name);
      l->add_targets("team:" + name);
      *l->mutable_ack_wait() = ToProtoDuration(absl::Minutes(minutes));
    }
    p.set_repeat(repeat);
    return p;
  }

  absl::StatusOr<v1::EscalationPolicy> CreatePolicyWith(const std::string& id,
                                                        const v1::EscalationPolicy& p) {
    grpc::ClientContext ctx;
    v1::CreateEscalationPolicyRequest r;
    r.set_policy_id(id);
    *r.mutable_policy() = p;
    v1::EscalationPolicy out;
    auto s = stub_->CreateEscalationPolicy(&ctx, r, &out);
    if (!s.ok()) return FromGrpc(s);
    return out;
  }

  void CreatePolicy(const std::string& id, std::vector<std::pair<std::string, int>> levels,
                    int repeat) {
    ASSERT_OK(CreatePolicyWith(id, Policy(std::move(levels), repeat)).status());
  }

  template <typename Req>
  absl::StatusOr<Esc> Do(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Esc*),
                         const Req& request) {
    grpc::ClientContext ctx;
    Esc out;
    auto s = (stub_.get()->*method)(&ctx, request, &out);
    if (!s.ok()) return FromGrpc(s);
    return out;
  }

  absl::StatusOr<Esc> Create(const std::string& id, v1::Severity sev = v1::SEV2,
                             const std::string& request_id = "",
                             const std::string& policy = "oncall") {
    v1::CreateEscalationRequest r;
    r.set_escalation_id(id);
    r.set_request_id(request_id);
    auto* e = r.mutable_escalation();
    e->set_relationship("relationships/acme");
    e->set_service("services/email");
    e->set_title("E-mail down for the sales floor");
    e->set_severity(sev);
    e->set_policy("escalation_policies/" + policy);
    return Do(&Stub::CreateEscalation, r);
  }

  absl::StatusOr<Esc> Get(const std::string& id) {
    v1::GetEscalationRequest r;
    r.set_name("escalations/" + id);
    return Do(&Stub::GetEscalation, r);
  }

  // The operations of the state machine, by name, with the required text.
  absl::StatusOr<Esc> Op(const std::string& op, const std::string& id, int seen_level = 0) {
    const std::string name = "escalations/" + id;
    if (op == "ack") {
      v1::AcknowledgeEscalationRequest r;
      r.set_name(name);
      return Do(&Stub::AcknowledgeEscalation, r);
    }
    if (op == "escalate") {
      v1::EscalateEscalationRequest r;
      r.set_name(name);
      r.set_seen_level(seen_level);
      return Do(&Stub::EscalateEscalation, r);
    }
    if (op == "reassign") {
      v1::ReassignEscalationRequest r;
      r.set_name(name);
      r.set_assignee("jane");
      return Do(&Stub::ReassignEscalation, r);
    }
    if (op == "note") {
      v1::AddEscalationNoteRequest r;
      r.set_name(name);
      r.set_note("called the customer");
      return Do(&Stub::AddEscalationNote, r);
    }
    if (op == "hold") {
      v1::HoldEscalationRequest r;
      r.set_name(name);
      r.set_reason("waiting for the vendor");
      return Do(&Stub::HoldEscalation, r);
    }
    if (op == "resume") {
      v1::ResumeEscalationRequest r;
      r.set_name(name);
      return Do(&Stub::ResumeEscalation, r);
    }
    if (op == "resolve") {
      v1::ResolveEscalationRequest r;
      r.set_name(name);
      r.set_summary("mail relay restarted");
      return Do(&Stub::ResolveEscalation, r);
    }
    if (op == "reopen") {
      v1::ReopenEscalationRequest r;
      r.set_name(name);
      r.set_reason("it broke again");
      return Do(&Stub::ReopenEscalation, r);
    }
    if (op == "close") {
      v1::CloseEscalationRequest r;
      r.set_name(name);
      return Do(&Stub::CloseEscalation, r);
    }
    if (op == "cancel") {
      v1::CancelEscalationRequest r;
      r.set_name(name);
      r.set_reason("duplicate");
      return Do(&Stub::CancelEscalation, r);
    }
    return absl::InternalError("unknown op " + op);
  }

  static std::vector<Action::Action> Actions(const Esc& e) {
    std::vector<Action::Action> out;
    for (const auto& t : e.timeline()) out.push_back(t.action());
    return out;
  }

  testing::TempDir dir_;
  FakeClock clock_{kT0};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Escalations> domain_;
  std::unique_ptr<storage::Scheduler> scheduler_;
  std::unique_ptr<EscalationsGrpc> adapter_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Stub> stub_;
};

// ------------------------------------------------------------------ key codec

// Round trips of the esckeys layouts (storage/key_codec.h), kept here with
// the service until tests/storage/key_codec_test.cc takes them.
TEST(EscKeysTest, RoundTripsAndOrder) {
  namespace keys = storage::esckeys;
  EXPECT_EQ(keys::IdOfRecord(keys::Policy("p-1")), "p-1");
  EXPECT_EQ(keys::IdOfRecord(keys::Escalation(std::string("a\0b", 3))), std::string("a\0b", 3));
  EXPECT_EQ(keys::SequenceOfChange(keys::Change(42)), 42u);
  EXPECT_LT(keys::Change(255), keys::Change(256));
  EXPECT_EQ(keys::DecodeSequence(keys::EncodeSequence(7)), 7u);
  auto by_create = keys::DecodeByCreate(keys::ByCreate(kT0, "e1"));
  ASSERT_TRUE(by_create.has_value());
  EXPECT_EQ(by_create->create_time, kT0);
  EXPECT_EQ(by_create->escalation_id, "e1");
  EXPECT_LT(keys::ByCreate(kT0 + absl::Seconds(1), "z"),
            keys::ByCreate(kT0, "a"));  // Newest first.
  EXPECT_EQ(keys::EscalationFromOpen(keys::OpenByRelationship("acme", "e1")), "e1");
  EXPECT_TRUE(absl::StartsWith(keys::OpenByRelationship("acme", "e1"),
                               keys::OpenByRelationshipPrefix("acme")));
  EXPECT_FALSE(absl::StartsWith(keys::OpenByRelationship("acme2", "e1"),
                                keys::OpenByRelationshipPrefix("acme")));
  EXPECT_TRUE(
      absl::StartsWith(keys::OpenByRelationship("acme", "e1"), keys::OpenEscalationsPrefix()));
  EXPECT_TRUE(absl::StartsWith(keys::OpenByRelationshipPrefix(""), keys::OpenEscalationsPrefix()));
  auto count = keys::DecodeOpenCount(keys::OpenCount(1, 2, 3));
  ASSERT_TRUE(count.has_value());
  EXPECT_EQ(count->state, 1u);
  EXPECT_EQ(count->level, 2u);
  EXPECT_EQ(count->severity, 3u);
  EXPECT_FALSE(keys::DecodeOpenCount("eg").has_value());
}

// ------------------------------------------------------------------ policies

TEST_F(EscalationsTest, PolicyValidationNamesTheField) {
  EXPECT_THAT(CreatePolicyWith("p", Policy({}, 0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("policy.levels")));
  EXPECT_THAT(CreatePolicyWith("p",
                               [] {
                                 auto p = Policy({{"a", 10}}, 0);
                                 *p.mutable_levels(0)->mutable_ack_wait() =
                                     ToProtoDuration(absl::Seconds(30));
                                 return p;
                               }()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("policy.levels[0].ack_wait")));
  EXPECT_THAT(CreatePolicyWith("p", Policy({{"a", 10}, {"b", 8 * 24 * 60}}, 0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("policy.levels[1].ack_wait")));
  EXPECT_THAT(CreatePolicyWith("p", Policy({{"a", 10}, {"a", 20}}, 0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("policy.levels[1].name")));
  EXPECT_THAT(CreatePolicyWith("p", Policy({{"a", 10}}, -1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("policy.repeat")));
  EXPECT_THAT(CreatePolicyWith("p",
                               [] {
                                 auto p = Policy({{"a", 10}}, 0);
                                 *p.mutable_retrigger_after() = ToProtoDuration(absl::Seconds(10));
                                 return p;
                               }()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("policy.retrigger_after")));
  // No cap on repeats.
  EXPECT_OK(CreatePolicyWith("many", Policy({{"a", 1}}, 1000000)).status());
  EXPECT_THAT(CreatePolicyWith("many", Policy({{"a", 1}}, 0)),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(EscalationsTest, PolicyCrud) {
  grpc::ClientContext get_ctx;
  v1::GetEscalationPolicyRequest get;
  get.set_name("escalation_policies/oncall");
  v1::EscalationPolicy p;
  ASSERT_OK(stub_->GetEscalationPolicy(&get_ctx, get, &p));
  EXPECT_EQ(p.levels_size(), 3);

  v1::UpdateEscalationPolicyRequest update;
  *update.mutable_policy() = p;
  update.mutable_policy()->set_display_name("Renamed");
  update.mutable_policy()->set_etag("99");
  update.mutable_update_mask()->add_paths("display_name");
  grpc::ClientContext stale_ctx;
  v1::EscalationPolicy updated;
  EXPECT_THAT(stub_->UpdateEscalationPolicy(&stale_ctx, update, &updated),
              StatusIs(grpc::StatusCode::ABORTED));
  update.mutable_policy()->set_etag(p.etag());
  grpc::ClientContext update_ctx;
  ASSERT_OK(stub_->UpdateEscalationPolicy(&update_ctx, update, &updated));
  EXPECT_EQ(updated.display_name(), "Renamed");

  CreatePolicy("second", {{"x", 5}}, 0);
  v1::ListEscalationPoliciesRequest list;
  list.set_page_size(1);
  std::vector<std::string> names;
  do {
    grpc::ClientContext ctx;
    v1::ListEscalationPoliciesResponse page;
    ASSERT_OK(stub_->ListEscalationPolicies(&ctx, list, &page));
    for (const auto& q : page.policies()) names.push_back(q.name());
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  EXPECT_THAT(names, ElementsAre("escalation_policies/oncall", "escalation_policies/second"));

  grpc::ClientContext del_ctx;
  v1::DeleteEscalationPolicyRequest del;
  del.set_name("escalation_policies/second");
  google::protobuf::Empty empty;
  ASSERT_OK(stub_->DeleteEscalationPolicy(&del_ctx, del, &empty));
  grpc::ClientContext gone_ctx;
  get.set_name("escalation_policies/second");
  EXPECT_THAT(stub_->GetEscalationPolicy(&gone_ctx, get, &p),
              StatusIs(grpc::StatusCode::NOT_FOUND));
}

// --------------------------------------------------------------- escalations

TEST_F(EscalationsTest, CreateValidationNamesTheField) {
  v1::CreateEscalationRequest r;
  auto* e = r.mutable_escalation();
  EXPECT_THAT(Do(&Stub::CreateEscalation, r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("escalation.relationship")));
  e->set_relationship("relationships/acme");
  EXPECT_THAT(Do(&Stub::CreateEscalation, r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("escalation.title")));
  e->set_title("t");
  EXPECT_THAT(Do(&Stub::CreateEscalation, r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("escalation.severity")));
  e->set_severity(v1::SEV1);
  EXPECT_THAT(Do(&Stub::CreateEscalation, r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("escalation.policy")));
  e->set_policy("escalation_policies/nope");
  EXPECT_THAT(Do(&Stub::CreateEscalation, r),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("escalation.policy")));
  e->set_policy("escalation_policies/oncall");
  ASSERT_OK_AND_ASSIGN(Esc created, Do(&Stub::CreateEscalation, r));
  EXPECT_EQ(created.state(), Esc::OPEN);
  EXPECT_EQ(created.source(), Esc::MANUAL);
  EXPECT_EQ(created.level_name(), "l1");
  EXPECT_EQ(FromProtoTime(created.next_escalation_time()), kT0 + absl::Minutes(10));
  ASSERT_EQ(created.timeline_size(), 1);
  EXPECT_EQ(created.timeline(0).actor(), "anonymous");
  EXPECT_EQ(created.timeline(0).action(), Action::OPENED);

  v1::HoldEscalationRequest hold;
  hold.set_name(created.name());
  EXPECT_THAT(Do(&Stub::HoldEscalation, hold),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")));
}

TEST_F(EscalationsTest, LegalPathsWriteTheTimeline) {
  ASSERT_OK(Create("e1").status());
  ASSERT_OK(Op("ack", "e1").status());
  ASSERT_OK(Op("hold", "e1").status());
  ASSERT_OK_AND_ASSIGN(Esc resumed, Op("resume", "e1"));
  EXPECT_EQ(resumed.state(), Esc::ACKNOWLEDGED);
  ASSERT_OK(Op("escalate", "e1", 0).status());
  ASSERT_OK(Op("ack", "e1").status());
  ASSERT_OK(Op("reassign", "e1").status());
  ASSERT_OK(Op("resolve", "e1").status());
  ASSERT_OK(Op("reopen", "e1").status());
  ASSERT_OK(Op("ack", "e1").status());
  ASSERT_OK(Op("resolve", "e1").status());
  ASSERT_OK(Op("note", "e1").status());
  ASSERT_OK_AND_ASSIGN(Esc closed, Op("close", "e1"));
  EXPECT_EQ(closed.state(), Esc::CLOSED);
  EXPECT_EQ(closed.assignee(), "jane");
  EXPECT_EQ(closed.level(), 1);
  EXPECT_THAT(Actions(closed),
              ElementsAre(Action::OPENED, Action::ACKNOWLEDGED, Action::HELD, Action::RESUMED,
                          Action::ESCALATED, Action::ACKNOWLEDGED, Action::REASSIGNED,
                          Action::RESOLVED, Action::REOPENED, Action::ACKNOWLEDGED,
                          Action::RESOLVED, Action::NOTE_ADDED, Action::CLOSED));
  for (int i = 0; i < closed.timeline_size(); ++i) {
    EXPECT_EQ(closed.timeline(i).sequence(), i + 1);
    if (i > 0) {
      EXPECT_EQ(closed.timeline(i).state_before(), closed.timeline(i - 1).state_after());
      EXPECT_EQ(closed.timeline(i).level_before(), closed.timeline(i - 1).level_after());
    }
  }
  EXPECT_EQ(closed.timeline(4).level_before(), 0);
  EXPECT_EQ(closed.timeline(4).level_after(), 1);

  ASSERT_OK(Create("e2").status());
  ASSERT_OK_AND_ASSIGN(Esc cancelled, Op("cancel", "e2"));
  EXPECT_EQ(cancelled.state(), Esc::CANCELLED);
  ASSERT_OK(Op("note", "e2").status());
}

TEST_F(EscalationsTest, EveryIllegalTransitionNamesTheState) {
  const std::vector<std::string> ops = {"ack",    "escalate", "reassign", "note",  "hold",
                                        "resume", "resolve",  "reopen",   "close", "cancel"};
  // How to reach each state, and what it allows.
  struct Case {
    Esc::State state;
    std::vector<std::string> path;
    std::set<std::string> allowed;
  };
  const std::vector<Case> cases = {
      {Esc::OPEN, {}, {"ack", "escalate", "reassign", "note", "hold", "cancel"}},
      {Esc::ACKNOWLEDGED, {"ack"}, {"escalate", "reassign", "note", "hold", "resolve", "cancel"}},
      {Esc::ON_HOLD, {"hold"}, {"reassign", "note", "resume"}},
      {Esc::RESOLVED, {"ack", "resolve"}, {"note", "reopen", "close"}},
      {Esc::CLOSED, {"ack", "resolve", "close"}, {"note"}},
      {Esc::CANCELLED, {"cancel"}, {"note"}},
  };
  int n = 0;
  for (const auto& c : cases) {
    for (const auto& op : ops) {
      const std::string id = "t" + std::to_string(n++);
      ASSERT_OK(Create(id).status());
      for (const auto& step : c.path) ASSERT_OK(Op(step, id).status()) << step;
      auto result = Op(op, id);
      SCOPED_TRACE(Esc::State_Name(c.state) + " " + op);
      if (c.allowed.count(op) > 0) {
        EXPECT_OK(result.status());
      } else {
        EXPECT_THAT(result, StatusIs(absl::StatusCode::kFailedPrecondition,
                                     HasSubstr(Esc::State_Name(c.state))));
        ASSERT_OK_AND_ASSIGN(Esc unchanged, Get(id));
        EXPECT_EQ(unchanged.state(), c.state);
      }
    }
  }
}

TEST_F(EscalationsTest, ConcurrentEscalateWithTheSameSeenLevelOnlyOneWins) {
  for (int round = 0; round < 10; ++round) {
    const std::string id = "c" + std::to_string(round);
    ASSERT_OK(Create(id).status());
    std::atomic<int> ready{0};
    absl::StatusOr<Esc> results[2];
    auto run = [&](int i) {
      v1::EscalateEscalationRequest r;
      r.set_name("escalations/" + id);
      r.set_seen_level(0);
      ++ready;
      while (ready.load() < 2) {
      }
      results[i] = Await<Esc>([&](Callback<Esc> done) {
        domain_->Escalate(r, i == 0 ? "alice" : "bob", std::move(done));
      });
    };
    std::thread a(run, 0), b(run, 1);
    a.join();
    b.join();
    const int winner = results[0].ok() ? 0 : 1;
    ASSERT_OK(results[winner].status());
    EXPECT_THAT(results[1 - winner], StatusIs(absl::StatusCode::kFailedPrecondition,
                                              HasSubstr(winner == 0 ? "alice moved it to level 1"
                                                                    : "bob moved it to level 1")));
    ASSERT_OK_AND_ASSIGN(Esc e, Get(id));
    EXPECT_EQ(e.level(), 1);
    EXPECT_EQ(e.timeline_size(), 2);
  }
}

TEST_F(EscalationsTest, ALevelNeverReachedIsRefusedSayingWhereItIs) {
  ASSERT_OK(Create("e").status());
  EXPECT_THAT(Op("escalate", "e", 2),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("escalations/e is not at level 2: it has been at level 0 (l1) "
                                 "since anonymous opened it at 2026-11-02T08:00:00+00:00")));
}

TEST_F(EscalationsTest, ServicesAndAgreementsMustBeInTheCatalogAndWatchersListedOnce) {
  domain_->SetCatalogCheck([](absl::string_view field, absl::string_view service,
                              absl::string_view agreement) -> absl::Status {
    if (!service.empty() && service != "services/email") {
      return absl::NotFoundError(absl::StrCat(field, ".service ", service, " does not exist"));
    }
    if (!agreement.empty() && agreement != "agreements/gold") {
      return absl::NotFoundError(absl::StrCat(field, ".agreement ", agreement, " does not exist"));
    }
    return absl::OkStatus();
  });
  v1::CreateEscalationRequest r;
  r.set_escalation_id("x");
  auto* e = r.mutable_escalation();
  e->set_relationship("relationships/acme");
  e->set_title("t");
  e->set_severity(v1::SEV2);
  e->set_policy("escalation_policies/oncall");
  e->set_service("services/nope");
  EXPECT_THAT(Do(&Stub::CreateEscalation, r),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("escalation.service services/nope")));
  e->set_service("services/email");
  e->set_agreement("agreements/none");
  EXPECT_THAT(Do(&Stub::CreateEscalation, r),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("escalation.agreement agreements/none")));
  e->set_agreement("agreements/gold");
  e->add_watchers("ann");
  e->add_watchers("bob");
  e->add_watchers("ann");
  EXPECT_THAT(Do(&Stub::CreateEscalation, r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("escalation.watchers[2] repeats 'ann'")));
  EXPECT_THAT(Get("x"), StatusIs(absl::StatusCode::kNotFound));
  e->mutable_watchers()->RemoveLast();
  ASSERT_OK(Do(&Stub::CreateEscalation, r).status());
}

TEST_F(EscalationsTest, EscalatePastTheLastLevelIsRefused) {
  ASSERT_OK(Create("e").status());
  ASSERT_OK(Op("escalate", "e", 0).status());
  ASSERT_OK(Op("escalate", "e", 1).status());
  EXPECT_THAT(Op("escalate", "e", 2),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("last level")));
}

// ------------------------------------------------------- automatic escalation

TEST_F(EscalationsTest, AutomaticEscalationRepeatsThenExhausts) {
  ASSERT_OK(Create("e").status());
  EXPECT_EQ(Fire(), 0);
  clock_.Advance(absl::Minutes(10));
  EXPECT_EQ(Fire(), 1);
  EXPECT_EQ(Fire(), 0);  // Exactly once.
  ASSERT_OK_AND_ASSIGN(Esc e, Get("e"));
  EXPECT_EQ(e.level(), 1);
  EXPECT_EQ(e.state(), Esc::OPEN);
  EXPECT_EQ(e.timeline(1).actor(), "system");
  EXPECT_EQ(e.timeline(1).action(), Action::AUTO_ESCALATED);
  clock_.Advance(absl::Minutes(20));
  EXPECT_EQ(Fire(), 1);
  clock_.Advance(absl::Minutes(30));
  EXPECT_EQ(Fire(), 1);
  ASSERT_OK_AND_ASSIGN(e, Get("e"));
  EXPECT_EQ(e.level(), 0);
  EXPECT_EQ(e.repeat_count(), 1);
  for (int minutes : {10, 20, 30}) {
    clock_.Advance(absl::Minutes(minutes));
    EXPECT_EQ(Fire(), 1);
  }
  ASSERT_OK_AND_ASSIGN(e, Get("e"));
  EXPECT_TRUE(e.exhausted());
  EXPECT_EQ(e.level(), 2);
  EXPECT_EQ(e.state(), Esc::OPEN);
  EXPECT_FALSE(e.has_next_escalation_time());
  EXPECT_THAT(
      Actions(e),
      ElementsAre(Action::OPENED, Action::AUTO_ESCALATED, Action::AUTO_ESCALATED, Action::REPEATED,
                  Action::AUTO_ESCALATED, Action::AUTO_ESCALATED, Action::EXHAUSTED));
  clock_.Advance(absl::Hours(24));
  EXPECT_EQ(Fire(), 0);
  ASSERT_OK_AND_ASSIGN(auto next, scheduler_->NextDue());
  EXPECT_FALSE(next.has_value());
}

TEST_F(EscalationsTest, AutomaticEscalationFiresWhenTheClockHasNanoseconds) {
  // A real clock reads nanoseconds; the schedule keeps microseconds.
  clock_.Advance(absl::Nanoseconds(123));
  ASSERT_OK(Create("e").status());
  clock_.Advance(absl::Minutes(10));
  EXPECT_EQ(Fire(), 1);
  ASSERT_OK_AND_ASSIGN(Esc e, Get("e"));
  EXPECT_EQ(e.level(), 1);
  EXPECT_EQ(e.timeline(1).action(), Action::AUTO_ESCALATED);
  ASSERT_OK(Op("ack", "e").status());
  ASSERT_OK_AND_ASSIGN(e, Get("e"));
  EXPECT_EQ(e.state(), Esc::ACKNOWLEDGED);
}

TEST_F(EscalationsTest, AReopenedExhaustedEscalationWaitsAndMovesAgain) {
  ASSERT_OK(Create("e").status());
  // l1 10 min, l2 20, l3 30, one repeat: exhausted after two walks.
  for (int minutes : {10, 20, 30, 10, 20, 30}) {
    clock_.Advance(absl::Minutes(minutes));
    EXPECT_EQ(Fire(), 1);
  }
  ASSERT_OK_AND_ASSIGN(Esc e, Get("e"));
  ASSERT_TRUE(e.exhausted());
  ASSERT_OK(Op("ack", "e", 2).status());
  ASSERT_OK(Op("resolve", "e", 2).status());
  ASSERT_OK_AND_ASSIGN(e, Op("reopen", "e", 2));
  EXPECT_EQ(e.state(), Esc::OPEN);
  EXPECT_FALSE(e.exhausted());
  EXPECT_EQ(e.repeat_count(), 0);
  EXPECT_EQ(FromProtoTime(e.next_escalation_time()), clock_.Now() + absl::Minutes(30));
  clock_.Advance(absl::Minutes(30));
  EXPECT_EQ(Fire(), 1);
  ASSERT_OK_AND_ASSIGN(e, Get("e"));
  EXPECT_EQ(e.level(), 0);
  EXPECT_EQ(e.repeat_count(), 1);
  EXPECT_EQ(e.timeline(e.timeline_size() - 1).action(), Action::REPEATED);
}

TEST_F(EscalationsTest, AutomaticStepsAreCountedOnceTheyAreWritten) {
  std::vector<Action::Action> counted;
  Escalations::Observer observer;
  observer.auto_change = [&counted](Action::Action action) { counted.push_back(action); };
  domain_->SetObserver(std::move(observer));
  ASSERT_OK(Create("e").status());
  clock_.Advance(absl::Minutes(10));
  EXPECT_EQ(Fire(), 1);
  EXPECT_THAT(counted, ElementsAre(Action::AUTO_ESCALATED));
  // (That a rerun body or a failed firing counts nothing is the scheduler's
  // AfterCommit contract: SchedulerTest.EffectsRunOnlyAfterTheFiringCommits.)
  clock_.Advance(absl::Minutes(20));
  EXPECT_EQ(Fire(), 1);
  EXPECT_THAT(counted, ElementsAre(Action::AUTO_ESCALATED, Action::AUTO_ESCALATED));
}

TEST_F(EscalationsTest, AnOpeningIsCountedOnlyByTheRunOfTheWriteThatCommits) {
  int opened = 0;
  Escalations::Observer observer;
  observer.opened = [&opened](Esc::Source, v1::Severity) { ++opened; };
  domain_->SetObserver(std::move(observer));
  domain_->SetDefaultPolicy("escalation_policies/oncall");
  OpenRequest open;
  open.source = Esc::COMPLAINT;
  open.relationship = "relationships/acme";
  open.title = "Complaint";
  open.severity = v1::SEV3;

  // The caller's write fails after asking: nothing is open, nothing counted.
  open.source_key = "complaint|1";
  EXPECT_THAT(store_->TransactSync([&](storage::Txn& txn) -> absl::Status {
    RETURN_IF_ERROR(domain_->OpenInTxn(txn, open, kT0));
    return absl::InvalidArgumentError("the caller's own field");
  }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(opened, 0);

  // Its first run conflicts and the body runs again: counted once.
  open.source_key = "complaint|2";
  int runs = 0;
  ASSERT_OK(store_->TransactSync([&](storage::Txn& txn) -> absl::Status {
    ++runs;
    RETURN_IF_ERROR(txn.Get(storage::Cf::kIndex, "callers-record").status());
    RETURN_IF_ERROR(domain_->OpenInTxn(txn, open, kT0));
    if (runs == 1) {
      storage::WriteBatch meanwhile;
      meanwhile.Put(storage::Cf::kIndex, "callers-record", "changed");
      RETURN_IF_ERROR(store_->CommitSync(std::move(meanwhile)));
    }
    return absl::OkStatus();
  }));
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(opened, 1);
  ASSERT_OK(Get(Escalations::IdForSource(open.source_key)).status());
}

TEST_F(EscalationsTest, AnEscalationWhoseRelationshipWasDeletedCannotBeReopened) {
  std::atomic<bool> deleted{false};
  domain_->SetRelationshipAdmission(
      [&deleted](storage::Txn&, absl::string_view field, absl::string_view id) -> absl::Status {
        if (deleted) return absl::NotFoundError(absl::StrCat(field, " relationships/", id));
        return absl::OkStatus();
      });
  ASSERT_OK(Create("e").status());
  ASSERT_OK(Op("ack", "e").status());
  ASSERT_OK(Op("resolve", "e").status());
  deleted = true;
  EXPECT_THAT(Op("reopen", "e"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("relationship relationships/acme was deleted")));
  ASSERT_OK_AND_ASSIGN(Esc e, Get("e"));
  EXPECT_EQ(e.state(), Esc::RESOLVED);
}

TEST_F(EscalationsTest, AcknowledgedEscalationDoesNotMove) {
  ASSERT_OK(Create("e").status());
  ASSERT_OK(Op("ack", "e").status());
  clock_.Advance(absl::Hours(5));
  EXPECT_EQ(Fire(), 0);
  ASSERT_OK_AND_ASSIGN(Esc e, Get("e"));
  EXPECT_EQ(e.level(), 0);
}

TEST_F(EscalationsTest, OverdueWaitsFireAtOnceAfterARestart) {
  ASSERT_OK(Create("e").status());
  Close();
  clock_.Advance(absl::Minutes(15));
  Open();
  EXPECT_EQ(Fire(), 1);
  ASSERT_OK_AND_ASSIGN(Esc e, Get("e"));
  EXPECT_EQ(e.level(), 1);
  EXPECT_EQ(FromProtoTime(e.next_escalation_time()), kT0 + absl::Minutes(15 + 20));
}

TEST_F(EscalationsTest, HoldStopsTheClockAndResumeContinuesIt) {
  ASSERT_OK(Create("e").status());
  clock_.Advance(absl::Minutes(4));
  ASSERT_OK_AND_ASSIGN(Esc held, Op("hold", "e"));
  EXPECT_EQ(FromProtoDuration(held.held_remaining()), absl::Minutes(6));
  clock_.Advance(absl::Hours(3));
  EXPECT_EQ(Fire(), 0);
  ASSERT_OK_AND_ASSIGN(Esc resumed, Op("resume", "e"));
  EXPECT_EQ(FromProtoTime(resumed.next_escalation_time()), clock_.Now() + absl::Minutes(6));
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(Fire(), 0);
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(Fire(), 1);
  ASSERT_OK_AND_ASSIGN(Esc e, Get("e"));
  EXPECT_EQ(e.level(), 1);
}

TEST_F(EscalationsTest, TimeOnHoldIsKeptAndLeftOutOfTheTimesToAcknowledgeAndResolve) {
  std::vector<double> acknowledged, resolved;
  Escalations::Observer observer;
  observer.acknowledged = [&](double seconds) { acknowledged.push_back(seconds); };
  observer.resolved = [&](double seconds) { resolved.push_back(seconds); };
  domain_->SetObserver(std::move(observer));
  ASSERT_OK(Create("e").status());
  clock_.Advance(absl::Minutes(4));
  ASSERT_OK(Op("hold", "e").status());
  clock_.Advance(absl::Hours(3));
  ASSERT_OK_AND_ASSIGN(Esc e, Op("resume", "e"));
  EXPECT_EQ(FromProtoDuration(e.held_duration()), absl::Hours(3));
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK(Op("ack", "e").status());
  clock_.Advance(absl::Minutes(10));
  ASSERT_OK(Op("hold", "e").status());
  clock_.Advance(absl::Hours(2));
  ASSERT_OK_AND_ASSIGN(e, Op("resume", "e"));
  EXPECT_EQ(FromProtoDuration(e.held_duration()), absl::Hours(5));
  clock_.Advance(absl::Minutes(5));
  ASSERT_OK(Op("resolve", "e").status());
  // Acknowledged 5 minutes of running clock after it was opened; resolved
  // 5 + 10 + 5 = 20.
  EXPECT_THAT(acknowledged, ElementsAre(5 * 60.0));
  EXPECT_THAT(resolved, ElementsAre(20 * 60.0));
}

// Business hours 09:00-17:00 UTC every day, the arithmetic done the slow way.
Escalations::BusinessHours OfficeHours() {
  const auto open_of = [](absl::Time t) {
    const absl::CivilDay day = absl::ToCivilDay(t, absl::UTCTimeZone());
    return absl::FromCivil(day, absl::UTCTimeZone()) + absl::Hours(9);
  };
  Escalations::BusinessHours hours;
  hours.check = [](absl::string_view field, absl::string_view calendar) {
    return calendar == "calendars/office"
               ? absl::OkStatus()
               : absl::NotFoundError(absl::StrCat(field, " ", calendar, " does not exist"));
  };
  hours.add = [open_of](absl::string_view calendar, absl::Time t,
                        absl::Duration left) -> absl::StatusOr<absl::Time> {
    if (calendar != "calendars/office") return absl::NotFoundError("gone");
    for (;;) {
      const absl::Time open = open_of(t), close = open + absl::Hours(8);
      if (t < open) t = open;
      if (t >= close) {
        t = open + absl::Hours(24);
        continue;
      }
      if (left <= close - t) return t + left;
      left -= close - t;
      t = open + absl::Hours(24);
    }
  };
  hours.between = [open_of](absl::string_view, absl::Time from,
                            absl::Time to) -> absl::StatusOr<absl::Duration> {
    absl::Duration total;
    for (absl::Time open = open_of(from) - absl::Hours(24); open < to; open += absl::Hours(24)) {
      const absl::Time a = std::max(open, from), b = std::min(open + absl::Hours(8), to);
      if (b > a) total += b - a;
    }
    return total;
  };
  return hours;
}

TEST_F(EscalationsTest, WaitsOfAPolicyWithACalendarCountItsBusinessHours) {
  domain_->SetBusinessHours(OfficeHours());
  auto p = Policy({{"desk", 10}, {"manager", 20}}, 0);
  p.set_calendar("calendars/elsewhere");
  EXPECT_THAT(CreatePolicyWith("office", p).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("policy.calendar")));
  p.set_calendar("calendars/office");
  *p.mutable_retrigger_after() = ToProtoDuration(absl::Hours(4));
  ASSERT_OK(CreatePolicyWith("office", p).status());

  // Created at 08:00, before hours: the 10 minutes start at 09:00.
  ASSERT_OK_AND_ASSIGN(Esc e, Create("e", v1::SEV2, "", "office"));
  EXPECT_EQ(FromProtoTime(e.next_escalation_time()), kT0 + absl::Minutes(70));
  clock_.Advance(absl::Minutes(69));
  EXPECT_EQ(Fire(), 0);
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(Fire(), 1);
  ASSERT_OK_AND_ASSIGN(e, Get("e"));
  EXPECT_EQ(e.level_name(), "manager");
  EXPECT_EQ(FromProtoTime(e.next_escalation_time()), clock_.Now() + absl::Minutes(20));

  // Held at 09:20 with 10 business minutes left; resumed at 16:55, so 5 of
  // them run today and 5 tomorrow from 09:00.
  clock_.Set(kT0 + absl::Minutes(80));
  ASSERT_OK_AND_ASSIGN(e, Op("hold", "e"));
  EXPECT_EQ(FromProtoDuration(e.held_remaining()), absl::Minutes(10));
  clock_.Set(kT0 + absl::Hours(8) + absl::Minutes(55));
  ASSERT_OK_AND_ASSIGN(e, Op("resume", "e"));
  const absl::Time tuesday_0905 = kT0 + absl::Hours(25) + absl::Minutes(5);
  EXPECT_EQ(FromProtoTime(e.next_escalation_time()), tuesday_0905);
  clock_.Set(tuesday_0905 - absl::Minutes(1));
  EXPECT_EQ(Fire(), 0);
  clock_.Set(tuesday_0905);
  EXPECT_EQ(Fire(), 1);
  ASSERT_OK_AND_ASSIGN(e, Get("e"));
  EXPECT_TRUE(e.exhausted());

  // Acknowledged Tuesday 16:00: 4 business hours to re-trigger are 1 on
  // Tuesday and 3 on Wednesday.
  ASSERT_OK(Create("f", v1::SEV2, "", "office").status());
  clock_.Set(kT0 + absl::Hours(24 + 8));
  ASSERT_OK_AND_ASSIGN(Esc f, Op("ack", "f"));
  EXPECT_EQ(FromProtoTime(f.retrigger_time()), kT0 + absl::Hours(48 + 4));
}

TEST_F(EscalationsTest, AcknowledgedButUnresolvedRetriggers) {
  auto p = Policy({{"a", 10}, {"b", 10}}, 0);
  *p.mutable_retrigger_after() = ToProtoDuration(absl::Minutes(30));
  ASSERT_OK(CreatePolicyWith("retrigger", p).status());
  ASSERT_OK(Create("e", v1::SEV1, "", "retrigger").status());
  ASSERT_OK(Op("ack", "e").status());
  clock_.Advance(absl::Minutes(30));
  EXPECT_EQ(Fire(), 1);
  ASSERT_OK_AND_ASSIGN(Esc e, Get("e"));
  EXPECT_EQ(e.state(), Esc::OPEN);
  EXPECT_EQ(e.timeline().rbegin()->action(), Action::RETRIGGERED);
  EXPECT_EQ(FromProtoTime(e.next_escalation_time()), clock_.Now() + absl::Minutes(10));
}

TEST_F(EscalationsTest, PolicyEditDoesNotChangeARunningEscalation) {
  ASSERT_OK(Create("e").status());
  v1::UpdateEscalationPolicyRequest update;
  *update.mutable_policy() = Policy({{"only", 120}}, 0);
  update.mutable_policy()->set_name("escalation_policies/oncall");
  update.mutable_update_mask()->add_paths("levels");
  update.mutable_update_mask()->add_paths("repeat");
  grpc::ClientContext ctx;
  v1::EscalationPolicy updated;
  ASSERT_OK(stub_->UpdateEscalationPolicy(&ctx, update, &updated));
  clock_.Advance(absl::Minutes(10));
  EXPECT_EQ(Fire(), 1);
  ASSERT_OK_AND_ASSIGN(Esc e, Get("e"));
  EXPECT_EQ(e.policy_snapshot().levels_size(), 3);
  EXPECT_EQ(e.level_name(), "l2");
  // A new one takes the new policy.
  ASSERT_OK_AND_ASSIGN(Esc fresh, Create("f"));
  EXPECT_EQ(fresh.level_name(), "only");
}

TEST_F(EscalationsTest, ReassignToAnotherPolicyStartsAtItsFirstLevel) {
  CreatePolicy("mgmt", {{"manager", 60}, {"director", 60}}, 0);
  ASSERT_OK(Create("e").status());
  ASSERT_OK(Op("escalate", "e", 0).status());
  v1::ReassignEscalationRequest r;
  r.set_name("escalations/e");
  r.set_policy("escalation_policies/mgmt");
  ASSERT_OK_AND_ASSIGN(Esc e, Do(&Stub::ReassignEscalation, r));
  EXPECT_EQ(e.policy(), "escalation_policies/mgmt");
  EXPECT_EQ(e.level(), 0);
  EXPECT_EQ(e.level_name(), "manager");
  EXPECT_EQ(e.state(), Esc::OPEN);
  // The old wait no longer fires; the new one does.
  clock_.Advance(absl::Minutes(20));
  EXPECT_EQ(Fire(), 0);
  clock_.Advance(absl::Minutes(40));
  EXPECT_EQ(Fire(), 1);
  ASSERT_OK_AND_ASSIGN(e, Get("e"));
  EXPECT_EQ(e.level_name(), "director");
}

// ------------------------------------------------------- request_id and etag

TEST_F(EscalationsTest, RequestIdRetriesApplyOnceAndEtagsGuardUpdates) {
  ASSERT_OK_AND_ASSIGN(Esc first, Create("", v1::SEV2, "req-1"));
  ASSERT_OK_AND_ASSIGN(Esc again, Create("", v1::SEV2, "req-1"));
  EXPECT_EQ(first.name(), again.name());
  v1::ListEscalationsRequest list;
  grpc::ClientContext ctx;
  v1::ListEscalationsResponse listed;
  ASSERT_OK(stub_->ListEscalations(&ctx, list, &listed));
  EXPECT_EQ(listed.escalations_size(), 1);

  v1::AcknowledgeEscalationRequest ack;
  ack.set_name(first.name());
  ack.set_request_id("ack-1");
  ack.set_etag(first.etag());
  ASSERT_OK_AND_ASSIGN(Esc acked, Do(&Stub::AcknowledgeEscalation, ack));
  ASSERT_OK_AND_ASSIGN(Esc acked_again,
                       Do(&Stub::AcknowledgeEscalation, ack));  // Stale etag, but a retry.
  EXPECT_EQ(acked.etag(), acked_again.etag());
  ASSERT_OK_AND_ASSIGN(Esc e, Get(first.name().substr(first.name().find('/') + 1)));
  EXPECT_EQ(e.timeline_size(), 2);

  // The same request_id for another escalation is refused: that one is not
  // acknowledged by a replay of the first one's answer.
  ASSERT_OK_AND_ASSIGN(Esc second, Create("second"));
  ack.set_name(second.name());
  ack.clear_etag();
  EXPECT_THAT(Do(&Stub::AcknowledgeEscalation, ack),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("request_id \"ack-1\"")));
  ASSERT_OK_AND_ASSIGN(second, Get("second"));
  EXPECT_EQ(second.state(), Esc::OPEN);

  v1::AddEscalationNoteRequest note;
  note.set_name(first.name());
  note.set_note("x");
  note.set_etag(first.etag());
  EXPECT_THAT(Do(&Stub::AddEscalationNote, note), StatusIs(absl::StatusCode::kAborted));
  note.set_etag(e.etag());
  EXPECT_OK(Do(&Stub::AddEscalationNote, note).status());
}

// --------------------------------------------------------------------- List

TEST_F(EscalationsTest, ListFiltersAndPages) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(Create("l" + std::to_string(i), i % 2 == 0 ? v1::SEV1 : v1::SEV3).status());
    clock_.Advance(absl::Seconds(1));
  }
  ASSERT_OK(Op("ack", "l0").status());
  v1::ListEscalationsRequest r;
  r.set_severity(v1::SEV1);
  r.set_page_size(2);
  std::vector<std::string> names;
  std::string token;
  do {
    r.set_page_token(token);
    grpc::ClientContext ctx;
    v1::ListEscalationsResponse page;
    ASSERT_OK(stub_->ListEscalations(&ctx, r, &page));
    for (const auto& e : page.escalations()) names.push_back(e.name());
    token = page.next_page_token();
  } while (!token.empty());
  EXPECT_THAT(names, ElementsAre("escalations/l4", "escalations/l2", "escalations/l0"));

  v1::ListEscalationsRequest by_state;
  by_state.set_state(Esc::ACKNOWLEDGED);
  by_state.set_relationship("relationships/acme");
  grpc::ClientContext ctx;
  v1::ListEscalationsResponse acked;
  ASSERT_OK(stub_->ListEscalations(&ctx, by_state, &acked));
  ASSERT_EQ(acked.escalations_size(), 1);
  EXPECT_EQ(acked.escalations(0).name(), "escalations/l0");

  v1::ListEscalationsRequest window;
  *window.mutable_create_time_from() = ToProtoTime(kT0 + absl::Seconds(1));
  *window.mutable_create_time_to() = ToProtoTime(kT0 + absl::Seconds(3));
  grpc::ClientContext wctx;
  v1::ListEscalationsResponse in_window;
  ASSERT_OK(stub_->ListEscalations(&wctx, window, &in_window));
  ASSERT_EQ(in_window.escalations_size(), 2);
  EXPECT_EQ(in_window.escalations(0).name(), "escalations/l2");

  // A token is bound to its filter.
  r.set_page_token("");
  grpc::ClientContext first_ctx;
  v1::ListEscalationsResponse first;
  ASSERT_OK(stub_->ListEscalations(&first_ctx, r, &first));
  r.set_page_token(first.next_page_token());
  r.set_severity(v1::SEV3);
  grpc::ClientContext bad_ctx;
  v1::ListEscalationsResponse bad;
  EXPECT_THAT(stub_->ListEscalations(&bad_ctx, r, &bad),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("page_token")));
}

// -------------------------------------------------------- other services' API

TEST_F(EscalationsTest, ABreachAfterTheWarningsEscalationWasResolvedOpensAnother) {
  domain_->SetDefaultPolicy("escalation_policies/oncall");
  OpenRequest open;
  open.source_key = "sla|tickets/42|agreements/gold|RESOLUTION|1";
  open.source = Esc::SLA_WARNING;
  open.relationship = "relationships/acme";
  open.ticket = "tickets/42";
  open.title = "RESOLUTION at 75% on tickets/42";
  open.severity = v1::SEV3;
  auto run = [&](const OpenRequest& r) {
    return store_->TransactSync([&](storage::Txn& txn) { return domain_->OpenInTxn(txn, r, kT0); });
  };
  ASSERT_OK(run(open));
  const std::string warned = Escalations::IdForSource(open.source_key);
  ASSERT_OK(Op("ack", warned).status());
  ASSERT_OK(Op("resolve", warned).status());
  OpenRequest breach = open;
  breach.source = Esc::SLA_BREACH;
  breach.title = "RESOLUTION breached on tickets/42";
  breach.severity = v1::SEV2;
  ASSERT_OK(run(breach));
  ASSERT_OK(run(breach));  // Once.
  ASSERT_OK_AND_ASSIGN(Esc resolved, Get(warned));
  EXPECT_EQ(resolved.state(), Esc::RESOLVED);
  EXPECT_EQ(resolved.source(), Esc::SLA_WARNING);
  ASSERT_OK_AND_ASSIGN(Esc opened, Get(Escalations::IdForSource(open.source_key + "|breach")));
  EXPECT_EQ(opened.source(), Esc::SLA_BREACH);
  EXPECT_EQ(opened.severity(), v1::SEV2);
  EXPECT_EQ(opened.state(), Esc::OPEN);
}

TEST_F(EscalationsTest, OpenInTxnOpensOnePerSourceAndSummarizes) {
  OpenRequest open;
  open.source_key = "sla|tickets/42|agreements/gold|RESOLUTION|1|100";
  open.source = Esc::SLA_BREACH;
  open.relationship = "relationships/acme";
  open.service = "services/email";
  open.ticket = "tickets/42";
  open.title = "Resolution breached";
  open.severity = v1::SEV1;
  EXPECT_THAT(
      store_->TransactSync([&](storage::Txn& txn) { return domain_->OpenInTxn(txn, open, kT0); }),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("policy")));
  domain_->SetDefaultPolicy("escalation_policies/oncall");
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK(store_->TransactSync(
        [&](storage::Txn& txn) { return domain_->OpenInTxn(txn, open, kT0); }));
  }
  ASSERT_OK(Create("manual", v1::SEV3).status());
  const std::string id = Escalations::IdForSource(open.source_key);
  ASSERT_OK_AND_ASSIGN(Esc e, Get(id));
  EXPECT_EQ(e.source(), Esc::SLA_BREACH);
  EXPECT_EQ(e.timeline_size(), 1);
  EXPECT_EQ(e.timeline(0).actor(), "system");

  clock_.Advance(absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(OpenSummary summary, domain_->Summarize("acme", clock_.Now()));
  EXPECT_EQ(summary.open, 2);
  EXPECT_EQ(summary.highest_severity, 1);
  EXPECT_EQ(summary.oldest_age, absl::Minutes(5));
  ASSERT_OK(Op("cancel", id).status());
  ASSERT_OK(Op("ack", "manual").status());
  ASSERT_OK_AND_ASSIGN(summary, domain_->Summarize("acme", clock_.Now()));
  EXPECT_EQ(summary.open, 1);
  EXPECT_EQ(summary.highest_severity, 3);

  ASSERT_OK_AND_ASSIGN(auto counts, domain_->CountOpen());
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].state, Esc::ACKNOWLEDGED);
  EXPECT_EQ(counts[0].severity, v1::SEV3);
  EXPECT_EQ(counts[0].count, 1);
}

TEST_F(EscalationsTest, OldestUnacknowledgedIsWhenTheLongestWaitingOpenOneEnteredOpen) {
  using Oldest = std::map<v1::Severity, absl::Time>;
  ASSERT_OK_AND_ASSIGN(Oldest oldest, domain_->OldestUnacknowledged());
  EXPECT_TRUE(oldest.empty());
  ASSERT_OK(Create("a", v1::SEV1).status());
  clock_.Advance(absl::Minutes(5));
  ASSERT_OK(Create("b", v1::SEV1).status());
  ASSERT_OK(Create("c", v1::SEV2).status());
  ASSERT_OK(Create("d", v1::SEV3).status());
  ASSERT_OK(Op("ack", "d").status());  // Acknowledged: not waiting.
  // "a" moves to its next level unacknowledged: still waiting since T0.
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(Fire(), 1);
  ASSERT_OK_AND_ASSIGN(oldest, domain_->OldestUnacknowledged());
  EXPECT_EQ(oldest, (Oldest{{v1::SEV1, kT0}, {v1::SEV2, kT0 + absl::Minutes(5)}}));

  // Acknowledged, it no longer counts; a hold stops the wait and a resume
  // into OPEN starts it again, as a reopen and a manual escalation do.
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK(Op("ack", "a").status());
  ASSERT_OK(Op("hold", "b").status());
  ASSERT_OK_AND_ASSIGN(oldest, domain_->OldestUnacknowledged());
  EXPECT_EQ(oldest, (Oldest{{v1::SEV2, kT0 + absl::Minutes(5)}}));
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK(Op("resume", "b").status());
  ASSERT_OK(Op("ack", "c").status());
  ASSERT_OK(Op("resolve", "c").status());
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK(Op("reopen", "c").status());
  ASSERT_OK(Op("escalate", "d", 0).status());
  ASSERT_OK_AND_ASSIGN(oldest, domain_->OldestUnacknowledged());
  EXPECT_EQ(oldest, (Oldest{{v1::SEV1, kT0 + absl::Minutes(12)},
                            {v1::SEV2, kT0 + absl::Minutes(13)},
                            {v1::SEV3, kT0 + absl::Minutes(13)}}));
}

// ---------------------------------------------------------------------- Watch

TEST_F(EscalationsTest, RetentionDeletesOldChangesAndAWatchBehindThemIsToldSo) {
  Escalations* domain = domain_.get();
  scheduler_->RegisterHandler(kRetentionScheduleKind,
                              [domain](const storage::ScheduledEntry& entry, storage::Txn& txn) {
                                return domain->OnRetention(entry, txn);
                              });
  domain_->SetChangeRetention(absl::Hours(2));
  ASSERT_OK(domain_->StartRetention());
  ASSERT_OK(domain_->StartRetention());  // Already scheduled: nothing more.
  ASSERT_OK(Create("old").status());
  ASSERT_OK(Op("ack", "old").status());  // Changes 1 and 2, at 08:00.
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(Fire(), 1);  // The first firing: nothing is older than 2 h.
  ASSERT_OK_AND_ASSIGN(uint64_t first, domain_->FirstKeptSequence());
  EXPECT_EQ(first, 1u);

  clock_.Advance(absl::Hours(2));
  ASSERT_OK(Create("new").status());
  ASSERT_OK(Op("ack", "new").status());  // Changes 3 and 4, at 10:01.
  EXPECT_EQ(Fire(), 1);                  // Hourly: due at 09:01.
  ASSERT_OK_AND_ASSIGN(first, domain_->FirstKeptSequence());
  EXPECT_EQ(first, 3u);
  ASSERT_OK_AND_ASSIGN(auto kept, domain_->ReadChanges(0, 10));
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].sequence(), 3);
  EXPECT_EQ(Fire(), 0);  // The next firing is an hour later.

  {  // From the start: the log as kept.
    grpc::ClientContext ctx;
    auto reader = stub_->WatchEscalations(&ctx, v1::WatchEscalationsRequest());
    v1::EscalationChange change;
    ASSERT_TRUE(reader->Read(&change));
    EXPECT_EQ(change.sequence(), 3);
    ctx.TryCancel();
    while (reader->Read(&change)) {
    }
    reader->Finish();
  }
  {  // After change 2: nothing was missed.
    grpc::ClientContext ctx;
    v1::WatchEscalationsRequest r;
    r.set_after_sequence(2);
    auto reader = stub_->WatchEscalations(&ctx, r);
    v1::EscalationChange change;
    ASSERT_TRUE(reader->Read(&change));
    EXPECT_EQ(change.sequence(), 3);
    ctx.TryCancel();
    while (reader->Read(&change)) {
    }
    reader->Finish();
  }
  // After change 1: change 2 is gone.
  grpc::ClientContext ctx;
  v1::WatchEscalationsRequest r;
  r.set_after_sequence(1);
  auto reader = stub_->WatchEscalations(&ctx, r);
  v1::EscalationChange change;
  EXPECT_FALSE(reader->Read(&change));
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(status.error_message(), HasSubstr("no longer kept"));
}

TEST_F(EscalationsTest, WatchRefusesASequencePastTheLastChange) {
  ASSERT_OK(Create("e").status());  // Change 1.
  {  // Resuming after the last change waits for the next: no error.
    grpc::ClientContext ctx;
    v1::WatchEscalationsRequest r;
    r.set_after_sequence(1);
    auto reader = stub_->WatchEscalations(&ctx, r);
    reader->WaitForInitialMetadata();
    ASSERT_OK(Op("ack", "e").status());  // Change 2.
    v1::EscalationChange change;
    ASSERT_TRUE(reader->Read(&change));
    EXPECT_EQ(change.sequence(), 2);
    ctx.TryCancel();
    while (reader->Read(&change)) {
    }
    reader->Finish();
  }
  // A client that saw change 7 of another store would miss 3 to 7 here.
  grpc::ClientContext ctx;
  v1::WatchEscalationsRequest r;
  r.set_after_sequence(7);
  auto reader = stub_->WatchEscalations(&ctx, r);
  v1::EscalationChange change;
  EXPECT_FALSE(reader->Read(&change));
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(status.error_message(), HasSubstr("past the last change, 2"));
}

TEST_F(EscalationsTest, WatchResumesAfterDisconnectWithoutGapOrDuplicate) {
  ASSERT_OK(Create("w1").status());
  ASSERT_OK(Op("ack", "w1").status());
  ASSERT_OK(Create("w2").status());  // Changes 1..3 exist before the watch.

  std::vector<int64_t> seen;
  {
    grpc::ClientContext ctx;
    v1::WatchEscalationsRequest r;
    auto reader = stub_->WatchEscalations(&ctx, r);
    v1::EscalationChange change;
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(reader->Read(&change));
      seen.push_back(change.sequence());
    }
    ASSERT_OK(Op("note", "w2").status());  // Live: 4.
    ASSERT_TRUE(reader->Read(&change));
    seen.push_back(change.sequence());
    EXPECT_EQ(change.entry().action(), Action::NOTE_ADDED);
    EXPECT_EQ(change.escalation().name(), "escalations/w2");
    // The change carries the record as changed, without its timeline (the
    // entry is the change's own); the stored record keeps its timeline.
    auto stored = Get("w2");
    ASSERT_OK(stored.status());
    EXPECT_EQ(change.escalation().timeline_size(), 0);
    EXPECT_EQ(change.escalation().etag(), stored->etag());
    EXPECT_EQ(change.escalation().policy_snapshot().SerializeAsString(),
              stored->policy_snapshot().SerializeAsString());
    EXPECT_GT(change.escalation().policy_snapshot().levels_size(), 0);
    ASSERT_EQ(stored->timeline_size(), 2);
    EXPECT_EQ(stored->timeline(1).action(), Action::NOTE_ADDED);
    ctx.TryCancel();  // Disconnect.
    while (reader->Read(&change)) {
    }
    reader->Finish();
  }
  // Changes while disconnected.
  ASSERT_OK(Op("ack", "w2").status());
  clock_.Advance(absl::Minutes(10));
  EXPECT_EQ(Fire(), 0);  // Both acknowledged: nothing moves.
  ASSERT_OK(Op("resolve", "w2").status());

  grpc::ClientContext ctx;
  v1::WatchEscalationsRequest r;
  r.set_after_sequence(seen.back());
  auto reader = stub_->WatchEscalations(&ctx, r);
  v1::EscalationChange change;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(reader->Read(&change));
    seen.push_back(change.sequence());
  }
  ASSERT_OK(Op("close", "w2").status());
  ASSERT_TRUE(reader->Read(&change));
  seen.push_back(change.sequence());
  EXPECT_EQ(change.escalation().state(), Esc::CLOSED);
  EXPECT_THAT(seen, ElementsAre(1, 2, 3, 4, 5, 6, 7));
  ctx.TryCancel();
  while (reader->Read(&change)) {
  }
  reader->Finish();
}

TEST_F(EscalationsTest, WatchFiltersAndSeesAutomaticSteps) {
  grpc::ClientContext ctx;
  v1::WatchEscalationsRequest r;
  r.set_state(Esc::OPEN);
  r.set_live_only(true);
  // A missed change fails the test rather than blocking a Read forever.
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  ASSERT_OK(Create("before").status());  // Before the call: skipped (live_only).
  auto reader = stub_->WatchEscalations(&ctx, r);
  // live_only starts from the last change when the server registers the
  // watch, which it confirms with the initial metadata: a change made before
  // that (on a busy machine the stream may not be set up yet) is not live.
  reader->WaitForInitialMetadata();
  ASSERT_OK(Create("a").status());
  ASSERT_OK(Op("ack", "a").status());  // Filtered out (ACKNOWLEDGED).
  clock_.Advance(absl::Minutes(10));
  EXPECT_EQ(Fire(), 1);  // "before" moves to level 1.
  v1::EscalationChange change;
  ASSERT_TRUE(reader->Read(&change));
  EXPECT_EQ(change.escalation().name(), "escalations/a");
  EXPECT_EQ(change.entry().action(), Action::OPENED);
  ASSERT_TRUE(reader->Read(&change));
  EXPECT_EQ(change.escalation().name(), "escalations/before");
  EXPECT_EQ(change.entry().action(), Action::AUTO_ESCALATED);
  EXPECT_EQ(change.entry().actor(), "system");
  ctx.TryCancel();
  while (reader->Read(&change)) {
  }
  reader->Finish();
}

}  // namespace
}  // namespace rapport::escalations
