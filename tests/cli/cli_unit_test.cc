// rapportctl's pieces that need no server: the table printer, how times,
// durations and enum values are shown and read, YAML to JSON, the health
// view, and the bash completion script against the command table.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/catalog_file.h"
#include "cli/cli.h"
#include "cli/escalation_views.h"
#include "cli/format.h"
#include "cli/satisfaction_views.h"
#include "cli/sla_views.h"
#include "cli/table.h"
#include "cli/token.h"
#include "cli/views.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace rapport::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Sets TZ for one test and puts the old value back.
class ScopedTz {
 public:
  explicit ScopedTz(const char* tz) {
    const char* old = std::getenv("TZ");
    if (old != nullptr) old_ = old;
    had_ = old != nullptr;
    ::setenv("TZ", tz, 1);
  }
  ~ScopedTz() {
    if (had_) {
      ::setenv("TZ", old_.c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
  }

 private:
  bool had_ = false;
  std::string old_;
};

TEST(TableTest, DisplayWidthCountsColumnsNotBytes) {
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("Zürich"), 6u);
  EXPECT_EQ(DisplayWidth("↑ 4.0"), 5u);
  EXPECT_EQ(DisplayWidth("東京"), 4u);
  EXPECT_EQ(DisplayWidth("e\u0301"), 1u);  // e + combining acute.
  EXPECT_EQ(DisplayWidth("\xff"), 1u);     // Malformed byte.
}

TEST(TableTest, TruncateCutsByColumnsWithAnEllipsisAndFlattensLines) {
  EXPECT_EQ(Truncate("short", 10), "short");
  EXPECT_EQ(Truncate("a long summary", 6), "a lon…");
  EXPECT_EQ(Truncate("東京都庁", 5), "東京…");
  EXPECT_EQ(Truncate("two\nlines", 20), "two lines");
}

TEST(TableTest, ColumnsAlignWithUtf8AndRightAlignedNumbers) {
  Table table({"CITY", "TREND", "SCORE"});
  table.AlignRight(2);
  table.AddRow({"Zürich", "↑", "7.5"});
  table.AddRow({"東京", "→", "100.0"});
  table.AddRow({"Oslo", "", "12"});
  std::ostringstream os;
  table.Print(os);
  EXPECT_EQ(os.str(),
            "CITY    TREND  SCORE\n"
            "Zürich  ↑        7.5\n"
            "東京    →      100.0\n"
            "Oslo              12\n");
}

TEST(TableTest, NoHeaderNoTrailingSpacesAndMaxWidth) {
  Table table({"", ""});
  table.MaxWidth(1, 8);
  table.AddRow({"Name:", "a very long value"});
  table.AddRow({"Tier:", ""});
  std::ostringstream os;
  table.Print(os);
  EXPECT_EQ(os.str(), "Name:  a very …\nTier:\n");
}

TEST(FormatTest, DurationsShowTheTwoLargestUnits) {
  EXPECT_EQ(HumanDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(HumanDuration(absl::Seconds(45)), "45s");
  EXPECT_EQ(HumanDuration(absl::Minutes(20)), "20m");
  EXPECT_EQ(HumanDuration(absl::Hours(3) + absl::Minutes(20)), "3h 20m");
  EXPECT_EQ(HumanDuration(absl::Hours(52)), "2d 4h");
  EXPECT_EQ(HumanDuration(absl::Hours(48) + absl::Minutes(5)), "2d");
  EXPECT_EQ(HumanDuration(absl::Hours(1) + absl::Seconds(30)), "1h");
  EXPECT_EQ(HumanDuration(absl::Milliseconds(500)), "500ms");
  EXPECT_EQ(HumanDuration(-absl::Minutes(90)), "-1h 30m");
  google::protobuf::Duration proto;
  EXPECT_EQ(HumanDuration(proto), "-");
  proto.set_seconds(187200);
  EXPECT_EQ(HumanDuration(proto), "2d 4h");
}

TEST(FormatTest, TimesAreLocalAndHonourTz) {
  google::protobuf::Timestamp t;
  t.set_seconds(1795439100);  // 2026-11-23 13:05 UTC.
  {
    ScopedTz tz("UTC");
    EXPECT_EQ(HumanTime(t), "2026-11-23 13:05");
  }
  {
    ScopedTz tz("Europe/Berlin");
    EXPECT_EQ(HumanTime(t), "2026-11-23 14:05");
  }
  {
    ScopedTz tz("America/New_York");
    EXPECT_EQ(HumanTime(t), "2026-11-23 08:05");
  }
  EXPECT_EQ(HumanTime(google::protobuf::Timestamp()), "-");
}

TEST(FormatTest, EnumsAreReadAsPeopleTypeThem) {
  const auto* tier = v1::Relationship::Tier_descriptor();
  EXPECT_EQ(ParseEnum(tier, "strategic"), v1::Relationship::STRATEGIC);
  EXPECT_EQ(ParseEnum(tier, "KEY"), v1::Relationship::KEY);
  EXPECT_EQ(ParseEnum(v1::Relationship::Status_descriptor(), "at-risk"), v1::Relationship::AT_RISK);
  EXPECT_EQ(ParseEnum(v1::ListRelationshipsRequest::OrderBy_descriptor(), "update_time_desc"),
            v1::ListRelationshipsRequest::UPDATE_TIME_DESC);
  EXPECT_EQ(ParseEnum(tier, "tier_unspecified"), std::nullopt);
  EXPECT_EQ(ParseEnum(tier, "gold"), std::nullopt);
  EXPECT_EQ(EnumChoices(tier), "strategic|key|standard");
  EXPECT_EQ(EnumName(tier, 0), "-");
  EXPECT_EQ(EnumName(tier, 1), "STRATEGIC");
  EXPECT_EQ(EnumName(tier, 42), "42");
}

TEST(FormatTest, NamesShortAndFull) {
  EXPECT_EQ(FullName("acme", "relationships"), "relationships/acme");
  EXPECT_EQ(FullName("relationships/acme", "relationships"), "relationships/acme");
  EXPECT_EQ(ShortName("relationships/acme", "relationships"), "acme");
  EXPECT_EQ(ShortName("services/email", "relationships"), "services/email");
}

TEST(YamlTest, SchemaDecidesStringsNumbersBoolsAndEnums) {
  const std::string yaml = R"(
services:
  - name: services/erp
    displayName: 2026
    criticality: high
calendars:
  - name: calendars/c
    time_zone: UTC
    roundTheClock: yes
    workingHours:
      - {day: monday, start: 09:00, end: "17:00"}
    holidays:
      - {month: 12, day: 25, name: ~}
agreements:
  - name: agreements/a
    availabilityTarget: 99.9
    warning_thresholds: [50, 75]
    effectiveFrom: 2026-01-01T00:00:00Z
    targets:
      - {priority: p1, firstResponse: 900s, resolution: 3600s}
)";
  auto json = YamlToJson(yaml, v1::Catalog::descriptor());
  ASSERT_TRUE(json.ok()) << json.status();
  v1::Catalog catalog;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*json, &catalog).ok()) << *json;
  EXPECT_EQ(catalog.services(0).display_name(), "2026");
  EXPECT_EQ(catalog.services(0).criticality(), v1::Service::HIGH);
  EXPECT_TRUE(catalog.calendars(0).round_the_clock());
  EXPECT_EQ(catalog.calendars(0).working_hours(0).day(), v1::MONDAY);
  EXPECT_EQ(catalog.calendars(0).working_hours(0).start(), "09:00");
  EXPECT_EQ(catalog.calendars(0).holidays(0).month(), 12);
  EXPECT_EQ(catalog.calendars(0).holidays(0).name(), "");
  EXPECT_DOUBLE_EQ(catalog.agreements(0).availability_target(), 99.9);
  EXPECT_EQ(catalog.agreements(0).warning_thresholds_size(), 2);
  EXPECT_EQ(catalog.agreements(0).effective_from().seconds(), 1767225600);
  EXPECT_EQ(catalog.agreements(0).targets(0).priority(), v1::P1);
  EXPECT_EQ(catalog.agreements(0).targets(0).first_response().seconds(), 900);
}

