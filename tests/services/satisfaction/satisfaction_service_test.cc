// rapport.v1.SatisfactionService through a real gRPC server in-process: the
// adapter registered on its own ServerBuilder over a store in a temporary
// directory, with a fake clock. Every RPC, the validation errors (each naming
// its field), formulas, DST edges, recontact, idempotency and withdrawals.
#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "rapport/v1/satisfaction.grpc.pb.h"
#include "services/common/proto_time.h"
#include "services/satisfaction/satisfaction.h"
#include "services/satisfaction/satisfaction_grpc.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport::satisfaction {
namespace {

using ::grpc::StatusCode;
using ::rapport::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::TimeZone kUtc = absl::UTCTimeZone();

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), kUtc);
}

// The last part of a resource name.
std::string IdOf(const std::string& name) { return name.substr(name.rfind('/') + 1); }

// Services and relationships the other services would know.
class KnownReferences final : public References {
 public:
  absl::Status CheckService(absl::string_view field, absl::string_view name) const override {
    if (name == "services/email" || name == "services/erp") return absl::OkStatus();
    return absl::NotFoundError(absl::StrCat(field, " ", name, " does not exist"));
  }
  absl::Status CheckRelationship(absl::string_view field, absl::string_view name) const override {
    if (name == "relationships/acme" || name == "relationships/globex") return absl::OkStatus();
    return absl::NotFoundError(absl::StrCat(field, " ", name, " does not exist"));
  }
};

class SatisfactionServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StoreOptions options;
    options.data_dir = dir_.Sub("data");
    ASSERT_OK_AND_ASSIGN(store_, storage::Store::Open(options));
    ASSERT_OK_AND_ASSIGN(domain_, Satisfaction::Open(store_.get(), &clock_, &references_));
    adapter_ = std::make_unique<SatisfactionGrpc>(domain_.get());
    grpc::ServerBuilder builder;
    builder.RegisterService(adapter_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::SatisfactionService::NewStub(server_->InProcessChannel(grpc::ChannelArguments()));
  }

  void TearDown() override {
    stub_.reset();
    server_->Shutdown();
    server_.reset();
    adapter_.reset();
    domain_.reset();
    store_.reset();
  }

  static v1::Survey NewSurvey(v1::Survey::Kind kind, v1::Survey::State state = v1::Survey::OPEN) {
    v1::Survey s;
    s.set_display_name("Quarterly pulse");
    s.set_question("How likely are you to recommend IT to a colleague?");
    s.set_kind(kind);
    s.set_state(state);
    return s;
  }

  grpc::Status CreateSurvey(const v1::Survey& s, const std::string& id, v1::Survey* out = nullptr,
                            const std::string& request_id = "") {
    grpc::ClientContext ctx;
    v1::CreateSurveyRequest request;
    *request.mutable_survey() = s;
    request.set_survey_id(id);
    request.set_request_id(request_id);
    v1::Survey ignored;
    return stub_->CreateSurvey(&ctx, request, out != nullptr ? out : &ignored);
  }

  grpc::Status UpdateSurvey(const v1::Survey& s, std::vector<std::string> paths,
                            v1::Survey* out = nullptr) {
    grpc::ClientContext ctx;
    v1::UpdateSurveyRequest request;
    *request.mutable_survey() = s;
    for (auto& p : paths) request.mutable_update_mask()->add_paths(p);
    v1::Survey ignored;
    return stub_->UpdateSurvey(&ctx, request, out != nullptr ? out : &ignored);
  }

  grpc::Status SetState(const std::string& survey, v1::Survey::State state) {
    v1::Survey s;
    s.set_name(survey);
    s.set_state(state);
    return UpdateSurvey(s, {"state"});
  }

  grpc::Status Submit(const std::string& survey, const std::string& respondent,
                      std::optional<int> score, absl::Time at, v1::Response* out = nullptr,
                      const std::string& response_id = "",
                      const std::function<void(v1::Response*)>& fill = nullptr) {
    grpc::ClientContext ctx;
    v1::SubmitResponseRequest request;
    request.set_parent(survey);
    request.set_respondent(respondent);
    request.set_response_id(response_id);
    if (score) request.mutable_response()->set_score(*score);
    *request.mutable_response()->mutable_submit_time() = ToProtoTime(at);
    if (fill) fill(request.mutable_response());
    v1::Response ignored;
    return stub_->SubmitResponse(&ctx, request, out != nullptr ? out : &ignored);
  }

  grpc::Status Withdraw(const std::string& name) {
    grpc::ClientContext ctx;
    v1::WithdrawResponseRequest request;
    request.set_name(name);
    google::protobuf::Empty empty;
    return stub_->WithdrawResponse(&ctx, request, &empty);
  }

  grpc::Status Score(v1::GetScoreRequest request, v1::Score* out) {
    grpc::ClientContext ctx;
    return stub_->GetScore(&ctx, request, out);
  }

  grpc::Status Trend(v1::GetTrendRequest request, v1::Trend* out) {
    grpc::ClientContext ctx;
    return stub_->GetTrend(&ctx, request, out);
  }

  v1::Score MustScore(const std::string& scope, absl::Time start, absl::Time end) {
    v1::GetScoreRequest request;
    request.set_scope(scope);
    *request.mutable_start_time() = ToProtoTime(start);
    *request.mutable_end_time() = ToProtoTime(end);
    v1::Score out;
    EXPECT_OK(Score(request, &out));
    return out;
  }

  std::vector<std::string> ListNames(v1::ListResponsesRequest request) {
    std::vector<std::string> names;
    for (;;) {
      grpc::ClientContext ctx;
      v1::ListResponsesResponse response;
      const grpc::Status status = stub_->ListResponses(&ctx, request, &response);
      EXPECT_OK(status);
      if (!status.ok()) break;
      for (const auto& r : response.responses()) names.push_back(r.name());
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return names;
  }

  testing::TempDir dir_;
  FakeClock clock_{Utc(2026, 11, 20, 12)};
  KnownReferences references_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Satisfaction> domain_;
  std::unique_ptr<SatisfactionGrpc> adapter_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::SatisfactionService::Stub> stub_;
};

