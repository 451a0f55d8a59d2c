// The business-hours calendar engine of the SLA catalog: which instants are business time
// (working intervals per weekday in a zone's local civil time, minus holidays), and the two
// questions an SLA asks of it: "when is this due?" (AddBusinessTime) and "how much business
// time has elapsed?" (BusinessTimeBetween). A pure domain library: no storage, no gRPC.
//
// The model. Business time is a set of real instants: for every local civil day D that is
// not a holiday and every working interval [start, end) of D's weekday, the real interval
// [Instant(D, start), Instant(D, end)). Instant(D, m) converts the local civil time "D at
// minute m" (m == 1440 is midnight of the next day) with the zone's rules:
//   * a unique local time maps to its instant;
//   * a skipped local time (in a spring-forward gap) maps to the instant the gap ends, i.e.
//     the transition (Berlin 2026-03-29 02:30 -> 03:00 CEST);
//   * a repeated local time (in a fall-back overlap) maps to its FIRST occurrence, i.e. the
//     one with the pre-transition offset (Berlin 2026-10-25 02:30 -> 02:30 CEST).
// The conversion is monotonic, so an interval's real duration is the real time between its
// converted ends: on Berlin's spring-forward day 00:00-24:00 lasts 23 h, 00:00-06:00 5 h,
// 02:00-03:00 nothing and 09:00-17:00 8 h; on its fall-back day 00:00-24:00 lasts 25 h and
// 00:00-06:00 7 h, while 02:00-02:30 is only the first 02:00-02:30 (the second one is not
// business time). Consecutive days join up exactly (D at 24:00 is D+1 at 00:00), so a night
// shift written as 22:00-24:00 plus 00:00-06:00 of the next day is one stretch, and a
// round-the-clock calendar without holidays is every instant (of the range below). A holiday
// removes its whole local day, [Instant(D, 0), Instant(D + 1, 0)).
//
// Range. Business time exists only in local years 1 to 2399 (BusinessCalendar::kFirstYear to
// kLastYear): before and after, a calendar has none, round the clock or not. So a due time
// that would fall after 2399 is InfiniteFuture() ("never"), and counting from InfinitePast()
// starts in year 1. Two reasons: a query's cost grows with the years it spans, so a bound keeps
// absurd inputs (protobuf allows a 10,000-year Duration) cheap; and Abseil 20220623
// enumerates a zone's offset changes only through 2437 while its conversions go on applying
// the zone's rules, so the exact DST correction is only available up to there.
//
// Cost. Both queries do interval arithmetic over whole weeks (a regular week's nominal
// business time, corrected exactly for the holidays and the zone's offset changes inside the
// span, visiting only those) plus at most a few days at each end: adding 1,000 business hours
// costs a few times as much as adding 1, not 1,000 times.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace rapport::sla {

// One working interval of a weekday, in local minutes from midnight: [start_minute,
// end_minute) with 0 <= start_minute < end_minute <= 1440 (an interval may end at 24:00).
struct WorkingInterval {
  int start_minute = 0;
  int end_minute = 0;
};

// A day without business time. year == 0 makes it recur every year on month/day (a
// recurring Feb 29 applies only in leap years); otherwise it is the one date year-month-day
// (year 1 to 2399).
struct Holiday {
  int year = 0;
  int month = 0;
  int day = 0;
  std::string name;
};

// What a calendar is made of, as a client gives it.
struct CalendarSpec {
  // IANA time zone name, e.g. "Europe/Berlin"; the working intervals and holidays are in its
  // local civil time.
  std::string time_zone;
  // 24x7: every day is 00:00-24:00 and `week` is not used (it must still be valid).
  // Holidays still apply.
  bool round_the_clock = false;
  // Working intervals per weekday, indexed in absl::Weekday order: 0 = Monday .. 6 = Sunday.
  // A day's intervals may come in any order and may touch (9-12 and 12-17) but not overlap.
  std::array<std::vector<WorkingInterval>, 7> week;
  // Holidays; duplicates are allowed.
  std::vector<Holiday> holidays;
};

// An immutable, validated business-hours calendar. Cheap to query from many threads at once;
// copyable and movable.
class BusinessCalendar final {
 public:
  // The local years the calendar covers (see "Range" above).
  static constexpr int kFirstYear = 1;
  static constexpr int kLastYear = 2399;

