// The shipped Prometheus rules and Grafana files, read as data: every alert
// has its annotations and a severity, and promtool unit tests that make it
// fire and keep it quiet; the provisioning files point at the data source
// and at where the package installs the dashboards; the dashboards are well
// formed. (That every metric they read exists is live_metrics_test.cc's.)
#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/deploy/deploy_testing.h"
#include "tests/observability/observability_testing.h"
#include "yaml-cpp/yaml.h"

namespace rapport::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// ------------------------------------------------------- the name extractor

TEST(MetricNamesInTest, FindsMetricsAndSkipsFunctionsLabelsStringsAndKeywords) {
  EXPECT_THAT(
      MetricNamesIn(R"q(sum by (job, grpc_code) (rate(rapport_x_total{grpc_code=~"A|B"}[5m])))q"),
      ElementsAre("rapport_x_total"));
  EXPECT_THAT(MetricNamesIn(R"q(a:b:c > 14.4 and on (service) d_ratio offset 5m)q"),
              UnorderedElementsAre("a:b:c", "d_ratio"));
  EXPECT_THAT(
      MetricNamesIn(
          R"q(label_replace(time() - ts{severity!~"SEV1"} > 15 * 60, "x", "$1", "severity", "(.*)"))q"),
      ElementsAre("ts"));
  EXPECT_THAT(
      MetricNamesIn(
          R"q(histogram_quantile(0.99, sum without (instance) (rate(h_bucket[$__rate_interval]))))q"),
      ElementsAre("h_bucket"));
  EXPECT_THAT(
      MetricNamesIn(R"q(x{service=~"$service"} - ignoring (window) group_left () y ^ 2 / 1e-3)q"),
      UnorderedElementsAre("x", "y"));
  EXPECT_THAT(
      MetricNamesIn(R"q(sum(x) by (job) / count(y) without (a) or vector(0) unless absent(up))q"),
      UnorderedElementsAre("x", "y", "up"));
  EXPECT_THAT(MetricNamesIn("-delta(r[6h]) * scalar(days_in_month()) * 86400 / 21600"),
              ElementsAre("r"));
  EXPECT_THAT(MetricNamesIn("1 + 2"), IsEmpty());
  EXPECT_THAT(MetricNamesInVariableQuery("label_values(rapport_a{x=\"1\"}, service)"),
              ElementsAre("rapport_a"));
  EXPECT_THAT(MetricNamesInVariableQuery("label_values(service)"), IsEmpty());
  EXPECT_THAT(MetricNamesInVariableQuery("query_result(topk(3, b))"), ElementsAre("b"));
}

// ---------------------------------------------------------------- the rules

TEST(AlertRulesTest, EveryAlertHasASummaryADescriptionAndASeverity) {
  const auto rules = LoadRules(ShippedRuleFiles());
  int alerts = 0;
  for (const auto& rule : rules) {
    if (rule.alert.empty()) continue;
    ++alerts;
    SCOPED_TRACE(rule.alert);
    EXPECT_FALSE(rule.annotations.count("summary") == 0 || rule.annotations.at("summary").empty());
    EXPECT_FALSE(rule.annotations.count("description") == 0 ||
                 rule.annotations.at("description").empty());
    ASSERT_EQ(rule.labels.count("severity"), 1u);
    EXPECT_THAT((std::set<std::string>{"critical", "warning"}),
                ::testing::Contains(rule.labels.at("severity")));
  }
  // RapportdDown, RapportdMissing, gRPC errors and latency, SLA compliance,
  // tickets at risk, fast and slow burn, NPS falling, two unacknowledged.
  EXPECT_EQ(alerts, 11);
}