TEST(YamlTest, MalformedYamlSaysWhere) {
  auto json = YamlToJson("services:\n  - name: [unclosed\n", v1::Catalog::descriptor());
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(json.status().message()), HasSubstr("line "));
  EXPECT_FALSE(YamlToJson("- just\n- a list\n", v1::Catalog::descriptor()).ok());
}

TEST(YamlTest, UnknownKeysReachTheJsonParserWhichNamesThem) {
  rapport::testing::TempDir dir;
  const std::string path = dir.Sub("catalog.yml");
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("services:\n  - name: services/a\n    colour: blue\n", f);
  std::fclose(f);
  auto catalog = LoadCatalogFile(path);
  ASSERT_FALSE(catalog.ok());
  EXPECT_THAT(std::string(catalog.status().message()), HasSubstr("colour"));
  EXPECT_EQ(LoadCatalogFile(dir.Sub("catalog.txt")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadCatalogFile(dir.Sub("missing.json")).status().code(), absl::StatusCode::kNotFound);
}

TEST(FormatTest, RelativeTimesAndTimesAsPeopleTypeThem) {
  const absl::Time now = absl::FromUnixSeconds(1795439100);
  EXPECT_EQ(HumanRelative(now + absl::Minutes(14), now), "in 14m");
  EXPECT_EQ(HumanRelative(now - absl::Hours(52), now), "2d 4h ago");
  EXPECT_EQ(HumanRelative(now + absl::Milliseconds(300), now), "now");
  EXPECT_EQ(HumanRelative(now + absl::Minutes(60) - absl::Seconds(1), now), "in 1h");
  EXPECT_EQ(HumanRelative(now - absl::Seconds(45), now), "45s ago");
  ScopedTz tz("Europe/Berlin");
  EXPECT_EQ(ParseHumanTime("2026-11-23T13:05:00Z"), absl::FromUnixSeconds(1795439100));
  EXPECT_EQ(ParseHumanTime("2026-11-23T14:05:00+01:00"), absl::FromUnixSeconds(1795439100));
  EXPECT_EQ(ParseHumanTime("2026-11-23 14:05"), absl::FromUnixSeconds(1795439100));
  EXPECT_EQ(ParseHumanTime("2026-11-23T14:05"), absl::FromUnixSeconds(1795439100));
  EXPECT_EQ(ParseHumanTime(" 2026-11-23 "), absl::FromUnixSeconds(1795439100 - 14 * 3600 - 300));
  EXPECT_EQ(ParseHumanTime("yesterday"), std::nullopt);
  EXPECT_EQ(ParseHumanTime("2026-13-01"), std::nullopt);
  EXPECT_EQ(FromProto(ToProto(absl::FromUnixMillis(1795439100123))),
            absl::FromUnixMillis(1795439100123));
}

v1::Escalation SampleEscalation(absl::Time now) {
  v1::Escalation e;
  e.set_name("escalations/vpn");
  e.set_title("VPN down for the Hamburg office");
  e.set_relationship("relationships/acme");
  e.set_severity(v1::SEV1);
  e.set_type(v1::Escalation::FUNCTIONAL);
  e.set_source(v1::Escalation::MANUAL);
  e.set_policy("escalation_policies/standard");
  e.mutable_policy_snapshot()->set_display_name("Standard");
  for (const char* name : {"service-desk", "duty-manager"}) {
    auto* level = e.mutable_policy_snapshot()->add_levels();
    level->set_name(name);
    level->add_targets(std::string(name) + "@it.example");
    level->mutable_ack_wait()->set_seconds(1800);
  }
  e.set_level(1);
  e.set_level_name("duty-manager");
  e.set_state(v1::Escalation::OPEN);
  *e.mutable_next_escalation_time() = ToProto(now + absl::Minutes(14));
  *e.mutable_create_time() = ToProto(now - absl::Hours(1));
  auto* opened = e.add_timeline();
  opened->set_sequence(1);
  opened->set_actor("anonymous");
  opened->set_action(v1::EscalationTimelineEntry::OPENED);
  opened->set_state_after(v1::Escalation::OPEN);
  auto* escalated = e.add_timeline();
  escalated->set_sequence(2);
  escalated->set_actor("jane");
  escalated->set_action(v1::EscalationTimelineEntry::ESCALATED);
  escalated->set_state_before(v1::Escalation::OPEN);
  escalated->set_state_after(v1::Escalation::OPEN);
  escalated->set_level_after(1);
  escalated->set_note("needs a DBA");
  return e;
}

TEST(EscalationViewsTest, LevelNextStepAndStatusLine) {
  const absl::Time now = absl::FromUnixSeconds(1795439100);
  v1::Escalation e = SampleEscalation(now);
  EXPECT_EQ(LevelText(e), "1 duty-manager");
  EXPECT_EQ(NextStep(e, now), "escalates in 14m");
  EXPECT_EQ(EscalationStatusLine(e, now), "vpn: OPEN, level 1 (duty-manager), escalates in 14m");
  e.set_assignee("sam");
  e.set_repeat_count(1);
  e.set_exhausted(true);
  EXPECT_EQ(LevelText(e), "1 duty-manager (repeat 1) (exhausted)");
  EXPECT_EQ(EscalationStatusLine(e, now), "vpn: OPEN, level 1 (duty-manager), assigned to sam");
  e.set_state(v1::Escalation::ON_HOLD);
  *e.mutable_hold_time() = ToProto(now - absl::Hours(2));
  EXPECT_EQ(NextStep(e, now), "held 2h ago");
  e.set_state(v1::Escalation::ACKNOWLEDGED);
  EXPECT_EQ(NextStep(e, now), "-");
  *e.mutable_retrigger_time() = ToProto(now + absl::Hours(3));
  EXPECT_EQ(NextStep(e, now), "retriggers in 3h");
  e.set_state(v1::Escalation::CLOSED);
  EXPECT_EQ(NextStep(e, now), "-");
}

TEST(EscalationViewsTest, ShowMarksTheCurrentLevelAndListsTheTimeline) {
  ScopedTz tz("UTC");
  const absl::Time now = absl::FromUnixSeconds(1795439100);
  std::ostringstream os;
  PrintEscalation(SampleEscalation(now), now, os);
  const std::string text = os.str();
  EXPECT_THAT(text, HasSubstr("Level:         1 duty-manager of 2\n"));
  EXPECT_THAT(text, HasSubstr("Next:          escalates in 14m\n"));
  EXPECT_THAT(text, HasSubstr("Escalates at:  2026-11-23 13:19\n"));
  EXPECT_THAT(text, HasSubstr("Levels:\n"
                              "     #  NAME          ACK WAIT  TARGETS\n"
                              "     0  service-desk  30m       service-desk@it.example\n"
                              "  →  1  duty-manager  30m       duty-manager@it.example\n"));
  EXPECT_THAT(text, HasSubstr("  SEQ  TIME  ACTOR      ACTION     STATE  LEVEL  NOTE\n"
                              "    1  -     anonymous  OPENED     OPEN   0      -\n"
                              "    2  -     jane       ESCALATED  OPEN   0 → 1  needs a DBA\n"));
}

TEST(EscalationViewsTest, ListAndWatchLines) {
  ScopedTz tz("UTC");
  const absl::Time now = absl::FromUnixSeconds(1795439100);
  std::ostringstream list;
  PrintEscalations({SampleEscalation(now)}, now, list);
  EXPECT_EQ(list.str(),
            "ID   SEV   STATE  LEVEL           RELATIONSHIP  ASSIGNEE  CREATED           NEXT"
            "              TITLE\n"
            "vpn  SEV1  OPEN   1 duty-manager  acme          -         2026-11-23 12:05  escalates"
            " in 14m  VPN down for the Hamburg office\n");
  std::ostringstream none;
  PrintEscalations({}, now, none);
  EXPECT_EQ(none.str(), "No escalations.\n");

  v1::EscalationChange change;
  change.set_sequence(42);
  *change.mutable_change_time() = ToProto(now);
  *change.mutable_escalation() = SampleEscalation(now);
  *change.mutable_entry() = change.escalation().timeline(1);
  std::ostringstream watch;
  PrintEscalationChangeHeader(watch);
  PrintEscalationChange(change, watch);
  change.mutable_entry()->set_action(v1::EscalationTimelineEntry::OPENED);
  change.mutable_entry()->clear_note();
  PrintEscalationChange(change, watch);
  EXPECT_EQ(watch.str(),
            "SEQ     TIME              ESCALATION          ACTION          STATE         LEVEL"
            "               ACTOR             NOTE\n"
            "42      2026-11-23 13:05  vpn                 ESCALATED       OPEN          1 "
            "duty-manager      jane              needs a DBA\n"
            "42      2026-11-23 13:05  vpn                 OPENED          OPEN          1 "
            "duty-manager      jane              SEV1 VPN down for the Hamburg office\n");
}

v1::Ticket SampleTicket(absl::Time now) {
  v1::Ticket t;
  t.set_name("tickets/INC-1");
  t.set_service("services/email");
  t.set_relationship("relationships/acme");
  t.set_priority(v1::P2);
  t.set_state(v1::Ticket::OPEN);
  *t.mutable_open_time() = ToProto(now - absl::Hours(2));
  auto* response = t.add_timers();
  response->set_agreement("agreements/email-gold");
  response->set_revision(3);
  response->set_agreement_type(v1::Agreement::SLA);
  response->set_kind(v1::FIRST_RESPONSE);
  response->set_cycle(1);
  response->set_stage(v1::MET);
  response->mutable_target()->set_seconds(3600);
  response->mutable_elapsed()->set_seconds(600);
  response->mutable_remaining()->set_seconds(3000);
  response->set_percent_used(16.7);
  *response->mutable_due_time() = ToProto(now - absl::Hours(1));
  auto* resolution = t.add_timers();
  resolution->set_agreement("agreements/email-ola");
  resolution->set_revision(1);
  resolution->set_agreement_type(v1::Agreement::OLA);
  resolution->set_kind(v1::RESOLUTION);
  resolution->set_cycle(1);
  resolution->set_stage(v1::RUNNING);
  resolution->mutable_target()->set_seconds(4 * 3600);
  resolution->mutable_elapsed()->set_seconds(3 * 3600);
  resolution->mutable_remaining()->set_seconds(3600);
  resolution->set_percent_used(75);
  *resolution->mutable_due_time() = ToProto(now + absl::Hours(1));
  auto* crossing = t.add_crossings();
  crossing->set_agreement("agreements/email-ola");
  crossing->set_kind(v1::RESOLUTION);
  crossing->set_cycle(1);
  crossing->set_threshold(75);
  *crossing->mutable_crossing_time() = ToProto(now);
  auto* opened = t.add_events();
  opened->set_event_id("e1");
  *opened->mutable_event_time() = ToProto(now - absl::Hours(2));
  opened->mutable_opened()->set_service("services/email");
  opened->mutable_opened()->set_priority(v1::P2);
  auto* paused = t.add_events();
  paused->set_event_id("e2");
  *paused->mutable_event_time() = ToProto(now - absl::Hours(1));
  paused->mutable_paused()->set_reason(v1::WAITING_FOR_CUSTOMER);
  t.set_at_risk(true);
  return t;
}

TEST(SlaViewsTest, TicketShowsTimersWithDueTimesStagesAndPercent) {
  ScopedTz tz("UTC");
  const absl::Time now = absl::FromUnixSeconds(1795439100);  // 2026-11-23 13:05 UTC.
  v1::Ticket ticket = SampleTicket(now);
  EXPECT_EQ(TicketStanding(ticket), "AT RISK");
  std::ostringstream os;
  PrintTicket(ticket, now, os);
  const std::string text = os.str();
  EXPECT_THAT(text, HasSubstr("SLA:           AT RISK\n"));
  EXPECT_THAT(
      text,
      HasSubstr("Timers (business time):\n"
                "  AGREEMENT   REV  TYPE  TIMER           CYCLE  STAGE    TARGET  ELAPSED  "
                "REMAINING  USED  DUE\n"
                "  email-gold    3  SLA   FIRST_RESPONSE      1  MET      1h      10m      50m   "
                "      17%  2026-11-23 12:05\n"
                "  email-ola     1  OLA   RESOLUTION          1  RUNNING  4h      3h       1h    "
                "      75%  2026-11-23 14:05 (in 1h)\n"));
  EXPECT_THAT(text,
              HasSubstr("  2026-11-23 13:05  email-ola  RESOLUTION      1  warning at 75%\n"));
  EXPECT_THAT(text, HasSubstr("  2026-11-23 11:05  opened  e1  P2 on services/email\n"));
  EXPECT_THAT(text, HasSubstr("  2026-11-23 12:05  paused  e2  WAITING_FOR_CUSTOMER\n"));

  ticket.set_breached(true);
  EXPECT_EQ(TicketStanding(ticket), "BREACHED");
  std::ostringstream list;
  PrintTickets({ticket}, now, list);
  EXPECT_EQ(list.str(),
            "ID     SERVICE  RELATIONSHIP  PRIORITY  STATE  OPENED            SLA       NEXT DUE\n"
            "INC-1  email    acme          P2        OPEN   2026-11-23 11:05  BREACHED  in 1h\n");
}

TEST(SlaViewsTest, ComplianceShowsTargetsOpenTicketsAndTheErrorBudget) {
  ScopedTz tz("UTC");
  v1::ComplianceReport r;
  r.set_scope("services/email");
  *r.mutable_start_time() = ToProto(absl::FromUnixSeconds(1793491200));  // 2026-11-01.
  *r.mutable_end_time() = ToProto(absl::FromUnixSeconds(1796083200));    // 2026-12-01.
  r.mutable_response()->set_completed(40);
  r.mutable_response()->set_met(38);
  r.mutable_response()->set_breached(2);
  r.mutable_response()->set_compliance_percent(95);
  r.mutable_response()->mutable_median()->set_seconds(720);
  r.mutable_response()->mutable_p90()->set_seconds(2400);
  r.mutable_resolution()->set_compliance_percent(100);
  r.set_open_at_risk(3);
  r.set_open_breached(1);
  std::ostringstream plain;
  PrintComplianceReport(r, "month", plain);
  EXPECT_EQ(plain.str(),
            "Scope:   services/email\n"
            "Period:  2026-11-01 00:00 to 2026-12-01 00:00 (month)\n"
            "\n"
            "TARGETS         COMPLETED  MET  BREACHED  COMPLIANCE  MEDIAN  P90\n"
            "first response         40   38         2       95.0%  12m     40m\n"
            "resolution              0    0         0           -  -       -\n"
            "both                    0    0         0           -  -       -\n"
            "\n"
            "Open tickets now: 3 at risk, 1 breached\n");
  r.set_has_availability(true);
  r.set_availability_percent(99.95);
  r.set_availability_target(99.9);
  r.mutable_error_budget()->set_seconds(2592);
  r.mutable_downtime()->set_seconds(1296);
  r.mutable_error_budget_remaining()->set_seconds(1296);
  r.set_error_budget_remaining_percent(50);
  r.set_outages(2);
  r.mutable_mttr()->set_seconds(648);
  r.mutable_mtbf()->set_seconds(12 * 86400);
  std::ostringstream with_availability;
  PrintComplianceReport(r, "month", with_availability);
  EXPECT_THAT(with_availability.str(), HasSubstr("\nAvailability:  99.950% (target 99.9%)\n"
                                                 "Downtime:      21m 36s of 43m 12s error budget\n"
                                                 "Budget left:   21m 36s (50%)\n"
                                                 "Outages:       2, MTTR 10m 48s, MTBF 12d\n"));
}

TEST(SatisfactionViewsTest, TrendChartDrawsIntervalsOnARoundedAxis) {
  const std::string chart = TrendChart({{"2026-W40", 34, 32.0, 18.0, 46.0},
                                        {"2026-W41", 0, std::nullopt, std::nullopt, std::nullopt},
                                        {"2026-W42", 41, -5.0, -20.0, 10.0}},
                                       Metric::kNps, 21);
  // The intervals span -20..46, rounded out to twenties: -20..60, four
  // points a column; zero is marked on lines whose interval leaves it free.
  EXPECT_EQ(chart,
            "2026-W40  n=34  +32.0       ┊    ├──●───┤\n"
            "2026-W41   n=0         no answers\n"
            "2026-W42  n=41   -5.0  ├───●───┤\n"
            "                       -20      20        60\n");
  EXPECT_EQ(TrendChart({{"x", 0, std::nullopt, std::nullopt, std::nullopt}}, Metric::kNps, 20),
            "No answers in the range.\n");
  // A point without spread is a dot; CES stays within its 1-7 scale.
  const std::string ces =
      TrendChart({{"a", 3, 7.0, 7.0, 7.0}, {"b", 5, 6.5, 6.0, 7.0}}, Metric::kCes, 11);
  EXPECT_EQ(ces,
            "a  n=3  7.00            ●\n"
            "b  n=5  6.50  ├────●────┤\n"
            "              6   6.5   7\n");
}

TEST(SatisfactionViewsTest, ScoreShowsMarginsIntervalsChangesAndSmallSamples) {
  ScopedTz tz("UTC");
  v1::Score score;
  *score.mutable_start_time() = ToProto(absl::FromUnixSeconds(1793491200));
  *score.mutable_end_time() = ToProto(absl::FromUnixSeconds(1796083200));
  *score.mutable_previous_start_time() = ToProto(absl::FromUnixSeconds(1790899200));
  score.set_min_sample_size(30);
  auto* nps = score.mutable_nps();
  nps->set_count(120);
  nps->set_promoters(60);
  nps->set_passives(40);
  nps->set_detractors(20);
  nps->set_score(33.3);
  nps->set_margin(12.1);
  nps->set_lower(21.2);
  nps->set_upper(45.4);
  nps->set_significant(true);
  nps->mutable_change()->set_previous_score(20);
  nps->mutable_change()->set_delta(13.3);
  nps->mutable_change()->set_significant(true);
  auto* csat = score.mutable_csat();
  csat->set_count(12);
  csat->set_score(75);
  csat->set_margin(24.5);
  csat->set_lower(50.5);
  csat->set_upper(99.5);
  csat->mutable_change()->set_previous_score(80);
  csat->mutable_change()->set_delta(-5);
  std::ostringstream os;
  PrintScore(score, os);
  EXPECT_EQ(os.str(),
            "Scope:          all answers\n"
            "Window:         2026-11-01 00:00 to 2026-12-01 00:00\n"
            "Compared with:  2026-10-02 00:00 to 2026-11-01 00:00\n"
            "\n"
            "METRIC   SCORE   ±95%  INTERVAL        ANSWERS  CHANGE\n"
            "NPS      +33.3  ±12.1  +21.2 to +45.4      120  +13.3 from +20.0, significant\n"
            "CSAT    75.0%*  ±24.5  50.5% to 99.5%       12  -5.0 from 80.0%, within noise\n"
            "CES          -      -  -                     0  -\n"
            "\n"
            "NPS answers: 60 promoters (9-10), 40 passives (7-8), 20 detractors (0-6)\n"
            "\n"
            "* fewer than 30 answers: not significant\n");
}

v1::RelationshipHealth SampleHealth() {
  v1::RelationshipHealth health;
  health.set_relationship("relationships/acme");
  health.set_score(62.5);
  health.set_band(v1::AMBER);
  health.set_trend(-7.5);
  health.set_previous_score(70);
  auto* sla = health.add_components();
  sla->set_kind(v1::RelationshipHealth::Component::SLA_COMPLIANCE);
  sla->set_value(98);
  sla->set_weight(25);
  sla->set_effective_weight(0.5);
  sla->set_band(v1::GREEN);
  sla->set_reason("98% of 40 tickets within target");
  auto* nps = health.add_components();
  nps->set_kind(v1::RelationshipHealth::Component::NPS);
  nps->set_weight(20);
  nps->set_band(v1::UNKNOWN);
  nps->set_reason("no answers in 180 days");
  return health;
}

TEST(ViewsTest, HealthShowsComponentsTrendArrowAndWatermelon) {
  v1::RelationshipHealth health = SampleHealth();
  health.set_watermelon(true);
  health.set_watermelon_reason("SLAs met (98%) while CSAT is 55%");
  std::ostringstream os;
  PrintHealth(health, os);
  const std::string text = os.str();
  EXPECT_THAT(text, HasSubstr("Score:         62.5 AMBER"));
  EXPECT_THAT(text, HasSubstr("Trend:         ↓ -7.5 (from 70.0)"));
  EXPECT_THAT(text, HasSubstr("COMPONENT       VALUE  WEIGHT  SHARE  BAND     REASON"));
  EXPECT_THAT(text, HasSubstr("SLA_COMPLIANCE   98.0      25    50%  GREEN    98% of 40 tickets"));
  EXPECT_THAT(text, HasSubstr("NPS                 -      20      -  UNKNOWN  no answers"));
  EXPECT_THAT(text, HasSubstr("\nWATERMELON: green outside, red inside: SLAs met (98%) while "
                              "CSAT is 55%\n"));
}

TEST(ViewsTest, HealthWithoutWatermelonAndRisingOrFlatTrend) {
  v1::RelationshipHealth health = SampleHealth();
  health.set_trend(4);
  std::ostringstream rising;
  PrintHealth(health, rising);
  EXPECT_THAT(rising.str(), HasSubstr("↑ +4.0 (from 70.0)"));
  EXPECT_THAT(rising.str(), Not(HasSubstr("WATERMELON")));
  health.set_trend(0);
  std::ostringstream flat;
  PrintHealth(health, flat);
  EXPECT_THAT(flat.str(), HasSubstr("→ +0.0"));
}

TEST(ViewsTest, CalendarHoursAreSummarised) {
  v1::Calendar calendar;
  EXPECT_EQ(HoursSummary(calendar), "no working hours");
  for (auto day : {v1::MONDAY, v1::TUESDAY, v1::WEDNESDAY, v1::THURSDAY, v1::FRIDAY}) {
    auto* h = calendar.add_working_hours();
    h->set_day(day);
    h->set_start("09:00");
    h->set_end("17:00");
  }
  EXPECT_EQ(HoursSummary(calendar), "Mon-Fri 09:00-17:00");
  auto* sat = calendar.add_working_hours();
  sat->set_day(v1::SATURDAY);
  sat->set_start("10:00");
  sat->set_end("12:00");
  EXPECT_EQ(HoursSummary(calendar), "Mon-Fri 09:00-17:00; Sat 10:00-12:00");
  calendar.set_round_the_clock(true);
  EXPECT_EQ(HoursSummary(calendar), "24x7");
}

TEST(ViewsTest, CatalogChangesCountAndSayDryRun) {
  v1::ApplyCatalogResponse response;
  response.set_dry_run(true);
  auto* c = response.add_changes();
  c->set_name("agreements/gold");
  c->set_action(v1::CatalogChange::UPDATE);
  c->add_changed_fields("targets");
  c->add_changed_fields("display_name");
  std::ostringstream os;
  PrintCatalogChanges(response, os);
  EXPECT_EQ(os.str(),
            "NAME             ACTION  CHANGED\n"
            "agreements/gold  UPDATE  targets, display_name\n"
            "\n"
            "0 to create, 1 to update, 0 unchanged\n"
            "dry run: nothing written\n");
}

// The SHA-256 of `text` by sha256sum(1), independent of the code under test.
std::string Sha256sum(const std::string& text) {
  rapport::testing::TempDir dir;
  const std::string path = dir.Sub("in");
  std::ofstream(path, std::ios::binary) << text;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(("sha256sum " + path).c_str(), "r"), ::pclose);
  char buf[65] = {};
  if (pipe == nullptr || std::fread(buf, 1, 64, pipe.get()) != 64) return "";
  return std::string(buf, 64);
}

