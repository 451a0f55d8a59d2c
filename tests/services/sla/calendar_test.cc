// Tests of the business-hours calendar: validation, weekly hours, holidays, offset changes in
// both hemispheres, and the fast algorithm against a slow day-walking reference on random
// calendars and instants (fixed seeds).
#include "services/sla/calendar.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace rapport::sla {
namespace {

using ::rapport::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int kMon = 0, kTue = 1, kWed = 2, kThu = 3, kFri = 4, kSat = 5, kSun = 6;

constexpr int Hm(int hour, int minute = 0) { return hour * 60 + minute; }

absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

// A local time that exists exactly once in `zone`.
absl::Time Local(const std::string& zone, int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  const absl::TimeZone::TimeInfo info = Zone(zone).At(absl::CivilSecond(y, mo, d, h, mi, s));
  EXPECT_EQ(info.kind, absl::TimeZone::TimeInfo::UNIQUE) << zone << " " << info.pre;
  return info.pre;
}

absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone());
}

CalendarSpec Weekdays(const std::string& zone, std::vector<WorkingInterval> intervals) {
  CalendarSpec spec;
  spec.time_zone = zone;
  for (int d = kMon; d <= kFri; ++d) spec.week[d] = intervals;
  return spec;
}

CalendarSpec NineToFive(const std::string& zone = "Europe/Berlin") {
  return Weekdays(zone, {{Hm(9), Hm(17)}});
}

CalendarSpec EveryDay(const std::string& zone, std::vector<WorkingInterval> intervals) {
  CalendarSpec spec;
  spec.time_zone = zone;
  for (auto& day : spec.week) day = intervals;
  return spec;
}

CalendarSpec RoundTheClock(const std::string& zone) {
  CalendarSpec spec;
  spec.time_zone = zone;
  spec.round_the_clock = true;
  return spec;
}

BusinessCalendar Make(CalendarSpec spec) {
  absl::StatusOr<BusinessCalendar> calendar = BusinessCalendar::Create(std::move(spec));
  EXPECT_TRUE(calendar.ok()) << calendar.status();
  return *std::move(calendar);
}

// ---------------------------------------------------------------------------------------
// The reference: walks the days one by one and the intervals of each, converting every
// endpoint. Slow and obviously right; used only here.

class Reference {
 public:
  explicit Reference(CalendarSpec spec) : spec_(std::move(spec)), zone_(Zone(spec_.time_zone)) {}

  absl::Duration Between(absl::Time start, absl::Time end) const {
    absl::Duration total;
    if (end <= start) return total;
    const absl::CivilDay last = absl::ToCivilDay(end, zone_) + 1;
    for (absl::CivilDay d = absl::ToCivilDay(start, zone_) - 1; d <= last; ++d) {
      for (const auto& [a, b] : Stretches(d)) {
        const absl::Time lo = std::max(a, start);
        const absl::Time hi = std::min(b, end);
        if (hi > lo) total += hi - lo;
      }
    }
    return total;
  }

  absl::Time Add(absl::Time start, absl::Duration business) const {
    if (business <= absl::ZeroDuration()) return start;
    for (absl::CivilDay d = absl::ToCivilDay(start, zone_) - 1;; ++d) {
      for (const auto& [a, b] : Stretches(d)) {
        const absl::Time lo = std::max(a, start);
        if (b <= lo) continue;
        if (b - lo >= business) return lo + business;
        business -= b - lo;
      }
    }
  }

  bool IsBusiness(absl::Time t) const {
    const absl::CivilDay day = absl::ToCivilDay(t, zone_);
    for (absl::CivilDay d = day - 1; d <= day + 1; ++d) {
      for (const auto& [a, b] : Stretches(d)) {
        if (a <= t && t < b) return true;
      }
    }
    return false;
  }

  // Whether some (t - e, t) with e > 0 is business time.
  bool RunsUpTo(absl::Time t) const {
    const absl::CivilDay day = absl::ToCivilDay(t, zone_);
    for (absl::CivilDay d = day - 1; d <= day + 1; ++d) {
      for (const auto& [a, b] : Stretches(d)) {
        if (a < t && t <= b) return true;
      }
    }
    return false;
  }

 private:
  bool IsHoliday(absl::CivilDay d) const {
    for (const Holiday& h : spec_.holidays) {
      if ((h.year == 0 || h.year == d.year()) && h.month == d.month() && h.day == d.day()) {
        return true;
      }
    }
    return false;
  }

  absl::Time Convert(absl::CivilDay d, int minute) const {
    const auto info = zone_.At(absl::CivilSecond(d) + minute * 60);
    return info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
  }

  // The real intervals of day `d`, in order.
  std::vector<std::pair<absl::Time, absl::Time>> Stretches(absl::CivilDay d) const {
    std::vector<std::pair<absl::Time, absl::Time>> out;
    if (IsHoliday(d)) return out;
    std::vector<WorkingInterval> day = spec_.round_the_clock
                                           ? std::vector<WorkingInterval>{{0, 1440}}
                                           : spec_.week[static_cast<int>(absl::GetWeekday(d))];
    std::sort(day.begin(), day.end(), [](const WorkingInterval& x, const WorkingInterval& y) {
      return x.start_minute < y.start_minute;
    });
    for (const WorkingInterval& iv : day) {
      out.emplace_back(Convert(d, iv.start_minute), Convert(d, iv.end_minute));
    }
    return out;
  }

  CalendarSpec spec_;
  absl::TimeZone zone_;
};

// ---------------------------------------------------------------------------------------
// Validation

TEST(CalendarValidationTest, UnknownOrMissingTimeZone) {
  CalendarSpec spec = NineToFive("Mars/Olympus_Mons");
  EXPECT_THAT(BusinessCalendar::Create(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("calendar.time_zone"), HasSubstr("Mars/Olympus_Mons"))));
  spec.time_zone = "";
  EXPECT_THAT(BusinessCalendar::Create(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("calendar.time_zone")));
  spec.time_zone = "localtime";
  EXPECT_THAT(BusinessCalendar::Create(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("calendar.time_zone")));
}

TEST(CalendarValidationTest, IntervalOutOfRange) {
  CalendarSpec spec = NineToFive();
  spec.week[kTue] = {{Hm(9), Hm(12)}, {-1, Hm(1)}};
  EXPECT_THAT(BusinessCalendar::Create(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("calendar.week[TUESDAY][1]")));
  spec.week[kTue] = {{Hm(22), 1441}};
  EXPECT_THAT(BusinessCalendar::Create(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("calendar.week[TUESDAY][0]")));
}

