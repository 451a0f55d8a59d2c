// rapportd's live /metrics page after activity through its API: promtool
// accepts it, it has the samples the activity must produce, it has every
// metric the shipped dashboards and rules read, and README.md's metrics
// table lists exactly its metric families.
#include <signal.h>

#include <regex>
#include <set>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/deploy/deploy_testing.h"
#include "tests/observability/activity.h"
#include "tests/observability/observability_testing.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"

namespace rapport::testing {
namespace {

using ::testing::IsEmpty;

class LiveMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start(dir_.Sub("data"), dir_.Sub("rapportd.log"), kActivityFlags);
    ASSERT_NE(server_, nullptr);
    activity_ = RunActivity(server_->address(), server_->metrics_port());
    text_ = HttpGet(server_->metrics_port(), "/metrics");
    ASSERT_FALSE(text_.empty());
    page_ = ParseMetricsPage(text_);
  }
  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->Stop(SIGTERM), 0);
    }
  }

  // `promtool check metrics` on `text`: its exit code and what it printed.
  CommandResult PromtoolCheckMetrics(const std::string& text) {
    const std::string path = dir_.Sub("page.txt");
    WriteFile(path, text);
    return RunCommand({"/bin/sh", "-c", "promtool check metrics < '" + path + "'"});
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  ActivityResult activity_;
  std::string text_;
  MetricsPage page_;
};

TEST_F(LiveMetricsTest, PromtoolCheckMetricsAcceptsThePage) {
  ASSERT_FALSE(FindInPath("promtool").empty()) << "promtool missing: deploy/install-deps.sh";
  const CommandResult r = PromtoolCheckMetrics(text_);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "");
  // The check is real: a counter without _total is refused.
  const CommandResult bad = PromtoolCheckMetrics(
      text_ + "# HELP rapport_bad Counted.\n# TYPE rapport_bad counter\nrapport_bad 1\n");
  EXPECT_NE(bad.exit_code, 0) << bad.output;
  EXPECT_THAT(bad.output, ::testing::HasSubstr("rapport_bad"));
}

TEST_F(LiveMetricsTest, TheActivitysSamplesHaveTheirValues) {
  for (const auto& e : ExpectedSamples(activity_)) {
    std::string labels;
    for (const auto& [k, v] : e.labels) labels += k + "=" + v + " ";
    const double* value = page_.Find(e.name, e.labels);
    if (value == nullptr) {
      ADD_FAILURE() << "no sample " << e.name << " {" << labels << "}";
      continue;
    }
    EXPECT_NEAR(*value, e.value, e.tolerance) << e.name << " {" << labels << "}";
  }
}

TEST_F(LiveMetricsTest, EveryMetricTheDashboardsAndRulesReadIsOnThePage) {
  const std::set<std::string> on_page = page_.SampleNames();
  const auto rules = LoadRules(ShippedRuleFiles());
  std::set<std::string> recorded;
  for (const auto& rule : rules) {
    if (!rule.record.empty()) recorded.insert(rule.record);
  }
  // `up` is Prometheus' own, per target; every other name is rapportd's or a
  // recording rule's, whose inputs are checked as rules below.
  auto check = [&](const std::string& where, const std::string& expr, bool variable) {
    const auto names = variable ? MetricNamesInVariableQuery(expr) : MetricNamesIn(expr);
    EXPECT_FALSE(names.empty()) << where << " reads no metric: " << expr;
    for (const auto& name : names) {
      if (name == "up" || recorded.count(name) || on_page.count(name)) continue;
      ADD_FAILURE() << where << " reads " << name << ", which is not on the live /metrics page"
                    << (absl::StrContains(name, ":") ? " nor recorded by a rule" : "") << ": "
                    << expr;
    }
  };
  int checked = 0;
  for (const auto& rule : rules) {
    check(rule.file + " " + (rule.record.empty() ? rule.alert : rule.record), rule.expr, false);
    ++checked;
  }
  for (const auto& path : ShippedDashboards()) {
    for (const auto& q : DashboardQueries(LoadJson(path))) {
      check(path + " " + q.where, q.expr, q.variable);
      ++checked;
    }
  }
  EXPECT_GT(checked, 60);
}

// README.md's "Metrics" section: every `rapport_*` family it names, and only
// those, is on the page (rapportd runs with --per_relationship_metrics here,
// so the opt-in gauges are there too).
TEST_F(LiveMetricsTest, ReadmeMetricsTableListsEveryFamilyOnThePage) {
  const std::string readme = ReadFile(SourcePath("README.md"));
  const size_t start = readme.find("\n## Metrics\n");
  ASSERT_NE(start, std::string::npos);
  const size_t end = readme.find("\n## ", start + 1);
  const std::string section = readme.substr(start, end - start);
  std::set<std::string> documented;
  const std::regex name("`(rapport_[a-z0-9_]+)`");
  for (std::sregex_iterator it(section.begin(), section.end(), name), e; it != e; ++it) {
    documented.insert((*it)[1]);
  }
  std::set<std::string> families;
  for (const auto& [family, type] : page_.types) {
    if (absl::StartsWith(family, "rapport_")) families.insert(family);
  }
  std::set<std::string> undocumented, missing;
  for (const auto& f : families) {
    if (!documented.count(f)) undocumented.insert(f);
  }
  for (const auto& d : documented) {
    if (!families.count(d)) missing.insert(d);
  }
  EXPECT_THAT(undocumented, IsEmpty()) << "on the page but not in README.md's metrics table";
  EXPECT_THAT(missing, IsEmpty()) << "in README.md's metrics table but not on the page";
}

}  // namespace
}  // namespace rapport::testing
