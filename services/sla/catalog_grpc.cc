#include "services/sla/catalog_grpc.h"

#include "services/common/reply.h"

namespace rapport::sla {

CatalogGrpc::Reactor* CatalogGrpc::CreateService(Ctx* c, const v1::CreateServiceRequest* r, v1::Service* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->CreateService(*r, Reply(reactor, o));
  return reactor;
}

CatalogGrpc::Reactor* CatalogGrpc::GetService(Ctx* c, const v1::GetServiceRequest* r, v1::Service* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->GetService(*r), o);
}

CatalogGrpc::Reactor* CatalogGrpc::ListServices(Ctx* c, const v1::ListServicesRequest* r, v1::ListServicesResponse* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->ListServices(*r), o);
}

CatalogGrpc::Reactor* CatalogGrpc::UpdateService(Ctx* c, const v1::UpdateServiceRequest* r, v1::Service* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->UpdateService(*r, Reply(reactor, o));
  return reactor;
}

CatalogGrpc::Reactor* CatalogGrpc::DeleteService(Ctx* c, const v1::DeleteServiceRequest* r, Empty*) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->DeleteService(*r, ReplyEmpty(reactor));
  return reactor;
}

CatalogGrpc::Reactor* CatalogGrpc::CreateCalendar(Ctx* c, const v1::CreateCalendarRequest* r, v1::Calendar* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->CreateCalendar(*r, Reply(reactor, o));
  return reactor;
}

CatalogGrpc::Reactor* CatalogGrpc::GetCalendar(Ctx* c, const v1::GetCalendarRequest* r, v1::Calendar* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->GetCalendar(*r), o);
}

CatalogGrpc::Reactor* CatalogGrpc::ListCalendars(Ctx* c, const v1::ListCalendarsRequest* r, v1::ListCalendarsResponse* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->ListCalendars(*r), o);
}

CatalogGrpc::Reactor* CatalogGrpc::UpdateCalendar(Ctx* c, const v1::UpdateCalendarRequest* r, v1::Calendar* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->UpdateCalendar(*r, Reply(reactor, o));
  return reactor;
}

CatalogGrpc::Reactor* CatalogGrpc::DeleteCalendar(Ctx* c, const v1::DeleteCalendarRequest* r, Empty*) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->DeleteCalendar(*r, ReplyEmpty(reactor));
  return reactor;
}

CatalogGrpc::Reactor* CatalogGrpc::ComputeDueTime(Ctx* c, const v1::ComputeDueTimeRequest* r, v1::ComputeDueTimeResponse* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->ComputeDueTime(*r), o);
}

CatalogGrpc::Reactor* CatalogGrpc::ComputeBusinessDuration(Ctx* c, const v1::ComputeBusinessDurationRequest* r, v1::ComputeBusinessDurationResponse* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->ComputeBusinessDuration(*r), o);
}

CatalogGrpc::Reactor* CatalogGrpc::CreateAgreement(Ctx* c, const v1::CreateAgreementRequest* r, v1::Agreement* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->CreateAgreement(*r, Reply(reactor, o));
  return reactor;
}

CatalogGrpc::Reactor* CatalogGrpc::GetAgreement(Ctx* c, const v1::GetAgreementRequest* r, v1::Agreement* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->GetAgreement(*r), o);
}

CatalogGrpc::Reactor* CatalogGrpc::ListAgreements(Ctx* c, const v1::ListAgreementsRequest* r, v1::ListAgreementsResponse* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->ListAgreements(*r), o);
}

CatalogGrpc::Reactor* CatalogGrpc::UpdateAgreement(Ctx* c, const v1::UpdateAgreementRequest* r, v1::Agreement* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->UpdateAgreement(*r, Reply(reactor, o));
  return reactor;
}

CatalogGrpc::Reactor* CatalogGrpc::DeleteAgreement(Ctx* c, const v1::DeleteAgreementRequest* r, Empty*) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->DeleteAgreement(*r, ReplyEmpty(reactor));
  return reactor;
}

CatalogGrpc::Reactor* CatalogGrpc::ListAgreementRevisions(Ctx* c, const v1::ListAgreementRevisionsRequest* r, v1::ListAgreementRevisionsResponse* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->ListAgreementRevisions(*r), o);
}

CatalogGrpc::Reactor* CatalogGrpc::ResolveAgreements(Ctx* c, const v1::ResolveAgreementsRequest* r, v1::ResolveAgreementsResponse* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->ResolveAgreements(*r), o);
}

CatalogGrpc::Reactor* CatalogGrpc::ApplyCatalog(Ctx* c, const v1::ApplyCatalogRequest* r, v1::ApplyCatalogResponse* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->ApplyCatalog(*r, Reply(reactor, o));
  return reactor;
}

CatalogGrpc::Reactor* CatalogGrpc::RecordTicketEvent(Ctx* c, const v1::RecordTicketEventRequest* r,
                                                     v1::Ticket* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  tickets_->RecordTicketEvent(*r, Reply(reactor, o));
  return reactor;
}

CatalogGrpc::Reactor* CatalogGrpc::GetTicket(Ctx* c, const v1::GetTicketRequest* r, v1::Ticket* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), tickets_->GetTicket(*r), o);
}

CatalogGrpc::Reactor* CatalogGrpc::ListTickets(Ctx* c, const v1::ListTicketsRequest* r,
                                               v1::ListTicketsResponse* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), tickets_->ListTickets(*r), o);
}

CatalogGrpc::Reactor* CatalogGrpc::ReevaluateTickets(Ctx* c, const v1::ReevaluateTicketsRequest* r,
                                                     v1::ReevaluateTicketsResponse* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  tickets_->ReevaluateTickets(*r, Reply(reactor, o));
  return reactor;
}

CatalogGrpc::Reactor* CatalogGrpc::RecordOutage(Ctx* c, const v1::RecordOutageRequest* r, v1::Outage* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  tickets_->RecordOutage(*r, Reply(reactor, o));
  return reactor;
}

CatalogGrpc::Reactor* CatalogGrpc::GetComplianceReport(Ctx* c, const v1::GetComplianceReportRequest* r,
                                                       v1::ComplianceReport* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), tickets_->GetComplianceReport(*r), o);
}

}  // namespace rapport::sla
