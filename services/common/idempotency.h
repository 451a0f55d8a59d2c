// request_id handling for mutations (AIP-155): the first result of a request
// is stored in the same write as its effects; a retry with the same id gets
// that result back and writes nothing.
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"
#include "storage/store.h"

namespace rapport {

// If `request_id` is set and was seen for `method`, parses the stored result
// into `result` and returns true. The read is part of `txn`, so two
// concurrent first attempts cannot both apply.
absl::StatusOr<bool> FindPriorResult(storage::Txn& txn, absl::string_view method,
                                     absl::string_view request_id,
                                     google::protobuf::MessageLite* result);

// Stores `result` as the outcome of `request_id` for `method` in `txn`'s batch
// (nothing if request_id is empty).
void RecordResult(storage::Txn& txn, absl::string_view method, absl::string_view request_id,
                  const google::protobuf::MessageLite& result);

}  // namespace rapport
