#include "server/access.h"

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_join.h"

namespace rapport::access {
namespace {

constexpr Role kViewer = Role::kViewer;
constexpr Role kPortal = Role::kPortal;
constexpr Role kOperator = Role::kOperator;
constexpr Role kAdmin = Role::kAdmin;

// The table. Reads need viewer; the portal keeps the register, the catalog's
// services and calendars, ticket events, outages, surveys and answers;
// operators run escalations; admins own policies, agreements (and catalog as
// code, which writes them), re-evaluations, every delete and withdrawal,
// backups and the audit log.
constexpr MethodRule kRules[] = {
    {"/rapport.v1.AdminService/GetServerInfo", kViewer},
    {"/rapport.v1.AdminService/CreateBackup", kAdmin},
    {"/rapport.v1.AdminService/ListAuditEntries", kAdmin, /*reads_only=*/true},

    {"/rapport.v1.RelationshipService/CreateRelationship", kPortal},
    {"/rapport.v1.RelationshipService/GetRelationship", kViewer},
    {"/rapport.v1.RelationshipService/ListRelationships", kViewer},
    {"/rapport.v1.RelationshipService/UpdateRelationship", kPortal},
    {"/rapport.v1.RelationshipService/DeleteRelationship", kAdmin},
    {"/rapport.v1.RelationshipService/SearchRelationships", kViewer},
    {"/rapport.v1.RelationshipService/CreateStakeholder", kPortal},
    {"/rapport.v1.RelationshipService/GetStakeholder", kViewer},
    {"/rapport.v1.RelationshipService/ListStakeholders", kViewer},
    {"/rapport.v1.RelationshipService/UpdateStakeholder", kPortal},
    {"/rapport.v1.RelationshipService/DeleteStakeholder", kAdmin},
    {"/rapport.v1.RelationshipService/GetStakeholderMap", kViewer},
    {"/rapport.v1.RelationshipService/CreateInteraction", kPortal},
    {"/rapport.v1.RelationshipService/GetInteraction", kViewer},
    {"/rapport.v1.RelationshipService/ListInteractions", kViewer},
    {"/rapport.v1.RelationshipService/UpdateInteraction", kPortal},
    {"/rapport.v1.RelationshipService/ListOverdueFollowUps", kViewer},
    {"/rapport.v1.RelationshipService/CreateOpportunity", kPortal},
    {"/rapport.v1.RelationshipService/GetOpportunity", kViewer},
    {"/rapport.v1.RelationshipService/ListOpportunities", kViewer},
    {"/rapport.v1.RelationshipService/UpdateOpportunity", kPortal},
    {"/rapport.v1.RelationshipService/DeleteOpportunity", kAdmin},
    {"/rapport.v1.RelationshipService/GetRelationshipHealth", kViewer},

    {"/rapport.v1.SlaCatalogService/CreateService", kPortal},
    {"/rapport.v1.SlaCatalogService/GetService", kViewer},
    {"/rapport.v1.SlaCatalogService/ListServices", kViewer},
    {"/rapport.v1.SlaCatalogService/UpdateService", kPortal},
    {"/rapport.v1.SlaCatalogService/DeleteService", kAdmin},
    {"/rapport.v1.SlaCatalogService/CreateCalendar", kPortal},
    {"/rapport.v1.SlaCatalogService/GetCalendar", kViewer},
    {"/rapport.v1.SlaCatalogService/ListCalendars", kViewer},
    {"/rapport.v1.SlaCatalogService/UpdateCalendar", kPortal},
    {"/rapport.v1.SlaCatalogService/DeleteCalendar", kAdmin},
    {"/rapport.v1.SlaCatalogService/ComputeDueTime", kViewer},
    {"/rapport.v1.SlaCatalogService/ComputeBusinessDuration", kViewer},
    {"/rapport.v1.SlaCatalogService/CreateAgreement", kAdmin},
    {"/rapport.v1.SlaCatalogService/GetAgreement", kViewer},
    {"/rapport.v1.SlaCatalogService/ListAgreements", kViewer},
    {"/rapport.v1.SlaCatalogService/UpdateAgreement", kAdmin},
    {"/rapport.v1.SlaCatalogService/DeleteAgreement", kAdmin},
    {"/rapport.v1.SlaCatalogService/ListAgreementRevisions", kViewer},
    {"/rapport.v1.SlaCatalogService/ResolveAgreements", kViewer},
    {"/rapport.v1.SlaCatalogService/ApplyCatalog", kAdmin},
    {"/rapport.v1.SlaCatalogService/RecordTicketEvent", kPortal},
    {"/rapport.v1.SlaCatalogService/GetTicket", kViewer},
    {"/rapport.v1.SlaCatalogService/ListTickets", kViewer},
    {"/rapport.v1.SlaCatalogService/ReevaluateTickets", kAdmin},
    {"/rapport.v1.SlaCatalogService/RecordOutage", kPortal},
    {"/rapport.v1.SlaCatalogService/GetComplianceReport", kViewer},

    {"/rapport.v1.EscalationService/CreateEscalationPolicy", kAdmin},
    {"/rapport.v1.EscalationService/GetEscalationPolicy", kViewer},
    {"/rapport.v1.EscalationService/ListEscalationPolicies", kViewer},
    {"/rapport.v1.EscalationService/UpdateEscalationPolicy", kAdmin},
    {"/rapport.v1.EscalationService/DeleteEscalationPolicy", kAdmin},
    {"/rapport.v1.EscalationService/CreateEscalation", kOperator},
    {"/rapport.v1.EscalationService/GetEscalation", kViewer},
    {"/rapport.v1.EscalationService/ListEscalations", kViewer},
    {"/rapport.v1.EscalationService/AcknowledgeEscalation", kOperator},
    {"/rapport.v1.EscalationService/EscalateEscalation", kOperator},
    {"/rapport.v1.EscalationService/ReassignEscalation", kOperator},
    {"/rapport.v1.EscalationService/AddEscalationNote", kOperator},
    {"/rapport.v1.EscalationService/HoldEscalation", kOperator},
    {"/rapport.v1.EscalationService/ResumeEscalation", kOperator},
    {"/rapport.v1.EscalationService/ResolveEscalation", kOperator},
    {"/rapport.v1.EscalationService/ReopenEscalation", kOperator},
    {"/rapport.v1.EscalationService/CloseEscalation", kOperator},
    {"/rapport.v1.EscalationService/CancelEscalation", kOperator},
    {"/rapport.v1.EscalationService/WatchEscalations", kViewer},

    {"/rapport.v1.SatisfactionService/CreateSurvey", kPortal},
    {"/rapport.v1.SatisfactionService/GetSurvey", kViewer},
    {"/rapport.v1.SatisfactionService/ListSurveys", kViewer},
    {"/rapport.v1.SatisfactionService/UpdateSurvey", kPortal},
    {"/rapport.v1.SatisfactionService/DeleteSurvey", kAdmin},
    {"/rapport.v1.SatisfactionService/SubmitResponse", kPortal},
    {"/rapport.v1.SatisfactionService/GetResponse", kViewer},
    {"/rapport.v1.SatisfactionService/ListResponses", kViewer},
    {"/rapport.v1.SatisfactionService/WithdrawResponse", kAdmin},
    {"/rapport.v1.SatisfactionService/GetScore", kViewer},
    {"/rapport.v1.SatisfactionService/GetTrend", kViewer},
};

constexpr std::pair<Role, absl::string_view> kRoleNames[] = {
    {Role::kViewer, "viewer"},
    {Role::kPortal, "portal"},
    {Role::kOperator, "operator"},
    {Role::kAdmin, "admin"},
};

}  // namespace

bool Grants(RoleSet held, Role needed) {
  if (held & static_cast<RoleSet>(Role::kAdmin)) return true;
  if (held & static_cast<RoleSet>(needed)) return true;
  return needed == Role::kViewer && held != 0;
}

absl::string_view RoleName(Role role) {
  for (const auto& [r, name] : kRoleNames) {
    if (r == role) return name;
  }
  return "unknown";
}

std::optional<Role> ParseRole(absl::string_view name) {
  for (const auto& [role, n] : kRoleNames) {
    if (n == name) return role;
  }
  return std::nullopt;
}

std::string RoleSetNames(RoleSet roles) {
  std::vector<absl::string_view> names;
  for (const auto& [role, name] : kRoleNames) {
    if (roles & static_cast<RoleSet>(role)) names.push_back(name);
  }
  return names.empty() ? "none" : absl::StrJoin(names, ",");
}

absl::Span<const MethodRule> MethodRules() { return kRules; }

const MethodRule* FindRule(absl::string_view method) {
  static const auto* const by_method = [] {
    auto* map = new absl::flat_hash_map<absl::string_view, const MethodRule*>();
    for (const MethodRule& rule : kRules) map->emplace(rule.method, &rule);
    return map;
  }();
  auto it = by_method->find(method);
  return it == by_method->end() ? nullptr : it->second;
}

}  // namespace rapport::access
