// A gRPC server interceptor that records every RPC's final status code and
// latency in metrics::Metrics: one scope per call, opened when the call
// arrives and closed when its status is sent.
#pragma once

#include <memory>

#include "grpcpp/support/server_interceptor.h"
#include "metrics/metrics.h"

namespace rapport {

// Creates the per-call interceptors. `metrics` must outlive the server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeMetricsInterceptorFactory(metrics::Metrics* metrics);

}  // namespace rapport
