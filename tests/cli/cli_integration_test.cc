// rapportctl against the real rapportd on port 0: RunCli called directly with
// string streams, and the rapportctl binary for exit codes. Data is made with
// gRPC stubs and with `catalog apply` of JSON and YAML files.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cli/cli.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "rapport/v1/relationships.grpc.pb.h"
#include "rapport/v1/sla.grpc.pb.h"
#include "tests/cli/cli_fixture.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

using ::rapport::testing::RunRapportctl;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Services and calendars, in JSON with lowerCamel names.
constexpr char kCatalogJson[] = R"({
  "services": [
    {"name": "services/email", "displayName": "E-mail", "owner": "messaging",
     "criticality": "HIGH"},
    {"name": "services/erp", "displayName": "ERP", "lifecycle": "PIPELINE"}
  ],
  "calendars": [
    {"name": "calendars/berlin", "displayName": "Berlin office", "timeZone": "Europe/Berlin",
     "workingHours": [
       {"day": "MONDAY", "start": "09:00", "end": "17:00"},
       {"day": "TUESDAY", "start": "09:00", "end": "17:00"},
       {"day": "WEDNESDAY", "start": "09:00", "end": "17:00"},
       {"day": "THURSDAY", "start": "09:00", "end": "17:00"},
       {"day": "FRIDAY", "start": "09:00", "end": "17:00"}],
     "holidays": [{"month": 12, "day": 25, "name": "Christmas"}]}
  ]
})";

// Agreements on them, in YAML with snake_case names and lower-case enums.
// RESOLUTION is replaced to make a new revision.
constexpr char kAgreementsYaml[] = R"(# Agreements kept as code.
agreements:
  - name: agreements/email-gold
    display_name: E-mail gold
    type: sla
    service: services/email
    relationship: relationships/acme
    effective_from: 2026-01-01T00:00:00Z
    calendar: calendars/berlin
    targets:
      - {priority: p1, first_response: 900s, resolution: RESOLUTION}
      - {priority: p2, first_response: 3600s, resolution: 187200s}
    warning_thresholds: [50, 75]
    availability_target: 99.9
    on_breach: {open_escalation: true, severity: sev2}
  - name: agreements/email-ola
    display_name: Messaging team OLA
    type: ola
    service: services/email
    provider: messaging-team
    effective_from: "2026-01-01T00:00:00Z"
    calendar: calendars/berlin
    targets:
      - {priority: P1, firstResponse: 600s, resolution: 7200s}
)";

std::string AgreementsYaml(const std::string& resolution) {
  std::string yaml = kAgreementsYaml;
  yaml.replace(yaml.find("RESOLUTION"), 10, resolution);
  return yaml;
}

