#include "server/tokens.h"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rapport::access {
namespace {

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' &&
        c != '@' && c != '-') {
      return false;
    }
  }
  return true;
}

bool ValidHash(absl::string_view hex) {
  if (hex.size() != 64) return false;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::optional<Sha256Digest> Sha256(absl::string_view data) {
  // Fetched once: OpenSSL 3's one-shot SHA256() looks the algorithm up in its
  // provider tables on every call, which costs more than hashing a token.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  // One context per thread, initialized again for each digest: EVP_Digest()
  // allocates and frees a context (and its digest state) on every call, i.e.
  // on every authenticated RPC.
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(
      EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  Sha256Digest digest{};
  unsigned int size = 0;
  if (kSha256 == nullptr || ctx == nullptr || EVP_DigestInit_ex2(ctx.get(), kSha256, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest.data(), &size) != 1 || size != digest.size()) {
    return std::nullopt;
  }
  return digest;
}

std::string Sha256Hex(absl::string_view data) {
  const std::optional<Sha256Digest> digest = Sha256(data);
  if (!digest) return "";
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest->data()), digest->size()));
}

absl::StatusOr<TokenTable> TokenTable::Parse(absl::string_view text) {
  TokenTable table;
  absl::flat_hash_set<std::string> names;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    auto error = [number](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("tokens file line ", number, ": ", what));
    };
    if (fields.size() != 3) return error("expected NAME sha256:HEX ROLE[,ROLE...]");
    if (!ValidName(fields[0])) {
      return error(absl::StrCat("name '", fields[0],
                                "' must be 1-64 characters of A-Z a-z 0-9 . _ @ -"));
    }
    if (!absl::ConsumePrefix(&fields[1], "sha256:") || !ValidHash(fields[1])) {
      return error("the token hash must be sha256: and 64 lowercase hex digits");
    }
    Principal principal{std::string(fields[0]), 0};
    for (absl::string_view name : absl::StrSplit(fields[2], ',')) {
      auto role = ParseRole(name);
      if (!role) {
        return error(absl::StrCat("unknown role '", name,
                                  "' (roles: viewer, portal, operator, admin)"));
      }
      principal.roles |= static_cast<RoleSet>(*role);
    }
    if (!names.insert(principal.name).second) {
      return error(absl::StrCat("principal ", principal.name, " is listed twice"));
    }
    // ValidHash: exactly 64 hex digits, so 32 bytes.
    const std::string bytes = absl::HexStringToBytes(fields[1]);
    Sha256Digest digest{};
    std::copy_n(bytes.begin(), std::min(bytes.size(), digest.size()), digest.begin());
    if (!table.by_hash_.emplace(digest, std::move(principal)).second) {
      return error("this token hash is already listed for another principal");
    }
  }
  return table;
}

absl::StatusOr<TokenTable> TokenTable::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read tokens file ", path));
  std::stringstream text;
  text << in.rdbuf();
  auto table = Parse(text.str());
  if (!table.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", table.status().message()));
  }
  return table;
}

const Principal* TokenTable::Find(absl::string_view token) const {
  const std::optional<Sha256Digest> digest = Sha256(token);
  if (!digest) return nullptr;
  auto it = by_hash_.find(*digest);
  return it == by_hash_.end() ? nullptr : &it->second;
}

}  // namespace rapport::access
