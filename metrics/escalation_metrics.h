// Metric families of the escalation workflow: open escalations by state,
// level and severity (a gauge read at scrape time from the counters the
// domain keeps at write time, so it is right after a restart), escalations
// opened by source and severity, automatic level changes (counters), and the
// time to acknowledge and to resolve (histograms, seconds).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "metrics/metrics.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"

namespace rapport::metrics {

class EscalationMetrics final {
 public:
  // One sample of the open-escalations gauge, with label values.
  struct OpenCount {
    std::string state, level, severity;
    double value = 0;
  };

  // Registers the families on `metrics`, which must outlive this object;
  // `open_counts` is called at every scrape.
  EscalationMetrics(Metrics* metrics, std::function<std::vector<OpenCount>()> open_counts);

  // An escalation was opened (source and severity enum names).
  void ObserveOpened(const std::string& source, const std::string& severity);
  // An automatic level change (AUTO_ESCALATED, REPEATED, RETRIGGERED).
  void ObserveAutoChange(const std::string& action);
  // First acknowledgement, `seconds` after opening.
  void ObserveAcknowledged(double seconds);
  // Resolution, `seconds` after opening.
  void ObserveResolved(double seconds);

 private:
  prometheus::Family<prometheus::Counter>& opened_;
  prometheus::Family<prometheus::Counter>& auto_changes_;
  prometheus::Histogram& ack_seconds_;
  prometheus::Histogram& resolve_seconds_;
};

}  // namespace rapport::metrics