TEST_F(CliTest, CatalogApplyDryRunWritesNothingThenAppliesThenIsUnchanged) {
  CreateRelationship("acme", "Acme Corp", v1::Relationship::STRATEGIC);
  const std::string json = WriteFile("catalog.json", kCatalogJson);
  const std::string yaml = WriteFile("agreements.yaml", AgreementsYaml("14400s"));

  std::string out = Ok({"catalog", "apply", json, "--dry-run"});
  EXPECT_THAT(out, ContainsRegex("services/email +CREATE"));
  EXPECT_THAT(out, ContainsRegex("calendars/berlin +CREATE"));
  EXPECT_THAT(out, HasSubstr("3 to create, 0 to update, 0 unchanged\n"));
  EXPECT_THAT(out, HasSubstr("dry run: nothing written\n"));
  EXPECT_EQ(Ok({"-o", "json", "services", "list"}), "[]\n");
  EXPECT_THAT(Ok({"calendars", "list"}), HasSubstr("No calendars."));

  out = Ok({"catalog", "apply", json});
  EXPECT_THAT(out, HasSubstr("3 created, 0 updated, 0 unchanged\n"));
  EXPECT_THAT(out, Not(HasSubstr("dry run")));
  out = Ok({"catalog", "apply", yaml});
  EXPECT_THAT(out, ContainsRegex("agreements/email-gold +CREATE"));
  EXPECT_THAT(out, HasSubstr("2 created"));

  // The second time everything is UNCHANGED; the JSON form says so too.
  out = Ok({"catalog", "apply", yaml});
  EXPECT_THAT(out, ContainsRegex("agreements/email-gold +UNCHANGED"));
  EXPECT_THAT(out, HasSubstr("0 created, 0 updated, 2 unchanged\n"));
  out = Ok({"-o", "json", "catalog", "apply", json});
  EXPECT_TRUE(PythonParses(out)) << out;
  v1::ApplyCatalogResponse response;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(out, &response).ok()) << out;
  ASSERT_EQ(response.changes_size(), 3);
  for (const auto& change : response.changes()) {
    EXPECT_EQ(change.action(), v1::CatalogChange::UNCHANGED) << change.name();
  }

  // A dry run of a change reports the fields and leaves the store alone.
  out = Ok({"catalog", "apply", WriteFile("v2.yml", AgreementsYaml("10800s")), "--dry-run"});
  EXPECT_THAT(out, ContainsRegex("agreements/email-gold +UPDATE +targets"));
  EXPECT_THAT(out, HasSubstr("dry run: nothing written"));
  EXPECT_THAT(Ok({"agreements", "show", "email-gold"}), ContainsRegex("P1 +15m +4h"));

  EXPECT_THAT(Ok({"services", "list"}), ContainsRegex("email +E-mail +LIVE +HIGH +messaging"));
  EXPECT_THAT(Ok({"services", "list", "--lifecycle", "pipeline"}), Not(HasSubstr("E-mail")));
  EXPECT_THAT(Ok({"services", "show", "services/erp"}), ContainsRegex("Lifecycle: +PIPELINE"));
  const std::string calendar = Ok({"calendars", "show", "berlin"});
  EXPECT_THAT(calendar, ContainsRegex("Hours: +Mon-Fri 09:00-17:00"));
  EXPECT_THAT(calendar, ContainsRegex("every 12-25 +Christmas"));
  EXPECT_THAT(Ok({"calendars", "list"}), ContainsRegex("berlin +Berlin office +Europe/Berlin"));
}

TEST_F(CliTest, AgreementsShowListAndRevisions) {
  CreateRelationship("acme", "Acme Corp", v1::Relationship::STRATEGIC);
  Ok({"catalog", "apply", WriteFile("catalog.json", kCatalogJson)});
  Ok({"catalog", "apply", WriteFile("a.yaml", AgreementsYaml("14400s"))});

  const std::string show = Ok({"agreements", "show", "agreements/email-gold"});
  EXPECT_THAT(show, ContainsRegex("Type: +SLA"));
  EXPECT_THAT(show, ContainsRegex("Relationship: +relationships/acme"));
  EXPECT_THAT(show, ContainsRegex("Warnings at: +50%, 75%"));
  EXPECT_THAT(show, ContainsRegex("Availability: +99.9% per MONTH"));
  EXPECT_THAT(show, ContainsRegex("On breach: +open a SEV2 escalation"));
  EXPECT_THAT(show, ContainsRegex("P1 +15m +4h +-"));
  EXPECT_THAT(show, ContainsRegex("P2 +1h +2d 4h"));

  std::string list = Ok({"agreements", "list"});
  EXPECT_THAT(list, ContainsRegex("email-gold +E-mail gold +SLA +email +acme +EFFECTIVE +1"));
  EXPECT_THAT(list, ContainsRegex("email-ola +Messaging team OLA +OLA +email +messaging-team"));
  list = Ok({"agreements", "list", "--type", "ola"});
  EXPECT_THAT(list, HasSubstr("email-ola"));
  EXPECT_THAT(list, Not(HasSubstr("email-gold")));
  list = Ok({"agreements", "list", "--relationship", "acme", "--state", "effective"});
  EXPECT_THAT(list, HasSubstr("email-gold"));
  EXPECT_THAT(list, Not(HasSubstr("email-ola")));
  EXPECT_THAT(Ok({"agreements", "list", "--service", "erp"}), HasSubstr("No agreements."));

  // A new target makes revision 2; both stay listed, oldest first.
  Ok({"catalog", "apply", WriteFile("b.yaml", AgreementsYaml("10800s"))});
  const std::string revisions = Ok({"agreements", "revisions", "email-gold"});
  const std::vector<std::string> lines = absl::StrSplit(revisions, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << revisions;
  EXPECT_THAT(lines[0], StartsWith("REV  CREATED"));
  EXPECT_THAT(lines[1], ContainsRegex("^  1 .* berlin +P1 15m/4h, P2 1h/2d 4h +created"));
  EXPECT_THAT(lines[2], ContainsRegex("^  2 .* berlin +P1 15m/3h, P2 1h/2d 4h +.*targets"));
  EXPECT_THAT(Ok({"agreements", "show", "email-gold"}), ContainsRegex("Revision: +2"));

  const std::string json = Ok({"-o", "json", "agreements", "revisions", "email-gold"});
  EXPECT_TRUE(PythonParses(json)) << json;
  v1::ListAgreementRevisionsResponse parsed;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage("{\"revisions\":" + json + "}", &parsed).ok())
      << json;
  ASSERT_EQ(parsed.revisions_size(), 2);
  EXPECT_EQ(parsed.revisions(1).snapshot().targets(0).resolution().seconds(), 10800);
  v1::Agreement agreement;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  Ok({"agreements", "show", "email-ola", "-o", "json"}), &agreement)
                  .ok());
  EXPECT_EQ(agreement.provider(), "messaging-team");
}