TEST_F(SatisfactionServiceTest, SurveysCreateGetListUpdateDelete) {
  v1::Survey created;
  v1::Survey in = NewSurvey(v1::Survey::NPS, v1::Survey::STATE_UNSPECIFIED);
  in.set_service("services/email");
  ASSERT_OK(CreateSurvey(in, "pulse", &created, "req-1"));
  EXPECT_EQ(created.name(), "surveys/pulse");
  EXPECT_EQ(created.state(), v1::Survey::DRAFT);
  EXPECT_EQ(created.recontact_limit_days(), 30);
  EXPECT_EQ(created.etag(), "1");
  EXPECT_EQ(FromProtoTime(created.create_time()), clock_.Now());
  // A retry with the same request_id returns the first result.
  v1::Survey again;
  ASSERT_OK(CreateSurvey(in, "pulse", &again, "req-1"));
  EXPECT_EQ(again.SerializeAsString(), created.SerializeAsString());
  EXPECT_THAT(CreateSurvey(in, "pulse"),
              StatusIs(StatusCode::ALREADY_EXISTS, HasSubstr("surveys/pulse")));
  v1::Survey generated;
  ASSERT_OK(CreateSurvey(NewSurvey(v1::Survey::CSAT), "", &generated));
  EXPECT_THAT(generated.name(), ::testing::MatchesRegex("surveys/[a-z2-7]{16}"));
  v1::Survey ces = NewSurvey(v1::Survey::CES, v1::Survey::CLOSED);
  ces.set_recontact_limit_days(0);
  ASSERT_OK(CreateSurvey(ces, "effort"));

  {
    grpc::ClientContext ctx;
    v1::GetSurveyRequest request;
    request.set_name("surveys/pulse");
    v1::Survey read;
    ASSERT_OK(stub_->GetSurvey(&ctx, request, &read));
    EXPECT_EQ(read.SerializeAsString(), created.SerializeAsString());
  }
  {
    grpc::ClientContext ctx;
    v1::GetSurveyRequest request;
    request.set_name("surveys/nope");
    v1::Survey read;
    EXPECT_THAT(stub_->GetSurvey(&ctx, request, &read),
                StatusIs(StatusCode::NOT_FOUND, HasSubstr("surveys/nope")));
  }
  auto list = [&](v1::ListSurveysRequest request) {
    std::vector<std::string> names;
    for (;;) {
      grpc::ClientContext ctx;
      v1::ListSurveysResponse response;
      EXPECT_OK(stub_->ListSurveys(&ctx, request, &response));
      for (const auto& s : response.surveys()) names.push_back(s.name());
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return names;
  };
  v1::ListSurveysRequest request;
  request.set_page_size(1);
  const auto all = list(request);
  EXPECT_THAT(all,
              ::testing::UnorderedElementsAre("surveys/effort", generated.name(), "surveys/pulse"));
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  request.set_state(v1::Survey::OPEN);
  EXPECT_THAT(list(request), ElementsAre(generated.name()));
  request.set_state(v1::Survey::STATE_UNSPECIFIED);
  request.set_kind(v1::Survey::CES);
  EXPECT_THAT(list(request), ElementsAre("surveys/effort"));

  // Updates: kind and scope only while DRAFT; states move as documented.
  v1::Survey change;
  change.set_name("surveys/pulse");
  change.set_kind(v1::Survey::CSAT);
  change.set_question("How satisfied are you?");
  change.set_etag("1");
  v1::Survey updated;
  ASSERT_OK(UpdateSurvey(change, {"kind", "question"}, &updated));
  EXPECT_EQ(updated.kind(), v1::Survey::CSAT);
  EXPECT_EQ(updated.etag(), "2");
  EXPECT_THAT(UpdateSurvey(change, {"question"}), StatusIs(StatusCode::ABORTED, HasSubstr("etag")));
  ASSERT_OK(SetState("surveys/pulse", v1::Survey::OPEN));
  change.set_etag("");
  change.set_kind(v1::Survey::NPS);
  EXPECT_THAT(
      UpdateSurvey(change, {"kind"}),
      StatusIs(StatusCode::FAILED_PRECONDITION, HasSubstr("survey.kind can change only while")));
  change.set_service("services/erp");
  EXPECT_THAT(UpdateSurvey(change, {"service"}),
              StatusIs(StatusCode::FAILED_PRECONDITION, HasSubstr("survey.service")));
  change.set_service("services/unknown");
  EXPECT_THAT(UpdateSurvey(change, {"service"}),
              StatusIs(StatusCode::NOT_FOUND, HasSubstr("survey.service services/unknown")));
  EXPECT_THAT(SetState("surveys/pulse", v1::Survey::DRAFT),
              StatusIs(StatusCode::INVALID_ARGUMENT,
                       HasSubstr("survey.state cannot move from OPEN to DRAFT")));
  EXPECT_THAT(UpdateSurvey(change, {"etag"}),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("update_mask")));
  change.set_recontact_limit_days(4000);
  EXPECT_THAT(UpdateSurvey(change, {"recontact_limit_days"}),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("survey.recontact_limit_days")));

  // Delete: not while OPEN, not with answers.
  auto remove = [&](const std::string& name) {
    grpc::ClientContext ctx;
    v1::DeleteSurveyRequest request;
    request.set_name(name);
    google::protobuf::Empty empty;
    return stub_->DeleteSurvey(&ctx, request, &empty);
  };
  v1::Response answer;
  ASSERT_OK(Submit("surveys/pulse", "jane", 4, clock_.Now(), &answer));
  EXPECT_THAT(remove("surveys/pulse"),
              StatusIs(StatusCode::FAILED_PRECONDITION, HasSubstr("OPEN")));
  ASSERT_OK(SetState("surveys/pulse", v1::Survey::CLOSED));
  EXPECT_THAT(remove("surveys/pulse"),
              StatusIs(StatusCode::FAILED_PRECONDITION, HasSubstr("answers")));
  ASSERT_OK(Withdraw(answer.name()));
  ASSERT_OK(remove("surveys/pulse"));
  EXPECT_THAT(remove("surveys/pulse"), StatusIs(StatusCode::NOT_FOUND));
  // Recreated, it starts without answers, but the withdrawn answer's id is
  // still never accepted again (a portal retrying an old submission must
  // not bring back an answer removed for data protection).
  ASSERT_OK(CreateSurvey(NewSurvey(v1::Survey::NPS), "pulse"));
  EXPECT_THAT(Submit("surveys/pulse", "jane", 4, clock_.Now(), nullptr, IdOf(answer.name())),
              StatusIs(StatusCode::FAILED_PRECONDITION, HasSubstr("was withdrawn")));
  ASSERT_OK(Submit("surveys/pulse", "jane", 4, clock_.Now(), nullptr, "another"));
}

