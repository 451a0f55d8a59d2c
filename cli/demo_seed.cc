// rapportctl demo seed: fills an empty rapportd with a small organisation
// (demo_data.h: the IT department of Nordwind Logistics, its business units,
// customers and suppliers) through the public API only, so that a first start has
// something to show and the dashboards have data: relationships with
// stakeholders, interactions and opportunities; a catalog of services,
// calendars in three time zones and agreements; four weeks and some days of
// tickets with their events in the past, some of them late; outages; NPS and
// CSAT answers; escalation policies and escalations in every state.
//
// The same seed gives the same data, placed relative to the week the command
// runs in: the tickets start on the Monday four weeks before the current
// week, so that business hours and weekends fall alike on every run.
// First responses and resolutions are placed in business time with the
// server's own calendars (ComputeDueTime), so a ticket meant to breach does.
// rapportd records the warnings and breaches of an event's past as soon as
// the ticket opens, before its later events arrive: a seeded ticket's
// crossing log may list a breach of a timer its response then met in time.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "cli/cli.h"
#include "cli/context.h"
#include "cli/demo_data.h"
#include "cli/format.h"
#include "cli/table.h"
#include "google/protobuf/struct.pb.h"
#include "rapport/v1/escalations.grpc.pb.h"
#include "rapport/v1/relationships.grpc.pb.h"
#include "rapport/v1/satisfaction.grpc.pb.h"
#include "rapport/v1/sla.grpc.pb.h"

// Returns a failed grpc::Status from the enclosing function.
#define RETURN_IF_FAILED(expr)                          \
  do {                                                  \
    if (grpc::Status status_ = (expr); !status_.ok()) { \
      return status_;                                   \
    }                                                   \
  } while (false)

namespace rapport::cli {
namespace {

using demo::Agreements;
using demo::AgreementSeed;
using demo::Calendars;
using demo::kDomain;
using demo::Relationships;
using demo::RelationshipSeed;
using demo::Services;
using demo::SlaFor;
using v1::Relationship;

// Random choices that are the same on every platform: the standard
// distributions may differ between standard libraries, std::mt19937 does not.
class Random final {
 public:
  explicit Random(uint32_t seed) : engine_(seed) {}
  // 0 to n - 1.
  int Below(int n) { return static_cast<int>(engine_() % static_cast<uint32_t>(n)); }
  // [0, 1).
  double Unit() { return engine_() / 4294967296.0; }
  double Between(double low, double high) { return low + (high - low) * Unit(); }
  bool Chance(double p) { return Unit() < p; }
  // An index drawn with the given weights.
  int Weighted(const std::vector<int>& weights) {
    int total = 0;
    for (int w : weights) total += w;
    int r = Below(total);
    for (size_t i = 0; i < weights.size(); ++i) {
      if (r < weights[i]) return static_cast<int>(i);
      r -= weights[i];
    }
    return static_cast<int>(weights.size()) - 1;
  }
  // How many events of a process averaging `mean`: its whole part, plus one
  // with the chance of its fraction.
  int Count(double mean) {
    const int whole = static_cast<int>(mean);
    return whole + (Chance(mean - whole) ? 1 : 0);
  }

 private:
  std::mt19937 engine_;
};

// What was made, for the summary.
struct Counts {
  int relationships = 0, stakeholders = 0, interactions = 0, opportunities = 0;
  int services = 0, calendars = 0, agreements = 0, outages = 0;
  int tickets = 0, breached = 0, open = 0;
  int nps_answers = 0, csat_answers = 0;
  int policies = 0, escalations = 0;
};

// A ticket as generated, for CSAT answers and escalations.
struct TicketMade {
  std::string id, relationship, service;
  v1::Priority priority;
  bool late = false;  // Meant to breach.
  std::optional<absl::Time> resolved;
};

class Seeder final {
 public:
  Seeder(Context& c, uint32_t seed)
      : c_(c),
        random_(seed),
        relationships_(v1::RelationshipService::NewStub(c.Channel())),
        catalog_(v1::SlaCatalogService::NewStub(c.Channel())),
        satisfaction_(v1::SatisfactionService::NewStub(c.Channel())),
        escalations_(v1::EscalationService::NewStub(c.Channel())),
        now_(absl::Now()) {
    // Monday 00:00 UTC of the week four weeks before this one.
    const absl::CivilDay today = absl::ToCivilDay(now_, absl::UTCTimeZone());
    const int since_monday =
        (static_cast<int>(absl::GetWeekday(today)) - static_cast<int>(absl::Weekday::monday) + 7) %
        7;
    start_ = absl::FromCivil(today - since_monday - 28, absl::UTCTimeZone());
  }

  const Counts& counts() const { return counts_; }

