// Score arithmetic of the satisfaction service, as pure functions: answer
// counts per score in, NPS, CSAT and CES with their standard errors, 95%
// margins and the significance of a change out. No store, no clock: unit-tested
// against hand-computed values (50 promoters, 30 passives, 20 detractors of 100
// give NPS 30 ± 15.3).
//
// Formulas (the issue's, and satisfaction.proto's):
//   NPS  = 100·(P − D)/N,        SE = 100·√((p + d − (p − d)²)/n)
//   CSAT = 100·(#4 + #5)/N,      SE = 100·√(q(1 − q)/n)
//   CES  = mean score,           SE = √(variance/n), variance over the n answers
//   margin = 1.96·SE; a change is significant when |Δ|/√(SE₁² + SE₂²) ≥ 1.96
//   and both sides have at least the minimum sample size.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "absl/types/span.h"
#include "rapport/v1/satisfaction.pb.h"

namespace rapport::satisfaction {

// z of a two-sided 95% interval.
inline constexpr double kZ95 = 1.96;

// A survey kind's scale: its lowest score and how many scores it has.
struct Scale {
  int lowest = 0;
  int values = 0;
  int highest() const { return lowest + values - 1; }
};
// NPS 0-10, CSAT 1-5, CES 1-7; nullopt for KIND_UNSPECIFIED or unknown values.
std::optional<Scale> ScaleOf(v1::Survey::Kind kind);

// The band of `score` on `kind`'s scale (see Response.Category); the score
// must be in range.
v1::Response::Category CategoryOf(v1::Survey::Kind kind, int score);

// Answers per score of each scale: what the counters of one time slot hold,
// and what a window sums. Index i counts the score `lowest + i`.
struct Tally {
  std::array<int64_t, 11> nps{};
  std::array<int64_t, 5> csat{};
  std::array<int64_t, 7> ces{};

  Tally& operator+=(const Tally& other);
  Tally& operator-=(const Tally& other);
  // The counts of one kind (empty for an unknown kind).
  absl::Span<int64_t> Of(v1::Survey::Kind kind);
  absl::Span<const int64_t> Of(v1::Survey::Kind kind) const;
};
Tally operator-(Tally a, const Tally& b);

// One figure with its uncertainty.
struct Estimate {
  // Answers with a score.
  int64_t count = 0;
  // NPS (-100..100), CSAT percent (0..100) or CES mean (1..7); nullopt
  // without answers.
  std::optional<double> value;
  // Standard error; nullopt without answers.
  std::optional<double> standard_error;
  // count >= the minimum sample size.
  bool significant = false;

  // 1.96 standard errors (0 without answers).
  double margin() const { return standard_error ? kZ95 * *standard_error : 0; }
};

struct NpsEstimate : Estimate {
  int64_t promoters = 0;
  int64_t passives = 0;
  int64_t detractors = 0;
};

struct CsatEstimate : Estimate {
  // Answers 4 or 5.
  int64_t satisfied = 0;
};

// A figure against the one before it (previous window or trend point).
struct ChangeEstimate {
  std::optional<double> previous;
  int64_t previous_count = 0;
  // current − previous; nullopt unless both exist.
  std::optional<double> delta;
  // |delta| / √(SE² + previous SE²); nullopt when that denominator is 0.
  std::optional<double> z;
  // z >= 1.96 (or delta != 0 with no variance on either side), and both
  // sides have at least the minimum sample size.
  bool significant = false;
};

NpsEstimate EstimateNps(const Tally& tally, int min_sample_size);
CsatEstimate EstimateCsat(const Tally& tally, int min_sample_size);
Estimate EstimateCes(const Tally& tally, int min_sample_size);
ChangeEstimate Compare(const Estimate& current, const Estimate& previous, int min_sample_size);

// Proto output of the figures: counts, estimate, clipped 95% interval, change
// and the per-score counts.
void FillNps(const Tally& current, const Tally& previous, int min_sample_size, v1::NpsFigures* out);
void FillCsat(const Tally& current, const Tally& previous, int min_sample_size,
              v1::CsatFigures* out);
void FillCes(const Tally& current, const Tally& previous, int min_sample_size, v1::CesFigures* out);

}  // namespace rapport::satisfaction
