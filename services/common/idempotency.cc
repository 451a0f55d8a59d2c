#include "services/common/idempotency.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "services/common/pagination.h"
#include "storage/status_macros.h"
#include "storage/key_codec.h"

namespace rapport {
namespace {

// A stored result: kFingerprinted, the request's fingerprint (8 bytes,
// big-endian), then the result. A record without the marker (written
// before fingerprints) is the bare result: a serialized message never
// starts with a zero byte, as no field has number 0.
constexpr char kFingerprinted = '\0';

}  // namespace

uint64_t RequestFingerprint(absl::string_view request_id,
                            const google::protobuf::MessageLite& request) {
  if (request_id.empty()) return 0;
  std::string bytes;
  {
    // Deterministic: map fields (labels) in key order, so that a retry
    // built afresh has the fingerprint of the first attempt.
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&out);
  }
  return FilterHash({"request", bytes});
}

absl::StatusOr<bool> FindPriorResult(storage::Txn& txn, absl::string_view method,
                                     absl::string_view request_id, uint64_t fingerprint,
                                     google::protobuf::MessageLite* result) {
  if (request_id.empty()) return false;
  ASSIGN_OR_RETURN(std::optional<std::string> stored,
                   txn.Get(storage::Cf::kIdempotency,
                           storage::EncodeIdempotencyKey(method, request_id)));
  if (!stored) return false;
  absl::string_view bytes = *stored;
  if (!bytes.empty() && bytes[0] == kFingerprinted) {
    bytes.remove_prefix(1);
    std::optional<uint64_t> first = storage::ConsumeUint64(&bytes);
    if (!first) return absl::DataLossError("a stored request_id result is malformed");
    if (*first != fingerprint) {
      return absl::InvalidArgumentError(
          absl::StrCat("request_id \"", request_id, "\" was already used by a different ", method,
                       " request; a new request needs a new request_id"));
    }
  }
  if (!result->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("a stored request_id result does not parse");
  }
  return true;
}

void RecordResult(storage::Txn& txn, absl::string_view method, absl::string_view request_id,
                  uint64_t fingerprint, const google::protobuf::MessageLite& result) {
  if (request_id.empty()) return;
  std::string value(1, kFingerprinted);
  storage::AppendUint64(&value, fingerprint);
  result.AppendToString(&value);
  txn.batch().Put(storage::Cf::kIdempotency, storage::EncodeIdempotencyKey(method, request_id),
                  value);
}

}  // namespace rapport
