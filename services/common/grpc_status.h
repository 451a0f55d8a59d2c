// The one conversion from absl::Status (the domain's language) to grpc::Status
// (the wire's), used by every adapter.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace rapport {

// Same code, same message. absl and gRPC share code numbers; the message is
// already safe for clients (storage never puts RocksDB's text in a status).
grpc::Status ToGrpcStatus(const absl::Status& status);

// The canonical upper-case name of a gRPC code ("OK", "NOT_FOUND", ...), as
// used in metric labels.
std::string GrpcCodeName(grpc::StatusCode code);

}  // namespace rapport
