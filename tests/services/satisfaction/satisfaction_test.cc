// The satisfaction domain over a real store (no gRPC): trends and scores
// checked against a brute-force count of the answers in many time zones,
// across DST changes, before and after withdrawals; the respondent key and
// hashing; the feedback hook and observer; the domain API other services
// use (Score, RollingScores) and the gauges built on it.
#include "services/satisfaction/satisfaction.h"

#include <map>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metrics/metrics.h"
#include "metrics/satisfaction_metrics.h"
#include "openssl/evp.h"
#include "openssl/hmac.h"
#include "services/common/proto_time.h"
#include "services/satisfaction/tallies.h"
#include "storage/key_codec.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport::satisfaction {
namespace {

using ::rapport::testing::StatusIs;
using ::testing::DoubleNear;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Optional;

const absl::TimeZone kUtc = absl::UTCTimeZone();

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), kUtc);
}

// An answer as the test remembers it, to count by brute force.
struct Answer {
  std::string name;
  std::string survey;
  std::string service;
  std::string relationship;
  v1::Survey::Kind kind;
  int score;
  absl::Time time;
};

class SatisfactionTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    storage::StoreOptions options;
    options.data_dir = dir_.Sub("data");
    options.sync_writes = false;  // Durability is the store's own test's business.
    ASSERT_OK_AND_ASSIGN(store_, storage::Store::Open(options));
    ASSERT_OK_AND_ASSIGN(domain_, Satisfaction::Open(store_.get(), &clock_, &references_));
  }

  void Reopen() {
    domain_.reset();
    store_.reset();
    Open();
  }

  void CreateSurvey(const std::string& id, v1::Survey::Kind kind, const std::string& service = "",
                    const std::string& relationship = "") {
    v1::CreateSurveyRequest request;
    request.set_survey_id(id);
    auto* s = request.mutable_survey();
    s->set_display_name(id);
    s->set_question("How likely are you to recommend us?");
    s->set_kind(kind);
    s->set_state(v1::Survey::OPEN);
    s->set_service(service);
    s->set_relationship(relationship);
    ASSERT_OK(Await<v1::Survey>([&](Callback<v1::Survey> done) {
                domain_->CreateSurvey(request, std::move(done));
              }).status());
  }

  absl::StatusOr<v1::Response> Submit(const std::string& survey, const std::string& respondent,
                                      std::optional<int> score, absl::Time at,
                                      const std::string& relationship = "",
                                      const std::string& comment = "",
                                      const std::string& response_id = "") {
    v1::SubmitResponseRequest request;
    request.set_parent("surveys/" + survey);
    request.set_respondent(respondent);
    request.set_response_id(response_id);
    if (score) request.mutable_response()->set_score(*score);
    request.mutable_response()->set_relationship(relationship);
    request.mutable_response()->set_comment(comment);
    *request.mutable_response()->mutable_submit_time() = ToProtoTime(at);
    return Await<v1::Response>(
        [&](Callback<v1::Response> done) { domain_->SubmitResponse(request, std::move(done)); });
  }

  absl::Status Withdraw(const std::string& name) {
    v1::WithdrawResponseRequest request;
    request.set_name(name);
    return Await<bool>(
               [&](Callback<bool> done) { domain_->WithdrawResponse(request, std::move(done)); })
        .status();
  }

  // Answers spread over Sep 20 - Nov 10, 2026 (DST ends Oct 25 in Europe,
  // Nov 1 in North America, starts Oct 4 in Australia and Sep 27 in New
  // Zealand) to an NPS survey of one service and relationship, a CSAT survey
  // of another service, and a CES survey answered for two relationships.
  void SeedRandomAnswers(int n, uint32_t seed) {
    CreateSurvey("nps", v1::Survey::NPS, "services/email", "relationships/acme");
    CreateSurvey("csat", v1::Survey::CSAT, "services/erp");
    CreateSurvey("ces", v1::Survey::CES);
    std::mt19937 rng(seed);
    const int64_t from = absl::ToUnixSeconds(Utc(2026, 9, 20));
    const int64_t to = absl::ToUnixSeconds(Utc(2026, 11, 10));
    for (int i = 0; i < n; ++i) {
      Answer a;
      const int which = static_cast<int>(rng() % 3);
      // Some answers exactly on quarter and hour edges, the rest anywhere.
      int64_t seconds = from + static_cast<int64_t>(rng() % static_cast<uint64_t>(to - from));
      if (i % 4 == 0) seconds -= seconds % 900;
      a.time = absl::FromUnixSeconds(seconds);
      a.survey = which == 0 ? "nps" : which == 1 ? "csat" : "ces";
      a.kind = which == 0 ? v1::Survey::NPS : which == 1 ? v1::Survey::CSAT : v1::Survey::CES;
      const Scale scale = *ScaleOf(a.kind);
      a.score = scale.lowest + static_cast<int>(rng() % scale.values);
      a.service = which == 0 ? "services/email" : which == 1 ? "services/erp" : "";
      a.relationship = which == 0   ? "relationships/acme"
                       : which == 2 ? (rng() % 2 ? "relationships/acme" : "relationships/globex")
                                    : "";
      auto r = Submit(a.survey, absl::StrCat("person-", i), a.score, a.time,
                      which == 2 ? a.relationship : "");
      ASSERT_OK(r.status());
      a.name = r->name();
      answers_.push_back(a);
    }
  }

  static bool InScope(const Answer& a, const std::string& scope) {
    return scope.empty() || scope == "surveys/" + a.survey || scope == a.service ||
           scope == a.relationship;
  }

  // Brute force: the answers of `scope` whose time satisfies `in`.
  Tally Count(const std::string& scope, const std::function<bool(absl::Time)>& in) const {
    Tally t;
    for (const auto& a : answers_) {
      if (!InScope(a, scope) || !in(a.time)) continue;
      t.Of(a.kind)[a.score - ScaleOf(a.kind)->lowest] += 1;
    }
    return t;
  }

  static void ExpectCounts(const v1::TrendPoint& p, const Tally& expected,
                           const std::string& what) {
    EXPECT_THAT(p.nps().score_counts(), ElementsAreArray(expected.nps)) << what;
    EXPECT_THAT(p.csat().score_counts(), ElementsAreArray(expected.csat)) << what;
    EXPECT_THAT(p.ces().score_counts(), ElementsAreArray(expected.ces)) << what;
  }

  // Every point of trends in `zone` against the brute-force count of local days.
  void CheckTrends(const std::string& zone, const std::string& scope) {
    absl::TimeZone tz;
    ASSERT_TRUE(absl::LoadTimeZone(zone, &tz));
    for (auto bucket :
         {v1::GetTrendRequest::DAY, v1::GetTrendRequest::WEEK, v1::GetTrendRequest::MONTH}) {
      for (int rolling : {0, 7}) {
        if (rolling > 0 && bucket != v1::GetTrendRequest::DAY) continue;
        v1::GetTrendRequest request;
        request.set_scope(scope);
        request.set_bucket(bucket);
        request.set_time_zone(zone);
        request.set_rolling_days(rolling);
        *request.mutable_start_time() = ToProtoTime(Utc(2026, 9, 22, 13));
        *request.mutable_end_time() = ToProtoTime(Utc(2026, 11, 8, 5));
        ASSERT_OK_AND_ASSIGN(v1::Trend trend, domain_->GetTrend(request));
        ASSERT_FALSE(trend.points().empty());
        for (const auto& p : trend.points()) {
          const absl::CivilDay first = absl::ToCivilDay(FromProtoTime(p.start_time()), tz);
          const absl::CivilDay end = absl::ToCivilDay(FromProtoTime(p.end_time()), tz);
          const absl::CivilDay window = absl::ToCivilDay(FromProtoTime(p.window_start_time()), tz);
          // Bucket edges are local midnights.
          ASSERT_EQ(FromProtoTime(p.start_time()), absl::FromCivil(first, tz))
              << zone << " " << p.label();
          ASSERT_EQ(FromProtoTime(p.end_time()), absl::FromCivil(end, tz))
              << zone << " " << p.label();
          if (rolling > 0) {
            ASSERT_EQ(end - window, rolling);
          }
          const Tally expected = Count(scope, [&](absl::Time t) {
            const absl::CivilDay d = absl::ToCivilDay(t, tz);
            return d >= window && d < end;
          });
          ExpectCounts(p, expected,
                       absl::StrCat(zone, " ", scope, " ", p.label(), " rolling ", rolling));
        }
      }
    }
  }

  // Random windows against the brute-force count of [ceil(from), ceil(to)).
  void CheckScores(const std::string& scope, uint32_t seed) {
    std::mt19937 rng(seed);
    const int64_t from = absl::ToUnixSeconds(Utc(2026, 9, 18));
    for (int i = 0; i < 40; ++i) {
      const absl::Time a = absl::FromUnixSeconds(from + rng() % (55 * 86400));
      const absl::Time b = a + absl::Seconds(rng() % (20 * 86400));
      Scope s;
      if (absl::StartsWith(scope, "surveys/")) s = Scope::Survey(scope.substr(8));
      if (absl::StartsWith(scope, "services/")) s = Scope::Service(scope.substr(9));
      if (absl::StartsWith(scope, "relationships/")) s = Scope::Relationship(scope.substr(14));
      ASSERT_OK_AND_ASSIGN(ScoreFigures f, domain_->Score(s, a, b));
      EXPECT_EQ(f.start, CeilToQuarter(a));
      EXPECT_EQ(f.end, CeilToQuarter(b));
      const Tally expected = Count(scope, [&](absl::Time t) { return t >= f.start && t < f.end; });
      const Tally previous =
          Count(scope, [&](absl::Time t) { return t >= f.previous_start && t < f.start; });
      EXPECT_THAT(f.current.nps, ElementsAreArray(expected.nps)) << scope << " window " << i;
      EXPECT_THAT(f.current.csat, ElementsAreArray(expected.csat)) << scope << " window " << i;
      EXPECT_THAT(f.current.ces, ElementsAreArray(expected.ces)) << scope << " window " << i;
      EXPECT_THAT(f.previous.nps, ElementsAreArray(previous.nps)) << scope << " window " << i;
    }
  }

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

  testing::TempDir dir_;
  FakeClock clock_{Utc(2026, 11, 20)};
  KnownReferences references_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Satisfaction> domain_;
  std::vector<Answer> answers_;
};

