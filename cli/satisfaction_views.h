// rapportctl's output for satisfaction scores and trends: tables of NPS,
// CSAT and CES with their 95% margins, and a trend drawn as a text chart of
// intervals (├──●──┤) on a common axis. Pure functions from messages to text.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "rapport/v1/satisfaction.pb.h"

namespace rapport::cli {

// Which figure of a Score or TrendPoint to show.
enum class Metric { kNps, kCsat, kCes };

// One figure (NPS, CSAT or CES) in the terms the views share.
struct Figure {
  int64_t count = 0;
  std::optional<double> score, margin, lower, upper;
  bool significant = false;  // count reaches the minimum sample size.
  v1::Change change;
};
Figure FigureOf(const v1::Score& score, Metric metric);
Figure FigureOf(const v1::TrendPoint& point, Metric metric);

// "NPS", "CSAT" or "CES".
std::string MetricName(Metric metric);
// A score as people read it: NPS "+32.0", CSAT "86.0%", CES "5.40".
std::string FormatScore(Metric metric, double value);

// The scores of a window: a row per metric (score, margin, interval,
// answers, change against the window before), the NPS breakdown, and a
// note on figures below the minimum sample size.
void PrintScore(const v1::Score& score, std::ostream& os);

// A trend of one metric: a row per point, then the chart.
void PrintTrend(const v1::Trend& trend, Metric metric, std::ostream& os);

// One line of a chart: a label, the answer count, the score, and an interval.
struct ChartPoint {
  std::string label;
  int64_t count = 0;
  std::optional<double> score, lower, upper;
};
// The chart itself: one line per point with its 95% interval drawn as
// ├──●──┤ on an axis `width` columns wide that spans every interval (rounded
// out to round numbers, within the metric's range), a ┊ at zero for NPS, and
// the axis's values under it. Points without answers say so.
std::string TrendChart(const std::vector<ChartPoint>& points, Metric metric, int width);

}  // namespace rapport::cli
