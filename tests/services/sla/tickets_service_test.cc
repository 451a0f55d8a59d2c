// SLA timers, availability and compliance reports through a real gRPC server
// in-process, with a fake clock: nothing sleeps waiting for a timer.
#include <optional>

#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "rapport/internal/v1/internal.pb.h"
#include "rapport/v1/escalations.grpc.pb.h"
#include "rapport/v1/relationships.grpc.pb.h"
#include "rapport/v1/sla.grpc.pb.h"
#include "server/server.h"
#include "services/common/proto_time.h"
#include "storage/key_codec.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

using ::grpc::StatusCode;
using ::rapport::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Monday 2026-11-02 08:00 UTC.
const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 11, 2, 8, 0, 0), absl::UTCTimeZone());

class TicketsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Start();
    Seed();
  }

  void Start() {
    ServerConfig config;
    config.default_escalation_policy = "escalation_policies/sla";
    config.listen = "127.0.0.1:0";
    config.metrics_listen = "";
    config.data_dir = dir_.Sub("data");
    config.clock = &clock_;
    auto server = RapportServer::Start(config);
    ASSERT_OK(server.status());
    server_ = std::move(server).value();
    stub_ = v1::SlaCatalogService::NewStub(server_->InProcessChannel());
  }

  // Stops the server, sets the clock to `stopped_until` if given (time that
  // passes while it is down), and starts it again.
  void Restart(std::optional<absl::Time> stopped_until = std::nullopt) {
    stub_.reset();
    server_->Shutdown();
    server_.reset();
    if (stopped_until) clock_.Set(*stopped_until);
    Start();
  }

  // A 24x7 UTC calendar and an office-hours one; service "email" with a
  // default SLA: P1 response 1h / resolution 4h, P3 4h / 24h, warnings at
  // 50% and 75%, availability 99.9% on office hours.
  void Seed() {
    v1::ApplyCatalogRequest request;
    auto* c = request.mutable_catalog();
    auto* service = c->add_services();
    service->set_name("services/email");
    service->set_display_name("E-mail");
    auto* always = c->add_calendars();
    always->set_name("calendars/always");
    always->set_display_name("24x7");
    always->set_time_zone("UTC");
    always->set_round_the_clock(true);
    auto* office = c->add_calendars();
    office->set_name("calendars/office");
    office->set_display_name("Office");
    office->set_time_zone("UTC");
    for (auto day : {v1::MONDAY, v1::TUESDAY, v1::WEDNESDAY, v1::THURSDAY, v1::FRIDAY}) {
      auto* w = office->add_working_hours();
      w->set_day(day);
      w->set_start("09:00");
      w->set_end("17:00");
    }
    auto* a = c->add_agreements();
    a->set_name("agreements/gold");
    a->set_display_name("Gold");
    a->set_type(v1::Agreement::SLA);
    a->set_service("services/email");
    *a->mutable_effective_from() = ToProtoTime(kT0 - absl::Hours(24 * 60));
    a->set_calendar("calendars/always");
    a->add_warning_thresholds(50);
    a->add_warning_thresholds(75);
    a->set_availability_target(99.9);
    for (auto [p, response, resolution] : {std::tuple{v1::P1, 1, 4}, std::tuple{v1::P3, 4, 24}}) {
      auto* t = a->add_targets();
      t->set_priority(p);
      *t->mutable_first_response() = ToProtoDuration(absl::Hours(response));
      *t->mutable_resolution() = ToProtoDuration(absl::Hours(resolution));
    }
    grpc::ClientContext ctx;
    v1::ApplyCatalogResponse response;
    ASSERT_OK(stub_->ApplyCatalog(&ctx, request, &response));
  }

  grpc::Status Event(const std::string& ticket, const std::string& id, absl::Time at,
                     const std::function<void(v1::TicketEvent*)>& fill, v1::Ticket* out = nullptr) {
    // Portals report events as they happen: time moves up to the event
    // (late events stay in the past; events over a day ahead stay refused).
    if (at > clock_.Now() && at <= clock_.Now() + absl::Hours(24)) clock_.Set(at);
    grpc::ClientContext ctx;
    v1::RecordTicketEventRequest request;
    request.set_ticket_id(ticket);
    request.mutable_event()->set_event_id(id);
    *request.mutable_event()->mutable_event_time() = ToProtoTime(at);
    fill(request.mutable_event());
    v1::Ticket ticket_out;
    return stub_->RecordTicketEvent(&ctx, request, out != nullptr ? out : &ticket_out);
  }

  grpc::Status Open(const std::string& ticket, absl::Time at, v1::Priority p = v1::P1) {
    return Event(ticket, "open", at, [p](v1::TicketEvent* e) {
      e->mutable_opened()->set_service("services/email");
      e->mutable_opened()->set_priority(p);
    });
  }

  static std::function<void(v1::TicketEvent*)> Do(const std::string& what) {
    return [what](v1::TicketEvent* e) {
      if (what == "responded") e->mutable_responded();
      if (what == "update_sent") e->mutable_update_sent();
      if (what == "paused") e->mutable_paused()->set_reason(v1::WAITING_FOR_CUSTOMER);
      if (what == "resumed") e->mutable_resumed();
      if (what == "resolved") e->mutable_resolved();
      if (what == "reopened") e->mutable_reopened();
      if (what == "cancelled") e->mutable_cancelled();
    };
  }

  v1::Ticket Get(const std::string& ticket) {
    grpc::ClientContext ctx;
    v1::GetTicketRequest request;
    request.set_name("tickets/" + ticket);
    v1::Ticket out;
    EXPECT_OK(stub_->GetTicket(&ctx, request, &out));
    return out;
  }

  // Makes a new revision of agreement gold (a 90% warning); its number, or 0.
  int NewGoldRevision() {
    grpc::ClientContext ctx;
    v1::UpdateAgreementRequest update;
    update.mutable_agreement()->set_name("agreements/gold");
    update.mutable_agreement()->add_warning_thresholds(90);
    update.mutable_update_mask()->add_paths("warning_thresholds");
    v1::Agreement a;
    EXPECT_OK(stub_->UpdateAgreement(&ctx, update, &a));
    return a.revision();
  }

  v1::ReevaluateTicketsResponse Reevaluate(const std::string& scope, bool dry_run) {
    grpc::ClientContext ctx;
    v1::ReevaluateTicketsRequest request;
    request.set_scope(scope);
    request.set_dry_run(dry_run);
    v1::ReevaluateTicketsResponse response;
    EXPECT_OK(stub_->ReevaluateTickets(&ctx, request, &response));
    return response;
  }

  static const v1::SlaTimer& Timer(const v1::Ticket& t, v1::TimerKind kind, int cycle = 1) {
    for (const auto& timer : t.timers()) {
      if (timer.kind() == kind && timer.cycle() == cycle) return timer;
    }
    static const v1::SlaTimer none;
    ADD_FAILURE() << "no timer " << v1::TimerKind_Name(kind) << " cycle " << cycle;
    return none;
  }

  std::vector<std::pair<int, absl::Time>> Crossings(const v1::Ticket& t, v1::TimerKind kind) {
    std::vector<std::pair<int, absl::Time>> out;
    for (const auto& c : t.crossings()) {
      if (c.kind() == kind) out.push_back({c.threshold(), FromProtoTime(c.crossing_time())});
    }
    return out;
  }

  int Fire() {
    auto fired = server_->scheduler().FireDue();
    EXPECT_OK(fired.status());
    return fired.ok() ? *fired : -1;
  }

  // Escalation policy "sla", the server's default here: one level with
  // `ack_wait`.
  void CreateSlaPolicy(absl::Duration ack_wait) {
    auto escalations = v1::EscalationService::NewStub(server_->InProcessChannel());
    grpc::ClientContext ctx;
    v1::CreateEscalationPolicyRequest request;
    request.set_policy_id("sla");
    request.mutable_policy()->set_display_name("SLA duty");
    auto* level = request.mutable_policy()->add_levels();
    level->set_name("service desk");
    level->add_targets("team:service-desk");
    *level->mutable_ack_wait() = ToProtoDuration(ack_wait);
    v1::EscalationPolicy policy;
    ASSERT_OK(escalations->CreateEscalationPolicy(&ctx, request, &policy));
  }

  // Agreement "gold" asks for an escalation on a breach, and on a warning
  // when `warning` is set, with these severities.
  void EscalateOn(std::optional<v1::Severity> warning, v1::Severity breach) {
    grpc::ClientContext ctx;
    v1::UpdateAgreementRequest update;
    update.mutable_agreement()->set_name("agreements/gold");
    if (warning) {
      update.mutable_agreement()->mutable_on_warning()->set_open_escalation(true);
      update.mutable_agreement()->mutable_on_warning()->set_severity(*warning);
      update.mutable_update_mask()->add_paths("on_warning");
    }
    update.mutable_agreement()->mutable_on_breach()->set_open_escalation(true);
    update.mutable_agreement()->mutable_on_breach()->set_severity(breach);
    update.mutable_update_mask()->add_paths("on_breach");
    v1::Agreement a;
    ASSERT_OK(stub_->UpdateAgreement(&ctx, update, &a));
  }

  // An external customer `id` in the relationship register.
  void CreateRelationship(const std::string& id, const std::string& display_name) {
    auto relationships = v1::RelationshipService::NewStub(server_->InProcessChannel());
    grpc::ClientContext ctx;
    v1::CreateRelationshipRequest request;
    request.set_relationship_id(id);
    request.mutable_relationship()->set_display_name(display_name);
    request.mutable_relationship()->set_kind(v1::Relationship::EXTERNAL_CUSTOMER);
    v1::Relationship r;
    ASSERT_OK(relationships->CreateRelationship(&ctx, request, &r));
  }

  // Relationship "acme", and ticket E-1 (P1, e-mail) opened on it at kT0.
  void OpenAcmeTicket() {
    ASSERT_NO_FATAL_FAILURE(CreateRelationship("acme", "Acme"));
    ASSERT_OK(Event("E-1", "open", kT0, [](v1::TicketEvent* e) {
      e->mutable_opened()->set_relationship("relationships/acme");
      e->mutable_opened()->set_service("services/email");
      e->mutable_opened()->set_priority(v1::P1);
    }));
  }

  v1::ListEscalationsResponse AcmeEscalations() {
    auto escalations = v1::EscalationService::NewStub(server_->InProcessChannel());
    grpc::ClientContext ctx;
    v1::ListEscalationsRequest request;
    request.set_relationship("relationships/acme");
    v1::ListEscalationsResponse response;
    EXPECT_OK(escalations->ListEscalations(&ctx, request, &response));
    return response;
  }

  v1::ComplianceReport Report(const std::string& scope, absl::Time at) {
    grpc::ClientContext ctx;
    v1::GetComplianceReportRequest request;
    request.set_scope(scope);
    request.set_period(v1::GetComplianceReportRequest::MONTH);
    *request.mutable_at_time() = ToProtoTime(at);
    v1::ComplianceReport report;
    EXPECT_OK(stub_->GetComplianceReport(&ctx, request, &report));
    return report;
  }

  testing::TempDir dir_;
  FakeClock clock_{kT0};
  std::unique_ptr<RapportServer> server_;
  std::unique_ptr<v1::SlaCatalogService::Stub> stub_;
};

