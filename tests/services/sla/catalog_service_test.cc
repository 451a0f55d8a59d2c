// rapport.v1.SlaCatalogService through a real gRPC server in-process.
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "rapport/v1/relationships.grpc.pb.h"
#include "rapport/v1/sla.grpc.pb.h"
#include "server/server.h"
#include "services/common/proto_time.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

using ::grpc::StatusCode;
using ::rapport::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Tuesday 2026-11-24 12:00 UTC (13:00 in Berlin).
const absl::Time kT0 = absl::FromUnixSeconds(1795521600);

class CatalogServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.metrics_listen = "";
    config.data_dir = dir_.Sub("data");
    config.clock = &clock_;
    auto server = RapportServer::Start(config);
    ASSERT_OK(server.status());
    server_ = std::move(server).value();
    stub_ = v1::SlaCatalogService::NewStub(server_->InProcessChannel());
    relationships_ = v1::RelationshipService::NewStub(server_->InProcessChannel());
  }

  grpc::Status CreateService(const std::string& id, v1::Service* out = nullptr) {
    grpc::ClientContext ctx;
    v1::CreateServiceRequest request;
    request.set_service_id(id);
    request.mutable_service()->set_display_name("Service " + id);
    v1::Service service;
    return stub_->CreateService(&ctx, request, out != nullptr ? out : &service);
  }

  static v1::Calendar OfficeHours() {
    v1::Calendar c;
    c.set_display_name("Berlin office");
    c.set_time_zone("Europe/Berlin");
    for (auto day : {v1::MONDAY, v1::TUESDAY, v1::WEDNESDAY, v1::THURSDAY, v1::FRIDAY}) {
      auto* w = c.add_working_hours();
      w->set_day(day);
      w->set_start("09:00");
      w->set_end("17:00");
    }
    return c;
  }

  grpc::Status CreateCalendar(const std::string& id, const v1::Calendar& calendar,
                              v1::Calendar* out = nullptr) {
    grpc::ClientContext ctx;
    v1::CreateCalendarRequest request;
    request.set_calendar_id(id);
    *request.mutable_calendar() = calendar;
    v1::Calendar c;
    return stub_->CreateCalendar(&ctx, request, out != nullptr ? out : &c);
  }

  static v1::Agreement Sla(const std::string& service, const std::string& relationship) {
    v1::Agreement a;
    a.set_display_name("SLA");
    a.set_type(v1::Agreement::SLA);
    a.set_service("services/" + service);
    if (!relationship.empty()) a.set_relationship("relationships/" + relationship);
    *a.mutable_effective_from() = ToProtoTime(kT0 - absl::Hours(24 * 30));
    a.set_calendar("calendars/office");
    for (auto [p, response, resolution] :
         {std::tuple{v1::P1, 1, 4}, std::tuple{v1::P2, 2, 8}, std::tuple{v1::P3, 4, 24}}) {
      auto* t = a.add_targets();
      t->set_priority(p);
      *t->mutable_first_response() = ToProtoDuration(absl::Hours(response));
      *t->mutable_resolution() = ToProtoDuration(absl::Hours(resolution));
    }
    return a;
  }

  grpc::Status CreateAgreement(const std::string& id, const v1::Agreement& a,
                               v1::Agreement* out = nullptr) {
    grpc::ClientContext ctx;
    v1::CreateAgreementRequest request;
    request.set_agreement_id(id);
    *request.mutable_agreement() = a;
    v1::Agreement created;
    return stub_->CreateAgreement(&ctx, request, out != nullptr ? out : &created);
  }

  grpc::Status UpdateAgreement(const v1::Agreement& a, std::vector<std::string> paths,
                               v1::Agreement* out) {
    grpc::ClientContext ctx;
    v1::UpdateAgreementRequest request;
    *request.mutable_agreement() = a;
    for (auto& p : paths) request.mutable_update_mask()->add_paths(p);
    return stub_->UpdateAgreement(&ctx, request, out);
  }

  std::vector<v1::AgreementRevision> Revisions(const std::string& id) {
    grpc::ClientContext ctx;
    v1::ListAgreementRevisionsRequest request;
    request.set_agreement("agreements/" + id);
    v1::ListAgreementRevisionsResponse response;
    EXPECT_OK(stub_->ListAgreementRevisions(&ctx, request, &response));
    return {response.revisions().begin(), response.revisions().end()};
  }

  v1::ResolveAgreementsResponse Resolve(const std::string& relationship, const std::string& service,
                                        v1::Priority priority, absl::Time at) {
    grpc::ClientContext ctx;
    v1::ResolveAgreementsRequest request;
    if (!relationship.empty()) request.set_relationship("relationships/" + relationship);
    request.set_service("services/" + service);
    request.set_priority(priority);
    *request.mutable_at_time() = ToProtoTime(at);
    v1::ResolveAgreementsResponse response;
    EXPECT_OK(stub_->ResolveAgreements(&ctx, request, &response));
    return response;
  }

  void CreateRelationship(const std::string& id) {
    grpc::ClientContext ctx;
    v1::CreateRelationshipRequest request;
    request.set_relationship_id(id);
    request.mutable_relationship()->set_display_name(id);
    request.mutable_relationship()->set_kind(v1::Relationship::EXTERNAL_CUSTOMER);
    v1::Relationship r;
    ASSERT_OK(relationships_->CreateRelationship(&ctx, request, &r));
  }

  testing::TempDir dir_;
  FakeClock clock_{kT0};
  std::unique_ptr<RapportServer> server_;
  std::unique_ptr<v1::SlaCatalogService::Stub> stub_;
  std::unique_ptr<v1::RelationshipService::Stub> relationships_;
};

