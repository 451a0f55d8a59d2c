// rapportctl tickets (list, show) and compliance: SLA timers and figures.
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/cli.h"
#include "cli/context.h"
#include "cli/format.h"
#include "cli/sla_views.h"
#include "rapport/v1/sla.grpc.pb.h"

namespace rapport::cli {

using v1::SlaCatalogService;

int TicketsList(Context& c) {
  const auto limit = c.ListLimit();
  if (!limit) return kExitUsage;
  v1::ListTicketsRequest request;
  int state = 0;
  if (!c.EnumFlag("--state", v1::Ticket::State_descriptor(), &state)) return kExitUsage;
  request.set_state(static_cast<v1::Ticket::State>(state));
  if (c.Has("--service")) request.set_service(FullName(c.Get("--service"), "services"));
  if (c.Has("--relationship")) {
    request.set_relationship(FullName(c.Get("--relationship"), "relationships"));
  }
  request.set_at_risk(c.Has("--at-risk"));
  request.set_breached(c.Has("--breached"));
  auto stub = SlaCatalogService::NewStub(c.Channel());
  std::vector<v1::Ticket> items;
  bool more = false;
  const grpc::Status status =
      c.FetchPages<v1::ListTicketsRequest, v1::ListTicketsResponse, v1::Ticket>(
          request, *limit,
          [&](grpc::ClientContext* ctx, const v1::ListTicketsRequest& r,
              v1::ListTicketsResponse* out) { return stub->ListTickets(ctx, r, out); },
          [](const v1::ListTicketsResponse& r) -> const auto& { return r.tickets(); }, &items,
          &more);
  if (!status.ok()) return c.Fail(status);
  if (c.json()) {
    c.PrintJsonArray(items);
  } else {
    PrintTickets(items, absl::Now(), c.out());
    c.NoteMore(more, items.size());
  }
  return kExitOk;
}

int TicketsShow(Context& c) {
  auto stub = SlaCatalogService::NewStub(c.Channel());
  v1::GetTicketRequest request;
  request.set_name(FullName(c.args()[0], "tickets"));
  grpc::ClientContext ctx;
  c.Prepare(&ctx);
  v1::Ticket ticket;
  const grpc::Status status = stub->GetTicket(&ctx, request, &ticket);
  if (!status.ok()) return c.Fail(status);
  if (c.json()) {
    c.PrintJson(ticket);
  } else {
    PrintTicket(ticket, absl::Now(), c.out());
  }
  return kExitOk;
}

int Compliance(Context& c) {
  v1::GetComplianceReportRequest request;
  int scopes = 0;
  for (const auto& [flag, collection] :
       {std::pair<const char*, const char*>{"--service", "services"},
        {"--relationship", "relationships"},
        {"--agreement", "agreements"}}) {
    if (!c.Has(flag)) continue;
    ++scopes;
    request.set_scope(FullName(c.Get(flag), collection));
  }
  if (scopes != 1) return c.Usage("give one of --service, --relationship or --agreement");

  std::string period = "month";
  if (c.Has("--days")) {
    int days = 0;
    if (c.Has("--period")) return c.Usage("--days and --period exclude each other");
    if (!absl::SimpleAtoi(c.Get("--days"), &days) || days <= 0) {
      return c.Usage("--days must be a positive number, got '" + c.Get("--days") + "'");
    }
    request.set_period(v1::GetComplianceReportRequest::ROLLING);
    request.set_rolling_days(days);
    period = absl::StrCat(days, days == 1 ? " day" : " days");
  } else {
    int value = v1::GetComplianceReportRequest::MONTH;
    if (!c.EnumFlag("--period", v1::GetComplianceReportRequest::Period_descriptor(), &value)) {
      return kExitUsage;
    }
    if (value == v1::GetComplianceReportRequest::ROLLING) {
      return c.Usage("for a rolling period give --days N");
    }
    request.set_period(static_cast<v1::GetComplianceReportRequest::Period>(value));
    period = absl::AsciiStrToLower(v1::GetComplianceReportRequest::Period_Name(request.period()));
  }
  if (c.Has("--at")) {
    const auto at = ParseHumanTime(c.Get("--at"));
    if (!at) {
      return c.Usage(
          "--at must be a date or time such as 2026-10-15 or 2026-10-15T14:00:00Z, got '" +
          c.Get("--at") + "'");
    }
    *request.mutable_at_time() = ToProto(*at);
  }
  request.set_time_zone(c.Get("--time-zone"));

  auto stub = SlaCatalogService::NewStub(c.Channel());
  grpc::ClientContext ctx;
  c.Prepare(&ctx);
  v1::ComplianceReport report;
  const grpc::Status status = stub->GetComplianceReport(&ctx, request, &report);
  if (!status.ok()) return c.Fail(status);
  if (c.json()) {
    c.PrintJson(report);
  } else {
    PrintComplianceReport(report, period, c.out());
  }
  return kExitOk;
}

}  // namespace rapport::cli
