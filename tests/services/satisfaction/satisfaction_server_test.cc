// The satisfaction service as rapportd wires it (RapportServer in-process, a
// fake clock, a temporary store): served and healthy, checking services and
// relationships against the catalog and the register, feeding relationship
// health, logging a detractor's comment as survey feedback on the
// relationship, and exporting its metrics.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "rapport/v1/escalations.grpc.pb.h"
#include "rapport/v1/relationships.grpc.pb.h"
#include "rapport/v1/satisfaction.grpc.pb.h"
#include "rapport/v1/sla.grpc.pb.h"
#include "server/server.h"
#include "services/common/proto_time.h"
#include "services/common/resource.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

using ::grpc::StatusCode;
using ::rapport::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kT0 =
    absl::FromCivil(absl::CivilSecond(2026, 11, 20, 12, 0, 0), absl::UTCTimeZone());

class SatisfactionServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(/*escalate_detractors=*/false); }

  void Start(bool escalate_detractors, bool escalate_complaints = false) {
    ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.metrics_listen = "";
    config.data_dir = dir_.Sub("data");
    config.clock = &clock_;
    config.per_relationship_metrics = true;
    config.escalate_detractors = escalate_detractors;
    config.escalate_complaints = escalate_complaints;
    config.default_escalation_policy = "escalation_policies/oncall";
    server_.reset();
    ASSERT_OK_AND_ASSIGN(server_, RapportServer::Start(config));
    auto channel = server_->InProcessChannel();
    satisfaction_ = v1::SatisfactionService::NewStub(channel);
    relationships_ = v1::RelationshipService::NewStub(channel);
    catalog_ = v1::SlaCatalogService::NewStub(channel);
    escalations_ = v1::EscalationService::NewStub(channel);
    health_ = grpc::health::v1::Health::NewStub(channel);
  }

  grpc::Status CreateRelationship(const std::string& id) {
    grpc::ClientContext ctx;
    v1::CreateRelationshipRequest request;
    request.set_relationship_id(id);
    request.mutable_relationship()->set_display_name(id);
    request.mutable_relationship()->set_kind(v1::Relationship::EXTERNAL_CUSTOMER);
    v1::Relationship out;
    return relationships_->CreateRelationship(&ctx, request, &out);
  }

  void CreatePolicy() {
    grpc::ClientContext ctx;
    v1::CreateEscalationPolicyRequest request;
    request.set_policy_id("oncall");
    request.mutable_policy()->set_display_name("On call");
    auto* level = request.mutable_policy()->add_levels();
    level->set_name("l1");
    level->add_targets("team-service-desk");
    level->mutable_ack_wait()->set_seconds(600);
    v1::EscalationPolicy out;
    ASSERT_OK(escalations_->CreateEscalationPolicy(&ctx, request, &out));
  }

  grpc::Status CreateSurvey(const std::string& service, const std::string& relationship) {
    grpc::ClientContext ctx;
    v1::CreateSurveyRequest request;
    request.set_survey_id("pulse");
    auto* s = request.mutable_survey();
    s->set_display_name("Pulse");
    s->set_question("How likely are you to recommend IT?");
    s->set_kind(v1::Survey::NPS);
    s->set_state(v1::Survey::OPEN);
    s->set_service(service);
    s->set_relationship(relationship);
    v1::Survey out;
    return satisfaction_->CreateSurvey(&ctx, request, &out);
  }

  grpc::Status Submit(const std::string& respondent, int score, const std::string& comment,
                      const std::string& response_id = "") {
    grpc::ClientContext ctx;
    v1::SubmitResponseRequest request;
    request.set_parent("surveys/pulse");
    request.set_respondent(respondent);
    request.set_response_id(response_id);
    request.mutable_response()->set_score(score);
    request.mutable_response()->set_comment(comment);
    *request.mutable_response()->mutable_submit_time() = ToProtoTime(kT0 - absl::Hours(24));
    v1::Response out;
    return satisfaction_->SubmitResponse(&ctx, request, &out);
  }

  testing::TempDir dir_;
  FakeClock clock_{kT0};
  std::unique_ptr<RapportServer> server_;
  std::unique_ptr<v1::SatisfactionService::Stub> satisfaction_;
  std::unique_ptr<v1::RelationshipService::Stub> relationships_;
  std::unique_ptr<v1::SlaCatalogService::Stub> catalog_;
  std::unique_ptr<v1::EscalationService::Stub> escalations_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