TEST_F(CatalogServiceTest, ServicesCrudAndDeleteRefusedWhileReferenced) {
  v1::Service s;
  ASSERT_OK(CreateService("email", &s));
  EXPECT_EQ(s.lifecycle(), v1::Service::LIVE);
  EXPECT_EQ(s.criticality(), v1::Service::MEDIUM);
  EXPECT_THAT(CreateService("email"), StatusIs(StatusCode::ALREADY_EXISTS));
  {
    grpc::ClientContext ctx;
    v1::CreateServiceRequest bad;
    EXPECT_THAT(stub_->CreateService(&ctx, bad, &s),
                StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("service.display_name")));
  }
  {
    grpc::ClientContext ctx;
    v1::UpdateServiceRequest update;
    update.mutable_service()->set_name("services/email");
    update.mutable_service()->set_lifecycle(v1::Service::RETIRED);
    update.mutable_update_mask()->add_paths("lifecycle");
    ASSERT_OK(stub_->UpdateService(&ctx, update, &s));
    EXPECT_EQ(s.lifecycle(), v1::Service::RETIRED);
    EXPECT_EQ(s.etag(), "2");
  }
  {
    grpc::ClientContext ctx;
    v1::ListServicesRequest list;
    list.set_lifecycle(v1::Service::RETIRED);
    v1::ListServicesResponse listed;
    ASSERT_OK(stub_->ListServices(&ctx, list, &listed));
    ASSERT_EQ(listed.services_size(), 1);
  }
  ASSERT_OK(CreateCalendar("office", OfficeHours()));
  ASSERT_OK(CreateAgreement("gold", Sla("email", "")));
  grpc::ClientContext ctx;
  v1::DeleteServiceRequest del;
  del.set_name("services/email");
  google::protobuf::Empty empty;
  EXPECT_THAT(stub_->DeleteService(&ctx, del, &empty),
              StatusIs(StatusCode::FAILED_PRECONDITION, HasSubstr("agreements/gold")));
  grpc::ClientContext ctx2;
  v1::DeleteAgreementRequest del_agreement;
  del_agreement.set_name("agreements/gold");
  ASSERT_OK(stub_->DeleteAgreement(&ctx2, del_agreement, &empty));
  grpc::ClientContext ctx3;
  EXPECT_OK(stub_->DeleteService(&ctx3, del, &empty));
}

