// rapportctl tickets and compliance against the real rapportd: tickets
// recorded through the API with events in the past, on a calendar around the
// clock so that due times and percentages are exact.
#include "google/protobuf/util/json_util.h"
#include "tests/cli/cli_fixture.h"

namespace rapport {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kCatalog[] = R"(
services:
  - {name: services/email, display_name: E-mail}
calendars:
  - {name: calendars/always, display_name: Always, time_zone: UTC, round_the_clock: true}
agreements:
  - name: agreements/email-sla
    display_name: E-mail SLA
    type: sla
    service: services/email
    effective_from: 2020-01-01T00:00:00Z
    calendar: calendars/always
    targets: [{priority: p2, first_response: 3600s, resolution: 14400s}]
    availability_target: 99.9
)";

class SlaCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    if (server_ == nullptr) return;
    CreateRelationship("acme", "Acme Corp", v1::Relationship::STRATEGIC);
    Ok({"catalog", "apply", WriteFile("catalog.yaml", kCatalog)});
  }

  void Event(const std::string& ticket, const std::string& id, absl::Duration ago,
             const std::function<void(v1::TicketEvent*)>& kind) {
    v1::RecordTicketEventRequest request;
    request.set_ticket_id(ticket);
    request.mutable_event()->set_event_id(id);
    *request.mutable_event()->mutable_event_time() = Ago(ago);
    kind(request.mutable_event());
    v1::Ticket out;
    auto ctx = Ctx();
    ASSERT_OK(catalog_->RecordTicketEvent(ctx.get(), request, &out));
  }
  void Open(const std::string& ticket, absl::Duration ago) {
    Event(ticket, "opened", ago, [](v1::TicketEvent* e) {
      e->mutable_opened()->set_service("services/email");
      e->mutable_opened()->set_relationship("relationships/acme");
      e->mutable_opened()->set_priority(v1::P2);
    });
  }
  void Respond(const std::string& ticket, absl::Duration ago) {
    Event(ticket, "responded", ago, [](v1::TicketEvent* e) { e->mutable_responded(); });
  }
};

TEST_F(SlaCliTest, TicketsShowTimersWithDueTimesStagesAndPercentUsed) {
  // Opened 2h ago, answered 10 minutes later: the response met, the
  // resolution half used and due in 2h.
  Open("INC-1", absl::Hours(2));
  Respond("INC-1", absl::Hours(2) - absl::Minutes(10));
  const std::string show = Ok({"tickets", "show", "INC-1"});
  EXPECT_THAT(show, ContainsRegex("Name: +tickets/INC-1"));
  EXPECT_THAT(show, ContainsRegex("Relationship: +relationships/acme"));
  EXPECT_THAT(show, ContainsRegex("Priority: +P2"));
  EXPECT_THAT(show, ContainsRegex("State: +OPEN"));
  EXPECT_THAT(show, ContainsRegex("SLA: +ok"));
  EXPECT_THAT(show, ContainsRegex("email-sla +1 +SLA +FIRST_RESPONSE +1 +MET +1h +10m +50m +17% "
                                  "+-\n"));
  EXPECT_THAT(show, ContainsRegex("email-sla +1 +SLA +RESOLUTION +1 +RUNNING +4h +2h +(1h 59m|2h) "
                                  "+50% +[0-9-]+ [0-9:]+ \\(in (1h 59m|2h)\\)"));
  EXPECT_THAT(show, ContainsRegex("opened +opened +P2 on services/email for relationships/acme"));
  EXPECT_THAT(show, ContainsRegex("responded +responded +-"));

  // Opened 2h ago and not answered: the response breached.
  Open("INC-2", absl::Hours(2));
  EXPECT_THAT(Ok({"tickets", "show", "tickets/INC-2"}),
              ContainsRegex("FIRST_RESPONSE +1 +RUNNING \\(breached\\) +1h +2h +-(1h|59m) +200% "
                            "+[0-9-]+ [0-9:]+ \\(1h ago\\)"));
  const std::string list = Ok({"tickets", "list"});
  EXPECT_THAT(list, ContainsRegex("INC-1 +email +acme +P2 +OPEN +[0-9-]+ [0-9:]+ +ok +in"));
  EXPECT_THAT(list, ContainsRegex("INC-2 +email +acme +P2 +OPEN .* BREACHED"));
  const std::string breached = Ok({"tickets", "list", "--breached"});
  EXPECT_THAT(breached, HasSubstr("INC-2"));
  EXPECT_THAT(breached, Not(HasSubstr("INC-1")));
  EXPECT_THAT(Ok({"tickets", "list", "--state", "resolved"}), HasSubstr("No tickets."));

  v1::Ticket parsed;
  const std::string json = Ok({"-o", "json", "tickets", "show", "INC-2"});
  EXPECT_TRUE(PythonParses(json));
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  EXPECT_TRUE(parsed.breached());
  EXPECT_EQ(parsed.timers_size(), 2);

  std::string out, err;
  EXPECT_EQ(Run({"tickets", "show", "INC-404"}, &out, &err), cli::kExitRefused);
  EXPECT_THAT(err, StartsWith("rapportctl: NOT_FOUND: "));
}

