#include "metrics/satisfaction_metrics.h"

#include <chrono>
#include <memory>
#include <mutex>

namespace rapport::metrics {
namespace {

// The scores of one scrape, shared by the gauges that render them: the
// families are collected one after the other, and computing the scores once
// per scrape (not once per family) keeps a scrape's cost at one read of the
// aggregates.
class ScrapeCache {
 public:
  explicit ScrapeCache(std::function<std::vector<SatisfactionMetrics::ScopeScore>()> source)
      : source_(std::move(source)) {}

  std::vector<SatisfactionMetrics::ScopeScore> Get() {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (!valid_ || now - computed_ > std::chrono::seconds(1)) {
      scores_ = source_ ? source_() : std::vector<SatisfactionMetrics::ScopeScore>();
      computed_ = now;
      valid_ = true;
    }
    return scores_;
  }

 private:
  const std::function<std::vector<SatisfactionMetrics::ScopeScore>()> source_;
  std::mutex mu_;
  bool valid_ = false;
  std::chrono::steady_clock::time_point computed_;
  std::vector<SatisfactionMetrics::ScopeScore> scores_;
};

using Pick = std::function<std::optional<double>(const SatisfactionMetrics::ScopeScore&)>;

// Samples of scopes with a non-empty (`overall` false) or empty id.
std::vector<GaugeSample> Samples(ScrapeCache& cache, const std::string& label, bool overall,
                                 const Pick& pick) {
  std::vector<GaugeSample> out;
  for (const auto& s : cache.Get()) {
    if (s.id.empty() != overall) continue;
    const auto value = pick(s);
    if (!value) continue;
    GaugeSample sample{{{"window", s.window}}, *value};
    if (!overall) sample.labels[label] = s.id;
    out.push_back(std::move(sample));
  }
  return out;
}

std::optional<double> Nps(const SatisfactionMetrics::ScopeScore& s) { return s.nps; }
std::optional<double> Csat(const SatisfactionMetrics::ScopeScore& s) { return s.csat_ratio; }
std::optional<double> NpsError(const SatisfactionMetrics::ScopeScore& s) {
  return s.nps ? s.nps_standard_error : std::nullopt;
}
std::optional<double> CsatError(const SatisfactionMetrics::ScopeScore& s) {
  return s.csat_ratio ? s.csat_ratio_standard_error : std::nullopt;
}

}  // namespace

SatisfactionMetrics::SatisfactionMetrics(Metrics* metrics, Sources sources, bool per_relationship)
    : answers_(prometheus::BuildCounter()
                   .Name("rapport_satisfaction_answers_total")
                   .Help("Survey answers recorded, by survey kind (NPS, CSAT, CES) and category "
                         "(PROMOTER, PASSIVE, DETRACTOR, or SKIPPED without a score).")
                   .Register(metrics->registry()),
               {"kind", "category"}),
      withdrawals_(prometheus::BuildCounter()
                       .Name("rapport_satisfaction_withdrawals_total")
                       .Help("Survey answers withdrawn (e.g. data-protection requests), by survey "
                             "kind and category.")
                       .Register(metrics->registry()),
                   {"kind", "category"}) {
  auto services = std::make_shared<ScrapeCache>(sources.by_service);
  metrics->AddScrapeGauge(
      "rapport_satisfaction_nps",
      "Net Promoter Score (-100..100) of the answers about a service over a rolling window "
      "(window=30d or 90d); absent without NPS answers. Summed counts, never averaged scores.",
      [services] { return Samples(*services, "service", false, Nps); });
  metrics->AddScrapeGauge(
      "rapport_satisfaction_csat_ratio",
      "CSAT (share of 4 and 5 on 1-5, 0..1) of the answers about a service over a rolling "
      "window; absent without CSAT answers.",
      [services] { return Samples(*services, "service", false, Csat); });
  metrics->AddScrapeGauge(
      "rapport_satisfaction_scored_answers",
      "Answers with a score behind the NPS and CSAT gauges, by service, window and kind: judge "
      "a score's noise by it (below 30 it is not significant).",
      [services] {
        std::vector<GaugeSample> out;
        for (const auto& s : services->Get()) {
          if (s.id.empty()) continue;
          out.push_back({{{"service", s.id}, {"window", s.window}, {"kind", "NPS"}},
                         static_cast<double>(s.nps_answers)});
          out.push_back({{{"service", s.id}, {"window", s.window}, {"kind", "CSAT"}},
                         static_cast<double>(s.csat_answers)});
        }
        return out;
      });
  metrics->AddScrapeGauge("rapport_satisfaction_overall_nps",
                          "Net Promoter Score (-100..100) of every answer over a rolling window.",
                          [services] { return Samples(*services, "", true, Nps); });
  metrics->AddScrapeGauge("rapport_satisfaction_overall_csat_ratio",
                          "CSAT (0..1) of every answer over a rolling window.",
                          [services] { return Samples(*services, "", true, Csat); });
  // Standard errors, so that margins (1.96 of them) and the significance of a
  // change between windows can be computed in PromQL.
  metrics->AddScrapeGauge(
      "rapport_satisfaction_nps_standard_error",
      "Standard error (NPS points) of rapport_satisfaction_nps, by service and window; its 95% "
      "margin is 1.96 of it.",
      [services] { return Samples(*services, "service", false, NpsError); });
  metrics->AddScrapeGauge(
      "rapport_satisfaction_csat_ratio_standard_error",
      "Standard error (0..1) of rapport_satisfaction_csat_ratio, by service and window; its 95% "
      "margin is 1.96 of it.",
      [services] { return Samples(*services, "service", false, CsatError); });
  metrics->AddScrapeGauge(
      "rapport_satisfaction_overall_nps_standard_error",
      "Standard error (NPS points) of rapport_satisfaction_overall_nps, by window.",
      [services] { return Samples(*services, "", true, NpsError); });
  metrics->AddScrapeGauge(
      "rapport_satisfaction_overall_csat_ratio_standard_error",
      "Standard error (0..1) of rapport_satisfaction_overall_csat_ratio, by window.",
      [services] { return Samples(*services, "", true, CsatError); });
  metrics->AddScrapeGauge(
      "rapport_satisfaction_min_sample_size",
      "Answers a score needs to be significant (--satisfaction_min_sample_size).",
      [n = sources.min_sample_size] {
        return std::vector<GaugeSample>{{{}, static_cast<double>(n)}};
      });
  if (per_relationship) {
    auto relationships = std::make_shared<ScrapeCache>(sources.by_relationship);
    metrics->AddScrapeGauge(
        "rapport_satisfaction_relationship_nps",
        "Net Promoter Score (-100..100) per relationship over a rolling window (enabled by "
        "--per_relationship_metrics; one series per relationship and window).",
        [relationships] { return Samples(*relationships, "relationship", false, Nps); });
  }
}

void SatisfactionMetrics::ObserveAnswer(const std::string& kind, const std::string& category) {
  answers_.Get({kind, category}).Increment();
}

void SatisfactionMetrics::ObserveWithdrawal(const std::string& kind, const std::string& category) {
  withdrawals_.Get({kind, category}).Increment();
}

}  // namespace rapport::metrics
