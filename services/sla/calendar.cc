#include "services/sla/calendar.h"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "storage/status_macros.h"

namespace rapport::sla {
namespace {

constexpr int kMinutesPerDay = 24 * 60;
constexpr const char* kDayNames[7] = {"MONDAY", "TUESDAY",  "WEDNESDAY", "THURSDAY",
                                      "FRIDAY", "SATURDAY", "SUNDAY"};

int WeekdayIndex(absl::CivilDay day) { return static_cast<int>(absl::GetWeekday(day)); }

bool IsLeapYear(int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

bool IsValidDate(int64_t year, int month, int day) {
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  const absl::CivilDay civil(year, month, day);  // normalizes Feb 30 to Mar 2
  return civil.month() == month && civil.day() == day;
}

std::string IntervalField(int weekday, size_t index) {
  return absl::StrCat("calendar.week[", kDayNames[weekday], "][", index, "]");
}

absl::Status ValidateDay(int weekday, const std::vector<WorkingInterval>& intervals) {
  for (size_t i = 0; i < intervals.size(); ++i) {
    const WorkingInterval& iv = intervals[i];
    if (iv.start_minute < 0 || iv.end_minute > kMinutesPerDay) {
      return absl::InvalidArgumentError(absl::StrCat(
          IntervalField(weekday, i), ": minutes must lie in [0, 1440], got start_minute ",
          iv.start_minute, ", end_minute ", iv.end_minute));
    }
    if (iv.start_minute >= iv.end_minute) {
      return absl::InvalidArgumentError(
          absl::StrCat(IntervalField(weekday, i), ": interval is empty or inverted, start_minute ",
                       iv.start_minute, " >= end_minute ", iv.end_minute));
    }
  }
  std::vector<size_t> order(intervals.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return intervals[a].start_minute < intervals[b].start_minute;
  });
  // Sorted by start, any overlap shows up between neighbours.
  for (size_t k = 1; k < order.size(); ++k) {
    const size_t prev = order[k - 1];
    const size_t cur = order[k];
    if (intervals[cur].start_minute < intervals[prev].end_minute) {
      return absl::InvalidArgumentError(absl::StrCat(IntervalField(weekday, std::max(prev, cur)),
                                                     ": interval overlaps ",
                                                     IntervalField(weekday, std::min(prev, cur))));
    }
  }
  return absl::OkStatus();
}

// Sorted, with touching intervals joined.
std::vector<WorkingInterval> Merge(std::vector<WorkingInterval> intervals) {
  std::sort(intervals.begin(), intervals.end(),
            [](const WorkingInterval& a, const WorkingInterval& b) {
              return a.start_minute < b.start_minute;
            });
  std::vector<WorkingInterval> merged;
  for (const WorkingInterval& iv : intervals) {
    if (!merged.empty() && merged.back().end_minute == iv.start_minute) {
      merged.back().end_minute = iv.end_minute;
    } else {
      merged.push_back(iv);
    }
  }
  return merged;
}

}  // namespace

absl::StatusOr<BusinessCalendar> BusinessCalendar::Create(CalendarSpec spec) {
  BusinessCalendar calendar;
  if (spec.time_zone.empty()) {
    return absl::InvalidArgumentError("calendar.time_zone is required");
  }
  // "localtime" would make the calendar depend on the host's configuration.
  if (spec.time_zone == "localtime" || !absl::LoadTimeZone(spec.time_zone, &calendar.zone_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("calendar.time_zone: unknown time zone \"", spec.time_zone, "\""));
  }

  for (int weekday = 0; weekday < 7; ++weekday) {
    RETURN_IF_ERROR(ValidateDay(weekday, spec.week[weekday]));
    calendar.days_[weekday] = spec.round_the_clock
                                  ? std::vector<WorkingInterval>{{0, kMinutesPerDay}}
                                  : Merge(spec.week[weekday]);
    int minutes = 0;
    for (const WorkingInterval& iv : calendar.days_[weekday]) {
      minutes += iv.end_minute - iv.start_minute;
    }
    calendar.day_nominal_[weekday] = absl::Minutes(minutes);
    calendar.week_nominal_ += calendar.day_nominal_[weekday];
  }
  if (calendar.week_nominal_ == absl::ZeroDuration()) {
    return absl::InvalidArgumentError("calendar.week has no working time");
  }

  for (size_t i = 0; i < spec.holidays.size(); ++i) {
    const Holiday& holiday = spec.holidays[i];
    const bool recurring = holiday.year == 0;
    // A recurring date is checked against a leap year so that Feb 29 is accepted.
    const bool valid = (recurring || (holiday.year >= kFirstYear && holiday.year <= kLastYear)) &&
                       IsValidDate(recurring ? 2000 : holiday.year, holiday.month, holiday.day);
    if (!valid) {
      return absl::InvalidArgumentError(absl::StrCat(
          "calendar.holidays[", i, "]: invalid date ", holiday.year, "-", holiday.month, "-",
          holiday.day, " (year 0 for every year, else ", kFirstYear, " to ", kLastYear, ")"));
    }
    if (recurring) {
      calendar.recurring_.push_back({holiday.month, holiday.day});
    } else {
      calendar.one_off_.push_back(absl::CivilDay(holiday.year, holiday.month, holiday.day));
    }
  }
  std::sort(calendar.one_off_.begin(), calendar.one_off_.end());
  calendar.one_off_.erase(std::unique(calendar.one_off_.begin(), calendar.one_off_.end()),
                          calendar.one_off_.end());
  auto md_less = [](const MonthDay& a, const MonthDay& b) {
    return std::make_pair(a.month, a.day) < std::make_pair(b.month, b.day);
  };
  auto md_equal = [](const MonthDay& a, const MonthDay& b) {
    return a.month == b.month && a.day == b.day;
  };
  std::sort(calendar.recurring_.begin(), calendar.recurring_.end(), md_less);
  calendar.recurring_.erase(
      std::unique(calendar.recurring_.begin(), calendar.recurring_.end(), md_equal),
      calendar.recurring_.end());
  // Like an empty week: such a calendar never has business time. Short of all 366, every date
  // falls on each weekday in some year, so business time keeps coming.
  if (calendar.recurring_.size() == 366) {
    return absl::InvalidArgumentError(
        "calendar.holidays: recurring holidays cover every date, leaving no business time");
  }

  calendar.always_ = spec.round_the_clock && spec.holidays.empty();
  calendar.range_begin_ = calendar.Instant(absl::CivilDay(kFirstYear, 1, 1), 0);
  calendar.range_end_ = calendar.Instant(absl::CivilDay(kLastYear + 1, 1, 1), 0);
  calendar.spec_ = std::move(spec);
  return calendar;
}

absl::Time BusinessCalendar::Instant(absl::CivilDay day, int minute) const {
  const absl::TimeZone::TimeInfo info = zone_.At(absl::CivilSecond(day) + minute * 60);
  // Skipped: where the gap ends. Repeated: the first occurrence. Unique: pre == the instant.
  return info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
}

bool BusinessCalendar::IsHoliday(absl::CivilDay day) const {
  if (std::binary_search(one_off_.begin(), one_off_.end(), day)) return true;
  const int month = day.month();
  const int dom = day.day();
  return std::binary_search(recurring_.begin(), recurring_.end(), MonthDay{month, dom},
                            [](const MonthDay& a, const MonthDay& b) {
                              return std::make_pair(a.month, a.day) <
                                     std::make_pair(b.month, b.day);
                            });
}

absl::Duration BusinessCalendar::Nominal(absl::CivilDay day) const {
  return day_nominal_[WeekdayIndex(day)];
}

absl::Duration BusinessCalendar::ExactDay(absl::CivilDay day) const {
  absl::Duration total;
  if (IsHoliday(day)) return total;
  for (const WorkingInterval& iv : days_[WeekdayIndex(day)]) {
    total += Instant(day, iv.end_minute) - Instant(day, iv.start_minute);
  }
  return total;
}

absl::Duration BusinessCalendar::ClippedDay(absl::CivilDay day, absl::Time start,
                                            absl::Time end) const {
  absl::Duration total;
  if (IsHoliday(day)) return total;
  for (const WorkingInterval& iv : days_[WeekdayIndex(day)]) {
    const absl::Time a = std::max(Instant(day, iv.start_minute), start);
    const absl::Time b = std::min(Instant(day, iv.end_minute), end);
    if (b > a) total += b - a;
  }
  return total;
}

bool BusinessCalendar::NextShiftWindow(absl::CivilDay day, ShiftWindow* window) const {
  // A change touches only the civil days it jumps from and to. The day before keeps its
  // nominal time even when the change is at midnight: its 24:00 then maps to the change
  // itself (skipped: the end of the gap; repeated: the first occurrence), as the old offset
  // would.
  absl::Time t = Instant(day, 0) - absl::Hours(48);
  absl::TimeZone::CivilTransition transition;
  while (zone_.NextTransition(t, &transition)) {
    const absl::CivilDay from(transition.from);
    const absl::CivilDay to(transition.to);
    const absl::CivilDay last = std::max(from, to);
    if (last >= day) {
      *window = {std::min(from, to), last};
      return true;
    }
    const absl::Time next = zone_.At(transition.to).trans;
    t = next > t ? next : t + absl::Hours(1);
  }
  return false;
}

template <typename F>
void BusinessCalendar::ForEachHoliday(absl::CivilDay from, absl::CivilDay to, F f) const {
  if (to <= from) return;
  auto one_off = std::lower_bound(one_off_.begin(), one_off_.end(), from);
  const absl::civil_year_t last_year = (to - 1).year();
  for (absl::civil_year_t year = from.year(); year <= last_year; ++year) {
    const absl::CivilDay end = std::min(to, absl::CivilDay(year + 1, 1, 1));
    const bool leap = IsLeapYear(year);
    size_t r = 0;
    bool has_recurring = false;
    absl::CivilDay recurring;
    auto advance_recurring = [&] {
      has_recurring = false;
      while (r < recurring_.size()) {
        const MonthDay md = recurring_[r++];
        if (md.month == 2 && md.day == 29 && !leap) continue;
        const absl::CivilDay d(year, md.month, md.day);
        if (d < from) continue;
        if (d >= end) {
          r = recurring_.size();
          return;
        }
        recurring = d;
        has_recurring = true;
        return;
      }
    };
    advance_recurring();
    while (true) {
      const bool has_one_off = one_off != one_off_.end() && *one_off < end;
      if (!has_one_off && !has_recurring) break;
      if (has_one_off && (!has_recurring || *one_off <= recurring)) {
        if (has_recurring && *one_off == recurring) advance_recurring();
        f(*one_off++);
      } else {
        f(recurring);
        advance_recurring();
      }
    }
  }
}

absl::Duration BusinessCalendar::WholeDays(absl::CivilDay from, absl::CivilDay to) const {
  absl::Duration total;
  if (to <= from) return total;
  const absl::civil_diff_t days = to - from;
  total = week_nominal_ * (days / 7);
  // The days past the last whole week have the weekdays of the first days.
  for (absl::civil_diff_t i = 0; i < days % 7; ++i) total += Nominal(from + i);
  ForEachHoliday(from, to, [&](absl::CivilDay holiday) { total -= Nominal(holiday); });
  // Correct the days an offset change touches from nominal to exact.
  ShiftWindow window;
  absl::CivilDay cursor = from;
  while (cursor < to && NextShiftWindow(cursor, &window) && window.first < to) {
    for (absl::CivilDay d = std::max(window.first, cursor); d <= window.last && d < to; ++d) {
      if (!IsHoliday(d)) total += ExactDay(d) - Nominal(d);
    }
    cursor = window.last + 1;
  }
  return total;
}

absl::Duration BusinessCalendar::BusinessTimeBetween(absl::Time start, absl::Time end) const {
  start = std::max(start, range_begin_);
  end = std::min(end, range_end_);
  if (end <= start) return absl::ZeroDuration();
  if (always_) return end - start;
  // Days before start's civil day end before start; days after end's end after it (the day
  // after is included for a fall-back across midnight).
  const absl::CivilDay first = absl::ToCivilDay(start, zone_);
  const absl::CivilDay last = absl::ToCivilDay(end, zone_);
  absl::Duration total;
  if (last - first < 3) {
    for (absl::CivilDay d = first; d <= last + 1; ++d) total += ClippedDay(d, start, end);
    return total;
  }
  total += ClippedDay(first, start, end) + ClippedDay(first + 1, start, end);
  total += WholeDays(first + 2, last - 1);
  for (absl::CivilDay d = last - 1; d <= last + 1; ++d) total += ClippedDay(d, start, end);
  return total;
}

absl::Time BusinessCalendar::AddBusinessTime(absl::Time start, absl::Duration business) const {
  if (business <= absl::ZeroDuration()) return start;
  if (start >= range_end_ || business == absl::InfiniteDuration()) return absl::InfiniteFuture();
  start = std::max(start, range_begin_);
  if (always_) {
    const absl::Time due = start + business;
    return due <= range_end_ ? due : absl::InfiniteFuture();
  }

  absl::Duration remaining = business;
  // Takes what `day` holds from `from` on; true (and sets `due`) if that covers `remaining`.
  absl::Time due;
  auto consume_exact = [&](absl::CivilDay day, absl::Time from) {
    for (const WorkingInterval& iv : days_[WeekdayIndex(day)]) {
      const absl::Time a = std::max(Instant(day, iv.start_minute), from);
      const absl::Time b = Instant(day, iv.end_minute);
      if (b <= a) continue;
      if (b - a >= remaining) {
        due = a + remaining;
        return true;
      }
      remaining -= b - a;
    }
    return false;
  };

  // The start's day and the next, clipped to start.
  const absl::CivilDay first = absl::ToCivilDay(start, zone_);
  const absl::CivilDay beyond(kLastYear + 1, 1, 1);
  absl::CivilDay day = first;
  for (; day < first + 2; ++day) {
    if (day >= beyond) return absl::InfiniteFuture();
    if (!IsHoliday(day) && consume_exact(day, start)) return due;
  }

  // Whole weeks, as many as hold less than `remaining`, until not even one week does: then
  // the due day is within the next seven.
  while (true) {
    if (day >= beyond) return absl::InfiniteFuture();
    absl::Duration unused;
    int64_t weeks = std::min<int64_t>(absl::IDivDuration(remaining, week_nominal_, &unused),
                                      (beyond - day) / 7 + 1);
    weeks = std::max<int64_t>(weeks, 1);
    absl::Duration got;
    for (; weeks > 0; weeks /= 2) {
      got = WholeDays(day, day + 7 * weeks);
      if (got < remaining) break;
    }
    if (weeks == 0) break;
    remaining -= got;
    day += 7 * weeks;
  }

  // Day by day; a day no offset change touches holds its nominal time.
  ShiftWindow window;
  bool has_window = NextShiftWindow(day, &window);
  for (;; ++day) {
    if (day >= beyond) return absl::InfiniteFuture();
    if (IsHoliday(day)) continue;
    if (has_window && day > window.last) has_window = NextShiftWindow(day, &window);
    const bool shifted = has_window && day >= window.first;
    const absl::Duration nominal = Nominal(day);
    if (!shifted && nominal < remaining) {
      remaining -= nominal;
      continue;
    }
    if (consume_exact(day, absl::InfinitePast())) return due;
  }
}

bool BusinessCalendar::IsBusinessTime(absl::Time t) const {
  if (t < range_begin_ || t >= range_end_) return false;
  if (always_) return true;
  // Days before t's civil day end by its midnight, which is not after t.
  const absl::CivilDay first = absl::ToCivilDay(t, zone_);
  for (absl::CivilDay day = first; day <= first + 1; ++day) {
    if (IsHoliday(day)) continue;
    for (const WorkingInterval& iv : days_[WeekdayIndex(day)]) {
      if (Instant(day, iv.start_minute) <= t && t < Instant(day, iv.end_minute)) return true;
    }
  }
  return false;
}

}  // namespace rapport::sla