TEST_F(SatisfactionServiceTest, BadSurveysAreRefusedNamingTheField) {
  v1::Survey s = NewSurvey(v1::Survey::NPS);
  s.set_display_name("");
  EXPECT_THAT(CreateSurvey(s, "a"),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("survey.display_name")));
  s = NewSurvey(v1::Survey::KIND_UNSPECIFIED);
  EXPECT_THAT(CreateSurvey(s, "a"),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("survey.kind is required")));
  s = NewSurvey(static_cast<v1::Survey::Kind>(9));
  EXPECT_THAT(CreateSurvey(s, "a"),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("survey.kind")));
  s = NewSurvey(v1::Survey::NPS);
  s.set_question("");
  EXPECT_THAT(CreateSurvey(s, "a"),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("survey.question")));
  s = NewSurvey(v1::Survey::NPS);
  s.set_service("email");
  EXPECT_THAT(CreateSurvey(s, "a"),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("survey.service")));
  s.set_service("services/nope");
  EXPECT_THAT(CreateSurvey(s, "a"),
              StatusIs(StatusCode::NOT_FOUND, HasSubstr("survey.service services/nope")));
  s = NewSurvey(v1::Survey::NPS);
  s.set_relationship("relationships/nope");
  EXPECT_THAT(CreateSurvey(s, "a"),
              StatusIs(StatusCode::NOT_FOUND, HasSubstr("survey.relationship relationships/nope")));
  s = NewSurvey(v1::Survey::NPS);
  s.set_recontact_limit_days(-1);
  EXPECT_THAT(CreateSurvey(s, "a"),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("survey.recontact_limit_days")));
  EXPECT_THAT(CreateSurvey(NewSurvey(v1::Survey::NPS), "Bad_Id"),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("survey_id")));
  grpc::ClientContext ctx;
  v1::ListSurveysRequest list;
  list.set_page_size(-1);
  v1::ListSurveysResponse page;
  EXPECT_THAT(stub_->ListSurveys(&ctx, list, &page),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("page_size")));
}

TEST_F(SatisfactionServiceTest, SubmitGetAndBadAnswersWriteNothing) {
  v1::Survey nps = NewSurvey(v1::Survey::NPS);
  nps.set_service("services/email");
  ASSERT_OK(CreateSurvey(nps, "nps"));
  ASSERT_OK(CreateSurvey(NewSurvey(v1::Survey::CSAT), "csat"));
  ASSERT_OK(CreateSurvey(NewSurvey(v1::Survey::CES), "ces"));
  ASSERT_OK(CreateSurvey(NewSurvey(v1::Survey::NPS, v1::Survey::DRAFT), "draft"));
  ASSERT_OK(CreateSurvey(NewSurvey(v1::Survey::NPS, v1::Survey::CLOSED), "closed"));

  v1::Response r;
  const absl::Time at = clock_.Now() - absl::Hours(2);
  ASSERT_OK(Submit("surveys/nps", "jane@example.com", 3, at, &r, "r-1", [](v1::Response* in) {
    in->set_relationship("relationships/acme");
    in->set_ticket("tickets/INC-0042.1");
    in->set_comment("Too slow");
    in->set_channel(v1::Response::EMAIL);
  }));
  EXPECT_EQ(r.name(), "surveys/nps/responses/r-1");
  EXPECT_EQ(r.service(), "services/email");  // The survey's.
  EXPECT_EQ(r.relationship(), "relationships/acme");
  EXPECT_EQ(r.ticket(), "tickets/INC-0042.1");
  EXPECT_EQ(r.kind(), v1::Survey::NPS);
  EXPECT_EQ(r.category(), v1::Response::DETRACTOR);
  EXPECT_EQ(r.channel(), v1::Response::EMAIL);
  EXPECT_EQ(FromProtoTime(r.submit_time()), at);
  EXPECT_EQ(FromProtoTime(r.create_time()), clock_.Now());
  EXPECT_EQ(r.respondent_hash().size(), 64u);
  {
    grpc::ClientContext ctx;
    v1::GetResponseRequest request;
    request.set_name(r.name());
    v1::Response read;
    ASSERT_OK(stub_->GetResponse(&ctx, request, &read));
    EXPECT_EQ(read.SerializeAsString(), r.SerializeAsString());
  }
  // A skipped question is an answer without a score: no category, no count.
  v1::Response skipped;
  ASSERT_OK(Submit("surveys/csat", "joe", std::nullopt, at, &skipped));
  EXPECT_FALSE(skipped.has_score());
  EXPECT_EQ(skipped.category(), v1::Response::CATEGORY_UNSPECIFIED);
  // Defaults: submitted now.
  {
    grpc::ClientContext ctx;
    v1::SubmitResponseRequest request;
    request.set_parent("surveys/ces");
    request.set_respondent("kim");
    request.mutable_response()->set_score(7);
    v1::Response out;
    ASSERT_OK(stub_->SubmitResponse(&ctx, request, &out));
    EXPECT_EQ(FromProtoTime(out.submit_time()), clock_.Now());
    EXPECT_EQ(out.category(), v1::Response::PROMOTER);
  }

  // Scores out of range, per kind.
  for (auto [survey, score, range] :
       {std::tuple{"surveys/nps", 11, "between 0 and 10 for a NPS survey; got 11"},
        std::tuple{"surveys/nps", -1, "between 0 and 10"},
        std::tuple{"surveys/csat", 0, "between 1 and 5 for a CSAT survey; got 0"},
        std::tuple{"surveys/csat", 6, "between 1 and 5"},
        std::tuple{"surveys/ces", 8, "between 1 and 7 for a CES survey; got 8"}}) {
    EXPECT_THAT(Submit(survey, "x", score, at),
                StatusIs(StatusCode::INVALID_ARGUMENT,
                         HasSubstr("response.score must be " + std::string(range))));
  }
  EXPECT_THAT(Submit("surveys/nope", "x", 5, at),
              StatusIs(StatusCode::NOT_FOUND, HasSubstr("parent surveys/nope does not exist")));
  EXPECT_THAT(Submit("nope", "x", 5, at),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("parent")));
  EXPECT_THAT(Submit("surveys/draft", "x", 5, at),
              StatusIs(StatusCode::FAILED_PRECONDITION, HasSubstr("surveys/draft is DRAFT")));
  EXPECT_THAT(Submit("surveys/closed", "x", 5, at),
              StatusIs(StatusCode::FAILED_PRECONDITION, HasSubstr("surveys/closed is CLOSED")));
  EXPECT_THAT(Submit("surveys/nps", "", 5, at),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("respondent is required")));
  EXPECT_THAT(Submit("surveys/nps", std::string(321, 'x'), 5, at),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("respondent is too long")));
  EXPECT_THAT(
      Submit("surveys/nps", "x", 5, at, nullptr, "",
             [](v1::Response* in) { in->set_service("services/erp"); }),
      StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("response.service must be the survey's")));
  EXPECT_THAT(Submit("surveys/csat", "x", 5, at, nullptr, "",
                     [](v1::Response* in) { in->set_service("services/nope"); }),
              StatusIs(StatusCode::NOT_FOUND, HasSubstr("response.service services/nope")));
  EXPECT_THAT(
      Submit("surveys/csat", "x", 5, at, nullptr, "",
             [](v1::Response* in) { in->set_relationship("relationships/nope"); }),
      StatusIs(StatusCode::NOT_FOUND, HasSubstr("response.relationship relationships/nope")));
  EXPECT_THAT(Submit("surveys/csat", "x", 5, at, nullptr, "",
                     [](v1::Response* in) { in->set_ticket("INC-1"); }),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("response.ticket")));
  EXPECT_THAT(Submit("surveys/csat", "x", 5, at, nullptr, "",
                     [](v1::Response* in) { in->set_comment(std::string(5001, 'x')); }),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("response.comment")));
  EXPECT_THAT(
      Submit("surveys/csat", "x", 5, at, nullptr, "",
             [](v1::Response* in) { in->set_channel(static_cast<v1::Response::Channel>(42)); }),
      StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("response.channel")));
  EXPECT_THAT(Submit("surveys/csat", "x", 5, clock_.Now() + absl::Hours(25)),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("response.submit_time")));
  EXPECT_THAT(Submit("surveys/csat", "x", 5, at, nullptr, "Not_An_Id"),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("response_id")));

  // None of that was written: three answers in all, one counted per kind.
  v1::ListResponsesRequest list;
  list.set_parent("surveys/-");
  EXPECT_EQ(ListNames(list).size(), 3u);
  const v1::Score score =
      MustScore("", clock_.Now() - absl::Hours(24), clock_.Now() + absl::Hours(1));
  EXPECT_EQ(score.nps().count(), 1);
  EXPECT_EQ(score.csat().count(), 0);
  EXPECT_EQ(score.ces().count(), 1);
}

