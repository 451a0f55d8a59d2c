// Metric families of satisfaction measurement: answers by survey kind and
// category and withdrawals (counters), and gauges read at scrape time from the
// store's aggregates, so they are right after a restart: NPS and CSAT per
// service and over every answer, for rolling windows (30 and 90 days), with
// the number of answers and the standard error behind each, and the minimum
// sample size; and, behind a flag (one series per relationship), NPS per
// relationship.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "metrics/metrics.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"

namespace rapport::metrics {

class SatisfactionMetrics final {
 public:
  // Scores of one scope over one rolling window.
  struct ScopeScore {
    // Service or relationship id; empty for every answer together.
    std::string id;
    // The window's label value, e.g. "30d".
    std::string window;
    // NPS, -100..100; nullopt without NPS answers.
    std::optional<double> nps;
    // CSAT as a ratio, 0..1; nullopt without CSAT answers.
    std::optional<double> csat_ratio;
    int64_t nps_answers = 0;
    int64_t csat_answers = 0;
    // Standard errors of `nps` (NPS points) and `csat_ratio` (ratio units);
    // nullopt without answers. The 95% margin is 1.96 of them.
    std::optional<double> nps_standard_error;
    std::optional<double> csat_ratio_standard_error;
  };
  struct Sources {
    // Per service, plus one entry with an empty id for every answer. Read
    // once per scrape.
    std::function<std::vector<ScopeScore>()> by_service;
    // Per relationship; only read when per_relationship is true.
    std::function<std::vector<ScopeScore>()> by_relationship;
    // Below this many answers a score is not significant
    // (--satisfaction_min_sample_size), exported so that alerting rules
    // judge significance as the server does.
    int min_sample_size = 30;
  };

  // Registers the families on `metrics`, which must outlive this object.
  SatisfactionMetrics(Metrics* metrics, Sources sources, bool per_relationship);

  // Counts one answer: `kind` a Survey.Kind name ("NPS"), `category` a
  // Response.Category name ("DETRACTOR") or "SKIPPED".
  void ObserveAnswer(const std::string& kind, const std::string& category);
  // Counts one withdrawn answer.
  void ObserveWithdrawal(const std::string& kind, const std::string& category);

 private:
  CounterCache answers_;
  CounterCache withdrawals_;
};

}  // namespace rapport::metrics