TEST(CalendarValidationTest, EmptyOrInvertedInterval) {
  CalendarSpec spec = NineToFive();
  spec.week[kMon] = {{Hm(9), Hm(12)}, {Hm(17), Hm(9)}};
  EXPECT_THAT(BusinessCalendar::Create(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("calendar.week[MONDAY][1]"), HasSubstr("inverted"))));
  spec.week[kMon] = {};
  spec.week[kSun] = {{Hm(10), Hm(10)}};
  EXPECT_THAT(BusinessCalendar::Create(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("calendar.week[SUNDAY][0]")));
}

TEST(CalendarValidationTest, OverlappingIntervalsGivenUnsorted) {
  CalendarSpec spec = NineToFive();
  spec.week[kWed] = {{Hm(13), Hm(17)}, {Hm(8), Hm(10)}, {Hm(9), Hm(12)}};
  EXPECT_THAT(BusinessCalendar::Create(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("calendar.week[WEDNESDAY][2]"),
                             HasSubstr("overlaps calendar.week[WEDNESDAY][1]"))));
}

TEST(CalendarValidationTest, TouchingIntervalsAreOneStretch) {
  CalendarSpec spec = NineToFive();
  spec.week[kMon] = {{Hm(12), Hm(17)}, {Hm(9), Hm(12)}};
  const BusinessCalendar calendar = Make(spec);
  const absl::Time monday_11 = Local("Europe/Berlin", 2026, 6, 15, 11);
  EXPECT_EQ(calendar.AddBusinessTime(monday_11, absl::Hours(2)),
            Local("Europe/Berlin", 2026, 6, 15, 13));
  EXPECT_TRUE(calendar.IsBusinessTime(Local("Europe/Berlin", 2026, 6, 15, 12)));
  EXPECT_EQ(calendar.BusinessTimeBetween(Local("Europe/Berlin", 2026, 6, 15),
                                         Local("Europe/Berlin", 2026, 6, 16)),
            absl::Hours(8));
}

TEST(CalendarValidationTest, InvalidHolidayDates) {
  CalendarSpec spec = NineToFive();
  spec.holidays = {{2026, 12, 25, "Christmas"}, {2026, 2, 30, "no such day"}};
  EXPECT_THAT(BusinessCalendar::Create(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("calendar.holidays[1]")));
  spec.holidays = {{2026, 13, 1, ""}};
  EXPECT_THAT(BusinessCalendar::Create(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("calendar.holidays[0]")));
  spec.holidays = {{0, 1, 1, ""}, {0, 4, 31, ""}};
  EXPECT_THAT(BusinessCalendar::Create(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("calendar.holidays[1]")));
  spec.holidays = {{0, 1, 1, ""}, {0, 2, 29, ""}, {2027, 2, 29, ""}};
  EXPECT_THAT(BusinessCalendar::Create(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("calendar.holidays[2]")));
  spec.holidays = {{-5, 1, 1, ""}};
  EXPECT_THAT(BusinessCalendar::Create(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("calendar.holidays[0]")));
  spec.holidays = {{2026, 1, 0, ""}};
  EXPECT_THAT(BusinessCalendar::Create(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("calendar.holidays[0]")));
  // Recurring Feb 29 and duplicates are fine.
  spec.holidays = {{0, 2, 29, ""}, {2028, 2, 29, ""}, {2028, 2, 29, "again"}, {0, 2, 29, ""}};
  EXPECT_OK(BusinessCalendar::Create(spec));
}

TEST(CalendarValidationTest, NoWorkingTime) {
  CalendarSpec spec;
  spec.time_zone = "Europe/Berlin";
  EXPECT_THAT(
      BusinessCalendar::Create(spec),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("calendar.week has no working time")));
  spec.round_the_clock = true;
  EXPECT_OK(BusinessCalendar::Create(spec));
}

TEST(CalendarValidationTest, RoundTheClockStillValidatesTheWeek) {
  CalendarSpec spec = RoundTheClock("UTC");
  spec.week[kFri] = {{Hm(18), Hm(8)}};
  EXPECT_THAT(BusinessCalendar::Create(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("calendar.week[FRIDAY][0]")));
}

TEST(CalendarValidationTest, RecurringHolidaysOnEveryDate) {
  CalendarSpec spec = RoundTheClock("UTC");
  for (absl::CivilDay d(2000, 1, 1); d < absl::CivilDay(2001, 1, 1); ++d) {
    spec.holidays.push_back({0, d.month(), d.day(), ""});
  }
  EXPECT_THAT(BusinessCalendar::Create(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("calendar.holidays")));
  spec.holidays.pop_back();  // Dec 31 works again
  EXPECT_OK(BusinessCalendar::Create(spec));
}

TEST(CalendarValidationTest, SpecIsKeptAsGiven) {
  CalendarSpec spec = NineToFive();
  spec.week[kMon] = {{Hm(12), Hm(17)}, {Hm(9), Hm(12)}};
  spec.holidays = {{0, 12, 25, "Christmas"}};
  const BusinessCalendar calendar = Make(spec);
  EXPECT_EQ(calendar.spec().time_zone, "Europe/Berlin");
  ASSERT_EQ(calendar.spec().week[kMon].size(), 2u);
  EXPECT_EQ(calendar.spec().week[kMon][0].start_minute, Hm(12));
  ASSERT_EQ(calendar.spec().holidays.size(), 1u);
  EXPECT_EQ(calendar.spec().holidays[0].name, "Christmas");
}

// ---------------------------------------------------------------------------------------
// Weekly hours (June 2026: no offset change; 2026-06-15 is a Monday)

absl::Time Berlin(int mo, int d, int h = 0, int mi = 0) {
  return Local("Europe/Berlin", 2026, mo, d, h, mi);
}