TEST_F(SatisfactionTest, TrendsMatchLocalDaysInEveryZoneAcrossDst) {
  SeedRandomAnswers(600, 7);
  for (const std::string zone :
       {"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu",
        "Australia/Lord_Howe", "America/St_Johns", "Pacific/Chatham", "Pacific/Kiritimati"}) {
    CheckTrends(zone, "");
  }
  for (const std::string scope :
       {"surveys/nps", "services/erp", "relationships/acme", "relationships/globex"}) {
    CheckTrends("Europe/Berlin", scope);
  }
}

TEST_F(SatisfactionTest, ScoresMatchTheirWindowsInEveryScope) {
  SeedRandomAnswers(400, 11);
  uint32_t seed = 1;
  for (const std::string scope : {"", "surveys/ces", "services/email", "relationships/acme"}) {
    CheckScores(scope, seed++);
  }
}

TEST_F(SatisfactionTest, WithdrawalsCorrectEveryScoreAndTrend) {
  SeedRandomAnswers(300, 3);
  std::mt19937 rng(5);
  std::vector<Answer> kept;
  for (const auto& a : answers_) {
    if (rng() % 3 == 0) {
      ASSERT_OK(Withdraw(a.name));
    } else {
      kept.push_back(a);
    }
  }
  answers_ = kept;
  CheckTrends("Europe/Berlin", "");
  CheckTrends("Asia/Kolkata", "relationships/acme");
  CheckScores("", 9);
  CheckScores("services/erp", 10);
  // The counters survive a restart: nothing is kept in memory.
  Reopen();
  CheckTrends("America/New_York", "surveys/nps");
}

