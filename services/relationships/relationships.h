// The relationship register's domain: relationships, stakeholders,
// interactions, opportunities and health. Validation, lifecycle rules, index
// and counter maintenance live here; relationships_grpc.h is the thin gRPC
// adapter. Reads return at once; writes run as store transactions and report
// through a callback once durable (see services/common/transact.h).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "rapport/v1/relationships.pb.h"
#include "services/common/transact.h"
#include "services/relationships/health.h"
#include "storage/clock.h"
#include "storage/store.h"

namespace rapport::relationships {

// The longest interaction summary, in characters.
inline constexpr int kMaxSummaryChars = 5000;

// What other services tell the register. The defaults know nothing: health
// components from services not yet wired in are unknown, consumed services
// are checked for form only, and no escalation blocks a delete.
class ExternalSignals {
 public:
  virtual ~ExternalSignals() = default;
  // SLA compliance percent of the relationship's agreements over [from, to):
  // completions are counted by day, so over as many whole days, ending with
  // the day of `to`.
  virtual std::optional<double> SlaCompliance(absl::string_view /*relationship_id*/,
                                              absl::Time /*from*/, absl::Time /*to*/) const {
    return std::nullopt;
  }
  // The relationship's open escalations; nullopt without an escalation
  // workflow. An error when they cannot be read: a delete is then refused,
  // and health shows the component unknown.
  virtual absl::StatusOr<std::optional<HealthInputs::Escalations>> OpenEscalations(
      absl::string_view /*relationship_id*/, absl::Time /*now*/) const {
    return std::nullopt;
  }
  // NPS and CSAT of the relationship in [from, to), with the change against
  // the window before.
  virtual std::optional<SatisfactionFigure> Nps(absl::string_view /*relationship_id*/,
                                                absl::Time /*from*/, absl::Time /*to*/) const {
    return std::nullopt;
  }
  virtual std::optional<SatisfactionFigure> Csat(absl::string_view /*relationship_id*/,
                                                 absl::Time /*from*/, absl::Time /*to*/) const {
    return std::nullopt;
  }
  // NOT_FOUND naming `field` if the service or agreement is not in the catalog.
  virtual absl::Status CheckConsumedService(absl::string_view /*field*/,
                                            const v1::ConsumedService& /*consumed*/) const {
    return absl::OkStatus();
  }
};

// Relationships by kind, tier and status (for the gauge).
struct RelationshipCount {
  v1::Relationship::Kind kind;
  v1::Relationship::Tier tier;
  v1::Relationship::Status status;
  int64_t count = 0;
};

class Relationships final {
 public:
  // `store`, `clock` and `signals` must outlive this object.
  Relationships(storage::Store* store, Clock* clock, const ExternalSignals* signals,
                HealthConfig health_config = HealthConfig());

  // Brings the name index of a store written before names were folded
  // beyond ASCII (FoldCase) up to date; a no-op once done. Call before
  // serving.
  absl::Status FoldNameIndex();

  // Stages extra writes into the transaction of a new complaint (an
  // interaction of kind COMPLAINT) after every check has passed, e.g. opening
  // an escalation: they commit atomically with it, and an error refuses the
  // interaction. It may run more than once (a rerun on a conflict): it must
  // only read through and stage into `txn`. Not called for a replay.
  using ComplaintHook =
      std::function<absl::Status(storage::Txn& txn, const v1::Interaction& complaint, absl::Time now)>;
  void SetComplaintHook(ComplaintHook hook) { complaint_hook_ = std::move(hook); }

  // Called after each committed interaction (for metrics).
  void SetInteractionObserver(std::function<void(v1::Interaction::Kind)> observer) {
    interaction_observer_ = std::move(observer);
  }

  // Relationships. Status codes as documented in relationships.proto.
  void CreateRelationship(const v1::CreateRelationshipRequest& request,
                          Callback<v1::Relationship> done);
  absl::StatusOr<v1::Relationship> GetRelationship(const v1::GetRelationshipRequest& request) const;
  absl::StatusOr<v1::ListRelationshipsResponse> ListRelationships(
      const v1::ListRelationshipsRequest& request) const;
  void UpdateRelationship(const v1::UpdateRelationshipRequest& request,
                          Callback<v1::Relationship> done);
  void DeleteRelationship(const v1::DeleteRelationshipRequest& request, Callback<bool> done);
  absl::StatusOr<v1::ListRelationshipsResponse> SearchRelationships(
      const v1::SearchRelationshipsRequest& request) const;

  // Stakeholders.
  void CreateStakeholder(const v1::CreateStakeholderRequest& request,
                         Callback<v1::Stakeholder> done);
  absl::StatusOr<v1::Stakeholder> GetStakeholder(const v1::GetStakeholderRequest& request) const;
  absl::StatusOr<v1::ListStakeholdersResponse> ListStakeholders(
      const v1::ListStakeholdersRequest& request) const;
  void UpdateStakeholder(const v1::UpdateStakeholderRequest& request,
                         Callback<v1::Stakeholder> done);
  void DeleteStakeholder(const v1::DeleteStakeholderRequest& request, Callback<bool> done);
  absl::StatusOr<v1::StakeholderMap> GetStakeholderMap(
      const v1::GetStakeholderMapRequest& request) const;