TEST_F(CatalogServiceTest, CalendarValidationNamesTheField) {
  v1::Calendar bad_zone = OfficeHours();
  bad_zone.set_time_zone("Mars/Olympus");
  EXPECT_THAT(CreateCalendar("c", bad_zone),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("calendar.time_zone")));
  v1::Calendar overlap = OfficeHours();
  auto* w = overlap.add_working_hours();
  w->set_day(v1::MONDAY);
  w->set_start("16:00");
  w->set_end("18:00");
  EXPECT_THAT(CreateCalendar("c", overlap),
              StatusIs(StatusCode::INVALID_ARGUMENT,
                       HasSubstr("calendar.working_hours[5] overlaps calendar.working_hours[0]")));
  v1::Calendar inverted = OfficeHours();
  inverted.mutable_working_hours(1)->set_end("08:00");
  EXPECT_THAT(CreateCalendar("c", inverted),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("calendar.working_hours[1]")));
  v1::Calendar bad_time = OfficeHours();
  bad_time.mutable_working_hours(2)->set_start("9am");
  EXPECT_THAT(CreateCalendar("c", bad_time),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("calendar.working_hours[2].start")));
  v1::Calendar bad_holiday = OfficeHours();
  auto* h = bad_holiday.add_holidays();
  h->set_month(2);
  h->set_day(30);
  EXPECT_THAT(CreateCalendar("c", bad_holiday),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("calendar.holidays[0]")));
  // Midnight end and a night shift split at midnight are fine.
  v1::Calendar night;
  night.set_display_name("Night");
  night.set_time_zone("America/New_York");
  auto* late = night.add_working_hours();
  late->set_day(v1::MONDAY);
  late->set_start("22:00");
  late->set_end("24:00");
  auto* early = night.add_working_hours();
  early->set_day(v1::TUESDAY);
  early->set_start("00:00");
  early->set_end("06:00");
  EXPECT_OK(CreateCalendar("night", night));
  grpc::ClientContext ctx;
  v1::ListCalendarsResponse listed;
  ASSERT_OK(stub_->ListCalendars(&ctx, v1::ListCalendarsRequest(), &listed));
  ASSERT_EQ(listed.calendars_size(), 1);
}

TEST_F(CatalogServiceTest, DueTimeAndBusinessDurationInTheCalendar) {
  v1::Calendar c = OfficeHours();
  auto* holiday = c.add_holidays();
  holiday->set_month(11);
  holiday->set_day(25);  // Wednesday 2026-11-25, every year.
  holiday->set_name("Company day");
  ASSERT_OK(CreateCalendar("office", c));
  grpc::ClientContext ctx;
  v1::ComputeDueTimeRequest due;
  due.set_calendar("calendars/office");
  *due.mutable_start_time() = ToProtoTime(kT0);  // Tue 13:00 Berlin.
  *due.mutable_business_duration() = ToProtoDuration(absl::Hours(8));
  v1::ComputeDueTimeResponse due_response;
  ASSERT_OK(stub_->ComputeDueTime(&ctx, due, &due_response));
  // 4 h on Tuesday, Wednesday is a holiday, 4 h on Thursday: Thu 13:00 Berlin = 12:00 UTC.
  EXPECT_EQ(FromProtoTime(due_response.due_time()), kT0 + absl::Hours(48));

  grpc::ClientContext ctx2;
  v1::ComputeBusinessDurationRequest between;
  between.set_calendar("calendars/office");
  *between.mutable_start_time() = ToProtoTime(kT0);
  *between.mutable_end_time() = ToProtoTime(kT0 + absl::Hours(48));
  v1::ComputeBusinessDurationResponse duration;
  ASSERT_OK(stub_->ComputeBusinessDuration(&ctx2, between, &duration));
  EXPECT_EQ(FromProtoDuration(duration.business_duration()), absl::Hours(8));

  grpc::ClientContext ctx3;
  *between.mutable_end_time() = ToProtoTime(kT0 - absl::Hours(1));
  EXPECT_THAT(stub_->ComputeBusinessDuration(&ctx3, between, &duration),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("end_time")));
  grpc::ClientContext ctx4;
  due.set_calendar("calendars/missing");
  EXPECT_THAT(stub_->ComputeDueTime(&ctx4, due, &due_response), StatusIs(StatusCode::NOT_FOUND));
}