TEST(TokenTest, TokensAreRandomPrefixedHexAndHashedWhole) {
  const auto a = NewToken();
  const auto b = NewToken();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_THAT(*a, ::testing::MatchesRegex("rpt_[0-9a-f]{64}"));
  EXPECT_NE(*a, *b);
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(TokensFileLine("alice", *a, {"operator", "viewer"}),
            "alice sha256:" + Sha256sum(*a) + " operator,viewer");
}

TEST(TokenTest, DigestsAreRightOneAfterAnotherAndOnEveryThread) {
  // Each thread reuses one digest context: nothing of one digest may leak
  // into the next.
  const auto check = [] {
    EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  };
  check();
  std::thread other(check);
  other.join();
}

TEST(TokenTest, NamesAndRolesAreChecked) {
  EXPECT_TRUE(ValidatePrincipalName("grafana-portal").ok());
  EXPECT_TRUE(ValidatePrincipalName("ops_1@it.example").ok());
  EXPECT_FALSE(ValidatePrincipalName("").ok());
  EXPECT_FALSE(ValidatePrincipalName(std::string(65, 'a')).ok());
  EXPECT_TRUE(ValidatePrincipalName(std::string(64, 'a')).ok());
  EXPECT_FALSE(ValidatePrincipalName("two words").ok());
  EXPECT_FALSE(ValidatePrincipalName("a/b").ok());
  EXPECT_EQ(*ParseRoles("viewer,operator"), (std::vector<std::string>{"viewer", "operator"}));
  EXPECT_EQ(*ParseRoles("Admin, viewer,admin"), (std::vector<std::string>{"admin", "viewer"}));
  const auto unknown = ParseRoles("viewer,root");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("unknown role 'root'"));
  EXPECT_FALSE(ParseRoles("").ok());
  EXPECT_FALSE(ParseRoles(",").ok());
}