TEST(CalendarTest, NineToFiveBasics) {
  const BusinessCalendar cal = Make(NineToFive());
  // Before opening, during, after closing.
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 7), absl::Hours(1)), Berlin(6, 15, 10));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 10, 30), absl::Hours(2)), Berlin(6, 15, 12, 30));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 18), absl::Hours(1)), Berlin(6, 16, 10));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 16), absl::Hours(3)), Berlin(6, 16, 11));
  // Friday evening and the weekend lead to Monday.
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 19, 16), absl::Hours(2)), Berlin(6, 22, 10));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 19, 18), absl::Minutes(30)), Berlin(6, 22, 9, 30));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 20, 12), absl::Minutes(30)), Berlin(6, 22, 9, 30));
  // Due at the close of the day that completes it, not the next opening.
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 19, 18), absl::Hours(8)), Berlin(6, 22, 17));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 9), absl::Hours(40)), Berlin(6, 19, 17));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 9), absl::Hours(41)), Berlin(6, 22, 10));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 9), absl::Hours(400)), Berlin(8, 21, 17));
  // Nothing to add.
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 20, 12), absl::ZeroDuration()), Berlin(6, 20, 12));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 20, 12), -absl::Hours(1)), Berlin(6, 20, 12));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 20, 12), absl::InfiniteDuration()),
            absl::InfiniteFuture());

  EXPECT_EQ(cal.BusinessTimeBetween(Berlin(6, 15, 8), Berlin(6, 16, 10)), absl::Hours(9));
  EXPECT_EQ(cal.BusinessTimeBetween(Berlin(6, 19, 16), Berlin(6, 22, 10)), absl::Hours(2));
  EXPECT_EQ(cal.BusinessTimeBetween(Berlin(6, 15), Berlin(6, 29)), absl::Hours(80));
  EXPECT_EQ(cal.BusinessTimeBetween(Berlin(6, 16, 10), Berlin(6, 15, 8)), absl::ZeroDuration());
  EXPECT_EQ(cal.BusinessTimeBetween(Berlin(6, 20), Berlin(6, 21)), absl::ZeroDuration());

  EXPECT_TRUE(cal.IsBusinessTime(Berlin(6, 15, 9)));
  EXPECT_TRUE(cal.IsBusinessTime(Berlin(6, 15, 16, 59)));
  EXPECT_FALSE(cal.IsBusinessTime(Berlin(6, 15, 17)));
  EXPECT_FALSE(cal.IsBusinessTime(Berlin(6, 15, 8, 59)));
  EXPECT_FALSE(cal.IsBusinessTime(Berlin(6, 20, 12)));
  EXPECT_FALSE(cal.IsBusinessTime(absl::InfiniteFuture()));
}

TEST(CalendarTest, BeyondTheLastYear) {
  ASSERT_EQ(BusinessCalendar::kLastYear, 2399);
  const BusinessCalendar cal = Make(NineToFive());
  const absl::Time year_1 = Local("Europe/Berlin", 1, 1, 1);  // a Monday
  const absl::Time year_2400 = Local("Europe/Berlin", 2400, 1, 1);
  // protobuf's largest Duration, 10,000 years: beyond the calendar, and answered at once.
  const absl::Duration ten_thousand_years = absl::Seconds(int64_t{315576000000});
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15), ten_thousand_years), absl::InfiniteFuture());
  EXPECT_EQ(cal.BusinessTimeBetween(Berlin(6, 15), Berlin(6, 15) + ten_thousand_years),
            cal.BusinessTimeBetween(Berlin(6, 15), year_2400));
  EXPECT_EQ(cal.BusinessTimeBetween(Berlin(6, 15), absl::InfiniteFuture()),
            cal.BusinessTimeBetween(Berlin(6, 15), year_2400));
  EXPECT_EQ(cal.BusinessTimeBetween(Berlin(6, 15) - ten_thousand_years, Berlin(6, 15)),
            cal.BusinessTimeBetween(year_1, Berlin(6, 15)));
  EXPECT_EQ(cal.BusinessTimeBetween(absl::InfinitePast(), Berlin(6, 15)),
            cal.BusinessTimeBetween(year_1, Berlin(6, 15)));
  EXPECT_GT(cal.BusinessTimeBetween(year_1, Berlin(6, 15)), absl::Hours(8 * 260 * 2024));
  EXPECT_EQ(cal.AddBusinessTime(absl::InfinitePast(), absl::Hours(1)), year_1 + absl::Hours(10));
  EXPECT_EQ(cal.AddBusinessTime(year_2400 + absl::Hours(24 * 2 + 10), absl::Hours(1)),
            absl::InfiniteFuture());
  EXPECT_FALSE(cal.IsBusinessTime(year_2400 + absl::Hours(24 * 2 + 10)));
  // Round the clock too.
  const BusinessCalendar always = Make(RoundTheClock("Europe/Berlin"));
  EXPECT_EQ(always.AddBusinessTime(year_2400 - absl::Hours(1), absl::Hours(1)), year_2400);
  EXPECT_EQ(always.AddBusinessTime(year_2400 - absl::Hours(1), absl::Hours(2)),
            absl::InfiniteFuture());
  EXPECT_EQ(always.BusinessTimeBetween(year_2400 - absl::Hours(1), absl::InfiniteFuture()),
            absl::Hours(1));
  EXPECT_EQ(always.AddBusinessTime(absl::InfinitePast(), absl::Hours(1)), year_1 + absl::Hours(1));
  EXPECT_FALSE(always.IsBusinessTime(year_2400));
  EXPECT_TRUE(always.IsBusinessTime(year_1));
  // A very sparse calendar: one minute a week.
  CalendarSpec sparse;
  sparse.time_zone = "Europe/Berlin";
  sparse.week[kWed] = {{Hm(12), Hm(12, 1)}};
  const BusinessCalendar minute = Make(sparse);
  EXPECT_EQ(minute.AddBusinessTime(Berlin(6, 15), absl::Hours(1000)), absl::InfiniteFuture());
  const absl::Time due = minute.AddBusinessTime(Berlin(6, 15), absl::Hours(100));
  EXPECT_EQ(absl::ToCivilMinute(due, Zone("Europe/Berlin")),
            absl::CivilMinute(2141, 6, 7, 12, 1));  // the 6,000th Wednesday
  EXPECT_EQ(minute.BusinessTimeBetween(Berlin(6, 15), due), absl::Hours(100));
  // Up to the end of 2399 is counted; 2399-12-31 is a Friday.
  const absl::Time last = Local("Europe/Berlin", 2399, 12, 31, 12);
  EXPECT_EQ(cal.AddBusinessTime(last - absl::Hours(24), absl::Hours(8)), last);
  EXPECT_EQ(cal.AddBusinessTime(last, absl::Hours(8)), absl::InfiniteFuture());
  EXPECT_EQ(cal.BusinessTimeBetween(Local("Europe/Berlin", 2026, 1, 1), last),
            absl::Hours(97571 * 8 + 3));  // weekdays 2026-01-01 to 2399-12-30, and 3 h
  // Offset changes are still accounted for exactly in the last years.
  const CalendarSpec spec = EveryDay("Europe/Berlin", {{Hm(0), Hm(6)}, {Hm(9), Hm(17)}});
  const BusinessCalendar nights = Make(spec);
  const Reference ref(spec);
  const absl::Time start = Local("Europe/Berlin", 2395, 1, 1);
  EXPECT_EQ(nights.AddBusinessTime(start, absl::Hours(20000)), ref.Add(start, absl::Hours(20000)));
  EXPECT_EQ(nights.BusinessTimeBetween(start, Local("Europe/Berlin", 2399, 12, 1)),
            ref.Between(start, Local("Europe/Berlin", 2399, 12, 1)));
}

