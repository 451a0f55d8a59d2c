#include "server/metrics_interceptor.h"

#include <string>

#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "services/common/grpc_status.h"

namespace rapport {
namespace {

using grpc::experimental::InterceptionHookPoints;

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(metrics::Metrics* metrics, std::string service, std::string method)
      : metrics_(metrics),
        service_(std::move(service)),
        method_(std::move(method)),
        start_(absl::Now()) {}

  ~MetricsInterceptor() override {
    // A call that ended without sending a status was cancelled.
    if (!recorded_) Record("CANCELLED");
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(GrpcCodeName(methods->GetSendStatus().error_code()));
    }
    methods->Proceed();
  }

 private:
  void Record(const std::string& code) {
    recorded_ = true;
    metrics_->ObserveRpc(service_, method_, code, absl::ToDoubleSeconds(absl::Now() - start_));
  }

  metrics::Metrics* const metrics_;
  const std::string service_;
  const std::string method_;
  const absl::Time start_;
  bool recorded_ = false;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(metrics::Metrics* metrics) : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // "/pkg.Service/Method". Only methods the server knows become label
    // values, so a client cannot grow the label set by calling made-up names.
    absl::string_view full = info->method() != nullptr ? info->method() : "";
    std::string service = "unknown";
    std::string method = "unknown";
    if (full.size() > 1 && full[0] == '/') {
      const auto slash = full.find('/', 1);
      if (slash != absl::string_view::npos) {
        const std::string dotted = absl::StrReplaceAll(full.substr(1), {{"/", "."}});
        if (google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(dotted) !=
            nullptr) {
          service = std::string(full.substr(1, slash - 1));
          method = std::string(full.substr(slash + 1));
        }
      }
    }
    return new MetricsInterceptor(metrics_, std::move(service), std::move(method));
  }

 private:
  metrics::Metrics* const metrics_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeMetricsInterceptorFactory(metrics::Metrics* metrics) {
  return std::make_unique<MetricsInterceptorFactory>(metrics);
}

}  // namespace rapport
