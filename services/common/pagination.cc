#include "services/common/pagination.h"

#include "absl/strings/escaping.h"
#include "rapport/internal/v1/internal.pb.h"

namespace rapport {

absl::StatusOr<int> ResolvePageSize(int32_t page_size) {
  if (page_size < 0) return absl::InvalidArgumentError("page_size must not be negative");
  if (page_size == 0) return kDefaultPageSize;
  return page_size > kMaxPageSize ? kMaxPageSize : static_cast<int>(page_size);
}

uint64_t FilterHash(absl::Span<const absl::string_view> parts) {
  uint64_t h = 14695981039346656037ull;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  for (absl::string_view part : parts) {
    uint64_t n = part.size();
    for (int i = 0; i < 8; ++i, n >>= 8) mix(static_cast<unsigned char>(n & 0xff));
    for (char c : part) mix(static_cast<unsigned char>(c));
  }
  return h;
}

std::string EncodePageToken(absl::string_view resume_key, uint64_t filter_hash) {
  internal::v1::PageToken token;
  token.set_resume_key(std::string(resume_key));
  token.set_filter_hash(filter_hash);
  return absl::WebSafeBase64Escape(token.SerializeAsString());
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, uint64_t filter_hash) {
  if (token.empty()) return std::string();
  std::string bytes;
  internal::v1::PageToken decoded;
  if (!absl::WebSafeBase64Unescape(token, &bytes) || !decoded.ParseFromString(bytes) ||
      decoded.resume_key().empty()) {
    return absl::InvalidArgumentError("page_token is malformed; pass back next_page_token as is");
  }
  if (decoded.filter_hash() != filter_hash) {
    return absl::InvalidArgumentError(
        "page_token was issued for a different filter or order; keep them unchanged while paging");
  }
  return decoded.resume_key();
}

}  // namespace rapport