  // Each step returns the first failed call's status; `failed_` names it.
  grpc::Status Run() {
    for (const auto& [what, step] : std::vector<std::pair<const char*, grpc::Status (Seeder::*)()>>{
             {"the catalog", &Seeder::Catalog},
             {"relationships", &Seeder::MakeRelationships},
             {"customer agreements", &Seeder::CustomerAgreements},
             {"outages", &Seeder::Outages},
             {"tickets", &Seeder::Tickets},
             {"survey answers", &Seeder::Surveys},
             {"escalations", &Seeder::Escalations},
         }) {
      if (!c_.json()) c_.err() << "demo seed: " << what << " ...\n";
      if (grpc::Status status = (this->*step)(); !status.ok()) return status;
    }
    return Tally();
  }

  // The call that failed, for the error message.
  const std::string& failed() const { return failed_; }

 private:
  // Makes a call with the usual deadline; remembers `what` if it fails.
  template <typename Call>
  grpc::Status Do(const std::string& what, Call call) {
    grpc::ClientContext ctx;
    c_.Prepare(&ctx);
    grpc::Status status = call(&ctx);
    if (!status.ok()) failed_ = what;
    return status;
  }

  google::protobuf::Timestamp At(absl::Time t) const { return ToProto(t); }
  absl::Time DaysAgo(double days) const { return now_ - absl::Seconds(days * 86400); }

  grpc::Status Catalog() {
    v1::ApplyCatalogRequest request;
    auto* catalog = request.mutable_catalog();
    for (const auto& s : Services()) {
      auto* service = catalog->add_services();
      service->set_name(absl::StrCat("services/", s.id));
      service->set_display_name(s.name);
      service->set_owner(s.owner);
      service->set_criticality(s.criticality);
      service->set_lifecycle(v1::Service::LIVE);
      service->set_description(s.description);
      ++counts_.services;
    }
    for (const auto& calendar : Calendars()) {
      *catalog->add_calendars() = calendar;
      ++counts_.calendars;
    }
    AddAgreements(/*with_relationship=*/false, catalog);
    v1::ApplyCatalogResponse response;
    return Do("ApplyCatalog", [&](grpc::ClientContext* ctx) {
      return catalog_->ApplyCatalog(ctx, request, &response);
    });
  }

  void AddAgreements(bool with_relationship, v1::Catalog* catalog) {
    const absl::CivilDay today = absl::ToCivilDay(now_, absl::UTCTimeZone());
    const absl::Time effective =
        absl::FromCivil(absl::CivilDay(today.year() - 1, 1, 1), absl::UTCTimeZone());
    for (const auto& a : Agreements()) {
      if (std::string(a.relationship).empty() == with_relationship) continue;
      auto* agreement = catalog->add_agreements();
      agreement->set_name(absl::StrCat("agreements/", a.id));
      agreement->set_display_name(a.name);
      agreement->set_type(a.type);
      agreement->set_service(absl::StrCat("services/", a.service));
      if (with_relationship)
        agreement->set_relationship(absl::StrCat("relationships/", a.relationship));
      agreement->set_provider(a.provider);
      *agreement->mutable_effective_from() = At(effective);
      agreement->set_calendar(absl::StrCat("calendars/", a.calendar));
      for (int p = 0; p < 4; ++p) {
        auto* target = agreement->add_targets();
        target->set_priority(static_cast<v1::Priority>(p + 1));
        target->mutable_first_response()->set_seconds(a.targets.response[p] * 60);
        target->mutable_resolution()->set_seconds(a.targets.resolution[p] * 60);
      }
      agreement->add_warning_thresholds(50);
      agreement->add_warning_thresholds(75);
      if (a.availability > 0) {
        agreement->set_availability_target(a.availability);
        agreement->set_availability_period(v1::Agreement::MONTH);
      }
      if (a.type == v1::Agreement::SLA) {
        agreement->mutable_on_breach()->set_open_escalation(true);
        agreement->mutable_on_breach()->set_severity(v1::SEV2);
      }
      ++counts_.agreements;
    }
  }

  // The services a relationship consumes, each with the catalog default
  // SLA, or with its own when `own_agreements`.
  static void AddConsumedServices(const RelationshipSeed& r, bool own_agreements,
                                  Relationship* rel) {
    for (const char* service : r.services) {
      auto* consumed = rel->add_consumed_services();
      consumed->set_service(absl::StrCat("services/", service));
      const AgreementSeed& sla = SlaFor(r.id, service);
      if (own_agreements || std::string(sla.relationship).empty()) {
        consumed->set_agreement(absl::StrCat("agreements/", sla.id));
      }
    }
  }

