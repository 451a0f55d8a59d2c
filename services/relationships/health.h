// Relationship health scoring, as a pure function of its inputs: a weighted
// mean of 0-100 components, unknown components' weight spread over the known
// ones, red/amber/green bands, and the watermelon flag (SLAs met while
// satisfaction is low or falling). Unit-tested without a store.
#pragma once

#include <array>
#include <optional>

#include "absl/time/time.h"
#include "rapport/v1/relationships.pb.h"

namespace rapport::relationships {

using HealthComponentKind = v1::RelationshipHealth::Component::Kind;

// Weights and band limits; configurable (rapportd flags).
struct HealthConfig {
  // Weight per component kind, indexed by the enum number (index 0 unused).
  std::array<double, 8> weights = {0, 25, 15, 20, 10, 10, 10, 10};
  // A value below this is RED.
  double red_below = 50;
  // A value at or above this is GREEN; between the two, AMBER.
  double green_from = 75;
  // SLA compliance at or above this counts as "SLAs met" for the watermelon flag.
  double watermelon_sla_met_from = 95;
  // NPS below this is "low" for the watermelon flag.
  double watermelon_nps_below = 0;
  // CSAT (percent) below this is "low" for the watermelon flag.
  double watermelon_csat_below = 70;
};

// Satisfaction over a window, from the satisfaction service.
struct SatisfactionFigure {
  double score = 0;           // NPS (-100..100) or CSAT percent (0..100).
  int64_t count = 0;          // Answers counted.
  bool significant = false;   // Enough answers to trust the score.
  double change = 0;          // Change against the previous window.
  bool change_significant = false;
};

// Everything health is computed from. nullopt: no data for that component.
struct HealthInputs {
  absl::Time now;
  // SLA compliance percent of the relationship's agreements over 90 days.
  std::optional<double> sla_compliance;
  // Open escalations: count, highest severity (1 = SEV1 .. 4), oldest age.
  struct Escalations {
    int open = 0;
    int highest_severity = 4;
    absl::Duration oldest_age;
  };
  std::optional<Escalations> escalations;
  std::optional<SatisfactionFigure> nps;   // 180 days.
  std::optional<SatisfactionFigure> csat;  // 90 days.
  // Complaints and compliments logged over 90 days.
  int complaints_90d = 0;
  int compliments_90d = 0;
  // Latest business review or meeting; the relationship's creation time.
  std::optional<absl::Time> last_review;
  absl::Time created;
  // Opportunities: how many exist, moved forward and declined in 90 days, open now.
  int opportunities = 0;
  int opportunities_advanced_90d = 0;
  int opportunities_declined_90d = 0;
  int opportunities_open = 0;
};

// The band of a 0-100 value under `config`.
v1::HealthBand BandOf(double value, const HealthConfig& config);

// Computes the health (without trend, relationship name or compute time,
// which the caller fills).
v1::RelationshipHealth ComputeHealth(const HealthInputs& inputs, const HealthConfig& config);

}  // namespace rapport::relationships
