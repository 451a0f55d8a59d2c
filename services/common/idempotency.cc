#include "services/common/idempotency.h"

#include "storage/key_codec.h"

namespace rapport {

absl::StatusOr<bool> FindPriorResult(storage::Txn& txn, absl::string_view method,
                                     absl::string_view request_id,
                                     google::protobuf::MessageLite* result) {
  if (request_id.empty()) return false;
  return txn.GetProto(storage::Cf::kIdempotency,
                      storage::EncodeIdempotencyKey(method, request_id), result);
}

void RecordResult(storage::Txn& txn, absl::string_view method, absl::string_view request_id,
                  const google::protobuf::MessageLite& result) {
  if (request_id.empty()) return;
  txn.batch().PutProto(storage::Cf::kIdempotency, storage::EncodeIdempotencyKey(method, request_id),
                       result);
}

}  // namespace rapport