TEST_F(CatalogServiceTest, AgreementValidationNamesTheFieldAndWritesNothing) {
  ASSERT_OK(CreateService("email"));
  ASSERT_OK(CreateCalendar("office", OfficeHours()));
  auto expect_invalid = [&](v1::Agreement a, const std::string& field) {
    EXPECT_THAT(CreateAgreement("x", a), StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr(field)));
  };
  v1::Agreement a = Sla("email", "");
  a.mutable_targets(0)->mutable_resolution()->set_seconds(60);
  expect_invalid(a, "agreement.targets[0].resolution must not be shorter");
  a = Sla("email", "");
  a.mutable_targets(1)->mutable_first_response()->set_seconds(0);
  expect_invalid(a, "agreement.targets[1].first_response must be positive");
  a = Sla("email", "");
  a.mutable_targets(2)->set_priority(v1::P1);
  expect_invalid(a, "agreement.targets[2].priority P1");
  a = Sla("email", "");
  a.add_warning_thresholds(100);
  expect_invalid(a, "agreement.warning_thresholds[0]");
  a = Sla("email", "");
  a.set_availability_target(100);
  expect_invalid(a, "agreement.availability_target");
  a = Sla("email", "");
  *a.mutable_effective_to() = ToProtoTime(kT0 - absl::Hours(24 * 60));
  expect_invalid(a, "agreement.effective_to");
  a = Sla("email", "");
  a.mutable_on_breach()->set_open_escalation(true);
  expect_invalid(a, "agreement.on_breach.severity");
  a = Sla("email", "");
  a.set_type(v1::Agreement::OLA);
  expect_invalid(a, "agreement.provider");
  EXPECT_THAT(CreateAgreement("x", Sla("nothing", "")),
              StatusIs(StatusCode::NOT_FOUND, HasSubstr("agreement.service services/nothing")));
  a = Sla("email", "");
  a.set_calendar("calendars/none");
  EXPECT_THAT(CreateAgreement("x", a), StatusIs(StatusCode::NOT_FOUND, HasSubstr("agreement.calendar")));
  EXPECT_THAT(CreateAgreement("x", Sla("email", "ghost")),
              StatusIs(StatusCode::NOT_FOUND, HasSubstr("agreement.relationship relationships/ghost")));
  grpc::ClientContext ctx;
  v1::ListAgreementsResponse listed;
  ASSERT_OK(stub_->ListAgreements(&ctx, v1::ListAgreementsRequest(), &listed));
  EXPECT_EQ(listed.agreements_size(), 0);
}

