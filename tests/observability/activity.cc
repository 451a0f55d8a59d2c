#include "tests/observability/activity.h"

#include <chrono>
#include <cmath>
#include <functional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "rapport/v1/escalations.grpc.pb.h"
#include "rapport/v1/relationships.grpc.pb.h"
#include "rapport/v1/satisfaction.grpc.pb.h"
#include "rapport/v1/sla.grpc.pb.h"
#include "tests/observability/observability_testing.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"

namespace rapport::testing {

const std::vector<std::string> kActivityFlags = {
    "--default_escalation_policy=escalation_policies/oncall", "--escalate_detractors",
    "--per_relationship_metrics", "--satisfaction_min_sample_size=5", "--sla_backfill_settle=2s"};

namespace {

google::protobuf::Timestamp Proto(absl::Time t) {
  google::protobuf::Timestamp out;
  const int64_t micros = absl::ToUnixMicros(t);
  out.set_seconds(micros / 1000000);
  out.set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
  return out;
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

google::protobuf::Duration Minutes(int minutes) {
  google::protobuf::Duration d;
  d.set_seconds(minutes * 60);
  return d;
}

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

// Seconds in the UTC calendar month holding `t`, and its start.
absl::Time MonthStart(absl::Time t) {
  const absl::CivilMonth month(absl::ToCivilMonth(t, absl::UTCTimeZone()));
  return absl::FromCivil(month, absl::UTCTimeZone());
}
double MonthSeconds(absl::Time t) {
  const absl::CivilMonth month(absl::ToCivilMonth(t, absl::UTCTimeZone()));
  return absl::ToDoubleSeconds(absl::FromCivil(month + 1, absl::UTCTimeZone()) -
                               absl::FromCivil(month, absl::UTCTimeZone()));
}

class Driver {
 public:
  explicit Driver(const std::string& address)
      : channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        relationships_(v1::RelationshipService::NewStub(channel_)),
        catalog_(v1::SlaCatalogService::NewStub(channel_)),
        escalations_(v1::EscalationService::NewStub(channel_)),
        satisfaction_(v1::SatisfactionService::NewStub(channel_)) {}

  v1::Relationship CreateRelationship(const std::string& id) {
    v1::CreateRelationshipRequest r;
    r.set_relationship_id(id);
    r.mutable_relationship()->set_display_name("Acme Corp");
    r.mutable_relationship()->set_kind(v1::Relationship::EXTERNAL_CUSTOMER);
    v1::Relationship out;
    EXPECT_OK(relationships_->CreateRelationship(Ctx().get(), r, &out));
    return out;
  }

  void CreateInteraction(const std::string& relationship, v1::Interaction::Kind kind,
                         absl::Time at) {
    v1::CreateInteractionRequest r;
    r.set_parent("relationships/" + relationship);
    r.mutable_interaction()->set_kind(kind);
    *r.mutable_interaction()->mutable_occur_time() = Proto(at);
    r.mutable_interaction()->set_summary("The e-mail outage hit the sales floor");
    r.mutable_interaction()->set_sentiment(-1);
    v1::Interaction out;
    EXPECT_OK(relationships_->CreateInteraction(Ctx().get(), r, &out));
  }

  void ComputeHealth(const std::string& relationship) {
    v1::GetRelationshipHealthRequest r;
    r.set_relationship("relationships/" + relationship);
    v1::RelationshipHealth out;
    EXPECT_OK(relationships_->GetRelationshipHealth(Ctx().get(), r, &out));
  }

  // Two levels of 10 minutes: nothing moves during a test.
  void CreatePolicy(const std::string& id) {
    v1::CreateEscalationPolicyRequest r;
    r.set_policy_id(id);
    r.mutable_policy()->set_display_name("On call");
    for (const char* name : {"service-desk", "duty-manager"}) {
      auto* level = r.mutable_policy()->add_levels();
      level->set_name(name);
      level->add_targets(absl::StrCat("team:", name));
      *level->mutable_ack_wait() = Minutes(10);
    }
    v1::EscalationPolicy out;
    EXPECT_OK(escalations_->CreateEscalationPolicy(Ctx().get(), r, &out));
  }

  // Services email and vpn; a 24x7 calendar; the default SLA of email: P1
  // first response 1 h, resolution 4 h, warnings at 50% and 75%,
  // availability 99.9%, a breach opens a SEV2 escalation.
  void ApplyCatalog(absl::Time now) {
    v1::ApplyCatalogRequest r;
    auto* c = r.mutable_catalog();
    for (const auto& [id, name] : {std::pair{"email", "E-mail"}, std::pair{"vpn", "VPN"}}) {
      auto* s = c->add_services();
      s->set_name(absl::StrCat("services/", id));
      s->set_display_name(name);
    }
    auto* always = c->add_calendars();
    always->set_name("calendars/always");
    always->set_display_name("24x7");
    always->set_time_zone("UTC");
    always->set_round_the_clock(true);
    auto* a = c->add_agreements();
    a->set_name("agreements/email-gold");
    a->set_display_name("E-mail gold");
    a->set_type(v1::Agreement::SLA);
    a->set_service("services/email");
    *a->mutable_effective_from() = Proto(now - absl::Hours(24 * 60));
    a->set_calendar("calendars/always");
    a->add_warning_thresholds(50);
    a->add_warning_thresholds(75);
    a->set_availability_target(99.9);
    a->mutable_on_breach()->set_open_escalation(true);
    a->mutable_on_breach()->set_severity(v1::SEV2);
    auto* t = a->add_targets();
    t->set_priority(v1::P1);
    t->mutable_first_response()->set_seconds(3600);
    t->mutable_resolution()->set_seconds(4 * 3600);
    v1::ApplyCatalogResponse out;
    EXPECT_OK(catalog_->ApplyCatalog(Ctx().get(), r, &out));
  }

  void Event(const std::string& ticket, const std::string& id, absl::Time at,
             const std::function<void(v1::TicketEvent*)>& fill) {
    v1::RecordTicketEventRequest r;
    r.set_ticket_id(ticket);
    r.mutable_event()->set_event_id(id);
    *r.mutable_event()->mutable_event_time() = Proto(at);
    fill(r.mutable_event());
    v1::Ticket out;
    EXPECT_OK(catalog_->RecordTicketEvent(Ctx().get(), r, &out)) << ticket << " " << id;
  }
  void Open(const std::string& ticket, absl::Time at, const std::string& relationship) {
    Event(ticket, "open", at, [&](v1::TicketEvent* e) {
      e->mutable_opened()->set_service("services/email");
      e->mutable_opened()->set_priority(v1::P1);
      if (!relationship.empty())
        e->mutable_opened()->set_relationship("relationships/" + relationship);
    });
  }

  void GetMissingTicket() {
    v1::GetTicketRequest r;
    r.set_name("tickets/no-such-ticket");
    v1::Ticket out;
    EXPECT_EQ(catalog_->GetTicket(Ctx().get(), r, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  }

  void RecordOutage(absl::Time from, absl::Time to) {
    v1::RecordOutageRequest r;
    r.set_outage_id("relay-down");
    r.mutable_outage()->set_service("services/email");
    r.mutable_outage()->set_kind(v1::Outage::UNPLANNED);
    *r.mutable_outage()->mutable_start_time() = Proto(from);
    *r.mutable_outage()->mutable_end_time() = Proto(to);
    r.mutable_outage()->set_description("Mail relay down");
    v1::Outage out;
    EXPECT_OK(catalog_->RecordOutage(Ctx().get(), r, &out));
  }

  void CreateSurvey(const std::string& id, v1::Survey::Kind kind) {
    v1::CreateSurveyRequest r;
    r.set_survey_id(id);
    auto* s = r.mutable_survey();
    s->set_display_name(id);
    s->set_question("How did we do?");
    s->set_kind(kind);
    s->set_state(v1::Survey::OPEN);
    s->set_service("services/email");
    s->set_relationship("relationships/acme");
    v1::Survey out;
    EXPECT_OK(satisfaction_->CreateSurvey(Ctx().get(), r, &out));
  }

  std::string Answer(const std::string& survey, int n, int score, const std::string& comment,
                     absl::Time at) {
    v1::SubmitResponseRequest r;
    r.set_parent("surveys/" + survey);
    r.set_respondent(absl::StrCat("person-", n, "@acme.example"));
    r.set_response_id(absl::StrCat("a", n));
    r.mutable_response()->set_score(score);
    r.mutable_response()->set_comment(comment);
    *r.mutable_response()->mutable_submit_time() = Proto(at);
    v1::Response out;
    EXPECT_OK(satisfaction_->SubmitResponse(Ctx().get(), r, &out)) << survey << " " << n;
    return out.name();
  }

  void Withdraw(const std::string& name) {
    v1::WithdrawResponseRequest r;
    r.set_name(name);
    google::protobuf::Empty out;
    EXPECT_OK(satisfaction_->WithdrawResponse(Ctx().get(), r, &out));
  }

  void CreateEscalation(const std::string& id, v1::Severity severity) {
    v1::CreateEscalationRequest r;
    r.set_escalation_id(id);
    auto* e = r.mutable_escalation();
    e->set_relationship("relationships/acme");
    e->set_service("services/email");
    e->set_title("Sales floor cannot send e-mail");
    e->set_severity(severity);
    e->set_policy("escalation_policies/oncall");
    v1::Escalation out;
    EXPECT_OK(escalations_->CreateEscalation(Ctx().get(), r, &out));
  }
  void Acknowledge(const std::string& id) {
    v1::AcknowledgeEscalationRequest r;
    r.set_name("escalations/" + id);
    v1::Escalation out;
    EXPECT_OK(escalations_->AcknowledgeEscalation(Ctx().get(), r, &out));
  }
  void Resolve(const std::string& id) {
    v1::ResolveEscalationRequest r;
    r.set_name("escalations/" + id);
    r.set_summary("Relay restarted");
    v1::Escalation out;
    EXPECT_OK(escalations_->ResolveEscalation(Ctx().get(), r, &out));
  }
  std::vector<v1::Escalation> ListEscalations() {
    v1::ListEscalationsRequest r;
    r.set_page_size(100);
    v1::ListEscalationsResponse out;
    EXPECT_OK(escalations_->ListEscalations(Ctx().get(), r, &out));
    return {out.escalations().begin(), out.escalations().end()};
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::RelationshipService::Stub> relationships_;
  std::unique_ptr<v1::SlaCatalogService::Stub> catalog_;
  std::unique_ptr<v1::EscalationService::Stub> escalations_;
  std::unique_ptr<v1::SatisfactionService::Stub> satisfaction_;
};

}  // namespace

ActivityResult RunActivity(const std::string& grpc_address, int metrics_port) {
  ActivityResult result;
  const absl::Time t = absl::Now();
  result.start = t;
  Driver d(grpc_address);

  const v1::Relationship acme = d.CreateRelationship("acme");
  result.relationship_tier = v1::Relationship::Tier_Name(acme.tier());
  result.relationship_status = v1::Relationship::Status_Name(acme.status());
  d.CreateInteraction("acme", v1::Interaction::COMPLAINT, t - absl::Hours(2));
  d.CreatePolicy("oncall");
  d.ApplyCatalog(t);

  // Met: answered after 5 minutes, resolved after 10.
  d.Open("t-met", t - absl::Minutes(20), "acme");
  d.Event("t-met", "responded", t - absl::Minutes(15), [](auto* e) { e->mutable_responded(); });
  d.Event("t-met", "resolved", t - absl::Minutes(10), [](auto* e) { e->mutable_resolved(); });
  // Breached: opened 150 minutes ago, so the first response crossed 50%,
  // 75% and its breach (opening the SEV2 escalation) and the resolution 50%;
  // answered late, 80 minutes ago; still open.
  d.Open("t-breach", t - absl::Minutes(150), "acme");
  d.Event("t-breach", "responded", t - absl::Minutes(80), [](auto* e) { e->mutable_responded(); });
  // At risk: its first response reaches 50% three seconds from now, when the
  // schedule fires the warning.
  d.Open("t-risk", absl::Now() - absl::Minutes(30) + absl::Seconds(3), "");
  d.GetMissingTicket();
  // Ten minutes of outage: downtime counted against email's 99.9% target.
  d.RecordOutage(t - absl::Minutes(30), t - absl::Minutes(20));

  // NPS: promoters 10, 10, 9; passive 8; detractors 3 (with a comment: logged
  // on acme and escalated, SEV3) and 5. CSAT: 5, 4, 2 and a 1 withdrawn.
  d.CreateSurvey("pulse", v1::Survey::NPS);
  d.CreateSurvey("csat", v1::Survey::CSAT);
  const absl::Time answered = t - absl::Hours(24);
  int n = 0;
  for (int score : {10, 10, 9, 8}) d.Answer("pulse", n++, score, "", answered);
  d.Answer("pulse", n++, 3, "Mail has been slow all week", answered);
  d.Answer("pulse", n++, 5, "", answered);
  for (int score : {5, 4, 2}) d.Answer("csat", n++, score, "", answered);
  d.Withdraw(d.Answer("csat", n++, 1, "", answered));

  // Escalations: a SEV1 left OPEN, a SEV4 acknowledged, a SEV4 acknowledged
  // and resolved.
  d.CreateEscalation("sev1-open", v1::SEV1);
  d.CreateEscalation("sev4-acked", v1::SEV4);
  d.Acknowledge("sev4-acked");
  d.CreateEscalation("sev4-resolved", v1::SEV4);
  d.Acknowledge("sev4-resolved");
  d.Resolve("sev4-resolved");
  // Wait for the schedule to fire t-risk's warning and t-breach's settled
  // crossings (its history was sent event by event: --sla_backfill_settle).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool fired = false;
  while (!fired && std::chrono::steady_clock::now() < deadline) {
    const MetricsPage page = ParseMetricsPage(HttpGet(metrics_port, "/metrics"));
    const auto* sample = page.Find("rapport_schedule_fired_total", {{"kind", "sla.ticket"}});
    fired = sample != nullptr && *sample >= 2;
    if (!fired) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(fired) << "the schedule did not fire t-risk's warning and t-breach's crossings "
                        "within 30 s";
  d.ComputeHealth("acme");

  for (const auto& e : d.ListEscalations()) {
    if (e.state() != v1::Escalation::OPEN) continue;
    const std::string severity = v1::Severity_Name(e.severity());
    const absl::Time created = FromProto(e.create_time());
    auto [it, inserted] = result.oldest_open_by_severity.emplace(severity, created);
    if (!inserted) it->second = std::min(it->second, created);
  }
  result.end = absl::Now();
  return result;
}

std::vector<ExpectedSample> ExpectedSamples(const ActivityResult& activity) {
  const absl::Time t = activity.start;
  std::vector<ExpectedSample> out;
  auto add = [&out](std::string name, std::map<std::string, std::string> labels, double value,
                    double tolerance = 1e-9) {
    out.push_back({std::move(name), std::move(labels), value, tolerance});
  };
  // SLA: at risk (a warning crossed and no breach), t-risk (first response
  // past 50%), not t-breach (its resolution is past 50%, but its first
  // response breached); breached, t-breach; 2 of 3 completed timers met.
  add("rapport_sla_open_tickets_at_risk", {{"service", "email"}}, 1);
  add("rapport_sla_open_tickets_at_risk", {{"service", "vpn"}}, 0);
  add("rapport_sla_open_tickets_breached", {{"service", "email"}}, 1);
  add("rapport_sla_open_tickets_breached", {{"service", "vpn"}}, 0);
  add("rapport_sla_compliance_ratio",
      {{"service", "email"}, {"agreement_type", "SLA"}, {"window", "30d"}}, 2.0 / 3);
  if (MonthStart(t) <= t - absl::Minutes(150) && MonthStart(activity.end) == MonthStart(t)) {
    add("rapport_sla_compliance_ratio",
        {{"service", "email"}, {"agreement_type", "SLA"}, {"window", "month"}}, 2.0 / 3);
  }
  const std::map<std::string, std::string> p1 = {{"service", "email"}, {"priority", "P1"}};
  auto with = [](std::map<std::string, std::string> base, std::map<std::string, std::string> more) {
    base.insert(more.begin(), more.end());
    return base;
  };
  add("rapport_sla_threshold_crossings_total",
      with(p1, {{"type", "breach"}, {"timer", "FIRST_RESPONSE"}}), 1);
  add("rapport_sla_threshold_crossings_total",
      with(p1, {{"type", "warning"}, {"timer", "FIRST_RESPONSE"}}), 3);
  add("rapport_sla_threshold_crossings_total",
      with(p1, {{"type", "warning"}, {"timer", "RESOLUTION"}}), 1);
  add("rapport_sla_timers_completed_total",
      with(p1, {{"timer", "FIRST_RESPONSE"}, {"outcome", "met"}}), 1);
  add("rapport_sla_timers_completed_total",
      with(p1, {{"timer", "FIRST_RESPONSE"}, {"outcome", "breached"}}), 1);
  add("rapport_sla_timers_completed_total", with(p1, {{"timer", "RESOLUTION"}, {"outcome", "met"}}),
      1);
  // Availability: 600 s down in this month; the budget is 0.1% of the month
  // in whole milliseconds.
  if (MonthStart(t) <= t - absl::Minutes(30) && MonthStart(activity.end) == MonthStart(t)) {
    const double month = MonthSeconds(t);
    const double budget = std::round(month * 1000 * 0.001) / 1000;
    add("rapport_service_availability_ratio", {{"service", "email"}}, 1 - 600 / month, 1e-6);
    add("rapport_service_error_budget_remaining_ratio", {{"service", "email"}}, 1 - 600 / budget,
        1e-6);
  }
  add("rapport_schedule_fired_total", {{"kind", "sla.ticket"}}, 2);

  // Satisfaction. NPS: p = 3/6, d = 2/6, NPS = 100 (p - d), SE = 100
  // √((p + d − (p − d)²)/n). CSAT: q = 2/3, SE = √(q (1 − q)/n).
  const double p = 3.0 / 6, dd = 2.0 / 6, q = 2.0 / 3;
  const double nps = 100 * (p - dd);
  const double nps_se = 100 * std::sqrt((p + dd - (p - dd) * (p - dd)) / 6);
  const double csat_se = std::sqrt(q * (1 - q) / 3);
  for (const char* window : {"30d", "90d"}) {
    add("rapport_satisfaction_nps", {{"service", "email"}, {"window", window}}, nps, 1e-6);
    add("rapport_satisfaction_nps_standard_error", {{"service", "email"}, {"window", window}},
        nps_se, 1e-6);
    add("rapport_satisfaction_csat_ratio", {{"service", "email"}, {"window", window}}, q, 1e-9);
    add("rapport_satisfaction_csat_ratio_standard_error",
        {{"service", "email"}, {"window", window}}, csat_se, 1e-9);
    add("rapport_satisfaction_scored_answers",
        {{"service", "email"}, {"window", window}, {"kind", "NPS"}}, 6);
    add("rapport_satisfaction_scored_answers",
        {{"service", "email"}, {"window", window}, {"kind", "CSAT"}}, 3);
    add("rapport_satisfaction_overall_nps", {{"window", window}}, nps, 1e-6);
    add("rapport_satisfaction_overall_nps_standard_error", {{"window", window}}, nps_se, 1e-6);
    add("rapport_satisfaction_overall_csat_ratio", {{"window", window}}, q, 1e-9);
    add("rapport_satisfaction_overall_csat_ratio_standard_error", {{"window", window}}, csat_se,
        1e-9);
    add("rapport_satisfaction_relationship_nps", {{"relationship", "acme"}, {"window", window}},
        nps, 1e-6);
  }
  add("rapport_satisfaction_min_sample_size", {}, 5);
  add("rapport_satisfaction_answers_total", {{"kind", "NPS"}, {"category", "PROMOTER"}}, 3);
  add("rapport_satisfaction_answers_total", {{"kind", "NPS"}, {"category", "PASSIVE"}}, 1);
  add("rapport_satisfaction_answers_total", {{"kind", "NPS"}, {"category", "DETRACTOR"}}, 2);
  add("rapport_satisfaction_answers_total", {{"kind", "CSAT"}, {"category", "PROMOTER"}}, 2);
  add("rapport_satisfaction_answers_total", {{"kind", "CSAT"}, {"category", "DETRACTOR"}}, 2);
  add("rapport_satisfaction_withdrawals_total", {{"kind", "CSAT"}, {"category", "DETRACTOR"}}, 1);

  // Relationships: the complaint and the detractor's comment.
  add("rapport_relationships",
      {{"kind", "EXTERNAL_CUSTOMER"},
       {"tier", activity.relationship_tier},
       {"status", activity.relationship_status}},
      1);
  add("rapport_interactions_total", {{"kind", "COMPLAINT"}}, 1);
  add("rapport_interactions_total", {{"kind", "SURVEY_FEEDBACK"}}, 1);
  add("rapport_complaints_total", {}, 1);

  // Escalations: SEV1 manual and OPEN; SEV2 from the breach and SEV3 from
  // the detractor, both OPEN; SEV4 acknowledged; SEV4 resolved.
  add("rapport_escalations_open", {{"state", "OPEN"}, {"level", "0"}, {"severity", "SEV1"}}, 1);
  add("rapport_escalations_open", {{"state", "OPEN"}, {"level", "0"}, {"severity", "SEV2"}}, 1);
  add("rapport_escalations_open", {{"state", "OPEN"}, {"level", "0"}, {"severity", "SEV3"}}, 1);
  add("rapport_escalations_open", {{"state", "ACKNOWLEDGED"}, {"level", "0"}, {"severity", "SEV4"}},
      1);
  add("rapport_escalations_opened_total", {{"source", "MANUAL"}, {"severity", "SEV1"}}, 1);
  add("rapport_escalations_opened_total", {{"source", "MANUAL"}, {"severity", "SEV4"}}, 2);
  add("rapport_escalations_opened_total", {{"source", "SLA_BREACH"}, {"severity", "SEV2"}}, 1);
  add("rapport_escalations_opened_total", {{"source", "LOW_SATISFACTION"}, {"severity", "SEV3"}},
      1);
  add("rapport_escalation_time_to_acknowledge_seconds_count", {}, 2);
  add("rapport_escalation_time_to_resolve_seconds_count", {}, 1);
  add("rapport_escalation_auto_level_changes_total", {{"action", "AUTO_ESCALATED"}}, 0);
  EXPECT_EQ(activity.oldest_open_by_severity.size(), 3u);
  for (const auto& [severity, since] : activity.oldest_open_by_severity) {
    add("rapport_escalation_oldest_unacknowledged_timestamp_seconds", {{"severity", severity}},
        absl::ToDoubleSeconds(since - absl::UnixEpoch()), 1e-3);
  }

  // Calls: six ticket events, one NOT_FOUND.
  add("rapport_grpc_server_handled_total",
      {{"grpc_service", "rapport.v1.SlaCatalogService"},
       {"grpc_method", "RecordTicketEvent"},
       {"grpc_code", "OK"}},
      6);
  add("rapport_grpc_server_handled_total",
      {{"grpc_service", "rapport.v1.SlaCatalogService"},
       {"grpc_method", "GetTicket"},
       {"grpc_code", "NOT_FOUND"}},
      1);
  return out;
}

}  // namespace rapport::testing
