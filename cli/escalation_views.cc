#include "cli/escalation_views.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/format.h"
#include "cli/table.h"

namespace rapport::cli {
namespace {

using v1::Escalation;
using v1::EscalationTimelineEntry;

constexpr char kEscalations[] = "escalations";

std::string StateName(int state) { return EnumName(Escalation::State_descriptor(), state); }

std::string Severity(int severity) { return EnumName(v1::Severity_descriptor(), severity); }

bool IsSet(const google::protobuf::Timestamp& t) { return t.seconds() != 0 || t.nanos() != 0; }

// "OPEN → ACKNOWLEDGED", or the one state when it did not change.
std::string StateMove(const EscalationTimelineEntry& entry) {
  if (entry.state_before() == entry.state_after() || entry.state_before() == 0) {
    return StateName(entry.state_after());
  }
  return absl::StrCat(StateName(entry.state_before()), " → ", StateName(entry.state_after()));
}

std::string LevelMove(const EscalationTimelineEntry& entry) {
  if (entry.level_before() == entry.level_after() ||
      entry.action() == EscalationTimelineEntry::OPENED) {
    return absl::StrCat(entry.level_after());
  }
  return absl::StrCat(entry.level_before(), " → ", entry.level_after());
}

std::string Levels(const v1::EscalationPolicy& policy) {
  std::vector<std::string> levels;
  for (const auto& level : policy.levels()) {
    levels.push_back(absl::StrCat(level.name(), " (", HumanDuration(level.ack_wait()), ")"));
  }
  return absl::StrJoin(levels, " → ");
}

}  // namespace

std::string LevelText(const Escalation& e) {
  std::string text = absl::StrCat(e.level(), " ", e.level_name());
  if (e.repeat_count() > 0) absl::StrAppend(&text, " (repeat ", e.repeat_count(), ")");
  if (e.exhausted()) absl::StrAppend(&text, " (exhausted)");
  return text;
}

std::string NextStep(const Escalation& e, absl::Time now) {
  switch (e.state()) {
    case Escalation::OPEN:
      if (e.exhausted() || !IsSet(e.next_escalation_time())) return "-";
      return "escalates " + HumanRelative(FromProto(e.next_escalation_time()), now);
    case Escalation::ACKNOWLEDGED:
      if (!IsSet(e.retrigger_time())) return "-";
      return "retriggers " + HumanRelative(FromProto(e.retrigger_time()), now);
    case Escalation::ON_HOLD:
      return "held " + HumanRelative(FromProto(e.hold_time()), now);
    default:
      return "-";
  }
}

std::string EscalationStatusLine(const Escalation& e, absl::Time now) {
  std::string line = absl::StrCat(ShortName(e.name(), kEscalations), ": ", StateName(e.state()),
                                  ", level ", e.level(), " (", e.level_name(), ")");
  if (!e.assignee().empty()) absl::StrAppend(&line, ", assigned to ", e.assignee());
  const std::string next = NextStep(e, now);
  if (next != "-") absl::StrAppend(&line, ", ", next);
  return line;
}

void PrintEscalations(const std::vector<Escalation>& escalations, absl::Time now,
                      std::ostream& os) {
  if (escalations.empty()) {
    os << "No escalations.\n";
    return;
  }
  Table table(
      {"ID", "SEV", "STATE", "LEVEL", "RELATIONSHIP", "ASSIGNEE", "CREATED", "NEXT", "TITLE"});
  table.MaxWidth(3, 24).MaxWidth(8, 50);
  for (const auto& e : escalations) {
    table.AddRow({ShortName(e.name(), kEscalations), Severity(e.severity()), StateName(e.state()),
                  LevelText(e), ShortName(e.relationship(), "relationships"), OrDash(e.assignee()),
                  HumanTime(e.create_time()), NextStep(e, now), e.title()});
  }
  table.Print(os);
}

void PrintEscalation(const Escalation& e, absl::Time now, std::ostream& os) {
  const auto& levels = e.policy_snapshot().levels();
  std::string state = StateName(e.state());
  if (e.state() == Escalation::ON_HOLD) {
    absl::StrAppend(&state, " (was ", StateName(e.held_state()), "; ",
                    HumanDuration(e.held_remaining()), " of the wait left)");
  }
  std::vector<std::pair<std::string, std::string>> fields = {
      {"Name:", e.name()},
      {"Title:", e.title()},
      {"State:", state},
      {"Severity:", Severity(e.severity())},
      {"Type:", EnumName(Escalation::Type_descriptor(), e.type())},
      {"Source:", EnumName(Escalation::Source_descriptor(), e.source())},
      {"Relationship:", e.relationship()},
      {"Service:", OrDash(e.service())},
      {"Ticket:", OrDash(e.ticket())},
      {"Agreement:", OrDash(e.agreement())},
      {"Policy:", absl::StrCat(e.policy(), " (", e.policy_snapshot().display_name(), ")")},
      {"Level:", absl::StrCat(LevelText(e), " of ", levels.size())},
      {"Next:", NextStep(e, now)},
      {"Assignee:", OrDash(e.assignee())},
      {"Watchers:", OrDash(absl::StrJoin(e.watchers(), ", "))},
  };
  if (e.state() == Escalation::OPEN && IsSet(e.next_escalation_time())) {
    fields.push_back({"Escalates at:", HumanTime(e.next_escalation_time())});
  }
  if (!e.hold_reason().empty()) {
    fields.push_back({"Held:", absl::StrCat(HumanTime(e.hold_time()), ": ", e.hold_reason())});
  }
  if (!e.resolution().empty()) fields.push_back({"Resolution:", e.resolution()});
  fields.push_back({"Created:", HumanTime(e.create_time())});
  fields.push_back({"Acknowledged:", HumanTime(e.acknowledge_time())});
  fields.push_back({"Resolved:", HumanTime(e.resolve_time())});
  fields.push_back({"Updated:", HumanTime(e.update_time())});
  PrintFields(fields, os);
  if (!e.description().empty()) os << "\n" << e.description() << "\n";

  os << "\nLevels:\n";
  Table level_table({"  ", "#", "NAME", "ACK WAIT", "TARGETS"});
  level_table.AlignRight(1);
  for (int i = 0; i < levels.size(); ++i) {
    level_table.AddRow({i == e.level() ? "  →" : "  ", absl::StrCat(i), levels[i].name(),
                        HumanDuration(levels[i].ack_wait()),
                        OrDash(absl::StrJoin(levels[i].targets(), ", "))});
  }
  level_table.Print(os);

  os << "\nTimeline:\n";
  Table timeline({"  SEQ", "TIME", "ACTOR", "ACTION", "STATE", "LEVEL", "NOTE"});
  timeline.AlignRight(0);
  for (const auto& t : e.timeline()) {
    timeline.AddRow({absl::StrCat("  ", t.sequence()), HumanTime(t.time()), OrDash(t.actor()),
                     EnumName(EscalationTimelineEntry::Action_descriptor(), t.action()),
                     StateMove(t), LevelMove(t), OrDash(t.note())});
  }
  timeline.Print(os);
}

void PrintEscalationPolicies(const std::vector<v1::EscalationPolicy>& policies, std::ostream& os) {
  if (policies.empty()) {
    os << "No escalation policies.\n";
    return;
  }
  Table table({"ID", "DISPLAY NAME", "LEVELS (ACK WAIT)", "REPEAT", "RETRIGGER"});
  table.AlignRight(3);
  for (const auto& p : policies) {
    table.AddRow({ShortName(p.name(), "escalation_policies"), p.display_name(), Levels(p),
                  absl::StrCat(p.repeat()), HumanDuration(p.retrigger_after())});
  }
  table.Print(os);
}

namespace {

// Columns of `escalations watch`, and their widths (the last one is free).
const std::vector<std::pair<std::string, size_t>>& ChangeColumns() {
  static const auto* const columns = new std::vector<std::pair<std::string, size_t>>{
      {"SEQ", 6},    {"TIME", 16},  {"ESCALATION", 18}, {"ACTION", 14},
      {"STATE", 12}, {"LEVEL", 18}, {"ACTOR", 16},      {"NOTE", 0}};
  return *columns;
}

void PrintStreamRow(const std::vector<std::string>& cells, std::ostream& os) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    const size_t width = ChangeColumns()[i].second;
    absl::StrAppend(&line, width == 0 ? Truncate(cells[i], 200) : PadRight(cells[i], width),
                    i + 1 < cells.size() ? "  " : "");
  }
  line.erase(line.find_last_not_of(' ') + 1);
  os << line << "\n";
}

}  // namespace

void PrintEscalationChangeHeader(std::ostream& os) {
  std::vector<std::string> header;
  for (const auto& [name, width] : ChangeColumns()) header.push_back(name);
  PrintStreamRow(header, os);
}

void PrintEscalationChange(const v1::EscalationChange& change, std::ostream& os) {
  const Escalation& e = change.escalation();
  const EscalationTimelineEntry& entry = change.entry();
  // An opening has no note: show what the escalation is about instead.
  const std::string note = entry.action() == EscalationTimelineEntry::OPENED && entry.note().empty()
                               ? absl::StrCat(Severity(e.severity()), " ", e.title())
                               : entry.note();
  PrintStreamRow({absl::StrCat(change.sequence()), HumanTime(change.change_time()),
                  ShortName(e.name(), kEscalations),
                  EnumName(EscalationTimelineEntry::Action_descriptor(), entry.action()),
                  StateName(e.state()), LevelText(e), OrDash(entry.actor()), OrDash(note)},
                 os);
}

}  // namespace rapport::cli
