// Who may call what: the roles of rapportd and the one table that says which
// role every RPC needs. A method missing from the table is refused to
// everyone (and a test walks every served method against it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace rapport::access {

// Roles, as bits of a principal's role set.
enum class Role : uint8_t {
  kViewer = 1,    // Reads everything.
  kPortal = 2,    // Writes relationships, catalog data, ticket events, survey answers.
  kOperator = 4,  // Escalation commands.
  kAdmin = 8,     // Policies, agreements, deletes, backups, audit; and everything else.
};
using RoleSet = uint8_t;

inline constexpr RoleSet kAllRoles = 0x0f;

// Whether a principal holding `held` may call a method needing `needed`:
// admin may call everything; portal and operator also read.
bool Grants(RoleSet held, Role needed);

// "viewer", "portal", "operator", "admin".
absl::string_view RoleName(Role role);
std::optional<Role> ParseRole(absl::string_view name);
// The names of the roles in `roles`, comma-separated.
std::string RoleSetNames(RoleSet roles);

struct MethodRule {
  // "/package.Service/Method".
  absl::string_view method;
  Role role;
  // A method that needs more than viewer but changes nothing (not audited).
  bool reads_only = false;
};

// Every rule, one per RPC rapportd serves (health checking and reflection
// are open and not listed).
absl::Span<const MethodRule> MethodRules();

// The rule of `method`, or null if it has none.
const MethodRule* FindRule(absl::string_view method);

// A method changes something (and is audited) unless it needs only viewer
// or reads only.
inline bool IsMutation(const MethodRule& rule) {
  return rule.role != Role::kViewer && !rule.reads_only;
}

}  // namespace rapport::access