TEST_F(CatalogServiceTest, ChangesToMeasuredFieldsCreateRevisionsAndHistoryStays) {
  ASSERT_OK(CreateService("email"));
  ASSERT_OK(CreateCalendar("office", OfficeHours()));
  v1::Agreement a;
  ASSERT_OK(CreateAgreement("gold", Sla("email", ""), &a));
  EXPECT_EQ(a.revision(), 1);
  EXPECT_THAT(a.warning_thresholds(), ElementsAre(75));
  EXPECT_EQ(a.state(), v1::Agreement::EFFECTIVE);

  // A name change is not a revision.
  clock_.Advance(absl::Hours(1));
  v1::Agreement rename;
  rename.set_name("agreements/gold");
  rename.set_display_name("Gold SLA");
  ASSERT_OK(UpdateAgreement(rename, {"display_name"}, &a));
  EXPECT_EQ(a.revision(), 1);
  EXPECT_EQ(a.display_name(), "Gold SLA");

  // New thresholds are.
  clock_.Advance(absl::Hours(1));
  v1::Agreement thresholds;
  thresholds.set_name("agreements/gold");
  thresholds.add_warning_thresholds(90);
  thresholds.add_warning_thresholds(50);
  ASSERT_OK(UpdateAgreement(thresholds, {"warning_thresholds"}, &a));
  EXPECT_EQ(a.revision(), 2);
  EXPECT_THAT(a.warning_thresholds(), ElementsAre(50, 90));

  // So is a change of the calendar's hours (through the calendar).
  clock_.Advance(absl::Hours(1));
  grpc::ClientContext ctx;
  v1::UpdateCalendarRequest hours;
  *hours.mutable_calendar() = OfficeHours();
  hours.mutable_calendar()->set_name("calendars/office");
  hours.mutable_calendar()->mutable_working_hours(0)->set_start("08:00");
  hours.mutable_update_mask()->add_paths("working_hours");
  v1::Calendar updated_calendar;
  ASSERT_OK(stub_->UpdateCalendar(&ctx, hours, &updated_calendar));

  auto revisions = Revisions("gold");
  ASSERT_EQ(revisions.size(), 3u);
  EXPECT_EQ(revisions[0].snapshot().warning_thresholds(0), 75);
  EXPECT_EQ(revisions[0].calendar().working_hours(0).start(), "09:00");
  EXPECT_THAT(revisions[1].reason(), HasSubstr("warning_thresholds"));
  EXPECT_THAT(revisions[2].reason(), HasSubstr("calendar hours"));
  EXPECT_EQ(revisions[2].calendar().working_hours(0).start(), "08:00");
  EXPECT_EQ(FromProtoTime(revisions[2].create_time()), kT0 + absl::Hours(3));

  // The revision in force at a time is what tickets opened then are measured under.
  EXPECT_EQ(Resolve("", "email", v1::P1, kT0 + absl::Minutes(30)).agreements(0).revision().revision(), 1);
  EXPECT_EQ(Resolve("", "email", v1::P1, kT0 + absl::Minutes(150)).agreements(0).revision().revision(), 2);
  EXPECT_EQ(Resolve("", "email", v1::P1, kT0 + absl::Hours(5)).agreements(0).revision().revision(), 3);

  // Deleting keeps the revisions readable.
  grpc::ClientContext del_ctx;
  v1::DeleteAgreementRequest del;
  del.set_name("agreements/gold");
  google::protobuf::Empty empty;
  ASSERT_OK(stub_->DeleteAgreement(&del_ctx, del, &empty));
  EXPECT_EQ(Revisions("gold").size(), 3u);
  grpc::ClientContext get_ctx;
  v1::GetAgreementRequest get;
  get.set_name("agreements/gold");
  EXPECT_THAT(stub_->GetAgreement(&get_ctx, get, &a), StatusIs(StatusCode::NOT_FOUND));
  EXPECT_THAT(CreateAgreement("gold", Sla("email", "")), StatusIs(StatusCode::ALREADY_EXISTS));
}