TEST_F(TicketsTest, WarningsAndBreachFireAtTheExactInstant) {
  ASSERT_OK(Open("T-1", kT0));
  clock_.Advance(absl::Minutes(30) - absl::Microseconds(1));
  Fire();
  EXPECT_TRUE(Crossings(Get("T-1"), v1::FIRST_RESPONSE).empty());
  clock_.Advance(absl::Microseconds(1));
  EXPECT_EQ(Fire(), 1);
  EXPECT_THAT(Crossings(Get("T-1"), v1::FIRST_RESPONSE),
              ElementsAre(std::pair{50, kT0 + absl::Minutes(30)}));
  clock_.Set(kT0 + absl::Minutes(45));
  EXPECT_EQ(Fire(), 1);
  v1::Ticket t = Get("T-1");
  EXPECT_TRUE(t.at_risk());
  EXPECT_FALSE(t.breached());
  clock_.Set(kT0 + absl::Hours(1));
  EXPECT_EQ(Fire(), 1);
  t = Get("T-1");
  EXPECT_THAT(Crossings(t, v1::FIRST_RESPONSE),
              ElementsAre(std::pair{50, kT0 + absl::Minutes(30)}, std::pair{75, kT0 + absl::Minutes(45)},
                          std::pair{100, kT0 + absl::Hours(1)}));
  const v1::SlaTimer& response = Timer(t, v1::FIRST_RESPONSE);
  EXPECT_EQ(response.stage(), v1::RUNNING);
  EXPECT_TRUE(response.breached());
  EXPECT_EQ(FromProtoTime(response.breach_time()), kT0 + absl::Hours(1));
  EXPECT_NEAR(response.percent_used(), 100, 1e-9);
  EXPECT_TRUE(t.breached());
  // The resolution timer is at 25%: its next crossing (50%) is scheduled.
  EXPECT_EQ(FromProtoTime(Timer(t, v1::RESOLUTION).due_time()), kT0 + absl::Hours(4));
  ASSERT_OK(Event("T-1", "r", kT0 + absl::Hours(1) + absl::Minutes(10), Do("responded"), &t));
  EXPECT_EQ(Timer(t, v1::FIRST_RESPONSE).stage(), v1::BREACHED);
  EXPECT_TRUE(Timer(t, v1::FIRST_RESPONSE).breached());
  const std::string metrics = server_->metrics().Render();
  EXPECT_THAT(metrics, HasSubstr(R"(rapport_sla_threshold_crossings_total{priority="P1",service="email",timer="FIRST_RESPONSE",type="breach"} 1)"));
  EXPECT_THAT(metrics, HasSubstr(R"(rapport_sla_threshold_crossings_total{priority="P1",service="email",timer="FIRST_RESPONSE",type="warning"} 2)"));
  EXPECT_THAT(metrics, HasSubstr(R"(rapport_sla_timers_completed_total{outcome="breached",priority="P1",service="email",timer="FIRST_RESPONSE"} 1)"));
}

TEST_F(TicketsTest, CrossingsThatFellDueWhileStoppedFireAfterARestart) {
  ASSERT_OK(Open("T-2", kT0));
  Restart(kT0 + absl::Hours(2));  // The response breach (1h) passes while stopped.
  // The scheduler fires what is overdue as it starts; Fire() waits for that
  // pass (one runs at a time) or, if it has not begun, fires the entry itself.
  Fire();
  const v1::Ticket t = Get("T-2");
  EXPECT_THAT(Crossings(t, v1::FIRST_RESPONSE),
              ElementsAre(std::pair{50, kT0 + absl::Minutes(30)}, std::pair{75, kT0 + absl::Minutes(45)},
                          std::pair{100, kT0 + absl::Hours(1)}));
  EXPECT_THAT(Crossings(t, v1::RESOLUTION), ElementsAre(std::pair{50, kT0 + absl::Hours(2)}));
}

// A portal whose clock runs ahead reports events a little in the future
// (up to a day is accepted): their timers start and stop when that time
// comes, and what they cause is recorded then.
TEST_F(TicketsTest, EventsRecordedAheadOfTheClockTakeEffectWhenTheirTimeComes) {
  auto ahead = [&](const std::string& ticket, const std::string& id, absl::Time at,
                   const std::function<void(v1::TicketEvent*)>& fill) {
    grpc::ClientContext ctx;
    v1::RecordTicketEventRequest request;
    request.set_ticket_id(ticket);
    request.mutable_event()->set_event_id(id);
    *request.mutable_event()->mutable_event_time() = ToProtoTime(at);
    fill(request.mutable_event());
    v1::Ticket out;
    return stub_->RecordTicketEvent(&ctx, request, &out);
  };
  // A: paused at 10 min, resumed (reported at 20 min) at 30 min: its 50%
  // of the 1 h response falls at 50 min.
  ASSERT_OK(Open("A", kT0));
  ASSERT_OK(Event("A", "p", kT0 + absl::Minutes(10), Do("paused")));
  clock_.Set(kT0 + absl::Minutes(20));
  ASSERT_OK(ahead("A", "u", kT0 + absl::Minutes(30), Do("resumed")));
  // B: responded, then resolved (reported at 20 min) at 30 min.
  ASSERT_OK(Open("B", kT0 + absl::Minutes(20)));
  ASSERT_OK(ahead("B", "r", kT0 + absl::Minutes(25), Do("responded")));
  ASSERT_OK(ahead("B", "done", kT0 + absl::Minutes(30), Do("resolved")));

  clock_.Set(kT0 + absl::Minutes(30));
  Fire();
  clock_.Set(kT0 + absl::Minutes(50));
  Fire();
  EXPECT_THAT(Crossings(Get("A"), v1::FIRST_RESPONSE),
              ElementsAre(std::pair{50, kT0 + absl::Minutes(50)}));
  const v1::ComplianceReport r = Report("services/email", kT0);
  EXPECT_EQ(r.response().completed(), 1);
  EXPECT_EQ(r.resolution().completed(), 1);
  EXPECT_EQ(r.resolution().met(), 1);
}

