// gRPC adapter of rapport.v1.RelationshipService over relationships::Relationships.
// Each method: call the domain, convert the status (services/common/reply.h).
#pragma once

#include "services/common/call.h"
#include "rapport/v1/relationships.grpc.pb.h"
#include "services/relationships/relationships.h"

namespace rapport::relationships {

class RelationshipsGrpc final : public v1::RelationshipService::CallbackService {
 public:
  // `domain` must outlive the adapter.
  explicit RelationshipsGrpc(Relationships* domain, const Gate* gate = &OpenGate())
      : domain_(domain), gate_(gate) {}

  using Ctx = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;
  using Empty = google::protobuf::Empty;

  Reactor* CreateRelationship(Ctx* c, const v1::CreateRelationshipRequest* r, v1::Relationship* o) override;
  Reactor* GetRelationship(Ctx* c, const v1::GetRelationshipRequest* r, v1::Relationship* o) override;
  Reactor* ListRelationships(Ctx* c, const v1::ListRelationshipsRequest* r,
                             v1::ListRelationshipsResponse* o) override;
  Reactor* UpdateRelationship(Ctx* c, const v1::UpdateRelationshipRequest* r, v1::Relationship* o) override;
  Reactor* DeleteRelationship(Ctx* c, const v1::DeleteRelationshipRequest* r, Empty* o) override;
  Reactor* SearchRelationships(Ctx* c, const v1::SearchRelationshipsRequest* r,
                               v1::ListRelationshipsResponse* o) override;
  Reactor* CreateStakeholder(Ctx* c, const v1::CreateStakeholderRequest* r, v1::Stakeholder* o) override;
  Reactor* GetStakeholder(Ctx* c, const v1::GetStakeholderRequest* r, v1::Stakeholder* o) override;
  Reactor* ListStakeholders(Ctx* c, const v1::ListStakeholdersRequest* r,
                            v1::ListStakeholdersResponse* o) override;
  Reactor* UpdateStakeholder(Ctx* c, const v1::UpdateStakeholderRequest* r, v1::Stakeholder* o) override;
  Reactor* DeleteStakeholder(Ctx* c, const v1::DeleteStakeholderRequest* r, Empty* o) override;
  Reactor* GetStakeholderMap(Ctx* c, const v1::GetStakeholderMapRequest* r, v1::StakeholderMap* o) override;
  Reactor* CreateInteraction(Ctx* c, const v1::CreateInteractionRequest* r, v1::Interaction* o) override;
  Reactor* GetInteraction(Ctx* c, const v1::GetInteractionRequest* r, v1::Interaction* o) override;
  Reactor* ListInteractions(Ctx* c, const v1::ListInteractionsRequest* r,
                            v1::ListInteractionsResponse* o) override;
  Reactor* UpdateInteraction(Ctx* c, const v1::UpdateInteractionRequest* r, v1::Interaction* o) override;
  Reactor* ListOverdueFollowUps(Ctx* c, const v1::ListOverdueFollowUpsRequest* r,
                                v1::ListOverdueFollowUpsResponse* o) override;
  Reactor* CreateOpportunity(Ctx* c, const v1::CreateOpportunityRequest* r, v1::Opportunity* o) override;
  Reactor* GetOpportunity(Ctx* c, const v1::GetOpportunityRequest* r, v1::Opportunity* o) override;
  Reactor* ListOpportunities(Ctx* c, const v1::ListOpportunitiesRequest* r,
                             v1::ListOpportunitiesResponse* o) override;
  Reactor* UpdateOpportunity(Ctx* c, const v1::UpdateOpportunityRequest* r, v1::Opportunity* o) override;
  Reactor* DeleteOpportunity(Ctx* c, const v1::DeleteOpportunityRequest* r, Empty* o) override;
  Reactor* GetRelationshipHealth(Ctx* c, const v1::GetRelationshipHealthRequest* r,
                                 v1::RelationshipHealth* o) override;

 private:
  Relationships* const domain_;
  const Gate* const gate_;
  static constexpr const char* kService = "rapport.v1.RelationshipService";
};

}  // namespace rapport::relationships
