// API tokens for rapportd's tokens file (--auth_tokens_file): a fresh random
// token and the line that grants it roles. The file holds one principal per
// line, `NAME sha256:<hex of SHA-256 of the whole token> ROLE[,ROLE...]`,
// fields separated by whitespace, `#` starting a comment line; rapportd keeps
// only the hash, so the token itself is shown once, when it is made.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rapport::cli {

// Every token starts with this, so that it can be recognised (e.g. by secret scanners).
inline constexpr char kTokenPrefix[] = "rpt_";

// The roles rapportd grants: viewer, portal, operator, admin.
const std::vector<std::string>& KnownRoles();

// A new token: kTokenPrefix and 64 lower-case hex digits of 32 bytes from
// OpenSSL's CSPRNG. INTERNAL if the generator fails.
absl::StatusOr<std::string> NewToken();

// The SHA-256 of `text`, in 64 lower-case hex digits.
std::string Sha256Hex(absl::string_view text);

// OK for a principal name of 1-64 characters of [A-Za-z0-9._@-], else
// INVALID_ARGUMENT saying what is wrong.
absl::Status ValidatePrincipalName(absl::string_view name);

// Reads "viewer,operator": known roles separated by commas (a repeat is
// dropped). INVALID_ARGUMENT naming an unknown role, or for none.
absl::StatusOr<std::vector<std::string>> ParseRoles(absl::string_view roles);

// The tokens file's line for `name` holding `token` with `roles`.
std::string TokensFileLine(absl::string_view name, absl::string_view token,
                           const std::vector<std::string>& roles);

}  // namespace rapport::cli
