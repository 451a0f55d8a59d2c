// Key encodings of the store. All key layouts live here, each with its diagram;
// key_codec_test.cc round-trips every one.
//
// Rules: fixed-width integers are big-endian so bytes sort like numbers;
// signed values and times are biased (sign bit flipped) so negatives sort
// first; variable-length parts that must sort by value use the "ordered
// string" escape (0x00 -> 0x00 0xFF, terminated by 0x00 0x01), which keeps
// byte order and lets a string be followed by more parts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace rapport::storage {

// Appends `v` as 8 big-endian bytes.
void AppendUint64(std::string* out, uint64_t v);
// Appends `v` as 4 big-endian bytes.
void AppendUint32(std::string* out, uint32_t v);
// Appends `v` so that the bytes sort like the signed numbers.
void AppendInt64(std::string* out, int64_t v);
// Appends `t` as microseconds since the Unix epoch, sortable (AppendInt64).
void AppendTime(std::string* out, absl::Time t);
// Appends `s` with the ordered-string escape.
void AppendOrderedString(std::string* out, absl::string_view s);

// Readers: consume from the front of `*in`; nullopt if it is malformed or short.
std::optional<uint64_t> ConsumeUint64(absl::string_view* in);
std::optional<uint32_t> ConsumeUint32(absl::string_view* in);
std::optional<int64_t> ConsumeInt64(absl::string_view* in);
std::optional<absl::Time> ConsumeTime(absl::string_view* in);
std::optional<std::string> ConsumeOrderedString(absl::string_view* in);

// The smallest key greater than every key that starts with `prefix` (for an
// exclusive upper bound of a prefix scan); "" if there is none (all 0xFF).
std::string PrefixSuccessor(absl::string_view prefix);

// Counter values in Cf::kAggregates: int64, 8 bytes little-endian, merged by
// addition.
std::string EncodeCounter(int64_t v);
std::optional<int64_t> DecodeCounter(absl::string_view value);

// Schedule entry key in Cf::kSchedule:
//
//   +----------------+----------------------+-----------------+
//   | due: int64 BE  | kind: ordered string | key: raw bytes  |
//   | (µs, biased)   |                      | (rest of key)   |
//   +----------------+----------------------+-----------------+
//
// Entries sort by due time, then kind, then key.
struct ScheduleKey {
  absl::Time due;
  std::string kind;
  std::string key;
  bool operator==(const ScheduleKey& o) const {
    return due == o.due && kind == o.kind && key == o.key;
  }
};
std::string EncodeScheduleKey(const ScheduleKey& k);
std::optional<ScheduleKey> DecodeScheduleKey(absl::string_view encoded);

// Idempotency key in Cf::kIdempotency:
//
//   +--------------------------+---------------------------+
//   | method: ordered string   | request_id: ordered string |
//   +--------------------------+---------------------------+
std::string EncodeIdempotencyKey(absl::string_view method, absl::string_view request_id);

// Meta keys in Cf::kMeta are fixed ASCII names.
inline constexpr absl::string_view kMetaSchemaVersionKey = "schema_version";

}  // namespace rapport::storage