TEST(CalendarTest, InverseAtTheEdgesOfAStretch) {
  const BusinessCalendar cal = Make(NineToFive());
  // End inside business time, or where a stretch ends: exact.
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 8),
                                cal.BusinessTimeBetween(Berlin(6, 15, 8), Berlin(6, 16, 11))),
            Berlin(6, 16, 11));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 8),
                                cal.BusinessTimeBetween(Berlin(6, 15, 8), Berlin(6, 16, 17))),
            Berlin(6, 16, 17));
  // End outside business time, or where a stretch begins: where business time last ended.
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 8),
                                cal.BusinessTimeBetween(Berlin(6, 15, 8), Berlin(6, 16, 20))),
            Berlin(6, 16, 17));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 8),
                                cal.BusinessTimeBetween(Berlin(6, 15, 8), Berlin(6, 16, 9))),
            Berlin(6, 15, 17));
  // No business time at all in between: the start.
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 20, 8),
                                cal.BusinessTimeBetween(Berlin(6, 20, 8), Berlin(6, 22, 9))),
            Berlin(6, 20, 8));
}

TEST(CalendarTest, LunchBreak) {
  const BusinessCalendar cal = Make(Weekdays("Europe/Berlin", {{Hm(13), Hm(17)}, {Hm(9), Hm(12)}}));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 11), absl::Hours(2)), Berlin(6, 15, 14));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 12, 30), absl::Hours(1)), Berlin(6, 15, 14));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 11), absl::Hours(1)), Berlin(6, 15, 12));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 16), absl::Hours(4)), Berlin(6, 16, 12));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 16), absl::Hours(5)), Berlin(6, 16, 14));
  EXPECT_EQ(cal.BusinessTimeBetween(Berlin(6, 15, 11), Berlin(6, 15, 14)), absl::Hours(2));
  EXPECT_EQ(cal.BusinessTimeBetween(Berlin(6, 15), Berlin(6, 22)), absl::Hours(35));
  EXPECT_FALSE(cal.IsBusinessTime(Berlin(6, 15, 12, 30)));
  EXPECT_TRUE(cal.IsBusinessTime(Berlin(6, 15, 13)));
}

TEST(CalendarTest, IntervalEndingAtMidnight) {
  CalendarSpec spec;
  spec.time_zone = "Europe/Berlin";
  spec.week[kMon] = {{Hm(20), Hm(24)}};
  const BusinessCalendar cal = Make(spec);
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 12), absl::Hours(4)), Berlin(6, 16));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 23), absl::Hours(2)), Berlin(6, 22, 21));
  EXPECT_EQ(cal.BusinessTimeBetween(Berlin(6, 15, 22), Berlin(6, 16, 5)), absl::Hours(2));
  EXPECT_TRUE(cal.IsBusinessTime(Berlin(6, 15, 23, 59)));
  EXPECT_FALSE(cal.IsBusinessTime(Berlin(6, 16)));
}

TEST(CalendarTest, NightShiftAcrossMidnight) {
  // Monday to Friday nights 22:00-06:00: the evening part on Mon-Fri, the morning on Tue-Sat.
  CalendarSpec spec;
  spec.time_zone = "Europe/Berlin";
  for (int d = kMon; d <= kFri; ++d) spec.week[d].push_back({Hm(22), Hm(24)});
  for (int d = kTue; d <= kSat; ++d) spec.week[d].push_back({Hm(0), Hm(6)});
  const BusinessCalendar cal = Make(spec);
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 23), absl::Hours(2)), Berlin(6, 16, 1));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 12), absl::Hours(8)), Berlin(6, 16, 6));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 15, 12), absl::Hours(9)), Berlin(6, 16, 23));
  // Friday night runs into Saturday morning, then Monday night.
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 19, 23), absl::Hours(8)), Berlin(6, 22, 23));
  EXPECT_EQ(cal.BusinessTimeBetween(Berlin(6, 15, 21), Berlin(6, 16, 7)), absl::Hours(8));
  EXPECT_EQ(cal.BusinessTimeBetween(Berlin(6, 15), Berlin(6, 22)), absl::Hours(40));
  EXPECT_TRUE(cal.IsBusinessTime(Berlin(6, 16)));
  EXPECT_TRUE(cal.IsBusinessTime(Berlin(6, 20, 5)));
  EXPECT_FALSE(cal.IsBusinessTime(Berlin(6, 15, 3)));  // Monday morning: Sunday had no night
}

TEST(CalendarTest, RoundTheClock) {
  const BusinessCalendar cal = Make(RoundTheClock("Europe/Berlin"));
  const absl::Time t = Berlin(6, 20, 3, 17);
  EXPECT_EQ(cal.AddBusinessTime(t, absl::Hours(1000)), t + absl::Hours(1000));
  EXPECT_EQ(cal.BusinessTimeBetween(t, t + absl::Seconds(1.5)), absl::Seconds(1.5));
  EXPECT_TRUE(cal.IsBusinessTime(t));

  CalendarSpec spec = RoundTheClock("Europe/Berlin");
  spec.holidays = {{0, 12, 25, "Christmas"}};
  const BusinessCalendar christmas = Make(spec);
  EXPECT_EQ(christmas.AddBusinessTime(Berlin(12, 24, 23), absl::Hours(2)), Berlin(12, 26, 1));
  EXPECT_EQ(christmas.BusinessTimeBetween(Berlin(12, 20), Berlin(12, 30)), absl::Hours(24 * 9));
  EXPECT_FALSE(christmas.IsBusinessTime(Berlin(12, 25, 12)));
  EXPECT_TRUE(christmas.IsBusinessTime(Berlin(12, 26)));
}

// ---------------------------------------------------------------------------------------
// Holidays

TEST(CalendarHolidayTest, OneOffHolidayOnMondayPushesToTuesday) {
  CalendarSpec spec = NineToFive();
  spec.holidays = {{2026, 6, 22, "Company day"}};
  const BusinessCalendar cal = Make(spec);
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 19, 16), absl::Hours(2)), Berlin(6, 23, 10));
  EXPECT_EQ(cal.AddBusinessTime(Berlin(6, 22, 10), absl::Hours(1)), Berlin(6, 23, 10));
  EXPECT_EQ(cal.BusinessTimeBetween(Berlin(6, 15), Berlin(6, 29)), absl::Hours(72));
  EXPECT_FALSE(cal.IsBusinessTime(Berlin(6, 22, 10)));
  // Only that year.
  EXPECT_TRUE(cal.IsBusinessTime(Local("Europe/Berlin", 2027, 6, 22, 10)));
}

