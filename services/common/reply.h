// Adapter helper: turns a domain callback into the end of a gRPC callback-API
// call (copy the value into the response, finish with the converted status).
#pragma once

#include <utility>

#include "absl/status/statusor.h"
#include "grpcpp/support/server_callback.h"
#include "services/common/call.h"
#include "services/common/grpc_status.h"
#include "services/common/transact.h"

namespace rapport {

// A callback that answers `reactor` with the domain's outcome, writing a
// value into `response`. The response outlives the call. Created in an RPC
// handler, it also records the audit entry of a mutation that failed (or
// wrote nothing of its own).
template <typename T>
Callback<T> Reply(grpc::ServerUnaryReactor* reactor, T* response) {
  return [reactor, response, call = CurrentCall()](absl::StatusOr<T> result) {
    if (result.ok()) *response = *std::move(result);
    const grpc::Status status = ToGrpcStatus(result.status());
    if (call == nullptr || !AuditEntryPending(*call, result.status())) return reactor->Finish(status);
    RecordAuditEntry(*call, result.status(), [reactor, status] { reactor->Finish(status); });
  };
}

// Reply() for a method whose response is google.protobuf.Empty (the domain
// reports a bool).
inline Callback<bool> ReplyEmpty(grpc::ServerUnaryReactor* reactor) {
  return [reactor, call = CurrentCall()](absl::StatusOr<bool> result) {
    const grpc::Status status = ToGrpcStatus(result.status());
    if (call == nullptr || !AuditEntryPending(*call, result.status())) return reactor->Finish(status);
    RecordAuditEntry(*call, result.status(), [reactor, status] { reactor->Finish(status); });
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
