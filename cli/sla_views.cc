#include "cli/sla_views.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/format.h"
#include "cli/table.h"

namespace rapport::cli {
namespace {

using v1::SlaTimer;
using v1::Ticket;
using v1::TicketEvent;

bool IsSet(const google::protobuf::Timestamp& t) { return t.seconds() != 0 || t.nanos() != 0; }

std::string Percent(double value) { return absl::StrFormat("%.0f%%", value); }

std::string AgreementType(int type) {
  switch (type) {
    case v1::Agreement::SLA:
      return "SLA";
    case v1::Agreement::OLA:
      return "OLA";
    case v1::Agreement::UNDERPINNING_CONTRACT:
      return "UC";
    default:
      return EnumName(v1::Agreement::Type_descriptor(), type);
  }
}

// The earliest due time among running timers, if any.
std::optional<absl::Time> NextDue(const Ticket& ticket) {
  std::optional<absl::Time> next;
  for (const auto& t : ticket.timers()) {
    if (t.stage() != v1::RUNNING || !IsSet(t.due_time())) continue;
    const absl::Time due = FromProto(t.due_time());
    if (!next || due < *next) next = due;
  }
  return next;
}

// "2026-11-23 14:05 (in 3h)" for a running timer, the time alone otherwise.
std::string Due(const SlaTimer& t, absl::Time now) {
  if (!IsSet(t.due_time())) return t.stage() == v1::PAUSED ? "(paused)" : "-";
  std::string due = HumanTime(t.due_time());
  if (t.stage() == v1::RUNNING)
    absl::StrAppend(&due, " (", HumanRelative(FromProto(t.due_time()), now), ")");
  return due;
}

// What an event says beyond its kind.
std::string EventDetails(const TicketEvent& e) {
  switch (e.kind_case()) {
    case TicketEvent::kOpened:
      return absl::StrCat(
          EnumName(v1::Priority_descriptor(), e.opened().priority()), " on ", e.opened().service(),
          e.opened().relationship().empty() ? "" : " for " + e.opened().relationship());
    case TicketEvent::kPriorityChanged:
      return absl::StrCat("to ",
                          EnumName(v1::Priority_descriptor(), e.priority_changed().priority()));
    case TicketEvent::kPaused:
      return EnumName(v1::PauseReason_descriptor(), e.paused().reason());
    case TicketEvent::kReevaluated:
      return e.reevaluated().note();
    default:
      return "";
  }
}

std::string EventKind(const TicketEvent& e) {
  const auto* field = TicketEvent::descriptor()->FindFieldByNumber(e.kind_case());
  return field != nullptr ? field->name() : "-";
}

// The stage, saying when a timer that has not completed is past its target
// (rapportd reports it RUNNING with `breached` set).
std::string Stage(const SlaTimer& t) {
  std::string stage = EnumName(v1::TimerStage_descriptor(), t.stage());
  if (t.breached() && t.stage() != v1::BREACHED) stage += " (breached)";
  return stage;
}

std::string Counts(const v1::TargetCompliance& t) {
  return t.completed() == 0 ? "-" : absl::StrFormat("%.1f%%", t.compliance_percent());
}

}  // namespace

std::string TicketStanding(const Ticket& ticket) {
  if (ticket.breached()) return "BREACHED";
  if (ticket.at_risk()) return "AT RISK";
  return "ok";
}

void PrintTickets(const std::vector<Ticket>& tickets, absl::Time now, std::ostream& os) {
  if (tickets.empty()) {
    os << "No tickets.\n";
    return;
  }
  Table table({"ID", "SERVICE", "RELATIONSHIP", "PRIORITY", "STATE", "OPENED", "SLA", "NEXT DUE"});
  for (const auto& t : tickets) {
    const auto next = NextDue(t);
    table.AddRow({ShortName(t.name(), "tickets"), ShortName(t.service(), "services"),
                  OrDash(ShortName(t.relationship(), "relationships")),
                  EnumName(v1::Priority_descriptor(), t.priority()),
                  EnumName(Ticket::State_descriptor(), t.state()), HumanTime(t.open_time()),
                  TicketStanding(t), next ? HumanRelative(*next, now) : "-"});
  }
  table.Print(os);
}

void PrintTicket(const Ticket& t, absl::Time now, std::ostream& os) {
  PrintFields({{"Name:", t.name()},
               {"Service:", t.service()},
               {"Relationship:", OrDash(t.relationship())},
               {"Priority:", EnumName(v1::Priority_descriptor(), t.priority())},
               {"State:", EnumName(Ticket::State_descriptor(), t.state())},
               {"SLA:", TicketStanding(t)},
               {"Opened:", HumanTime(t.open_time())},
               {"Evaluated:", HumanTime(t.evaluate_time())},
               {"Updated:", HumanTime(t.update_time())}},
              os);

  os << "\nTimers (business time):\n";
  if (t.timers_size() == 0) {
    os << "  none: no agreement covers this ticket\n";
  } else {
    Table table({"  AGREEMENT", "REV", "TYPE", "TIMER", "CYCLE", "STAGE", "TARGET", "ELAPSED",
                 "REMAINING", "USED", "DUE"});
    table.AlignRight(1).AlignRight(4).AlignRight(9);
    for (const auto& timer : t.timers()) {
      table.AddRow({"  " + ShortName(timer.agreement(), "agreements"),
                    absl::StrCat(timer.revision()), AgreementType(timer.agreement_type()),
                    EnumName(v1::TimerKind_descriptor(), timer.kind()), absl::StrCat(timer.cycle()),
                    Stage(timer), HumanDuration(timer.target()), HumanDuration(timer.elapsed()),
                    HumanDuration(absl::Seconds(timer.remaining().seconds())),
                    Percent(timer.percent_used()), Due(timer, now)});
    }
    table.Print(os);
  }

  os << "\nWarnings and breaches:\n";
  if (t.crossings_size() == 0) {
    os << "  none\n";
  } else {
    Table table({"  WHEN", "AGREEMENT", "TIMER", "CYCLE", "CROSSED"});
    table.AlignRight(3);
    for (const auto& c : t.crossings()) {
      table.AddRow(
          {"  " + HumanTime(c.crossing_time()), ShortName(c.agreement(), "agreements"),
           EnumName(v1::TimerKind_descriptor(), c.kind()), absl::StrCat(c.cycle()),
           c.threshold() >= 100 ? "BREACH" : absl::StrCat("warning at ", c.threshold(), "%")});
    }
    table.Print(os);
  }

  os << "\nEvents:\n";
  if (t.events_size() == 0) {
    os << "  none\n";
    return;
  }
  Table table({"  WHEN", "EVENT", "ID", "DETAILS"});
  for (const auto& e : t.events()) {
    table.AddRow(
        {"  " + HumanTime(e.event_time()), EventKind(e), e.event_id(), OrDash(EventDetails(e))});
  }
  table.Print(os);
}

void PrintComplianceReport(const v1::ComplianceReport& r, const std::string& period,
                           std::ostream& os) {
  PrintFields({{"Scope:", r.scope()},
               {"Period:", absl::StrCat(HumanTime(r.start_time()), " to ", HumanTime(r.end_time()),
                                        " (", period, ")")}},
              os);
  os << "\n";
  Table table({"TARGETS", "COMPLETED", "MET", "BREACHED", "COMPLIANCE", "MEDIAN", "P90"});
  for (size_t i = 1; i <= 4; ++i) table.AlignRight(i);
  for (const auto& [label, t] :
       {std::pair<const char*, const v1::TargetCompliance*>{"first response", &r.response()},
        {"resolution", &r.resolution()},
        {"both", &r.combined()}}) {
    table.AddRow({label, absl::StrCat(t->completed()), absl::StrCat(t->met()),
                  absl::StrCat(t->breached()), Counts(*t), HumanDuration(t->median()),
                  HumanDuration(t->p90())});
  }
  table.Print(os);
  os << "\nOpen tickets now: " << r.open_at_risk() << " at risk, " << r.open_breached()
     << " breached\n";
  if (!r.has_availability()) return;
  os << "\n";
  const double budget = absl::ToDoubleSeconds(absl::Seconds(r.error_budget().seconds()));
  PrintFields(
      {{"Availability:",
        absl::StrFormat("%.3f%% (target %g%%)", r.availability_percent(), r.availability_target())},
       {"Downtime:", absl::StrCat(HumanDuration(absl::Seconds(r.downtime().seconds())), " of ",
                                  HumanDuration(r.error_budget()), " error budget")},
       {"Budget left:",
        budget > 0
            ? absl::StrCat(HumanDuration(absl::Seconds(r.error_budget_remaining().seconds())), " (",
                           Percent(r.error_budget_remaining_percent()), ")")
            : "-"},
       {"Outages:", absl::StrCat(r.outages(), ", MTTR ", HumanDuration(r.mttr()), ", MTBF ",
                                 HumanDuration(r.mtbf()))}},
      os);
}

}  // namespace rapport::cli