  // The customers' own agreements, which need the relationships, and then
  // the relationships' consumed services linked to them.
  grpc::Status CustomerAgreements() {
    v1::ApplyCatalogRequest request;
    AddAgreements(/*with_relationship=*/true, request.mutable_catalog());
    v1::ApplyCatalogResponse response;
    RETURN_IF_FAILED(Do("ApplyCatalog", [&](grpc::ClientContext* ctx) {
      return catalog_->ApplyCatalog(ctx, request, &response);
    }));
    for (const auto& r : Relationships()) {
      v1::UpdateRelationshipRequest update;
      update.mutable_relationship()->set_name(absl::StrCat("relationships/", r.id));
      AddConsumedServices(r, /*own_agreements=*/true, update.mutable_relationship());
      update.mutable_update_mask()->add_paths("consumed_services");
      Relationship out;
      RETURN_IF_FAILED(Do(absl::StrCat("UpdateRelationship ", r.id), [&](grpc::ClientContext* ctx) {
        return relationships_->UpdateRelationship(ctx, update, &out);
      }));
    }
    return grpc::Status::OK;
  }

  grpc::Status MakeRelationships() {
    for (const auto& r : Relationships()) {
      v1::CreateRelationshipRequest request;
      request.set_relationship_id(r.id);
      Relationship* rel = request.mutable_relationship();
      rel->set_display_name(r.name);
      rel->set_kind(r.kind);
      rel->set_tier(r.tier);
      rel->set_status(r.status);
      rel->set_manager(absl::StrCat(r.manager, "@", kDomain));
      rel->set_description(r.description);
      (*rel->mutable_labels())["region"] = r.region;
      // The customer's own agreements do not exist yet: see LinkAgreements().
      AddConsumedServices(r, /*own_agreements=*/false, rel);
      Relationship out;
      RETURN_IF_FAILED(Do(absl::StrCat("CreateRelationship ", r.id), [&](grpc::ClientContext* ctx) {
        return relationships_->CreateRelationship(ctx, request, &out);
      }));
      ++counts_.relationships;

      for (const auto& s : r.stakeholders) {
        v1::CreateStakeholderRequest sr;
        sr.set_parent(out.name());
        sr.set_stakeholder_id(s.id);
        auto* st = sr.mutable_stakeholder();
        st->set_display_name(s.name);
        st->set_role(s.role);
        st->set_email(absl::StrCat(EmailLocal(s.name), "@", r.domain));
        st->set_power(s.power);
        st->set_interest(s.interest);
        st->set_attitude(s.attitude);
        st->set_preferred_channel(v1::Stakeholder::EMAIL);
        v1::Stakeholder made;
        RETURN_IF_FAILED(
            Do(absl::StrCat("CreateStakeholder ", s.id), [&](grpc::ClientContext* ctx) {
              return relationships_->CreateStakeholder(ctx, sr, &made);
            }));
        ++counts_.stakeholders;
      }

      for (const auto& i : r.interactions) {
        v1::CreateInteractionRequest ir;
        ir.set_parent(out.name());
        auto* in = ir.mutable_interaction();
        in->set_kind(i.kind);
        in->set_channel(i.kind == v1::Interaction::EMAIL  ? v1::Stakeholder::EMAIL
                        : i.kind == v1::Interaction::CALL ? v1::Stakeholder::PHONE
                                                          : v1::Stakeholder::MEETING);
        *in->mutable_occur_time() = At(DaysAgo(i.days_ago) - absl::Hours(3));
        in->set_summary(i.summary);
        in->set_sentiment(i.sentiment);
        in->add_participants(absl::StrCat(r.manager, "@", kDomain));
        if (!r.stakeholders.empty()) in->add_participants(r.stakeholders[0].name);
        if (i.follow_up != nullptr) {
          auto* f = in->add_follow_ups();
          f->set_text(i.follow_up);
          f->set_owner(absl::StrCat(r.manager, "@", kDomain));
          *f->mutable_due_time() = At(DaysAgo(i.follow_up_due_days_ago));
          // Older follow-ups are done; the latest ones are still open (some overdue).
          f->set_done(i.days_ago > 30);
        }
        v1::Interaction made;
        RETURN_IF_FAILED(
            Do(absl::StrCat("CreateInteraction for ", r.id), [&](grpc::ClientContext* ctx) {
              return relationships_->CreateInteraction(ctx, ir, &made);
            }));
        ++counts_.interactions;
      }
    }
    return Opportunities();
  }

  grpc::Status Opportunities() {
    struct Seed {
      const char* relationship;
      const char* id;
      const char* title;
      v1::Opportunity::Stage stage;
      int64_t value;
    };
    for (const Seed& s : {Seed{"finance", "e-invoicing", "E-invoicing for all suppliers",
                               v1::Opportunity::PROPOSED, 120000},
                          Seed{"warehouse", "scanner-refresh", "Scanner fleet refresh",
                               v1::Opportunity::QUALIFIED, 340000},
                          Seed{"acme-retail", "edi-v2", "EDI integration v2 with store systems",
                               v1::Opportunity::IDENTIFIED, 80000}}) {
      v1::CreateOpportunityRequest request;
      request.set_parent(absl::StrCat("relationships/", s.relationship));
      request.set_opportunity_id(s.id);
      auto* o = request.mutable_opportunity();
      o->set_title(s.title);
      o->set_stage(s.stage);
      o->mutable_estimated_annual_value()->set_currency_code("EUR");
      o->mutable_estimated_annual_value()->set_units(s.value);
      *o->mutable_expected_time() = At(now_ + absl::Hours(24 * 90));
      v1::Opportunity made;
      RETURN_IF_FAILED(Do(absl::StrCat("CreateOpportunity ", s.id), [&](grpc::ClientContext* ctx) {
        return relationships_->CreateOpportunity(ctx, request, &made);
      }));
      ++counts_.opportunities;
    }
    return grpc::Status::OK;
  }

