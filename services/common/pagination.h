// AIP-158 pagination shared by every List: page_size rules and opaque page
// tokens. A token is the web-safe base64 of rapport.internal.v1.PageToken: the
// store key to resume after and a stable hash of the request's filter and
// order, so a token reused with another filter is refused.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace rapport {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

// 0 gives kDefaultPageSize; above kMaxPageSize is clamped to it; negative is
// INVALID_ARGUMENT naming page_size.
absl::StatusOr<int> ResolvePageSize(int32_t page_size);

// A hash of the filter parts that is stable across processes and versions
// (FNV-1a over length-prefixed parts), for page tokens.
uint64_t FilterHash(absl::Span<const absl::string_view> parts);

// The opaque token resuming after `resume_key`.
std::string EncodePageToken(absl::string_view resume_key, uint64_t filter_hash);

// The resume key in `token`; "" for an empty token (the first page).
// INVALID_ARGUMENT naming page_token if it is malformed or was issued for a
// different filter.
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, uint64_t filter_hash);

}  // namespace rapport
