#include "services/satisfaction/tallies.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>

#include "absl/strings/str_cat.h"
#include "storage/key_codec.h"
#include "storage/status_macros.h"

namespace rapport::satisfaction {
namespace {

using storage::Cf;
namespace keys = storage::satkeys;

constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kSecondsPerQuarter = 900;
// A slot read once per edge day is cheaper as one scan over all the days
// between its first and last edge day when at least one day in this many is
// an edge day (a scan step costs far less than a seek).
constexpr int64_t kScanDensity = 8;

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Candidate decomposition: `blocks` six-hour blocks, then `hours` hours, then
// `quarters` quarter hours from the end of the blocks (negative: backwards).
std::vector<SlotTerm> TermsOf(int blocks, int hours, int quarters) {
  std::vector<SlotTerm> terms;
  if (blocks <= 4 - blocks) {
    for (int b = 0; b < blocks; ++b) terms.push_back({1, 'B', b});
  } else {
    terms.push_back({1, 'D', 0});
    for (int b = blocks; b < 4; ++b) terms.push_back({-1, 'B', b});
  }
  const int hour_base = 6 * blocks;
  for (int h = 0; h < std::abs(hours); ++h) {
    terms.push_back(hours > 0 ? SlotTerm{1, 'H', hour_base + h}
                              : SlotTerm{-1, 'H', hour_base - 1 - h});
  }
  const int quarter_base = 4 * (hour_base + hours);
  for (int q = 0; q < std::abs(quarters); ++q) {
    terms.push_back(quarters > 0 ? SlotTerm{1, 'Q', quarter_base + q}
                                 : SlotTerm{-1, 'Q', quarter_base - 1 - q});
  }
  return terms;
}

// Reads cost: every term but the day's.
size_t Cost(const std::vector<SlotTerm>& terms) {
  size_t n = 0;
  for (const auto& t : terms) n += t.level != 'D';
  return n;
}

const std::array<std::vector<SlotTerm>, kQuartersPerDay + 1>& TermTable() {
  static const auto* const table = [] {
    auto* t = new std::array<std::vector<SlotTerm>, kQuartersPerDay + 1>();
    for (int q = 0; q <= kQuartersPerDay; ++q) (*t)[q] = PrefixTerms(q);
    return t;
  }();
  return *table;
}

// Adds a counter row (one cell per lane, satkeys) to the counts of `kind`.
absl::Status AddRow(Tally* tally, uint32_t kind, absl::string_view value) {
  auto cells = storage::CounterCellCount(value);
  if (!cells) return absl::DataLossError("satisfaction counter is malformed");
  absl::Span<int64_t> counts = tally->Of(static_cast<v1::Survey::Kind>(kind));
  for (size_t lane = 0; lane < *cells && 2 * lane < counts.size(); ++lane) {
    const keys::TallyLanes lanes = keys::DecodeTallyLanes(storage::CounterCell(value, lane));
    counts[2 * lane] += lanes.even;
    if (2 * lane + 1 < counts.size()) counts[2 * lane + 1] += lanes.odd;
  }
  return absl::OkStatus();
}

// The rows of one slot (level and slot number) on some days.
struct SlotRows {
  std::vector<int64_t> days;  // Sorted, unique.
  std::vector<Tally> rows;    // Aligned with days.
};

// Scans the keys of one slot with days in [first, last]; `visit` gets each
// key's day, kind and value.
absl::Status ScanSlot(
    const storage::Store& store, char scope, absl::string_view scope_id, char level, int slot,
    int64_t first, int64_t last,
    const std::function<absl::Status(const keys::TallySuffix&, absl::string_view)>& visit) {
  storage::ScanOptions scan;
  scan.prefix = keys::TallyNodePrefix(scope, scope_id, level, static_cast<uint32_t>(slot));
  scan.lower = keys::TallyDayBound(scope, scope_id, level, static_cast<uint32_t>(slot), first);
  scan.upper = keys::TallyDayBound(scope, scope_id, level, static_cast<uint32_t>(slot), last + 1);
  const size_t prefix_size = scan.prefix.size();
  absl::Status error;
  RETURN_IF_ERROR(
      store.ForEach(Cf::kAggregates, scan, [&](absl::string_view key, absl::string_view value) {
        auto suffix = keys::DecodeTallySuffix(key.substr(prefix_size));
        if (!suffix) {
          error = absl::DataLossError("satisfaction counter key is malformed");
          return false;
        }
        error = visit(*suffix, value);
        return error.ok();
      }));
  return error;
}

absl::Status ReadSlotRows(const storage::Store& store, char scope, absl::string_view scope_id,
                          char level, int slot, SlotRows* rows) {
  rows->rows.assign(rows->days.size(), Tally());
  if (rows->days.empty()) return absl::OkStatus();
  const int64_t first = rows->days.front(), last = rows->days.back();
  if (static_cast<int64_t>(rows->days.size()) * kScanDensity >= last - first + 1) {
    size_t i = 0;
    return ScanSlot(store, scope, scope_id, level, slot, first, last,
                    [&](const keys::TallySuffix& k, absl::string_view value) {
                      while (i < rows->days.size() && rows->days[i] < k.day) ++i;
                      if (i == rows->days.size() || rows->days[i] != k.day) return absl::OkStatus();
                      return AddRow(&rows->rows[i], k.kind, value);
                    });
  }
  for (size_t i = 0; i < rows->days.size(); ++i) {
    RETURN_IF_ERROR(ScanSlot(store, scope, scope_id, level, slot, rows->days[i], rows->days[i],
                             [&](const keys::TallySuffix& k, absl::string_view value) {
                               return AddRow(&rows->rows[i], k.kind, value);
                             }));
  }
  return absl::OkStatus();
}

size_t IndexOf(const std::vector<int64_t>& sorted, int64_t day) {
  return static_cast<size_t>(std::lower_bound(sorted.begin(), sorted.end(), day) - sorted.begin());
}

}  // namespace

SlotTime SlotOf(absl::Time t) {
  const int64_t seconds = absl::ToUnixSeconds(t);  // Rounds towards the past.
  const int64_t day = FloorDiv(seconds, kSecondsPerDay);
  return SlotTime{day, static_cast<int>((seconds - day * kSecondsPerDay) / kSecondsPerQuarter)};
}

absl::Time CeilToQuarter(absl::Time t) {
  const absl::Time floor = absl::FromUnixSeconds(
      FloorDiv(absl::ToUnixSeconds(t), kSecondsPerQuarter) * kSecondsPerQuarter);
  return floor == t ? t : floor + absl::Seconds(kSecondsPerQuarter);
}

std::vector<SlotTerm> PrefixTerms(int quarter) {
  std::vector<SlotTerm> best;
  bool found = false;
  for (int blocks : {quarter / 24, (quarter + 23) / 24}) {
    const int r1 = quarter - 24 * blocks;  // -23..23
    for (int hours : {static_cast<int>(FloorDiv(r1, 4)), static_cast<int>(FloorDiv(r1 + 3, 4))}) {
      auto terms = TermsOf(blocks, hours, r1 - 4 * hours);
      if (!found || Cost(terms) < Cost(best) ||
          (Cost(terms) == Cost(best) && terms.size() < best.size())) {
        best = std::move(terms);
        found = true;
      }
    }
  }
  return best;
}

void StageTally(storage::WriteBatch& batch, char scope, absl::string_view scope_id,
                v1::Survey::Kind kind, int offset, absl::Time submit_time, int sign) {
  const SlotTime at = SlotOf(submit_time);
  const uint32_t lane = static_cast<uint32_t>(offset / 2);
  const int64_t delta = keys::TallyDelta(offset % 2 == 1, sign);
  const std::pair<char, int> slots[] = {
      {'D', 0}, {'B', at.quarter / 24}, {'H', at.quarter / 4}, {'Q', at.quarter}};
  for (const auto& [level, slot] : slots) {
    batch.AddCounterCell(
        Cf::kAggregates,
        keys::Tally(scope, scope_id, level, static_cast<uint32_t>(slot), at.day,
                    static_cast<uint32_t>(kind)),
        lane, delta);
  }
}

absl::StatusOr<std::vector<Tally>> SumWindows(const storage::Store& store, char scope,
                                              absl::string_view scope_id,
                                              const std::vector<Window>& windows) {
  // Every edge as (day, quarter); P(edge) = days before + terms of its day.
  std::vector<SlotTime> edges;
  for (const auto& [start, end] : windows) {
    if (end < start) return absl::InvalidArgumentError("a window ends before it starts");
    for (absl::Time t : {start, end}) {
      if (CeilToQuarter(t) != t) {
        return absl::InvalidArgumentError(
            absl::StrCat("window edge ", absl::FormatTime(t), " is not on a quarter hour"));
      }
      edges.push_back(SlotOf(t));
    }
  }
  std::vector<Tally> sums(windows.size());
  if (edges.empty()) return sums;

  std::vector<int64_t> edge_days;
  for (const auto& e : edges) edge_days.push_back(e.day);
  std::sort(edge_days.begin(), edge_days.end());
  edge_days.erase(std::unique(edge_days.begin(), edge_days.end()), edge_days.end());

  // Slots the edges need, with their days.
  const auto& table = TermTable();
  std::map<std::pair<char, int>, SlotRows> slots;
  for (const auto& e : edges) {
    for (const auto& term : table[e.quarter]) {
      if (term.level != 'D') slots[{term.level, term.slot}].days.push_back(e.day);
    }
  }

  // One scan over the days: the running sum before each edge day, and the
  // edge days' own rows.
  std::vector<Tally> before(edge_days.size()), own(edge_days.size());
  Tally running;
  size_t next = 0;
  RETURN_IF_ERROR(ScanSlot(store, scope, scope_id, 'D', 0, edge_days.front(), edge_days.back(),
                           [&](const keys::TallySuffix& k, absl::string_view value) {
                             while (next < edge_days.size() && edge_days[next] <= k.day) {
                               before[next++] = running;
                             }
                             RETURN_IF_ERROR(AddRow(&running, k.kind, value));
                             if (next > 0 && edge_days[next - 1] == k.day) {
                               return AddRow(&own[next - 1], k.kind, value);
                             }
                             return absl::OkStatus();
                           }));
  while (next < edge_days.size()) before[next++] = running;

  for (auto& [slot, rows] : slots) {
    std::sort(rows.days.begin(), rows.days.end());
    rows.days.erase(std::unique(rows.days.begin(), rows.days.end()), rows.days.end());
    RETURN_IF_ERROR(ReadSlotRows(store, scope, scope_id, slot.first, slot.second, &rows));
  }

  auto prefix_sum = [&](const SlotTime& e) {
    const size_t d = IndexOf(edge_days, e.day);
    Tally p = before[d];
    for (const auto& term : table[e.quarter]) {
      const Tally* row = &own[d];
      if (term.level != 'D') {
        const SlotRows& rows = slots.at({term.level, term.slot});
        row = &rows.rows[IndexOf(rows.days, e.day)];
      }
      if (term.sign > 0) {
        p += *row;
      } else {
        p -= *row;
      }
    }
    return p;
  };
  for (size_t i = 0; i < windows.size(); ++i) {
    sums[i] = prefix_sum(edges[2 * i + 1]) - prefix_sum(edges[2 * i]);
  }
  return sums;
}

}  // namespace rapport::satisfaction