TEST(AlertRulesTest, TheIssuesAlertsExist) {
  std::set<std::string> names;
  for (const auto& rule : LoadRules(ShippedRuleFiles())) {
    if (!rule.alert.empty()) names.insert(rule.alert);
  }
  for (const char* name :
       {"RapportdDown", "RapportGrpcHighErrorRate", "RapportGrpcHighLatency",
        "RapportSlaComplianceBelowTarget", "RapportSlaTicketsAtRisk", "RapportErrorBudgetFastBurn",
        "RapportErrorBudgetSlowBurn", "RapportNpsFalling", "RapportEscalationUnacknowledged"}) {
    EXPECT_TRUE(names.count(name)) << name;
  }
}

TEST(AlertRulesTest, BurnRateAlertsPairALongAndAShortWindowAtTheWorkbooksRates) {
  std::map<std::string, std::string> exprs;
  for (const auto& rule : LoadRules(ShippedRuleFiles())) {
    if (!rule.alert.empty()) exprs[rule.alert] = rule.expr;
  }
  EXPECT_THAT(exprs["RapportErrorBudgetFastBurn"],
              ::testing::AllOf(::testing::HasSubstr("burn_rate:1h > 14.4"),
                               ::testing::HasSubstr("burn_rate:5m > 14.4")));
  EXPECT_THAT(exprs["RapportErrorBudgetSlowBurn"],
              ::testing::AllOf(::testing::HasSubstr("burn_rate:6h > 6"),
                               ::testing::HasSubstr("burn_rate:30m > 6")));
}

// Every alert (by name and severity) has a promtool test where it fires and
// one where it is expected not to: an empty exp_alerts, or a firing list
// for the same name without it.
TEST(AlertRulesTest, EveryAlertIsUnitTestedFiringAndNotFiring) {
  std::set<std::pair<std::string, std::string>> alerts;  // (name, severity)
  for (const auto& rule : LoadRules(ShippedRuleFiles())) {
    if (!rule.alert.empty()) alerts.insert({rule.alert, rule.labels.at("severity")});
  }
  std::set<std::pair<std::string, std::string>> fired, quiet;
  std::set<std::string> tested_names;
  for (const auto& path : ShippedRuleTestFiles()) {
    const YAML::Node root = YAML::LoadFile(path);
    for (const auto& test : root["tests"]) {
      for (const auto& check : test["alert_rule_test"]) {
        const std::string name = check["alertname"].as<std::string>();
        tested_names.insert(name);
        std::set<std::string> severities;
        for (const auto& a : check["exp_alerts"]) {
          severities.insert(a["exp_labels"]["severity"].as<std::string>());
        }
        for (const auto& [alert, severity] : alerts) {
          if (alert != name) continue;
          (severities.count(severity) ? fired : quiet).insert({alert, severity});
        }
      }
    }
  }
  for (const auto& a : alerts) {
    EXPECT_TRUE(fired.count(a)) << a.first << " (" << a.second << ") never fires in a test";
    EXPECT_TRUE(quiet.count(a)) << a.first << " (" << a.second << ") is never tested not firing";
  }
  for (const auto& name : tested_names) {
    EXPECT_TRUE(
        std::any_of(alerts.begin(), alerts.end(), [&](const auto& a) { return a.first == name; }))
        << "a test names " << name << ", which no rule defines";
  }
}

TEST(AlertRulesTest, DashboardsNamedInAlertsExist) {
  std::set<std::string> titles;
  for (const auto& path : ShippedDashboards()) {
    const auto d = LoadJson(path);
    titles.insert(d.fields().at("title").string_value());
  }
  const std::regex named("\"(Rapport [^\"]+)\" dashboard");
  int named_dashboards = 0;
  for (const auto& rule : LoadRules(ShippedRuleFiles())) {
    for (const auto& [key, text] : rule.annotations) {
      for (std::sregex_iterator it(text.begin(), text.end(), named), end; it != end; ++it) {
        EXPECT_TRUE(titles.count((*it)[1])) << rule.alert << " names " << (*it)[1];
        ++named_dashboards;
      }
    }
  }
  EXPECT_GE(named_dashboards, 4);
}

// ------------------------------------------------------------------ Grafana

