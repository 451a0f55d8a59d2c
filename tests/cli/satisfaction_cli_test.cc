// rapportctl satisfaction score and trend against the real rapportd, with
// answers submitted through the API at known times and scores.
#include "google/protobuf/util/json_util.h"
#include "rapport/v1/satisfaction.grpc.pb.h"
#include "tests/cli/cli_fixture.h"

namespace rapport {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class SatisfactionCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    if (server_ == nullptr) return;
    satisfaction_ = v1::SatisfactionService::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
    CreateRelationship("acme", "Acme Corp", v1::Relationship::STRATEGIC);
    CreateRelationship("globex", "Globex", v1::Relationship::KEY);
    Survey("nps", v1::Survey::NPS);
    Survey("csat", v1::Survey::CSAT);
  }
  void TearDown() override {
    satisfaction_.reset();
    CliTest::TearDown();
  }

  void Survey(const std::string& id, v1::Survey::Kind kind) {
    v1::CreateSurveyRequest request;
    request.set_survey_id(id);
    request.mutable_survey()->set_display_name(id);
    request.mutable_survey()->set_kind(kind);
    request.mutable_survey()->set_question("How was it?");
    request.mutable_survey()->set_state(v1::Survey::OPEN);
    request.mutable_survey()->set_recontact_limit_days(0);
    v1::Survey out;
    auto ctx = Ctx();
    ASSERT_OK(satisfaction_->CreateSurvey(ctx.get(), request, &out));
  }
  void Answer(const std::string& survey, const std::string& relationship, int score,
              absl::Duration ago) {
    v1::SubmitResponseRequest request;
    request.set_parent("surveys/" + survey);
    request.set_respondent(absl::StrCat("person-", ++respondents_, "@example.com"));
    request.mutable_response()->set_relationship("relationships/" + relationship);
    request.mutable_response()->set_score(score);
    *request.mutable_response()->mutable_submit_time() = Ago(ago);
    v1::Response out;
    auto ctx = Ctx();
    ASSERT_OK(satisfaction_->SubmitResponse(ctx.get(), request, &out));
  }

  std::unique_ptr<v1::SatisfactionService::Stub> satisfaction_;
  int respondents_ = 0;
};

TEST_F(SatisfactionCliTest, ScoreOfAScopeWithMarginsAndTheChange) {
  // This month at acme: 10 promoters, 5 passives, 5 detractors (NPS +25);
  // the 30 days before: 2 promoters, 2 detractors (NPS 0). Globex: 1 promoter.
  for (int i = 0; i < 10; ++i) Answer("nps", "acme", 9 + i % 2, absl::Hours(24 + i));
  for (int i = 0; i < 5; ++i) Answer("nps", "acme", 7 + i % 2, absl::Hours(48 + i));
  for (int i = 0; i < 5; ++i) Answer("nps", "acme", i, absl::Hours(72 + i));
  for (int i = 0; i < 2; ++i) Answer("nps", "acme", 10, absl::Hours(24 * 40 + i));
  for (int i = 0; i < 2; ++i) Answer("nps", "acme", 3, absl::Hours(24 * 41 + i));
  Answer("nps", "globex", 10, absl::Hours(5));
  for (int score : {5, 4, 2}) Answer("csat", "acme", score, absl::Hours(6));

  const std::string out = Ok({"satisfaction", "score", "--relationship", "acme", "--days", "30"});
  EXPECT_THAT(out, ContainsRegex("Scope: +relationships/acme"));
  EXPECT_THAT(out, ContainsRegex("Window: +[0-9-]+ [0-9:]+ to [0-9-]+ [0-9:]+\n"));
  EXPECT_THAT(out, ContainsRegex("NPS +\\+25\\.0\\* +±[0-9.]+ +[-+][0-9.]+ to \\+[0-9.]+ +20 +"
                                 "\\+25\\.0 from \\+0\\.0, within noise"));
  EXPECT_THAT(out, ContainsRegex("CSAT +66\\.7%\\* +±[0-9.]+ +[0-9.]+% to [0-9.]+% +3 +- \\(no "
                                 "answers before\\)"));
  EXPECT_THAT(out, HasSubstr("NPS answers: 10 promoters (9-10), 5 passives (7-8), 5 detractors"));
  EXPECT_THAT(out, HasSubstr("* fewer than 30 answers: not significant"));

  // Every answer: globex's promoter too; a survey as the scope.
  EXPECT_THAT(Ok({"satisfaction", "score", "--days", "30"}), ContainsRegex("NPS +\\+28\\.6\\*"));
  EXPECT_THAT(Ok({"satisfaction", "score", "--survey", "csat"}),
              ContainsRegex("NPS +- +- +- +0 +-"));
  const std::string window =
      Ok({"satisfaction", "score", "--relationship", "acme", "--from",
          absl::FormatTime("%Y-%m-%d", absl::Now() - absl::Hours(24 * 45), absl::LocalTimeZone()),
          "--to",
          absl::FormatTime("%Y-%m-%d", absl::Now() - absl::Hours(24 * 35), absl::LocalTimeZone())});
  EXPECT_THAT(window, ContainsRegex("NPS +\\+0\\.0\\* .* 4 "));

  v1::Score score;
  const std::string json = Ok({"-o", "json", "satisfaction", "score", "--relationship", "acme"});
  EXPECT_TRUE(PythonParses(json));
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &score).ok()) << json;
  EXPECT_EQ(score.nps().count(), 24);
}

