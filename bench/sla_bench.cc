// SLA reads and timers against the number of tickets stored or pending
// (the targets: GetComplianceReport with 1,000,000 tickets stored
// answers within 1.5x of its time with 1,000 stored; the cost per fired
// timer stays flat from 1,000 to 100,000 pending).
//
// BM_ComplianceReport: GetComplianceReport over a store holding --small
// tickets (default 1,000) and one holding --large tickets (default
// 1,000,000), for the agreement, the service and the relationship (the
// first two also compute availability from the service's outages), over the
// month, the quarter and the rolling 90 days up to 2026-11-20. counters_read
// is how many completion counter rows the report reads (one per local day and
// timer kind with any completion: it grows with the tickets only until every
// day has one; cpu/counter in the ratios divides that out). The tickets are spread evenly over the year before, every one
// opened and resolved through the domain (Tickets::RecordTicketEvent:
// records, indexes, compliance counters, schedule), P1 and P3 in turn,
// resolved after 30 min, 2 h, 6 h or 30 h, so that responses and resolutions
// are met or breached in a mix; two dozen outages give the availability part
// something to merge. Loading runs 256
// events in flight with sync_writes off (the commit queue groups them); the
// store is then closed and reopened so that reads go through table files.
//
// BM_FireTicketTimers: with --pending_small (1,000) and --pending_large
// (100,000) open tickets whose next crossing is weeks away (their schedule
// entries pending), each round opens --batch (100) P1 tickets whose 50%
// first-response warning falls due one minute later (untimed), moves the
// FakeClock on by that minute and times Scheduler::FireDue() running
// Tickets::OnScheduled for them (as rapportd does), then cancels them
// (untimed) so the pending count stays put. --rounds (200) rounds per run, on
// a store loaded afresh for every run (each repetition too): the cost per fire
// grows with the rounds a store has fired (the tombstones of fired entries at
// the head of the schedule), so only runs of the same length compare.
// cpu_us_per_fire is the CPU time of the whole process (the committer and
// completer threads write and answer the firings) per fired timer, of which
// bg_cpu_us_per_fire ran in RocksDB's flush and compaction threads and
// fg_cpu_us_per_fire in the others (the firing path itself);
// real_us_per_fire the wall time, handler_runs_per_fire how many times
// Tickets::OnScheduled ran per fired timer (above 1: transactions reran after
// write conflicts).
//
//   build/bench/rapport_sla_bench [--small=N] [--large=N] [--store_dir=DIR]
//       [--pending_small=N] [--pending_large=N] [--batch=N] [--rounds=N]
//       [benchmark flags]
//
// A store is loaded when the first benchmark that needs it runs, so
// --benchmark_filter=Fire skips the compliance stores altogether. Stores live
// in fresh directories under $TMPDIR (default /tmp), removed at exit; with
// --store_dir=DIR the compliance stores live in DIR/tickets-N instead and are
// kept, and a later run reuses them rather than loading again. The firing
// stores are always fresh.
//
// Each benchmark's figure is the minimum over its repetitions (pass
// --benchmark_repetitions): on a shared machine the minimum is the one least
// disturbed by other work. At the end the ratios large / small are printed.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "services/common/proto_time.h"
#include "services/common/transact.h"
#include "services/sla/catalog.h"
#include "services/sla/tickets.h"
#include "storage/clock.h"
#include "storage/key_codec.h"
#include "storage/scheduler.h"
#include "storage/store.h"

namespace rapport::sla {
namespace {

using bench::Flight;

// The compliance stores' "now" and report instant; their tickets span the
// year before.
const absl::Time kEnd = absl::FromCivil(absl::CivilDay(2026, 11, 20), absl::UTCTimeZone());
const absl::Time kStart = kEnd - absl::Hours(24 * 365);
// The firing stores start here (a Monday morning).
const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 11, 2, 8, 0, 0), absl::UTCTimeZone());

// Flags (main() sets them before any benchmark runs).
int64_t g_small = 1'000;
int64_t g_large = 1'000'000;
int64_t g_pending_small = 1'000;
int64_t g_pending_large = 100'000;
int g_batch = 100;
int g_rounds = 200;
std::string g_store_dir;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "rapport_sla_bench: %s\n", message.c_str());
  std::exit(1);
}

std::string FreshDir(absl::string_view what) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/rapport_sla_bench.",
                                 what, ".XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) Die(absl::StrCat("mkdtemp ", dir, " failed"));
  return dir;
}

