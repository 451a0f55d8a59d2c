// Adapter helper: turns a domain callback into the end of a gRPC callback-API
// call (copy the value into the response, finish with the converted status).
#pragma once

#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "grpcpp/support/server_callback.h"
#include "services/common/call.h"
#include "services/common/grpc_status.h"
#include "services/common/transact.h"

namespace rapport {

// Finishes `reactor` with `outcome`: at once, or once the audit entry that
// `call` still owes (a mutation that failed, or wrote nothing of its own) is
// written. `call` may be null (outside an admitted handler).
inline void FinishAudited(grpc::ServerUnaryReactor* reactor, const std::shared_ptr<CallInfo>& call,
                          const absl::Status& outcome) {
  const grpc::Status status = ToGrpcStatus(outcome);
  if (call == nullptr || !AuditEntryPending(*call, outcome)) return reactor->Finish(status);
  RecordAuditEntry(*call, outcome, [reactor, status] { reactor->Finish(status); });
}

// A callback that answers `reactor` with the domain's outcome, writing a
// value into `response`. The response outlives the call. Created in an RPC
// handler, it also records the audit entry of a mutation that failed (or
// wrote nothing of its own).
template <typename T>
Callback<T> Reply(grpc::ServerUnaryReactor* reactor, T* response) {
  return [reactor, response, call = CurrentCall()](absl::StatusOr<T> result) {
    if (result.ok()) *response = *std::move(result);
    FinishAudited(reactor, call, result.status());
  };
}

// Reply() for a method whose response is google.protobuf.Empty (the domain
// reports a bool).
inline Callback<bool> ReplyEmpty(grpc::ServerUnaryReactor* reactor) {
  return [reactor, call = CurrentCall()](absl::StatusOr<bool> result) {
    FinishAudited(reactor, call, result.status());
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