TEST_F(SatisfactionServiceTest, ScoreOfFiftyThirtyTwentyIsThirtyPlusMinusFifteenPointThree) {
  ASSERT_OK(CreateSurvey(NewSurvey(v1::Survey::NPS), "nps"));
  const absl::Time at = clock_.Now() - absl::Hours(24 * 3);
  int n = 0;
  for (auto [score, count] : {std::pair{10, 25}, std::pair{9, 25}, std::pair{8, 15},
                              std::pair{7, 15}, std::pair{0, 10}, std::pair{6, 10}}) {
    for (int i = 0; i < count; ++i)
      ASSERT_OK(Submit("surveys/nps", absl::StrCat("p", n++), score, at));
  }
  v1::GetScoreRequest request;
  request.set_scope("surveys/nps");
  request.set_rolling_days(30);
  v1::Score score;
  ASSERT_OK(Score(request, &score));
  EXPECT_EQ(score.nps().count(), 100);
  EXPECT_EQ(score.nps().promoters(), 50);
  EXPECT_EQ(score.nps().passives(), 30);
  EXPECT_EQ(score.nps().detractors(), 20);
  EXPECT_DOUBLE_EQ(score.nps().score(), 30);
  EXPECT_NEAR(score.nps().standard_error(), 7.81, 0.005);
  EXPECT_NEAR(score.nps().margin(), 15.3, 0.05);
  EXPECT_TRUE(score.nps().significant());
  EXPECT_EQ(score.min_sample_size(), 30);
  EXPECT_FALSE(score.csat().has_score());
  // The window is the 30 days up to now, moved up to quarter hours (now is on one).
  EXPECT_EQ(FromProtoTime(score.end_time()), clock_.Now());
  EXPECT_EQ(FromProtoTime(score.start_time()), clock_.Now() - absl::Hours(24 * 30));
  EXPECT_EQ(FromProtoTime(score.previous_start_time()), clock_.Now() - absl::Hours(24 * 60));
  // The same through every scope that holds them.
  EXPECT_DOUBLE_EQ(MustScore("", at, clock_.Now()).nps().score(), 30);
}

