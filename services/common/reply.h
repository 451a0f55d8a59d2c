// Adapter helper: turns a domain callback into the end of a gRPC callback-API
// call (copy the value into the response, finish with the converted status).
#pragma once

#include <utility>

#include "absl/status/statusor.h"
#include "grpcpp/support/server_callback.h"
#include "services/common/grpc_status.h"
#include "services/common/transact.h"

namespace rapport {

// A callback that answers `reactor` with the domain's outcome, writing a
// value into `response`. The response outlives the call.
template <typename T>
Callback<T> Reply(grpc::ServerUnaryReactor* reactor, T* response) {
  return [reactor, response](absl::StatusOr<T> result) {
    if (result.ok()) *response = *std::move(result);
    reactor->Finish(ToGrpcStatus(result.status()));
  };
}

// Answers at once with a synchronous domain result.
template <typename T>
grpc::ServerUnaryReactor* ReplyNow(grpc::ServerUnaryReactor* reactor, absl::StatusOr<T> result,
                                   T* response) {
  Reply(reactor, response)(std::move(result));
  return reactor;
}

}  // namespace rapport