// Before the first flush every write is in the memtables: the store is not
// shown as empty.
TEST_F(CliTest, AdminInfoShowsTheStoreSizeIncludingWhatIsInMemory) {
  CreateRelationship("acme", "Acme Corp", v1::Relationship::STRATEGIC, "jane@it.example");
  const std::string out = Ok({"admin", "info"});
  EXPECT_THAT(out, ContainsRegex("store size +[0-9]+ bytes in table files, [1-9][0-9]* bytes in memtables"));
}

TEST_F(CliTest, RelationshipsListFiltersOrdersAndPrintsJson) {
  CreateRelationship("acme", "Acme Corp", v1::Relationship::STRATEGIC, "jane@it.example");
  CreateRelationship("globex", "Globex", v1::Relationship::KEY, "bob@it.example");
  CreateRelationship("initech", "Initech Zürich", v1::Relationship::STANDARD, "bob@it.example",
                     "relationships/acme");

  std::string out = Ok({"rel", "list"});
  const std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << out;
  EXPECT_THAT(lines[0], ContainsRegex("^ID +DISPLAY NAME +KIND +TIER +STATUS +MANAGER +UPDATED$"));
  EXPECT_THAT(lines[1],
              ContainsRegex("^acme +Acme Corp +EXTERNAL_CUSTOMER +STRATEGIC +ACTIVE +jane@it"));
  EXPECT_THAT(lines[2], StartsWith("globex "));
  EXPECT_THAT(lines[3], StartsWith("initech "));
  // Columns line up although "Zürich" has more bytes than characters.
  EXPECT_EQ(lines[1].find("EXTERNAL_CUSTOMER"), lines[0].find("KIND"));
  EXPECT_EQ(lines[3].find("EXTERNAL_CUSTOMER") - 1, lines[0].find("KIND"));

  EXPECT_THAT(Ok({"relationships", "list", "--tier", "strategic"}), Not(HasSubstr("globex")));
  out = Ok({"rel", "list", "--manager", "bob@it.example", "--kind", "external-customer"});
  EXPECT_THAT(out, HasSubstr("globex"));
  EXPECT_THAT(out, Not(HasSubstr("acme ")));
  out = Ok({"rel", "list", "--parent", "acme"});
  EXPECT_THAT(out, HasSubstr("initech"));
  EXPECT_THAT(out, Not(HasSubstr("globex")));
  EXPECT_THAT(Ok({"rel", "list", "--label", "region=emea", "--status", "active"}),
              HasSubstr("globex"));
  EXPECT_THAT(Ok({"rel", "list", "--label", "region=apac"}), HasSubstr("No relationships."));
  out = Ok({"rel", "list", "--order", "updated"});
  EXPECT_LT(out.find("initech"), out.find("acme"));

  std::string err;
  ASSERT_EQ(Run({"rel", "list", "--limit", "2"}, &out, &err), 0);
  EXPECT_THAT(out, Not(HasSubstr("initech")));
  EXPECT_THAT(err, HasSubstr("2 shown; more with --limit N or --all"));

  out = Ok({"-o", "json", "rel", "list"});
  EXPECT_TRUE(PythonParses(out)) << out;
  v1::ListRelationshipsResponse parsed;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage("{\"relationships\":" + out + "}", &parsed).ok())
      << out;
  ASSERT_EQ(parsed.relationships_size(), 3);
  EXPECT_EQ(parsed.relationships(2).display_name(), "Initech Zürich");
  EXPECT_EQ(parsed.relationships(2).parent(), "relationships/acme");

  out = Ok({"rel", "search", "glob"});
  EXPECT_THAT(out, HasSubstr("globex"));
  EXPECT_THAT(out, Not(HasSubstr("acme")));
  EXPECT_THAT(Ok({"rel", "search", "acme", "corp"}), HasSubstr("Acme Corp"));
  EXPECT_EQ(Ok({"rel", "search", "nobody", "-o", "json"}), "[]\n");
}