struct Targets {
  absl::Duration p1_response, p1_resolution, p3_response, p3_resolution;
  std::vector<int> warnings;
};

// A store with the SLA domain over it, wired as rapportd wires it (minus
// gRPC, metrics and escalations): Catalog, Tickets, a Scheduler running
// Tickets::OnScheduled for kTicketScheduleKind.
class Domain final {
 public:
  Domain(std::string dir, absl::Time now) : dir_(std::move(dir)), clock_(now) { Open(); }
  ~Domain() { Close(); }

  void Open() {
    storage::StoreOptions options;
    options.data_dir = dir_;
    options.sync_writes = false;
    auto store = storage::Store::Open(options);
    if (!store.ok()) Die(std::string(store.status().message()));
    store_ = std::move(store).value();
    auto exists = [](absl::string_view, absl::string_view) { return absl::OkStatus(); };
    catalog_ = std::make_unique<Catalog>(store_.get(), &clock_, exists);
    tickets_ = std::make_unique<Tickets>(store_.get(), &clock_, catalog_.get(), exists);
    Tickets::Observer observer;
    observer.crossing = [this](const v1::ThresholdCrossing&, const std::string&, v1::Priority) {
      crossings_.fetch_add(1, std::memory_order_relaxed);
    };
    tickets_->SetObserver(std::move(observer));
    scheduler_ = std::make_unique<storage::Scheduler>(store_.get(), &clock_);
    Tickets* tickets = tickets_.get();
    scheduler_->RegisterHandler(kTicketScheduleKind,
                                [tickets](const storage::ScheduledEntry& entry, storage::Txn& txn) {
                                  return tickets->OnScheduled(entry, txn);
                                });
  }

  void Close() {
    scheduler_.reset();
    tickets_.reset();
    catalog_.reset();
    store_.reset();
  }

  // Closes and reopens the store: the memtables become table files. Then
  // waits (up to a minute) for the compactions that follow, so that they do
  // not run inside a measurement.
  void Reopen() {
    Close();
    Open();
    const absl::Time deadline = absl::Now() + absl::Minutes(1);
    while (store_->Stats().pending_compaction_bytes > 0 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(200));
    }
  }

  // Service "email", a round-the-clock calendar in Europe/Berlin and the
  // service's default SLA "gold" (P1 and P3 targets, `targets.warnings`,
  // availability 99.9%).
  void SeedCatalog(const Targets& targets) {
    v1::ApplyCatalogRequest request;
    auto* c = request.mutable_catalog();
    auto* service = c->add_services();
    service->set_name("services/email");
    service->set_display_name("E-mail");
    auto* calendar = c->add_calendars();
    calendar->set_name("calendars/always");
    calendar->set_display_name("24x7");
    calendar->set_time_zone("Europe/Berlin");
    calendar->set_round_the_clock(true);
    auto* a = c->add_agreements();
    a->set_name("agreements/gold");
    a->set_display_name("Gold");
    a->set_type(v1::Agreement::SLA);
    a->set_service("services/email");
    *a->mutable_effective_from() = ToProtoTime(std::min(kStart, kT0) - absl::Hours(24 * 30));
    a->set_calendar("calendars/always");
    for (int w : targets.warnings) a->add_warning_thresholds(w);
    a->set_availability_target(99.9);
    for (auto [p, response, resolution] :
         {std::tuple{v1::P1, targets.p1_response, targets.p1_resolution},
          std::tuple{v1::P3, targets.p3_response, targets.p3_resolution}}) {
      auto* t = a->add_targets();
      t->set_priority(p);
      *t->mutable_first_response() = ToProtoDuration(response);
      *t->mutable_resolution() = ToProtoDuration(resolution);
    }
    auto applied = Await<v1::ApplyCatalogResponse>([&](Callback<v1::ApplyCatalogResponse> done) {
      catalog_->ApplyCatalog(request, std::move(done));
    });
    if (!applied.ok()) Die(absl::StrCat("ApplyCatalog: ", applied.status().ToString()));
  }

  storage::Store& store() { return *store_; }
  FakeClock& clock() { return clock_; }
  Tickets& tickets() { return *tickets_; }
  storage::Scheduler& scheduler() { return *scheduler_; }
  int64_t crossings() const { return crossings_.load(); }

  // Pending schedule entries.
  int64_t CountSchedule() const {
    int64_t n = 0;
    auto status = store_->ForEach(storage::Cf::kSchedule, storage::ScanOptions(),
                                  [&n](absl::string_view, absl::string_view) {
                                    ++n;
                                    return true;
                                  });
    if (!status.ok()) Die(std::string(status.message()));
    return n;
  }

 private:
  const std::string dir_;
  FakeClock clock_;
  std::atomic<int64_t> crossings_{0};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<Tickets> tickets_;
  std::unique_ptr<storage::Scheduler> scheduler_;
};

