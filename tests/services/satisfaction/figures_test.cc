// The score arithmetic against hand-computed values, the slot decomposition
// of window edges, and the round trip of every satisfaction key layout.
#include "services/satisfaction/figures.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/satisfaction/tallies.h"
#include "storage/key_codec.h"

namespace rapport::satisfaction {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::Optional;

// NPS answers: `promoters` tens, `passives` eights, `detractors` fives.
Tally Nps(int promoters, int passives, int detractors) {
  Tally t;
  t.nps[10] = promoters;
  t.nps[8] = passives;
  t.nps[5] = detractors;
  return t;
}

TEST(FiguresTest, NpsOfFiftyThirtyTwentyIsThirtyPlusMinusFifteenPointThree) {
  // p = 0.5, d = 0.2: p + d − (p − d)² = 0.61; SE = 100·√(0.61/100) = 7.8102.
  const NpsEstimate e = EstimateNps(Nps(50, 30, 20), 30);
  EXPECT_EQ(e.count, 100);
  EXPECT_EQ(e.promoters, 50);
  EXPECT_EQ(e.passives, 30);
  EXPECT_EQ(e.detractors, 20);
  EXPECT_THAT(e.value, Optional(DoubleNear(30.0, 1e-9)));
  EXPECT_THAT(e.standard_error, Optional(DoubleNear(7.8102, 1e-4)));
  EXPECT_NEAR(e.margin(), 15.308, 1e-3);
  EXPECT_TRUE(e.significant);

  v1::NpsFigures out;
  FillNps(Nps(50, 30, 20), Tally(), 30, &out);
  EXPECT_DOUBLE_EQ(out.score(), 30.0);
  EXPECT_NEAR(out.margin(), 15.3, 0.05);
  EXPECT_NEAR(out.lower(), 14.69, 0.01);
  EXPECT_NEAR(out.upper(), 45.31, 0.01);
  EXPECT_THAT(out.score_counts(), ElementsAre(0, 0, 0, 0, 0, 20, 0, 0, 30, 0, 50));
  // Nothing before: no change to speak of.
  EXPECT_FALSE(out.change().has_previous_score());
  EXPECT_FALSE(out.change().has_delta());
  EXPECT_FALSE(out.change().significant());
}

TEST(FiguresTest, EveryScoreBandsAsNpsDefinesIt) {
  Tally t;
  for (int s = 0; s <= 10; ++s) t.nps[s] = 1;
  const NpsEstimate e = EstimateNps(t, 30);
  EXPECT_EQ(e.detractors, 7);  // 0-6
  EXPECT_EQ(e.passives, 2);    // 7-8
  EXPECT_EQ(e.promoters, 2);   // 9-10
  EXPECT_THAT(e.value, Optional(DoubleNear(100.0 * (2 - 7) / 11, 1e-9)));
  EXPECT_FALSE(e.significant);  // 11 < 30
  EXPECT_EQ(CategoryOf(v1::Survey::NPS, 6), v1::Response::DETRACTOR);
  EXPECT_EQ(CategoryOf(v1::Survey::NPS, 7), v1::Response::PASSIVE);
  EXPECT_EQ(CategoryOf(v1::Survey::NPS, 9), v1::Response::PROMOTER);
  EXPECT_EQ(CategoryOf(v1::Survey::CSAT, 3), v1::Response::PASSIVE);
  EXPECT_EQ(CategoryOf(v1::Survey::CSAT, 2), v1::Response::DETRACTOR);
  EXPECT_EQ(CategoryOf(v1::Survey::CES, 5), v1::Response::PROMOTER);
  EXPECT_EQ(CategoryOf(v1::Survey::CES, 4), v1::Response::PASSIVE);
}

TEST(FiguresTest, AllPassivesScoreZeroWithNoVariance) {
  const NpsEstimate e = EstimateNps(Nps(0, 40, 0), 30);
  EXPECT_THAT(e.value, Optional(DoubleNear(0.0, 1e-12)));
  EXPECT_THAT(e.standard_error, Optional(DoubleNear(0.0, 1e-12)));
  EXPECT_EQ(e.margin(), 0);
  EXPECT_TRUE(e.significant);
}

TEST(FiguresTest, OneAnswerHasAScoreButIsNotSignificant) {
  const NpsEstimate promoter = EstimateNps(Nps(1, 0, 0), 30);
  EXPECT_THAT(promoter.value, Optional(DoubleNear(100.0, 1e-12)));
  EXPECT_THAT(promoter.standard_error, Optional(DoubleNear(0.0, 1e-12)));
  EXPECT_FALSE(promoter.significant);
  const NpsEstimate detractor = EstimateNps(Nps(0, 0, 1), 30);
  EXPECT_THAT(detractor.value, Optional(DoubleNear(-100.0, 1e-12)));
  // With a minimum sample size of 1, one answer is enough.
  EXPECT_TRUE(EstimateNps(Nps(1, 0, 0), 1).significant);
}

TEST(FiguresTest, NoAnswersHaveNoScore) {
  const NpsEstimate e = EstimateNps(Tally(), 30);
  EXPECT_EQ(e.count, 0);
  EXPECT_FALSE(e.value.has_value());
  EXPECT_FALSE(e.standard_error.has_value());
  EXPECT_FALSE(e.significant);
  v1::NpsFigures out;
  FillNps(Tally(), Tally(), 30, &out);
  EXPECT_FALSE(out.has_score());
  EXPECT_FALSE(out.has_margin());
  EXPECT_FALSE(out.has_lower());
  EXPECT_EQ(out.count(), 0);
  EXPECT_FALSE(EstimateCsat(Tally(), 30).value.has_value());
  EXPECT_FALSE(EstimateCes(Tally(), 30).value.has_value());
}

TEST(FiguresTest, IntervalIsClippedToTheScale) {
  v1::NpsFigures out;
  FillNps(Nps(3, 0, 1), Tally(), 30, &out);  // 50 ± 1.96·43.3
  EXPECT_DOUBLE_EQ(out.score(), 50);
  EXPECT_DOUBLE_EQ(out.upper(), 100);
  EXPECT_LT(out.lower(), 0);
}

TEST(FiguresTest, CsatIsTheShareOfFoursAndFives) {
  Tally t;
  t.csat = {5, 5, 10, 40, 40};  // 80 of 100 satisfied.
  const CsatEstimate e = EstimateCsat(t, 30);
  EXPECT_EQ(e.count, 100);
  EXPECT_EQ(e.satisfied, 80);
  EXPECT_THAT(e.value, Optional(DoubleNear(80.0, 1e-9)));
  // 100·√(0.8·0.2/100) = 4.
  EXPECT_THAT(e.standard_error, Optional(DoubleNear(4.0, 1e-9)));
  EXPECT_NEAR(e.margin(), 7.84, 1e-9);
}

TEST(FiguresTest, CesIsTheMeanWithItsStandardError) {
  Tally t;
  t.ces = {0, 0, 10, 0, 10, 0, 0};  // Ten 3s, ten 5s: mean 4, variance 1.
  const Estimate e = EstimateCes(t, 30);
  EXPECT_EQ(e.count, 20);
  EXPECT_THAT(e.value, Optional(DoubleNear(4.0, 1e-12)));
  EXPECT_THAT(e.standard_error, Optional(DoubleNear(std::sqrt(1.0 / 20), 1e-12)));
  EXPECT_FALSE(e.significant);
}

TEST(FiguresTest, ChangeIsSignificantAtZOf196WithEnoughAnswers) {
  // 30 ± 7.81 against 10 ± 8.43 (p 0.4, d 0.3: SE 100·√(0.69/100) = 8.307):
  const NpsEstimate now = EstimateNps(Nps(50, 30, 20), 30);
  const NpsEstimate before = EstimateNps(Nps(40, 30, 30), 30);
  ChangeEstimate c = Compare(now, before, 30);
  EXPECT_THAT(c.previous, Optional(DoubleNear(10.0, 1e-9)));
  EXPECT_EQ(c.previous_count, 100);
  EXPECT_THAT(c.delta, Optional(DoubleNear(20.0, 1e-9)));
  const double z = 20.0 / std::sqrt(0.61 / 100 * 1e4 + 0.69 / 100 * 1e4);
  EXPECT_THAT(c.z, Optional(DoubleNear(z, 1e-9)));
  EXPECT_NEAR(z, 1.754, 1e-3);
  EXPECT_FALSE(c.significant);  // 1.75 < 1.96: could be noise.

  // The same shares with four times the answers: z doubles.
  c = Compare(EstimateNps(Nps(200, 120, 80), 30), EstimateNps(Nps(160, 120, 120), 30), 30);
  EXPECT_THAT(c.z, Optional(DoubleNear(2 * z, 1e-9)));
  EXPECT_TRUE(c.significant);

  // Enough z but too few answers on one side.
  c = Compare(EstimateNps(Nps(20, 0, 0), 30), EstimateNps(Nps(0, 0, 20), 30), 30);
  EXPECT_THAT(c.delta, Optional(DoubleNear(200.0, 1e-9)));
  EXPECT_FALSE(c.significant);

  // No variance on either side: a difference is certain.
  c = Compare(EstimateNps(Nps(40, 0, 0), 30), EstimateNps(Nps(0, 40, 0), 30), 30);
  EXPECT_FALSE(c.z.has_value());
  EXPECT_TRUE(c.significant);
  c = Compare(EstimateNps(Nps(0, 40, 0), 30), EstimateNps(Nps(0, 35, 0), 30), 30);
  EXPECT_FALSE(c.significant);
}

TEST(SlotsTest, SlotOfAndCeilToQuarter) {
  const absl::Time t =
      absl::FromCivil(absl::CivilSecond(2026, 10, 25, 22, 59, 59), absl::UTCTimeZone());
  const SlotTime slot = SlotOf(t);
  EXPECT_EQ(slot.day, absl::CivilDay(2026, 10, 25) - absl::CivilDay(1970, 1, 1));
  EXPECT_EQ(slot.quarter, 22 * 4 + 3);
  EXPECT_EQ(CeilToQuarter(t), t + absl::Seconds(1));
  EXPECT_EQ(CeilToQuarter(t + absl::Seconds(1)), t + absl::Seconds(1));
  EXPECT_EQ(CeilToQuarter(t + absl::Nanoseconds(1001)), t + absl::Seconds(1));
  // Before 1970: days are floored, not truncated.
  const SlotTime before = SlotOf(absl::UnixEpoch() - absl::Minutes(1));
  EXPECT_EQ(before.day, -1);
  EXPECT_EQ(before.quarter, 95);
}

TEST(SlotsTest, PrefixTermsCountExactlyTheQuartersBeforeTheEdge) {
  for (int q = 0; q <= kQuartersPerDay; ++q) {
    std::vector<int> covered(kQuartersPerDay, 0);
    const auto terms = PrefixTerms(q);
    int reads = 0;
    for (const auto& t : terms) {
      int first = 0, size = kQuartersPerDay;
      if (t.level == 'B') first = 24 * t.slot, size = 24;
      if (t.level == 'H') first = 4 * t.slot, size = 4;
      if (t.level == 'Q') first = t.slot, size = 1;
      for (int i = first; i < first + size; ++i) covered[i] += t.sign;
      reads += t.level != 'D';
    }
    for (int i = 0; i < kQuartersPerDay; ++i) {
      ASSERT_EQ(covered[i], i < q ? 1 : 0) << "quarter " << q << " covers " << i;
    }
    // At most two blocks, three hours and two quarters on either side.
    EXPECT_LE(reads, 7) << "quarter " << q;
  }
  // Local midnight in Berlin is 22:00 or 23:00 UTC: the day minus one or two hours.
  EXPECT_THAT(PrefixTerms(88),
              ElementsAre(SlotTerm{1, 'D', 0}, SlotTerm{-1, 'H', 23}, SlotTerm{-1, 'H', 22}));
  EXPECT_THAT(PrefixTerms(92), ElementsAre(SlotTerm{1, 'D', 0}, SlotTerm{-1, 'H', 23}));
  // In Kolkata it is 18:30 UTC: the day minus the last block plus two quarters.
  EXPECT_THAT(PrefixTerms(74), ElementsAre(SlotTerm{1, 'D', 0}, SlotTerm{-1, 'B', 3},
                                           SlotTerm{1, 'Q', 72}, SlotTerm{1, 'Q', 73}));
  EXPECT_TRUE(PrefixTerms(0).empty());
  EXPECT_THAT(PrefixTerms(96), ElementsAre(SlotTerm{1, 'D', 0}));
}

namespace keys = storage::satkeys;

TEST(SatKeysTest, RecordsRoundTripAndSortBySurvey) {
  EXPECT_EQ(keys::SurveyIdOf(keys::Survey("nps-2026")), "nps-2026");
  EXPECT_EQ(keys::SurveyIdOf(keys::Response(keys::kResponse, "a", "b")), std::nullopt);
  EXPECT_LT(keys::Survey("a"), keys::Survey("b"));
  const std::string response = keys::Response(keys::kResponse, "s", "r-1");
  EXPECT_EQ(response.rfind(keys::ResponsePrefix(keys::kResponse, "s"), 0), 0u);
  EXPECT_NE(response.rfind(keys::ResponsePrefix(keys::kResponse, "s-2"), 0), 0u);
  EXPECT_NE(keys::Response(keys::kWithdrawn, "s", "r-1"), response);
  const absl::Time t = absl::FromUnixMicros(1790000000123456);
  auto marker = keys::DecodeRecontact(keys::EncodeRecontact(t, "r-1", 7));
  ASSERT_TRUE(marker.has_value());
  EXPECT_EQ(marker->latest_submit, t);
  EXPECT_EQ(marker->response_id, "r-1");
  EXPECT_EQ(marker->writes, 7u);
  EXPECT_NE(keys::EncodeRecontact(t, "r-1", 8), keys::EncodeRecontact(t, "r-1", 7));
  // A marker written before the count existed: time | response id.
  std::string legacy;
  storage::AppendTime(&legacy, t);
  legacy += "r-1";
  marker = keys::DecodeRecontact(legacy);
  ASSERT_TRUE(marker.has_value());
  EXPECT_EQ(marker->latest_submit, t);
  EXPECT_EQ(marker->response_id, "r-1");
  EXPECT_EQ(marker->writes, 0u);
  EXPECT_EQ(keys::DecodeRecontact("short"), std::nullopt);
  EXPECT_EQ(keys::DecodeRecontact(keys::EncodeRecontact(t, "r-1", 7).substr(0, 12)),
            std::nullopt);
  EXPECT_EQ(keys::Recontact("s", "abc").rfind(keys::RecontactPrefix("s"), 0), 0u);
}

TEST(SatKeysTest, IndexEntriesRoundTripNewestFirst) {
  const absl::Time early = absl::FromUnixSeconds(1790000000);
  const absl::Time late = early + absl::Seconds(1);
  auto entry = keys::DecodeIndexSuffix(
      absl::string_view(keys::ByTime(early, "s", "r")).substr(keys::ByTimePrefix().size()),
      std::nullopt);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->submit_time, early);
  EXPECT_EQ(entry->survey_id, "s");
  EXPECT_EQ(entry->response_id, "r");
  EXPECT_LT(keys::ByTime(late, "s", "r"), keys::ByTime(early, "s", "r"));
  EXPECT_LT(keys::BySurvey("s", late, "r"), keys::BySurvey("s", early, "a"));