TEST_F(SatisfactionTest, TrendPointsCompareWithThePreviousBucket) {
  CreateSurvey("nps", v1::Survey::NPS);
  // Monday Oct 5: 40 promoters. Tuesday: 40 detractors. Wednesday: nothing.
  // Thursday: 40 detractors, 1 promoter.
  int n = 0;
  auto add = [&](absl::CivilDay day, int score, int count) {
    for (int i = 0; i < count; ++i) {
      ASSERT_OK(Submit("nps", absl::StrCat("p", n++), score,
                       absl::FromCivil(
                           absl::CivilSecond(day.year(), day.month(), day.day(), 10, 0, i), kUtc))
                    .status());
    }
  };
  add(absl::CivilDay(2026, 10, 5), 10, 40);
  add(absl::CivilDay(2026, 10, 6), 0, 40);
  add(absl::CivilDay(2026, 10, 8), 0, 40);
  add(absl::CivilDay(2026, 10, 8), 9, 1);
  v1::GetTrendRequest request;
  request.set_bucket(v1::GetTrendRequest::DAY);
  *request.mutable_start_time() = ToProtoTime(Utc(2026, 10, 5));
  *request.mutable_end_time() = ToProtoTime(Utc(2026, 10, 9));
  ASSERT_OK_AND_ASSIGN(v1::Trend trend, domain_->GetTrend(request));
  ASSERT_EQ(trend.points_size(), 4);
  EXPECT_EQ(trend.points(0).label(), "2026-10-05");
  EXPECT_DOUBLE_EQ(trend.points(0).nps().score(), 100);
  EXPECT_FALSE(trend.points(0).nps().change().has_previous_score());  // Oct 4 had none.
  // 100 -> -100, both without variance and with 40 answers: significant.
  EXPECT_DOUBLE_EQ(trend.points(1).nps().change().delta(), -200);
  EXPECT_TRUE(trend.points(1).nps().change().significant());
  // Nothing on Oct 7: no score and no change.
  EXPECT_EQ(trend.points(2).nps().count(), 0);
  EXPECT_FALSE(trend.points(2).nps().has_score());
  EXPECT_FALSE(trend.points(2).nps().change().has_delta());
  EXPECT_EQ(trend.points(2).nps().change().previous_count(), 40);
  EXPECT_FALSE(trend.points(3).nps().change().has_delta());

  // A rolling window of 3 days sums the counts: Oct 6-8 holds 81 answers, of
  // which 1 promoter and 80 detractors, NPS 100·(1 − 80)/81.
  request.set_rolling_days(3);
  ASSERT_OK_AND_ASSIGN(trend, domain_->GetTrend(request));
  EXPECT_EQ(trend.points(3).nps().count(), 81);
  EXPECT_NEAR(trend.points(3).nps().score(), 100.0 * (1 - 80) / 81, 1e-9);
  EXPECT_EQ(trend.points(1).nps().count(), 80);  // Oct 4-6.
  EXPECT_DOUBLE_EQ(trend.points(1).nps().score(), 0);
  EXPECT_EQ(trend.points(2).nps().count(), 80);  // Oct 5-7.
  EXPECT_EQ(FromProtoTime(trend.points(3).window_start_time()), Utc(2026, 10, 6));
}