TEST_F(TicketsTest, PauseStopsTheClock) {
  ASSERT_OK(Open("T-3", kT0));
  ASSERT_OK(Event("T-3", "p", kT0 + absl::Minutes(20), Do("paused")));
  clock_.Set(kT0 + absl::Hours(2));
  Fire();
  v1::Ticket t = Get("T-3");
  EXPECT_EQ(t.state(), v1::Ticket::PAUSED);
  EXPECT_EQ(Timer(t, v1::FIRST_RESPONSE).stage(), v1::PAUSED);
  EXPECT_EQ(FromProtoDuration(Timer(t, v1::FIRST_RESPONSE).elapsed()), absl::Minutes(20));
  EXPECT_FALSE(t.breached());
  ASSERT_OK(Event("T-3", "u", kT0 + absl::Hours(2) + absl::Minutes(20), Do("resumed"), &t));
  // 20 min before the pause, 40 min left after it.
  EXPECT_EQ(FromProtoTime(Timer(t, v1::FIRST_RESPONSE).due_time()), kT0 + absl::Hours(3));
  ASSERT_OK(Event("T-3", "r", kT0 + absl::Hours(2) + absl::Minutes(50), Do("responded"), &t));
  EXPECT_EQ(Timer(t, v1::FIRST_RESPONSE).stage(), v1::MET);
  EXPECT_EQ(FromProtoDuration(Timer(t, v1::FIRST_RESPONSE).elapsed()), absl::Minutes(50));
  // A resume without a pause is refused and changes nothing.
  EXPECT_THAT(Event("T-3", "x", kT0 + absl::Hours(3), Do("resumed")),
              StatusIs(StatusCode::FAILED_PRECONDITION, HasSubstr("not paused")));
}

TEST_F(TicketsTest, LateEventsAreMergedInOrderAndDuplicatesAppliedOnce) {
  ASSERT_OK(Open("T-4", kT0));
  clock_.Set(kT0 + absl::Hours(3));
  ASSERT_OK(Event("T-4", "resolved", kT0 + absl::Hours(3), Do("resolved")));
  // The pause that happened at 1h and the resume at 2h30 arrive late.
  ASSERT_OK(Event("T-4", "pause", kT0 + absl::Hours(1), Do("paused")));
  v1::Ticket t;
  ASSERT_OK(Event("T-4", "resume", kT0 + absl::Hours(2) + absl::Minutes(30), Do("resumed"), &t));
  EXPECT_EQ(t.events_size(), 4);
  EXPECT_EQ(t.events(1).event_id(), "pause");
  EXPECT_EQ(FromProtoDuration(Timer(t, v1::RESOLUTION).elapsed()), absl::Hours(1) + absl::Minutes(30));
  EXPECT_EQ(Timer(t, v1::RESOLUTION).stage(), v1::MET);
  // The same event again: applied once.
  ASSERT_OK(Event("T-4", "pause", kT0 + absl::Hours(1), Do("paused"), &t));
  EXPECT_EQ(t.events_size(), 4);
}

TEST_F(TicketsTest, PriorityChangeRetargetsFromTheStart) {
  ASSERT_OK(Open("T-5", kT0, v1::P3));  // Response 4h.
  clock_.Set(kT0 + absl::Hours(2));
  v1::Ticket t;
  ASSERT_OK(Event("T-5", "p1", kT0 + absl::Hours(2),
                  [](v1::TicketEvent* e) { e->mutable_priority_changed()->set_priority(v1::P1); }, &t));
  EXPECT_EQ(t.priority(), v1::P1);
  const v1::SlaTimer& response = Timer(t, v1::FIRST_RESPONSE);
  EXPECT_EQ(FromProtoDuration(response.target()), absl::Hours(1));
  EXPECT_TRUE(response.breached());
  EXPECT_EQ(FromProtoTime(response.breach_time()), kT0 + absl::Hours(1));
  // The breach lies an hour back: recorded once no further event came for
  // kBackfillSettle, at its own instant.
  EXPECT_TRUE(Crossings(t, v1::FIRST_RESPONSE).empty());
  clock_.Set(kT0 + absl::Hours(2) + sla::kBackfillSettle);
  EXPECT_GE(Fire(), 1);
  EXPECT_THAT(Crossings(Get("T-5"), v1::FIRST_RESPONSE),
              ElementsAre(std::pair{50, kT0 + absl::Minutes(30)},
                          std::pair{75, kT0 + absl::Minutes(45)},
                          std::pair{100, kT0 + absl::Hours(1)}));
}

TEST_F(TicketsTest, BackfilledHistoryRecordsOnlyTheCrossingsOfTheWholeHistory) {
  // A portal sends a ticket's history event by event a day later: opened,
  // responded in 20 minutes, resolved in 3 hours (response 1 h, resolution
  // 4 h). `opened` alone implies every warning and both breaches.
  clock_.Set(kT0 + absl::Hours(24));
  ASSERT_OK(Open("T-9", kT0));
  ASSERT_OK(Event("T-9", "r", kT0 + absl::Minutes(20), Do("responded")));
  v1::Ticket t;
  ASSERT_OK(Event("T-9", "done", kT0 + absl::Hours(3), Do("resolved"), &t));
  clock_.Set(kT0 + absl::Hours(24) + sla::kBackfillSettle);
  Fire();
  t = Get("T-9");
  EXPECT_THAT(Crossings(t, v1::FIRST_RESPONSE), ElementsAre());
  // The resolution did pass 50% (2 h) before it was resolved at 3 h.
  EXPECT_THAT(Crossings(t, v1::RESOLUTION), ElementsAre(std::pair{50, kT0 + absl::Hours(2)}));
  EXPECT_EQ(Timer(t, v1::FIRST_RESPONSE).stage(), v1::MET);
  EXPECT_EQ(Timer(t, v1::RESOLUTION).stage(), v1::MET);

  // A crossing in the past that no later event contradicts is recorded too.
  ASSERT_OK(Open("T-10", kT0));
  clock_.Set(kT0 + absl::Hours(24) + 2 * sla::kBackfillSettle);
  Fire();
  EXPECT_THAT(Crossings(Get("T-10"), v1::FIRST_RESPONSE),
              ElementsAre(std::pair{50, kT0 + absl::Minutes(30)},
                          std::pair{75, kT0 + absl::Minutes(45)},
                          std::pair{100, kT0 + absl::Hours(1)}));
}

TEST_F(TicketsTest, ReopenStartsANewResolutionCycleAndKeepsTheOld) {
  ASSERT_OK(Open("T-6", kT0));
  ASSERT_OK(Event("T-6", "r", kT0 + absl::Minutes(10), Do("responded")));
  ASSERT_OK(Event("T-6", "done", kT0 + absl::Hours(1), Do("resolved")));
  clock_.Set(kT0 + absl::Hours(10));
  ASSERT_OK(Event("T-6", "again", kT0 + absl::Hours(5), Do("reopened")));
  v1::Ticket t;
  ASSERT_OK(Event("T-6", "done2", kT0 + absl::Hours(10), Do("resolved"), &t));
  EXPECT_EQ(Timer(t, v1::RESOLUTION, 1).stage(), v1::MET);
  EXPECT_EQ(FromProtoDuration(Timer(t, v1::RESOLUTION, 1).elapsed()), absl::Hours(1));
  EXPECT_EQ(Timer(t, v1::RESOLUTION, 2).stage(), v1::BREACHED);  // 5h > 4h.
  EXPECT_EQ(FromProtoTime(Timer(t, v1::RESOLUTION, 2).breach_time()), kT0 + absl::Hours(9));
  const v1::ComplianceReport r = Report("agreements/gold", kT0);
  EXPECT_EQ(r.resolution().completed(), 2);
  EXPECT_EQ(r.resolution().met(), 1);
  EXPECT_EQ(r.response().met(), 1);
  EXPECT_NEAR(r.combined().compliance_percent(), 200.0 / 3, 1e-9);
}