  const std::string prefix = keys::BySurveyPrefix("s");
  entry = keys::DecodeIndexSuffix(
      absl::string_view(keys::BySurvey("s", late, "r")).substr(prefix.size()), std::string("s"));
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->submit_time, late);
  EXPECT_EQ(entry->response_id, "r");

  const std::string owner = keys::ByOwnerPrefix("nr", "acme");
  const std::string key = keys::ByOwner("nr", "acme", early, "s", "r");
  entry = keys::DecodeIndexSuffix(absl::string_view(key).substr(owner.size()), std::nullopt);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->survey_id, "s");
  // Bounds: entries at or before t sort at or after TimeBound(t).
  EXPECT_GE(key, keys::TimeBound(owner, early));
  EXPECT_LT(key, keys::TimeBound(owner, early - absl::Microseconds(1)));
  EXPECT_EQ(keys::DecodeIndexSuffix("x", std::nullopt), std::nullopt);

  EXPECT_EQ(keys::OwnerOf(key), "acme");
  EXPECT_EQ(keys::OwnerOf(owner), "acme");
  EXPECT_EQ(keys::OwnerOf("n"), std::nullopt);
}

TEST(SatKeysTest, TallyKeysRoundTripAndSortByDay) {
  const std::string prefix = keys::TallyNodePrefix('S', "email", 'H', 22);
  const std::string key = keys::Tally('S', "email", 'H', 22, -3, 1);
  ASSERT_EQ(key.rfind(prefix, 0), 0u);
  auto suffix = keys::DecodeTallySuffix(absl::string_view(key).substr(prefix.size()));
  ASSERT_TRUE(suffix.has_value());
  EXPECT_EQ(suffix->day, -3);
  EXPECT_EQ(suffix->kind, 1u);
  EXPECT_LT(keys::Tally('S', "email", 'H', 22, -3, 3), keys::Tally('S', "email", 'H', 22, 2, 1));
  EXPECT_GE(key, keys::TallyDayBound('S', "email", 'H', 22, -3));
  EXPECT_LT(key, keys::TallyDayBound('S', "email", 'H', 22, -2));
  EXPECT_EQ(keys::DecodeTallySuffix("bad"), std::nullopt);

  // A schema 1 key is the row's key followed by the lane.
  std::string legacy = key;
  storage::AppendUint32(&legacy, 5);
  auto old = keys::DecodeLegacyTally(legacy);
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->row, key);
  EXPECT_EQ(old->cell, 5u);
  EXPECT_EQ(keys::DecodeLegacyTally(key), std::nullopt);
  EXPECT_EQ(keys::DecodeLegacyTally(legacy + "x"), std::nullopt);
  EXPECT_EQ(keys::DecodeLegacyTally("sx"), std::nullopt);

  // Two counts per counter; negative deltas (withdrawals) come out exact.
  int64_t v = 0;
  for (int i = 0; i < 5; ++i) v += keys::TallyDelta(false, 1);
  for (int i = 0; i < 7; ++i) v += keys::TallyDelta(true, 1);
  v += keys::TallyDelta(false, -1);
  v += keys::TallyDelta(true, -1);
  EXPECT_EQ(keys::DecodeTallyLanes(v).even, 4);
  EXPECT_EQ(keys::DecodeTallyLanes(v).odd, 6);
  v = keys::TallyDelta(true, 1) + keys::TallyDelta(false, -1) + keys::TallyDelta(false, 1);
  EXPECT_EQ(keys::DecodeTallyLanes(v).even, 0);
  EXPECT_EQ(keys::DecodeTallyLanes(v).odd, 1);
}

}  // namespace
}  // namespace rapport::satisfaction
