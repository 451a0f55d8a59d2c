#include "server/metrics_interceptor.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "services/common/grpc_status.h"

namespace rapport {
namespace {

using grpc::experimental::InterceptionHookPoints;

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(metrics::Metrics::RpcSeries* series)
      : series_(series), start_(absl::Now()) {}

  ~MetricsInterceptor() override {
    // A call that ended without sending a status was cancelled.
    if (!recorded_) Record(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Record(grpc::StatusCode code) {
    recorded_ = true;
    series_->Observe(
        code, [code] { return GrpcCodeName(code); }, absl::ToDoubleSeconds(absl::Now() - start_));
  }

  metrics::Metrics::RpcSeries* const series_;
  const absl::Time start_;
  bool recorded_ = false;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(metrics::Metrics* metrics) : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(SeriesOf(info->method() != nullptr ? info->method() : ""));
  }

 private:
  // The series of a method path ("/pkg.Service/Method"). Only methods the
  // server knows become label values, so a client cannot grow the label set
  // by calling made-up names; those all share the "unknown" series.
  metrics::Metrics::RpcSeries* SeriesOf(absl::string_view full) {
    {
      absl::ReaderMutexLock lock(&mu_);
      if (auto it = known_.find(full); it != known_.end()) return it->second;
    }
    if (full.size() <= 1 || full[0] != '/') return Unknown();
    const auto slash = full.find('/', 1);
    if (slash == absl::string_view::npos) return Unknown();
    const std::string dotted = absl::StrReplaceAll(full.substr(1), {{"/", "."}});
    if (google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(dotted) == nullptr) {
      return Unknown();
    }
    auto* series = metrics_->RpcSeriesFor(full.substr(1, slash - 1), full.substr(slash + 1));
    absl::WriterMutexLock lock(&mu_);
    known_.emplace(full, series);
    return series;
  }

  metrics::Metrics::RpcSeries* Unknown() { return metrics_->RpcSeriesFor("unknown", "unknown"); }

  metrics::Metrics* const metrics_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, metrics::Metrics::RpcSeries*> known_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeMetricsInterceptorFactory(metrics::Metrics* metrics) {
  return std::make_unique<MetricsInterceptorFactory>(metrics);
}

}  // namespace rapport