// A periodic update timer runs from the opening (or the last update) to the
// next update: an update meets it and starts the next; none in time breaches it.
TEST_F(TicketsTest, EachUpdateMeetsThePeriodicUpdateTimerAndStartsTheNext) {
  {
    // P1: response 1 h, resolution 4 h, an update every 2 h.
    grpc::ClientContext ctx;
    v1::UpdateAgreementRequest update;
    update.mutable_agreement()->set_name("agreements/gold");
    auto* t = update.mutable_agreement()->add_targets();
    t->set_priority(v1::P1);
    *t->mutable_first_response() = ToProtoDuration(absl::Hours(1));
    *t->mutable_resolution() = ToProtoDuration(absl::Hours(4));
    *t->mutable_periodic_update() = ToProtoDuration(absl::Hours(2));
    update.mutable_update_mask()->add_paths("targets");
    v1::Agreement a;
    ASSERT_OK(stub_->UpdateAgreement(&ctx, update, &a));
  }
  ASSERT_OK(Open("U-1", kT0));
  v1::Ticket t;
  ASSERT_OK(Event("U-1", "r", kT0 + absl::Minutes(30), Do("responded"), &t));
  // The response is the first update.
  EXPECT_EQ(Timer(t, v1::PERIODIC_UPDATE, 1).stage(), v1::MET);
  EXPECT_EQ(FromProtoDuration(Timer(t, v1::PERIODIC_UPDATE, 1).elapsed()), absl::Minutes(30));
  EXPECT_EQ(FromProtoTime(Timer(t, v1::PERIODIC_UPDATE, 2).due_time()), kT0 + absl::Hours(2) + absl::Minutes(30));
  clock_.Set(kT0 + absl::Hours(1) + absl::Minutes(30));
  Fire();  // 50% of cycle 2.
  ASSERT_OK(Event("U-1", "u", kT0 + absl::Hours(2), Do("update_sent"), &t));
  EXPECT_EQ(Timer(t, v1::PERIODIC_UPDATE, 2).stage(), v1::MET);
  EXPECT_EQ(FromProtoDuration(Timer(t, v1::PERIODIC_UPDATE, 2).elapsed()), absl::Hours(1) + absl::Minutes(30));
  EXPECT_EQ(Timer(t, v1::PERIODIC_UPDATE, 3).stage(), v1::RUNNING);
  EXPECT_EQ(FromProtoTime(Timer(t, v1::PERIODIC_UPDATE, 3).due_time()), kT0 + absl::Hours(4));
  // No update by 12:00: cycle 3 breaches at its due instant.
  clock_.Set(kT0 + absl::Hours(4));
  Fire();
  t = Get("U-1");
  EXPECT_TRUE(Timer(t, v1::PERIODIC_UPDATE, 3).breached());
  EXPECT_EQ(FromProtoTime(Timer(t, v1::PERIODIC_UPDATE, 3).breach_time()), kT0 + absl::Hours(4));
  EXPECT_THAT(Crossings(t, v1::PERIODIC_UPDATE),
              ElementsAre(std::pair{50, kT0 + absl::Hours(1) + absl::Minutes(30)},
                          std::pair{50, kT0 + absl::Hours(3)},
                          std::pair{75, kT0 + absl::Hours(3) + absl::Minutes(30)},
                          std::pair{100, kT0 + absl::Hours(4)}));
  // A late update ends the breached cycle (still breached) and starts a fresh one.
  ASSERT_OK(Event("U-1", "u2", kT0 + absl::Hours(4) + absl::Minutes(30), Do("update_sent"), &t));
  EXPECT_EQ(Timer(t, v1::PERIODIC_UPDATE, 3).stage(), v1::BREACHED);
  EXPECT_EQ(FromProtoDuration(Timer(t, v1::PERIODIC_UPDATE, 3).elapsed()), absl::Hours(2) + absl::Minutes(30));
  EXPECT_EQ(Timer(t, v1::PERIODIC_UPDATE, 4).stage(), v1::RUNNING);
  EXPECT_FALSE(Timer(t, v1::PERIODIC_UPDATE, 4).breached());
  EXPECT_EQ(FromProtoTime(Timer(t, v1::PERIODIC_UPDATE, 4).due_time()),
            kT0 + absl::Hours(6) + absl::Minutes(30));

  // An update reported late, sent at 09:00, adds a cycle before the others:
  // they are numbered one more, and their crossings, already recorded, are
  // not recorded again.
  ASSERT_OK(Event("U-1", "u0", kT0 + absl::Hours(1), Do("update_sent"), &t));
  EXPECT_EQ(FromProtoTime(Timer(t, v1::PERIODIC_UPDATE, 4).start_time()), kT0 + absl::Hours(2));
  clock_.Set(kT0 + absl::Hours(5));
  Fire();
  EXPECT_THAT(Crossings(Get("U-1"), v1::PERIODIC_UPDATE),
              ElementsAre(std::pair{50, kT0 + absl::Hours(1) + absl::Minutes(30)},
                          std::pair{50, kT0 + absl::Hours(3)},
                          std::pair{75, kT0 + absl::Hours(3) + absl::Minutes(30)},
                          std::pair{100, kT0 + absl::Hours(4)}));
}

TEST_F(TicketsTest, BadEventsAreRefusedNamingTheFieldAndWriteNothing) {
  EXPECT_THAT(Event("T-7", "x", kT0, Do("responded")),
              StatusIs(StatusCode::NOT_FOUND, HasSubstr("tickets/T-7")));
  EXPECT_THAT(Event("T-7", "open", kT0,
                    [](v1::TicketEvent* e) {
                      e->mutable_opened()->set_service("services/email");
                      e->mutable_opened()->set_priority(static_cast<v1::Priority>(9));
                    }),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("event.opened.priority")));
  EXPECT_THAT(Event("T-7", "open", kT0 + absl::Hours(25),
                    [](v1::TicketEvent* e) {
                      e->mutable_opened()->set_service("services/email");
                      e->mutable_opened()->set_priority(v1::P1);
                    }),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("event.event_time")));
  EXPECT_THAT(Event("T-7", "open", kT0,
                    [](v1::TicketEvent* e) {
                      e->mutable_opened()->set_service("services/fax");
                      e->mutable_opened()->set_priority(v1::P1);
                    }),
              StatusIs(StatusCode::NOT_FOUND, HasSubstr("services/fax")));
  EXPECT_THAT(Event("bad id!", "x", kT0, Do("responded")),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("ticket_id")));
  ASSERT_OK(Open("T-7", kT0));
  EXPECT_THAT(Open("T-7", kT0), StatusIs(StatusCode::OK));  // Same event id: a retry.
  EXPECT_THAT(Event("T-7", "open-again", kT0,
                    [](v1::TicketEvent* e) {
                      e->mutable_opened()->set_service("services/email");
                      e->mutable_opened()->set_priority(v1::P1);
                    }),
              StatusIs(StatusCode::ALREADY_EXISTS));
  clock_.Set(kT0 + absl::Minutes(10));
  ASSERT_OK(Event("T-7", "c", kT0 + absl::Minutes(5), Do("cancelled")));
  EXPECT_THAT(Event("T-7", "late-response", kT0 + absl::Minutes(6), Do("responded")),
              StatusIs(StatusCode::FAILED_PRECONDITION, HasSubstr("cancelled")));
  const v1::Ticket t = Get("T-7");
  EXPECT_EQ(t.events_size(), 2);
  EXPECT_EQ(t.state(), v1::Ticket::CANCELLED);
  EXPECT_EQ(Timer(t, v1::FIRST_RESPONSE).stage(), v1::CANCELLED);
}

TEST_F(TicketsTest, ComplianceReportArithmeticAndOpenRisk) {
  // Four tickets: responses in 30m, 50m, 2h (breach), 10m; one resolved late.
  const std::vector<absl::Duration> responses = {absl::Minutes(30), absl::Minutes(50), absl::Hours(2),
                                                 absl::Minutes(10)};
  for (size_t i = 0; i < responses.size(); ++i) {
    const std::string id = "C-" + std::to_string(i);
    ASSERT_OK(Open(id, kT0));
    clock_.Set(std::max(clock_.Now(), kT0 + responses[i]));
    ASSERT_OK(Event(id, "r", kT0 + responses[i], Do("responded")));
  }
  clock_.Set(kT0 + absl::Hours(5));
  ASSERT_OK(Event("C-0", "done", kT0 + absl::Hours(5), Do("resolved")));  // 5h > 4h: breached.
  ASSERT_OK(Event("C-1", "done", kT0 + absl::Hours(3), Do("resolved")));  // Met.
  Fire();
  const v1::ComplianceReport r = Report("services/email", kT0);
  EXPECT_EQ(r.response().completed(), 4);
  EXPECT_EQ(r.response().met(), 3);
  EXPECT_EQ(r.response().breached(), 1);
  EXPECT_NEAR(r.response().compliance_percent(), 75, 1e-9);
  EXPECT_EQ(r.resolution().met(), 1);
  EXPECT_EQ(r.resolution().breached(), 1);
  EXPECT_NEAR(r.combined().compliance_percent(), 4.0 / 6 * 100, 1e-9);
  // Bucketed: the median response (2nd of 4: 30m) lies in the 30m bucket.
  EXPECT_EQ(FromProtoDuration(r.response().median()), absl::Minutes(30));
  // C-2 and C-3 are open with their resolution past 100%: breached; nobody merely at risk.
  EXPECT_EQ(r.open_breached(), 2);
  EXPECT_EQ(r.open_at_risk(), 0);
  // C-4: its response breached, its resolution past 75%: breached, and not
  // also at risk.
  ASSERT_OK(Open("C-4", kT0 + absl::Hours(2)));
  clock_.Set(kT0 + absl::Hours(5) + absl::Minutes(10));
  Fire();
  const v1::Ticket c4 = Get("C-4");
  ASSERT_TRUE(c4.breached());
  ASSERT_TRUE(c4.at_risk());  // A running timer crossed a warning.
  const v1::ComplianceReport with_c4 = Report("services/email", kT0);
  EXPECT_EQ(with_c4.open_breached(), 3);
  EXPECT_EQ(with_c4.open_at_risk(), 0);
  // The report for another month is empty; the period is the UTC month.
  const v1::ComplianceReport december = Report("services/email", kT0 + absl::Hours(24 * 30));
  EXPECT_EQ(december.response().completed(), 0);
  EXPECT_EQ(december.response().compliance_percent(), 100);
  EXPECT_EQ(FromProtoTime(r.start_time()),
            absl::FromCivil(absl::CivilDay(2026, 11, 1), absl::UTCTimeZone()));

  // ListTickets filters.
  grpc::ClientContext ctx;
  v1::ListTicketsRequest list;
  list.set_service("services/email");
  list.set_breached(true);
  v1::ListTicketsResponse listed;
  ASSERT_OK(stub_->ListTickets(&ctx, list, &listed));
  std::vector<std::string> names;
  for (const auto& t : listed.tickets()) names.push_back(t.name());
  EXPECT_THAT(names, ElementsAre("tickets/C-0", "tickets/C-2", "tickets/C-3", "tickets/C-4"));
}