TEST_F(SatisfactionTest, ScoreIsTheDomainApiOfRelationshipHealth) {
  CreateSurvey("nps", v1::Survey::NPS, "", "relationships/acme");
  CreateSurvey("csat", v1::Survey::CSAT, "", "relationships/acme");
  const absl::Time now = clock_.Now();
  int n = 0;
  // Previous 180 days: 40 passives. Last 180 days: 50 promoters, 30
  // passives, 20 detractors; CSAT over 90 days: 3 of 4 satisfied.
  for (int i = 0; i < 40; ++i)
    ASSERT_OK(Submit("nps", absl::StrCat("p", n++), 7, now - absl::Hours(24 * 200)).status());
  for (auto [score, count] : {std::pair{10, 50}, std::pair{8, 30}, std::pair{3, 20}}) {
    for (int i = 0; i < count; ++i) {
      ASSERT_OK(Submit("nps", absl::StrCat("p", n++), score, now - absl::Hours(24 * 10)).status());
    }
  }
  for (int score : {5, 4, 4, 2}) {
    ASSERT_OK(Submit("csat", absl::StrCat("p", n++), score, now - absl::Hours(24 * 30)).status());
  }
  ASSERT_OK_AND_ASSIGN(ScoreFigures nps, domain_->Score(Scope::Relationship("acme"),
                                                        now - absl::Hours(24 * 180), now));
  EXPECT_THAT(nps.nps.value, Optional(DoubleNear(30, 1e-9)));
  EXPECT_NEAR(nps.nps.margin(), 15.31, 0.01);
  EXPECT_TRUE(nps.nps.significant);
  EXPECT_THAT(nps.nps_change.previous, Optional(DoubleNear(0, 1e-9)));
  EXPECT_THAT(nps.nps_change.delta, Optional(DoubleNear(30, 1e-9)));
  // 30 / √(7.81² + 0²) = 3.84 >= 1.96.
  EXPECT_THAT(nps.nps_change.z, Optional(DoubleNear(30 / 7.8102, 1e-3)));
  EXPECT_TRUE(nps.nps_change.significant);
  ASSERT_OK_AND_ASSIGN(ScoreFigures csat, domain_->Score(Scope::Relationship("acme"),
                                                         now - absl::Hours(24 * 90), now));
  EXPECT_THAT(csat.csat.value, Optional(DoubleNear(75, 1e-9)));
  EXPECT_FALSE(csat.csat.significant);
  EXPECT_FALSE(csat.csat_change.significant);
  // An unknown relationship simply has no answers.
  ASSERT_OK_AND_ASSIGN(ScoreFigures none, domain_->Score(Scope::Relationship("nobody"),
                                                         now - absl::Hours(24 * 90), now));
  EXPECT_EQ(none.nps.count, 0);
  EXPECT_THAT(domain_->Score(Scope::Everything(), now, now - absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SatisfactionTest, RespondentsAreStoredOnlyAsAKeyedHash) {
  CreateSurvey("nps", v1::Survey::NPS);
  const std::string email = "Jane.Doe@Example.com";
  ASSERT_OK_AND_ASSIGN(v1::Response r, Submit("nps", " " + email + " ", 9, clock_.Now()));
  EXPECT_EQ(r.respondent_hash().size(), 64u);
  EXPECT_EQ(r.respondent_hash(), domain_->HashRespondent("jane.doe@example.com"));
  EXPECT_NE(r.respondent_hash(), domain_->HashRespondent("jane.doe@example.org"));
  // Opaque ids keep their case.
  EXPECT_NE(domain_->HashRespondent("ID-7"), domain_->HashRespondent("id-7"));
  // It is HMAC-SHA256 under the installation's key, as every stored hash and
  // recontact marker was written: computed here with OpenSSL's one-shot HMAC.
  ASSERT_OK_AND_ASSIGN(auto key, store_->Get(storage::Cf::kSatisfaction,
                                             storage::satkeys::RespondentKey()));
  ASSERT_TRUE(key.has_value());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  const std::string normalized = "jane.doe@example.com";
  HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
       reinterpret_cast<const unsigned char*>(normalized.data()), normalized.size(), mac,
       &mac_size);
  EXPECT_EQ(r.respondent_hash(),
            absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(mac), mac_size)));

  // Nowhere in the store, in any case.
  for (size_t cf = 0; cf < storage::kCfCount; ++cf) {
    ASSERT_OK(
        store_->ForEach(static_cast<storage::Cf>(cf), storage::ScanOptions(),
                        [&](absl::string_view key, absl::string_view value) {
                          for (absl::string_view raw : {"Jane.Doe", "jane.doe", "Example.com"}) {
                            EXPECT_FALSE(absl::StrContains(key, raw)) << "cf " << cf;
                            EXPECT_FALSE(absl::StrContains(value, raw)) << "cf " << cf;
                          }
                          return true;
                        }));
  }

  // The key is the installation's: the same hash after a restart, another
  // in another installation.
  const std::string hash = r.respondent_hash();
  Reopen();
  EXPECT_EQ(domain_->HashRespondent(email), hash);
  testing::TempDir other;
  storage::StoreOptions options;
  options.data_dir = other.Sub("data");
  ASSERT_OK_AND_ASSIGN(auto other_store, storage::Store::Open(options));
  ASSERT_OK_AND_ASSIGN(auto other_domain,
                       Satisfaction::Open(other_store.get(), &clock_, &references_));
  EXPECT_NE(other_domain->HashRespondent(email), hash);
  // Each thread keeps its own copy of the keyed MAC: back and forth between
  // installations, and on another thread, every hash is under its own key.
  EXPECT_EQ(domain_->HashRespondent(email), hash);
  EXPECT_EQ(domain_->HashRespondent(email), hash);
  const std::string other_hash = other_domain->HashRespondent(email);
  std::string on_another_thread;
  std::thread([&] { on_another_thread = domain_->HashRespondent(email); }).join();
  EXPECT_EQ(on_another_thread, hash);
  EXPECT_EQ(other_domain->HashRespondent(email), other_hash);
}