TEST_F(SatisfactionCliTest, TrendShowsPointsAndDrawsThemWithMargins) {
  // Three days with answers, one without, in UTC days.
  const absl::Time midnight =
      absl::FromCivil(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()), absl::UTCTimeZone());
  const absl::Duration since_midnight = absl::Now() - midnight;
  for (int i = 0; i < 6; ++i) {
    Answer("nps", "acme", 10, since_midnight + absl::Hours(24 * 3 - 1));
    Answer("nps", "acme", i < 3 ? 10 : 2, since_midnight + absl::Hours(24 * 2 - 1));
    Answer("nps", "acme", 1, since_midnight / 2);  // Today.
  }
  const std::string from =
      absl::FormatTime("%Y-%m-%dT00:00:00Z", midnight - absl::Hours(24 * 3), absl::UTCTimeZone());
  const std::string out = Ok({"satisfaction", "trend", "--relationship", "acme", "--bucket", "day",
                              "--from", from, "--time-zone", "UTC"});
  EXPECT_THAT(out, StartsWith("NPS per day (UTC), of relationships/acme\n"));
  const auto day = [&](int days_ago) {
    return absl::FormatTime("%Y-%m-%d", midnight - absl::Hours(24 * days_ago), absl::UTCTimeZone());
  };
  EXPECT_THAT(out, ContainsRegex(day(3) + " +6 +\\+100\\.0\\* +±0\\.0 +\\+100\\.0 to \\+100\\.0"));
  EXPECT_THAT(out, ContainsRegex(day(2) + " +6 +\\+0\\.0\\* +±[0-9.]+ .* -100\\.0"));
  EXPECT_THAT(out, ContainsRegex(day(1) + " +0 +- +- +- +-"));
  EXPECT_THAT(out, ContainsRegex(day(0) + " +6 +-100\\.0\\*"));
  // The chart: a dot at +100 and at -100, a bar around 0, a day without answers.
  EXPECT_THAT(out, HasSubstr("NPS with 95% intervals:\n"));
  EXPECT_THAT(out, ContainsRegex(day(3) + "  n=6  \\+100\\.0  +(┊)? *●\n"));
  EXPECT_THAT(out, ContainsRegex(day(2) + "  n=6    \\+0\\.0 +├(─)*●(─)*┤\n"));
  EXPECT_THAT(out, ContainsRegex(day(1) + "  n=0 +no answers\n"));
  EXPECT_THAT(out, ContainsRegex(day(0) + "  n=6  -100\\.0  ●"));
  EXPECT_THAT(out, ContainsRegex("\n +-100 +0 +100\n$"));

  v1::Trend trend;
  const std::string json =
      Ok({"-o", "json", "satisfaction", "trend", "--bucket", "day", "--from", from});
  EXPECT_TRUE(PythonParses(json));
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &trend).ok()) << json;
  EXPECT_EQ(trend.points_size(), 4);
  // Weeks by default, about twelve of them; CSAT without answers has none to draw.
  EXPECT_THAT(Ok({"satisfaction", "trend"}), ContainsRegex("NPS per week \\(UTC\\)"));
  EXPECT_THAT(Ok({"satisfaction", "trend", "--metric", "csat", "--bucket", "month"}),
              HasSubstr("No answers in the range."));

  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{"satisfaction", "score", "--service", "a", "--relationship", "b"}, "at most one of"},
      {{"satisfaction", "score", "--days", "7", "--from", "2026-01-01"}, "exclude each other"},
      {{"satisfaction", "score", "--days", "x"}, "--days must be a positive number of days"},
      {{"satisfaction", "trend", "--metric", "ces7"}, "--metric must be nps, csat or ces"},
      {{"satisfaction", "trend", "--bucket", "hour"}, "--bucket must be one of day|week|month"},
      {{"satisfaction", "trend", "--from", "last week"}, "--from must be a date or time"},
  };
  for (const auto& c : cases) {
    std::string o, err;
    EXPECT_EQ(Run(c.args, &o, &err), cli::kExitUsage) << absl::StrJoin(c.args, " ");
    EXPECT_THAT(err, HasSubstr(c.message)) << absl::StrJoin(c.args, " ");
  }
  std::string o, err;
  EXPECT_EQ(Run({"satisfaction", "trend", "--time-zone", "Mars/Olympus"}, &o, &err),
            cli::kExitRefused);
  EXPECT_THAT(err, StartsWith("rapportctl: INVALID_ARGUMENT: "));
  EXPECT_EQ(Run({"satisfaction", "score", "--service", "nothing"}, &o, &err), cli::kExitRefused);
  EXPECT_THAT(err, StartsWith("rapportctl: NOT_FOUND: "));
}

}  // namespace
}  // namespace rapport