TEST_F(SatisfactionServiceTest, TrendBucketsAreLocalDaysWeeksAndMonthsAcrossDst) {
  ASSERT_OK(CreateSurvey(NewSurvey(v1::Survey::NPS), "nps"));
  // Berlin leaves summer time on Sunday 2026-10-25 at 03:00 CEST (01:00 UTC):
  // that local day runs from 2026-10-24T22:00Z to 2026-10-25T23:00Z, 25 hours.
  int n = 0;
  auto at = [&](absl::Time t, int score) {
    ASSERT_OK(Submit("surveys/nps", absl::StrCat("p", n++), score, t));
  };
  at(Utc(2026, 10, 24, 21, 59, 59), 10);  // Sat 23:59:59 CEST.
  at(Utc(2026, 10, 24, 22, 0, 0), 9);     // Sun 00:00 CEST.
  at(Utc(2026, 10, 25, 0, 30), 8);        // Sun 02:30 CEST, the first time.
  at(Utc(2026, 10, 25, 1, 30), 7);        // Sun 02:30 CET, the second time.
  at(Utc(2026, 10, 25, 22, 59, 59), 0);   // Sun 23:59:59 CET.
  at(Utc(2026, 10, 25, 23, 0, 0), 1);     // Mon 00:00 CET.
  at(Utc(2026, 10, 31, 22, 59, 59), 2);   // Sat Oct 31, 23:59:59 CET.
  at(Utc(2026, 10, 31, 23, 0, 0), 3);     // Sun Nov 1, 00:00 CET.

  v1::GetTrendRequest request;
  request.set_bucket(v1::GetTrendRequest::DAY);
  request.set_time_zone("Europe/Berlin");
  *request.mutable_start_time() = ToProtoTime(Utc(2026, 10, 24, 12));
  *request.mutable_end_time() = ToProtoTime(Utc(2026, 10, 26, 12));
  v1::Trend trend;
  ASSERT_OK(Trend(request, &trend));
  EXPECT_EQ(trend.time_zone(), "Europe/Berlin");
  ASSERT_EQ(trend.points_size(), 3);
  const auto& sun = trend.points(1);
  EXPECT_EQ(trend.points(0).label(), "2026-10-24");
  EXPECT_EQ(sun.label(), "2026-10-25");
  EXPECT_EQ(FromProtoTime(sun.start_time()), Utc(2026, 10, 24, 22));
  EXPECT_EQ(FromProtoTime(sun.end_time()), Utc(2026, 10, 25, 23));
  EXPECT_THAT(trend.points(0).nps().score_counts(), ElementsAre(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
  EXPECT_THAT(sun.nps().score_counts(), ElementsAre(1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0));
  EXPECT_THAT(trend.points(2).nps().score_counts(), ElementsAre(0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0));
  EXPECT_EQ(sun.nps().count(), 4);
  EXPECT_DOUBLE_EQ(sun.nps().score(), 0);  // 1 promoter, 2 passives, 1 detractor.
  EXPECT_FALSE(sun.nps().significant());
  EXPECT_DOUBLE_EQ(sun.nps().change().previous_score(), 100);
  EXPECT_DOUBLE_EQ(sun.nps().change().delta(), -100);
  EXPECT_FALSE(sun.nps().change().significant());  // Far too few answers.

  // ISO weeks, Monday to Sunday: Oct 19-25 ends with the long Sunday.
  request.set_bucket(v1::GetTrendRequest::WEEK);
  ASSERT_OK(Trend(request, &trend));
  ASSERT_EQ(trend.points_size(), 2);
  EXPECT_EQ(trend.points(0).label(), "2026-W43");
  EXPECT_EQ(FromProtoTime(trend.points(0).start_time()), Utc(2026, 10, 18, 22));
  EXPECT_EQ(FromProtoTime(trend.points(0).end_time()), Utc(2026, 10, 25, 23));
  EXPECT_EQ(trend.points(0).nps().count(), 5);
  EXPECT_EQ(trend.points(1).label(), "2026-W44");
  EXPECT_EQ(trend.points(1).nps().count(), 3);  // Mon Oct 26 00:00 to Sun Nov 1 00:00.

  // Months: October ends at 2026-10-31T23:00Z.
  request.set_bucket(v1::GetTrendRequest::MONTH);
  *request.mutable_end_time() = ToProtoTime(Utc(2026, 11, 2));
  ASSERT_OK(Trend(request, &trend));
  ASSERT_EQ(trend.points_size(), 2);
  EXPECT_EQ(trend.points(0).label(), "2026-10");
  EXPECT_EQ(FromProtoTime(trend.points(0).start_time()), Utc(2026, 9, 30, 22));
  EXPECT_EQ(FromProtoTime(trend.points(0).end_time()), Utc(2026, 10, 31, 23));
  EXPECT_EQ(trend.points(0).nps().count(), 7);
  EXPECT_EQ(trend.points(1).label(), "2026-11");
  EXPECT_EQ(trend.points(1).nps().count(), 1);

  // The same answers in UTC days.
  request.set_bucket(v1::GetTrendRequest::DAY);
  request.clear_time_zone();
  *request.mutable_end_time() = ToProtoTime(Utc(2026, 10, 26));
  ASSERT_OK(Trend(request, &trend));
  EXPECT_EQ(trend.time_zone(), "UTC");
  ASSERT_EQ(trend.points_size(), 2);
  EXPECT_EQ(trend.points(0).nps().count(), 2);
  EXPECT_EQ(trend.points(1).nps().count(), 4);
}

TEST_F(SatisfactionServiceTest, BadScoreAndTrendRequestsAreRefusedNamingTheField) {
  ASSERT_OK(CreateSurvey(NewSurvey(v1::Survey::NPS), "nps"));
  v1::Score score;
  v1::GetScoreRequest s;
  s.set_scope("surveys/nope");
  s.set_rolling_days(30);
  EXPECT_THAT(Score(s, &score), StatusIs(StatusCode::NOT_FOUND, HasSubstr("scope surveys/nope")));
  s.set_scope("services/nope");
  EXPECT_THAT(Score(s, &score), StatusIs(StatusCode::NOT_FOUND, HasSubstr("scope services/nope")));
  s.set_scope("relationships/nope");
  EXPECT_THAT(Score(s, &score),
              StatusIs(StatusCode::NOT_FOUND, HasSubstr("scope relationships/nope")));
  s.set_scope("tickets/1");
  EXPECT_THAT(Score(s, &score), StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("scope must be")));
  s.set_scope("services/email");
  ASSERT_OK(Score(s, &score));
  s.set_rolling_days(0);
  EXPECT_THAT(Score(s, &score),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("start_time or rolling_days")));
  *s.mutable_start_time() = ToProtoTime(clock_.Now());
  *s.mutable_end_time() = ToProtoTime(clock_.Now() - absl::Hours(1));
  EXPECT_THAT(Score(s, &score), StatusIs(StatusCode::INVALID_ARGUMENT,
                                         HasSubstr("end_time must not be before start_time")));
  s.set_rolling_days(30);
  EXPECT_THAT(Score(s, &score), StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("not both")));
  s.clear_start_time();
  s.set_rolling_days(4000);
  EXPECT_THAT(Score(s, &score), StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("rolling_days")));

  v1::Trend trend;
  v1::GetTrendRequest t;
  t.set_bucket(v1::GetTrendRequest::DAY);
  EXPECT_THAT(Trend(t, &trend),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("start_time is required")));
  *t.mutable_start_time() = ToProtoTime(clock_.Now());
  *t.mutable_end_time() = ToProtoTime(clock_.Now() - absl::Hours(24));
  EXPECT_THAT(Trend(t, &trend), StatusIs(StatusCode::INVALID_ARGUMENT,
                                         HasSubstr("end_time must be after start_time")));
  *t.mutable_start_time() = ToProtoTime(clock_.Now() - absl::Hours(24 * 365 * 3));
  *t.mutable_end_time() = ToProtoTime(clock_.Now());
  EXPECT_THAT(
      Trend(t, &trend),
      StatusIs(
          StatusCode::INVALID_ARGUMENT,
          HasSubstr("start_time..end_time covers 1096 DAY buckets, more than the cap of 1000")));
  t.set_bucket(v1::GetTrendRequest::WEEK);
  ASSERT_OK(Trend(t, &trend));
  EXPECT_EQ(trend.points_size(), 157);
  t.set_time_zone("Mars/Olympus_Mons");
  EXPECT_THAT(Trend(t, &trend),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("time_zone 'Mars/Olympus_Mons'")));
  t.set_time_zone("Europe/Berlin");
  t.set_bucket(v1::GetTrendRequest::BUCKET_UNSPECIFIED);
  EXPECT_THAT(Trend(t, &trend),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("bucket is required")));
  t.set_bucket(v1::GetTrendRequest::MONTH);
  t.set_rolling_days(-1);
  EXPECT_THAT(Trend(t, &trend), StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("rolling_days")));
  t.set_rolling_days(0);
  t.set_scope("surveys/nope");
  EXPECT_THAT(Trend(t, &trend), StatusIs(StatusCode::NOT_FOUND, HasSubstr("scope surveys/nope")));
}

