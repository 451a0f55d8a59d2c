// Helpers of the observability tests: the shipped Prometheus rules and
// Grafana dashboards read as data, the metric names a PromQL expression
// reads, and the Prometheus text format parsed into samples.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"

namespace rapport::testing {

// ------------------------------------------------------------------ PromQL

// The metric names `expr` reads: every identifier outside strings, label
// matchers, ranges and grouping clauses that is not a function, an
// aggregation or a keyword. Grafana's variables ($service, ${x},
// $__rate_interval) are dropped first. Recording rule names (with colons)
// are metric names too.
std::set<std::string> MetricNamesIn(absl::string_view expr);

// The metric names of a Grafana variable query: label_values(SELECTOR,
// label) and query_result(EXPR) read their selector or expression;
// label_values(label) reads none.
std::set<std::string> MetricNamesInVariableQuery(absl::string_view query);

// ------------------------------------------------------------- shipped files

// One rule of a rules file.
struct Rule {
  std::string file;    // Base name, e.g. "rapport-alerts.yml".
  std::string group;   // The group's name.
  std::string record;  // Set for a recording rule,
  std::string alert;   // or an alert's name.
  std::string expr;
  std::string for_duration;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
};

// deploy/prometheus/rules/*.yml, sorted by name.
std::vector<std::string> ShippedRuleFiles();
// deploy/prometheus/tests/*.yml, sorted by name.
std::vector<std::string> ShippedRuleTestFiles();
// deploy/grafana/dashboards/*.json, sorted by name.
std::vector<std::string> ShippedDashboards();

// Every rule of `paths`, in order (a test failure names a file that does not
// parse).
std::vector<Rule> LoadRules(const std::vector<std::string>& paths);

// `path` parsed as JSON into a Struct (a test failure if it does not parse).
google::protobuf::Struct LoadJson(const std::string& path);

// Every string value under key `key` anywhere in `value` (depth first).
void CollectStrings(const google::protobuf::Value& value, const std::string& key,
                    std::vector<std::string>* out);

// The PromQL of a dashboard: every target's `expr`, and the queries of its
// template variables, as (where, expression) pairs; `variable` marks the
// latter.
struct DashboardQuery {
  std::string where;  // "panel 'Title'" or "variable 'name'".
  std::string expr;
  bool variable = false;
};
std::vector<DashboardQuery> DashboardQueries(const google::protobuf::Struct& dashboard);

// --------------------------------------------------------------- /metrics

// One sample of a scraped page.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};
// A page in the Prometheus text format.
struct MetricsPage {
  // Family name -> type, from the `# TYPE` lines.
  std::map<std::string, std::string> types;
  std::vector<Sample> samples;

  // The sample names on the page (histograms give _bucket, _sum, _count).
  std::set<std::string> SampleNames() const;
  // The value of the sample `name` with exactly `labels`; nullptr if absent.
  const double* Find(const std::string& name,
                     const std::map<std::string, std::string>& labels) const;
};
// Parses `text`; a test failure for a line that is neither a comment nor a
// sample.
MetricsPage ParseMetricsPage(const std::string& text);

}  // namespace rapport::testing