TEST(TokenTest, CreatePrintsTheTokenOnceAndItsTokensFileLine) {
  std::ostringstream out, err;
  ASSERT_EQ(
      RunCli({"admin", "token", "create", "grafana-portal", "--role", "viewer,portal"}, out, err),
      kExitOk)
      << err.str();
  const std::vector<std::string> lines = absl::StrSplit(out.str(), '\n');
  ASSERT_GE(lines.size(), 5u) << out.str();
  EXPECT_THAT(lines[0], HasSubstr("shown only this once"));
  const std::string& token = lines[1];
  EXPECT_THAT(token, ::testing::MatchesRegex("rpt_[0-9a-f]{64}"));
  EXPECT_THAT(lines[3], HasSubstr("tokens file"));
  EXPECT_EQ(lines[4], "grafana-portal sha256:" + Sha256sum(token) + " viewer,portal");

  // JSON for scripts.
  std::ostringstream json, json_err;
  ASSERT_EQ(
      RunCli({"-o", "json", "admin", "token", "create", "ci", "--role", "admin"}, json, json_err),
      kExitOk);
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.str(), &parsed).ok()) << json.str();
  const std::string json_token = parsed.fields().at("token").string_value();
  EXPECT_EQ(parsed.fields().at("tokens_file_line").string_value(),
            "ci sha256:" + Sha256sum(json_token) + " admin");

  // An unknown role or a bad name is refused, naming it; no token is printed.
  for (const auto& [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"admin", "token", "create", "bob", "--role", "viewer,superuser"},
            "unknown role 'superuser' (roles: viewer, portal, operator, admin)"},
           {{"admin", "token", "create", "bob"}, "--role is required"},
           {{"admin", "token", "create", "bob smith", "--role", "viewer"}, "NAME may hold only"},
           {{"admin", "token", "create", "--role", "viewer"}, "expects NAME, got 0 arguments"}}) {
    std::ostringstream o, e;
    EXPECT_EQ(RunCli(args, o, e), kExitUsage) << absl::StrJoin(args, " ");
    EXPECT_THAT(e.str(), HasSubstr(message)) << absl::StrJoin(args, " ");
    EXPECT_EQ(o.str(), "");
  }
}