  // Interactions.
  void CreateInteraction(const v1::CreateInteractionRequest& request,
                         Callback<v1::Interaction> done);
  absl::StatusOr<v1::Interaction> GetInteraction(const v1::GetInteractionRequest& request) const;
  absl::StatusOr<v1::ListInteractionsResponse> ListInteractions(
      const v1::ListInteractionsRequest& request) const;
  void UpdateInteraction(const v1::UpdateInteractionRequest& request,
                         Callback<v1::Interaction> done);
  absl::StatusOr<v1::ListOverdueFollowUpsResponse> ListOverdueFollowUps(
      const v1::ListOverdueFollowUpsRequest& request) const;
  // Domain API for other services: stages `interaction` on relationship
  // `parent` (`relationships/{id}`) as `.../interactions/{interaction_id}`
  // into `txn`, so it commits atomically with the caller's write. Validated
  // like CreateInteraction; NOT_FOUND if the relationship does not exist,
  // ALREADY_EXISTS if the interaction does. Only reads through and stages
  // into `txn` (safe to rerun on a conflict). The interaction observer is
  // not called: the caller reports after its commit.
  absl::StatusOr<v1::Interaction> LogInteractionInTxn(storage::Txn& txn, absl::string_view parent,
                                                      absl::string_view interaction_id,
                                                      const v1::Interaction& interaction,
                                                      absl::Time now) const;
  // Domain API for other services: stages into `txn` the removal of
  // interaction `interaction_id` of relationship `parent`, e.g. one that
  // LogInteractionInTxn logged from an answer since withdrawn: its record and
  // index entries. The relationship's last_interaction_time and
  // last_review_time fall back to its other interactions. OK if there is no
  // such interaction; INVALID_ARGUMENT for a malformed name or id. Only reads
  // through and stages into `txn` (safe to rerun on a conflict).
  absl::Status DeleteInteractionInTxn(storage::Txn& txn, absl::string_view parent,
                                      absl::string_view interaction_id) const;
  // Domain API for the escalation workflow: checks through `txn` that
  // relationship `relationship_id` exists (NOT_FOUND naming `field`) and
  // stages a mark that an escalation opens on it. A delete of the
  // relationship and the escalation's write then cannot both commit: the
  // delete refuses the escalation, or the escalation finds no relationship.
  absl::Status AdmitEscalationInTxn(storage::Txn& txn, absl::string_view field,
                                    absl::string_view relationship_id) const;

  // Opportunities.
  void CreateOpportunity(const v1::CreateOpportunityRequest& request,
                         Callback<v1::Opportunity> done);
  absl::StatusOr<v1::Opportunity> GetOpportunity(const v1::GetOpportunityRequest& request) const;
  absl::StatusOr<v1::ListOpportunitiesResponse> ListOpportunities(
      const v1::ListOpportunitiesRequest& request) const;
  void UpdateOpportunity(const v1::UpdateOpportunityRequest& request,
                         Callback<v1::Opportunity> done);
  void DeleteOpportunity(const v1::DeleteOpportunityRequest& request, Callback<bool> done);

  // Health: computes it and remembers the score for the next trend.
  void GetRelationshipHealth(const v1::GetRelationshipHealthRequest& request,
                             Callback<v1::RelationshipHealth> done);

  // For gauges, computed from counters and snapshots (cost: number of
  // kind/tier/status combinations; number of relationships with a snapshot).
  absl::StatusOr<std::vector<RelationshipCount>> CountRelationships() const;
  // Average last computed health score per tier (tiers without one omitted).
  absl::StatusOr<std::map<v1::Relationship::Tier, double>> AverageHealthByTier() const;
  // Last computed score per relationship id.
  absl::StatusOr<std::map<std::string, double>> LastHealthScores() const;

 private:
  absl::StatusOr<v1::Relationship> ReadRelationship(absl::string_view id) const;
  absl::Status ValidateRelationship(const v1::Relationship& r, bool creating) const;
  absl::Status CheckParent(storage::Txn& txn, absl::string_view id, absl::string_view parent) const;
  void WriteRelationship(storage::Txn& txn, const v1::Relationship& before,
                         const v1::Relationship& after) const;
  // The write of a new interaction: record, parent's contact times, index
  // entries, follow-ups.
  absl::StatusOr<v1::Interaction> WriteInteraction(storage::Txn& txn, absl::string_view rel,
                                                   absl::string_view id,
                                                   const v1::Interaction& interaction,
                                                   absl::Time now) const;
  absl::StatusOr<HealthInputs> GatherHealthInputs(const v1::Relationship& r, absl::Time now) const;

  storage::Store* const store_;
  Clock* const clock_;
  const ExternalSignals* const signals_;
  const HealthConfig health_config_;
  std::function<void(v1::Interaction::Kind)> interaction_observer_;
  ComplaintHook complaint_hook_;
};

}  // namespace rapport::relationships
