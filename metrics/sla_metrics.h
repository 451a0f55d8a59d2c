// Metric families of SLA timers: crossings and completions (counters, by
// service, priority and timer kind), and gauges read at scrape time from the
// store's aggregates (compliance ratio per service and agreement type this
// month and over 30 days, open tickets at risk and breached, availability
// and error budget per service), so they are right after a restart.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "metrics/metrics.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"

namespace rapport::metrics {

class SlaMetrics final {
 public:
  // Registers the counter families on `metrics`, which must outlive this.
  explicit SlaMetrics(Metrics* metrics);

  // A warning or breach ("warning" or "breach") of a timer kind.
  void ObserveCrossing(const std::string& service, const std::string& priority,
                       const std::string& type, const std::string& timer);
  // A response or resolution timer completed.
  void ObserveCompletion(const std::string& service, const std::string& priority,
                         const std::string& timer, bool breached);

 private:
  CounterCache crossings_;
  CounterCache completions_;
};

}  // namespace rapport::metrics