// Runs the completion function in bash for the command line `line` (the word
// being completed last, possibly empty) and returns the candidates.
std::set<std::string> Complete(const std::vector<std::string>& line) {
  std::string words;
  for (const auto& w : line) words += " '" + w + "'";
  const std::string command = std::string(
                                  "bash -c 'source \"$0\"; COMP_WORDS=(\"$@\"); "
                                  "COMP_CWORD=$(($# - 1)); _rapportctl; "
                                  "printf \"%s\\n\" \"${COMPREPLY[@]}\"' ") +
                              RAPPORT_COMPLETION_SCRIPT + " rapportctl" + words;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  std::set<std::string> out;
  if (pipe == nullptr) return out;
  char buf[4096];
  std::string text;
  while (std::fgets(buf, sizeof(buf), pipe.get()) != nullptr) text += buf;
  for (auto s : absl::StrSplit(text, '\n', absl::SkipEmpty())) out.insert(std::string(s));
  return out;
}

TEST(CompletionTest, ScriptKnowsEveryCommandFlagAndGlobalFlag) {
  ASSERT_EQ(std::system("command -v bash > /dev/null"), 0);
  const auto first = Complete({""});
  const auto globals = Complete({"-"});
  for (const auto& flag : GlobalFlags()) {
    if (flag == "-h" || flag == "-o") continue;  // Short forms: compgen shows them with "-".
    EXPECT_TRUE(globals.count(flag)) << flag;
  }
  EXPECT_TRUE(first.count("rel"));
  for (const auto& spec : CommandSpecs()) {
    const std::string name = absl::StrJoin(spec.words, " ");
    EXPECT_TRUE(first.count(spec.words[0])) << name;
    std::vector<std::string> line = spec.words;
    if (spec.words.size() > 1) {
      const auto verbs = Complete({spec.words[0], ""});
      EXPECT_TRUE(verbs.count(spec.words[1])) << name;
    }
    line.push_back("--");
    const auto flags = Complete(line);
    for (const auto& flag : spec.flags) EXPECT_TRUE(flags.count(flag)) << name << " " << flag;
    EXPECT_TRUE(flags.count("--server")) << name;
  }
  EXPECT_EQ(Complete({"-o", ""}), (std::set<std::string>{"table", "json"}));
  EXPECT_EQ(Complete({"agreements", "list", "--type", ""}),
            (std::set<std::string>{"sla", "ola", "uc"}));
}