  grpc::Status Outages() {
    struct Seed {
      const char* service;
      const char* id;
      int day, hour, minute, minutes;
      v1::Outage::Kind kind;
      const char* description;
    };
    for (const Seed& s : {Seed{"network", "wan-hamburg-degraded", 9, 13, 20, 40,
                               v1::Outage::DEGRADED, "Packet loss on the Hamburg uplink"},
                          Seed{"email", "mail-maintenance", 12, 20, 0, 180,
                               v1::Outage::PLANNED_MAINTENANCE, "Mail server upgrade"},
                          Seed{"erp", "erp-database-crash", 17, 8, 40, 130, v1::Outage::UNPLANNED,
                               "Database crash during month-end close"},
                          Seed{"tracking-portal", "portal-certificate", 22, 6, 5, 25,
                               v1::Outage::UNPLANNED, "Expired certificate on the API gateway"}}) {
      v1::RecordOutageRequest request;
      request.set_outage_id(s.id);
      auto* o = request.mutable_outage();
      o->set_service(absl::StrCat("services/", s.service));
      const absl::Time start = start_ + absl::Hours(24 * s.day + s.hour) + absl::Minutes(s.minute);
      *o->mutable_start_time() = At(start);
      *o->mutable_end_time() = At(start + absl::Minutes(s.minutes));
      o->set_kind(s.kind);
      o->set_description(s.description);
      v1::Outage made;
      RETURN_IF_FAILED(Do(absl::StrCat("RecordOutage ", s.id), [&](grpc::ClientContext* ctx) {
        return catalog_->RecordOutage(ctx, request, &made);
      }));
      ++counts_.outages;
    }
    return grpc::Status::OK;
  }

  // When `minutes` of business time of `calendar` have passed after `start`.
  grpc::Status Due(const std::string& calendar, absl::Time start, double minutes, absl::Time* due) {
    v1::ComputeDueTimeRequest request;
    request.set_calendar(absl::StrCat("calendars/", calendar));
    *request.mutable_start_time() = At(start);
    request.mutable_business_duration()->set_seconds(static_cast<int64_t>(minutes * 60));
    v1::ComputeDueTimeResponse response;
    RETURN_IF_FAILED(Do("ComputeDueTime", [&](grpc::ClientContext* ctx) {
      return catalog_->ComputeDueTime(ctx, request, &response);
    }));
    *due = FromProto(response.due_time());
    return grpc::Status::OK;
  }

  grpc::Status Event(const std::string& ticket, const std::string& id, absl::Time when,
                     const std::function<void(v1::TicketEvent*)>& kind) {
    v1::RecordTicketEventRequest request;
    request.set_ticket_id(ticket);
    auto* e = request.mutable_event();
    e->set_event_id(id);
    *e->mutable_event_time() = At(when);
    kind(e);
    v1::Ticket out;
    return Do(absl::StrCat("RecordTicketEvent ", ticket, " ", id), [&](grpc::ClientContext* ctx) {
      return catalog_->RecordTicketEvent(ctx, request, &out);
    });
  }

