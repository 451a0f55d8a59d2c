#include "cli/satisfaction_views.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/format.h"
#include "cli/table.h"

namespace rapport::cli {
namespace {

template <typename Figures>
Figure Common(const Figures& f, std::optional<double> score) {
  Figure figure;
  figure.count = f.count();
  figure.score = score;
  if (f.has_margin()) figure.margin = f.margin();
  if (f.has_lower()) figure.lower = f.lower();
  if (f.has_upper()) figure.upper = f.upper();
  figure.significant = f.significant();
  figure.change = f.change();
  return figure;
}

template <typename HasFigures>
Figure Pick(const HasFigures& h, Metric metric) {
  switch (metric) {
    case Metric::kNps:
      return Common(h.nps(),
                    h.nps().has_score() ? std::optional<double>(h.nps().score()) : std::nullopt);
    case Metric::kCsat:
      return Common(h.csat(),
                    h.csat().has_score() ? std::optional<double>(h.csat().score()) : std::nullopt);
    case Metric::kCes:
      break;
  }
  return Common(h.ces(), h.ces().has_mean() ? std::optional<double>(h.ces().mean()) : std::nullopt);
}

// The metric's scale: NPS -100..100, CSAT 0..100 (percent), CES 1..7.
std::pair<double, double> Scale(Metric metric) {
  switch (metric) {
    case Metric::kNps:
      return {-100, 100};
    case Metric::kCsat:
      return {0, 100};
    case Metric::kCes:
      break;
  }
  return {1, 7};
}

std::string Margin(Metric metric, const Figure& f) {
  if (!f.margin) return "-";
  return metric == Metric::kCes ? absl::StrFormat("±%.2f", *f.margin)
                                : absl::StrFormat("±%.1f", *f.margin);
}

std::string Interval(Metric metric, const Figure& f) {
  if (!f.lower || !f.upper) return "-";
  return absl::StrCat(FormatScore(metric, *f.lower), " to ", FormatScore(metric, *f.upper));
}

std::string Delta(Metric metric, double delta) {
  return metric == Metric::kCes ? absl::StrFormat("%+.2f", delta) : absl::StrFormat("%+.1f", delta);
}

// The score with a * when the sample is below the minimum size.
std::string ScoreCell(Metric metric, const Figure& f) {
  if (!f.score) return "-";
  return FormatScore(metric, *f.score) + (f.significant ? "" : "*");
}

// 1, 2 or 5 times a power of ten, at least `rough`.
double NiceStep(double rough) {
  const double power = std::pow(10.0, std::floor(std::log10(rough)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (rough <= m * power) return m * power;
  }
  return 10 * power;
}

std::string AxisValue(double v) { return absl::StrFormat("%g", std::abs(v) < 1e-9 ? 0.0 : v); }

}  // namespace

Figure FigureOf(const v1::Score& score, Metric metric) { return Pick(score, metric); }
Figure FigureOf(const v1::TrendPoint& point, Metric metric) { return Pick(point, metric); }

std::string MetricName(Metric metric) {
  switch (metric) {
    case Metric::kNps:
      return "NPS";
    case Metric::kCsat:
      return "CSAT";
    case Metric::kCes:
      break;
  }
  return "CES";
}

std::string FormatScore(Metric metric, double value) {
  switch (metric) {
    case Metric::kNps:
      return absl::StrFormat("%+.1f", std::abs(value) < 0.05 ? 0.0 : value);
    case Metric::kCsat:
      return absl::StrFormat("%.1f%%", value);
    case Metric::kCes:
      break;
  }
  return absl::StrFormat("%.2f", value);
}

void PrintScore(const v1::Score& score, std::ostream& os) {
  PrintFields({{"Scope:", score.scope().empty() ? "all answers" : score.scope()},
               {"Window:",
                absl::StrCat(HumanTime(score.start_time()), " to ", HumanTime(score.end_time()))},
               {"Compared with:", absl::StrCat(HumanTime(score.previous_start_time()), " to ",
                                               HumanTime(score.start_time()))}},
              os);
  os << "\n";
  Table table({"METRIC", "SCORE", "±95%", "INTERVAL", "ANSWERS", "CHANGE"});
  table.AlignRight(1).AlignRight(2).AlignRight(4);
  bool small = false;
  for (Metric metric : {Metric::kNps, Metric::kCsat, Metric::kCes}) {
    const Figure f = FigureOf(score, metric);
    small = small || (f.score && !f.significant);
    std::string change = "-";
    if (f.change.has_delta()) {
      change = absl::StrCat(Delta(metric, f.change.delta()), " from ",
                            FormatScore(metric, f.change.previous_score()),
                            f.change.significant() ? ", significant" : ", within noise");
    } else if (f.score && f.change.previous_count() == 0) {
      change = "- (no answers before)";
    }
    table.AddRow({MetricName(metric), ScoreCell(metric, f), Margin(metric, f), Interval(metric, f),
                  absl::StrCat(f.count), change});
  }
  table.Print(os);
  const auto& nps = score.nps();
  if (nps.count() > 0) {
    os << "\nNPS answers: " << nps.promoters() << " promoters (9-10), " << nps.passives()
       << " passives (7-8), " << nps.detractors() << " detractors (0-6)\n";
  }
  if (small) {
    os << "\n* fewer than " << score.min_sample_size() << " answers: not significant\n";
  }
}

void PrintTrend(const v1::Trend& trend, Metric metric, std::ostream& os) {
  const std::string bucket =
      absl::AsciiStrToLower(v1::GetTrendRequest::Bucket_Name(trend.bucket()));
  os << MetricName(metric) << " per " << bucket << " (" << trend.time_zone() << ")";
  if (trend.rolling_days() > 0)
    os << ", each over the " << trend.rolling_days() << " days up to it";
  os << ", of " << (trend.scope().empty() ? "all answers" : trend.scope()) << "\n\n";
  if (trend.points_size() == 0) {
    os << "No points.\n";
    return;
  }
  Table table({"PERIOD", "ANSWERS", "SCORE", "±95%", "INTERVAL", "CHANGE"});
  table.AlignRight(1).AlignRight(2).AlignRight(3);
  std::vector<ChartPoint> chart;
  bool small = false;
  for (const auto& p : trend.points()) {
    const Figure f = FigureOf(p, metric);
    small = small || (f.score && !f.significant);
    std::string change = "-";
    if (f.change.has_delta()) {
      change = Delta(metric, f.change.delta());
      if (f.change.significant()) absl::StrAppend(&change, " significant");
    }
    table.AddRow({p.label(), absl::StrCat(f.count), ScoreCell(metric, f), Margin(metric, f),
                  Interval(metric, f), change});
    chart.push_back({p.label(), f.count, f.score, f.lower, f.upper});
  }
  table.Print(os);
  if (small) os << "* fewer than " << trend.min_sample_size() << " answers: not significant\n";
  os << "\n" << MetricName(metric) << " with 95% intervals:\n\n" << TrendChart(chart, metric, 40);
}

std::string TrendChart(const std::vector<ChartPoint>& points, Metric metric, int width) {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  size_t label_width = 0, count_width = 0, score_width = 0;
  for (const auto& p : points) {
    label_width = std::max(label_width, DisplayWidth(p.label));
    count_width = std::max(count_width, absl::StrCat("n=", p.count).size());
    if (!p.score) continue;
    score_width = std::max(score_width, FormatScore(metric, *p.score).size());
    lo = std::min(lo, p.lower.value_or(*p.score));
    hi = std::max(hi, p.upper.value_or(*p.score));
  }
  if (lo > hi) return "No answers in the range.\n";
  // Round the axis out to round numbers, within the metric's scale.
  const auto [scale_lo, scale_hi] = Scale(metric);
  const double step = NiceStep(std::max(hi - lo, metric == Metric::kCes ? 0.5 : 5.0) / 4);
  lo = std::max(scale_lo, std::floor(lo / step) * step);
  hi = std::min(scale_hi, std::ceil(hi / step) * step);
  if (hi <= lo) {
    hi = std::min(scale_hi, lo + step);
    lo = hi - step;
  }
  auto column = [&](double v) {
    const long c = std::lround((v - lo) / (hi - lo) * (width - 1));
    return static_cast<int>(std::clamp<long>(c, 0, width - 1));
  };

  std::string out;
  const size_t prefix = label_width + 2 + count_width + 2 + score_width + 2;
  for (const auto& p : points) {
    std::string line = absl::StrCat(
        PadRight(p.label, label_width), "  ",
        std::string(count_width - absl::StrCat("n=", p.count).size(), ' '), "n=", p.count, "  ");
    if (!p.score) {
      absl::StrAppend(&out, line, std::string(score_width, ' '), "  no answers\n");
      continue;
    }
    const std::string score = FormatScore(metric, *p.score);
    absl::StrAppend(&line, std::string(score_width - score.size(), ' '), score, "  ");
    std::vector<std::string> cells(width, " ");
    if (metric == Metric::kNps && lo < 0 && hi > 0) cells[column(0)] = "┊";
    const int a = column(p.lower.value_or(*p.score));
    const int b = column(p.upper.value_or(*p.score));
    for (int i = a; i <= b; ++i) cells[i] = "─";
    if (a < b) {
      cells[a] = "├";
      cells[b] = "┤";
    }
    cells[column(*p.score)] = "●";
    line += absl::StrJoin(cells, "");
    line.erase(line.find_last_not_of(' ') + 1);
    absl::StrAppend(&out, line, "\n");
  }
  // The axis: its ends and middle, each under its column.
  std::string axis(width, ' ');
  const std::string left = AxisValue(lo), middle = AxisValue((lo + hi) / 2), right = AxisValue(hi);
  axis.replace(0, left.size(), left);
  const int mid = column((lo + hi) / 2) - static_cast<int>(middle.size()) / 2;
  if (mid > static_cast<int>(left.size()) &&
      mid + middle.size() < static_cast<size_t>(width) - right.size()) {
    axis.replace(mid, middle.size(), middle);
  }
  axis.replace(width - right.size(), right.size(), right);
  absl::StrAppend(&out, std::string(prefix, ' '), axis, "\n");
  return out;
}

}  // namespace rapport::cli