TEST_F(SlaCliTest, ComplianceOfAServiceRelationshipOrAgreementOverAPeriod) {
  Open("INC-1", absl::Hours(3));
  Respond("INC-1", absl::Hours(3) - absl::Minutes(10));
  Event("INC-1", "resolved", absl::Hours(2), [](v1::TicketEvent* e) { e->mutable_resolved(); });
  Open("INC-2", absl::Hours(3));
  Respond("INC-2", absl::Hours(1));  // Two hours for a one-hour target.
  Open("INC-3", absl::Hours(2));     // Not answered: breached, still open.

  const std::string report = Ok({"compliance", "--service", "email", "--days", "7"});
  EXPECT_THAT(report, ContainsRegex("Scope: +services/email"));
  EXPECT_THAT(report, ContainsRegex("Period: +[0-9-]+ [0-9:]+ to [0-9-]+ [0-9:]+ \\(7 days\\)"));
  EXPECT_THAT(report, ContainsRegex("first response +2 +1 +1 +50.0%"));
  EXPECT_THAT(report, ContainsRegex("resolution +1 +1 +0 +100.0%"));
  EXPECT_THAT(report, ContainsRegex("both +3 +2 +1 +66.7%"));
  EXPECT_THAT(report, ContainsRegex("Open tickets now: [0-9]+ at risk, 2 breached"));
  EXPECT_THAT(report, ContainsRegex("Availability: +100.000% \\(target 99.9%\\)"));

  EXPECT_THAT(Ok({"compliance", "--relationship", "acme", "--period", "year"}),
              ContainsRegex("\\(year\\)\n"));
  const std::string agreement = Ok({"compliance", "--agreement", "email-sla", "--period", "quarter",
                                    "--at", "2020-02-15", "--time-zone", "UTC"});
  EXPECT_THAT(agreement,
              ContainsRegex("Period: +2020-01-01 00:00 to 2020-04-01 00:00 \\(quarter\\)"));
  EXPECT_THAT(agreement, ContainsRegex("first response +0 +0 +0 +-"));

  v1::ComplianceReport parsed;
  const std::string json = Ok({"-o", "json", "compliance", "--service", "email", "--days", "7"});
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  EXPECT_EQ(parsed.combined().completed(), 3);

  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{"compliance"}, "give one of --service, --relationship or --agreement"},
      {{"compliance", "--service", "a", "--agreement", "b"}, "give one of"},
      {{"compliance", "--service", "a", "--days", "0"}, "--days must be a positive number"},
      {{"compliance", "--service", "a", "--days", "7", "--period", "month"},
       "--days and --period exclude each other"},
      {{"compliance", "--service", "a", "--period", "week"}, "--period must be one of"},
      {{"compliance", "--service", "a", "--at", "soon"}, "--at must be a date or time"},
  };
  for (const auto& c : cases) {
    std::string out, err;
    EXPECT_EQ(Run(c.args, &out, &err), cli::kExitUsage) << absl::StrJoin(c.args, " ");
    EXPECT_THAT(err, HasSubstr(c.message)) << absl::StrJoin(c.args, " ");
  }
  std::string out, err;
  EXPECT_EQ(Run({"compliance", "--service", "nothing"}, &out, &err), cli::kExitRefused);
  EXPECT_THAT(err, StartsWith("rapportctl: NOT_FOUND: "));
}

}  // namespace
}  // namespace rapport