TEST_F(SatisfactionServiceTest, RecontactIsRefusedUntilTheLimitSayingWhen) {
  v1::Survey s = NewSurvey(v1::Survey::NPS);
  ASSERT_OK(CreateSurvey(s, "nps"));
  s.set_recontact_limit_days(0);
  ASSERT_OK(CreateSurvey(s, "unlimited"));
  clock_.Set(Utc(2027, 2, 1));
  const absl::Time t0 = Utc(2026, 10, 1, 9, 30);
  ASSERT_OK(Submit("surveys/nps", "Jane.Doe@example.com", 9, t0));
  // The same person, spelled differently, ten days later.
  EXPECT_THAT(
      Submit("surveys/nps", "  jane.doe@EXAMPLE.com", 3, t0 + absl::Hours(24 * 10)),
      StatusIs(StatusCode::FAILED_PRECONDITION,
               HasSubstr("answered surveys/nps at 2026-10-01T09:30:00Z; its recontact limit "
                         "is 30 days, so the next answer is allowed from 2026-10-31T09:30:00Z")));
  EXPECT_THAT(Submit("surveys/nps", "jane.doe@example.com", 3,
                     t0 + absl::Hours(24 * 30) - absl::Seconds(1)),
              StatusIs(StatusCode::FAILED_PRECONDITION));
  // Someone else, or another survey, is not affected.
  ASSERT_OK(Submit("surveys/nps", "john@example.com", 3, t0 + absl::Hours(24)));
  ASSERT_OK(Submit("surveys/unlimited", "jane.doe@example.com", 3, t0));
  ASSERT_OK(Submit("surveys/unlimited", "jane.doe@example.com", 4, t0 + absl::Minutes(1)));
  // From the limit on, the next answer is accepted.
  ASSERT_OK(Submit("surveys/nps", "jane.doe@example.com", 3, t0 + absl::Hours(24 * 30)));
  // A longer limit set later applies to the next answer.
  v1::Survey longer;
  longer.set_name("surveys/nps");
  longer.set_recontact_limit_days(90);
  ASSERT_OK(UpdateSurvey(longer, {"recontact_limit_days"}));
  EXPECT_THAT(
      Submit("surveys/nps", "jane.doe@example.com", 3, t0 + absl::Hours(24 * 61)),
      StatusIs(StatusCode::FAILED_PRECONDITION, HasSubstr("allowed from 2027-01-29T09:30:00Z")));
}

TEST_F(SatisfactionServiceTest, BackDatedAnswersAreCheckedAgainstEveryOtherAnswer) {
  ASSERT_OK(CreateSurvey(NewSurvey(v1::Survey::NPS), "nps"));  // 30 days.
  clock_.Set(Utc(2026, 12, 1));
  // Days 10, 55 and 100 of 2026 count from January 1st: 2026-01-11,
  // 2026-02-25 and 2026-04-11.
  const absl::Time day0 = Utc(2026, 1, 1);
  const auto day = [&](int n) { return day0 + absl::Hours(24 * n); };
  ASSERT_OK(Submit("surveys/nps", "jane", 9, day(100), nullptr, "late"));
  // 90 days before the latest answer and none near it: accepted.
  ASSERT_OK(Submit("surveys/nps", "jane", 8, day(10), nullptr, "early"));
  // Within the limit of the older answer (day 10), though far from the latest.
  EXPECT_THAT(Submit("surveys/nps", "jane", 7, day(20)),
              StatusIs(StatusCode::FAILED_PRECONDITION,
                       HasSubstr("answered surveys/nps at 2026-01-11T00:00:00Z; its recontact "
                                 "limit is 30 days, so the next answer is allowed from "
                                 "2026-02-10T00:00:00Z (response.submit_time "
                                 "2026-01-21T00:00:00Z is within 30 days of "
                                 "surveys/nps/responses/early)")));
  // Within the limit before a later answer (day 100): the next answer clear
  // of both is 30 days after it, day 130.
  EXPECT_THAT(Submit("surveys/nps", "jane", 7, day(85)),
              StatusIs(StatusCode::FAILED_PRECONDITION,
                       HasSubstr("answered surveys/nps at 2026-04-11T00:00:00Z; its recontact "
                                 "limit is 30 days, so the next answer is allowed from "
                                 "2026-05-11T00:00:00Z (response.submit_time "
                                 "2026-03-27T00:00:00Z is within 30 days of "
                                 "surveys/nps/responses/late)")));
  // 45 days from each neighbour: accepted.
  ASSERT_OK(Submit("surveys/nps", "jane", 6, day(55), nullptr, "middle"));
  // Day 35 is within the limit of days 10 and 55; the latest of them is
  // named, and the next time clear of all three answers is day 130.
  EXPECT_THAT(Submit("surveys/nps", "jane", 5, day(35)),
              StatusIs(StatusCode::FAILED_PRECONDITION,
                       HasSubstr("answered surveys/nps at 2026-02-25T00:00:00Z; its recontact "
                                 "limit is 30 days, so the next answer is allowed from "
                                 "2026-05-11T00:00:00Z (response.submit_time "
                                 "2026-02-05T00:00:00Z is within 30 days of "
                                 "surveys/nps/responses/middle)")));
  // A withdrawn answer no longer counts: day 35 now conflicts with day 10
  // only, and day 40 is exactly 30 days after it.
  ASSERT_OK(Withdraw("surveys/nps/responses/middle"));
  EXPECT_THAT(Submit("surveys/nps", "jane", 5, day(35)),
              StatusIs(StatusCode::FAILED_PRECONDITION,
                       HasSubstr("allowed from 2026-02-10T00:00:00Z (response.submit_time "
                                 "2026-02-05T00:00:00Z is within 30 days of "
                                 "surveys/nps/responses/early)")));
  ASSERT_OK(Submit("surveys/nps", "jane", 5, day(40)));
  // Withdrawing the latest answer (day 100) leaves day 40 the latest: day 69
  // is refused, day 70 accepted.
  ASSERT_OK(Withdraw("surveys/nps/responses/late"));
  EXPECT_THAT(Submit("surveys/nps", "jane", 5, day(69)),
              StatusIs(StatusCode::FAILED_PRECONDITION, HasSubstr("2026-02-10T00:00:00Z;")));
  ASSERT_OK(Submit("surveys/nps", "jane", 5, day(70)));
}