TEST_F(CliTest, ListsFollowPageTokensUpToTheLimitOrAll) {
  // More than the server's largest page (1000).
  constexpr int kCount = 1005;
  for (int i = 0; i < kCount; ++i) {
    v1::CreateRelationshipRequest request;
    request.set_relationship_id(absl::StrCat("r", 10000 + i));
    request.mutable_relationship()->set_display_name(absl::StrCat("Customer ", 10000 + i));
    request.mutable_relationship()->set_kind(v1::Relationship::PARTNER);
    v1::Relationship out;
    auto ctx = Ctx();
    ASSERT_OK(relationships_->CreateRelationship(ctx.get(), request, &out));
  }
  auto count = [this](const std::vector<std::string>& args) {
    v1::ListRelationshipsResponse parsed;
    const std::string out = Ok(args);
    EXPECT_TRUE(
        google::protobuf::util::JsonStringToMessage("{\"relationships\":" + out + "}", &parsed)
            .ok());
    return parsed.relationships_size();
  };
  EXPECT_EQ(count({"-o", "json", "rel", "list"}), 50);
  EXPECT_EQ(count({"-o", "json", "rel", "list", "--all"}), kCount);
  EXPECT_EQ(count({"-o", "json", "rel", "list", "--limit", "1003"}), 1003);
  EXPECT_EQ(count({"-o", "json", "rel", "list", "--limit", "5000"}), kCount);
  EXPECT_EQ(count({"-o", "json", "rel", "search", "customer", "--all"}), kCount);
  // The pages join without a gap or a repeat.
  v1::ListRelationshipsResponse all;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  "{\"relationships\":" + Ok({"-o", "json", "rel", "list", "--all"}) + "}", &all)
                  .ok());
  for (int i = 0; i < all.relationships_size(); ++i) {
    EXPECT_EQ(all.relationships(i).name(), absl::StrCat("relationships/r", 10000 + i));
  }
  std::string out, err;
  ASSERT_EQ(Run({"rel", "list"}, &out, &err), 0);
  EXPECT_THAT(err, HasSubstr("50 shown"));
}