TEST_F(CatalogServiceTest, ResolveSelectsOwnSlaElseDefaultPlusOlasAndUcs) {
  ASSERT_OK(CreateService("email"));
  ASSERT_OK(CreateService("crm"));
  ASSERT_OK(CreateCalendar("office", OfficeHours()));
  CreateRelationship("acme");
  CreateRelationship("globex");
  ASSERT_OK(CreateAgreement("default", Sla("email", "")));
  v1::Agreement acme = Sla("email", "acme");
  acme.mutable_targets(0)->mutable_first_response()->set_seconds(1800);
  ASSERT_OK(CreateAgreement("acme-email", acme));
  v1::Agreement ola = Sla("email", "");
  ola.set_type(v1::Agreement::OLA);
  ola.set_provider("mail-team");
  ASSERT_OK(CreateAgreement("ola-mail", ola));
  v1::Agreement uc = Sla("email", "");
  uc.set_type(v1::Agreement::UNDERPINNING_CONTRACT);
  uc.set_provider("MailCo");
  *uc.mutable_effective_from() = ToProtoTime(kT0 + absl::Hours(24));  // Not yet.
  ASSERT_OK(CreateAgreement("uc-mailco", uc));
  ASSERT_OK(CreateAgreement("crm-default", Sla("crm", "")));

  auto names = [](const v1::ResolveAgreementsResponse& r) {
    std::vector<std::string> out;
    for (const auto& a : r.agreements()) out.push_back(a.revision().agreement());
    return out;
  };
  auto acme_now = Resolve("acme", "email", v1::P1, kT0);
  EXPECT_THAT(names(acme_now), ElementsAre("agreements/acme-email", "agreements/ola-mail"));
  EXPECT_EQ(acme_now.agreements(0).target().first_response().seconds(), 1800);
  EXPECT_THAT(names(Resolve("globex", "email", v1::P1, kT0)),
              ElementsAre("agreements/default", "agreements/ola-mail"));
  EXPECT_THAT(names(Resolve("", "email", v1::P2, kT0 + absl::Hours(48))),
              ElementsAre("agreements/default", "agreements/ola-mail", "agreements/uc-mailco"));
  // No P4 target: the agreement applies without a target for it.
  auto p4 = Resolve("", "crm", v1::P4, kT0);
  ASSERT_EQ(p4.agreements_size(), 1);
  EXPECT_FALSE(p4.agreements(0).has_target());

  grpc::ClientContext ctx;
  v1::ResolveAgreementsRequest bad;
  bad.set_service("services/email");
  v1::ResolveAgreementsResponse response;
  EXPECT_THAT(stub_->ResolveAgreements(&ctx, bad, &response),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("priority")));

  // Filters of ListAgreements.
  grpc::ClientContext list_ctx;
  v1::ListAgreementsRequest list;
  list.set_service("services/email");
  list.set_state(v1::Agreement::SCHEDULED);
  v1::ListAgreementsResponse listed;
  ASSERT_OK(stub_->ListAgreements(&list_ctx, list, &listed));
  ASSERT_EQ(listed.agreements_size(), 1);
  EXPECT_EQ(listed.agreements(0).name(), "agreements/uc-mailco");
}

// ResolveAgreements keeps what it read of a service between catalog
// writes: every write is seen by the next resolution.
TEST_F(CatalogServiceTest, ResolveSeesEachCatalogWriteAtOnce) {
  ASSERT_OK(CreateService("email"));
  ASSERT_OK(CreateCalendar("office", OfficeHours()));
  CreateRelationship("acme");
  ASSERT_OK(CreateAgreement("default", Sla("email", "")));
  auto first = [](const v1::ResolveAgreementsResponse& r) {
    return r.agreements_size() == 0 ? std::string() : r.agreements(0).revision().agreement();
  };
  auto resolved = Resolve("acme", "email", v1::P1, kT0 + absl::Hours(1));
  EXPECT_EQ(first(resolved), "agreements/default");
  const int64_t response = resolved.agreements(0).target().first_response().seconds();

  // A new revision.
  clock_.Advance(absl::Minutes(1));
  v1::Agreement change;
  change.set_name("agreements/default");
  *change.mutable_targets() = resolved.agreements(0).revision().snapshot().targets();
  change.mutable_targets(0)->mutable_first_response()->set_seconds(response * 2);
  v1::Agreement updated;
  ASSERT_OK(UpdateAgreement(change, {"targets"}, &updated));
  resolved = Resolve("acme", "email", v1::P1, clock_.Now() + absl::Hours(1));
  EXPECT_EQ(resolved.agreements(0).revision().revision(), 2);
  EXPECT_EQ(resolved.agreements(0).target().first_response().seconds(), response * 2);

  // The relationship's own SLA wins over the default once it exists.
  ASSERT_OK(CreateAgreement("acme-email", Sla("email", "acme")));
  EXPECT_EQ(first(Resolve("acme", "email", v1::P1, clock_.Now() + absl::Hours(1))),
            "agreements/acme-email");

  // And the default is back once it is gone.
  grpc::ClientContext ctx;
  v1::DeleteAgreementRequest remove;
  remove.set_name("agreements/acme-email");
  google::protobuf::Empty empty;
  ASSERT_OK(stub_->DeleteAgreement(&ctx, remove, &empty));
  EXPECT_EQ(first(Resolve("acme", "email", v1::P1, clock_.Now() + absl::Hours(1))),
            "agreements/default");
}

