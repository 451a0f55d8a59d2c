// rapportd's gate (services/common/call.h): authenticates each call by its
// bearer token, checks the role its method needs (server/access.h) and the
// request's size limits, and opens the call's audit entry.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "server/tokens.h"
#include "services/common/call.h"
#include "storage/clock.h"
#include "storage/store.h"

namespace rapport::access {

struct GateOptions {
  // Require a bearer token from the tokens file; false admits every call as
  // "anonymous" with every role (only when explicitly configured).
  bool authenticate = false;
  std::string tokens_file;
  // Where audit entries go; null: no audit.
  storage::Store* audit_store = nullptr;
  Clock* clock = &RealClock();
  // Longest string or bytes field, and most entries of a list, in a request.
  size_t max_string_bytes = 65536;
  size_t max_list_entries = 10000;
  // Deadline of calls that come without one.
  absl::Duration default_deadline = absl::Seconds(30);
};

class AccessGate final : public Gate {
 public:
  // Loads the tokens file when authenticating (its errors name the line);
  // INTERNAL if OpenSSL cannot compute the SHA-256 that tokens are checked by.
  static absl::StatusOr<std::unique_ptr<AccessGate>> Create(GateOptions options);

  // Reads the tokens file again and, if it parses, serves calls with it from
  // now on; on an error the previous table stays. Calls in flight are not
  // disturbed. Returns the number of principals.
  absl::StatusOr<size_t> ReloadTokens();

  absl::StatusOr<std::shared_ptr<CallInfo>> Admit(const grpc::ServerContextBase& context,
                                                  const google::protobuf::Message& request,
                                                  absl::string_view method) const override;

 private:
  explicit AccessGate(GateOptions options) : options_(std::move(options)) {}
  std::shared_ptr<const TokenTable> tokens() const;

  const GateOptions options_;
  mutable std::mutex mu_;
  std::shared_ptr<const TokenTable> tokens_;  // Guarded by mu_ (the pointer).
};

// INVALID_ARGUMENT naming the first field of `message` (a path such as
// "catalog.agreements[3].description") over `max_string_bytes` or
// `max_list_entries`.
absl::Status CheckSizeLimits(const google::protobuf::Message& message, size_t max_string_bytes,
                             size_t max_list_entries);

}  // namespace rapport::access