// Quarters and years are calendar ones in the report's zone.
TEST_F(TicketsTest, QuarterAndYearReportsCountTheirCalendarPeriods) {
  // First responses completed on Wednesday 30 September 23:30 (Q3), Thursday
  // 1 October 00:10 (Q4) and Monday 2 November 08:20 (Q4), all met.
  const absl::Time october = absl::FromCivil(absl::CivilDay(2026, 10, 1), absl::UTCTimeZone());
  ASSERT_OK(Open("Q-1", october - absl::Hours(1)));
  ASSERT_OK(Event("Q-1", "r", october - absl::Minutes(30), Do("responded")));
  ASSERT_OK(Open("Q-2", october));
  ASSERT_OK(Event("Q-2", "r", october + absl::Minutes(10), Do("responded")));
  ASSERT_OK(Open("Q-3", kT0));
  ASSERT_OK(Event("Q-3", "r", kT0 + absl::Minutes(20), Do("responded")));
  auto report = [&](v1::GetComplianceReportRequest::Period period, absl::Time at) {
    grpc::ClientContext ctx;
    v1::GetComplianceReportRequest request;
    request.set_scope("agreements/gold");
    request.set_period(period);
    *request.mutable_at_time() = ToProtoTime(at);
    v1::ComplianceReport r;
    EXPECT_OK(stub_->GetComplianceReport(&ctx, request, &r));
    return r;
  };
  const auto utc = absl::UTCTimeZone();
  v1::ComplianceReport r = report(v1::GetComplianceReportRequest::QUARTER, kT0);
  EXPECT_EQ(FromProtoTime(r.start_time()), october);
  EXPECT_EQ(FromProtoTime(r.end_time()), absl::FromCivil(absl::CivilDay(2027, 1, 1), utc));
  EXPECT_EQ(r.response().completed(), 2);
  r = report(v1::GetComplianceReportRequest::QUARTER, october - absl::Minutes(1));
  EXPECT_EQ(FromProtoTime(r.start_time()), absl::FromCivil(absl::CivilDay(2026, 7, 1), utc));
  EXPECT_EQ(FromProtoTime(r.end_time()), october);
  EXPECT_EQ(r.response().completed(), 1);
  r = report(v1::GetComplianceReportRequest::YEAR, kT0);
  EXPECT_EQ(FromProtoTime(r.start_time()), absl::FromCivil(absl::CivilDay(2026, 1, 1), utc));
  EXPECT_EQ(FromProtoTime(r.end_time()), absl::FromCivil(absl::CivilDay(2027, 1, 1), utc));
  EXPECT_EQ(r.response().completed(), 3);
  EXPECT_EQ(r.response().met(), 3);
  EXPECT_EQ(report(v1::GetComplianceReportRequest::YEAR, absl::FromCivil(absl::CivilDay(2025, 12, 31), utc))
                .response()
                .completed(),
            0);
}

// A rolling window of N days is N whole days ending with the day of at_time.
TEST_F(TicketsTest, ARollingWindowCoversExactlyItsDays) {
  const absl::Time monday = kT0 - absl::Hours(8);  // 2026-11-02 00:00 UTC.
  // First responses completed, one per day: Sunday 25 October (breached,
  // 2 h for 1 h), Monday 26 October, Sunday 1 November late in the evening,
  // Monday 2 November (today).
  struct Completion {
    std::string id;
    absl::Time open;
    absl::Duration response;
  };
  const Completion completions[] = {
      {"W-1", monday - absl::Hours(24 * 8) + absl::Hours(10), absl::Hours(2)},
      {"W-2", monday - absl::Hours(24 * 7) + absl::Hours(10), absl::Minutes(10)},
      {"W-3", monday - absl::Hours(1), absl::Minutes(30)},
      {"W-4", kT0, absl::Minutes(20)},
  };
  for (const auto& c : completions) {
    ASSERT_OK(Open(c.id, c.open));
    ASSERT_OK(Event(c.id, "r", c.open + c.response, Do("responded")));
  }
  clock_.Set(monday + absl::Hours(12));
  auto rolling = [&](int days) {
    grpc::ClientContext ctx;
    v1::GetComplianceReportRequest request;
    request.set_scope("services/email");
    request.set_period(v1::GetComplianceReportRequest::ROLLING);
    request.set_rolling_days(days);
    v1::ComplianceReport report;
    EXPECT_OK(stub_->GetComplianceReport(&ctx, request, &report));
    return report;
  };
  // 1 day: today only (W-4), not Sunday evening (W-3), within the last 24 hours.
  v1::ComplianceReport r = rolling(1);
  EXPECT_EQ(FromProtoTime(r.start_time()), monday);
  EXPECT_EQ(FromProtoTime(r.end_time()), monday + absl::Hours(24));
  EXPECT_EQ(r.response().completed(), 1);
  EXPECT_EQ(r.response().met(), 1);
  // 7 days: 27 October to today (W-3, W-4), not Monday 26 October.
  r = rolling(7);
  EXPECT_EQ(FromProtoTime(r.start_time()), monday - absl::Hours(24 * 6));
  EXPECT_EQ(r.response().completed(), 2);
  EXPECT_EQ(r.response().met(), 2);
  // 8 days: from 26 October (W-2 too); 9: from 25 October (W-1, breached).
  EXPECT_EQ(rolling(8).response().completed(), 3);
  r = rolling(9);
  EXPECT_EQ(FromProtoTime(r.start_time()), monday - absl::Hours(24 * 8));
  EXPECT_EQ(r.response().completed(), 4);
  EXPECT_EQ(r.response().met(), 3);
  EXPECT_EQ(r.response().breached(), 1);
  EXPECT_NEAR(r.response().compliance_percent(), 75, 1e-9);
}

TEST_F(TicketsTest, ListTicketsRefusesAnEmptyOpenTimeRange) {
  ASSERT_OK(Open("L-2", kT0));
  auto list = [&](absl::Time after, absl::Time before, v1::ListTicketsResponse* out) {
    grpc::ClientContext ctx;
    v1::ListTicketsRequest request;
    *request.mutable_open_after() = ToProtoTime(after);
    *request.mutable_open_before() = ToProtoTime(before);
    return stub_->ListTickets(&ctx, request, out);
  };
  v1::ListTicketsResponse listed;
  EXPECT_THAT(list(kT0 + absl::Hours(1), kT0 - absl::Hours(1), &listed),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("open_before")));
  EXPECT_THAT(list(kT0, kT0, &listed), StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("open_before")));
  // [kT0, kT0 + 1 µs) holds the ticket opened at kT0.
  ASSERT_OK(list(kT0, kT0 + absl::Microseconds(1), &listed));
  ASSERT_EQ(listed.tickets_size(), 1);
  EXPECT_EQ(listed.tickets(0).name(), "tickets/L-2");
}

TEST_F(TicketsTest, AvailabilityMergesOverlapsAndCountsPlannedOnlyInBusinessHours) {
  // The availability target is measured on office hours for planned work.
  grpc::ClientContext ctx;
  v1::UpdateAgreementRequest update;
  update.mutable_agreement()->set_name("agreements/gold");
  update.mutable_agreement()->set_calendar("calendars/office");
  update.mutable_update_mask()->add_paths("calendar");
  v1::Agreement a;
  ASSERT_OK(stub_->UpdateAgreement(&ctx, update, &a));
  auto outage = [&](const std::string& id, absl::Time start, absl::Time end, v1::Outage::Kind kind) {
    grpc::ClientContext c;
    v1::RecordOutageRequest request;
    request.set_outage_id(id);
    request.mutable_outage()->set_service("services/email");
    *request.mutable_outage()->mutable_start_time() = ToProtoTime(start);
    *request.mutable_outage()->mutable_end_time() = ToProtoTime(end);
    request.mutable_outage()->set_kind(kind);
    v1::Outage out;
    return stub_->RecordOutage(&c, request, &out);
  };
  const absl::Time monday = kT0 - absl::Hours(8);  // 2026-11-02 00:00 UTC.
  // Recorded on Sunday, once they are over (times more than a day ahead are refused).
  clock_.Set(monday + absl::Hours(24 * 6));
  ASSERT_OK(outage("a", monday + absl::Hours(10), monday + absl::Hours(11), v1::Outage::UNPLANNED));
  ASSERT_OK(outage("b", monday + absl::Hours(10) + absl::Minutes(30), monday + absl::Hours(11) + absl::Minutes(30),
                   v1::Outage::UNPLANNED));
  // Tuesday 16:00-20:00: one business hour.
  ASSERT_OK(outage("c", monday + absl::Hours(24 + 16), monday + absl::Hours(24 + 20),
                   v1::Outage::PLANNED_MAINTENANCE));
  // Saturday: none.
  ASSERT_OK(outage("d", monday + absl::Hours(24 * 5 + 10), monday + absl::Hours(24 * 5 + 12),
                   v1::Outage::PLANNED_MAINTENANCE));
  EXPECT_THAT(outage("e", monday + absl::Hours(2), monday + absl::Hours(1), v1::Outage::UNPLANNED),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("outage.end_time")));

  clock_.Set(monday + absl::Hours(24 * 40));  // December: November is over.
  const v1::ComplianceReport r = Report("services/email", monday);
  ASSERT_TRUE(r.has_availability());
  const absl::Duration period = absl::Hours(24 * 30);
  EXPECT_EQ(FromProtoDuration(r.downtime()), absl::Hours(2) + absl::Minutes(30));
  EXPECT_NEAR(r.availability_percent(), 100.0 * (1 - 2.5 / 720), 1e-9);
  EXPECT_EQ(FromProtoDuration(r.error_budget()), period * 0.001);
  EXPECT_EQ(FromProtoDuration(r.error_budget_remaining()), period * 0.001 - absl::Minutes(150));
  // a and b overlap: one interruption of 10:00-11:30, restored in 1 h 30.
  // Between failures: the 720 h of November less the 2 h 30 of downtime.
  EXPECT_EQ(r.outages(), 1);
  EXPECT_EQ(FromProtoDuration(r.mttr()), absl::Minutes(90));
  EXPECT_EQ(FromProtoDuration(r.mtbf()), absl::Hours(720) - absl::Minutes(150));
}