v1::RecordTicketEventRequest Event(absl::string_view ticket, absl::string_view event_id, absl::Time at) {
  v1::RecordTicketEventRequest request;
  request.set_ticket_id(std::string(ticket));
  request.mutable_event()->set_event_id(std::string(event_id));
  *request.mutable_event()->mutable_event_time() = ToProtoTime(at);
  return request;
}

v1::RecordTicketEventRequest Opened(absl::string_view ticket, absl::Time at, v1::Priority priority) {
  v1::RecordTicketEventRequest request = Event(ticket, "open", at);
  auto* opened = request.mutable_event()->mutable_opened();
  opened->set_service("services/email");
  opened->set_relationship("relationships/acme");
  opened->set_priority(priority);
  return request;
}

// ------------------------------------------------------------ compliance

// The ticket loading pattern: P1 and P3 in turn; each resolved after one of
// four delays, which against P1 (1 h / 4 h) and P3 (4 h / 24 h) gives every
// combination of met and breached responses and resolutions.
const Targets kComplianceTargets{absl::Hours(1), absl::Hours(4), absl::Hours(4), absl::Hours(24), {50, 75}};
constexpr absl::Duration kResolveAfter[] = {absl::Minutes(30), absl::Hours(2), absl::Hours(6),
                                           absl::Hours(30)};

// A store loaded with `tickets` tickets.
class ComplianceStore final {
 public:
  explicit ComplianceStore(int64_t tickets) : tickets_(tickets) {
    bool load = true;
    if (g_store_dir.empty()) {
      dir_ = FreshDir(absl::StrCat("tickets-", tickets));
      remove_ = true;
    } else {
      dir_ = absl::StrCat(g_store_dir, "/tickets-", tickets);
      load = !std::filesystem::exists(dir_ + "/loaded");
      if (load) {
        std::error_code error;
        std::filesystem::remove_all(dir_, error);
        std::filesystem::create_directories(dir_, error);
        if (error) Die(absl::StrCat("cannot create ", dir_));
      }
    }
    domain_ = std::make_unique<Domain>(dir_, kEnd);
    if (load) {
      domain_->SeedCatalog(kComplianceTargets);
      LoadOutages();
      LoadTickets();
      if (!g_store_dir.empty()) {
        std::FILE* mark = std::fopen((dir_ + "/loaded").c_str(), "w");
        if (mark == nullptr) Die(absl::StrCat("cannot mark ", dir_, " loaded"));
        std::fclose(mark);
      }
    } else {
      std::fprintf(stderr, "reusing %s\n", dir_.c_str());
    }
    domain_->Reopen();
    PrintCounterDensity();
  }

  ~ComplianceStore() {
    domain_.reset();
    if (!remove_) return;
    std::error_code error;
    std::filesystem::remove_all(dir_, error);
  }

  Tickets& tickets() { return domain_->tickets(); }

  // How many completion counters of `scope` ('A', 'S' or 'R') `scope_id` exist
  // in the local days of [start, end) in `zone`: the keys a report reads.
  int64_t CountersIn(char scope, absl::string_view scope_id, absl::string_view zone, absl::Time start,
                     absl::Time end) {
    absl::TimeZone tz;
    if (!absl::LoadTimeZone(zone, &tz)) Die(absl::StrCat("no time zone ", zone));
    auto day = [&tz](absl::Time t) { return absl::ToCivilDay(t, tz) - absl::CivilDay(1970, 1, 1); };
    const int64_t from = day(start), to = day(end - absl::Nanoseconds(1));
    int64_t keys = 0;
    for (auto kind : {v1::FIRST_RESPONSE, v1::RESOLUTION}) {
      const auto k = static_cast<uint32_t>(kind);
      storage::ScanOptions scan;
      scan.prefix = storage::ticketkeys::CompletionPrefix(scope, scope_id, k);
      scan.lower = storage::ticketkeys::CompletionRow(scope, scope_id, k, from);
      scan.upper = storage::ticketkeys::CompletionRow(scope, scope_id, k, to + 1);
      auto status = domain_->store().ForEach(storage::Cf::kAggregates, scan,
                                             [&keys](absl::string_view, absl::string_view) {
                                               ++keys;
                                               return true;
                                             });
      if (!status.ok()) Die(std::string(status.message()));
    }
    return keys;
  }