TEST(CalendarHolidayTest, RecurringChristmasInSeveralYears) {
  CalendarSpec spec = NineToFive();
  spec.holidays = {{0, 12, 25, "Christmas"}, {0, 12, 26, "Boxing Day"}};
  const BusinessCalendar cal = Make(spec);
  // 2026: Fri 25 and Sat 26; 2027: Sat and Sun; 2028: Mon and Tue.
  auto week_of = [&](int year) {
    return cal.BusinessTimeBetween(Local("Europe/Berlin", year, 12, 21),
                                   Local("Europe/Berlin", year, 12, 28));
  };
  EXPECT_EQ(week_of(2026), absl::Hours(32));
  EXPECT_EQ(week_of(2027), absl::Hours(40));
  EXPECT_EQ(week_of(2028), absl::Hours(24));
  EXPECT_EQ(cal.AddBusinessTime(Local("Europe/Berlin", 2026, 12, 24, 16), absl::Hours(2)),
            Local("Europe/Berlin", 2026, 12, 28, 10));
  EXPECT_EQ(cal.AddBusinessTime(Local("Europe/Berlin", 2028, 12, 22, 16), absl::Hours(2)),
            Local("Europe/Berlin", 2028, 12, 27, 10));
  // Ten years of them, counted by the fast path.
  const absl::Duration ten_years = cal.BusinessTimeBetween(Local("Europe/Berlin", 2026, 1, 1),
                                                           Local("Europe/Berlin", 2036, 1, 1));
  const Reference ref(spec);
  EXPECT_EQ(ten_years,
            ref.Between(Local("Europe/Berlin", 2026, 1, 1), Local("Europe/Berlin", 2036, 1, 1)));
  CalendarSpec plain = NineToFive();
  EXPECT_EQ(Make(plain).BusinessTimeBetween(Local("Europe/Berlin", 2026, 1, 1),
                                            Local("Europe/Berlin", 2036, 1, 1)) -
                ten_years,
            absl::Hours(8 * 14));  // 14 of the 20 fall on weekdays
}

TEST(CalendarHolidayTest, RecurringFebruary29OnlyInLeapYears) {
  CalendarSpec spec = NineToFive();
  spec.holidays = {{0, 2, 29, "Leap day"}};
  const BusinessCalendar cal = Make(spec);
  // 2028-02-29 is a Tuesday.
  EXPECT_FALSE(cal.IsBusinessTime(Local("Europe/Berlin", 2028, 2, 29, 10)));
  EXPECT_EQ(cal.AddBusinessTime(Local("Europe/Berlin", 2028, 2, 28, 16), absl::Hours(2)),
            Local("Europe/Berlin", 2028, 3, 1, 10));
  EXPECT_FALSE(cal.IsBusinessTime(Local("Europe/Berlin", 2024, 2, 29, 10)));
  // 2027 has no Feb 29, and Mar 1 is not a stand-in.
  EXPECT_TRUE(cal.IsBusinessTime(Local("Europe/Berlin", 2027, 3, 1, 10)));
  EXPECT_TRUE(cal.IsBusinessTime(Local("Europe/Berlin", 2027, 2, 26, 10)));  // a Friday
  // 2024-2031: Feb 29 2024 (Thursday) and 2028 (Tuesday) are the only ones.
  const absl::Time from = Local("Europe/Berlin", 2024, 1, 1);
  const absl::Time to = Local("Europe/Berlin", 2032, 1, 1);
  EXPECT_EQ(Make(NineToFive()).BusinessTimeBetween(from, to) - cal.BusinessTimeBetween(from, to),
            absl::Hours(16));
}

TEST(CalendarHolidayTest, DuplicatesCountOnce) {
  CalendarSpec spec = NineToFive();
  spec.holidays = {{0, 6, 17, "a"}, {2026, 6, 17, "b"}, {2026, 6, 17, "c"}, {0, 6, 17, "d"}};
  const BusinessCalendar cal = Make(spec);
  EXPECT_EQ(cal.BusinessTimeBetween(Berlin(6, 15), Berlin(6, 22)), absl::Hours(32));
  EXPECT_EQ(cal.BusinessTimeBetween(Berlin(1, 5), Berlin(12, 28)),
            Make(NineToFive()).BusinessTimeBetween(Berlin(1, 5), Berlin(12, 28)) - absl::Hours(8));
}

TEST(CalendarHolidayTest, LongClosure) {
  CalendarSpec spec = NineToFive();
  for (absl::CivilDay d(2026, 12, 19); d <= absl::CivilDay(2027, 1, 10); ++d) {
    spec.holidays.push_back({static_cast<int>(d.year()), d.month(), d.day(), "closed"});
  }
  const BusinessCalendar cal = Make(spec);
  EXPECT_EQ(cal.AddBusinessTime(Berlin(12, 18, 16), absl::Hours(2)),
            Local("Europe/Berlin", 2027, 1, 11, 10));
  EXPECT_EQ(cal.BusinessTimeBetween(Berlin(12, 18, 16), Local("Europe/Berlin", 2027, 1, 11, 10)),
            absl::Hours(2));
}

// ---------------------------------------------------------------------------------------
// Offset changes. Real durations follow the zone; see the rule in calendar.h.

struct TransitionCase {
  std::string zone;
  absl::CivilDay day;
  absl::Duration day_length;     // 00:00-24:00
  absl::Duration early_morning;  // 00:00-06:00
};

void PrintTo(const TransitionCase& c, std::ostream* os) { *os << c.zone << " " << c.day; }

class CalendarDstTest : public ::testing::TestWithParam<TransitionCase> {};

