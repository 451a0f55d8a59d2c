// gRPC adapter of rapport.v1.SatisfactionService over satisfaction::Satisfaction.
// Each method: call the domain, convert the status (services/common/reply.h).
#pragma once

#include "services/common/call.h"
#include "rapport/v1/satisfaction.grpc.pb.h"
#include "services/satisfaction/satisfaction.h"

namespace rapport::satisfaction {

class SatisfactionGrpc final : public v1::SatisfactionService::CallbackService {
 public:
  // `domain` must outlive the adapter.
  explicit SatisfactionGrpc(Satisfaction* domain, const Gate* gate = &OpenGate())
      : domain_(domain), gate_(gate) {}

  using Ctx = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;
  using Empty = google::protobuf::Empty;

  Reactor* CreateSurvey(Ctx* c, const v1::CreateSurveyRequest* r, v1::Survey* o) override;
  Reactor* GetSurvey(Ctx* c, const v1::GetSurveyRequest* r, v1::Survey* o) override;
  Reactor* ListSurveys(Ctx* c, const v1::ListSurveysRequest* r,
                       v1::ListSurveysResponse* o) override;
  Reactor* UpdateSurvey(Ctx* c, const v1::UpdateSurveyRequest* r, v1::Survey* o) override;
  Reactor* DeleteSurvey(Ctx* c, const v1::DeleteSurveyRequest* r, Empty* o) override;
  Reactor* SubmitResponse(Ctx* c, const v1::SubmitResponseRequest* r, v1::Response* o) override;
  Reactor* GetResponse(Ctx* c, const v1::GetResponseRequest* r, v1::Response* o) override;
  Reactor* ListResponses(Ctx* c, const v1::ListResponsesRequest* r,
                         v1::ListResponsesResponse* o) override;
  Reactor* WithdrawResponse(Ctx* c, const v1::WithdrawResponseRequest* r, Empty* o) override;
  Reactor* GetScore(Ctx* c, const v1::GetScoreRequest* r, v1::Score* o) override;
  Reactor* GetTrend(Ctx* c, const v1::GetTrendRequest* r, v1::Trend* o) override;

 private:
  Satisfaction* const domain_;
  const Gate* const gate_;
  static constexpr const char* kService = "rapport.v1.SatisfactionService";
};

}  // namespace rapport::satisfaction