// An agreement's report counts the open tickets at risk and breached by its
// own timers: a ticket that breached its OLA has not breached the SLA.
TEST_F(TicketsTest, OpenTicketsAreCountedAtRiskAndBreachedByEachAgreementsOwnTimers) {
  {
    v1::ApplyCatalogRequest apply;
    auto* a = apply.mutable_catalog()->add_agreements();
    a->set_name("agreements/desk-ola");
    a->set_display_name("Service desk OLA");
    a->set_type(v1::Agreement::OLA);
    a->set_service("services/email");
    a->set_provider("Service desk");
    *a->mutable_effective_from() = ToProtoTime(kT0 - absl::Hours(24 * 60));
    a->set_calendar("calendars/always");
    auto* t = a->add_targets();
    t->set_priority(v1::P1);
    *t->mutable_first_response() = ToProtoDuration(absl::Minutes(10));
    *t->mutable_resolution() = ToProtoDuration(absl::Hours(1));
    grpc::ClientContext ctx;
    v1::ApplyCatalogResponse applied;
    ASSERT_OK(stub_->ApplyCatalog(&ctx, apply, &applied));
  }
  ASSERT_OK(Open("O-1", kT0));
  clock_.Set(kT0 + absl::Minutes(20));  // The OLA's response breached; the SLA's at 33%.
  Fire();
  ASSERT_TRUE(Get("O-1").breached());
  EXPECT_EQ(Report("agreements/desk-ola", kT0).open_breached(), 1);
  EXPECT_EQ(Report("agreements/gold", kT0).open_breached(), 0);
  EXPECT_EQ(Report("agreements/gold", kT0).open_at_risk(), 0);
  EXPECT_EQ(Report("services/email", kT0).open_breached(), 1);
  clock_.Set(kT0 + absl::Minutes(30));  // The SLA's response at 50%: a warning.
  Fire();
  EXPECT_EQ(Report("agreements/gold", kT0).open_at_risk(), 1);
  EXPECT_EQ(Report("agreements/gold", kT0).open_breached(), 0);
  EXPECT_EQ(Report("services/email", kT0).open_at_risk(), 0);  // Breached, by the OLA.
  ASSERT_OK(Event("O-1", "r", kT0 + absl::Minutes(40), Do("responded")));
  ASSERT_OK(Event("O-1", "done", kT0 + absl::Minutes(50), Do("resolved")));
  for (const char* scope : {"agreements/desk-ola", "agreements/gold", "services/email"}) {
    EXPECT_EQ(Report(scope, kT0).open_breached(), 0) << scope;
    EXPECT_EQ(Report(scope, kT0).open_at_risk(), 0) << scope;
  }
}

TEST_F(TicketsTest, AServiceReportFindsTheDefaultSlaAmongManyRelationshipSlas) {
  // 50 relationships with their own SLA on the service, named to sort
  // before the default one: more than a page of agreements.
  v1::ApplyCatalogRequest apply;
  for (int i = 0; i < 50; ++i) {
    const std::string id = absl::StrCat("a", i < 10 ? "0" : "", i);
    ASSERT_NO_FATAL_FAILURE(CreateRelationship(id, id));
    auto* a = apply.mutable_catalog()->add_agreements();
    a->set_name("agreements/" + id);
    a->set_display_name(id);
    a->set_type(v1::Agreement::SLA);
    a->set_service("services/email");
    a->set_relationship("relationships/" + id);
    *a->mutable_effective_from() = ToProtoTime(kT0 - absl::Hours(24 * 60));
    a->set_calendar("calendars/always");
    auto* t = a->add_targets();
    t->set_priority(v1::P1);
    *t->mutable_first_response() = ToProtoDuration(absl::Hours(2));
    *t->mutable_resolution() = ToProtoDuration(absl::Hours(8));
  }
  grpc::ClientContext ctx;
  v1::ApplyCatalogResponse applied;
  ASSERT_OK(stub_->ApplyCatalog(&ctx, apply, &applied));
  const v1::ComplianceReport r = Report("services/email", kT0);
  EXPECT_TRUE(r.has_availability());
  EXPECT_EQ(r.availability_target(), 99.9);
}

// An open outage is closed by the same outage_id with an end_time: the
// close sets the end and keeps what the outage was recorded with.
TEST_F(TicketsTest, ClosingAnOpenOutageKeepsWhatItWasRecordedWith) {
  auto record = [&](const std::string& id, absl::Time start, std::optional<absl::Time> end,
                    v1::Outage::Kind kind, const std::string& description, v1::Outage* out) {
    grpc::ClientContext ctx;
    v1::RecordOutageRequest request;
    request.set_outage_id(id);
    request.mutable_outage()->set_service("services/email");
    *request.mutable_outage()->mutable_start_time() = ToProtoTime(start);
    if (end) *request.mutable_outage()->mutable_end_time() = ToProtoTime(*end);
    request.mutable_outage()->set_kind(kind);
    request.mutable_outage()->set_description(description);
    return stub_->RecordOutage(&ctx, request, out);
  };
  v1::Outage o;
  // Times more than a day ahead are refused, naming the field.
  EXPECT_THAT(record("far", kT0 + absl::Hours(25), std::nullopt, v1::Outage::UNPLANNED, "", &o),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("outage.start_time")));
  EXPECT_THAT(record("far", kT0, kT0 + absl::Hours(25), v1::Outage::UNPLANNED, "", &o),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("outage.end_time")));

  ASSERT_OK(record("x", kT0 - absl::Hours(1), std::nullopt, v1::Outage::UNPLANNED, "mail down", &o));
  EXPECT_FALSE(o.has_end_time());
  // Sent again as it is: a retry. Sent again otherwise, still open: refused.
  v1::Outage open_again;
  ASSERT_OK(record("x", kT0 - absl::Hours(1), std::nullopt, v1::Outage::UNPLANNED, "mail down", &open_again));
  EXPECT_EQ(open_again.SerializeAsString(), o.SerializeAsString());
  EXPECT_THAT(record("x", kT0 - absl::Minutes(5), std::nullopt, v1::Outage::DEGRADED, "", &open_again),
              StatusIs(StatusCode::ALREADY_EXISTS, HasSubstr("open since")));
  // The closing request's start, kind and description are not taken.
  ASSERT_OK(record("x", kT0 - absl::Minutes(30), kT0 + absl::Minutes(30), v1::Outage::DEGRADED, "", &o));
  EXPECT_EQ(o.name(), "services/email/outages/x");
  EXPECT_EQ(FromProtoTime(o.start_time()), kT0 - absl::Hours(1));
  EXPECT_EQ(FromProtoTime(o.end_time()), kT0 + absl::Minutes(30));
  EXPECT_EQ(o.kind(), v1::Outage::UNPLANNED);
  EXPECT_EQ(o.description(), "mail down");
  // The same close again is a retry; another end is refused.
  v1::Outage again;
  ASSERT_OK(record("x", kT0 - absl::Minutes(30), kT0 + absl::Minutes(30), v1::Outage::DEGRADED, "", &again));
  EXPECT_EQ(again.SerializeAsString(), o.SerializeAsString());
  EXPECT_THAT(record("x", kT0 - absl::Hours(1), kT0 + absl::Hours(1), v1::Outage::UNPLANNED, "mail down", &o),
              StatusIs(StatusCode::ALREADY_EXISTS, HasSubstr("already closed")));

  // A close that ends before the recorded start is refused (although it ends
  // after its own start_time) and leaves the outage open.
  ASSERT_OK(record("y", kT0 - absl::Minutes(30), std::nullopt, v1::Outage::UNPLANNED, "", &o));
  EXPECT_THAT(record("y", kT0 - absl::Hours(3), kT0 - absl::Hours(1), v1::Outage::UNPLANNED, "", &o),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("outage.end_time")));
  ASSERT_OK(record("y", kT0 - absl::Minutes(30), kT0, v1::Outage::UNPLANNED, "", &o));
  EXPECT_EQ(FromProtoTime(o.start_time()), kT0 - absl::Minutes(30));

  // November: x (07:00-08:30) and y (07:30-08:00) are one interruption of
  // 1 h 30; nothing of the refused outages was written.
  clock_.Set(kT0 + absl::Hours(24 * 40));
  const v1::ComplianceReport r = Report("services/email", kT0);
  EXPECT_EQ(r.outages(), 1);
  EXPECT_EQ(FromProtoDuration(r.downtime()), absl::Minutes(90));
  EXPECT_EQ(FromProtoDuration(r.mttr()), absl::Minutes(90));
}

