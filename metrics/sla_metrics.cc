#include "metrics/sla_metrics.h"

namespace rapport::metrics {

SlaMetrics::SlaMetrics(Metrics* metrics)
    : crossings_(prometheus::BuildCounter()
                     .Name("rapport_sla_threshold_crossings_total")
                     .Help("SLA warnings and breaches as they happen, by service, priority, "
                           "type (warning or breach) and timer kind.")
                     .Register(metrics->registry()),
                 {"service", "priority", "type", "timer"}),
      completions_(prometheus::BuildCounter()
                       .Name("rapport_sla_timers_completed_total")
                       .Help("First response and resolution timers completed, by service, "
                             "priority, timer kind and outcome (met or breached).")
                       .Register(metrics->registry()),
                   {"service", "priority", "timer", "outcome"}) {}

void SlaMetrics::ObserveCrossing(const std::string& service, const std::string& priority,
                                 const std::string& type, const std::string& timer) {
  crossings_.Get({service, priority, type, timer}).Increment();
}

void SlaMetrics::ObserveCompletion(const std::string& service, const std::string& priority,
                                   const std::string& timer, bool breached) {
  completions_.Get({service, priority, timer, breached ? "breached" : "met"}).Increment();
}

}  // namespace rapport::metrics