TEST(HelpTest, EveryCommandHasUsageDescriptionAndExample) {
  for (const auto& spec : CommandSpecs()) {
    std::vector<std::string> args = spec.words;
    args.push_back("--help");
    std::ostringstream out, err;
    EXPECT_EQ(RunCli(args, out, err), kExitOk);
    const std::string name = absl::StrJoin(spec.words, " ");
    EXPECT_THAT(out.str(), HasSubstr("Usage: rapportctl " + name)) << name;
    EXPECT_THAT(out.str(), HasSubstr("\nExample:\n  rapportctl ")) << name;
    for (const auto& flag : spec.flags) EXPECT_THAT(out.str(), HasSubstr("  " + flag)) << name;
  }
  std::ostringstream out, err;
  EXPECT_EQ(RunCli({"rel", "health", "-h"}, out, err), kExitOk);
  EXPECT_THAT(out.str(), HasSubstr("Usage: rapportctl relationships health ID"));
}

TEST(UsageTest, BadCommandLinesExitTwoNamingTheProblem) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{"rel", "list", "--colour=red"}, "unknown flag --colour"},
      {{"rel", "list", "--limit", "0"}, "--limit must be a positive number"},
      {{"rel", "list", "--limit", "5", "--all"}, "--limit and --all exclude each other"},
      {{"rel", "list", "--tier", "gold"}, "--tier must be one of strategic|key|standard"},
      {{"rel", "list", "--order", "size"}, "--order must be name or updated"},
      {{"rel", "list", "--kind"}, "--kind needs a value"},
      {{"rel", "list", "extra"}, "takes no arguments"},
      {{"rel", "show"}, "expects ID, got 0 arguments"},
      {{"rel", "show", "a", "b"}, "expects ID, got 2 arguments"},
      {{"agreements", "list", "--type", "xla"}, "--type must be sla, ola or uc"},
      {{"catalog", "apply", "f.json", "--dry-run=yes"}, "--dry-run takes no value"},
      {{"catalog", "apply", "catalog.txt"}, "must end in .json, .yaml or .yml"},
      {{"--bogus", "rel", "list"}, "unknown flag --bogus"},
      {{"frobnicate"}, "unknown command 'frobnicate'"},
      {{"agreements"}, "choose one of list, show, revisions"},
      {{"-o", "yaml", "rel", "list"}, "-o must be table or json"},
      {{"rel", "list", "--server"}, "--server needs a value"},
      {{"rel", "list", "--token"}, "--token needs a value"},
      {{"--tls_ca", "/nonexistent/ca.pem", "rel", "list"},
       "--tls_ca: cannot read /nonexistent/ca.pem"},
      {{"--tls_ca=" RAPPORT_COMPLETION_SCRIPT, "health"}, "is not a PEM file"},
      {{"--tls_cert", "c.pem", "rel", "list"}, "--tls_cert and --tls_key go together"},
      {{"--tls_key", "k.pem", "health"}, "--tls_cert and --tls_key go together"},
  };
  for (const auto& c : cases) {
    std::ostringstream out, err;
    EXPECT_EQ(RunCli(c.args, out, err, "127.0.0.1:1"), kExitUsage) << absl::StrJoin(c.args, " ");
    EXPECT_THAT(err.str(), HasSubstr(c.message)) << absl::StrJoin(c.args, " ");
    EXPECT_EQ(out.str(), "") << absl::StrJoin(c.args, " ");
  }
}

