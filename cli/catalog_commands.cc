// rapportctl services, calendars, agreements and catalog apply: the SLA catalog.
#include "absl/strings/ascii.h"
#include "cli/catalog_file.h"
#include "cli/cli.h"
#include "cli/context.h"
#include "cli/format.h"
#include "cli/views.h"
#include "rapport/v1/sla.grpc.pb.h"

namespace rapport::cli {
namespace {

using v1::SlaCatalogService;

// Calls a Get method and prints the resource with `print` (table) or as JSON.
template <typename Request, typename Resource>
int ShowOne(Context& c, const Request& request,
            const std::function<grpc::Status(grpc::ClientContext*, const Request&, Resource*)>& get,
            void (*print)(const Resource&, std::ostream&)) {
  grpc::ClientContext ctx;
  c.Prepare(&ctx);
  Resource resource;
  const grpc::Status status = get(&ctx, request, &resource);
  if (!status.ok()) return c.Fail(status);
  if (c.json()) {
    c.PrintJson(resource);
  } else {
    print(resource, c.out());
  }
  return kExitOk;
}

// Prints a fetched list as a JSON array or with `print`.
template <typename Item>
int PrintList(Context& c, const std::vector<Item>& items, bool more,
              void (*print)(const std::vector<Item>&, std::ostream&)) {
  if (c.json()) {
    c.PrintJsonArray(items);
  } else {
    print(items, c.out());
    c.NoteMore(more, items.size());
  }
  return kExitOk;
}

}  // namespace

int ServicesList(Context& c) {
  const auto limit = c.ListLimit();
  if (!limit) return kExitUsage;
  int lifecycle = 0;
  if (!c.EnumFlag("--lifecycle", v1::Service::Lifecycle_descriptor(), &lifecycle)) {
    return kExitUsage;
  }
  v1::ListServicesRequest request;
  request.set_lifecycle(static_cast<v1::Service::Lifecycle>(lifecycle));
  auto stub = SlaCatalogService::NewStub(c.Channel());
  std::vector<v1::Service> items;
  bool more = false;
  const grpc::Status status =
      c.FetchPages<v1::ListServicesRequest, v1::ListServicesResponse, v1::Service>(
          request, *limit,
          [&](grpc::ClientContext* ctx, const v1::ListServicesRequest& r,
              v1::ListServicesResponse* out) { return stub->ListServices(ctx, r, out); },
          [](const v1::ListServicesResponse& r) -> const auto& { return r.services(); }, &items,
          &more);
  if (!status.ok()) return c.Fail(status);
  return PrintList(c, items, more, &PrintServices);
}

int ServicesShow(Context& c) {
  auto stub = SlaCatalogService::NewStub(c.Channel());
  v1::GetServiceRequest request;
  request.set_name(FullName(c.args()[0], "services"));
  return ShowOne<v1::GetServiceRequest, v1::Service>(
      c, request,
      [&](grpc::ClientContext* ctx, const v1::GetServiceRequest& r, v1::Service* out) {
        return stub->GetService(ctx, r, out);
      },
      &PrintService);
}

int CalendarsList(Context& c) {
  const auto limit = c.ListLimit();
  if (!limit) return kExitUsage;
  auto stub = SlaCatalogService::NewStub(c.Channel());
  std::vector<v1::Calendar> items;
  bool more = false;
  const grpc::Status status =
      c.FetchPages<v1::ListCalendarsRequest, v1::ListCalendarsResponse, v1::Calendar>(
          v1::ListCalendarsRequest(), *limit,
          [&](grpc::ClientContext* ctx, const v1::ListCalendarsRequest& r,
              v1::ListCalendarsResponse* out) { return stub->ListCalendars(ctx, r, out); },
          [](const v1::ListCalendarsResponse& r) -> const auto& { return r.calendars(); }, &items,
          &more);
  if (!status.ok()) return c.Fail(status);
  return PrintList(c, items, more, &PrintCalendars);
}

int CalendarsShow(Context& c) {
  auto stub = SlaCatalogService::NewStub(c.Channel());
  v1::GetCalendarRequest request;
  request.set_name(FullName(c.args()[0], "calendars"));
  return ShowOne<v1::GetCalendarRequest, v1::Calendar>(
      c, request,
      [&](grpc::ClientContext* ctx, const v1::GetCalendarRequest& r, v1::Calendar* out) {
        return stub->GetCalendar(ctx, r, out);
      },
      &PrintCalendar);
}

int AgreementsList(Context& c) {
  const auto limit = c.ListLimit();
  if (!limit) return kExitUsage;
  v1::ListAgreementsRequest request;
  if (c.Has("--service")) request.set_service(FullName(c.Get("--service"), "services"));
  if (c.Has("--relationship")) {
    request.set_relationship(FullName(c.Get("--relationship"), "relationships"));
  }
  if (c.Has("--type")) {
    const std::string type = absl::AsciiStrToLower(c.Get("--type"));
    if (type == "sla") {
      request.set_type(v1::Agreement::SLA);
    } else if (type == "ola") {
      request.set_type(v1::Agreement::OLA);
    } else if (type == "uc" || type == "underpinning_contract" || type == "underpinning-contract") {
      request.set_type(v1::Agreement::UNDERPINNING_CONTRACT);
    } else {
      return c.Usage("--type must be sla, ola or uc, got '" + c.Get("--type") + "'");
    }
  }
  int state = 0;
  if (!c.EnumFlag("--state", v1::Agreement::State_descriptor(), &state)) return kExitUsage;
  request.set_state(static_cast<v1::Agreement::State>(state));
  auto stub = SlaCatalogService::NewStub(c.Channel());
  std::vector<v1::Agreement> items;
  bool more = false;
  const grpc::Status status =
      c.FetchPages<v1::ListAgreementsRequest, v1::ListAgreementsResponse, v1::Agreement>(
          request, *limit,
          [&](grpc::ClientContext* ctx, const v1::ListAgreementsRequest& r,
              v1::ListAgreementsResponse* out) { return stub->ListAgreements(ctx, r, out); },
          [](const v1::ListAgreementsResponse& r) -> const auto& { return r.agreements(); }, &items,
          &more);
  if (!status.ok()) return c.Fail(status);
  return PrintList(c, items, more, &PrintAgreements);
}

int AgreementsShow(Context& c) {
  auto stub = SlaCatalogService::NewStub(c.Channel());
  v1::GetAgreementRequest request;
  request.set_name(FullName(c.args()[0], "agreements"));
  return ShowOne<v1::GetAgreementRequest, v1::Agreement>(
      c, request,
      [&](grpc::ClientContext* ctx, const v1::GetAgreementRequest& r, v1::Agreement* out) {
        return stub->GetAgreement(ctx, r, out);
      },
      &PrintAgreement);
}

int AgreementsRevisions(Context& c) {
  auto stub = SlaCatalogService::NewStub(c.Channel());
  v1::ListAgreementRevisionsRequest request;
  request.set_agreement(FullName(c.args()[0], "agreements"));
  std::vector<v1::AgreementRevision> items;
  bool more = false;
  const grpc::Status status =
      c.FetchPages<v1::ListAgreementRevisionsRequest, v1::ListAgreementRevisionsResponse,
                   v1::AgreementRevision>(
          request, Context::Limit{true, 0},
          [&](grpc::ClientContext* ctx, const v1::ListAgreementRevisionsRequest& r,
              v1::ListAgreementRevisionsResponse* out) {
            return stub->ListAgreementRevisions(ctx, r, out);
          },
          [](const v1::ListAgreementRevisionsResponse& r) -> const auto& { return r.revisions(); },
          &items, &more);
  if (!status.ok()) return c.Fail(status);
  return PrintList(c, items, more, &PrintRevisions);
}

int CatalogApply(Context& c) {
  auto catalog = LoadCatalogFile(c.args()[0]);
  if (!catalog.ok()) {
    c.err() << "rapportctl catalog apply: " << catalog.status().message() << "\n";
    return kExitUsage;
  }
  v1::ApplyCatalogRequest request;
  *request.mutable_catalog() = *std::move(catalog);
  request.set_dry_run(c.Has("--dry-run"));
  auto stub = SlaCatalogService::NewStub(c.Channel());
  grpc::ClientContext ctx;
  c.Prepare(&ctx);
  v1::ApplyCatalogResponse response;
  const grpc::Status status = stub->ApplyCatalog(&ctx, request, &response);
  if (!status.ok()) return c.Fail(status);
  if (c.json()) {
    c.PrintJson(response);
  } else {
    PrintCatalogChanges(response, c.out());
  }
  return kExitOk;
}

}  // namespace rapport::cli
