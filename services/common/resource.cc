#include "services/common/resource.h"

#include <locale.h>
#include <wctype.h>

#include <mutex>
#include <optional>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"

namespace rapport {

absl::Status ValidateId(absl::string_view field, absl::string_view id) {
  bool ok = !id.empty() && id.size() <= 63;
  for (size_t i = 0; ok && i < id.size(); ++i) {
    const char c = id[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    ok = alnum || (i > 0 && c == '-');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      field, " must be 1-63 characters of a-z, 0-9 and '-', not starting with '-'; got '", id, "'"));
}

std::string NewId() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  uint64_t a, b;
  {
    std::lock_guard<std::mutex> lock(mu);
    a = rng();
    b = rng();
  }
  std::string id;
  for (int i = 0; i < 16; ++i) {
    const uint64_t word = i < 8 ? a : b;
    id.push_back(kAlphabet[(word >> ((i % 8) * 5)) & 31]);
  }
  return id;
}

absl::StatusOr<std::string> ParseName(absl::string_view field, absl::string_view name,
                                      absl::string_view collection) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  if (parts.size() != 2 || parts[0] != collection || !ValidateId(field, parts[1]).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must look like '", collection, "/{id}'; got '", name, "'"));
  }
  return std::string(parts[1]);
}

absl::StatusOr<std::pair<std::string, std::string>> ParseChildName(
    absl::string_view field, absl::string_view name, absl::string_view parent_collection,
    absl::string_view collection) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  if (parts.size() != 4 || parts[0] != parent_collection || parts[2] != collection ||
      !ValidateId(field, parts[1]).ok() || !ValidateId(field, parts[3]).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " must look like '", parent_collection,
                                                   "/{id}/", collection, "/{id}'; got '", name,
                                                   "'"));
  }
  return std::make_pair(std::string(parts[1]), std::string(parts[3]));
}

int Utf8Length(absl::string_view text) {
  int count = 0;
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    int extra = 0;
    if (c < 0x80) {
      extra = 0;
    } else if ((c >> 5) == 0x6) {
      extra = 1;
    } else if ((c >> 4) == 0xe) {
      extra = 2;
    } else if ((c >> 3) == 0x1e) {
      extra = 3;
    } else {
      return -1;
    }
    for (int k = 1; k <= extra; ++k) {
      if (i + k >= text.size() || (static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return -1;
    }
    i += 1 + extra;
    ++count;
  }
  return count;
}

std::string TruncateUtf8(absl::string_view text, int max_chars) {
  if (max_chars <= 0) return "";
  // Where each of the first max_chars code points starts: a continuation
  // byte is 10xxxxxx.
  size_t end = 0;
  size_t cut = 0;  // End of the first max_chars - 1 code points.
  int count = 0;
  while (end < text.size() && count < max_chars) {
    if (count == max_chars - 1) cut = end;
    ++end;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) >> 6) == 0x2) ++end;
    ++count;
  }
  if (end == text.size()) return std::string(text);
  return absl::StrCat(text.substr(0, cut), "\u2026");
}

namespace {

// Decodes the code point at text[*i] and moves *i past it; nullopt (and *i
// past one byte) if the bytes there are not valid UTF-8.
std::optional<uint32_t> NextCodePoint(absl::string_view text, size_t* i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(*i);
  size_t n = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || *i + n > text.size()) {
    ++*i;
    return std::nullopt;
  }
  uint32_t cp = n == 1 ? b0 : b0 & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(*i + k) >> 6) != 0x2) {
      ++*i;
      return std::nullopt;
    }
    cp = (cp << 6) | (byte(*i + k) & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  static constexpr uint32_t kLeast[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kLeast[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
    ++*i;
    return std::nullopt;
  }
  *i += n;
  return cp;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

std::string FoldCase(absl::string_view text) {
  // C.UTF-8 is built into glibc 2.35 and later (Debian 12 has 2.36); a
  // locale object of its own leaves the process's locale alone.
  static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    const std::optional<uint32_t> cp = NextCodePoint(text, &i);
    if (cp && *cp < 0x80) {
      out.push_back(absl::ascii_tolower(static_cast<unsigned char>(text[start])));
    } else if (!cp || utf8 == static_cast<locale_t>(nullptr)) {
      out.append(text.data() + start, i - start);  // As it is.
    } else {
      AppendUtf8(static_cast<uint32_t>(towlower_l(static_cast<wint_t>(*cp), utf8)), &out);
    }
  }
  return out;
}

absl::Status CheckLength(absl::string_view field, absl::string_view value, int min, int max) {
  const int n = Utf8Length(value);
  if (n < 0) return absl::InvalidArgumentError(absl::StrCat(field, " is not valid UTF-8"));
  if (n < min) {
    return absl::InvalidArgumentError(min == 1 ? absl::StrCat(field, " is required")
                                               : absl::StrCat(field, " needs at least ", min,
                                                              " characters"));
  }
  if (n > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is too long: ", n, " characters, at most ", max));
  }
  return absl::OkStatus();
}

absl::Status CheckEnum(absl::string_view field, const google::protobuf::EnumDescriptor* type,
                       int value, bool required) {
  if (value == 0 && required) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  if (type->FindValueByNumber(value) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " has an unknown value ", value, " for ", type->full_name()));
  }
  return absl::OkStatus();
}

absl::Status CheckMask(const google::protobuf::FieldMask& mask,
                       absl::Span<const absl::string_view> allowed) {
  if (mask.paths().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("update_mask is required; allowed paths: ", absl::StrJoin(allowed, ", ")));
  }
  for (const auto& path : mask.paths()) {
    bool ok = false;
    for (absl::string_view a : allowed) ok = ok || path == a;
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat("update_mask has path '", path,
                                                     "' that cannot be updated; allowed: ",
                                                     absl::StrJoin(allowed, ", ")));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckEtag(absl::string_view resource, absl::string_view stored,
                       absl::string_view given) {
  if (given.empty() || given == stored) return absl::OkStatus();
  return absl::AbortedError(absl::StrCat(resource, " changed since it was read (etag '", given,
                                         "', now '", stored, "'); read it again and retry"));
}

std::string NextEtag(absl::string_view etag) {
  uint64_t n = 0;
  if (!absl::SimpleAtoi(etag, &n)) n = 0;
  return absl::StrCat(n + 1);
}

absl::Status CheckRequestId(absl::string_view request_id) {
  if (request_id.size() > 128) {
    return absl::InvalidArgumentError("request_id is too long: at most 128 characters");
  }
  return absl::OkStatus();
}

}  // namespace rapport
