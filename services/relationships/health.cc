#include "services/relationships/health.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rapport::relationships {
namespace {

using Component = v1::RelationshipHealth::Component;

double Clamp(double v) { return std::max(0.0, std::min(100.0, v)); }

Component Known(HealthComponentKind kind, double value, std::string reason) {
  Component c;
  c.set_kind(kind);
  c.set_value(Clamp(value));
  c.set_reason(std::move(reason));
  return c;
}

Component Unknown(HealthComponentKind kind, std::string reason) {
  Component c;
  c.set_kind(kind);
  c.set_band(v1::UNKNOWN);
  c.set_reason(std::move(reason));
  return c;
}

}  // namespace

v1::HealthBand BandOf(double value, const HealthConfig& config) {
  if (value < config.red_below) return v1::RED;
  if (value < config.green_from) return v1::AMBER;
  return v1::GREEN;
}

v1::RelationshipHealth ComputeHealth(const HealthInputs& in, const HealthConfig& config) {
  std::vector<Component> components;

  if (in.sla_compliance) {
    components.push_back(Known(Component::SLA_COMPLIANCE, *in.sla_compliance,
                               absl::StrFormat("%.1f%% of SLA targets met in 90 days",
                                               *in.sla_compliance)));
  } else {
    components.push_back(Unknown(Component::SLA_COMPLIANCE, "no SLA results in 90 days"));
  }

  if (in.escalations) {
    const auto& e = *in.escalations;
    if (e.open == 0) {
      components.push_back(Known(Component::ESCALATIONS, 100, "no open escalations"));
    } else {
      const double severity_penalty = std::max(0, 4 - e.highest_severity) * 10.0;
      const double age_days = absl::ToDoubleHours(e.oldest_age) / 24;
      const double value = 100 - 20.0 * e.open - severity_penalty - std::min(20.0, 2 * age_days);
      components.push_back(Known(Component::ESCALATIONS, value,
                                 absl::StrFormat("%d open, highest SEV%d, oldest %.0f days", e.open,
                                                 e.highest_severity, std::floor(age_days))));
    }
  } else {
    components.push_back(Unknown(Component::ESCALATIONS, "escalations not available"));
  }

  if (in.nps && in.nps->count > 0) {
    components.push_back(Known(
        Component::NPS, (in.nps->score + 100) / 2,
        absl::StrFormat("NPS %+.0f from %d answers in 180 days%s", in.nps->score, in.nps->count,
                        in.nps->significant ? "" : " (too few to be sure)")));
  } else {
    components.push_back(Unknown(Component::NPS, "no NPS answers in 180 days"));
  }

  if (in.csat && in.csat->count > 0) {
    components.push_back(Known(Component::CSAT, in.csat->score,
                               absl::StrFormat("CSAT %.0f%% from %d answers in 90 days",
                                               in.csat->score, in.csat->count)));
  } else {
    components.push_back(Unknown(Component::CSAT, "no CSAT answers in 90 days"));
  }

  const int feedback = in.complaints_90d + in.compliments_90d;
  if (feedback > 0) {
    // Laplace-smoothed share of compliments: one complaint alone is not zero.
    const double value = 100.0 * (in.compliments_90d + 1) / (feedback + 2);
    components.push_back(Known(Component::FEEDBACK_BALANCE, value,
                               absl::StrCat(in.complaints_90d, " complaints, ", in.compliments_90d,
                                            " compliments in 90 days")));
  } else {
    components.push_back(
        Unknown(Component::FEEDBACK_BALANCE, "no complaints or compliments in 90 days"));
  }

  if (in.last_review) {
    const double days = std::max(0.0, absl::ToDoubleHours(in.now - *in.last_review) / 24);
    // Full marks within a month, then down to zero at six months.
    const double value = days <= 30 ? 100 : 100 * (180 - days) / 150;
    components.push_back(Known(Component::ENGAGEMENT, value,
                               absl::StrFormat("last review or meeting %.0f days ago",
                                               std::floor(days))));
  } else if (in.now - in.created > absl::Hours(24 * 90)) {
    components.push_back(
        Known(Component::ENGAGEMENT, 0, "no review or meeting logged in the relationship's life"));
  } else {
    components.push_back(
        Unknown(Component::ENGAGEMENT, "no review or meeting logged yet (relationship is new)"));
  }

  if (in.opportunities > 0) {
    double value;
    std::string reason;
    if (in.opportunities_advanced_90d == 0 && in.opportunities_declined_90d == 0) {
      value = in.opportunities_open > 0 ? 40 : 50;
      reason = in.opportunities_open > 0
                   ? absl::StrCat(in.opportunities_open, " open opportunities, none moved in 90 days")
                   : "no open opportunities";
    } else {
      value = 50 + 15.0 * in.opportunities_advanced_90d - 15.0 * in.opportunities_declined_90d;
      reason = absl::StrCat(in.opportunities_advanced_90d, " moved forward, ",
                            in.opportunities_declined_90d, " declined in 90 days");
    }
    components.push_back(Known(Component::OPPORTUNITY_MOMENTUM, value, reason));
  } else {
    components.push_back(Unknown(Component::OPPORTUNITY_MOMENTUM, "no opportunities recorded"));
  }

  // Weighted mean over the known components; their weights are renormalised,
  // which spreads the unknown ones' weight proportionally.
  double known_weight = 0;
  for (const auto& c : components) {
    if (c.band() != v1::UNKNOWN) known_weight += config.weights[c.kind()];
  }
  v1::RelationshipHealth health;
  double score = 0;
  for (auto& c : components) {
    c.set_weight(config.weights[c.kind()]);
    if (c.band() != v1::UNKNOWN && known_weight > 0) {
      c.set_band(BandOf(c.value(), config));
      c.set_effective_weight(c.weight() / known_weight);
      score += c.value() * c.effective_weight();
    }
    *health.add_components() = c;
  }
  if (known_weight > 0) {
    health.set_score(score);
    health.set_band(BandOf(score, config));
  } else {
    health.set_band(v1::UNKNOWN);
  }

  // Watermelon: green SLAs over unhappy customers.
  if (in.sla_compliance && *in.sla_compliance >= config.watermelon_sla_met_from) {
    std::vector<std::string> reasons;
    if (in.nps && in.nps->count > 0 && in.nps->score < config.watermelon_nps_below) {
      reasons.push_back(absl::StrFormat("NPS is %+.0f", in.nps->score));
    }
    if (in.nps && in.nps->change < 0 && in.nps->change_significant) {
      reasons.push_back(absl::StrFormat("NPS fell %.0f points", -in.nps->change));
    }
    if (in.csat && in.csat->count > 0 && in.csat->score < config.watermelon_csat_below) {
      reasons.push_back(absl::StrFormat("CSAT is %.0f%%", in.csat->score));
    }
    if (in.csat && in.csat->change < 0 && in.csat->change_significant) {
      reasons.push_back(absl::StrFormat("CSAT fell %.0f points", -in.csat->change));
    }
    if (in.complaints_90d > in.compliments_90d && in.complaints_90d >= 2) {
      reasons.push_back(absl::StrCat(in.complaints_90d, " complaints against ",
                                     in.compliments_90d, " compliments"));
    }
    if (!reasons.empty()) {
      health.set_watermelon(true);
      std::string joined;
      for (size_t i = 0; i < reasons.size(); ++i) {
        absl::StrAppend(&joined, i == 0 ? "" : ", ", reasons[i]);
      }
      health.set_watermelon_reason(absl::StrFormat(
          "SLAs are met (%.1f%%) but %s", *in.sla_compliance, joined));
    }
  }
  return health;
}

}  // namespace rapport::relationships
