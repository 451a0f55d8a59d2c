// request_id handling for mutations (AIP-155): the first result of a request
// is stored in the same write as its effects, with a fingerprint of the
// request; a retry with the same id gets that result back and writes nothing.
// The same id sent with a different request (another parent, another
// escalation, other fields) is refused rather than answered with the first
// request's result, as payment APIs do with idempotency keys: a portal that
// reuses its own row ids as request ids must not lose a write silently.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"
#include "storage/store.h"

namespace rapport {

// A fingerprint of `request` (its deterministic serialization) when
// `request_id` is set; 0 when it is not (nothing is stored then).
uint64_t RequestFingerprint(absl::string_view request_id,
                            const google::protobuf::MessageLite& request);

// If `request_id` is set and was seen for `method`, parses the stored result
// into `result` and returns true. The read is part of `txn`, so two
// concurrent first attempts cannot both apply. INVALID_ARGUMENT naming
// request_id if it was seen with a request of another `fingerprint`.
absl::StatusOr<bool> FindPriorResult(storage::Txn& txn, absl::string_view method,
                                     absl::string_view request_id, uint64_t fingerprint,
                                     google::protobuf::MessageLite* result);

// Stores `result` as the outcome of `request_id` for `method`, with the
// request's `fingerprint`, in `txn`'s batch (nothing if request_id is empty).
void RecordResult(storage::Txn& txn, absl::string_view method, absl::string_view request_id,
                  uint64_t fingerprint, const google::protobuf::MessageLite& result);

}  // namespace rapport