 private:
  // One unplanned outage (45 min) and one planned maintenance (2 h) a month.
  void LoadOutages() {
    Flight flight(32);
    for (int month = 0; month < 12; ++month) {
      const absl::Time at = kStart + absl::Hours(24 * (30 * month + 11) + 3);
      for (bool planned : {false, true}) {
        v1::RecordOutageRequest request;
        request.set_outage_id(absl::StrCat(planned ? "m-" : "u-", month));
        auto* o = request.mutable_outage();
        o->set_service("services/email");
        o->set_kind(planned ? v1::Outage::PLANNED_MAINTENANCE : v1::Outage::UNPLANNED);
        *o->mutable_start_time() = ToProtoTime(at + (planned ? absl::Hours(48) : absl::ZeroDuration()));
        *o->mutable_end_time() =
            ToProtoTime(at + (planned ? absl::Hours(50) : absl::Minutes(45)));
        flight.Acquire();
        domain_->tickets().RecordOutage(
            request, [&flight](absl::StatusOr<v1::Outage> r) { flight.Release(r.status()); });
      }
    }
    if (auto s = flight.Wait(); !s.ok()) Die(absl::StrCat("RecordOutage: ", s.ToString()));
  }

  // Each ticket is opened, and resolved as soon as its opening is written:
  // the resolutions wait in `ready` and go first, so a ticket's record is
  // still fresh when it is written again.
  void LoadTickets() {
    constexpr int kInFlight = 256;
    std::mutex mu;
    std::condition_variable cv;
    std::deque<int64_t> ready;
    int in_flight = 0;
    int64_t next_open = 0, failed = 0;
    std::string first_error;
    const int64_t span = absl::ToInt64Seconds(kEnd - kStart - absl::Hours(48));
    auto opened_at = [&](int64_t i) { return kStart + absl::Seconds(i * span / tickets_); };
    auto id = [](int64_t i) { return absl::StrFormat("t%08d", i); };
    const absl::Time started = absl::Now();
    int64_t next_report = tickets_ / 10;
    for (;;) {
      int64_t i = 0;
      bool open = false;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] {
          return failed > 0 || (in_flight < kInFlight && (!ready.empty() || next_open < tickets_)) ||
                 (in_flight == 0 && ready.empty());
        });
        if (failed > 0) {
          cv.wait(lock, [&] { return in_flight == 0; });
          Die(absl::StrCat(failed, " ticket events failed, e.g.: ", first_error));
        }
        if (!ready.empty()) {
          i = ready.front();
          ready.pop_front();
        } else if (next_open < tickets_) {
          i = next_open++;
          open = true;
        } else {
          break;  // Nothing in flight, nothing left.
        }
        ++in_flight;
      }
      if (open && i == next_report) {
        const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
        std::fprintf(stderr, "  %lld of %lld tickets opened, %.0f s\n", static_cast<long long>(i),
                     static_cast<long long>(tickets_), seconds);
        next_report += tickets_ / 10;
      }
      const v1::Priority priority = i % 2 == 0 ? v1::P1 : v1::P3;
      v1::RecordTicketEventRequest request;
      if (open) {
        request = Opened(id(i), opened_at(i), priority);
      } else {
        request = Event(id(i), "resolve", opened_at(i) + kResolveAfter[(i / 2) % 4]);
        request.mutable_event()->mutable_resolved();
      }
      domain_->tickets().RecordTicketEvent(request, [&, i, open](absl::StatusOr<v1::Ticket> r) {
        std::lock_guard<std::mutex> lock(mu);
        --in_flight;
        if (!r.ok()) {
          if (failed++ == 0) first_error = r.status().ToString();
        } else if (open) {
          ready.push_back(i);
        }
        cv.notify_all();
      });
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
    std::fprintf(stderr, "loaded %lld tickets (%lld events) in %.1f s (%.0f events/s)\n",
                 static_cast<long long>(tickets_), static_cast<long long>(2 * tickets_), seconds,
                 2.0 * static_cast<double>(tickets_) / seconds);
  }

  // How many of the agreement's completion counter rows the quarter's report
  // reads, against the most there can be (one per local day and timer kind,
  // its cells met, breached and 16 histogram buckets): once every day has its
  // rows, more tickets only change values, so a report reads the same keys.
  void PrintCounterDensity() {
    absl::TimeZone berlin;
    if (!absl::LoadTimeZone("Europe/Berlin", &berlin)) Die("no Europe/Berlin zone");
    const absl::CivilDay end_day = absl::ToCivilDay(kEnd, berlin);
    const absl::CivilMonth first(end_day.year(), ((end_day.month() - 1) / 3) * 3 + 1);
    const int64_t days = end_day - absl::CivilDay(first) + 1;
    const int64_t keys =
        CountersIn('A', "gold", "Europe/Berlin", absl::FromCivil(first, berlin), kEnd + absl::Hours(24));
    std::fprintf(stderr,
                 "%lld tickets: the quarter's report of agreement gold reads %lld completion counter rows "
                 "(at most %lld: %lld days x 2 kinds)\n",
                 static_cast<long long>(tickets_), static_cast<long long>(keys),
                 static_cast<long long>(days * 2), static_cast<long long>(days));
  }

  const int64_t tickets_;
  std::string dir_;
  bool remove_ = false;
  std::unique_ptr<Domain> domain_;
};