TEST_F(SatisfactionTest, FeedbackHookWritesWithTheDetractorAnswerAtomically) {
  CreateSurvey("nps", v1::Survey::NPS, "", "relationships/acme");
  std::vector<std::string> hooked, observed, answered;
  bool fail = false;
  domain_->SetFeedbackHook([&](storage::Txn& txn, const v1::Survey& survey, const v1::Response& r) {
    if (fail) return absl::UnavailableError("escalations are down");
    hooked.push_back(r.name());
    txn.batch().Put(storage::Cf::kIndex, "test-feedback|" + r.name(), survey.name());
    return absl::OkStatus();
  });
  Satisfaction::Observer observer;
  observer.answered = [&](v1::Survey::Kind kind, v1::Response::Category category) {
    answered.push_back(
        absl::StrCat(v1::Survey::Kind_Name(kind), "/", v1::Response::Category_Name(category)));
  };
  observer.detractor_comment = [&](const v1::Survey& survey, const v1::Response& r) {
    observed.push_back(absl::StrCat(survey.name(), " ", r.comment()));
  };
  domain_->SetObserver(observer);

  ASSERT_OK(Submit("nps", "a", 10, clock_.Now(), "", "great").status());  // Promoter.
  ASSERT_OK(Submit("nps", "b", 3, clock_.Now()).status());                // No comment.
  ASSERT_OK_AND_ASSIGN(auto r, Submit("nps", "c", 2, clock_.Now(), "", "slow", "c-1"));
  ASSERT_OK(Submit("nps", "d", std::nullopt, clock_.Now(), "", "skipped").status());
  EXPECT_THAT(hooked, ::testing::ElementsAre(r.name()));
  EXPECT_THAT(observed, ::testing::ElementsAre("surveys/nps slow"));
  EXPECT_THAT(answered, ::testing::ElementsAre("NPS/PROMOTER", "NPS/DETRACTOR", "NPS/DETRACTOR",
                                               "NPS/CATEGORY_UNSPECIFIED"));
  ASSERT_OK_AND_ASSIGN(auto written, store_->Get(storage::Cf::kIndex, "test-feedback|" + r.name()));
  EXPECT_EQ(written, "surveys/nps");

  // A replay runs neither the hook nor the observer.
  ASSERT_OK(Submit("nps", "c", 2, clock_.Now(), "", "slow", "c-1").status());
  EXPECT_EQ(hooked.size(), 1u);
  EXPECT_EQ(answered.size(), 4u);

  // A failing hook refuses the answer: nothing is written.
  fail = true;
  EXPECT_THAT(Submit("nps", "e", 0, clock_.Now(), "", "awful", "e-1"),
              StatusIs(absl::StatusCode::kUnavailable));
  v1::GetResponseRequest get;
  get.set_name("surveys/nps/responses/e-1");
  EXPECT_THAT(domain_->GetResponse(get), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(ScoreFigures f,
                       domain_->Score(Scope::Everything(), clock_.Now() - absl::Hours(1),
                                      clock_.Now() + absl::Hours(1)));
  EXPECT_EQ(f.nps.count, 3);
  EXPECT_EQ(answered.size(), 4u);
}

TEST_F(SatisfactionTest, RecontactMarkerFallsBackWhenTheLatestAnswerIsWithdrawn) {
  CreateSurvey("nps", v1::Survey::NPS);
  const absl::Time t0 = Utc(2026, 9, 1);
  ASSERT_OK_AND_ASSIGN(auto first, Submit("nps", "jane", 9, t0));
  ASSERT_OK_AND_ASSIGN(auto second, Submit("nps", "jane", 6, t0 + absl::Hours(24 * 40)));
  EXPECT_THAT(Submit("nps", "jane", 7, t0 + absl::Hours(24 * 50)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("next answer is allowed from 2026-11-10T00:00:00Z")));
  // Withdrawing the latest answer: the limit counts from the first again.
  ASSERT_OK(Withdraw(second.name()));
  ASSERT_OK(Submit("nps", "jane", 7, t0 + absl::Hours(24 * 50)).status());
  // Withdrawing every answer forgets the respondent.
  v1::ListResponsesRequest list;
  list.set_parent("surveys/nps");
  list.set_respondent("jane");
  ASSERT_OK_AND_ASSIGN(auto all, domain_->ListResponses(list));
  ASSERT_EQ(all.responses_size(), 2);
  for (const auto& r : all.responses()) ASSERT_OK(Withdraw(r.name()));
  ASSERT_OK(Submit("nps", "jane", 8, t0 + absl::Hours(24 * 51)).status());
}

TEST_F(SatisfactionTest, GaugesReadTheAggregates) {
  CreateSurvey("nps", v1::Survey::NPS, "services/email", "relationships/acme");
  CreateSurvey("csat", v1::Survey::CSAT, "services/erp");
  const absl::Time now = clock_.Now();
  int n = 0;
  for (int score : {10, 10, 10, 2}) {  // NPS 50 in the last 30 days.
    ASSERT_OK(Submit("nps", absl::StrCat("p", n++), score, now - absl::Hours(24 * 3)).status());
  }
  ASSERT_OK(Submit("nps", "old", 0, now - absl::Hours(24 * 60)).status());  // 90 days: 20.
  ASSERT_OK(Submit("csat", "c", 5, now - absl::Hours(1)).status());

  ASSERT_OK_AND_ASSIGN(auto services, domain_->ScopesWithAnswers(Scope::Kind::kService));
  EXPECT_THAT(services, ::testing::ElementsAre("email", "erp"));
  EXPECT_THAT(domain_->ScopesWithAnswers(Scope::Kind::kSurvey),
              StatusIs(absl::StatusCode::kInvalidArgument));

  // The wiring rapportd uses (see the report of issue 7).
  metrics::Metrics m("test");
  auto source = [this](Scope::Kind kind) {
    std::vector<metrics::SatisfactionMetrics::ScopeScore> out;
    const int days[] = {30, 90};
    for (Scope::Kind k : {kind, Scope::Kind::kEverything}) {
      if (k == Scope::Kind::kEverything && kind != Scope::Kind::kService) continue;
      auto scores = domain_->RollingScores(k, clock_.Now(), days);
      if (!scores.ok()) continue;
      for (const auto& s : *scores) {
        out.push_back({s.id, absl::StrCat(s.days, "d"), s.nps.value,
                       s.csat.value ? std::optional<double>(*s.csat.value / 100) : std::nullopt,
                       s.nps.count, s.csat.count, s.nps.standard_error,
                       s.csat.standard_error ? std::optional<double>(*s.csat.standard_error / 100)
                                             : std::nullopt});
      }
    }
    return out;
  };
  metrics::SatisfactionMetrics::Sources sources;
  sources.by_service = [source] { return source(Scope::Kind::kService); };
  sources.by_relationship = [source] { return source(Scope::Kind::kRelationship); };
  metrics::SatisfactionMetrics sm(&m, sources, /*per_relationship=*/true);
  sm.ObserveAnswer("NPS", "PROMOTER");
  const std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("rapport_satisfaction_nps{service=\"email\",window=\"30d\"} 50"));
  EXPECT_THAT(text, HasSubstr("rapport_satisfaction_nps{service=\"email\",window=\"90d\"} 20"));
  EXPECT_THAT(text, HasSubstr("rapport_satisfaction_csat_ratio{service=\"erp\",window=\"30d\"} 1"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("rapport_satisfaction_csat_ratio{service=\"email\"")));
  EXPECT_THAT(
      text,
      HasSubstr(
          "rapport_satisfaction_scored_answers{kind=\"NPS\",service=\"email\",window=\"90d\"} 5"));
  EXPECT_THAT(text, HasSubstr("rapport_satisfaction_overall_nps{window=\"30d\"} 50"));
  EXPECT_THAT(
      text,
      HasSubstr("rapport_satisfaction_relationship_nps{relationship=\"acme\",window=\"90d\"} 20"));
  EXPECT_THAT(
      text, HasSubstr("rapport_satisfaction_answers_total{category=\"PROMOTER\",kind=\"NPS\"} 1"));
  // Standard errors beside the scores they belong to (none without the
  // score), and the minimum sample size (the default here).
  EXPECT_THAT(
      text,
      HasSubstr("rapport_satisfaction_nps_standard_error{service=\"email\",window=\"30d\"} "));
  EXPECT_THAT(text, HasSubstr("rapport_satisfaction_overall_nps_standard_error{window=\"30d\"} "));
  EXPECT_THAT(text, ::testing::Not(HasSubstr(
                        "rapport_satisfaction_csat_ratio_standard_error{service=\"email\"")));
  EXPECT_THAT(text, HasSubstr("rapport_satisfaction_min_sample_size 30\n"));
}

}  // namespace
}  // namespace rapport::satisfaction