TEST_P(CalendarDstTest, DayLengths) {
  const TransitionCase& c = GetParam();
  const absl::TimeZone zone = Zone(c.zone);
  const absl::Time midnight = absl::FromCivil(absl::CivilSecond(c.day), zone);
  const absl::Time next_midnight = absl::FromCivil(absl::CivilSecond(c.day + 1), zone);
  const absl::Time six = absl::FromCivil(absl::CivilSecond(c.day) + 6 * 3600, zone);
  ASSERT_EQ(next_midnight - midnight, c.day_length);  // the zone agrees with the case

  // 24x7, through the shortcut (no holidays) and through the general path.
  for (const bool with_far_holiday : {false, true}) {
    CalendarSpec spec = RoundTheClock(c.zone);
    if (with_far_holiday) spec.holidays = {{2090, 1, 1, "far"}};
    const BusinessCalendar cal = Make(spec);
    EXPECT_EQ(cal.BusinessTimeBetween(midnight, next_midnight), c.day_length);
    EXPECT_EQ(cal.AddBusinessTime(midnight, absl::Hours(24)), midnight + absl::Hours(24));
    EXPECT_EQ(cal.BusinessTimeBetween(midnight - absl::Hours(24 * 400), midnight),
              absl::Hours(24 * 400));
  }

  // 00:00-06:00 and 09:00-17:00 every day.
  const CalendarSpec spec = EveryDay(c.zone, {{Hm(0), Hm(6)}, {Hm(9), Hm(17)}});
  const BusinessCalendar cal = Make(spec);
  EXPECT_EQ(cal.BusinessTimeBetween(midnight, six), c.early_morning);
  EXPECT_EQ(cal.BusinessTimeBetween(midnight, next_midnight), c.early_morning + absl::Hours(8));
  EXPECT_EQ(cal.AddBusinessTime(midnight, c.early_morning), six);
  EXPECT_EQ(cal.AddBusinessTime(midnight, c.early_morning + absl::Hours(8)),
            absl::FromCivil(absl::CivilSecond(c.day) + 17 * 3600, zone));
  EXPECT_EQ(cal.AddBusinessTime(midnight - absl::Hours(1), absl::Hours(4)),
            midnight + absl::Hours(4));
  // A span with only this change in it goes through the whole-week path.
  const absl::Time month_before = absl::FromCivil(absl::CivilSecond(c.day - 30), zone);
  const absl::Time month_after = absl::FromCivil(absl::CivilSecond(c.day + 31), zone);
  const absl::Duration span = absl::Hours(60 * 14 + 8) + c.early_morning;
  EXPECT_EQ(cal.BusinessTimeBetween(month_before, month_after), span);
  EXPECT_EQ(cal.AddBusinessTime(month_before, span),
            absl::FromCivil(absl::CivilSecond(c.day + 30) + 17 * 3600, zone));
  for (const bool with_far_holiday : {false, true}) {
    CalendarSpec round = RoundTheClock(c.zone);
    if (with_far_holiday) round.holidays = {{2090, 1, 1, "far"}};
    const BusinessCalendar all = Make(round);
    const absl::Duration real = month_after - month_before;
    EXPECT_EQ(real, absl::Hours(60 * 24) + c.day_length);
    EXPECT_EQ(all.BusinessTimeBetween(month_before, month_after), real);
    EXPECT_EQ(all.AddBusinessTime(month_before, real), month_after);
  }
  // Across the whole year the two changes cancel out.
  const absl::Time year_start = absl::FromCivil(absl::CivilSecond(2026, 1, 1), zone);
  const absl::Time year_end = absl::FromCivil(absl::CivilSecond(2027, 1, 1), zone);
  EXPECT_EQ(cal.BusinessTimeBetween(year_start, year_end), absl::Hours(365 * 14));
  // Every minute around the change: the fast path agrees with the reference, and the minutes
  // counted one by one agree with the total.
  const Reference ref(spec);
  int business_minutes = 0;
  for (absl::Time t = midnight - absl::Hours(2); t < next_midnight + absl::Hours(2);
       t += absl::Minutes(1)) {
    ASSERT_EQ(cal.IsBusinessTime(t), ref.IsBusiness(t)) << t;
    if (t >= midnight && t < next_midnight && cal.IsBusinessTime(t)) ++business_minutes;
  }
  EXPECT_EQ(absl::Minutes(business_minutes), c.early_morning + absl::Hours(8));
}

INSTANTIATE_TEST_SUITE_P(
    Zones, CalendarDstTest,
    ::testing::Values(TransitionCase{"Europe/Berlin", absl::CivilDay(2026, 3, 29), absl::Hours(23),
                                     absl::Hours(5)},
                      TransitionCase{"Europe/Berlin", absl::CivilDay(2026, 10, 25), absl::Hours(25),
                                     absl::Hours(7)},
                      TransitionCase{"America/New_York", absl::CivilDay(2026, 3, 8),
                                     absl::Hours(23), absl::Hours(5)},
                      TransitionCase{"America/New_York", absl::CivilDay(2026, 11, 1),
                                     absl::Hours(25), absl::Hours(7)},
                      TransitionCase{"Australia/Sydney", absl::CivilDay(2026, 4, 5),
                                     absl::Hours(25), absl::Hours(7)},
                      TransitionCase{"Australia/Sydney", absl::CivilDay(2026, 10, 4),
                                     absl::Hours(23), absl::Hours(5)},
                      TransitionCase{"Australia/Lord_Howe", absl::CivilDay(2026, 4, 5),
                                     absl::Minutes(24 * 60 + 30), absl::Minutes(6 * 60 + 30)},
                      TransitionCase{"Australia/Lord_Howe", absl::CivilDay(2026, 10, 4),
                                     absl::Minutes(23 * 60 + 30), absl::Minutes(5 * 60 + 30)}),
    [](const ::testing::TestParamInfo<TransitionCase>& info) {
      std::string name = absl::StrCat(info.param.zone, "_", info.param.day.month());
      std::replace(name.begin(), name.end(), '/', '_');
      return name;
    });

TEST(CalendarDstRuleTest, SkippedLocalTimesMapToTheEndOfTheGap) {
  // Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
  CalendarSpec spec;
  spec.time_zone = "Europe/Berlin";
  spec.week[kSun] = {{Hm(2), Hm(3)}};
  spec.week[kMon] = {{Hm(9), Hm(17)}};
  const BusinessCalendar gap = Make(spec);
  EXPECT_EQ(gap.BusinessTimeBetween(Berlin(3, 28), Berlin(3, 30)), absl::ZeroDuration());
  EXPECT_EQ(gap.BusinessTimeBetween(Berlin(3, 21), Berlin(3, 23)), absl::Hours(1));
  EXPECT_FALSE(gap.IsBusinessTime(Utc(2026, 3, 29, 1)));
  EXPECT_EQ(gap.AddBusinessTime(Berlin(3, 28, 12), absl::Hours(1)), Berlin(3, 30, 10));

  spec.week[kSun] = {{Hm(2, 30), Hm(4)}};
  const BusinessCalendar half = Make(spec);
  EXPECT_EQ(half.BusinessTimeBetween(Berlin(3, 28), Berlin(3, 30)), absl::Hours(1));
  EXPECT_EQ(half.AddBusinessTime(Berlin(3, 28, 12), absl::Minutes(1)),
            Utc(2026, 3, 29, 1) + absl::Minutes(1));
  EXPECT_TRUE(half.IsBusinessTime(Utc(2026, 3, 29, 1)));
  EXPECT_FALSE(half.IsBusinessTime(Utc(2026, 3, 29, 1) - absl::Seconds(1)));
}

