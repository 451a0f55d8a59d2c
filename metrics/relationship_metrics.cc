#include "metrics/relationship_metrics.h"

namespace rapport::metrics {

RelationshipMetrics::RelationshipMetrics(Metrics* metrics, Sources sources, bool per_relationship)
    : interactions_(prometheus::BuildCounter()
                        .Name("rapport_interactions_total")
                        .Help("Interactions logged with relationships, by kind.")
                        .Register(metrics->registry()),
                    {"kind"}),
      complaints_(prometheus::BuildCounter()
                      .Name("rapport_complaints_total")
                      .Help("Complaints logged with relationships.")
                      .Register(metrics->registry())
                      .Add({})),
      compliments_(prometheus::BuildCounter()
                       .Name("rapport_compliments_total")
                       .Help("Compliments logged with relationships.")
                       .Register(metrics->registry())
                       .Add({})) {
  metrics->AddScrapeGauge(
      "rapport_relationships", "Relationships in the register, by kind, tier and status.",
      [counts = sources.counts] {
        std::vector<GaugeSample> samples;
        for (const auto& c : counts()) {
          samples.push_back({{{"kind", c.kind}, {"tier", c.tier}, {"status", c.status}}, c.value});
        }
        return samples;
      });
  metrics->AddScrapeGauge(
      "rapport_relationship_health_average",
      "Average of the last computed health score (0-100) of relationships, by tier.",
      [averages = sources.average_health_by_tier] {
        std::vector<GaugeSample> samples;
        for (const auto& [tier, value] : averages()) samples.push_back({{{"tier", tier}}, value});
        return samples;
      });
  if (per_relationship) {
    metrics->AddScrapeGauge(
        "rapport_relationship_health_score",
        "Last computed health score (0-100) per relationship (enabled by "
        "--per_relationship_metrics; one series per relationship).",
        [scores = sources.health_by_relationship] {
          std::vector<GaugeSample> samples;
          for (const auto& [id, value] : scores()) {
            samples.push_back({{{"relationship", id}}, value});
          }
          return samples;
        });
  }
}

void RelationshipMetrics::ObserveInteraction(const std::string& kind) {
  interactions_.Get({kind}).Increment();
  if (kind == "COMPLAINT") complaints_.Increment();
  if (kind == "COMPLIMENT") compliments_.Increment();
}

}  // namespace rapport::metrics