TEST_F(SatisfactionServiceTest, ConcurrentAnswersWithinTheLimitAreAcceptedOnce) {
  ASSERT_OK(CreateSurvey(NewSurvey(v1::Survey::NPS), "nps"));  // 30 days.
  const absl::Time latest = clock_.Now() - absl::Hours(1);
  ASSERT_OK(Submit("surveys/nps", "kim", 9, latest));
  // Eight back-dated answers a day apart, all within 30 days of each other
  // and at least 60 days before the latest: only one of them may be kept.
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      if (Submit("surveys/nps", "kim", 5, latest - absl::Hours(24 * (60 + i))).ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  v1::ListResponsesRequest list;
  list.set_parent("surveys/nps");
  list.set_respondent("kim");
  EXPECT_EQ(ListNames(list).size(), 2u);
}

TEST_F(SatisfactionServiceTest, ResubmissionWithTheSameIdIsAppliedOnce) {
  ASSERT_OK(CreateSurvey(NewSurvey(v1::Survey::NPS), "nps"));
  const absl::Time at = clock_.Now() - absl::Hours(1);
  v1::Response first, second;
  ASSERT_OK(Submit("surveys/nps", "jane", 10, at, &first, "r-1"));
  // A retry (even with other content, and within the recontact limit).
  ASSERT_OK(Submit("surveys/nps", "jane", 2, at, &second, "r-1"));
  EXPECT_EQ(second.SerializeAsString(), first.SerializeAsString());
  const v1::Score score = MustScore("surveys/nps", at - absl::Hours(1), clock_.Now());
  EXPECT_EQ(score.nps().count(), 1);
  EXPECT_EQ(score.nps().promoters(), 1);
  // Concurrent retries of one id still count once.
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      if (Submit("surveys/nps", "kim", 5, at, nullptr, "r-2").ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(MustScore("surveys/nps", at - absl::Hours(1), clock_.Now()).nps().count(), 2);
}

TEST_F(SatisfactionServiceTest, WithdrawalCorrectsScoresAndTrends) {
  v1::Survey s = NewSurvey(v1::Survey::NPS);
  s.set_relationship("relationships/acme");
  s.set_service("services/email");
  ASSERT_OK(CreateSurvey(s, "nps"));
  const absl::Time day1 = Utc(2026, 11, 2, 10), day2 = Utc(2026, 11, 3, 10);
  std::vector<std::string> names;
  int n = 0;
  for (auto [t, score] : {std::pair{day1, 10}, std::pair{day1, 10}, std::pair{day1, 0},
                          std::pair{day2, 9}, std::pair{day2, 3}}) {
    v1::Response r;
    ASSERT_OK(Submit("surveys/nps", absl::StrCat("p", n++), score, t, &r));
    names.push_back(r.name());
  }
  v1::GetTrendRequest request;
  request.set_scope("relationships/acme");
  request.set_bucket(v1::GetTrendRequest::DAY);
  request.set_time_zone("America/New_York");
  *request.mutable_start_time() = ToProtoTime(day1);
  *request.mutable_end_time() = ToProtoTime(day2);
  v1::Trend trend;
  ASSERT_OK(Trend(request, &trend));
  ASSERT_EQ(trend.points_size(), 2);
  EXPECT_NEAR(trend.points(0).nps().score(), 100.0 / 3, 1e-9);
  EXPECT_DOUBLE_EQ(trend.points(1).nps().score(), 0);

  ASSERT_OK(Withdraw(names[2]));  // Day 1's detractor.
  ASSERT_OK(Withdraw(names[3]));  // Day 2's promoter.
  ASSERT_OK(Withdraw(names[3]));  // Again: already done, still OK.
  ASSERT_OK(Trend(request, &trend));
  EXPECT_EQ(trend.points(0).nps().count(), 2);
  EXPECT_DOUBLE_EQ(trend.points(0).nps().score(), 100);
  EXPECT_EQ(trend.points(1).nps().count(), 1);
  EXPECT_DOUBLE_EQ(trend.points(1).nps().score(), -100);
  EXPECT_DOUBLE_EQ(trend.points(1).nps().change().delta(), -200);
  for (const std::string scope : {"", "surveys/nps", "services/email", "relationships/acme"}) {
    const v1::Score score = MustScore(scope, day1 - absl::Hours(24), day2 + absl::Hours(24));
    EXPECT_EQ(score.nps().count(), 3) << scope;
    EXPECT_NEAR(score.nps().score(), 100.0 / 3, 1e-9) << scope;
  }
  // The answer is gone, and its id is never accepted again.
  grpc::ClientContext ctx;
  v1::GetResponseRequest get;
  get.set_name(names[2]);
  v1::Response read;
  EXPECT_THAT(stub_->GetResponse(&ctx, get, &read), StatusIs(StatusCode::NOT_FOUND));
  EXPECT_THAT(Submit("surveys/nps", "p9", 5, day1, nullptr, IdOf(names[2])),
              StatusIs(StatusCode::FAILED_PRECONDITION, HasSubstr("was withdrawn")));
  EXPECT_THAT(Withdraw("surveys/nps/responses/never"), StatusIs(StatusCode::NOT_FOUND));
  EXPECT_THAT(Withdraw("surveys/nps"), StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("name")));
  v1::ListResponsesRequest list;
  list.set_parent("surveys/nps");
  EXPECT_EQ(ListNames(list).size(), 3u);
}

TEST_F(SatisfactionServiceTest, ListResponsesFiltersAndPages) {
  v1::Survey nps = NewSurvey(v1::Survey::NPS);
  nps.set_service("services/email");
  ASSERT_OK(CreateSurvey(nps, "nps"));
  ASSERT_OK(CreateSurvey(NewSurvey(v1::Survey::CSAT), "csat"));
  const absl::Time t0 = Utc(2026, 11, 1);
  struct In {
    std::string survey, id, respondent, relationship;
    int score;
    int hours;
  };
  const std::vector<In> answers = {{"nps", "a", "ann", "relationships/acme", 10, 1},
                                   {"nps", "b", "bob", "relationships/acme", 3, 2},
                                   {"nps", "c", "cat", "relationships/globex", 8, 3},
                                   {"csat", "d", "ann", "relationships/acme", 5, 4},
                                   {"csat", "e", "dan", "", 1, 5},
                                   {"nps", "f", "eve", "", 0, 6}};
  for (const auto& a : answers) {
    ASSERT_OK(Submit("surveys/" + a.survey, a.respondent, a.score, t0 + absl::Hours(a.hours),
                     nullptr, a.id, [&](v1::Response* r) { r->set_relationship(a.relationship); }));
  }
  v1::ListResponsesRequest request;
  request.set_parent("surveys/-");
  request.set_page_size(2);
  // Newest first.
  EXPECT_THAT(
      ListNames(request),
      ElementsAre("surveys/nps/responses/f", "surveys/csat/responses/e", "surveys/csat/responses/d",
                  "surveys/nps/responses/c", "surveys/nps/responses/b", "surveys/nps/responses/a"));
  request.set_parent("surveys/nps");
  EXPECT_THAT(ListNames(request),
              ElementsAre("surveys/nps/responses/f", "surveys/nps/responses/c",
                          "surveys/nps/responses/b", "surveys/nps/responses/a"));
  request.set_category(v1::Response::DETRACTOR);
  EXPECT_THAT(ListNames(request),
              ElementsAre("surveys/nps/responses/f", "surveys/nps/responses/b"));
  request.set_category(v1::Response::CATEGORY_UNSPECIFIED);
  request.set_relationship("relationships/acme");
  EXPECT_THAT(ListNames(request),
              ElementsAre("surveys/nps/responses/b", "surveys/nps/responses/a"));
  request.set_parent("surveys/-");
  EXPECT_THAT(ListNames(request), ElementsAre("surveys/csat/responses/d", "surveys/nps/responses/b",
                                              "surveys/nps/responses/a"));
  request.clear_relationship();
  request.set_service("services/email");
  EXPECT_EQ(ListNames(request).size(), 4u);
  request.clear_service();
  *request.mutable_start_time() = ToProtoTime(t0 + absl::Hours(2));
  *request.mutable_end_time() = ToProtoTime(t0 + absl::Hours(5));
  EXPECT_THAT(ListNames(request), ElementsAre("surveys/csat/responses/d", "surveys/nps/responses/c",
                                              "surveys/nps/responses/b"));
  request.clear_start_time();
  request.clear_end_time();
  request.set_respondent(" ann ");
  EXPECT_THAT(ListNames(request),
              ElementsAre("surveys/csat/responses/d", "surveys/nps/responses/a"));
  request.set_parent("surveys/csat");
  EXPECT_THAT(ListNames(request), ElementsAre("surveys/csat/responses/d"));

  // Bad filters.
  grpc::ClientContext ctx1;
  v1::ListResponsesResponse page;
  request.set_parent("surveys/nope");
  EXPECT_THAT(stub_->ListResponses(&ctx1, request, &page),
              StatusIs(StatusCode::NOT_FOUND, HasSubstr("parent surveys/nope")));
  grpc::ClientContext ctx2;
  request.set_parent("surveys/nps");
  request.set_relationship("acme");
  EXPECT_THAT(stub_->ListResponses(&ctx2, request, &page),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("relationship")));
  // Unknown relationships and services are not found, rather than matching
  // nothing.
  request.set_relationship("relationships/nope");
  grpc::ClientContext ctx6;
  EXPECT_THAT(
      stub_->ListResponses(&ctx6, request, &page),
      StatusIs(StatusCode::NOT_FOUND, HasSubstr("relationship relationships/nope does not exist")));
  request.clear_relationship();
  request.set_service("services/nope");
  grpc::ClientContext ctx7;
  EXPECT_THAT(stub_->ListResponses(&ctx7, request, &page),
              StatusIs(StatusCode::NOT_FOUND, HasSubstr("service services/nope does not exist")));
  request.clear_service();
  grpc::ClientContext ctx3;
  request.clear_relationship();
  *request.mutable_start_time() = ToProtoTime(t0);
  *request.mutable_end_time() = ToProtoTime(t0);
  EXPECT_THAT(stub_->ListResponses(&ctx3, request, &page),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("end_time")));
  // A token is only good for the filter it was made for.
  v1::ListResponsesRequest first;
  first.set_parent("surveys/-");
  first.set_page_size(1);
  grpc::ClientContext ctx4;
  ASSERT_OK(stub_->ListResponses(&ctx4, first, &page));
  ASSERT_FALSE(page.next_page_token().empty());
  first.set_page_token(page.next_page_token());
  first.set_parent("surveys/nps");
  grpc::ClientContext ctx5;
  EXPECT_THAT(stub_->ListResponses(&ctx5, first, &page),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("page_token")));
}

}  // namespace
}  // namespace rapport::satisfaction
