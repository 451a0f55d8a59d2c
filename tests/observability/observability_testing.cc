#include "tests/observability/observability_testing.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/deploy/deploy_testing.h"
#include "yaml-cpp/yaml.h"

namespace rapport::testing {
namespace {

namespace fs = std::filesystem;

bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool IsIdentChar(char c) { return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

std::vector<std::string> FilesIn(const std::string& relative_dir, const std::string& extension) {
  std::vector<std::string> out;
  const fs::path dir = SourcePath(relative_dir);
  if (!fs::is_directory(dir)) return out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == extension) {
      out.push_back(entry.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::map<std::string, std::string> StringMap(const YAML::Node& node) {
  std::map<std::string, std::string> out;
  if (!node || !node.IsMap()) return out;
  for (const auto& kv : node) out[kv.first.as<std::string>()] = kv.second.as<std::string>();
  return out;
}

}  // namespace

std::set<std::string> MetricNamesIn(absl::string_view expr_view) {
  std::string expr(expr_view);
  // Grafana's variables, then strings (label values, label_replace
  // arguments), label matchers, ranges, and the label lists of grouping
  // clauses: none of them holds a metric name.
  for (const char* pattern :
       {R"(\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*)", R"("(\\.|[^"\\])*"|'(\\.|[^'\\])*'|`[^`]*`)",
        R"(\{[^}]*\})", R"(\[[^\]]*\])",
        R"(\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\))"}) {
    expr = std::regex_replace(expr, std::regex(pattern), " ");
  }
  static const std::set<std::string> kKeywords = {
      "and",      "or",         "unless",      "bool", "offset", "by",  "without", "on",
      "ignoring", "group_left", "group_right", "inf",  "nan",    "Inf", "NaN",     "atan2"};
  std::set<std::string> names;
  size_t i = 0;
  while (i < expr.size()) {
    const char c = expr[i];
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && i + 1 < expr.size() &&
         std::isdigit(static_cast<unsigned char>(expr[i + 1])))) {
      // A number or a duration (5m, 1e3, 0x1f).
      while (i < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[i])) ||
                                 expr[i] == '.' || expr[i] == '_')) {
        ++i;
      }
      continue;
    }
    if (!IsIdentStart(c)) {
      ++i;
      continue;
    }
    const size_t start = i;
    while (i < expr.size() && IsIdentChar(expr[i])) ++i;
    const std::string word = expr.substr(start, i - start);
    size_t next = i;
    while (next < expr.size() && std::isspace(static_cast<unsigned char>(expr[next]))) ++next;
    const bool call = next < expr.size() && expr[next] == '(';
    if (call || kKeywords.count(word)) continue;
    names.insert(word);
  }
  return names;
}

std::set<std::string> MetricNamesInVariableQuery(absl::string_view query) {
  std::smatch m;
  const std::string q(absl::StripAsciiWhitespace(query));
  if (std::regex_match(q, m, std::regex(R"(label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\))"))) {
    return MetricNamesIn(m[1].str());
  }
  if (std::regex_match(q, m, std::regex(R"(label_values\(\s*[A-Za-z_][A-Za-z0-9_]*\s*\))"))) {
    return {};
  }
  if (std::regex_match(q, m, std::regex(R"(query_result\((.*)\))")))
    return MetricNamesIn(m[1].str());
  ADD_FAILURE() << "unknown kind of variable query: " << q;
  return {};
}

std::vector<std::string> ShippedRuleFiles() { return FilesIn("deploy/prometheus/rules", ".yml"); }
std::vector<std::string> ShippedRuleTestFiles() {
  return FilesIn("deploy/prometheus/tests", ".yml");
}
std::vector<std::string> ShippedDashboards() {
  return FilesIn("deploy/grafana/dashboards", ".json");
}

std::vector<Rule> LoadRules(const std::vector<std::string>& paths) {
  std::vector<Rule> rules;
  for (const auto& path : paths) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(path);
    } catch (const std::exception& e) {
      ADD_FAILURE() << path << " does not parse: " << e.what();
      continue;
    }
    for (const auto& group : root["groups"]) {
      for (const auto& r : group["rules"]) {
        Rule rule;
        rule.file = fs::path(path).filename().string();
        rule.group = group["name"].as<std::string>();
        if (r["record"]) rule.record = r["record"].as<std::string>();
        if (r["alert"]) rule.alert = r["alert"].as<std::string>();
        rule.expr = r["expr"].as<std::string>();
        if (r["for"]) rule.for_duration = r["for"].as<std::string>();
        rule.labels = StringMap(r["labels"]);
        rule.annotations = StringMap(r["annotations"]);
        rules.push_back(std::move(rule));
      }
    }
  }
  return rules;
}

google::protobuf::Struct LoadJson(const std::string& path) {
  google::protobuf::Struct out;
  const auto status = google::protobuf::util::JsonStringToMessage(ReadFile(path), &out);
  EXPECT_TRUE(status.ok()) << path << " is not valid JSON: " << status.ToString();
  return out;
}