TEST_F(CatalogServiceTest, ApplyCatalogValidatesAllThenWritesAtomically) {
  v1::ApplyCatalogRequest request;
  auto* catalog = request.mutable_catalog();
  auto* service = catalog->add_services();
  service->set_name("services/email");
  service->set_display_name("E-mail");
  auto* calendar = catalog->add_calendars();
  *calendar = OfficeHours();
  calendar->set_name("calendars/office");
  auto* agreement = catalog->add_agreements();
  *agreement = Sla("email", "");
  agreement->set_name("agreements/gold");

  // Dry run: reports creates, writes nothing.
  request.set_dry_run(true);
  {
    grpc::ClientContext ctx;
    v1::ApplyCatalogResponse response;
    ASSERT_OK(stub_->ApplyCatalog(&ctx, request, &response));
    ASSERT_EQ(response.changes_size(), 3);
    for (const auto& c : response.changes()) EXPECT_EQ(c.action(), v1::CatalogChange::CREATE);
    grpc::ClientContext get_ctx;
    v1::GetServiceRequest get;
    get.set_name("services/email");
    v1::Service s;
    EXPECT_THAT(stub_->GetService(&get_ctx, get, &s), StatusIs(StatusCode::NOT_FOUND));
  }
  // A bad agreement fails the whole catalog.
  request.set_dry_run(false);
  agreement->mutable_targets(0)->mutable_resolution()->set_seconds(1);
  {
    grpc::ClientContext ctx;
    v1::ApplyCatalogResponse response;
    EXPECT_THAT(stub_->ApplyCatalog(&ctx, request, &response),
                StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("agreements/gold: agreement.targets[0]")));
    grpc::ClientContext get_ctx;
    v1::GetServiceRequest get;
    get.set_name("services/email");
    v1::Service s;
    EXPECT_THAT(stub_->GetService(&get_ctx, get, &s), StatusIs(StatusCode::NOT_FOUND));
  }
  *agreement = Sla("email", "");
  agreement->set_name("agreements/gold");
  {
    grpc::ClientContext ctx;
    v1::ApplyCatalogResponse response;
    ASSERT_OK(stub_->ApplyCatalog(&ctx, request, &response));
    EXPECT_FALSE(response.dry_run());
  }
  // Applying the same again changes nothing; a changed target is an update
  // with a new revision.
  {
    grpc::ClientContext ctx;
    v1::ApplyCatalogResponse response;
    ASSERT_OK(stub_->ApplyCatalog(&ctx, request, &response));
    for (const auto& c : response.changes()) EXPECT_EQ(c.action(), v1::CatalogChange::UNCHANGED) << c.name();
  }
  agreement->mutable_targets(0)->mutable_resolution()->set_seconds(5 * 3600);
  calendar->set_display_name("Berlin office hours");
  {
    grpc::ClientContext ctx;
    v1::ApplyCatalogResponse response;
    ASSERT_OK(stub_->ApplyCatalog(&ctx, request, &response));
    EXPECT_EQ(response.changes(0).action(), v1::CatalogChange::UNCHANGED);
    EXPECT_EQ(response.changes(1).action(), v1::CatalogChange::UPDATE);
    EXPECT_THAT(response.changes(1).changed_fields(), ElementsAre("display_name"));
    EXPECT_EQ(response.changes(2).action(), v1::CatalogChange::UPDATE);
    EXPECT_THAT(response.changes(2).changed_fields(), ElementsAre("targets"));
  }
  EXPECT_EQ(Revisions("gold").size(), 2u);
}

