// gRPC adapter of rapport.v1.SlaCatalogService over sla::Catalog. Each method:
// call the domain, convert the status (services/common/reply.h).
#pragma once

#include "services/common/call.h"
#include "rapport/v1/sla.grpc.pb.h"
#include "services/sla/catalog.h"
#include "services/sla/tickets.h"

namespace rapport::sla {

class CatalogGrpc final : public v1::SlaCatalogService::CallbackService {
 public:
  // `domain` and `tickets` must outlive the adapter.
  CatalogGrpc(Catalog* domain, Tickets* tickets, const Gate* gate = &OpenGate())
      : domain_(domain), tickets_(tickets), gate_(gate) {}

  using Ctx = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;
  using Empty = google::protobuf::Empty;

  Reactor* CreateService(Ctx* c, const v1::CreateServiceRequest* r, v1::Service* o) override;
  Reactor* GetService(Ctx* c, const v1::GetServiceRequest* r, v1::Service* o) override;
  Reactor* ListServices(Ctx* c, const v1::ListServicesRequest* r, v1::ListServicesResponse* o) override;
  Reactor* UpdateService(Ctx* c, const v1::UpdateServiceRequest* r, v1::Service* o) override;
  Reactor* DeleteService(Ctx* c, const v1::DeleteServiceRequest* r, Empty* o) override;
  Reactor* CreateCalendar(Ctx* c, const v1::CreateCalendarRequest* r, v1::Calendar* o) override;
  Reactor* GetCalendar(Ctx* c, const v1::GetCalendarRequest* r, v1::Calendar* o) override;
  Reactor* ListCalendars(Ctx* c, const v1::ListCalendarsRequest* r, v1::ListCalendarsResponse* o) override;
  Reactor* UpdateCalendar(Ctx* c, const v1::UpdateCalendarRequest* r, v1::Calendar* o) override;
  Reactor* DeleteCalendar(Ctx* c, const v1::DeleteCalendarRequest* r, Empty* o) override;
  Reactor* ComputeDueTime(Ctx* c, const v1::ComputeDueTimeRequest* r, v1::ComputeDueTimeResponse* o) override;
  Reactor* ComputeBusinessDuration(Ctx* c, const v1::ComputeBusinessDurationRequest* r, v1::ComputeBusinessDurationResponse* o) override;
  Reactor* CreateAgreement(Ctx* c, const v1::CreateAgreementRequest* r, v1::Agreement* o) override;
  Reactor* GetAgreement(Ctx* c, const v1::GetAgreementRequest* r, v1::Agreement* o) override;
  Reactor* ListAgreements(Ctx* c, const v1::ListAgreementsRequest* r, v1::ListAgreementsResponse* o) override;
  Reactor* UpdateAgreement(Ctx* c, const v1::UpdateAgreementRequest* r, v1::Agreement* o) override;
  Reactor* DeleteAgreement(Ctx* c, const v1::DeleteAgreementRequest* r, Empty* o) override;
  Reactor* ListAgreementRevisions(Ctx* c, const v1::ListAgreementRevisionsRequest* r, v1::ListAgreementRevisionsResponse* o) override;
  Reactor* ResolveAgreements(Ctx* c, const v1::ResolveAgreementsRequest* r, v1::ResolveAgreementsResponse* o) override;
  Reactor* ApplyCatalog(Ctx* c, const v1::ApplyCatalogRequest* r, v1::ApplyCatalogResponse* o) override;
  Reactor* RecordTicketEvent(Ctx* c, const v1::RecordTicketEventRequest* r, v1::Ticket* o) override;
  Reactor* GetTicket(Ctx* c, const v1::GetTicketRequest* r, v1::Ticket* o) override;
  Reactor* ListTickets(Ctx* c, const v1::ListTicketsRequest* r, v1::ListTicketsResponse* o) override;
  Reactor* ReevaluateTickets(Ctx* c, const v1::ReevaluateTicketsRequest* r,
                             v1::ReevaluateTicketsResponse* o) override;
  Reactor* RecordOutage(Ctx* c, const v1::RecordOutageRequest* r, v1::Outage* o) override;
  Reactor* GetComplianceReport(Ctx* c, const v1::GetComplianceReportRequest* r,
                               v1::ComplianceReport* o) override;

 private:
  Catalog* const domain_;
  Tickets* const tickets_;
  const Gate* const gate_;
  static constexpr const char* kService = "rapport.v1.SlaCatalogService";
};

}  // namespace rapport::sla