  // Validates `spec` and builds the calendar. INVALID_ARGUMENT naming the field:
  //   "calendar.time_zone"        empty, "localtime", or unknown to absl::LoadTimeZone;
  //   "calendar.week[MONDAY][1]"  interval out of [0, 1440], empty or inverted, or
  //                               overlapping another interval of the same day (the index is
  //                               the position in the spec, not in sorted order);
  //   "calendar.holidays[3]"      not a valid date (Feb 30, month 13, year outside 1-2399);
  //   "calendar.week"             no working time at all and not round the clock;
  //   "calendar.holidays"         the recurring holidays cover all 366 dates, so there
  //                               would never be business time.
  static absl::StatusOr<BusinessCalendar> Create(CalendarSpec spec);

  // The earliest instant t such that the business time in [start, t) equals `business`.
  // Counting begins at the first business instant at or after `start`, and the result is
  // never strictly inside a non-business stretch: 8 h from Monday 09:00 in a 9-17 calendar
  // is Monday 17:00, not Tuesday 09:00. Returns `start` if business <= 0, and
  // InfiniteFuture() if there is no such t (business is InfiniteDuration(), or the due time
  // would be after local year kLastYear).
  //
  // Exact inverse of BusinessTimeBetween (to absl::Duration's resolution): for every
  // business > 0 with a finite result,
  // BusinessTimeBetween(start, AddBusinessTime(start, business)) == business.
  absl::Time AddBusinessTime(absl::Time start, absl::Duration business) const;

  // The business time in [start, end); zero if end <= start. Always finite: there is none
  // outside local years kFirstYear-kLastYear.
  //
  // For start <= end, AddBusinessTime(start, BusinessTimeBetween(start, end)) <= end, with
  // equality exactly when end == start or business time runs right up to end (some
  // (end - e, end) with e > 0 is business time: end is inside a stretch of business time
  // other than at its first instant, or is the instant one ends). Otherwise the result is
  // the instant the last business time before `end` ended, or `start` if [start, end) has
  // none.
  absl::Duration BusinessTimeBetween(absl::Time start, absl::Time end) const;

  // Whether `t` is business time. Stretches are half-open: their first instant is business
  // time, the instant they end is not.
  bool IsBusinessTime(absl::Time t) const;

  // The spec the calendar was created from, as given.
  const CalendarSpec& spec() const { return spec_; }

 private:
  struct MonthDay {
    int month;
    int day;
  };
  // The civil days a zone offset change may touch, inclusive.
  struct ShiftWindow {
    absl::CivilDay first;
    absl::CivilDay last;
  };

  BusinessCalendar() = default;

  // The instant of local time `minute` (0..1440) of `day`, by the rule in the file comment.
  absl::Time Instant(absl::CivilDay day, int minute) const;
  bool IsHoliday(absl::CivilDay day) const;
  // Nominal (offset-change free) business time of a day of that weekday, holidays ignored.
  absl::Duration Nominal(absl::CivilDay day) const;
  // Exact business time of `day` (zero on a holiday).
  absl::Duration ExactDay(absl::CivilDay day) const;
  // Exact business time of `day` inside [start, end).
  absl::Duration ClippedDay(absl::CivilDay day, absl::Time start, absl::Time end) const;
  // Exact business time of the whole days [from, to).
  absl::Duration WholeDays(absl::CivilDay from, absl::CivilDay to) const;
  // The first offset-change window ending on or after `day`; false if there is none.
  bool NextShiftWindow(absl::CivilDay day, ShiftWindow* window) const;
  // Calls f(day) once for each distinct holiday in [from, to), in order.
  template <typename F>
  void ForEachHoliday(absl::CivilDay from, absl::CivilDay to, F f) const;

  CalendarSpec spec_;
  absl::TimeZone zone_;
  // Per weekday (Monday first): sorted, merged intervals and their nominal business time.
  std::array<std::vector<WorkingInterval>, 7> days_;
  std::array<absl::Duration, 7> day_nominal_{};
  absl::Duration week_nominal_;
  // True when every instant in range is business time (round the clock, no holidays).
  bool always_ = false;
  // The instants business time may exist in: 00:00 of kFirstYear-01-01 to 00:00 of the
  // year after kLastYear.
  absl::Time range_begin_;
  absl::Time range_end_;
  // Sorted, distinct one-off holidays, and recurring ones as sorted, distinct month/days.
  std::vector<absl::CivilDay> one_off_;
  std::vector<MonthDay> recurring_;
};

}  // namespace rapport::sla