TEST(CalendarDstRuleTest, RepeatedLocalTimesMapToTheFirstOccurrence) {
  // Berlin 2026-10-25: 03:00 CEST (01:00 UTC) falls back to 02:00 CET.
  CalendarSpec spec;
  spec.time_zone = "Europe/Berlin";
  spec.week[kSun] = {{Hm(2), Hm(2, 30)}};
  const BusinessCalendar first = Make(spec);
  EXPECT_EQ(first.BusinessTimeBetween(Berlin(10, 24), Berlin(10, 26)), absl::Minutes(30));
  EXPECT_TRUE(first.IsBusinessTime(Utc(2026, 10, 25, 0, 15)));   // 02:15 CEST
  EXPECT_FALSE(first.IsBusinessTime(Utc(2026, 10, 25, 1, 15)));  // 02:15 CET
  EXPECT_EQ(first.AddBusinessTime(Berlin(10, 24), absl::Minutes(30)), Utc(2026, 10, 25, 0, 30));

  // 02:30 (first) to 03:00 (unique, CET): the rest of the CEST hour and all the CET one.
  spec.week[kSun] = {{Hm(2, 30), Hm(3)}};
  const BusinessCalendar straddle = Make(spec);
  EXPECT_EQ(straddle.BusinessTimeBetween(Berlin(10, 24), Berlin(10, 26)), absl::Minutes(90));
  EXPECT_TRUE(straddle.IsBusinessTime(Utc(2026, 10, 25, 1, 15)));  // 02:15 CET

  // 01:00-03:00 lasts three hours that night.
  spec.week[kSun] = {{Hm(1), Hm(3)}};
  EXPECT_EQ(Make(spec).BusinessTimeBetween(Berlin(10, 24), Berlin(10, 26)), absl::Hours(3));
}

TEST(CalendarDstRuleTest, MidnightTransitionsInHavana) {
  // Havana 2026-03-08: 00:00 CST jumps to 01:00 CDT (05:00 UTC), so that midnight is skipped;
  // 2026-11-01: 01:00 CDT falls back to 00:00 CST (05:00 UTC).
  CalendarSpec spec;
  spec.time_zone = "America/Havana";
  spec.week[kSat] = {{Hm(22), Hm(24)}};
  spec.week[kSun] = {{Hm(0), Hm(6)}};
  const BusinessCalendar cal = Make(spec);
  // Sat 22:00 CST (03:00 UTC Sun) to 06:00 CDT (10:00 UTC): one 7 h night, without a break.
  EXPECT_EQ(cal.BusinessTimeBetween(Utc(2026, 3, 7), Utc(2026, 3, 9)), absl::Hours(7));
  EXPECT_EQ(cal.AddBusinessTime(Utc(2026, 3, 7), absl::Hours(2)), Utc(2026, 3, 8, 5));
  EXPECT_TRUE(cal.IsBusinessTime(Utc(2026, 3, 8, 5)));
  EXPECT_TRUE(cal.IsBusinessTime(Utc(2026, 3, 8, 5) - absl::Seconds(1)));
  EXPECT_EQ(cal.AddBusinessTime(Utc(2026, 3, 7), absl::Hours(7)), Utc(2026, 3, 8, 10));
  // Sat 22:00 CDT (02:00 UTC) to first 00:00 (04:00 UTC), then 00:00 CDT to 06:00 CST (11:00
  // UTC): 2 h + 7 h.
  EXPECT_EQ(cal.BusinessTimeBetween(Utc(2026, 10, 31), Utc(2026, 11, 2)), absl::Hours(9));
  EXPECT_EQ(cal.AddBusinessTime(Utc(2026, 10, 31), absl::Hours(9)), Utc(2026, 11, 1, 11));
}

// ---------------------------------------------------------------------------------------
// The fast algorithm against the reference, on random calendars and instants.

const char* const kZones[] = {"Europe/Berlin",
                              "America/New_York",
                              "Australia/Sydney",
                              "America/Havana",
                              "Australia/Lord_Howe",
                              "Asia/Kolkata",
                              "UTC"};

CalendarSpec RandomSpec(std::mt19937_64& rng, const std::string& zone) {
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  CalendarSpec spec;
  spec.time_zone = zone;
  spec.round_the_clock = uniform(0, 5) == 0;
  // Cut points favouring midnight and the hours offsets change at.
  const int kFavourite[] = {0, 60, 90, 120, 150, 180, 210, 240, 1380, 1440};
  for (auto& day : spec.week) {
    if (uniform(0, 9) < 3) continue;
    std::vector<int> cuts;
    const int n = 2 * uniform(1, 3);
    while (static_cast<int>(cuts.size()) < n) {
      const int cut = uniform(0, 2) == 0 ? kFavourite[uniform(0, 9)] : 15 * uniform(0, 96);
      if (std::find(cuts.begin(), cuts.end(), cut) == cuts.end()) cuts.push_back(cut);
    }
    std::sort(cuts.begin(), cuts.end());
    for (int i = 0; i + 1 < n; i += 2) {
      day.push_back({cuts[i], cuts[i + 1]});
      // Sometimes a touching neighbour.
      if (i + 2 < n && uniform(0, 3) == 0) day.push_back({cuts[i + 1], cuts[i + 2]}), i += 1;
    }
    std::shuffle(day.begin(), day.end(), rng);
  }
  bool any = false;
  for (const auto& day : spec.week) any = any || !day.empty();
  if (!any) spec.week[uniform(0, 6)] = {{Hm(9), Hm(17)}};
  // About 30 holidays a year: recurring dates, one-offs over the years, a closure, duplicates.
  for (int i = uniform(0, 12); i > 0; --i) {
    const absl::CivilDay d = absl::CivilDay(2000, 1, 1) + uniform(0, 365);  // 2000 is leap
    spec.holidays.push_back({0, d.month(), d.day(), "recurring"});
  }
  if (uniform(0, 3) == 0) spec.holidays.push_back({0, 2, 29, "leap"});
  for (int i = uniform(0, 200); i > 0; --i) {
    const absl::CivilDay d = absl::CivilDay(2024, 1, 1) + uniform(0, 12 * 365);
    spec.holidays.push_back({static_cast<int>(d.year()), d.month(), d.day(), "one-off"});
  }
  if (uniform(0, 2) == 0) {
    const absl::CivilDay from = absl::CivilDay(2024, 1, 1) + uniform(0, 7 * 365);
    for (absl::CivilDay d = from; d < from + uniform(1, 20); ++d) {
      spec.holidays.push_back({static_cast<int>(d.year()), d.month(), d.day(), "closure"});
    }
  }
  if (!spec.holidays.empty() && uniform(0, 1) == 0) {
    spec.holidays.push_back(spec.holidays[uniform(0, static_cast<int>(spec.holidays.size()) - 1)]);
  }
  std::shuffle(spec.holidays.begin(), spec.holidays.end(), rng);
  return spec;
}