TEST_F(TicketsTest, ReevaluationMovesOpenTicketsToTheCurrentRevisionOnlyWhenAsked) {
  ASSERT_OK(Open("R-1", kT0));
  ASSERT_EQ(NewGoldRevision(), 2);
  // Not silently re-measured.
  EXPECT_EQ(Timer(Get("R-1"), v1::FIRST_RESPONSE).revision(), 1);
  auto reevaluate = [&](bool dry_run) { return Reevaluate("agreements/gold", dry_run); };
  auto dry = reevaluate(true);
  ASSERT_EQ(dry.changes_size(), 1);
  EXPECT_THAT(dry.changes(0).change(), HasSubstr("revision 1 -> 2"));
  EXPECT_EQ(Timer(Get("R-1"), v1::FIRST_RESPONSE).revision(), 1);
  reevaluate(false);
  const v1::Ticket t = Get("R-1");
  EXPECT_EQ(Timer(t, v1::FIRST_RESPONSE).revision(), 2);
  EXPECT_TRUE(t.events(t.events_size() - 1).has_reevaluated());
  EXPECT_EQ(reevaluate(true).changes_size(), 0);
}

// A re-evaluation that records a crossing counts it in the metrics, once
// its write has committed.
TEST_F(TicketsTest, ReevaluationCountsTheCrossingsItRecords) {
  ASSERT_OK(Open("R-3", kT0));
  for (int minutes : {30, 45}) {  // 50% and 75% of the 1 h response.
    clock_.Set(kT0 + absl::Minutes(minutes));
    Fire();
  }
  ASSERT_EQ(Crossings(Get("R-3"), v1::FIRST_RESPONSE).size(), 2u);
  const std::string warnings =
      R"(rapport_sla_threshold_crossings_total{priority="P1",service="email",timer="FIRST_RESPONSE",type="warning"} )";
  EXPECT_THAT(server_->metrics().Render(), HasSubstr(warnings + "2"));
  ASSERT_EQ(NewGoldRevision(), 2);  // A warning at 90%: 54 min.
  clock_.Set(kT0 + absl::Minutes(55));
  EXPECT_EQ(Reevaluate("services/email", /*dry_run=*/true).changes_size(), 1);
  EXPECT_THAT(server_->metrics().Render(), HasSubstr(warnings + "2"));
  EXPECT_EQ(Reevaluate("services/email", /*dry_run=*/false).changes_size(), 1);
  EXPECT_THAT(Crossings(Get("R-3"), v1::FIRST_RESPONSE),
              ElementsAre(std::pair{50, kT0 + absl::Minutes(30)}, std::pair{75, kT0 + absl::Minutes(45)},
                          std::pair{90, kT0 + absl::Minutes(54)}));
  EXPECT_THAT(server_->metrics().Render(), HasSubstr(warnings + "3"));
}

TEST_F(TicketsTest, ReevaluatingAnUnknownScopeIsNotFound) {
  ASSERT_OK(Open("R-4", kT0));
  ASSERT_EQ(NewGoldRevision(), 2);
  for (const std::string scope : {"services/fax", "agreements/silver"}) {
    grpc::ClientContext ctx;
    v1::ReevaluateTicketsRequest request;
    request.set_scope(scope);
    v1::ReevaluateTicketsResponse response;
    EXPECT_THAT(stub_->ReevaluateTickets(&ctx, request, &response),
                StatusIs(StatusCode::NOT_FOUND, ::testing::AllOf(HasSubstr("scope"), HasSubstr(scope))));
  }
  // Nothing was re-measured.
  EXPECT_EQ(Timer(Get("R-4"), v1::FIRST_RESPONSE).revision(), 1);
}

// The indexes of a ticket are written once, when it opens; the open-ticket
// index follows it out at resolution and back in at a reopen.
TEST_F(TicketsTest, TheTicketIndexesFollowResolveAndReopen) {
  ASSERT_OK(Open("R-2", kT0));
  ASSERT_OK(Event("R-2", "answer", kT0 + absl::Minutes(5), Do("responded")));
  ASSERT_OK(Event("R-2", "done", kT0 + absl::Hours(1), Do("resolved")));
  ASSERT_EQ(NewGoldRevision(), 2);
  auto open_changes = [&] { return Reevaluate("services/email", /*dry_run=*/true).changes_size(); };
  EXPECT_EQ(open_changes(), 0);  // Resolved: not an open ticket.
  ASSERT_OK(Event("R-2", "again", kT0 + absl::Hours(2), Do("reopened")));
  EXPECT_EQ(open_changes(), 1);
  ASSERT_OK(Event("R-2", "done again", kT0 + absl::Hours(3), Do("resolved")));
  EXPECT_EQ(open_changes(), 0);

  grpc::ClientContext list_ctx;
  v1::ListTicketsRequest list;
  list.set_service("services/email");
  v1::ListTicketsResponse listed;
  ASSERT_OK(stub_->ListTickets(&list_ctx, list, &listed));
  ASSERT_EQ(listed.tickets_size(), 1);
  EXPECT_EQ(listed.tickets(0).name(), "tickets/R-2");
}

// A ticket refers to the agreement revisions it is measured under. One
// stored before that carried a copy of each revision: it is measured under
// its copy, and refers to the revision from its next write on.
// Crossings recorded before their cycle's start was kept are still known,
// by their cycle's number.
TEST_F(TicketsTest, CrossingsRecordedWithoutTheirCycleStartAreNotRecordedAgain) {
  ASSERT_OK(Open("L-2", kT0));
  clock_.Set(kT0 + absl::Minutes(30));
  Fire();  // 50% of the response.
  const std::string key = storage::ticketkeys::Ticket("L-2");
  internal::v1::TicketRecord record;
  ASSERT_OK_AND_ASSIGN(bool found, server_->store().GetProto(storage::Cf::kTickets, key, &record));
  ASSERT_TRUE(found);
  ASSERT_EQ(record.ticket().crossings_size(), 1);
  ASSERT_TRUE(record.ticket().crossings(0).has_cycle_start_time());
  record.mutable_ticket()->mutable_crossings(0)->clear_cycle_start_time();
  storage::WriteBatch old_layout;
  old_layout.PutProto(storage::Cf::kTickets, key, record);
  ASSERT_OK(server_->store().CommitSync(std::move(old_layout)));
  clock_.Set(kT0 + absl::Minutes(45));
  Fire();  // 75%.
  EXPECT_THAT(Crossings(Get("L-2"), v1::FIRST_RESPONSE),
              ElementsAre(std::pair{50, kT0 + absl::Minutes(30)}, std::pair{75, kT0 + absl::Minutes(45)}));
}

TEST_F(TicketsTest, ATicketStoredWithACopyOfItsRevisionMovesToAReference) {
  ASSERT_OK(Open("L-1", kT0));
  const std::string key = storage::ticketkeys::Ticket("L-1");
  internal::v1::TicketRecord record;
  ASSERT_OK_AND_ASSIGN(bool found, server_->store().GetProto(storage::Cf::kTickets, key, &record));
  ASSERT_TRUE(found);
  ASSERT_EQ(record.revisions_size(), 1);
  EXPECT_EQ(record.revisions(0).agreement(), "agreements/gold");
  EXPECT_EQ(record.revisions(0).revision(), 1);
  EXPECT_EQ(record.agreements_size(), 0);

  v1::AgreementRevision revision;
  ASSERT_OK_AND_ASSIGN(found, server_->store().GetProto(storage::Cf::kCatalog,
                                                        storage::catkeys::Revision("gold", 1), &revision));
  ASSERT_TRUE(found);
  record.clear_revisions();
  *record.add_agreements() = revision;
  storage::WriteBatch old_layout;
  old_layout.PutProto(storage::Cf::kTickets, key, record);
  ASSERT_OK(server_->store().CommitSync(std::move(old_layout)));
  Restart();  // Nothing cached.

  EXPECT_EQ(Timer(Get("L-1"), v1::FIRST_RESPONSE).stage(), v1::RUNNING);
  v1::Ticket t;
  ASSERT_OK(Event("L-1", "respond", kT0 + absl::Minutes(30), Do("responded"), &t));
  EXPECT_EQ(Timer(t, v1::FIRST_RESPONSE).stage(), v1::MET);
  EXPECT_EQ(Timer(t, v1::FIRST_RESPONSE).revision(), 1);
  ASSERT_OK_AND_ASSIGN(found, server_->store().GetProto(storage::Cf::kTickets, key, &record));
  EXPECT_EQ(record.agreements_size(), 0);
  ASSERT_EQ(record.revisions_size(), 1);
  EXPECT_EQ(record.revisions(0).agreement(), "agreements/gold");
  EXPECT_EQ(record.revisions(0).revision(), 1);
}

