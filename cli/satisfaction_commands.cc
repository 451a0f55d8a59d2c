// rapportctl satisfaction score and trend: NPS, CSAT and CES of a scope.
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/cli.h"
#include "cli/context.h"
#include "cli/format.h"
#include "cli/satisfaction_views.h"
#include "rapport/v1/satisfaction.grpc.pb.h"

namespace rapport::cli {
namespace {

using v1::SatisfactionService;

// The scope from --survey, --service or --relationship ("" for every
// answer). nullopt after a usage error when more than one is given.
std::optional<std::string> ScopeFlag(const Context& c) {
  std::string scope;
  for (const auto& [flag, collection] : {std::pair<const char*, const char*>{"--survey", "surveys"},
                                         {"--service", "services"},
                                         {"--relationship", "relationships"}}) {
    if (!c.Has(flag)) continue;
    if (!scope.empty()) {
      c.Usage("give at most one of --survey, --service and --relationship");
      return std::nullopt;
    }
    scope = FullName(c.Get(flag), collection);
  }
  return scope;
}

// Reads time flag `flag` into the field `set_field` returns, only when the
// flag is given (a present but zero timestamp would mean 1970). false after
// a usage error.
bool TimeFlag(const Context& c, const std::string& flag,
              const std::function<google::protobuf::Timestamp*()>& set_field) {
  if (!c.Has(flag)) return true;
  const auto time = ParseHumanTime(c.Get(flag));
  if (!time) {
    c.Usage(flag + " must be a date or time such as 2026-10-15 or 2026-10-15T14:00:00Z, got '" +
            c.Get(flag) + "'");
    return false;
  }
  *set_field() = ToProto(*time);
  return true;
}

// Reads positive integer flag `flag` into `*out` when given; false after a usage error.
bool DaysFlag(const Context& c, const std::string& flag, int* out) {
  if (!c.Has(flag)) return true;
  if (!absl::SimpleAtoi(c.Get(flag), out) || *out <= 0) {
    c.Usage(flag + " must be a positive number of days, got '" + c.Get(flag) + "'");
    return false;
  }
  return true;
}

}  // namespace

int SatisfactionScore(Context& c) {
  v1::GetScoreRequest request;
  const auto scope = ScopeFlag(c);
  if (!scope) return kExitUsage;
  request.set_scope(*scope);
  if (c.Has("--days") && c.Has("--from")) return c.Usage("--days and --from exclude each other");
  int days = 90;
  if (!DaysFlag(c, "--days", &days) ||
      !TimeFlag(c, "--from", [&] { return request.mutable_start_time(); }) ||
      !TimeFlag(c, "--to", [&] { return request.mutable_end_time(); })) {
    return kExitUsage;
  }
  if (!c.Has("--from")) request.set_rolling_days(days);

  auto stub = SatisfactionService::NewStub(c.Channel());
  grpc::ClientContext ctx;
  c.Prepare(&ctx);
  v1::Score score;
  const grpc::Status status = stub->GetScore(&ctx, request, &score);
  if (!status.ok()) return c.Fail(status);
  if (c.json()) {
    c.PrintJson(score);
  } else {
    PrintScore(score, c.out());
  }
  return kExitOk;
}

int SatisfactionTrend(Context& c) {
  v1::GetTrendRequest request;
  const auto scope = ScopeFlag(c);
  if (!scope) return kExitUsage;
  request.set_scope(*scope);

  Metric metric = Metric::kNps;
  const std::string metric_flag = absl::AsciiStrToLower(c.Get("--metric"));
  if (metric_flag == "csat") {
    metric = Metric::kCsat;
  } else if (metric_flag == "ces") {
    metric = Metric::kCes;
  } else if (!metric_flag.empty() && metric_flag != "nps") {
    return c.Usage("--metric must be nps, csat or ces, got '" + c.Get("--metric") + "'");
  }
  int bucket = v1::GetTrendRequest::WEEK;
  if (!c.EnumFlag("--bucket", v1::GetTrendRequest::Bucket_descriptor(), &bucket)) {
    return kExitUsage;
  }
  request.set_bucket(static_cast<v1::GetTrendRequest::Bucket>(bucket));
  int rolling_days = 0;
  if (!DaysFlag(c, "--rolling-days", &rolling_days) ||
      !TimeFlag(c, "--from", [&] { return request.mutable_start_time(); }) ||
      !TimeFlag(c, "--to", [&] { return request.mutable_end_time(); })) {
    return kExitUsage;
  }
  request.set_rolling_days(rolling_days);
  if (!c.Has("--from")) {
    // About a dozen points back from the end (or now).
    const absl::Time end = c.Has("--to") ? FromProto(request.end_time()) : absl::Now();
    const absl::Duration back = bucket == v1::GetTrendRequest::DAY    ? absl::Hours(24 * 29)
                                : bucket == v1::GetTrendRequest::WEEK ? absl::Hours(24 * 7 * 11)
                                                                      : absl::Hours(24 * 334);
    *request.mutable_start_time() = ToProto(end - back);
  }
  request.set_time_zone(c.Get("--time-zone"));

  auto stub = SatisfactionService::NewStub(c.Channel());
  grpc::ClientContext ctx;
  c.Prepare(&ctx);
  v1::Trend trend;
  const grpc::Status status = stub->GetTrend(&ctx, request, &trend);
  if (!status.ok()) return c.Fail(status);
  if (c.json()) {
    c.PrintJson(trend);
  } else {
    PrintTrend(trend, metric, c.out());
  }
  return kExitOk;
}

}  // namespace rapport::cli
