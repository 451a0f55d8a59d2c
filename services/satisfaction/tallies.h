// The satisfaction aggregates: answer counts per scope, UTC time slot, kind
// and score, kept at write time (satkeys in storage/key_codec.h), and the sums
// of windows read back from them.
//
// Every answer counts once on four levels: its UTC day, six-hour block, hour
// and quarter hour. A window [start, end) whose edges are on quarter hours is
// then a difference of two prefix sums, P(end) − P(start), where P(e) is the sum
// of the whole days before e's day plus the part of e's day before e. That part
// is a short signed sum of slots — e.g. 22:00 is the day minus the hours 22
// and 23, and 18:30 the day minus the block 18-24 plus two quarter hours — so a
// window costs its number of days plus a few slot reads per edge, whatever
// the number of answers, and the local days, weeks and months of any time zone
// (whose offsets are whole quarter hours) are exact, across DST changes too.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "rapport/v1/satisfaction.pb.h"
#include "services/satisfaction/figures.h"
#include "storage/store.h"

namespace rapport::satisfaction {

// Scope tags of the aggregates (satkeys).
inline constexpr char kScopeEverything = 'E';
inline constexpr char kScopeSurvey = 'V';
inline constexpr char kScopeService = 'S';
inline constexpr char kScopeRelationship = 'R';

// Quarter hours in a day.
inline constexpr int kQuartersPerDay = 96;

// Where an instant falls: its UTC day (days since 1970-01-01) and the quarter
// hour of that day (0-95) holding it.
struct SlotTime {
  int64_t day = 0;
  int quarter = 0;
};
SlotTime SlotOf(absl::Time t);

// `t` moved up to the next quarter hour; unchanged if it is on one.
absl::Time CeilToQuarter(absl::Time t);

// One term of a prefix sum: `sign` times the counts of a slot of the day.
// `level` is 'D' (the day; slot 0), 'B' (six-hour block), 'H' (hour) or 'Q'
// (quarter hour).
struct SlotTerm {
  int sign = 1;
  char level = 'D';
  int slot = 0;
  bool operator==(const SlotTerm& o) const {
    return sign == o.sign && level == o.level && slot == o.slot;
  }
};
// The fewest slot terms whose signed sum counts the quarters [0, quarter) of
// a day (quarter 0-96). The day term costs nothing extra (windows read days
// anyway), so it is used freely.
std::vector<SlotTerm> PrefixTerms(int quarter);

// Stages into `batch` the counters of one scored answer (`sign` +1) or their
// correction when it is withdrawn (-1): four counters for the scope.
// `offset` is the score minus the kind's lowest score.
void StageTally(storage::WriteBatch& batch, char scope, absl::string_view scope_id,
                v1::Survey::Kind kind, int offset, absl::Time submit_time, int sign);

// A window [start, end); both edges on quarter hours, start <= end.
using Window = std::pair<absl::Time, absl::Time>;

// The answer counts of one scope in each window, reading every counter row it
// needs once (one scan over the days from the earliest to the latest edge, and
// the few slots the edges need). INVALID_ARGUMENT if an edge is not on a
// quarter hour or a window ends before it starts; DATA_LOSS on a malformed
// counter.
absl::StatusOr<std::vector<Tally>> SumWindows(const storage::Store& store, char scope,
                                              absl::string_view scope_id,
                                              const std::vector<Window>& windows);

}  // namespace rapport::satisfaction