  grpc::Status Tickets() {
    int number = 10001;
    // Events closer to now than this are left for later: the ticket stays as it is.
    const absl::Time latest = now_ - absl::Minutes(1);
    for (absl::Time day = start_; day < now_; day += absl::Hours(24)) {
      const bool weekend =
          absl::GetWeekday(absl::ToCivilDay(day, absl::UTCTimeZone())) >= absl::Weekday::saturday;
      for (const auto& r : Relationships()) {
        if (r.services.empty()) continue;
        const int n = random_.Count(r.tickets_per_day * (weekend ? 0.15 : 1.0));
        for (int k = 0; k < n; ++k) {
          TicketMade t;
          t.id = absl::StrCat("INC-", number++);
          t.relationship = r.id;
          t.service = r.services[random_.Below(static_cast<int>(r.services.size()))];
          const int p = random_.Weighted({3, 15, 50, 32});
          t.priority = static_cast<v1::Priority>(p + 1);
          // Mostly in European working hours, some at any time.
          const absl::Time open =
              day + (random_.Chance(0.85) ? absl::Minutes(random_.Below(11 * 60) + 6 * 60)
                                          : absl::Minutes(random_.Below(24 * 60)));
          const bool late_response = random_.Chance(0.05);
          const bool late_resolution = random_.Chance(0.08);
          t.late = late_response || late_resolution;
          const double response_share =
              late_response ? random_.Between(1.3, 3) : random_.Between(0.1, 0.8);
          const double resolution_share =
              late_resolution ? random_.Between(1.15, 2) : random_.Between(0.25, 0.9);
          const bool pauses = random_.Chance(0.08);
          const absl::Duration pause = absl::Minutes(random_.Below(300) + 60);
          if (open > latest) continue;

          const AgreementSeed& sla = SlaFor(r.id, t.service);
          absl::Time responded, resolved;
          RETURN_IF_FAILED(
              Due(sla.calendar, open, sla.targets.response[p] * response_share, &responded));
          RETURN_IF_FAILED(
              Due(sla.calendar, open, sla.targets.resolution[p] * resolution_share, &resolved));
          resolved = std::max(resolved, responded + absl::Minutes(10));
          ++counts_.tickets;

          RETURN_IF_FAILED(Event(t.id, "opened", open, [&](v1::TicketEvent* e) {
            e->mutable_opened()->set_relationship(absl::StrCat("relationships/", r.id));
            e->mutable_opened()->set_service(absl::StrCat("services/", t.service));
            e->mutable_opened()->set_priority(t.priority);
          }));
          if (responded <= latest) {
            RETURN_IF_FAILED(Event(t.id, "responded", responded,
                                   [](v1::TicketEvent* e) { e->mutable_responded(); }));
          }
          if (pauses && responded + absl::Minutes(5) + pause < resolved) {
            const absl::Time paused_at = responded + absl::Minutes(5);
            if (paused_at <= latest) {
              RETURN_IF_FAILED(Event(t.id, "paused", paused_at, [](v1::TicketEvent* e) {
                e->mutable_paused()->set_reason(v1::WAITING_FOR_CUSTOMER);
              }));
              if (paused_at + pause <= latest) {
                RETURN_IF_FAILED(Event(t.id, "resumed", paused_at + pause,
                                       [](v1::TicketEvent* e) { e->mutable_resumed(); }));
              }
            }
          }
          if (resolved <= latest && responded <= latest) {
            RETURN_IF_FAILED(Event(t.id, "resolved", resolved,
                                   [](v1::TicketEvent* e) { e->mutable_resolved(); }));
            t.resolved = resolved;
          }
          tickets_.push_back(t);
        }
      }
    }
    return grpc::Status::OK;
  }

  grpc::Status Survey(const std::string& id, const std::string& name, v1::Survey::Kind kind,
                      const std::string& question, int recontact_days) {
    v1::CreateSurveyRequest request;
    request.set_survey_id(id);
    auto* s = request.mutable_survey();
    s->set_display_name(name);
    s->set_kind(kind);
    s->set_question(question);
    s->set_state(v1::Survey::OPEN);
    s->set_recontact_limit_days(recontact_days);
    v1::Survey made;
    return Do(absl::StrCat("CreateSurvey ", id), [&](grpc::ClientContext* ctx) {
      return satisfaction_->CreateSurvey(ctx, request, &made);
    });
  }

  grpc::Status Answer(const std::string& survey, const std::string& respondent,
                      const std::string& relationship, const std::string& service,
                      const std::string& ticket, int score, const std::string& comment,
                      v1::Response::Channel channel, absl::Time when) {
    v1::SubmitResponseRequest request;
    request.set_parent(absl::StrCat("surveys/", survey));
    request.set_respondent(respondent);
    auto* r = request.mutable_response();
    r->set_relationship(absl::StrCat("relationships/", relationship));
    if (!service.empty()) r->set_service(absl::StrCat("services/", service));
    if (!ticket.empty()) r->set_ticket(absl::StrCat("tickets/", ticket));
    r->set_score(score);
    r->set_comment(comment);
    r->set_channel(channel);
    *r->mutable_submit_time() = At(when);
    v1::Response made;
    return Do(absl::StrCat("SubmitResponse to ", survey), [&](grpc::ClientContext* ctx) {
      return satisfaction_->SubmitResponse(ctx, request, &made);
    });
  }