// Business time of a regular week, to scale durations to the calendar.
absl::Duration WeekNominal(const CalendarSpec& spec) {
  if (spec.round_the_clock) return absl::Hours(24 * 7);
  absl::Duration total;
  for (const auto& day : spec.week) {
    for (const auto& iv : day) total += absl::Minutes(iv.end_minute - iv.start_minute);
  }
  return total;
}

class RandomInstants {
 public:
  RandomInstants(std::mt19937_64& rng, const CalendarSpec& spec) : rng_(rng), spec_(spec) {
    const absl::TimeZone zone = Zone(spec.time_zone);
    // The days offsets change on, 2024-2030.
    absl::TimeZone::CivilTransition transition;
    absl::Time t = Utc(2024, 1, 1);
    while (zone.NextTransition(t, &transition) && transition.from.year() < 2031) {
      change_days_.push_back(absl::CivilDay(transition.from));
      t = zone.At(transition.to).trans;
    }
  }

  // Seconds-precise in 2024-2030, often on a whole minute, on an interval's edge, or on a day
  // the offset changes.
  absl::Time Next() {
    const absl::TimeZone zone = Zone(spec_.time_zone);
    switch (Uniform(0, 3)) {
      case 0:
        return Utc(2024, 1, 1) + absl::Seconds(Uniform64(0, int64_t{7} * 366 * 86400));
      case 1:
        return Utc(2024, 1, 1) + absl::Minutes(Uniform64(0, int64_t{7} * 366 * 1440));
      default: {
        absl::CivilDay day = absl::CivilDay(2024, 1, 1) + Uniform(0, 7 * 365);
        if (!change_days_.empty() && Uniform(0, 1) == 0) {
          day =
              change_days_[Uniform(0, static_cast<int>(change_days_.size()) - 1)] + Uniform(-1, 1);
        }
        const auto& intervals = spec_.week[static_cast<int>(absl::GetWeekday(day))];
        int minute = 15 * Uniform(0, 96);
        if (!intervals.empty() && Uniform(0, 2) > 0) {
          const WorkingInterval& iv = intervals[Uniform(0, static_cast<int>(intervals.size()) - 1)];
          minute = Uniform(0, 1) == 0 ? iv.start_minute : iv.end_minute;
        }
        const auto info = zone.At(absl::CivilSecond(day) + minute * 60);
        const absl::Time choices[] = {info.pre, info.trans, info.post};
        return choices[Uniform(0, 2)] + absl::Seconds(Uniform(-1, 1));
      }
    }
  }

  // Log-uniform from a second to `max`, sometimes with a fraction of a second.
  absl::Duration Duration(absl::Duration max) {
    const double log_max = std::log(absl::ToDoubleSeconds(max));
    const double seconds = std::exp(std::uniform_real_distribution<double>(0, log_max)(rng_));
    absl::Duration d = absl::Seconds(static_cast<int64_t>(seconds));
    if (Uniform(0, 3) == 0) d += absl::Nanoseconds(Uniform(1, 999999999));
    if (Uniform(0, 3) == 0) d = absl::Minutes(std::max<int64_t>(1, d / absl::Minutes(1)));
    return d;
  }

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  int64_t Uniform64(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }

 private:
  std::mt19937_64& rng_;
  const CalendarSpec& spec_;
  std::vector<absl::CivilDay> change_days_;
};

TEST(CalendarPropertyTest, MatchesReferenceAndInverts) {
  uint64_t seed = 20260329;
  for (const char* zone : kZones) {
    std::mt19937_64 rng(seed++);
    for (int c = 0; c < 8; ++c) {
      const CalendarSpec spec = RandomSpec(rng, zone);
      const BusinessCalendar cal = Make(spec);
      const Reference ref(spec);
      RandomInstants random(rng, spec);
      // Up to 100,000 business hours, or six years' worth for a sparse calendar (the
      // reference walks every day).
      const absl::Duration max_business =
          std::min(absl::Hours(100000), WeekNominal(spec) * (6 * 52));
      SCOPED_TRACE(absl::StrCat(zone, " calendar ", c));
      for (int i = 0; i < 25; ++i) {
        const absl::Time start = random.Next();
        const absl::Duration business = random.Duration(max_business);
        SCOPED_TRACE(absl::StrCat("start ", absl::FormatTime(start), " business ",
                                  absl::FormatDuration(business)));
        const absl::Time due = cal.AddBusinessTime(start, business);
        ASSERT_EQ(due, ref.Add(start, business));
        ASSERT_EQ(cal.BusinessTimeBetween(start, due), business);
        ASSERT_TRUE(ref.RunsUpTo(due));

        // An arbitrary end: its business time, and back.
        const absl::Time end = random.Uniform(0, 4) == 0
                                   ? random.Next()
                                   : start + random.Duration(absl::Hours(24 * 365 * 6));
        const absl::Duration between = cal.BusinessTimeBetween(start, end);
        ASSERT_EQ(between, ref.Between(start, end)) << absl::FormatTime(end);
        if (end >= start) {
          const absl::Time back = cal.AddBusinessTime(start, between);
          ASSERT_LE(back, end) << absl::FormatTime(end);
          ASSERT_EQ(back == end, end == start || ref.RunsUpTo(end)) << absl::FormatTime(end);
        }

        const absl::Time probe = random.Next();
        ASSERT_EQ(cal.IsBusinessTime(probe), ref.IsBusiness(probe)) << absl::FormatTime(probe);
      }
    }
  }
}

TEST(CalendarPropertyTest, HundredThousandHours) {
  for (const char* zone : {"Europe/Berlin", "Australia/Sydney", "America/New_York"}) {
    CalendarSpec spec = NineToFive(zone);
    spec.holidays = {{0, 1, 1, ""},   {0, 5, 1, ""},   {0, 12, 24, ""}, {0, 12, 25, ""},
                     {0, 12, 26, ""}, {0, 12, 31, ""}, {0, 2, 29, ""}};
    for (int year = 2024; year <= 2031; ++year) {
      for (int i = 0; i < 23; ++i) spec.holidays.push_back({year, 1 + i / 2, 3 + i, ""});
    }
    const BusinessCalendar cal = Make(spec);
    const Reference ref(spec);
    for (const absl::Time start : {Local(zone, 2024, 2, 29, 10, 30), Local(zone, 2026, 10, 24),
                                   Local(zone, 2030, 12, 31, 16, 59)}) {
      const absl::Duration business = absl::Hours(100000) + absl::Nanoseconds(250);
      const absl::Time due = cal.AddBusinessTime(start, business);
      EXPECT_EQ(due, ref.Add(start, business)) << zone;
      EXPECT_EQ(cal.BusinessTimeBetween(start, due), business) << zone;
      EXPECT_GT(absl::ToCivilYear(due, Zone(zone)).year(), 2070);
    }
  }
}

}  // namespace
}  // namespace rapport::sla