void CollectStrings(const google::protobuf::Value& value, const std::string& key,
                    std::vector<std::string>* out) {
  if (value.has_struct_value()) {
    for (const auto& [k, v] : value.struct_value().fields()) {
      if (k == key && v.has_string_value()) out->push_back(v.string_value());
      CollectStrings(v, key, out);
    }
  } else if (value.has_list_value()) {
    for (const auto& v : value.list_value().values()) CollectStrings(v, key, out);
  }
}

namespace {

const google::protobuf::Value* Field(const google::protobuf::Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? nullptr : &it->second;
}

std::string StringField(const google::protobuf::Struct& s, const std::string& key) {
  const auto* v = Field(s, key);
  return v != nullptr && v->has_string_value() ? v->string_value() : "";
}

void PanelQueries(const google::protobuf::Value& panels, std::vector<DashboardQuery>* out) {
  if (!panels.has_list_value()) return;
  for (const auto& p : panels.list_value().values()) {
    if (!p.has_struct_value()) continue;
    const auto& panel = p.struct_value();
    const std::string where = absl::StrCat("panel '", StringField(panel, "title"), "'");
    if (const auto* targets = Field(panel, "targets")) {
      std::vector<std::string> exprs;
      CollectStrings(*targets, "expr", &exprs);
      for (auto& e : exprs) out->push_back({where, std::move(e), false});
    }
    if (const auto* nested = Field(panel, "panels")) PanelQueries(*nested, out);
  }
}

}  // namespace

std::vector<DashboardQuery> DashboardQueries(const google::protobuf::Struct& dashboard) {
  std::vector<DashboardQuery> out;
  if (const auto* panels = Field(dashboard, "panels")) PanelQueries(*panels, &out);
  const auto* templating = Field(dashboard, "templating");
  if (templating == nullptr || !templating->has_struct_value()) return out;
  const auto* list = Field(templating->struct_value(), "list");
  if (list == nullptr || !list->has_list_value()) return out;
  for (const auto& v : list->list_value().values()) {
    if (!v.has_struct_value() || StringField(v.struct_value(), "type") != "query") continue;
    const auto& var = v.struct_value();
    const std::string where = absl::StrCat("variable '", StringField(var, "name"), "'");
    const auto* query = Field(var, "query");
    if (query == nullptr) continue;
    if (query->has_string_value()) {
      out.push_back({where, query->string_value(), true});
    } else if (query->has_struct_value()) {
      out.push_back({where, StringField(query->struct_value(), "query"), true});
    }
  }
  return out;
}

std::set<std::string> MetricsPage::SampleNames() const {
  std::set<std::string> names;
  for (const auto& s : samples) names.insert(s.name);
  return names;
}

const double* MetricsPage::Find(const std::string& name,
                                const std::map<std::string, std::string>& labels) const {
  for (const auto& s : samples) {
    if (s.name == name && s.labels == labels) return &s.value;
  }
  return nullptr;
}

MetricsPage ParseMetricsPage(const std::string& text) {
  MetricsPage page;
  std::istringstream in(text);
  std::string line;
  const std::regex type_line(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$)");
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::smatch m;
    if (line[0] == '#') {
      if (std::regex_match(line, m, type_line)) page.types[m[1]] = m[2];
      continue;
    }
    Sample sample;
    size_t i = 0;
    while (i < line.size() && IsIdentChar(line[i])) ++i;
    sample.name = line.substr(0, i);
    bool ok = !sample.name.empty();
    if (ok && i < line.size() && line[i] == '{') {
      ++i;
      while (ok && i < line.size() && line[i] != '}') {
        const size_t eq = line.find("=\"", i);
        if (eq == std::string::npos) {
          ok = false;
          break;
        }
        const std::string label = line.substr(i, eq - i);
        std::string value;
        size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\' && j + 1 < line.size()) {
            ++j;
            value += line[j] == 'n' ? '\n' : line[j];
          } else {
            value += line[j];
          }
        }
        sample.labels[label] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ++i;  // '}'
    }
    ok = ok && i < line.size() && line[i] == ' ';
    std::string value = ok ? line.substr(i + 1) : "";
    if (const auto space = value.find(' '); space != std::string::npos) value.resize(space);
    if (ok) {
      if (value == "Nan" || value == "NaN") {
        sample.value = std::nan("");
      } else if (value == "+Inf" || value == "-Inf") {
        sample.value = value[0] == '-' ? -HUGE_VAL : HUGE_VAL;
      } else {
        ok = absl::SimpleAtod(value, &sample.value);
      }
    }
    EXPECT_TRUE(ok) << "not a sample line: " << line;
    if (ok) page.samples.push_back(std::move(sample));
  }
  return page;
}

}  // namespace rapport::testing
