#include "metrics/escalation_metrics.h"

namespace rapport::metrics {
namespace {

// 1 minute to 2 weeks.
prometheus::Histogram::BucketBoundaries DurationBuckets() {
  return {60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800, 1209600};
}

}  // namespace

EscalationMetrics::EscalationMetrics(Metrics* metrics,
                                     std::function<std::vector<OpenCount>()> open_counts)
    : opened_(prometheus::BuildCounter()
                  .Name("rapport_escalations_opened_total")
                  .Help("Escalations opened, by source and severity.")
                  .Register(metrics->registry()),
              {"source", "severity"}),
      auto_changes_(
          prometheus::BuildCounter()
              .Name("rapport_escalation_auto_level_changes_total")
              .Help("Automatic level changes (an unacknowledged level timed out, the "
                    "policy repeated, an acknowledged escalation re-triggered), by action.")
              .Register(metrics->registry())),
      ack_seconds_(prometheus::BuildHistogram()
                       .Name("rapport_escalation_time_to_acknowledge_seconds")
                       .Help("Time from opening an escalation to its first acknowledgement.")
                       .Register(metrics->registry())
                       .Add({}, DurationBuckets())),
      resolve_seconds_(prometheus::BuildHistogram()
                           .Name("rapport_escalation_time_to_resolve_seconds")
                           .Help("Time from opening an escalation to its resolution.")
                           .Register(metrics->registry())
                           .Add({}, DurationBuckets())),
      metrics_(metrics) {
  // The actions are known: their series start at 0, so they exist (and
  // rate() counts the first change) before anything has happened.
  for (const char* action : {"AUTO_ESCALATED", "REPEATED", "RETRIGGERED"}) {
    auto_changes_.Add({{"action", action}});
  }
  metrics->AddScrapeGauge(
      "rapport_escalations_open",
      "Open escalations (OPEN, ACKNOWLEDGED, ON_HOLD) by state, "
      "level (0-based index) and severity.",
      [open_counts = std::move(open_counts)] {
        std::vector<GaugeSample> samples;
        for (const auto& c : open_counts()) {
          samples.push_back(
              {{{"state", c.state}, {"level", c.level}, {"severity", c.severity}}, c.value});
        }
        return samples;
      });
}

void EscalationMetrics::ObserveOpened(const std::string& source, const std::string& severity) {
  opened_.Get({source, severity}).Increment();
}

void EscalationMetrics::ObserveAutoChange(const std::string& action) {
  auto_changes_.Add({{"action", action}}).Increment();
}

void EscalationMetrics::ObserveAcknowledged(double seconds) { ack_seconds_.Observe(seconds); }

void EscalationMetrics::ObserveResolved(double seconds) { resolve_seconds_.Observe(seconds); }

void EscalationMetrics::AddOldestUnacknowledged(
    std::function<std::map<std::string, double>()> oldest_by_severity) {
  metrics_->AddScrapeGauge(
      "rapport_escalation_oldest_unacknowledged_timestamp_seconds",
      "Unix time since which the longest-waiting escalation in state OPEN has waited for "
      "acknowledgement (when it last entered OPEN), by severity; absent without OPEN "
      "escalations. Its age is time() minus the value.",
      [oldest = std::move(oldest_by_severity)] {
        std::vector<GaugeSample> samples;
        for (const auto& [severity, since] : oldest()) {
          samples.push_back({{{"severity", severity}}, since});
        }
        return samples;
      });
}

}  // namespace rapport::metrics
