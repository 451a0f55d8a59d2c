// Metric families of the relationship register: relationships by kind, tier
// and status and average health per tier (gauges read at scrape time from the
// store's counters and snapshots), interactions by kind, complaints and
// compliments (counters), and, behind a flag, health per relationship.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "metrics/metrics.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"

namespace rapport::metrics {

class RelationshipMetrics final {
 public:
  // One relationship count for the gauge, with label values.
  struct Count {
    std::string kind, tier, status;
    double value = 0;
  };
  struct Sources {
    std::function<std::vector<Count>()> counts;
    // Average last computed health per tier label value.
    std::function<std::map<std::string, double>()> average_health_by_tier;
    // Last computed health per relationship id; only read when
    // per_relationship is true.
    std::function<std::map<std::string, double>()> health_by_relationship;
  };

  // Registers the families on `metrics`, which must outlive this object.
  RelationshipMetrics(Metrics* metrics, Sources sources, bool per_relationship);

  // Counts one logged interaction of `kind` (an Interaction.Kind name).
  void ObserveInteraction(const std::string& kind);

 private:
  CounterCache interactions_;
  prometheus::Counter& complaints_;
  prometheus::Counter& compliments_;
};

}  // namespace rapport::metrics