TEST_F(CliTest, RelationshipsShowAcceptsIdOrNameWithStakeholdersAndLatestInteractions) {
  CreateRelationship("acme", "Acme Corp", v1::Relationship::STRATEGIC, "jane@it.example");
  v1::CreateStakeholderRequest request;
  request.set_parent("relationships/acme");
  request.set_stakeholder_id("cfo");
  request.mutable_stakeholder()->set_display_name("Erika Mustermann");
  request.mutable_stakeholder()->set_role("CFO");
  request.mutable_stakeholder()->set_email("erika@acme.example");
  request.mutable_stakeholder()->set_power(5);
  request.mutable_stakeholder()->set_interest(4);
  request.mutable_stakeholder()->set_attitude(v1::Stakeholder::CHAMPION);
  v1::Stakeholder stakeholder;
  auto ctx = Ctx();
  ASSERT_OK(relationships_->CreateStakeholder(ctx.get(), request, &stakeholder));
  for (int i = 1; i <= 6; ++i) {
    CreateInteraction("acme", v1::Interaction::MEETING, absl::StrCat("Meeting number ", i),
                      absl::Hours(10 - i));
  }

  const std::string by_id = Ok({"rel", "show", "acme"});
  EXPECT_EQ(Ok({"relationships", "show", "relationships/acme"}), by_id);
  EXPECT_THAT(by_id, ContainsRegex("Name: +relationships/acme"));
  EXPECT_THAT(by_id, ContainsRegex("Tier: +STRATEGIC"));
  EXPECT_THAT(by_id, ContainsRegex("Labels: +region=emea"));
  EXPECT_THAT(by_id, ContainsRegex("cfo +Erika Mustermann +CFO +5 +4 +CHAMPION +erika@acme"));
  // The five latest, newest first.
  EXPECT_THAT(by_id, ContainsRegex("MEETING +\\+?0 +- +Meeting number 6"));
  EXPECT_LT(by_id.find("Meeting number 6"), by_id.find("Meeting number 2"));
  EXPECT_THAT(by_id, Not(HasSubstr("Meeting number 1")));

  v1::Relationship parsed;
  const std::string json = Ok({"rel", "show", "acme", "-o", "json"});
  EXPECT_TRUE(PythonParses(json));
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  EXPECT_EQ(parsed.manager(), "jane@it.example");
}

TEST_F(CliTest, RelationshipsHealthShowsComponentsBandsAndTrend) {
  CreateRelationship("acme", "Acme Corp", v1::Relationship::STRATEGIC);
  CreateInteraction("acme", v1::Interaction::BUSINESS_REVIEW, "Quarterly review", absl::Hours(2));
  std::string out = Ok({"rel", "health", "acme"});
  EXPECT_THAT(out, ContainsRegex("Relationship: +relationships/acme"));
  EXPECT_THAT(out, ContainsRegex("Score: +[0-9.]+ (GREEN|AMBER|RED)"));
  EXPECT_THAT(out, ContainsRegex("COMPONENT +VALUE +WEIGHT +SHARE +BAND +REASON"));
  EXPECT_THAT(out, ContainsRegex("ENGAGEMENT +[0-9.]+ +10 +[0-9]+% +GREEN"));
  EXPECT_THAT(out, ContainsRegex("NPS +- +20 +- +UNKNOWN"));
  EXPECT_THAT(out, Not(HasSubstr("WATERMELON")));

  // Complaints lower the score: the trend points down, from the last score.
  CreateInteraction("acme", v1::Interaction::COMPLAINT, "Outage not communicated", absl::Hours(1));
  CreateInteraction("acme", v1::Interaction::COMPLAINT, "Slow answers", absl::Minutes(30));
  out = Ok({"relationships", "health", "relationships/acme"});
  EXPECT_THAT(out, ContainsRegex("Trend: +↓ -[0-9.]+ \\(from [0-9.]+\\)"));
  EXPECT_THAT(out, ContainsRegex("FEEDBACK_BALANCE +[0-9.]+ +10 +[0-9]+% +(RED|AMBER)"));

  const std::string json = Ok({"-o", "json", "rel", "health", "acme"});
  EXPECT_TRUE(PythonParses(json));
  v1::RelationshipHealth health;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &health).ok()) << json;
  EXPECT_EQ(health.relationship(), "relationships/acme");
  EXPECT_EQ(health.components_size(), 7);
  EXPECT_LT(health.trend(), 0);
}

