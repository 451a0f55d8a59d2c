// Debian's prometheus, run on loopback with a copy of the shipped scrape
// configuration and rules (deploy/prometheus/) pointed at a test rapportd:
// after activity through rapportd's API, Prometheus' query API returns the
// expected rapport_* series with their values, the recording rules compute
// from them, every dashboard query runs (and the dashboards' variables have
// options), the alerts they call for are active, and a stopped rapportd
// shows as down. Scrapes and rule evaluations every second, a temporary
// storage directory, and the test stops Prometheus.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <regex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/deploy/deploy_testing.h"
#include "tests/observability/activity.h"
#include "tests/observability/observability_testing.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"
#include "yaml-cpp/yaml.h"

namespace rapport::testing {
namespace {

constexpr char kPrometheus[] = "/usr/bin/prometheus";

// A port that was free a moment ago on 127.0.0.1.
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += absl::StrCat("%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

// The shipped prometheus.yml with the rapportd job's one target replaced by
// `target`, scrapes and evaluations every second, and the rule files named by
// absolute paths (they are relative to deploy/prometheus/).
std::string TestConfiguration(const std::string& target) {
  YAML::Node config = YAML::LoadFile(SourcePath("deploy/prometheus/prometheus.yml"));
  config["global"]["scrape_interval"] = "1s";
  config["global"]["evaluation_interval"] = "1s";
  YAML::Node rule_files = config["rule_files"];
  EXPECT_GT(rule_files.size(), 0u);
  for (size_t i = 0; i < rule_files.size(); ++i) {
    rule_files[i] = SourcePath("deploy/prometheus/" + rule_files[i].as<std::string>());
  }
  int jobs = 0;
  for (auto job : config["scrape_configs"]) {
    if (job["job_name"].as<std::string>() != "rapportd") continue;
    ++jobs;
    EXPECT_EQ(job["metrics_path"].as<std::string>(), "/metrics");
    EXPECT_EQ(job["static_configs"].size(), 1u);
    EXPECT_EQ(job["static_configs"][0]["targets"].size(), 1u);
    job["static_configs"][0]["targets"][0] = target;
  }
  EXPECT_EQ(jobs, 1) << "prometheus.yml must have one job named rapportd";
  YAML::Emitter out;
  out << config;
  return out.c_str();
}

// A prometheus process, stopped (SIGTERM, then SIGKILL) when destroyed.
class PrometheusProcess {
 public:
  static std::unique_ptr<PrometheusProcess> Start(const TempDir& dir, const std::string& config) {
    WriteFile(dir.Sub("prometheus.yml"), config);
    std::unique_ptr<PrometheusProcess> p(new PrometheusProcess());
    p->log_ = dir.Sub("prometheus.log");
    for (int attempt = 0; attempt < 3; ++attempt) {
      p->port_ = FreePort();
      std::vector<std::string> args = {
          kPrometheus,
          "--config.file=" + dir.Sub("prometheus.yml"),
          "--storage.tsdb.path=" + dir.Sub("tsdb"),
          absl::StrCat("--web.listen-address=127.0.0.1:", p->port_),
      };
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      p->pid_ = ::fork();
      if (p->pid_ == 0) {
        const int fd = ::open(p->log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
        ::execv(kPrometheus, argv.data());
        ::_exit(127);
      }
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (std::chrono::steady_clock::now() < deadline) {
        if (HttpGet(p->port_, "/-/ready").find("Ready") != std::string::npos) return p;
        int status = 0;
        if (::waitpid(p->pid_, &status, WNOHANG) == p->pid_) {
          p->pid_ = -1;
          break;  // Exited, e.g. the port was taken meanwhile: try another.
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (p->pid_ > 0) break;
    }
    ADD_FAILURE() << "prometheus did not become ready:\n" << ReadFile(p->log_);
    return nullptr;
  }

  ~PrometheusProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  // SIGTERM and wait; Prometheus' exit code.
  int Stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  std::string Log() const { return ReadFile(log_); }

  // One series of an instant query's result.
  struct Series {
    std::map<std::string, std::string> labels;
    double value = 0;
  };
  // GET /api/v1/query; a test failure unless it succeeds with a vector.
  std::vector<Series> Query(const std::string& expr) const {
    const std::string body = HttpGet(port_, "/api/v1/query?query=" + UrlEncode(expr));
    google::protobuf::Struct json;
    std::vector<Series> out;
    if (!google::protobuf::util::JsonStringToMessage(body, &json).ok() ||
        json.fields().at("status").string_value() != "success") {
      ADD_FAILURE() << "query " << expr << " failed: " << body;
      return out;
    }
    const auto& data = json.fields().at("data").struct_value().fields();
    EXPECT_EQ(data.at("resultType").string_value(), "vector") << expr;
    for (const auto& r : data.at("result").list_value().values()) {
      Series s;
      for (const auto& [k, v] : r.struct_value().fields().at("metric").struct_value().fields()) {
        s.labels[k] = v.string_value();
      }
      const std::string value =
          r.struct_value().fields().at("value").list_value().values(1).string_value();
      if (!absl::SimpleAtod(value, &s.value)) ADD_FAILURE() << expr << ": value " << value;
      out.push_back(std::move(s));
    }
    return out;
  }

  // Queries `expr` until `done` accepts the result or 20 s pass; the last
  // result.
  std::vector<Series> QueryUntil(
      const std::string& expr, const std::function<bool(const std::vector<Series>&)>& done) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::vector<Series> result = Query(expr);
    while (!done(result) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      result = Query(expr);
    }
    return result;
  }

 private:
  PrometheusProcess() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_;
};

std::string Selector(const std::string& name, const std::map<std::string, std::string>& labels) {
  std::vector<std::string> matchers;
  for (const auto& [k, v] : labels) matchers.push_back(absl::StrCat(k, "=\"", v, "\""));
  return absl::StrCat(name, "{", absl::StrJoin(matchers, ","), "}");
}

bool NotEmpty(const std::vector<PrometheusProcess::Series>& r) { return !r.empty(); }

TEST(PrometheusTest, ScrapesRapportdAndEvaluatesTheShippedRules) {
  ASSERT_TRUE(::access(kPrometheus, X_OK) == 0)
      << kPrometheus << " missing: Debian's prometheus package (deploy/install-deps.sh)";
  TempDir dir;
  auto rapportd = ServerProcess::Start(dir.Sub("data"), dir.Sub("rapportd.log"), kActivityFlags);
  ASSERT_NE(rapportd, nullptr);
  const std::string target = absl::StrCat("127.0.0.1:", rapportd->metrics_port());
  auto prometheus = PrometheusProcess::Start(dir, TestConfiguration(target));
  ASSERT_NE(prometheus, nullptr);
  const std::map<std::string, std::string> scraped = {{"job", "rapportd"}, {"instance", target}};

  const ActivityResult activity = RunActivity(rapportd->address(), rapportd->metrics_port());

  // Wait for a scrape that started after the activity ended.
  const double end = absl::ToDoubleSeconds(activity.end - absl::UnixEpoch());
  auto up = prometheus->QueryUntil("timestamp(up{job=\"rapportd\"})", [&](const auto& r) {
    return r.size() == 1 && r[0].value > end;
  });
  ASSERT_EQ(up.size(), 1u) << prometheus->Log();
  ASSERT_GT(up[0].value, end) << "no scrape after the activity\n" << prometheus->Log();
  auto up_value = prometheus->Query("up{job=\"rapportd\"}");
  ASSERT_EQ(up_value.size(), 1u);
  EXPECT_EQ(up_value[0].labels["instance"], target);
  EXPECT_EQ(up_value[0].value, 1);

  // Every expected series, with the job and instance labels of the target.
  int checked = 0;
  for (const auto& e : ExpectedSamples(activity)) {
    auto labels = e.labels;
    labels.insert(scraped.begin(), scraped.end());
    const std::string selector = Selector(e.name, labels);
    const auto result = prometheus->Query(selector);
    if (result.size() != 1) {
      ADD_FAILURE() << selector << ": " << result.size() << " series";
      continue;
    }
    labels["__name__"] = e.name;
    EXPECT_EQ(result[0].labels, labels);
    EXPECT_NEAR(result[0].value, e.value, e.tolerance) << selector;
    ++checked;
  }
  EXPECT_GT(checked, 50);

  // Recording rules computed from them: the 95% margin of email's 30-day
  // NPS, its z against the 90-day NPS (the same answers: 0), the age of the
  // oldest unacknowledged SEV1 escalation, the server error ratio (none).
  const double p = 3.0 / 6, d = 2.0 / 6;
  const double nps_se = 100 * std::sqrt((p + d - (p - d) * (p - d)) / 6);
  auto margin = prometheus->QueryUntil(
      "service_window:rapport_satisfaction_nps:margin95{service=\"email\",window=\"30d\"}",
      NotEmpty);
  ASSERT_EQ(margin.size(), 1u) << prometheus->Log();
  EXPECT_NEAR(margin[0].value, 1.96 * nps_se, 1e-6);
  auto z = prometheus->QueryUntil("service:rapport_satisfaction_nps:z_30d_vs_90d", NotEmpty);
  ASSERT_EQ(z.size(), 1u);
  EXPECT_EQ(z[0].labels["service"], "email");
  EXPECT_NEAR(z[0].value, 0, 1e-9);
  auto age = prometheus->QueryUntil(
      "severity:rapport_escalation_oldest_unacknowledged:age_seconds{severity=\"SEV1\"}", NotEmpty);
  ASSERT_EQ(age.size(), 1u);
  EXPECT_GE(age[0].value, 0);
  EXPECT_LT(age[0].value, absl::ToDoubleSeconds(absl::Now() - activity.start) + 5);
  // The error ratio needs calls between two scrapes (0/0 is NaN, which
  // alerts on nothing): health checks, all OK.
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(rapportd->address(), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 5; ++i) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckResponse response;
    EXPECT_TRUE(health->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &response).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  auto errors = prometheus->QueryUntil(
      "job:rapport_grpc_server_error_ratio:rate5m",
      [](const auto& r) { return r.size() == 1 && !std::isnan(r[0].value); });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].value, 0);

  // Every dashboard query runs, with Grafana's variables set as a viewer
  // would first see them (All, the custom variables' defaults); every
  // query variable has options.
  int ran = 0, with_data = 0;
  for (const auto& path : ShippedDashboards()) {
    const auto dashboard = LoadJson(path);
    std::map<std::string, std::string> values = {
        {"__rate_interval", "1m"}, {"__interval", "15s"}, {"__range", "1h"}};
    for (const auto& v : dashboard.fields()
                             .at("templating")
                             .struct_value()
                             .fields()
                             .at("list")
                             .list_value()
                             .values()) {
      const auto& var = v.struct_value().fields();
      const std::string type = var.at("type").string_value();
      if (type == "query") values[var.at("name").string_value()] = ".*";
      if (type == "custom") {
        values[var.at("name").string_value()] =
            var.at("current").struct_value().fields().at("value").string_value();
      }
    }
    for (const auto& q : DashboardQueries(dashboard)) {
      std::string expr = q.expr;
      for (const auto& [name, value] : values) {
        expr = absl::StrReplaceAll(expr, {{"${" + name + "}", value}});
        expr = std::regex_replace(expr, std::regex("\\$" + name + "\\b"), value);
      }
      ASSERT_EQ(expr.find('$'), std::string::npos) << path << " " << q.where << ": " << expr;
      SCOPED_TRACE(path + " " + q.where);
      if (q.variable) {
        std::smatch m;
        ASSERT_TRUE(std::regex_match(
            expr, m, std::regex(R"(label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\))")))
            << expr;
        const auto result = prometheus->Query(m[1].str());
        EXPECT_TRUE(std::any_of(result.begin(), result.end(),
                                [&](const auto& r) { return r.labels.count(m[2].str()) > 0; }))
            << "variable without options: " << expr;
      } else {
        with_data += prometheus->Query(expr).empty() ? 0 : 1;
      }
      ++ran;
    }
  }
  EXPECT_GT(ran, 60);
  EXPECT_GT(with_data, ran / 2);

  // The alerts the data calls for: a ticket at risk (at once), compliance
  // under 95% this month (pending for 15 minutes); none for rapportd itself.
  auto at_risk = prometheus->QueryUntil(
      "ALERTS{alertname=\"RapportSlaTicketsAtRisk\",alertstate=\"firing\"}", NotEmpty);
  ASSERT_EQ(at_risk.size(), 1u);
  EXPECT_EQ(at_risk[0].labels["service"], "email");
  EXPECT_EQ(at_risk[0].labels["severity"], "warning");
  bool month_compliance = false;
  for (const auto& e : ExpectedSamples(activity)) {
    month_compliance |=
        e.name == "rapport_sla_compliance_ratio" && e.labels.at("window") == "month";
  }
  if (month_compliance) {
    auto below = prometheus->QueryUntil(
        "ALERTS{alertname=\"RapportSlaComplianceBelowTarget\",alertstate=\"pending\"}", NotEmpty);
    ASSERT_EQ(below.size(), 1u);
    EXPECT_EQ(below[0].labels["service"], "email");
    EXPECT_EQ(below[0].labels["agreement_type"], "SLA");
  }
  EXPECT_TRUE(prometheus->Query("ALERTS{alertname=~\"Rapportd.*\"}").empty());

  // rapportd stops: the next scrape fails, and RapportdDown is pending.
  EXPECT_EQ(rapportd->Stop(SIGTERM), 0);
  auto down = prometheus->QueryUntil("up{job=\"rapportd\"} == 0", NotEmpty);
  EXPECT_EQ(down.size(), 1u);
  auto pending =
      prometheus->QueryUntil("ALERTS{alertname=\"RapportdDown\",alertstate=\"pending\"}", NotEmpty);
  EXPECT_EQ(pending.size(), 1u);

  EXPECT_EQ(prometheus->Stop(), 0) << prometheus->Log();
}

}  // namespace
}  // namespace rapport::testing
