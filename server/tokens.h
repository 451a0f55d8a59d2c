// The tokens file of rapportd (--auth_tokens_file): who may call, with which
// roles. Raw tokens are never stored: the file holds the SHA-256 of each.
//
//   # NAME   SHA-256 OF THE TOKEN                                             ROLES
//   portal   sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 portal
//   alice    sha256:...                                                       operator,viewer
//
// One principal per line: a name (1-64 of A-Z a-z 0-9 . _ @ -), `sha256:`
// with the 64 lowercase hex digits of the SHA-256 of the whole token string,
// and a comma-separated role list (viewer, portal, operator, admin); fields
// are separated by blanks; `#` starts a comment line; blank lines are
// ignored. `rapportctl admin token create NAME --role ROLE` prints a fresh
// token and its line.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/access.h"

namespace rapport::access {

struct Principal {
  std::string name;
  RoleSet roles = 0;
};

// A SHA-256 digest.
using Sha256Digest = std::array<unsigned char, 32>;

// SHA-256 of `data`; nullopt only if OpenSSL cannot hash at all.
std::optional<Sha256Digest> Sha256(absl::string_view data);
// Lowercase hex SHA-256 of `data` ("" if OpenSSL cannot hash).
std::string Sha256Hex(absl::string_view data);

class TokenTable {
 public:
  // Parses a tokens file's text. INVALID_ARGUMENT naming the line on a
  // malformed line, an unknown role, or a name or hash given twice.
  static absl::StatusOr<TokenTable> Parse(absl::string_view text);
  // Reads and parses `path`; NOT_FOUND or PERMISSION_DENIED if it cannot be read.
  static absl::StatusOr<TokenTable> Load(const std::string& path);

  // The principal whose token is `token`, or null.
  const Principal* Find(absl::string_view token) const;
  size_t size() const { return by_hash_.size(); }

 private:
  // By the digest itself, not its hex text: a lookup per call hashes the
  // token and builds no string.
  absl::flat_hash_map<Sha256Digest, Principal> by_hash_;
};

}  // namespace rapport::access