  grpc::Status Surveys() {
    RETURN_IF_FAILED(Survey("relationship-nps", "Relationship NPS", v1::Survey::NPS,
                            "How likely are you to recommend Nordwind IT to a colleague?", 90));
    RETURN_IF_FAILED(Survey("ticket-csat", "Ticket satisfaction", v1::Survey::CSAT,
                            "How satisfied are you with how your request was handled?", 0));

    // NPS: twelve weeks of answers from the business, a dip in the weeks of
    // the ERP outage, Acme Retail souring week after week.
    const absl::Time outage = start_ + absl::Hours(24 * 17);
    int person = 0;
    const absl::Time first_week = start_ - absl::Hours(24 * 7 * 8);
    for (int week = 0; week < 13; ++week) {
      const absl::Time week_start = first_week + absl::Hours(24 * 7 * week);
      for (const auto& r : Relationships()) {
        for (int k = 0; k < r.nps_per_week; ++k) {
          const absl::Time when = week_start + absl::Hours(24 * random_.Below(5)) +
                                  absl::Minutes(7 * 60 + random_.Below(10 * 60));
          const double dip = std::abs(absl::ToDoubleHours(when - outage)) < 24 * 10 ? -1.0 : 0;
          const double souring = std::string(r.id) == "acme-retail" ? -0.12 * week : 0;
          const double mean = 8.2 + r.nps_mood + dip + souring;
          const double noise = (random_.Unit() + random_.Unit() + random_.Unit() - 1.5) * 2.4;
          const int score = std::clamp(static_cast<int>(std::lround(mean + noise)), 0, 10);
          if (when > now_ - absl::Minutes(1)) continue;
          const std::string comment =
              score <= 4   ? "Too many outages lately, and we hear about them from our own staff."
              : score >= 9 ? "Quick, friendly and they understand our business."
                           : "";
          RETURN_IF_FAILED(Answer("relationship-nps",
                                  absl::StrCat("person-", ++person, "@", r.domain), r.id, "", "",
                                  score, comment, v1::Response::EMAIL, when));
          ++counts_.nps_answers;
        }
      }
    }

    // CSAT: about half of the resolved tickets, lower after a breach.
    int requester = 0;
    for (const auto& t : tickets_) {
      if (!t.resolved || !random_.Chance(0.5)) continue;
      const absl::Time when = *t.resolved + absl::Minutes(30 + random_.Below(20 * 60));
      if (when > now_ - absl::Minutes(1)) continue;
      const int score = 1 + (t.late ? random_.Weighted({20, 30, 30, 15, 5})
                                    : random_.Weighted({1, 3, 10, 40, 46}));
      const std::string comment = score <= 2 ? "Took far too long, nobody told us why." : "";
      const RelationshipSeed* r = nullptr;
      for (const auto& seed : Relationships()) {
        if (t.relationship == seed.id) r = &seed;
      }
      RETURN_IF_FAILED(
          Answer("ticket-csat", absl::StrCat("requester-", ++requester % 40, "@", r->domain),
                 t.relationship, t.service, t.id, score, comment, v1::Response::IN_APP, when));
      ++counts_.csat_answers;
    }
    return grpc::Status::OK;
  }

  grpc::Status Policy(const std::string& id, const std::string& name,
                      const std::vector<std::tuple<const char*, const char*, int>>& levels,
                      int repeat, int retrigger_hours) {
    v1::CreateEscalationPolicyRequest request;
    request.set_policy_id(id);
    auto* p = request.mutable_policy();
    p->set_display_name(name);
    for (const auto& [level_name, target, minutes] : levels) {
      auto* level = p->add_levels();
      level->set_name(level_name);
      level->add_targets(absl::StrCat(target, "@", kDomain));
      level->mutable_ack_wait()->set_seconds(minutes * 60);
    }
    p->set_repeat(repeat);
    if (retrigger_hours > 0) p->mutable_retrigger_after()->set_seconds(retrigger_hours * 3600);
    p->set_calendar("calendars/round-the-clock");
    v1::EscalationPolicy made;
    RETURN_IF_FAILED(Do(absl::StrCat("CreateEscalationPolicy ", id), [&](grpc::ClientContext* ctx) {
      return escalations_->CreateEscalationPolicy(ctx, request, &made);
    }));
    ++counts_.policies;
    return grpc::Status::OK;
  }