TEST(GrafanaTest, ProvisioningPointsAtThePrometheusDataSourceAndTheInstalledDashboards) {
  const YAML::Node sources =
      YAML::LoadFile(SourcePath("deploy/grafana/provisioning/datasources/rapport.yml"));
  ASSERT_EQ(sources["apiVersion"].as<int>(), 1);
  ASSERT_EQ(sources["datasources"].size(), 1u);
  const YAML::Node ds = sources["datasources"][0];
  EXPECT_EQ(ds["type"].as<std::string>(), "prometheus");
  EXPECT_EQ(ds["uid"].as<std::string>(), "rapport-prometheus");
  EXPECT_EQ(ds["url"].as<std::string>(), "http://127.0.0.1:9090");

  const YAML::Node boards =
      YAML::LoadFile(SourcePath("deploy/grafana/provisioning/dashboards/rapport.yml"));
  ASSERT_EQ(boards["apiVersion"].as<int>(), 1);
  ASSERT_EQ(boards["providers"].size(), 1u);
  const YAML::Node provider = boards["providers"][0];
  EXPECT_EQ(provider["type"].as<std::string>(), "file");
  // Where CMake's install(DIRECTORY deploy/grafana/ ...) puts the dashboards
  // in the Debian package (prefix /usr).
  EXPECT_EQ(provider["options"]["path"].as<std::string>(), "/usr/share/rapport/grafana/dashboards");
}

TEST(GrafanaTest, DashboardsAreWellFormedAndReadTheProvisionedDataSource) {
  const auto paths = ShippedDashboards();
  std::vector<std::string> names;
  for (const auto& p : paths) names.push_back(std::filesystem::path(p).filename().string());
  EXPECT_THAT(names, UnorderedElementsAre("rapport-escalations.json", "rapport-satisfaction.json",
                                          "rapport-server.json", "rapport-sla.json"));
  std::set<std::string> uids;
  for (const auto& path : paths) {
    SCOPED_TRACE(path);
    const auto d = LoadJson(path);
    const std::string uid = d.fields().at("uid").string_value();
    EXPECT_TRUE(uids.insert(uid).second) << "uid " << uid << " twice";
    EXPECT_FALSE(d.fields().at("title").string_value().empty());
    // The data source variable defaults to the provisioned data source.
    bool datasource_variable = false;
    for (const auto& v :
         d.fields().at("templating").struct_value().fields().at("list").list_value().values()) {
      const auto& var = v.struct_value().fields();
      if (var.at("name").string_value() != "datasource") continue;
      datasource_variable = true;
      EXPECT_EQ(var.at("type").string_value(), "datasource");
      EXPECT_EQ(var.at("query").string_value(), "prometheus");
      EXPECT_EQ(var.at("current").struct_value().fields().at("value").string_value(),
                "rapport-prometheus");
    }
    EXPECT_TRUE(datasource_variable);
    // Every panel but a row queries through that variable and fits the grid;
    // ids are unique.
    std::set<double> ids;
    int queries = 0;
    for (const auto& v : d.fields().at("panels").list_value().values()) {
      const auto& panel = v.struct_value().fields();
      const std::string title = panel.at("title").string_value();
      EXPECT_TRUE(ids.insert(panel.at("id").number_value()).second) << title;
      const auto& grid = panel.at("gridPos").struct_value().fields();
      EXPECT_LE(grid.at("x").number_value() + grid.at("w").number_value(), 24) << title;
      if (panel.at("type").string_value() == "row") continue;
      EXPECT_EQ(panel.at("datasource").struct_value().fields().at("uid").string_value(),
                "${datasource}")
          << title;
      const auto& targets = panel.at("targets").list_value().values();
      EXPECT_FALSE(targets.empty()) << title;
      for (const auto& t : targets) {
        EXPECT_FALSE(t.struct_value().fields().at("expr").string_value().empty()) << title;
        ++queries;
      }
    }
    EXPECT_GT(queries, 5);
  }
}

}  // namespace
}  // namespace rapport::testing