// Loads its store when a benchmark first asks for it.
class LazyComplianceStore final {
 public:
  explicit LazyComplianceStore(int64_t tickets) : tickets_(tickets) {}
  ComplianceStore& Get() {
    if (store_ == nullptr) store_ = std::make_unique<ComplianceStore>(tickets_);
    return *store_;
  }

 private:
  const int64_t tickets_;
  std::unique_ptr<ComplianceStore> store_;
};

struct Period {
  const char* name;
  v1::GetComplianceReportRequest::Period period;
  int rolling_days;
};
const Period kPeriods[] = {{"month", v1::GetComplianceReportRequest::MONTH, 0},
                           {"quarter", v1::GetComplianceReportRequest::QUARTER, 0},
                           {"rolling90", v1::GetComplianceReportRequest::ROLLING, 90}};
// Agreements and services also report availability (the agreement's target
// against the service's outages); relationships do not.
const std::pair<const char*, const char*> kScopes[] = {{"agreement", "agreements/gold"},
                                                       {"service", "services/email"},
                                                       {"relationship", "relationships/acme"}};

void BM_ComplianceReport(benchmark::State& state, LazyComplianceStore* lazy, std::string scope,
                         Period period) {
  ComplianceStore& store = lazy->Get();
  Tickets& tickets = store.tickets();
  v1::GetComplianceReportRequest request;
  request.set_scope(scope);
  request.set_period(period.period);
  request.set_rolling_days(period.rolling_days);
  *request.mutable_at_time() = ToProtoTime(kEnd);
  std::optional<v1::ComplianceReport> last;
  for (auto _ : state) {
    auto report = tickets.GetComplianceReport(request);
    if (!report.ok()) {
      state.SkipWithError(report.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(report);
    last = *std::move(report);
  }
  if (!last) return;
  // Timers completed in the period (response and resolution): what the
  // report sums; and the counter rows it reads to get there (agreements report
  // in the calendar's zone, services and relationships in UTC).
  state.counters["completed"] = static_cast<double>(last->combined().completed());
  const char kind = absl::StartsWith(scope, "agreements/") ? 'A'
                    : absl::StartsWith(scope, "services/") ? 'S'
                                                           : 'R';
  state.counters["counters_read"] = static_cast<double>(
      store.CountersIn(kind, scope.substr(scope.find('/') + 1), kind == 'A' ? "Europe/Berlin" : "UTC",
                       FromProtoTime(last->start_time()), FromProtoTime(last->end_time())));
}

// ------------------------------------------------------------ firing

// P1 tickets (the ones that fire) warn at 50% of a 2-minute first response;
// P3 tickets (the pending ones) first cross 15 days after opening.
const Targets kFiringTargets{absl::Minutes(2), absl::Hours(1), absl::Hours(24 * 30), absl::Hours(24 * 60),
                             {50}};
// The pending tickets are opened over this span before kT0.
constexpr absl::Duration kLoadSpan = absl::Hours(1);
// How far the clock may move before the pending tickets' first crossing.
constexpr absl::Duration kFiringHorizon = absl::Hours(24 * 14);

class FiringStore final {
 public:
  explicit FiringStore(int64_t pending) : pending_(pending), dir_(FreshDir(absl::StrCat("pending-", pending))) {
    // Opened one after the other over the hour before kT0, each as it
    // happens (no event in the past): the pending entries do not all share
    // one instant.
    domain_ = std::make_unique<Domain>(dir_, kT0 - kLoadSpan);
    domain_->SeedCatalog(kFiringTargets);
    FakeClock& clock = domain_->clock();
    const absl::Duration step = kLoadSpan / pending;
    const absl::Time started = absl::Now();
    Flight flight(256);
    for (int64_t i = 0; i < pending; ++i) {
      auto request = Opened(absl::StrFormat("p%08d", i), clock.Now(), v1::P3);
      flight.Acquire();
      domain_->tickets().RecordTicketEvent(
          request, [&flight](absl::StatusOr<v1::Ticket> r) { flight.Release(r.status()); });
      clock.Advance(step);
    }
    if (auto s = flight.Wait(); !s.ok()) Die(absl::StrCat("opening pending tickets: ", s.ToString()));
    clock.Set(kT0);
    std::fprintf(stderr, "opened %lld pending tickets in %.1f s\n", static_cast<long long>(pending),
                 absl::ToDoubleSeconds(absl::Now() - started));
    domain_->Reopen();
    const int64_t entries = domain_->CountSchedule();
    if (entries != pending) {
      Die(absl::StrCat(entries, " schedule entries pending, expected ", pending));
    }
  }

  ~FiringStore() {
    domain_.reset();
    std::error_code error;
    std::filesystem::remove_all(dir_, error);
  }

  int64_t pending() const { return pending_; }
  Domain& domain() { return *domain_; }
  int64_t NextRound() { return round_++; }

 private:
  const int64_t pending_;
  const std::string dir_;
  std::unique_ptr<Domain> domain_;
  int64_t round_ = 0;
};

// Records the same event kind on `ids`, all in flight together.
absl::Status RecordAll(Tickets& tickets, const std::vector<std::string>& ids,
                       const std::function<v1::RecordTicketEventRequest(const std::string&)>& make) {
  Flight flight(static_cast<int>(ids.size()));
  for (const auto& id : ids) {
    flight.Acquire();
    tickets.RecordTicketEvent(make(id),
                              [&flight](absl::StatusOr<v1::Ticket> r) { flight.Release(r.status()); });
  }
  return flight.Wait();
}

// A fresh store per run, so that repetitions start alike (the cost per fire
// grows with the rounds a store has fired).
void BM_FireTicketTimers(benchmark::State& state, int64_t pending) {
  auto fresh = std::make_unique<FiringStore>(pending);
  FiringStore& store = *fresh;
  Domain& domain = store.domain();
  FakeClock& clock = domain.clock();
  rapport::bench::FiringCost cost;
  int64_t fired_total = 0, handler_runs = 0;
  std::vector<std::string> ids(g_batch);
  for (auto _ : state) {
    state.PauseTiming();
    if (clock.Now() - kT0 > kFiringHorizon) {
      state.SkipWithError("the clock reached the pending tickets' crossings: fewer rounds");
      break;
    }
    const int64_t round = store.NextRound();
    for (int j = 0; j < g_batch; ++j) ids[j] = absl::StrFormat("r%06d-%04d", round, j);
    const absl::Time now = clock.Now();
    if (auto s = RecordAll(domain.tickets(), ids,
                           [now](const std::string& id) { return Opened(id, now, v1::P1); });
        !s.ok()) {
      state.SkipWithError(absl::StrCat("opening: ", s.ToString()).c_str());
      break;
    }
    clock.Advance(kFiringTargets.p1_response / 2);
    const int64_t crossings_before = domain.crossings();
    state.ResumeTiming();

    auto fired = cost.Measure([&] { return domain.scheduler().FireDue(); });

    state.PauseTiming();
    // The observer runs inside the firing's transaction: once per fired
    // entry, more if transactions reran.
    const int64_t runs = domain.crossings() - crossings_before;
    if (!fired.ok() || *fired != g_batch || runs < g_batch) {
      state.SkipWithError(absl::StrCat("fired ", fired.ok() ? absl::StrCat(*fired) : fired.status().ToString(),
                                       " entries with ", runs, " crossings; expected ", g_batch)
                              .c_str());
      break;
    }
    fired_total += *fired;
    handler_runs += runs;
    const absl::Time later = clock.Now();
    if (auto s = RecordAll(domain.tickets(), ids,
                           [later](const std::string& id) {
                             auto request = Event(id, "cancel", later);
                             request.mutable_event()->mutable_cancelled();
                             return request;
                           });
        !s.ok()) {
      state.SkipWithError(absl::StrCat("cancelling: ", s.ToString()).c_str());
      break;
    }
    state.ResumeTiming();
  }
  if (fired_total == 0) return;
  cost.Report(state, fired_total, store.pending(), handler_runs);
}

}  // namespace
}  // namespace rapport::sla

