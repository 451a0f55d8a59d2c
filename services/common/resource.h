// Resource names, ids and the field checks every service's validation uses.
// Every error is INVALID_ARGUMENT (or NOT_FOUND where stated) with the field
// named first, so a portal can point at it.
#pragma once

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/message.h"
#include "absl/types/span.h"

namespace rapport {

// A caller-chosen id: [a-z0-9][a-z0-9-]{0,62} (AIP-122).
absl::Status ValidateId(absl::string_view field, absl::string_view id);

// A fresh random id of 16 lower-case base32 characters.
std::string NewId();

// The id in `name` of the form "<collection>/<id>"; INVALID_ARGUMENT naming
// `field` if it is not of that form.
absl::StatusOr<std::string> ParseName(absl::string_view field, absl::string_view name,
                                      absl::string_view collection);

// The two ids in "<parent_collection>/<p>/<collection>/<id>".
absl::StatusOr<std::pair<std::string, std::string>> ParseChildName(
    absl::string_view field, absl::string_view name, absl::string_view parent_collection,
    absl::string_view collection);

// Length in Unicode code points of UTF-8 text; -1 if it is not valid UTF-8.
int Utf8Length(absl::string_view text);

// `text` (valid UTF-8) cut to at most `max_chars` code points, never inside
// one; a cut one ends with "…" (counted).
std::string TruncateUtf8(absl::string_view text, int max_chars);

// `text` with every letter in lower case, by Unicode's simple mappings
// (glibc's C.UTF-8 locale: "Österreich" gives "österreich", "ΑΘΗΝΑ"
// "αθηνα"), for comparisons and orders that ignore case. Bytes that are not
// valid UTF-8 are kept as they are.
std::string FoldCase(absl::string_view text);

// `value` has between `min` and `max` characters (code points) and is valid
// UTF-8. `min` = 1 makes the field required.
absl::Status CheckLength(absl::string_view field, absl::string_view value, int min, int max);

// `value` is one of the enum's declared numbers (proto3 enums are open).
absl::Status CheckEnum(absl::string_view field, const google::protobuf::EnumDescriptor* type,
                       int value, bool required);

// Every path of `mask` is in `allowed`; the mask is not empty.
absl::Status CheckMask(const google::protobuf::FieldMask& mask,
                       absl::Span<const absl::string_view> allowed);

// A stored record's etag matches the caller's (an empty caller etag always
// matches); ABORTED otherwise.
absl::Status CheckEtag(absl::string_view resource, absl::string_view stored,
                       absl::string_view given);

// The next etag after `etag` (etags are revision numbers as text).
std::string NextEtag(absl::string_view etag);

// request_id: at most 128 characters.
absl::Status CheckRequestId(absl::string_view request_id);

}  // namespace rapport
