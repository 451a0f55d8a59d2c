// rapport_calendar_bench: the cost of the SLA business-hours calendar's queries. Adding 1,000
// business hours should cost about as much as adding 1 (interval arithmetic over whole weeks,
// not a walk over days), and so should the business time of a year against that of a day.
//
// The calendar: Monday to Friday 09:00-17:00 in Europe/Berlin with 30 holidays a year (8
// recurring dates, 22 one-offs a year for 2024-2040). Each query starts from one of 4,096
// random instants in 2026-2028, so the figures average over weekdays, weekends, holidays and
// the offset changes.
#include <cstdint>
#include <random>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "services/sla/calendar.h"

namespace rapport::sla {
namespace {

BusinessCalendar MakeCalendar() {
  CalendarSpec spec;
  spec.time_zone = "Europe/Berlin";
  for (int day = 0; day < 5; ++day) spec.week[day] = {{9 * 60, 17 * 60}};
  for (const auto& [month, day] : std::vector<std::pair<int, int>>{
           {1, 1}, {5, 1}, {10, 3}, {12, 24}, {12, 25}, {12, 26}, {12, 31}, {2, 29}}) {
    spec.holidays.push_back({0, month, day, "recurring"});
  }
  std::mt19937_64 rng(42);
  for (int year = 2024; year <= 2040; ++year) {
    for (int i = 0; i < 22; ++i) {
      const absl::CivilDay day =
          absl::CivilDay(year, 1, 1) + std::uniform_int_distribution<int>(0, 364)(rng);
      spec.holidays.push_back({year, day.month(), day.day(), "one-off"});
    }
  }
  return *BusinessCalendar::Create(spec);
}

const BusinessCalendar& Calendar() {
  static const BusinessCalendar* const calendar = new BusinessCalendar(MakeCalendar());
  return *calendar;
}

const std::vector<absl::Time>& Starts() {
  static const std::vector<absl::Time>* const starts = [] {
    auto* out = new std::vector<absl::Time>;
    std::mt19937_64 rng(7);
    const absl::Time from = absl::FromCivil(absl::CivilSecond(2026, 1, 1), absl::UTCTimeZone());
    std::uniform_int_distribution<int64_t> seconds(0, int64_t{3} * 365 * 86400);
    for (int i = 0; i < 4096; ++i) out->push_back(from + absl::Seconds(seconds(rng)));
    return out;
  }();
  return *starts;
}

void AddBusinessTime(benchmark::State& state, absl::Duration business) {
  const BusinessCalendar& calendar = Calendar();
  const std::vector<absl::Time>& starts = Starts();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(calendar.AddBusinessTime(starts[i++ & 4095], business));
  }
}

void BusinessTimeBetween(benchmark::State& state, absl::Duration span) {
  const BusinessCalendar& calendar = Calendar();
  const std::vector<absl::Time>& starts = Starts();
  size_t i = 0;
  for (auto _ : state) {
    const absl::Time start = starts[i++ & 4095];
    benchmark::DoNotOptimize(calendar.BusinessTimeBetween(start, start + span));
  }
}

void BM_AddBusinessTime_1h(benchmark::State& state) { AddBusinessTime(state, absl::Hours(1)); }
void BM_AddBusinessTime_1000h(benchmark::State& state) {
  AddBusinessTime(state, absl::Hours(1000));
}
void BM_AddBusinessTime_100000h(benchmark::State& state) {
  AddBusinessTime(state, absl::Hours(100000));
}
void BM_BusinessTimeBetween_1Day(benchmark::State& state) {
  BusinessTimeBetween(state, absl::Hours(24));
}
void BM_BusinessTimeBetween_1Year(benchmark::State& state) {
  BusinessTimeBetween(state, absl::Hours(24 * 365));
}
void BM_IsBusinessTime(benchmark::State& state) {
  const BusinessCalendar& calendar = Calendar();
  const std::vector<absl::Time>& starts = Starts();
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(calendar.IsBusinessTime(starts[i++ & 4095]));
}

BENCHMARK(BM_AddBusinessTime_1h);
BENCHMARK(BM_AddBusinessTime_1000h);
BENCHMARK(BM_AddBusinessTime_100000h);
BENCHMARK(BM_BusinessTimeBetween_1Day);
BENCHMARK(BM_BusinessTimeBetween_1Year);
BENCHMARK(BM_IsBusinessTime);

}  // namespace
}  // namespace rapport::sla