int main(int argc, char** argv) {
  namespace sla = rapport::sla;
  if (!rapport::bench::Flags("rapport_sla_bench")
           .Text("--store_dir=", &sla::g_store_dir)
           .Count("--small=", &sla::g_small)
           .Count("--large=", &sla::g_large)
           .Count("--pending_small=", &sla::g_pending_small)
           .Count("--pending_large=", &sla::g_pending_large)
           .Count("--batch=", &sla::g_batch)
           .Count("--rounds=", &sla::g_rounds)
           .Initialize(argc, argv)) {
    return 1;
  }

  const std::vector<int64_t> sizes = {sla::g_small, sla::g_large};
  std::map<int64_t, std::unique_ptr<sla::LazyComplianceStore>> compliance;
  auto compliance_name = [](const char* scope, const char* period, int64_t n) {
    return absl::StrCat("BM_ComplianceReport/scope:", scope, "/period:", period, "/tickets:", n);
  };
  auto firing_name = [](int64_t k) { return absl::StrCat("BM_FireTicketTimers/pending:", k); };
  for (int64_t n : sizes) {
    auto& lazy = compliance[n];
    if (lazy != nullptr) continue;
    lazy = std::make_unique<sla::LazyComplianceStore>(n);
    for (const auto& [scope, name] : sla::kScopes) {
      for (const auto& period : sla::kPeriods) {
        benchmark::RegisterBenchmark(compliance_name(scope, period.name, n).c_str(),
                                     sla::BM_ComplianceReport, lazy.get(), std::string(name), period)
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
  for (int64_t k : std::set<int64_t>{sla::g_pending_small, sla::g_pending_large}) {
    benchmark::RegisterBenchmark(firing_name(k).c_str(), sla::BM_FireTicketTimers, k)
        ->Iterations(sla::g_rounds)
        ->MeasureProcessCPUTime()
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  // cpu/counter: CPU time per completion counter row a report reads.
  rapport::bench::RatioReporter reporter([](rapport::bench::RatioReporter::Figures& f) {
    if (f["counters_read"] > 0) f["cpu_per_counter"] = f["cpu"] / f["counters_read"];
  });
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  std::printf("\nGetComplianceReport: time with %lld tickets / time with %lld (target: at most 1.5)\n",
              static_cast<long long>(sla::g_large), static_cast<long long>(sla::g_small));
  std::printf("  (counters: the completion counter rows the report reads; cpu/counter: CPU time per row read)\n");
  std::printf("  %-40s %11s %11s %11s %11s\n", "", "real", "cpu", "counters", "cpu/counter");
  for (const auto& [scope, name] : sla::kScopes) {
    for (const auto& period : sla::kPeriods) {
      rapport::bench::PrintRatio(reporter, absl::StrCat(scope, " ", period.name),
                                 compliance_name(scope, period.name, sla::g_large),
                                 compliance_name(scope, period.name, sla::g_small),
                                 {"real", "cpu", "counters_read", "cpu_per_counter"});
    }
  }
  std::printf("\nFiring: cost per fired timer with %lld pending / with %lld (target: about 1)\n",
              static_cast<long long>(sla::g_pending_large), static_cast<long long>(sla::g_pending_small));
  std::printf("  (fg cpu: CPU time outside RocksDB's flush and compaction threads)\n");
  std::printf("  %-40s %11s %11s %11s\n", "", "real", "cpu", "fg cpu");
  rapport::bench::PrintRatio(reporter, "per fired timer", firing_name(sla::g_pending_large),
                             firing_name(sla::g_pending_small),
                             {"real_us_per_fire", "cpu_us_per_fire", "fg_cpu_us_per_fire"});
  // Stores close (and temporary ones go) before exit.
  compliance.clear();
  return 0;
}
