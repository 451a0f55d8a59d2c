#include "services/relationships/health.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rapport::relationships {
namespace {

using Component = v1::RelationshipHealth::Component;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1795000000);

const Component& Find(const v1::RelationshipHealth& h, Component::Kind kind) {
  for (const auto& c : h.components()) {
    if (c.kind() == kind) return c;
  }
  static const Component none;
  ADD_FAILURE() << "no component " << Component::Kind_Name(kind);
  return none;
}

HealthInputs NewRelationship() {
  HealthInputs in;
  in.now = kNow;
  in.created = kNow - absl::Hours(24);
  return in;
}

TEST(HealthTest, NothingKnownGivesAnUnknownScore) {
  const auto h = ComputeHealth(NewRelationship(), HealthConfig());
  EXPECT_EQ(h.band(), v1::UNKNOWN);
  EXPECT_EQ(h.score(), 0);
  EXPECT_EQ(h.components_size(), 7);
  for (const auto& c : h.components()) {
    EXPECT_EQ(c.band(), v1::UNKNOWN) << Component::Kind_Name(c.kind());
    EXPECT_EQ(c.effective_weight(), 0);
    EXPECT_FALSE(c.reason().empty());
  }
  EXPECT_FALSE(h.watermelon());
}

TEST(HealthTest, UnknownWeightIsSpreadOverKnownComponents) {
  HealthInputs in = NewRelationship();
  in.complaints_90d = 0;
  in.compliments_90d = 3;                      // Feedback: 100*(3+1)/(3+2) = 80.
  in.last_review = kNow - absl::Hours(24 * 105);  // Engagement: 100*(180-105)/150 = 50.
  HealthConfig config;  // Feedback and engagement weigh 10 each.
  const auto h = ComputeHealth(in, config);
  EXPECT_NEAR(Find(h, Component::FEEDBACK_BALANCE).value(), 80, 1e-9);
  EXPECT_NEAR(Find(h, Component::ENGAGEMENT).value(), 50, 1e-9);
  EXPECT_NEAR(Find(h, Component::FEEDBACK_BALANCE).effective_weight(), 0.5, 1e-9);
  EXPECT_NEAR(h.score(), 65, 1e-9);
  EXPECT_EQ(h.band(), v1::AMBER);
  EXPECT_EQ(Find(h, Component::FEEDBACK_BALANCE).band(), v1::GREEN);
  EXPECT_EQ(Find(h, Component::ENGAGEMENT).band(), v1::AMBER);
  EXPECT_THAT(Find(h, Component::FEEDBACK_BALANCE).reason(), HasSubstr("0 complaints, 3 compliments"));
}

TEST(HealthTest, AllComponentsWithConfiguredWeightsAndBands) {
  HealthInputs in = NewRelationship();
  in.sla_compliance = 90;
  in.escalations = HealthInputs::Escalations{2, 1, absl::Hours(24 * 3)};  // 100-40-30-6 = 24
  in.nps = SatisfactionFigure{20, 100, true, 0, false};                   // (20+100)/2 = 60
  in.csat = SatisfactionFigure{80, 50, true, 0, false};                    // 80
  in.complaints_90d = 1;
  in.compliments_90d = 1;                                                  // 50
  in.last_review = kNow - absl::Hours(24 * 10);                            // 100
  in.opportunities = 2;
  in.opportunities_open = 1;
  in.opportunities_advanced_90d = 1;                                       // 65
  HealthConfig config;
  config.weights = {0, 1, 1, 1, 1, 1, 1, 1};
  config.red_below = 30;
  config.green_from = 90;
  const auto h = ComputeHealth(in, config);
  EXPECT_NEAR(Find(h, Component::ESCALATIONS).value(), 24, 1e-9);
  EXPECT_EQ(Find(h, Component::ESCALATIONS).band(), v1::RED);
  EXPECT_NEAR(h.score(), (90 + 24 + 60 + 80 + 50 + 100 + 65) / 7.0, 1e-9);
  EXPECT_EQ(h.band(), v1::AMBER);
  EXPECT_EQ(Find(h, Component::ENGAGEMENT).band(), v1::GREEN);
}

TEST(HealthTest, ZeroWeightComponentCountsForNothing) {
  HealthInputs in = NewRelationship();
  in.sla_compliance = 0;
  in.compliments_90d = 1;  // 100*2/3
  HealthConfig config;
  config.weights[Component::SLA_COMPLIANCE] = 0;
  const auto h = ComputeHealth(in, config);
  EXPECT_NEAR(h.score(), 200.0 / 3, 1e-9);
}

TEST(HealthTest, OldRelationshipWithoutReviewsScoresZeroEngagement) {
  HealthInputs in = NewRelationship();
  in.created = kNow - absl::Hours(24 * 365);
  const auto h = ComputeHealth(in, HealthConfig());
  EXPECT_EQ(Find(h, Component::ENGAGEMENT).band(), v1::RED);
  EXPECT_EQ(Find(h, Component::ENGAGEMENT).value(), 0);
}

TEST(HealthTest, WatermelonWhenSlasAreMetButSatisfactionIsLow) {
  HealthInputs in = NewRelationship();
  in.sla_compliance = 99.5;
  in.nps = SatisfactionFigure{-20, 80, true, 0, false};
  const auto h = ComputeHealth(in, HealthConfig());
  EXPECT_TRUE(h.watermelon());
  EXPECT_THAT(h.watermelon_reason(), HasSubstr("SLAs are met (99.5%)"));
  EXPECT_THAT(h.watermelon_reason(), HasSubstr("NPS is -20"));
}

TEST(HealthTest, WatermelonWhenSatisfactionFallsSignificantly) {
  HealthInputs in = NewRelationship();
  in.sla_compliance = 97;
  in.csat = SatisfactionFigure{85, 200, true, -12, true};
  const auto h = ComputeHealth(in, HealthConfig());
  EXPECT_TRUE(h.watermelon());
  EXPECT_THAT(h.watermelon_reason(), HasSubstr("CSAT fell 12 points"));
}

TEST(HealthTest, NoWatermelonWhenSlasAreMissedOrCustomersHappyOrChangeIsNoise) {
  HealthInputs missed = NewRelationship();
  missed.sla_compliance = 80;
  missed.nps = SatisfactionFigure{-50, 100, true, 0, false};
  EXPECT_FALSE(ComputeHealth(missed, HealthConfig()).watermelon());

  HealthInputs happy = NewRelationship();
  happy.sla_compliance = 99;
  happy.nps = SatisfactionFigure{40, 100, true, -5, false};  // A fall, but not significant.
  happy.csat = SatisfactionFigure{90, 100, true, 0, false};
  const auto h = ComputeHealth(happy, HealthConfig());
  EXPECT_FALSE(h.watermelon());
  EXPECT_TRUE(h.watermelon_reason().empty());

  HealthInputs unknown_sla = NewRelationship();
  unknown_sla.nps = SatisfactionFigure{-50, 100, true, 0, false};
  EXPECT_FALSE(ComputeHealth(unknown_sla, HealthConfig()).watermelon());
}

TEST(HealthTest, BandLimits) {
  HealthConfig config;
  EXPECT_EQ(BandOf(49.99, config), v1::RED);
  EXPECT_EQ(BandOf(50, config), v1::AMBER);
  EXPECT_EQ(BandOf(74.99, config), v1::AMBER);
  EXPECT_EQ(BandOf(75, config), v1::GREEN);
}

}  // namespace
}  // namespace rapport::relationships