TEST_F(SatisfactionServerTest, ServedWithReferencesHealthFeedbackAndMetrics) {
  {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service("rapport.v1.SatisfactionService");
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_OK(health_->Check(&ctx, request, &response));
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
  {
    grpc::ClientContext ctx;
    v1::CreateServiceRequest request;
    request.set_service_id("email");
    request.mutable_service()->set_display_name("E-mail");
    v1::Service out;
    ASSERT_OK(catalog_->CreateService(&ctx, request, &out));
  }
  ASSERT_OK(CreateRelationship("acme"));
  // Names are checked against the catalog and the register.
  EXPECT_THAT(CreateSurvey("services/nope", ""),
              StatusIs(StatusCode::NOT_FOUND, HasSubstr("survey.service services/nope")));
  EXPECT_THAT(CreateSurvey("", "relationships/nope"),
              StatusIs(StatusCode::NOT_FOUND, HasSubstr("survey.relationship relationships/nope")));
  ASSERT_OK(CreateSurvey("services/email", "relationships/acme"));
  ASSERT_OK(Submit("person-0", 2, "The VPN drops every hour"));
  ASSERT_OK(Submit("person-1", 10, ""));
  ASSERT_OK(Submit("person-2", 10, ""));

  // The detractor's comment is logged on the relationship, in its own write
  // right after the answer's.
  std::vector<v1::Interaction> feedback;
  for (int attempt = 0; attempt < 100 && feedback.empty(); ++attempt) {
    grpc::ClientContext ctx;
    v1::ListInteractionsRequest request;
    request.set_parent("relationships/acme");
    v1::ListInteractionsResponse response;
    ASSERT_OK(relationships_->ListInteractions(&ctx, request, &response));
    for (const auto& in : response.interactions()) {
      if (in.kind() == v1::Interaction::SURVEY_FEEDBACK) feedback.push_back(in);
    }
    if (feedback.empty()) absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(feedback.size(), 1u);
  EXPECT_THAT(feedback[0].summary(), HasSubstr("The VPN drops every hour"));
  EXPECT_EQ(feedback[0].sentiment(), -2);
  EXPECT_EQ(FromProtoTime(feedback[0].occur_time()), kT0 - absl::Hours(24));

  // Relationship health reads NPS over 180 days: 2 promoters, 1 detractor.
  {
    grpc::ClientContext ctx;
    v1::GetRelationshipHealthRequest request;
    request.set_relationship("relationships/acme");
    v1::RelationshipHealth health;
    ASSERT_OK(relationships_->GetRelationshipHealth(&ctx, request, &health));
    bool found = false;
    for (const auto& c : health.components()) {
      if (c.kind() != v1::RelationshipHealth::Component::NPS) continue;
      found = true;
      EXPECT_THAT(c.reason(), HasSubstr("NPS +33 from 3 answers"));
    }
    EXPECT_TRUE(found);
  }

  const std::string text = server_->metrics().Render();
  EXPECT_THAT(
      text, HasSubstr("rapport_satisfaction_answers_total{category=\"DETRACTOR\",kind=\"NPS\"} 1"));
  EXPECT_THAT(
      text, HasSubstr("rapport_satisfaction_answers_total{category=\"PROMOTER\",kind=\"NPS\"} 2"));
  EXPECT_THAT(text, HasSubstr("rapport_satisfaction_nps{service=\"email\",window=\"30d\"} 33.3"));
  EXPECT_THAT(text, HasSubstr("rapport_satisfaction_overall_nps{window=\"90d\"} 33.3"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "rapport_satisfaction_relationship_nps{relationship=\"acme\",window=\"30d\"} 33.3"));
}

TEST_F(SatisfactionServerTest, ASurveyWhoseRelationshipWasDeletedTakesNoAnswers) {
  ASSERT_OK(CreateRelationship("gone"));
  ASSERT_OK(CreateSurvey("", "relationships/gone"));
  {
    grpc::ClientContext ctx;
    v1::DeleteRelationshipRequest request;
    request.set_name("relationships/gone");
    google::protobuf::Empty out;
    ASSERT_OK(relationships_->DeleteRelationship(&ctx, request, &out));
  }
  // A promoter and a detractor without a comment are refused alike (before,
  // only a detractor's comment, logged on the relationship, failed: the
  // survey's score counted only its other answers).
  EXPECT_THAT(Submit("person-0", 9, ""),
              StatusIs(StatusCode::NOT_FOUND,
                       HasSubstr("surveys/pulse's relationship relationships/gone does not exist")));
  EXPECT_THAT(Submit("person-1", 2, "meh"), StatusIs(StatusCode::NOT_FOUND));
  grpc::ClientContext ctx;
  v1::ListResponsesRequest list;
  list.set_parent("surveys/pulse");
  v1::ListResponsesResponse listed;
  ASSERT_OK(satisfaction_->ListResponses(&ctx, list, &listed));
  EXPECT_EQ(listed.responses_size(), 0);
}

TEST_F(SatisfactionServerTest, WithdrawalRemovesTheFeedbackLoggedFromTheAnswer) {
  ASSERT_OK(CreateRelationship("acme"));
  ASSERT_OK(CreateSurvey("", "relationships/acme"));
  {
    grpc::ClientContext ctx;
    v1::CreateInteractionRequest request;
    request.set_parent("relationships/acme");
    request.set_interaction_id("kick-off");
    request.mutable_interaction()->set_kind(v1::Interaction::MEETING);
    *request.mutable_interaction()->mutable_occur_time() = ToProtoTime(kT0 - absl::Hours(48));
    request.mutable_interaction()->set_summary("Kick-off");
    v1::Interaction out;
    ASSERT_OK(relationships_->CreateInteraction(&ctx, request, &out));
  }
  ASSERT_OK(Submit("person-0", 2, "The VPN drops every hour", "r-0"));
  auto interactions = [&] {
    grpc::ClientContext ctx;
    v1::ListInteractionsRequest request;
    request.set_parent("relationships/acme");
    v1::ListInteractionsResponse response;
    EXPECT_OK(relationships_->ListInteractions(&ctx, request, &response));
    return response;
  };
  auto relationship = [&] {
    grpc::ClientContext ctx;
    v1::GetRelationshipRequest request;
    request.set_name("relationships/acme");
    v1::Relationship out;
    EXPECT_OK(relationships_->GetRelationship(&ctx, request, &out));
    return out;
  };
  // The feedback (submitted a day before kT0) is the latest contact.
  ASSERT_EQ(interactions().interactions_size(), 2);
  EXPECT_EQ(interactions().interactions(0).kind(), v1::Interaction::SURVEY_FEEDBACK);
  EXPECT_THAT(interactions().interactions(0).summary(), HasSubstr("The VPN drops every hour"));
  EXPECT_EQ(FromProtoTime(relationship().last_interaction_time()), kT0 - absl::Hours(24));

  {
    grpc::ClientContext ctx;
    v1::WithdrawResponseRequest request;
    request.set_name("surveys/pulse/responses/r-0");
    google::protobuf::Empty empty;
    ASSERT_OK(satisfaction_->WithdrawResponse(&ctx, request, &empty));
  }
  // Only the meeting is left, and it is the latest contact again.
  const v1::ListInteractionsResponse left = interactions();
  ASSERT_EQ(left.interactions_size(), 1);
  EXPECT_EQ(left.interactions(0).name(), "relationships/acme/interactions/kick-off");
  const v1::Relationship r = relationship();
  EXPECT_EQ(FromProtoTime(r.last_interaction_time()), kT0 - absl::Hours(48));
  EXPECT_EQ(FromProtoTime(r.last_review_time()), kT0 - absl::Hours(48));
  // Withdrawing it again changes nothing.
  {
    grpc::ClientContext ctx;
    v1::WithdrawResponseRequest request;
    request.set_name("surveys/pulse/responses/r-0");
    google::protobuf::Empty empty;
    ASSERT_OK(satisfaction_->WithdrawResponse(&ctx, request, &empty));
  }
  EXPECT_EQ(interactions().interactions_size(), 1);
}

TEST_F(SatisfactionServerTest, DetractorCommentsOpenEscalationsInTheAnswersWriteWhenAsked) {
  Start(/*escalate_detractors=*/true);
  CreatePolicy();
  ASSERT_OK(CreateRelationship("acme"));
  ASSERT_OK(CreateSurvey("", "relationships/acme"));
  ASSERT_OK(Submit("person-0", 1, "Nobody answers the phone", "r-0"));
  ASSERT_OK(Submit("person-0", 1, "Nobody answers the phone", "r-0"));  // A retry.
  ASSERT_OK(Submit("person-1", 3, ""));                                 // No comment.
  ASSERT_OK(Submit("person-2", 8, "Fine"));                             // Passive.
  grpc::ClientContext ctx;
  v1::ListEscalationsRequest request;
  request.set_relationship("relationships/acme");
  v1::ListEscalationsResponse response;
  ASSERT_OK(escalations_->ListEscalations(&ctx, request, &response));
  ASSERT_EQ(response.escalations_size(), 1);
  const v1::Escalation& e = response.escalations(0);
  EXPECT_EQ(e.source(), v1::Escalation::LOW_SATISFACTION);
  EXPECT_EQ(e.title(), "Detractor (score 1) on Pulse");
  EXPECT_EQ(e.description(), "Nobody answers the phone");

  // Withdrawn (a data-protection request): the escalation stops quoting it.
  {
    grpc::ClientContext withdraw_ctx;
    v1::WithdrawResponseRequest withdraw;
    withdraw.set_name("surveys/pulse/responses/r-0");
    google::protobuf::Empty empty;
    ASSERT_OK(satisfaction_->WithdrawResponse(&withdraw_ctx, withdraw, &empty));
  }
  grpc::ClientContext get_ctx;
  v1::GetEscalationRequest get;
  get.set_name(e.name());
  v1::Escalation redacted;
  ASSERT_OK(escalations_->GetEscalation(&get_ctx, get, &redacted));
  EXPECT_EQ(redacted.description(), "");
  EXPECT_EQ(redacted.title(), "Detractor (score 1) on Pulse");
  const auto& last = redacted.timeline(redacted.timeline_size() - 1);
  EXPECT_EQ(last.actor(), "system");
  EXPECT_EQ(last.action(), v1::EscalationTimelineEntry::NOTE_ADDED);
  EXPECT_THAT(last.note(), HasSubstr("surveys/pulse/responses/r-0"));
  EXPECT_THAT(last.note(), Not(HasSubstr("Nobody answers")));
}

TEST_F(SatisfactionServerTest, ComplaintsOpenEscalationsInTheirWriteWhenAsked) {
  auto complain = [&](const std::string& id, int sentiment,
                      const std::string& summary = "Invoices arrive late every month") {
    grpc::ClientContext ctx;
    v1::CreateInteractionRequest request;
    request.set_parent("relationships/acme");
    request.set_interaction_id(id);
    auto* in = request.mutable_interaction();
    in->set_kind(v1::Interaction::COMPLAINT);
    *in->mutable_occur_time() = ToProtoTime(kT0 - absl::Hours(1));
    in->set_summary(summary);
    in->set_sentiment(sentiment);
    v1::Interaction out;
    return relationships_->CreateInteraction(&ctx, request, &out);
  };
  auto escalations = [&] {
    grpc::ClientContext ctx;
    v1::ListEscalationsRequest request;
    request.set_relationship("relationships/acme");
    v1::ListEscalationsResponse response;
    EXPECT_OK(escalations_->ListEscalations(&ctx, request, &response));
    return response;
  };
  // Not asked: a complaint is only logged.
  ASSERT_OK(CreateRelationship("acme"));
  ASSERT_OK(complain("c0", -1));
  EXPECT_EQ(escalations().escalations_size(), 0);

  Start(/*escalate_detractors=*/false, /*escalate_complaints=*/true);
  // Without the policy no escalation can be opened, but the complaint is
  // still logged: the customer's word is not lost to a configuration slip.
  ASSERT_OK(complain("c1", -2));
  {
    grpc::ClientContext ctx;
    v1::GetInteractionRequest get;
    get.set_name("relationships/acme/interactions/c1");
    v1::Interaction out;
    EXPECT_OK(relationships_->GetInteraction(&ctx, get, &out));
  }
  EXPECT_EQ(escalations().escalations_size(), 0);
  CreatePolicy();
  ASSERT_OK(complain("c2", -2));
  auto response = escalations();
  ASSERT_EQ(response.escalations_size(), 1);
  const v1::Escalation e = response.escalations(0);
  EXPECT_EQ(e.source(), v1::Escalation::COMPLAINT);
  EXPECT_EQ(e.severity(), v1::SEV2);
  EXPECT_EQ(e.type(), v1::Escalation::HIERARCHICAL);
  EXPECT_EQ(e.title(), "Complaint: Invoices arrive late every month");

  // A long complaint in a script of two-byte letters: its title is cut
  // between letters, to 80 characters of which the last is a mark.
  std::string long_summary;
  for (int i = 0; i < 100; ++i) long_summary += "\xc3\xa4";  // ä
  ASSERT_OK(complain("c3", -1, long_summary));
  response = escalations();
  ASSERT_EQ(response.escalations_size(), 2);
  for (const auto& opened : response.escalations()) {
    if (opened.name() == e.name()) continue;
    EXPECT_EQ(opened.title(), "Complaint: " + long_summary.substr(0, 2 * 79) + "\u2026");
    EXPECT_EQ(opened.description(), long_summary);
  }
}

TEST_F(SatisfactionServerTest, ADetractorsLongCommentAndSurveyNameAreCutToFit) {
  Start(/*escalate_detractors=*/true);
  CreatePolicy();
  ASSERT_OK(CreateRelationship("acme"));
  {
    grpc::ClientContext ctx;
    v1::CreateSurveyRequest request;
    request.set_survey_id("pulse");
    auto* s = request.mutable_survey();
    s->set_display_name(std::string(200, 'P'));  // As long as a name may be.
    s->set_question("How likely are you to recommend IT?");
    s->set_kind(v1::Survey::NPS);
    s->set_state(v1::Survey::OPEN);
    s->set_relationship("relationships/acme");
    v1::Survey out;
    ASSERT_OK(satisfaction_->CreateSurvey(&ctx, request, &out));
  }
  ASSERT_OK(Submit("person-0", 0, std::string(5000, 'c'), "r-0"));
  grpc::ClientContext ctx;
  v1::ListEscalationsRequest request;
  request.set_relationship("relationships/acme");
  v1::ListEscalationsResponse response;
  ASSERT_OK(escalations_->ListEscalations(&ctx, request, &response));
  ASSERT_EQ(response.escalations_size(), 1);
  EXPECT_EQ(Utf8Length(response.escalations(0).title()), 200);
  EXPECT_THAT(response.escalations(0).title(), ::testing::StartsWith("Detractor (score 0) on PPP"));
  grpc::ClientContext list_ctx;
  v1::ListInteractionsRequest interactions;
  interactions.set_parent("relationships/acme");
  v1::ListInteractionsResponse logged;
  ASSERT_OK(relationships_->ListInteractions(&list_ctx, interactions, &logged));
  ASSERT_EQ(logged.interactions_size(), 1);
  EXPECT_EQ(Utf8Length(logged.interactions(0).summary()), 5000);
}

}  // namespace
}  // namespace rapport
