// Metric families of the escalation workflow: open escalations by state,
// level and severity (a gauge read at scrape time from the counters the
// domain keeps at write time, so it is right after a restart), escalations
// opened by source and severity, automatic level changes (counters), the
// time to acknowledge and to resolve (histograms, seconds), and since when
// the oldest unacknowledged escalation of each severity has waited (a
// timestamp gauge, so that alerting rules compute its age).
#pragma once

#include <functional>
#include <map>
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

  // Adds the gauge rapport_escalation_oldest_unacknowledged_timestamp_seconds:
  // per severity enum name ("SEV1"), the Unix time since which the
  // longest-waiting OPEN escalation has waited for acknowledgement.
  // `oldest_by_severity` is called at every scrape. Call at start-up.
  void AddOldestUnacknowledged(std::function<std::map<std::string, double>()> oldest_by_severity);

 private:
  CounterCache opened_;
  prometheus::Family<prometheus::Counter>& auto_changes_;
  prometheus::Histogram& ack_seconds_;
  prometheus::Histogram& resolve_seconds_;
  Metrics* const metrics_;
};

}  // namespace rapport::metrics
