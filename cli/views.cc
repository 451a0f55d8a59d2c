#include "cli/views.h"

#include <cmath>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/format.h"
#include "cli/table.h"

namespace rapport::cli {
namespace {

constexpr char kRelationships[] = "relationships";
constexpr char kServices[] = "services";
constexpr char kCalendars[] = "calendars";
constexpr char kAgreements[] = "agreements";

std::string Labels(const google::protobuf::Map<std::string, std::string>& labels) {
  std::map<std::string, std::string> sorted(labels.begin(), labels.end());
  std::vector<std::string> parts;
  for (const auto& [key, value] : sorted) {
    parts.push_back(value.empty() ? key : absl::StrCat(key, "=", value));
  }
  return OrDash(absl::StrJoin(parts, ", "));
}

std::string Number(double value) { return absl::StrFormat("%.1f", value); }

const char* const kDays[] = {"?", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

std::string Sentiment(int sentiment) {
  return sentiment > 0 ? absl::StrCat("+", sentiment) : absl::StrCat(sentiment);
}

}  // namespace

void PrintRelationships(const std::vector<v1::Relationship>& relationships, std::ostream& os) {
  if (relationships.empty()) {
    os << "No relationships.\n";
    return;
  }
  Table table({"ID", "DISPLAY NAME", "KIND", "TIER", "STATUS", "MANAGER", "UPDATED"});
  table.MaxWidth(1, 40);
  for (const auto& r : relationships) {
    table.AddRow({ShortName(r.name(), kRelationships), r.display_name(),
                  EnumName(v1::Relationship::Kind_descriptor(), r.kind()),
                  EnumName(v1::Relationship::Tier_descriptor(), r.tier()),
                  EnumName(v1::Relationship::Status_descriptor(), r.status()), OrDash(r.manager()),
                  HumanTime(r.update_time())});
  }
  table.Print(os);
}

void PrintRelationship(const v1::Relationship& r, const std::vector<v1::Stakeholder>& stakeholders,
                       const std::vector<v1::Interaction>& interactions, std::ostream& os) {
  std::vector<std::string> consumed;
  for (const auto& c : r.consumed_services()) {
    consumed.push_back(c.agreement().empty()
                           ? ShortName(c.service(), kServices)
                           : absl::StrCat(ShortName(c.service(), kServices), " (",
                                          ShortName(c.agreement(), kAgreements), ")"));
  }
  PrintFields({{"Name:", r.name()},
               {"Display name:", r.display_name()},
               {"Kind:", EnumName(v1::Relationship::Kind_descriptor(), r.kind())},
               {"Tier:", EnumName(v1::Relationship::Tier_descriptor(), r.tier())},
               {"Status:", EnumName(v1::Relationship::Status_descriptor(), r.status())},
               {"Manager:", OrDash(r.manager())},
               {"Parent:", OrDash(r.parent())},
               {"Labels:", Labels(r.labels())},
               {"Services:", OrDash(absl::StrJoin(consumed, ", "))},
               {"Last review:", HumanTime(r.last_review_time())},
               {"Last interaction:", HumanTime(r.last_interaction_time())},
               {"Created:", HumanTime(r.create_time())},
               {"Updated:", HumanTime(r.update_time())}},
              os);
  if (!r.description().empty()) os << "\n" << r.description() << "\n";

  os << "\nStakeholders:\n";
  if (stakeholders.empty()) {
    os << "  none\n";
  } else {
    Table table({"  ID", "NAME", "ROLE", "POWER", "INTEREST", "ATTITUDE", "CONTACT"});
    table.AlignRight(3).AlignRight(4).MaxWidth(1, 30).MaxWidth(2, 30);
    for (const auto& s : stakeholders) {
      const size_t slash = s.name().rfind('/');
      table.AddRow({"  " + s.name().substr(slash + 1), s.display_name(), OrDash(s.role()),
                    absl::StrCat(s.power()), absl::StrCat(s.interest()),
                    EnumName(v1::Stakeholder::Attitude_descriptor(), s.attitude()),
                    OrDash(!s.email().empty() ? s.email() : s.phone())});
    }
    table.Print(os);
  }

  os << "\nLatest interactions:\n";
  if (interactions.empty()) {
    os << "  none\n";
  } else {
    Table table({"  WHEN", "KIND", "SENTIMENT", "FOLLOW-UPS", "SUMMARY"});
    table.AlignRight(2).AlignRight(3).MaxWidth(4, 60);
    for (const auto& i : interactions) {
      int open = 0;
      for (const auto& f : i.follow_ups()) open += f.done() ? 0 : 1;
      table.AddRow(
          {"  " + HumanTime(i.occur_time()), EnumName(v1::Interaction::Kind_descriptor(), i.kind()),
           Sentiment(i.sentiment()),
           i.follow_ups_size() == 0 ? "-" : absl::StrCat(open, "/", i.follow_ups_size(), " open"),
           i.summary()});
    }
    table.Print(os);
  }
}

void PrintHealth(const v1::RelationshipHealth& health, std::ostream& os) {
  const double trend = health.trend();
  const char* arrow = trend >= 0.05 ? "↑" : trend <= -0.05 ? "↓" : "→";
  std::string trend_text = absl::StrCat(arrow, " ", absl::StrFormat("%+.1f", trend));
  if (std::abs(trend) >= 0.05) {
    absl::StrAppend(&trend_text, " (from ", Number(health.previous_score()), ")");
  }
  PrintFields({{"Relationship:", health.relationship()},
               {"Score:", absl::StrCat(Number(health.score()), " ",
                                       EnumName(v1::HealthBand_descriptor(), health.band()))},
               {"Trend:", trend_text},
               {"Computed:", HumanTime(health.compute_time())}},
              os);
  os << "\n";
  Table table({"COMPONENT", "VALUE", "WEIGHT", "SHARE", "BAND", "REASON"});
  table.AlignRight(1).AlignRight(2).AlignRight(3).MaxWidth(5, 70);
  for (const auto& c : health.components()) {
    const bool known = c.band() != v1::UNKNOWN && c.band() != v1::HEALTH_BAND_UNSPECIFIED;
    table.AddRow({EnumName(v1::RelationshipHealth::Component::Kind_descriptor(), c.kind()),
                  known ? Number(c.value()) : "-", absl::StrFormat("%g", c.weight()),
                  known ? absl::StrFormat("%.0f%%", 100 * c.effective_weight()) : "-",
                  EnumName(v1::HealthBand_descriptor(), c.band()), OrDash(c.reason())});
  }
  table.Print(os);
  if (health.watermelon()) {
    os << "\nWATERMELON: green outside, red inside: "
       << (health.watermelon_reason().empty() ? "SLAs met while satisfaction is low"
                                              : health.watermelon_reason())
       << "\n";
  }
}

void PrintServices(const std::vector<v1::Service>& services, std::ostream& os) {
  if (services.empty()) {
    os << "No services.\n";
    return;
  }
  Table table({"ID", "DISPLAY NAME", "LIFECYCLE", "CRITICALITY", "OWNER", "UPDATED"});
  table.MaxWidth(1, 40);
  for (const auto& s : services) {
    table.AddRow({ShortName(s.name(), kServices), s.display_name(),
                  EnumName(v1::Service::Lifecycle_descriptor(), s.lifecycle()),
                  EnumName(v1::Service::Criticality_descriptor(), s.criticality()),
                  OrDash(s.owner()), HumanTime(s.update_time())});
  }
  table.Print(os);
}

void PrintService(const v1::Service& s, std::ostream& os) {
  PrintFields({{"Name:", s.name()},
               {"Display name:", s.display_name()},
               {"Owner:", OrDash(s.owner())},
               {"Lifecycle:", EnumName(v1::Service::Lifecycle_descriptor(), s.lifecycle())},
               {"Criticality:", EnumName(v1::Service::Criticality_descriptor(), s.criticality())},
               {"Created:", HumanTime(s.create_time())},
               {"Updated:", HumanTime(s.update_time())}},
              os);
  if (!s.description().empty()) os << "\n" << s.description() << "\n";
}

std::string HoursSummary(const v1::Calendar& calendar) {
  if (calendar.round_the_clock()) return "24x7";
  std::map<int, std::vector<std::string>> by_day;
  for (const auto& h : calendar.working_hours()) {
    by_day[h.day()].push_back(absl::StrCat(h.start(), "-", h.end()));
  }
  if (by_day.empty()) return "no working hours";
  // Runs of consecutive days with the same intervals: "Mon-Fri 09:00-17:00".
  std::vector<std::string> groups;
  auto it = by_day.begin();
  while (it != by_day.end()) {
    auto last = it;
    auto next = std::next(it);
    while (next != by_day.end() && next->first == last->first + 1 && next->second == it->second) {
      last = next++;
    }
    const int first_day = it->first >= 1 && it->first <= 7 ? it->first : 0;
    const int last_day = last->first >= 1 && last->first <= 7 ? last->first : 0;
    const std::string days = first_day == last_day
                                 ? kDays[first_day]
                                 : absl::StrCat(kDays[first_day], "-", kDays[last_day]);
    groups.push_back(absl::StrCat(days, " ", absl::StrJoin(it->second, ", ")));
    it = next;
  }
  return absl::StrJoin(groups, "; ");
}

void PrintCalendars(const std::vector<v1::Calendar>& calendars, std::ostream& os) {
  if (calendars.empty()) {
    os << "No calendars.\n";
    return;
  }
  Table table({"ID", "DISPLAY NAME", "TIME ZONE", "HOURS", "HOLIDAYS"});
  table.MaxWidth(1, 40).MaxWidth(3, 60).AlignRight(4);
  for (const auto& c : calendars) {
    table.AddRow({ShortName(c.name(), kCalendars), c.display_name(), c.time_zone(), HoursSummary(c),
                  absl::StrCat(c.holidays_size())});
  }
  table.Print(os);
}

void PrintCalendar(const v1::Calendar& c, std::ostream& os) {
  PrintFields({{"Name:", c.name()},
               {"Display name:", c.display_name()},
               {"Time zone:", c.time_zone()},
               {"Hours:", HoursSummary(c)},
               {"Created:", HumanTime(c.create_time())},
               {"Updated:", HumanTime(c.update_time())}},
              os);
  if (!c.round_the_clock() && c.working_hours_size() > 0) {
    os << "\nWorking hours:\n";
    Table table({"  DAY", "START", "END"});
    for (const auto& h : c.working_hours()) {
      table.AddRow({"  " + EnumName(v1::Weekday_descriptor(), h.day()), h.start(), h.end()});
    }
    table.Print(os);
  }
  os << "\nHolidays:\n";
  if (c.holidays_size() == 0) {
    os << "  none\n";
    return;
  }
  Table table({"  DATE", "NAME"});
  for (const auto& h : c.holidays()) {
    const std::string date = h.year() == 0
                                 ? absl::StrFormat("every %02d-%02d", h.month(), h.day())
                                 : absl::StrFormat("%04d-%02d-%02d", h.year(), h.month(), h.day());
    table.AddRow({"  " + date, OrDash(h.name())});
  }
  table.Print(os);
}

namespace {

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

// Whom the agreement is with: the relationship, the provider, or the catalog default.
std::string Party(const v1::Agreement& a) {
  if (!a.relationship().empty()) return ShortName(a.relationship(), kRelationships);
  if (!a.provider().empty()) return a.provider();
  return a.type() == v1::Agreement::SLA ? "(default)" : "-";
}

std::string Rule(const v1::EscalationRule& rule) {
  if (!rule.open_escalation()) return "no escalation";
  return absl::StrCat("open a ", EnumName(v1::Severity_descriptor(), rule.severity()),
                      " escalation");
}

}  // namespace

void PrintAgreements(const std::vector<v1::Agreement>& agreements, std::ostream& os) {
  if (agreements.empty()) {
    os << "No agreements.\n";
    return;
  }
  Table table({"ID", "DISPLAY NAME", "TYPE", "SERVICE", "WITH", "STATE", "REV", "EFFECTIVE FROM"});
  table.MaxWidth(1, 40).AlignRight(6);
  for (const auto& a : agreements) {
    table.AddRow({ShortName(a.name(), kAgreements), a.display_name(), AgreementType(a.type()),
                  ShortName(a.service(), kServices), Party(a),
                  EnumName(v1::Agreement::State_descriptor(), a.state()),
                  absl::StrCat(a.revision()), HumanTime(a.effective_from())});
  }
  table.Print(os);
}

void PrintAgreement(const v1::Agreement& a, std::ostream& os) {
  std::vector<std::string> thresholds;
  for (int t : a.warning_thresholds()) thresholds.push_back(absl::StrCat(t, "%"));
  std::string availability = "-";
  if (a.availability_target() > 0) {
    availability =
        absl::StrCat(absl::StrFormat("%g%%", a.availability_target()), " per ",
                     a.availability_period() == 0
                         ? "MONTH"
                         : EnumName(v1::Agreement::Period_descriptor(), a.availability_period()));
  }
  PrintFields(
      {{"Name:", a.name()},
       {"Display name:", a.display_name()},
       {"Type:", EnumName(v1::Agreement::Type_descriptor(), a.type())},
       {"Service:", a.service()},
       {"Relationship:", a.relationship().empty() && a.type() == v1::Agreement::SLA
                             ? "(catalog default for the service)"
                             : OrDash(a.relationship())},
       {"Provider:", OrDash(a.provider())},
       {"State:", EnumName(v1::Agreement::State_descriptor(), a.state())},
       {"Revision:", absl::StrCat(a.revision())},
       {"Effective:",
        absl::StrCat(HumanTime(a.effective_from()), " to ",
                     a.has_effective_to() ? HumanTime(a.effective_to()) : "open end")},
       {"Calendar:", a.calendar()},
       {"Warnings at:", thresholds.empty() ? "75% (default)" : absl::StrJoin(thresholds, ", ")},
       {"Availability:", availability},
       {"On breach:", Rule(a.on_breach())},
       {"On warning:", Rule(a.on_warning())},
       {"Created:", HumanTime(a.create_time())},
       {"Updated:", HumanTime(a.update_time())}},
      os);
  os << "\nTargets (business time):\n";
  if (a.targets_size() == 0) {
    os << "  none\n";
    return;
  }
  Table table({"  PRIORITY", "FIRST RESPONSE", "RESOLUTION", "UPDATE EVERY"});
  for (const auto& t : a.targets()) {
    table.AddRow({"  " + EnumName(v1::Priority_descriptor(), t.priority()),
                  HumanDuration(t.first_response()), HumanDuration(t.resolution()),
                  HumanDuration(t.periodic_update())});
  }
  table.Print(os);
}

void PrintRevisions(const std::vector<v1::AgreementRevision>& revisions, std::ostream& os) {
  if (revisions.empty()) {
    os << "No revisions.\n";
    return;
  }
  Table table({"REV", "CREATED", "CALENDAR", "TARGETS", "REASON"});
  table.AlignRight(0).MaxWidth(4, 70);
  for (const auto& r : revisions) {
    std::vector<std::string> targets;
    for (const auto& t : r.snapshot().targets()) {
      targets.push_back(absl::StrCat(EnumName(v1::Priority_descriptor(), t.priority()), " ",
                                     HumanDuration(t.first_response()), "/",
                                     HumanDuration(t.resolution())));
    }
    table.AddRow({absl::StrCat(r.revision()), HumanTime(r.create_time()),
                  ShortName(r.snapshot().calendar(), kCalendars),
                  OrDash(absl::StrJoin(targets, ", ")), OrDash(r.reason())});
  }
  table.Print(os);
}

void PrintCatalogChanges(const v1::ApplyCatalogResponse& response, std::ostream& os) {
  std::map<int, int> counts;
  if (response.changes_size() > 0) {
    Table table({"NAME", "ACTION", "CHANGED"});
    for (const auto& c : response.changes()) {
      ++counts[c.action()];
      table.AddRow({c.name(), EnumName(v1::CatalogChange::Action_descriptor(), c.action()),
                    c.changed_fields_size() == 0 ? "-" : absl::StrJoin(c.changed_fields(), ", ")});
    }
    table.Print(os);
    os << "\n";
  }
  const bool dry = response.dry_run();
  os << counts[v1::CatalogChange::CREATE] << (dry ? " to create, " : " created, ")
     << counts[v1::CatalogChange::UPDATE] << (dry ? " to update, " : " updated, ")
     << counts[v1::CatalogChange::UNCHANGED] << " unchanged\n";
  if (dry) os << "dry run: nothing written\n";
}

}  // namespace rapport::cli