  // Opens an escalation, then takes it through `steps` ("ack", "escalate",
  // "hold", "resolve", "close").
  grpc::Status Escalation(const std::string& id, const std::string& relationship,
                          const std::string& service, const std::string& policy,
                          v1::Severity severity, v1::Escalation::Type type,
                          const std::string& title, const std::string& description,
                          const std::string& assignee, const std::vector<std::string>& steps) {
    v1::CreateEscalationRequest request;
    request.set_escalation_id(id);
    auto* e = request.mutable_escalation();
    e->set_relationship(absl::StrCat("relationships/", relationship));
    e->set_service(absl::StrCat("services/", service));
    e->set_policy(absl::StrCat("escalation_policies/", policy));
    e->set_severity(severity);
    e->set_type(type);
    e->set_title(title);
    e->set_description(description);
    e->set_assignee(assignee.empty() ? "" : absl::StrCat(assignee, "@", kDomain));
    for (const auto& t : tickets_) {
      if (t.relationship == relationship && t.service == service && t.late) {
        e->set_ticket(absl::StrCat("tickets/", t.id));
      }
    }
    if (!e->ticket().empty())
      e->set_agreement(absl::StrCat("agreements/", SlaFor(relationship, service).id));
    v1::Escalation made;
    RETURN_IF_FAILED(Do(absl::StrCat("CreateEscalation ", id), [&](grpc::ClientContext* ctx) {
      return escalations_->CreateEscalation(ctx, request, &made);
    }));
    ++counts_.escalations;
    const std::string name = made.name();
    for (const auto& step : steps) {
      v1::Escalation out;
      grpc::Status status = Do(absl::StrCat(step, " ", name), [&](grpc::ClientContext* ctx) {
        if (step == "ack") {
          v1::AcknowledgeEscalationRequest r;
          r.set_name(name);
          return escalations_->AcknowledgeEscalation(ctx, r, &out);
        }
        if (step == "escalate") {
          v1::EscalateEscalationRequest r;
          r.set_name(name);
          r.set_seen_level(made.level());
          r.set_note("Needs a decision on the fallback plan");
          return escalations_->EscalateEscalation(ctx, r, &out);
        }
        if (step == "hold") {
          v1::HoldEscalationRequest r;
          r.set_name(name);
          r.set_reason("Waiting for the vendor's firmware update");
          return escalations_->HoldEscalation(ctx, r, &out);
        }
        if (step == "resolve") {
          v1::ResolveEscalationRequest r;
          r.set_name(name);
          r.set_summary("Carrier replaced the faulty line card; monitored for a week");
          return escalations_->ResolveEscalation(ctx, r, &out);
        }
        v1::CloseEscalationRequest r;
        r.set_name(name);
        return escalations_->CloseEscalation(ctx, r, &out);
      });
      if (!status.ok()) return status;
      made = out;
    }
    return grpc::Status::OK;
  }

  grpc::Status Escalations() {
    RETURN_IF_FAILED(Policy("standard", "Standard escalation",
                            {{"service-desk-lead", "service-desk-leads", 30},
                             {"duty-manager", "duty-manager", 60},
                             {"head-of-it-operations", "head-of-it-ops", 240}},
                            1, 8));
    RETURN_IF_FAILED(Policy("major-incident", "Major incident",
                            {{"on-call-engineer", "on-call", 10},
                             {"incident-manager", "incident-managers", 15},
                             {"cio", "cio", 30}},
                            2, 0));
    using E = v1::Escalation;
    RETURN_IF_FAILED(Escalation("erp-month-end", "finance", "erp", "major-incident", v1::SEV1,
                                E::HIERARCHICAL, "Month-end close blocked by ERP slowness",
                                "Posting runs take hours; the ledger must close by Friday.",
                                "lena.hoffmann", {"ack", "escalate", "ack"}));
    RETURN_IF_FAILED(
        Escalation("acme-tracking-latency", "acme-retail", "tracking-portal", "standard", v1::SEV2,
                   E::HIERARCHICAL, "Tracking data for Acme stores arrives hours late",
                   "Second complaint this month; the CIO is reviewing the contract.", "", {}));
    RETURN_IF_FAILED(Escalation("hall-3-scanners", "warehouse", "wms", "standard", v1::SEV2,
                                E::FUNCTIONAL, "Scanners in hall 3 keep dropping off",
                                "Picking slows down on every shift.", "jan.becker",
                                {"ack", "hold"}));
    RETURN_IF_FAILED(Escalation("singapore-vpn", "initech-asia", "network", "standard", v1::SEV3,
                                E::FUNCTIONAL, "VPN to Singapore unstable in the afternoons", "",
                                "", {"ack", "resolve"}));
    return Escalation("sales-mailbox-quota", "sales", "email", "standard", v1::SEV4, E::FUNCTIONAL,
                      "Shared mailbox of customer service full", "", "",
                      {"ack", "resolve", "close"});
  }

  // Breached and open tickets as the server counts them.
  grpc::Status Tally() {
    for (const bool breached : {true, false}) {
      v1::ListTicketsRequest request;
      request.set_page_size(1000);
      if (breached) {
        request.set_breached(true);
      } else {
        request.set_state(v1::Ticket::OPEN);
      }
      while (true) {
        v1::ListTicketsResponse response;
        RETURN_IF_FAILED(Do("ListTickets", [&](grpc::ClientContext* ctx) {
          return catalog_->ListTickets(ctx, request, &response);
        }));
        (breached ? counts_.breached : counts_.open) += response.tickets_size();
        if (response.next_page_token().empty()) break;
        request.set_page_token(response.next_page_token());
      }
    }
    return grpc::Status::OK;
  }

  // "katrin.vogel" for "Katrin Vogel".
  static std::string EmailLocal(absl::string_view name) {
    std::string local;
    for (char ch : name) {
      if (ch == ' ') {
        local += '.';
      } else if (absl::ascii_isalnum(static_cast<unsigned char>(ch))) {
        local += absl::ascii_tolower(static_cast<unsigned char>(ch));
      }
    }
    return local;
  }

