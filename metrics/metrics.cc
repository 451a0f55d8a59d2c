#include "metrics/metrics.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "prometheus/collectable.h"
#include "prometheus/text_serializer.h"

namespace rapport::metrics {

// Gauges computed by callbacks at scrape time.
class Metrics::ScrapeGauges final : public prometheus::Collectable {
 public:
  struct Family {
    std::string name;
    std::string help;
    std::function<std::vector<GaugeSample>()> collect;
  };

  void Add(Family family) {
    std::lock_guard<std::mutex> lock(mu_);
    families_.push_back(std::move(family));
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<prometheus::MetricFamily> out;
    for (const auto& f : families_) {
      prometheus::MetricFamily family;
      family.name = f.name;
      family.help = f.help;
      family.type = prometheus::MetricType::Gauge;
      for (const auto& sample : f.collect()) {
        prometheus::ClientMetric metric;
        for (const auto& [name, value] : sample.labels) metric.label.push_back({name, value});
        metric.gauge.value = sample.value;
        family.metric.push_back(std::move(metric));
      }
      out.push_back(std::move(family));
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Family> families_;
};

namespace {

prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace

Metrics::Metrics(absl::string_view version)
    : registry_(std::make_shared<prometheus::Registry>()),
      scrape_gauges_(std::make_shared<ScrapeGauges>()),
      rpc_handled_(prometheus::BuildCounter()
                       .Name("rapport_grpc_server_handled_total")
                       .Help("RPCs completed by the server, by service, method and status code.")
                       .Register(*registry_)),
      rpc_seconds_(prometheus::BuildHistogram()
                       .Name("rapport_grpc_server_handling_seconds")
                       .Help("Time from an RPC's arrival to its status being sent, by method.")
                       .Register(*registry_)),
      commit_batches_(prometheus::BuildHistogram()
                          .Name("rapport_store_commit_group_batches")
                          .Help("Request batches written together by one synced group commit.")
                          .Register(*registry_)
                          .Add({}, prometheus::Histogram::BucketBoundaries{
                                       1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024})),
      commit_bytes_(prometheus::BuildHistogram()
                        .Name("rapport_store_commit_group_bytes")
                        .Help("Bytes of keys and values written by one group commit.")
                        .Register(*registry_)
                        .Add({}, prometheus::Histogram::BucketBoundaries{
                                     256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304})),
      commit_seconds_(prometheus::BuildHistogram()
                          .Name("rapport_store_commit_write_seconds")
                          .Help("Time of one group commit's write, including the WAL sync.")
                          .Register(*registry_)
                          .Add({}, LatencyBuckets())),
      schedule_fired_(prometheus::BuildCounter()
                          .Name("rapport_schedule_fired_total")
                          .Help("Schedule entries fired (SLA timers, escalation waits), by kind.")
                          .Register(*registry_)),
      schedule_lateness_(prometheus::BuildHistogram()
                             .Name("rapport_schedule_lateness_seconds")
                             .Help("How long after its due time a schedule entry fired, by kind.")
                             .Register(*registry_)) {
  prometheus::BuildGauge()
      .Name("rapport_build_info")
      .Help("Always 1; the labels say which build of rapportd is running.")
      .Register(*registry_)
      .Add({{"version", std::string(version)}})
      .Set(1);
}

Metrics::~Metrics() = default;

absl::StatusOr<int> Metrics::Serve(const std::string& address) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address, /*num_threads=*/2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", address, ": ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(scrape_gauges_);
  const auto ports = exposer_->GetListeningPorts();
  if (ports.empty()) return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", address));
  return ports.front();
}

std::string Metrics::Render() const {
  auto families = registry_->Collect();
  for (auto& f : scrape_gauges_->Collect()) families.push_back(std::move(f));
  return prometheus::TextSerializer().Serialize(families);
}

prometheus::Counter& CounterCache::Get(std::initializer_list<absl::string_view> values) {
  // The key joins the values with a byte no label value holds in practice; a
  // thread's key buffer is reused, so a lookup allocates nothing.
  thread_local std::string key;
  key.clear();
  for (absl::string_view v : values) {
    key.append(v.data(), v.size());
    key.push_back('\xff');
  }
  {
    absl::ReaderMutexLock lock(&mu_);
    if (auto it = counters_.find(key); it != counters_.end()) return *it->second;
  }
  std::map<std::string, std::string> labels;
  size_t i = 0;
  for (absl::string_view v : values) labels.emplace(label_names_.at(i++), std::string(v));
  prometheus::Counter& counter = family_.Add(labels);
  absl::WriterMutexLock lock(&mu_);
  counters_.emplace(key, &counter);
  return counter;
}

Metrics::RpcSeries::RpcSeries(Metrics* metrics, std::string service, std::string method)
    : metrics_(metrics),
      service_(std::move(service)),
      method_(std::move(method)),
      seconds_(metrics->rpc_seconds_.Add({{"grpc_service", service_}, {"grpc_method", method_}},
                                         LatencyBuckets())) {}

void Metrics::RpcSeries::Observe(int code, absl::FunctionRef<std::string()> code_name,
                                  double seconds) {
  if (code < 0 || code >= static_cast<int>(handled_.size())) code = 2;
  std::atomic<prometheus::Counter*>& slot = handled_[static_cast<size_t>(code)];
  prometheus::Counter* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add returns the same series to every caller, so a race here
    // stores the same pointer twice.
    counter = &metrics_->rpc_handled_.Add({{"grpc_service", service_},
                                           {"grpc_method", method_},
                                           {"grpc_code", code_name()}});
    slot.store(counter, std::memory_order_release);
  }
  counter->Increment();
  seconds_.Observe(seconds);
}

Metrics::RpcSeries* Metrics::RpcSeriesFor(absl::string_view service, absl::string_view method) {
  const std::string key = absl::StrCat(service, "/", method);
  std::lock_guard<std::mutex> lock(rpc_series_mu_);
  auto it = rpc_series_.find(key);
  if (it == rpc_series_.end()) {
    it = rpc_series_
             .emplace(key, std::unique_ptr<RpcSeries>(
                               new RpcSeries(this, std::string(service), std::string(method))))
             .first;
  }
  return it->second.get();
}

void Metrics::ObserveCommitGroup(size_t batches, size_t bytes, double write_seconds) {
  commit_batches_.Observe(static_cast<double>(batches));
  commit_bytes_.Observe(static_cast<double>(bytes));
  commit_seconds_.Observe(write_seconds);
}

void Metrics::ObserveScheduleFired(const std::string& kind, double lateness_seconds) {
  schedule_fired_.Add({{"kind", kind}}).Increment();
  schedule_lateness_.Add({{"kind", kind}}, LatencyBuckets()).Observe(lateness_seconds);
}

void Metrics::AddScrapeGauge(std::string name, std::string help,
                             std::function<std::vector<GaugeSample>()> collect) {
  scrape_gauges_->Add({std::move(name), std::move(help), std::move(collect)});
}

}  // namespace rapport::metrics