TEST_F(TicketsTest, RelationshipHealthReadsSlaComplianceAndFlagsTheWatermelon) {
  auto relationships = v1::RelationshipService::NewStub(server_->InProcessChannel());
  ASSERT_NO_FATAL_FAILURE(CreateRelationship("acme", "Acme"));
  ASSERT_OK(Event("A-1", "open", kT0, [](v1::TicketEvent* e) {
    e->mutable_opened()->set_relationship("relationships/acme");
    e->mutable_opened()->set_service("services/email");
    e->mutable_opened()->set_priority(v1::P1);
  }));
  ASSERT_OK(Event("A-1", "r", kT0 + absl::Minutes(10), Do("responded")));
  ASSERT_OK(Event("A-1", "done", kT0 + absl::Hours(1), Do("resolved")));
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext ctx;
    v1::CreateInteractionRequest request;
    request.set_parent("relationships/acme");
    request.mutable_interaction()->set_kind(v1::Interaction::COMPLAINT);
    *request.mutable_interaction()->mutable_occur_time() = ToProtoTime(clock_.Now());
    request.mutable_interaction()->set_summary("slow mail");
    v1::Interaction in;
    ASSERT_OK(relationships->CreateInteraction(&ctx, request, &in));
  }
  grpc::ClientContext ctx;
  v1::GetRelationshipHealthRequest request;
  request.set_relationship("relationships/acme");
  v1::RelationshipHealth health;
  ASSERT_OK(relationships->GetRelationshipHealth(&ctx, request, &health));
  bool found = false;
  for (const auto& c : health.components()) {
    if (c.kind() != v1::RelationshipHealth::Component::SLA_COMPLIANCE) continue;
    found = true;
    EXPECT_EQ(c.band(), v1::GREEN);
    EXPECT_EQ(c.value(), 100);
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(health.watermelon());
  EXPECT_THAT(health.watermelon_reason(), HasSubstr("2 complaints against 0 compliments"));

  // The component covers 90 days, counted by day: the ticket's day is the
  // first of them 89 days on, and out of them 90 days on.
  auto sla_band = [&](absl::Time now) {
    clock_.Set(now);
    grpc::ClientContext c;
    v1::RelationshipHealth h;
    EXPECT_OK(relationships->GetRelationshipHealth(&c, request, &h));
    for (const auto& component : h.components()) {
      if (component.kind() == v1::RelationshipHealth::Component::SLA_COMPLIANCE) return component.band();
    }
    return v1::HEALTH_BAND_UNSPECIFIED;
  };
  EXPECT_EQ(sla_band(kT0 + absl::Hours(24 * 89 + 12)), v1::GREEN);
  EXPECT_EQ(sla_band(kT0 + absl::Hours(24 * 90 + 12)), v1::UNKNOWN);
}

TEST_F(TicketsTest, AnSlaBreachOpensOneEscalationInTheSameWrite) {
  // The agreement asks for an escalation on breach.
  ASSERT_NO_FATAL_FAILURE(CreateSlaPolicy(absl::Minutes(15)));
  ASSERT_NO_FATAL_FAILURE(EscalateOn(std::nullopt, v1::SEV2));
  ASSERT_NO_FATAL_FAILURE(OpenAcmeTicket());
  auto list = [&] { return AcmeEscalations(); };
  auto relationships = v1::RelationshipService::NewStub(server_->InProcessChannel());
  EXPECT_EQ(list().escalations_size(), 0);
  clock_.Set(kT0 + absl::Hours(1));  // The response breach.
  Fire();
  Fire();  // Firing again opens nothing more.
  auto opened = list();
  ASSERT_EQ(opened.escalations_size(), 1);
  EXPECT_EQ(opened.escalations(0).source(), v1::Escalation::SLA_BREACH);
  EXPECT_EQ(opened.escalations(0).severity(), v1::SEV2);
  EXPECT_EQ(opened.escalations(0).ticket(), "tickets/E-1");
  // Relationship health sees it.
  grpc::ClientContext ctx;
  v1::GetRelationshipHealthRequest health_request;
  health_request.set_relationship("relationships/acme");
  v1::RelationshipHealth health;
  ASSERT_OK(relationships->GetRelationshipHealth(&ctx, health_request, &health));
  for (const auto& c : health.components()) {
    if (c.kind() == v1::RelationshipHealth::Component::ESCALATIONS) {
      EXPECT_LT(c.value(), 100);
      EXPECT_THAT(c.reason(), HasSubstr("1 open"));
    }
  }
  // A relationship with an open escalation cannot be deleted.
  grpc::ClientContext del_ctx;
  v1::DeleteRelationshipRequest del;
  del.set_name("relationships/acme");
  google::protobuf::Empty empty;
  EXPECT_THAT(relationships->DeleteRelationship(&del_ctx, del, &empty),
              StatusIs(StatusCode::FAILED_PRECONDITION, HasSubstr("open escalations")));
}

TEST_F(TicketsTest, AWarningThenABreachOfOneTimerMakeOneEscalation) {
  ASSERT_NO_FATAL_FAILURE(CreateSlaPolicy(absl::Hours(2)));
  ASSERT_NO_FATAL_FAILURE(EscalateOn(v1::SEV3, v1::SEV2));
  ASSERT_NO_FATAL_FAILURE(OpenAcmeTicket());
  auto list = [&] { return AcmeEscalations(); };
  // P1: first response in 1h, warnings at 50% and 75%.
  clock_.Set(kT0 + absl::Minutes(30));
  Fire();
  auto opened = list();
  ASSERT_EQ(opened.escalations_size(), 1);
  EXPECT_EQ(opened.escalations(0).source(), v1::Escalation::SLA_WARNING);
  EXPECT_EQ(opened.escalations(0).severity(), v1::SEV3);
  clock_.Set(kT0 + absl::Minutes(45));
  Fire();
  clock_.Set(kT0 + absl::Hours(1));  // The response breach.
  Fire();
  Fire();
  opened = list();
  ASSERT_EQ(opened.escalations_size(), 1);
  const v1::Escalation& e = opened.escalations(0);
  EXPECT_EQ(e.source(), v1::Escalation::SLA_BREACH);
  EXPECT_EQ(e.severity(), v1::SEV2);
  int breached = 0;
  for (const auto& t : e.timeline()) {
    if (t.action() == v1::EscalationTimelineEntry::BREACHED) {
      ++breached;
      EXPECT_EQ(t.actor(), "system");
      EXPECT_THAT(t.note(), HasSubstr("breached"));
    }
  }
  EXPECT_EQ(breached, 1);
}

TEST_F(TicketsTest, ABreachWhosePolicyIsMissingIsRecordedWithoutAnEscalation) {
  // The agreement asks for an escalation, but the default policy was never
  // created: the breach is still recorded at its instant and the ticket
  // keeps taking events; only the escalation is skipped (and logged).
  ASSERT_NO_FATAL_FAILURE(EscalateOn(std::nullopt, v1::SEV2));
  ASSERT_NO_FATAL_FAILURE(OpenAcmeTicket());
  clock_.Set(kT0 + absl::Hours(1));  // The response breach.
  EXPECT_GE(Fire(), 1);
  EXPECT_EQ(Fire(), 0);  // Done, not waiting for a retry.
  const v1::Ticket ticket = Get("E-1");
  bool breached = false;
  for (const auto& c : ticket.crossings()) breached = breached || c.threshold() == 100;
  EXPECT_TRUE(breached) << ticket.DebugString();
  ASSERT_OK(Event("E-1", "resp", kT0 + absl::Hours(1) + absl::Minutes(5),
                  [](v1::TicketEvent* e) { e->mutable_responded(); }));
  auto escalations = v1::EscalationService::NewStub(server_->InProcessChannel());
  grpc::ClientContext ctx;
  v1::ListEscalationsRequest request;  // Any relationship.
  v1::ListEscalationsResponse response;
  ASSERT_OK(escalations->ListEscalations(&ctx, request, &response));
  EXPECT_EQ(response.escalations_size(), 0);
}

}  // namespace
}  // namespace rapport