TEST(UsageTest, TlsFilesFromTheEnvironmentAreCheckedLikeFlags) {
  std::ostringstream out, err;
  EXPECT_EQ(RunCli({"rel", "list"}, out, err,
                   Environment{{"RAPPORT_SERVER", "127.0.0.1:1"},
                               {"RAPPORT_TLS_CA", "/nonexistent/env-ca.pem"}}),
            kExitUsage);
  EXPECT_THAT(err.str(), HasSubstr("--tls_ca: cannot read /nonexistent/env-ca.pem"));
  // A flag wins over the variable.
  std::ostringstream out2, err2;
  EXPECT_EQ(RunCli({"--tls_ca", "/nonexistent/flag-ca.pem", "rel", "list"}, out2, err2,
                   Environment{{"RAPPORT_TLS_CA", "/nonexistent/env-ca.pem"}}),
            kExitUsage);
  EXPECT_THAT(err2.str(), HasSubstr("/nonexistent/flag-ca.pem"));
  // Help needs no files.
  std::ostringstream out3, err3;
  EXPECT_EQ(RunCli({"--tls_ca", "/nonexistent/ca.pem", "--help"}, out3, err3), kExitOk);
  EXPECT_THAT(out3.str(), HasSubstr("4 not authenticated"));
}

}  // namespace
}  // namespace rapport::cli
