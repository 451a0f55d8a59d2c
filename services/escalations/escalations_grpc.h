// gRPC adapter of rapport.v1.EscalationService over escalations::Escalations.
// Each unary method: name the caller, call the domain, convert the status
// (services/common/reply.h). WatchEscalations is a ServerWriteReactor that
// follows the domain's change log.
#pragma once

#include <atomic>

#include "services/common/call.h"
#include <string>

#include "rapport/v1/escalations.grpc.pb.h"
#include "services/escalations/escalations.h"

namespace rapport::escalations {

class EscalationsGrpc final : public v1::EscalationService::CallbackService {
 public:
  // `domain` must outlive the adapter and every stream it serves.
  explicit EscalationsGrpc(Escalations* domain, const Gate* gate = &OpenGate())
      : domain_(domain), gate_(gate) {}

  using Ctx = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;
  using Empty = google::protobuf::Empty;
  using Esc = v1::Escalation;

  Reactor* CreateEscalationPolicy(Ctx* c, const v1::CreateEscalationPolicyRequest* r,
                                  v1::EscalationPolicy* o) override;
  Reactor* GetEscalationPolicy(Ctx* c, const v1::GetEscalationPolicyRequest* r,
                               v1::EscalationPolicy* o) override;
  Reactor* ListEscalationPolicies(Ctx* c, const v1::ListEscalationPoliciesRequest* r,
                                  v1::ListEscalationPoliciesResponse* o) override;
  Reactor* UpdateEscalationPolicy(Ctx* c, const v1::UpdateEscalationPolicyRequest* r,
                                  v1::EscalationPolicy* o) override;
  Reactor* DeleteEscalationPolicy(Ctx* c, const v1::DeleteEscalationPolicyRequest* r,
                                  Empty* o) override;
  Reactor* CreateEscalation(Ctx* c, const v1::CreateEscalationRequest* r, Esc* o) override;
  Reactor* GetEscalation(Ctx* c, const v1::GetEscalationRequest* r, Esc* o) override;
  Reactor* ListEscalations(Ctx* c, const v1::ListEscalationsRequest* r,
                           v1::ListEscalationsResponse* o) override;
  Reactor* AcknowledgeEscalation(Ctx* c, const v1::AcknowledgeEscalationRequest* r,
                                 Esc* o) override;
  Reactor* EscalateEscalation(Ctx* c, const v1::EscalateEscalationRequest* r, Esc* o) override;
  Reactor* ReassignEscalation(Ctx* c, const v1::ReassignEscalationRequest* r, Esc* o) override;
  Reactor* AddEscalationNote(Ctx* c, const v1::AddEscalationNoteRequest* r, Esc* o) override;
  Reactor* HoldEscalation(Ctx* c, const v1::HoldEscalationRequest* r, Esc* o) override;
  Reactor* ResumeEscalation(Ctx* c, const v1::ResumeEscalationRequest* r, Esc* o) override;
  Reactor* ResolveEscalation(Ctx* c, const v1::ResolveEscalationRequest* r, Esc* o) override;
  Reactor* ReopenEscalation(Ctx* c, const v1::ReopenEscalationRequest* r, Esc* o) override;
  Reactor* CloseEscalation(Ctx* c, const v1::CloseEscalationRequest* r, Esc* o) override;
  Reactor* CancelEscalation(Ctx* c, const v1::CancelEscalationRequest* r, Esc* o) override;
  grpc::ServerWriteReactor<v1::EscalationChange>* WatchEscalations(
      Ctx* c, const v1::WatchEscalationsRequest* r) override;

  // Ends every watch stream (and any started later) with UNAVAILABLE, so that
  // a shutdown does not wait out its grace period for them; clients resume
  // after the last sequence they saw.
  void CloseWatches();

 private:
  Escalations* const domain_;
  const Gate* const gate_;
  std::atomic<bool> closing_{false};
  static constexpr const char* kService = "rapport.v1.EscalationService";
};

}  // namespace rapport::escalations