TEST_F(CatalogServiceTest, RelationshipConsumedServicesAreCheckedAgainstTheCatalog) {
  ASSERT_OK(CreateService("email"));
  ASSERT_OK(CreateService("crm"));
  ASSERT_OK(CreateCalendar("office", OfficeHours()));
  ASSERT_OK(CreateAgreement("gold", Sla("email", "")));
  auto create = [&](const std::string& service, const std::string& agreement) {
    grpc::ClientContext ctx;
    v1::CreateRelationshipRequest request;
    request.mutable_relationship()->set_display_name("Acme");
    request.mutable_relationship()->set_kind(v1::Relationship::EXTERNAL_CUSTOMER);
    auto* consumed = request.mutable_relationship()->add_consumed_services();
    consumed->set_service(service);
    consumed->set_agreement(agreement);
    v1::Relationship r;
    return relationships_->CreateRelationship(&ctx, request, &r);
  };
  EXPECT_OK(create("services/email", "agreements/gold"));
  EXPECT_THAT(create("services/fax", ""),
              StatusIs(StatusCode::NOT_FOUND, HasSubstr("relationship.consumed_services[0].service")));
  EXPECT_THAT(create("services/email", "agreements/none"),
              StatusIs(StatusCode::NOT_FOUND, HasSubstr("consumed_services[0].agreement")));
  EXPECT_THAT(create("services/crm", "agreements/gold"),
              StatusIs(StatusCode::INVALID_ARGUMENT, HasSubstr("is for services/email")));
}

TEST_F(CatalogServiceTest, CalendarGetUpdateAndDeleteRefusedWhileUsed) {
  ASSERT_OK(CreateService("email"));
  v1::Calendar created;
  ASSERT_OK(CreateCalendar("office", OfficeHours(), &created));
  grpc::ClientContext get_ctx;
  v1::GetCalendarRequest get;
  get.set_name("calendars/office");
  v1::Calendar read;
  ASSERT_OK(stub_->GetCalendar(&get_ctx, get, &read));
  EXPECT_EQ(read.SerializeAsString(), created.SerializeAsString());
  ASSERT_OK(CreateAgreement("gold", Sla("email", "")));
  google::protobuf::Empty empty;
  grpc::ClientContext del_ctx;
  v1::DeleteCalendarRequest del;
  del.set_name("calendars/office");
  EXPECT_THAT(stub_->DeleteCalendar(&del_ctx, del, &empty),
              StatusIs(StatusCode::FAILED_PRECONDITION, HasSubstr("agreements/gold")));
  // A stale etag is refused; an update with the current one works.
  grpc::ClientContext up_ctx;
  v1::UpdateCalendarRequest update;
  update.mutable_calendar()->set_name("calendars/office");
  update.mutable_calendar()->set_display_name("Renamed");
  update.mutable_calendar()->set_etag("7");
  update.mutable_update_mask()->add_paths("display_name");
  EXPECT_THAT(stub_->UpdateCalendar(&up_ctx, update, &read), StatusIs(StatusCode::ABORTED));
  grpc::ClientContext up_ctx2;
  update.mutable_calendar()->set_etag(created.etag());
  ASSERT_OK(stub_->UpdateCalendar(&up_ctx2, update, &read));
  EXPECT_EQ(read.display_name(), "Renamed");
  // A name change is not a new agreement revision.
  EXPECT_EQ(Revisions("gold").size(), 1u);
  grpc::ClientContext del_agreement_ctx;
  v1::DeleteAgreementRequest del_agreement;
  del_agreement.set_name("agreements/gold");
  ASSERT_OK(stub_->DeleteAgreement(&del_agreement_ctx, del_agreement, &empty));
  grpc::ClientContext del_ctx2;
  EXPECT_OK(stub_->DeleteCalendar(&del_ctx2, del, &empty));
  grpc::ClientContext get_ctx2;
  EXPECT_THAT(stub_->GetCalendar(&get_ctx2, get, &read), StatusIs(StatusCode::NOT_FOUND));
}

}  // namespace
}  // namespace rapport