TEST_F(CliTest, RefusedCallsExitOneWithTheStatusAndItsMessage) {
  std::string out, err;
  EXPECT_EQ(Run({"rel", "show", "x"}, &out, &err), cli::kExitRefused);
  EXPECT_EQ(err, "rapportctl: NOT_FOUND: relationship relationships/x does not exist\n");
  EXPECT_EQ(out, "");
  EXPECT_EQ(Run({"rel", "health", "x"}, &out, &err), cli::kExitRefused);
  EXPECT_THAT(err, HasSubstr("NOT_FOUND"));
  EXPECT_EQ(Run({"agreements", "revisions", "nothing"}, &out, &err), cli::kExitRefused);
  EXPECT_THAT(err, StartsWith("rapportctl: NOT_FOUND: "));
  EXPECT_EQ(Run({"rel", "list", "--parent", "UPPER/case/x"}, &out, &err), cli::kExitRefused);
  EXPECT_THAT(err, StartsWith("rapportctl: INVALID_ARGUMENT: "));

  // A catalog whose agreement names a calendar nowhere to be found: refused
  // whole, nothing written.
  const std::string bad = WriteFile("bad.yaml", R"(
services:
  - {name: services/hr, display_name: HR}
agreements:
  - name: agreements/hr
    display_name: HR SLA
    type: sla
    service: services/hr
    effective_from: 2026-01-01T00:00:00Z
    calendar: calendars/nowhere
    targets: [{priority: p1, first_response: 60s, resolution: 120s}]
)");
  EXPECT_EQ(Run({"catalog", "apply", bad}, &out, &err), cli::kExitRefused);
  EXPECT_THAT(err, StartsWith("rapportctl: NOT_FOUND: "));
  EXPECT_THAT(err, HasSubstr("calendars/nowhere"));
  EXPECT_EQ(Ok({"-o", "json", "services", "list"}), "[]\n");

  // A file that is not a catalog is a usage error, before any call.
  EXPECT_EQ(Run({"catalog", "apply", WriteFile("typo.json", R"({"servces": []})")}, &out, &err),
            cli::kExitUsage);
  EXPECT_THAT(err, HasSubstr("servces"));
  EXPECT_EQ(Run({"catalog", "apply", WriteFile("broken.yaml", "services: [\n")}, &out, &err),
            cli::kExitUsage);
  EXPECT_THAT(err, HasSubstr("line "));
  EXPECT_EQ(Run({"catalog", "apply", dir_.Sub("missing.yaml")}, &out, &err), cli::kExitUsage);
  EXPECT_THAT(err, HasSubstr("cannot be read"));
}

TEST_F(CliTest, TheBinaryExitsWithTheDocumentedCodes) {
  std::string output;
  const std::string server = "--server=" + server_->address();
  EXPECT_EQ(RunRapportctl({server, "rel", "list"}, &output), 0) << output;
  EXPECT_THAT(output, HasSubstr("No relationships."));
  EXPECT_EQ(RunRapportctl({server, "rel", "show", "x"}, &output), 1);
  EXPECT_EQ(output, "rapportctl: NOT_FOUND: relationship relationships/x does not exist\n");
  EXPECT_EQ(RunRapportctl({server, "rel", "list", "--colour", "red"}, &output), 2);
  EXPECT_THAT(output, HasSubstr("unknown flag --colour"));
  EXPECT_EQ(RunRapportctl({server, "agreements", "show"}, &output), 2);
  EXPECT_THAT(output, HasSubstr("expects ID"));
  EXPECT_EQ(RunRapportctl({"catalog", "apply", "--help"}, &output), 0);
  EXPECT_THAT(output, HasSubstr("Usage: rapportctl catalog apply FILE [flags]"));
  EXPECT_THAT(output, HasSubstr("--dry-run"));
  EXPECT_THAT(output, HasSubstr("Example:\n  rapportctl catalog apply catalog.yaml --dry-run\n"));
  EXPECT_EQ(RunRapportctl({"--help"}, &output), 0);
  EXPECT_THAT(output, HasSubstr("agreements revisions ID"));

  EXPECT_EQ(RunRapportctl({server, "-o", "json", "services", "list"}, &output), 0);
  EXPECT_EQ(output, "[]\n");

  EXPECT_EQ(server_->Stop(SIGTERM), 0);
  server_.reset();
  EXPECT_EQ(RunRapportctl({server, "--timeout=2s", "rel", "list"}, &output), 3);
  EXPECT_THAT(output, StartsWith("rapportctl: cannot reach rapportd at "));
  EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
  EXPECT_EQ(
      RunRapportctl({server, "--timeout=2s", "catalog", "apply", WriteFile("c.json", kCatalogJson)},
                    &output),
      3);
}

}  // namespace
}  // namespace rapport
