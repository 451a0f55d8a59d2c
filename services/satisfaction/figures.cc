#include "services/satisfaction/figures.h"

#include <algorithm>
#include <cmath>

namespace rapport::satisfaction {
namespace {

template <size_t N>
void Add(std::array<int64_t, N>& a, const std::array<int64_t, N>& b, int sign) {
  for (size_t i = 0; i < N; ++i) a[i] += sign * b[i];
}

int64_t Sum(absl::Span<const int64_t> counts, size_t from, size_t to) {
  int64_t n = 0;
  for (size_t i = from; i < to && i < counts.size(); ++i) n += counts[i];
  return n;
}

bool Significant(int64_t count, int min_sample_size) {
  return count > 0 && count >= min_sample_size;
}

// Share estimate with value 100·k/n and standard error 100·√(q(1−q)/n).
void ShareEstimate(int64_t k, int64_t n, Estimate* out) {
  if (n == 0) return;
  const double q = static_cast<double>(k) / static_cast<double>(n);
  out->value = 100.0 * q;
  out->standard_error = 100.0 * std::sqrt(std::max(0.0, q * (1 - q)) / static_cast<double>(n));
}

template <typename Figures>
void FillInterval(const Estimate& e, double low, double high, Figures* out) {
  if (!e.value) return;
  out->set_standard_error(*e.standard_error);
  out->set_margin(e.margin());
  out->set_lower(std::max(low, *e.value - e.margin()));
  out->set_upper(std::min(high, *e.value + e.margin()));
}

void FillChange(const ChangeEstimate& c, v1::Change* out) {
  if (c.previous) out->set_previous_score(*c.previous);
  out->set_previous_count(c.previous_count);
  if (c.delta) out->set_delta(*c.delta);
  if (c.z) out->set_z(*c.z);
  out->set_significant(c.significant);
}

}  // namespace

std::optional<Scale> ScaleOf(v1::Survey::Kind kind) {
  switch (kind) {
    case v1::Survey::NPS:
      return Scale{0, 11};
    case v1::Survey::CSAT:
      return Scale{1, 5};
    case v1::Survey::CES:
      return Scale{1, 7};
    default:
      return std::nullopt;
  }
}

v1::Response::Category CategoryOf(v1::Survey::Kind kind, int score) {
  int promoter_from = 0, passive_from = 0;
  switch (kind) {
    case v1::Survey::NPS:
      promoter_from = 9;
      passive_from = 7;
      break;
    case v1::Survey::CSAT:
      promoter_from = 4;
      passive_from = 3;
      break;
    case v1::Survey::CES:
      promoter_from = 5;
      passive_from = 4;
      break;
    default:
      return v1::Response::CATEGORY_UNSPECIFIED;
  }
  if (score >= promoter_from) return v1::Response::PROMOTER;
  if (score >= passive_from) return v1::Response::PASSIVE;
  return v1::Response::DETRACTOR;
}

Tally& Tally::operator+=(const Tally& other) {
  Add(nps, other.nps, 1);
  Add(csat, other.csat, 1);
  Add(ces, other.ces, 1);
  return *this;
}

Tally& Tally::operator-=(const Tally& other) {
  Add(nps, other.nps, -1);
  Add(csat, other.csat, -1);
  Add(ces, other.ces, -1);
  return *this;
}

Tally operator-(Tally a, const Tally& b) { return a -= b; }

absl::Span<int64_t> Tally::Of(v1::Survey::Kind kind) {
  switch (kind) {
    case v1::Survey::NPS:
      return absl::MakeSpan(nps);
    case v1::Survey::CSAT:
      return absl::MakeSpan(csat);
    case v1::Survey::CES:
      return absl::MakeSpan(ces);
    default:
      return {};
  }
}

absl::Span<const int64_t> Tally::Of(v1::Survey::Kind kind) const {
  return const_cast<Tally*>(this)->Of(kind);
}

NpsEstimate EstimateNps(const Tally& tally, int min_sample_size) {
  NpsEstimate e;
  e.detractors = Sum(tally.nps, 0, 7);
  e.passives = Sum(tally.nps, 7, 9);
  e.promoters = Sum(tally.nps, 9, 11);
  e.count = e.detractors + e.passives + e.promoters;
  e.significant = Significant(e.count, min_sample_size);
  if (e.count == 0) return e;
  const double n = static_cast<double>(e.count);
  const double p = static_cast<double>(e.promoters) / n;
  const double d = static_cast<double>(e.detractors) / n;
  e.value = 100.0 * (p - d);
  // p + d − (p − d)² is the variance of a score of +1 (promoter), 0, −1.
  e.standard_error = 100.0 * std::sqrt(std::max(0.0, p + d - (p - d) * (p - d)) / n);
  return e;
}

CsatEstimate EstimateCsat(const Tally& tally, int min_sample_size) {
  CsatEstimate e;
  e.count = Sum(tally.csat, 0, 5);
  e.satisfied = Sum(tally.csat, 3, 5);
  e.significant = Significant(e.count, min_sample_size);
  ShareEstimate(e.satisfied, e.count, &e);
  return e;
}

Estimate EstimateCes(const Tally& tally, int min_sample_size) {
  Estimate e;
  e.count = Sum(tally.ces, 0, 7);
  e.significant = Significant(e.count, min_sample_size);
  if (e.count == 0) return e;
  const double n = static_cast<double>(e.count);
  double sum = 0;
  for (int i = 0; i < 7; ++i) sum += static_cast<double>(tally.ces[i]) * (i + 1);
  const double mean = sum / n;
  double squares = 0;
  for (int i = 0; i < 7; ++i) {
    squares += static_cast<double>(tally.ces[i]) * (i + 1 - mean) * (i + 1 - mean);
  }
  e.value = mean;
  e.standard_error = std::sqrt(squares / n / n);
  return e;
}

ChangeEstimate Compare(const Estimate& current, const Estimate& previous, int min_sample_size) {
  ChangeEstimate c;
  c.previous = previous.value;
  c.previous_count = previous.count;
  if (!current.value || !previous.value) return c;
  c.delta = *current.value - *previous.value;
  const double se1 = *current.standard_error, se2 = *previous.standard_error;
  const double denominator = std::sqrt(se1 * se1 + se2 * se2);
  const bool enough =
      Significant(current.count, min_sample_size) && Significant(previous.count, min_sample_size);
  if (denominator > 0) {
    c.z = std::abs(*c.delta) / denominator;
    c.significant = enough && *c.z >= kZ95;
  } else {
    // Neither side varies (e.g. all promoters, then all passives): any
    // difference is certain.
    c.significant = enough && *c.delta != 0;
  }
  return c;
}

void FillNps(const Tally& current, const Tally& previous, int min_sample_size,
             v1::NpsFigures* out) {
  const NpsEstimate e = EstimateNps(current, min_sample_size);
  out->set_count(e.count);
  out->set_promoters(e.promoters);
  out->set_passives(e.passives);
  out->set_detractors(e.detractors);
  if (e.value) out->set_score(*e.value);
  FillInterval(e, -100, 100, out);
  out->set_significant(e.significant);
  FillChange(Compare(e, EstimateNps(previous, min_sample_size), min_sample_size),
             out->mutable_change());
  for (int64_t n : current.nps) out->add_score_counts(n);
}

void FillCsat(const Tally& current, const Tally& previous, int min_sample_size,
              v1::CsatFigures* out) {
  const CsatEstimate e = EstimateCsat(current, min_sample_size);
  out->set_count(e.count);
  out->set_satisfied(e.satisfied);
  if (e.value) out->set_score(*e.value);
  FillInterval(e, 0, 100, out);
  out->set_significant(e.significant);
  FillChange(Compare(e, EstimateCsat(previous, min_sample_size), min_sample_size),
             out->mutable_change());
  for (int64_t n : current.csat) out->add_score_counts(n);
}

void FillCes(const Tally& current, const Tally& previous, int min_sample_size,
             v1::CesFigures* out) {
  const Estimate e = EstimateCes(current, min_sample_size);
  out->set_count(e.count);
  if (e.value) out->set_mean(*e.value);
  FillInterval(e, 1, 7, out);
  out->set_significant(e.significant);
  FillChange(Compare(e, EstimateCes(previous, min_sample_size), min_sample_size),
             out->mutable_change());
  for (int64_t n : current.ces) out->add_score_counts(n);
}

}  // namespace rapport::satisfaction
