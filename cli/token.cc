// rapportctl admin token create, and the token helpers of token.h.
#include "cli/token.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/cli.h"
#include "cli/context.h"
#include "google/protobuf/struct.pb.h"

namespace rapport::cli {

const std::vector<std::string>& KnownRoles() {
  static const auto* const roles =
      new std::vector<std::string>{"viewer", "portal", "operator", "admin"};
  return *roles;
}

absl::StatusOr<std::string> NewToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return absl::InternalError("the random generator failed (OpenSSL RAND_bytes)");
  }
  return absl::StrCat(kTokenPrefix, absl::BytesToHexString(absl::string_view(
                                        reinterpret_cast<char*>(bytes), sizeof(bytes))));
}

std::string Sha256Hex(absl::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), sizeof(digest)));
}

absl::Status ValidatePrincipalName(absl::string_view name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("NAME must have 1 to 64 characters, got ", name.size()));
  }
  for (char ch : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' &&
        ch != '@' && ch != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat("NAME may hold only letters, digits and . _ @ -, got '", name, "'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ParseRoles(absl::string_view roles) {
  std::vector<std::string> parsed;
  for (absl::string_view part : absl::StrSplit(roles, ',', absl::SkipWhitespace())) {
    const std::string role = absl::AsciiStrToLower(absl::StripAsciiWhitespace(part));
    if (std::find(KnownRoles().begin(), KnownRoles().end(), role) == KnownRoles().end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown role '", part, "' (roles: ", absl::StrJoin(KnownRoles(), ", "), ")"));
    }
    if (std::find(parsed.begin(), parsed.end(), role) == parsed.end()) parsed.push_back(role);
  }
  if (parsed.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--role needs at least one of ", absl::StrJoin(KnownRoles(), ", ")));
  }
  return parsed;
}

std::string TokensFileLine(absl::string_view name, absl::string_view token,
                           const std::vector<std::string>& roles) {
  return absl::StrCat(name, " sha256:", Sha256Hex(token), " ", absl::StrJoin(roles, ","));
}

int AdminTokenCreate(Context& c) {
  const std::string& name = c.args()[0];
  if (const absl::Status valid = ValidatePrincipalName(name); !valid.ok()) {
    return c.Usage(std::string(valid.message()));
  }
  if (!c.Has("--role")) return c.Usage("--role is required (viewer, portal, operator, admin)");
  const auto roles = ParseRoles(c.Get("--role"));
  if (!roles.ok()) return c.Usage(std::string(roles.status().message()));
  const auto token = NewToken();
  if (!token.ok()) {
    c.err() << "rapportctl: " << token.status().message() << "\n";
    return kExitRefused;
  }
  const std::string line = TokensFileLine(name, *token, *roles);
  if (c.json()) {
    google::protobuf::Struct json;
    auto& fields = *json.mutable_fields();
    fields["name"].set_string_value(name);
    fields["token"].set_string_value(*token);
    for (const auto& role : *roles) {
      fields["roles"].mutable_list_value()->add_values()->set_string_value(role);
    }
    fields["tokens_file_line"].set_string_value(line);
    c.PrintJson(json);
    return kExitOk;
  }
  c.out() << "Token for " << name << " (shown only this once: rapportd keeps only its hash):\n"
          << *token << "\n\n"
          << "Line for rapportd's tokens file (--auth_tokens_file); reload it with SIGHUP:\n"
          << line << "\n";
  return kExitOk;
}

}  // namespace rapport::cli
