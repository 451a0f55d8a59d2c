#include "services/relationships/relationships_grpc.h"

#include "services/common/reply.h"

namespace rapport::relationships {
namespace {

using Reactor = grpc::ServerUnaryReactor;

// Deletes answer google.protobuf.Empty.

}  // namespace

Reactor* RelationshipsGrpc::CreateRelationship(Ctx* c, const v1::CreateRelationshipRequest* r,
                                               v1::Relationship* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->CreateRelationship(*r, Reply(reactor, o));
  return reactor;
}

Reactor* RelationshipsGrpc::GetRelationship(Ctx* c, const v1::GetRelationshipRequest* r,
                                            v1::Relationship* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->GetRelationship(*r), o);
}

Reactor* RelationshipsGrpc::ListRelationships(Ctx* c, const v1::ListRelationshipsRequest* r,
                                              v1::ListRelationshipsResponse* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->ListRelationships(*r), o);
}

Reactor* RelationshipsGrpc::UpdateRelationship(Ctx* c, const v1::UpdateRelationshipRequest* r,
                                               v1::Relationship* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->UpdateRelationship(*r, Reply(reactor, o));
  return reactor;
}

Reactor* RelationshipsGrpc::DeleteRelationship(Ctx* c, const v1::DeleteRelationshipRequest* r,
                                               Empty*) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->DeleteRelationship(*r, ReplyEmpty(reactor));
  return reactor;
}

Reactor* RelationshipsGrpc::SearchRelationships(Ctx* c, const v1::SearchRelationshipsRequest* r,
                                                v1::ListRelationshipsResponse* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->SearchRelationships(*r), o);
}

Reactor* RelationshipsGrpc::CreateStakeholder(Ctx* c, const v1::CreateStakeholderRequest* r,
                                              v1::Stakeholder* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->CreateStakeholder(*r, Reply(reactor, o));
  return reactor;
}

Reactor* RelationshipsGrpc::GetStakeholder(Ctx* c, const v1::GetStakeholderRequest* r,
                                           v1::Stakeholder* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->GetStakeholder(*r), o);
}

Reactor* RelationshipsGrpc::ListStakeholders(Ctx* c, const v1::ListStakeholdersRequest* r,
                                             v1::ListStakeholdersResponse* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->ListStakeholders(*r), o);
}

Reactor* RelationshipsGrpc::UpdateStakeholder(Ctx* c, const v1::UpdateStakeholderRequest* r,
                                              v1::Stakeholder* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->UpdateStakeholder(*r, Reply(reactor, o));
  return reactor;
}

Reactor* RelationshipsGrpc::DeleteStakeholder(Ctx* c, const v1::DeleteStakeholderRequest* r,
                                              Empty*) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->DeleteStakeholder(*r, ReplyEmpty(reactor));
  return reactor;
}

Reactor* RelationshipsGrpc::GetStakeholderMap(Ctx* c, const v1::GetStakeholderMapRequest* r,
                                              v1::StakeholderMap* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->GetStakeholderMap(*r), o);
}

Reactor* RelationshipsGrpc::CreateInteraction(Ctx* c, const v1::CreateInteractionRequest* r,
                                              v1::Interaction* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->CreateInteraction(*r, Reply(reactor, o));
  return reactor;
}

Reactor* RelationshipsGrpc::GetInteraction(Ctx* c, const v1::GetInteractionRequest* r,
                                           v1::Interaction* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->GetInteraction(*r), o);
}

Reactor* RelationshipsGrpc::ListInteractions(Ctx* c, const v1::ListInteractionsRequest* r,
                                             v1::ListInteractionsResponse* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->ListInteractions(*r), o);
}

Reactor* RelationshipsGrpc::UpdateInteraction(Ctx* c, const v1::UpdateInteractionRequest* r,
                                              v1::Interaction* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->UpdateInteraction(*r, Reply(reactor, o));
  return reactor;
}

Reactor* RelationshipsGrpc::ListOverdueFollowUps(Ctx* c, const v1::ListOverdueFollowUpsRequest* r,
                                                 v1::ListOverdueFollowUpsResponse* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->ListOverdueFollowUps(*r), o);
}

Reactor* RelationshipsGrpc::CreateOpportunity(Ctx* c, const v1::CreateOpportunityRequest* r,
                                              v1::Opportunity* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->CreateOpportunity(*r, Reply(reactor, o));
  return reactor;
}

Reactor* RelationshipsGrpc::GetOpportunity(Ctx* c, const v1::GetOpportunityRequest* r,
                                           v1::Opportunity* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->GetOpportunity(*r), o);
}

Reactor* RelationshipsGrpc::ListOpportunities(Ctx* c, const v1::ListOpportunitiesRequest* r,
                                              v1::ListOpportunitiesResponse* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->ListOpportunities(*r), o);
}

Reactor* RelationshipsGrpc::UpdateOpportunity(Ctx* c, const v1::UpdateOpportunityRequest* r,
                                              v1::Opportunity* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->UpdateOpportunity(*r, Reply(reactor, o));
  return reactor;
}

Reactor* RelationshipsGrpc::DeleteOpportunity(Ctx* c, const v1::DeleteOpportunityRequest* r,
                                              Empty*) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->DeleteOpportunity(*r, ReplyEmpty(reactor));
  return reactor;
}

Reactor* RelationshipsGrpc::GetRelationshipHealth(Ctx* c, const v1::GetRelationshipHealthRequest* r,
                                                  v1::RelationshipHealth* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->GetRelationshipHealth(*r, Reply(reactor, o));
  return reactor;
}

}  // namespace rapport::relationships
