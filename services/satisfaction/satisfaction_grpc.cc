#include "services/satisfaction/satisfaction_grpc.h"

#include "services/common/reply.h"

namespace rapport::satisfaction {
namespace {

using Reactor = grpc::ServerUnaryReactor;

// Deletes and withdrawals answer google.protobuf.Empty.

}  // namespace

Reactor* SatisfactionGrpc::CreateSurvey(Ctx* c, const v1::CreateSurveyRequest* r, v1::Survey* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->CreateSurvey(*r, Reply(reactor, o));
  return reactor;
}

Reactor* SatisfactionGrpc::GetSurvey(Ctx* c, const v1::GetSurveyRequest* r, v1::Survey* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->GetSurvey(*r), o);
}

Reactor* SatisfactionGrpc::ListSurveys(Ctx* c, const v1::ListSurveysRequest* r,
                                       v1::ListSurveysResponse* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->ListSurveys(*r), o);
}

Reactor* SatisfactionGrpc::UpdateSurvey(Ctx* c, const v1::UpdateSurveyRequest* r, v1::Survey* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->UpdateSurvey(*r, Reply(reactor, o));
  return reactor;
}

Reactor* SatisfactionGrpc::DeleteSurvey(Ctx* c, const v1::DeleteSurveyRequest* r, Empty*) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->DeleteSurvey(*r, ReplyEmpty(reactor));
  return reactor;
}

Reactor* SatisfactionGrpc::SubmitResponse(Ctx* c, const v1::SubmitResponseRequest* r,
                                          v1::Response* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->SubmitResponse(*r, Reply(reactor, o));
  return reactor;
}

Reactor* SatisfactionGrpc::GetResponse(Ctx* c, const v1::GetResponseRequest* r, v1::Response* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->GetResponse(*r), o);
}

Reactor* SatisfactionGrpc::ListResponses(Ctx* c, const v1::ListResponsesRequest* r,
                                         v1::ListResponsesResponse* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->ListResponses(*r), o);
}

Reactor* SatisfactionGrpc::WithdrawResponse(Ctx* c, const v1::WithdrawResponseRequest* r, Empty*) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->WithdrawResponse(*r, ReplyEmpty(reactor));
  return reactor;
}

Reactor* SatisfactionGrpc::GetScore(Ctx* c, const v1::GetScoreRequest* r, v1::Score* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->GetScore(*r), o);
}

Reactor* SatisfactionGrpc::GetTrend(Ctx* c, const v1::GetTrendRequest* r, v1::Trend* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->GetTrend(*r), o);
}

}  // namespace rapport::satisfaction
