// The Prometheus side of rapportd: one registry, the /metrics endpoint
// (prometheus-cpp's exposer), and the metric families shared by every layer.
// Services add their own families to registry() at start-up.
//
// Naming follows Prometheus practice: `rapport_` prefix, base units
// (`_seconds`, `_bytes`), `_total` counters; labels are bounded sets (method
// names, status codes, kinds), never an id.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace rapport::metrics {

// One sample of a gauge computed at scrape time.
struct GaugeSample {
  std::map<std::string, std::string> labels;
  double value = 0;
};

// The counters of one family by their label values, each found once: a
// family's Add builds a label map and takes the family's lock on every call,
// which costs more than the increment on a request's path.
class CounterCache {
 public:
  // `label_names` in the order Get() takes the values.
  CounterCache(prometheus::Family<prometheus::Counter>& family, std::vector<std::string> label_names)
      : family_(family), label_names_(std::move(label_names)) {}

  // The counter with these label values, one per label name.
  prometheus::Counter& Get(std::initializer_list<absl::string_view> values);

 private:
  prometheus::Family<prometheus::Counter>& family_;
  const std::vector<std::string> label_names_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, prometheus::Counter*> counters_ ABSL_GUARDED_BY(mu_);
};

class Metrics final {
 public:
  // Builds the shared families; `version` becomes rapport_build_info's label.
  explicit Metrics(absl::string_view version);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The registry services add their families to.
  prometheus::Registry& registry() { return *registry_; }

  // Serves GET /metrics on `address` ("host:port"; port 0 picks a free one).
  // Returns the bound port; UNAVAILABLE if the address cannot be bound.
  absl::StatusOr<int> Serve(const std::string& address);

  // Renders every metric in the text exposition format (what /metrics serves).
  std::string Render() const;

  // The RPC series of one method: recording through it takes no lock and
  // builds no label set, which Family::Add does on every call.
  class RpcSeries {
   public:
    // Records one finished call: its status code (a grpc::StatusCode, 0-16;
    // others count as 2, UNKNOWN) and its latency. `code_name` gives the
    // code's name ("OK"), asked only the first time the code is seen.
    void Observe(int code, absl::FunctionRef<std::string()> code_name, double seconds);

   private:
    friend class Metrics;
    RpcSeries(Metrics* metrics, std::string service, std::string method);

    Metrics* const metrics_;
    const std::string service_;
    const std::string method_;
    prometheus::Histogram& seconds_;
    // By code, each made at its first call so that /metrics lists only the
    // codes seen.
    std::array<std::atomic<prometheus::Counter*>, 17> handled_{};
  };

  // The series of `service` ("rapport.v1.AdminService") and `method`
  // ("GetServerInfo"): made at the first request, the same after.
  RpcSeries* RpcSeriesFor(absl::string_view service, absl::string_view method);

  // Records one group commit of the store.
  void ObserveCommitGroup(size_t batches, size_t bytes, double write_seconds);

  // Records one fired schedule entry of `kind` and how late it fired.
  void ObserveScheduleFired(const std::string& kind, double lateness_seconds);

  // Adds a gauge family whose samples `collect` computes at every scrape
  // (store sizes, business gauges read from aggregates). Call at start-up.
  void AddScrapeGauge(std::string name, std::string help,
                      std::function<std::vector<GaugeSample>()> collect);

 private:
  class ScrapeGauges;

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<ScrapeGauges> scrape_gauges_;
  std::unique_ptr<prometheus::Exposer> exposer_;

  prometheus::Family<prometheus::Counter>& rpc_handled_;
  prometheus::Family<prometheus::Histogram>& rpc_seconds_;
  std::mutex rpc_series_mu_;
  // By "service/method"; never shrinks, so the pointers stay valid.
  std::map<std::string, std::unique_ptr<RpcSeries>, std::less<>> rpc_series_;
  prometheus::Histogram& commit_batches_;
  prometheus::Histogram& commit_bytes_;
  prometheus::Histogram& commit_seconds_;
  prometheus::Family<prometheus::Counter>& schedule_fired_;
  prometheus::Family<prometheus::Histogram>& schedule_lateness_;
};

}  // namespace rapport::metrics