  Context& c_;
  Random random_;
  std::unique_ptr<v1::RelationshipService::Stub> relationships_;
  std::unique_ptr<v1::SlaCatalogService::Stub> catalog_;
  std::unique_ptr<v1::SatisfactionService::Stub> satisfaction_;
  std::unique_ptr<v1::EscalationService::Stub> escalations_;
  const absl::Time now_;
  absl::Time start_;  // Of the tickets: a Monday, 00:00 UTC.
  std::vector<TicketMade> tickets_;
  Counts counts_;
  std::string failed_;
};

// Whether the server holds relationships or services already.
grpc::Status IsEmpty(Context& c, bool* empty) {
  auto relationships = v1::RelationshipService::NewStub(c.Channel());
  auto catalog = v1::SlaCatalogService::NewStub(c.Channel());
  v1::ListRelationshipsRequest rr;
  rr.set_page_size(1);
  v1::ListRelationshipsResponse rs;
  grpc::ClientContext ctx1;
  c.Prepare(&ctx1);
  if (auto s = relationships->ListRelationships(&ctx1, rr, &rs); !s.ok()) return s;
  v1::ListServicesRequest sr;
  sr.set_page_size(1);
  v1::ListServicesResponse ss;
  grpc::ClientContext ctx2;
  c.Prepare(&ctx2);
  if (auto s = catalog->ListServices(&ctx2, sr, &ss); !s.ok()) return s;
  *empty = rs.relationships_size() == 0 && ss.services_size() == 0;
  return grpc::Status::OK;
}

}  // namespace

int DemoSeed(Context& c) {
  uint32_t seed = 1;
  if (c.Has("--seed") && !absl::SimpleAtoi(c.Get("--seed"), &seed)) {
    return c.Usage("--seed must be a whole number from 0 to 4294967295, got '" + c.Get("--seed") +
                   "'");
  }
  bool empty = false;
  if (grpc::Status status = IsEmpty(c, &empty); !status.ok()) return c.Fail(status);
  if (!empty) {
    c.err() << "rapportctl demo seed: this server already has data (relationships or services); "
               "demo seed only fills an empty one. Start rapportd on a new --data_dir to try it.\n";
    return kExitRefused;
  }
  Seeder seeder(c, seed);
  if (grpc::Status status = seeder.Run(); !status.ok()) {
    return c.Fail(status, "demo seed: " + seeder.failed());
  }
  const Counts& n = seeder.counts();
  if (c.json()) {
    google::protobuf::Struct json;
    auto& fields = *json.mutable_fields();
    for (const auto& [key, value] :
         std::vector<std::pair<const char*, int>>{{"relationships", n.relationships},
                                                  {"stakeholders", n.stakeholders},
                                                  {"interactions", n.interactions},
                                                  {"opportunities", n.opportunities},
                                                  {"services", n.services},
                                                  {"calendars", n.calendars},
                                                  {"agreements", n.agreements},
                                                  {"outages", n.outages},
                                                  {"tickets", n.tickets},
                                                  {"breached_tickets", n.breached},
                                                  {"open_tickets", n.open},
                                                  {"nps_answers", n.nps_answers},
                                                  {"csat_answers", n.csat_answers},
                                                  {"escalation_policies", n.policies},
                                                  {"escalations", n.escalations}}) {
      fields[key].set_number_value(value);
    }
    fields["seed"].set_number_value(seed);
    c.PrintJson(json);
    return kExitOk;
  }
  c.out() << "Seeded Nordwind Logistics' IT department (seed " << seed << "):\n";
  PrintFields(
      {{"  relationships",
        absl::StrCat(n.relationships, " (", n.stakeholders, " stakeholders, ", n.interactions,
                     " interactions, ", n.opportunities, " opportunities)")},
       {"  catalog", absl::StrCat(n.services, " services, ", n.calendars,
                                  " calendars (Europe/Berlin, America/New_York, "
                                  "Asia/Singapore, UTC), ",
                                  n.agreements, " agreements")},
       {"  tickets", absl::StrCat(n.tickets, " from the Monday four weeks ago until now: ",
                                  n.breached, " breached, ", n.open, " open")},
       {"  outages", absl::StrCat(n.outages)},
       {"  survey answers", absl::StrCat(n.nps_answers, " NPS, ", n.csat_answers, " CSAT")},
       {"  escalations", absl::StrCat(n.escalations, " under ", n.policies, " policies")}},
      c.out());
  c.out()
      << "\nTry: rapportctl rel list; rapportctl esc list; rapportctl compliance --service erp;\n"
         "     rapportctl satisfaction trend; rapportctl rel health acme-retail\n";
  return kExitOk;
}

}  // namespace rapport::cli

#undef RETURN_IF_FAILED
