// The escalation workflow as rapportd wires it (RapportServer in-process, a
// fake clock, a temporary store): a policy's waits count in the business
// hours of a calendar of the SLA catalog.
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "rapport/v1/escalations.grpc.pb.h"
#include "rapport/v1/relationships.grpc.pb.h"
#include "rapport/v1/sla.grpc.pb.h"
#include "server/server.h"
#include "services/common/proto_time.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

const absl::TimeZone& Berlin() {
  static const absl::TimeZone* const zone = [] {
    auto* z = new absl::TimeZone;
    absl::LoadTimeZone("Europe/Berlin", z);
    return z;
  }();
  return *zone;
}

// Friday 20 November 2026, 16:55 in Berlin.
const absl::Time kFriday1655 = absl::FromCivil(absl::CivilSecond(2026, 11, 20, 16, 55, 0), Berlin());

class EscalationsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.metrics_listen = "";
    config.data_dir = dir_.Sub("data");
    config.clock = &clock_;
    ASSERT_OK_AND_ASSIGN(server_, RapportServer::Start(config));
    auto channel = server_->InProcessChannel();
    escalations_ = v1::EscalationService::NewStub(channel);
    catalog_ = v1::SlaCatalogService::NewStub(channel);
    relationships_ = v1::RelationshipService::NewStub(channel);

    grpc::ClientContext ctx;
    v1::CreateCalendarRequest calendar;
    calendar.set_calendar_id("berlin-office");
    calendar.mutable_calendar()->set_display_name("Berlin office");
    calendar.mutable_calendar()->set_time_zone("Europe/Berlin");
    for (auto day : {v1::MONDAY, v1::TUESDAY, v1::WEDNESDAY, v1::THURSDAY, v1::FRIDAY}) {
      auto* hours = calendar.mutable_calendar()->add_working_hours();
      hours->set_day(day);
      hours->set_start("09:00");
      hours->set_end("17:00");
    }
    v1::Calendar created;
    ASSERT_OK(catalog_->CreateCalendar(&ctx, calendar, &created));

    grpc::ClientContext rctx;
    v1::CreateRelationshipRequest relationship;
    relationship.set_relationship_id("acme");
    relationship.mutable_relationship()->set_display_name("Acme");
    relationship.mutable_relationship()->set_kind(v1::Relationship::EXTERNAL_CUSTOMER);
    v1::Relationship r;
    ASSERT_OK(relationships_->CreateRelationship(&rctx, relationship, &r));
  }

  grpc::Status CreatePolicy(const std::string& calendar, v1::EscalationPolicy* out) {
    grpc::ClientContext ctx;
    v1::CreateEscalationPolicyRequest request;
    request.set_policy_id("office");
    auto* p = request.mutable_policy();
    p->set_display_name("Office hours");
    p->set_calendar(calendar);
    auto* level = p->add_levels();
    level->set_name("desk");
    level->add_targets("team:desk");
    *level->mutable_ack_wait() = ToProtoDuration(absl::Minutes(10));
    return escalations_->CreateEscalationPolicy(&ctx, request, out);
  }

  testing::TempDir dir_;
  FakeClock clock_{kFriday1655};
  std::unique_ptr<RapportServer> server_;
  std::unique_ptr<v1::EscalationService::Stub> escalations_;
  std::unique_ptr<v1::SlaCatalogService::Stub> catalog_;
  std::unique_ptr<v1::RelationshipService::Stub> relationships_;
};

TEST_F(EscalationsServerTest, WaitsCountInTheBusinessHoursOfTheCatalogsCalendar) {
  v1::EscalationPolicy policy;
  const grpc::Status unknown = CreatePolicy("calendars/nowhere", &policy);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(unknown.error_message(), ::testing::HasSubstr("policy.calendar"));
  ASSERT_OK(CreatePolicy("calendars/berlin-office", &policy));

  grpc::ClientContext ctx;
  v1::CreateEscalationRequest request;
  request.set_escalation_id("payroll");
  auto* e = request.mutable_escalation();
  e->set_relationship("relationships/acme");
  e->set_title("Payroll run late");
  e->set_severity(v1::SEV2);
  e->set_policy("escalation_policies/office");
  v1::Escalation created;
  ASSERT_OK(escalations_->CreateEscalation(&ctx, request, &created));
  // Five of the ten minutes on Friday, five on Monday from 09:00.
  EXPECT_EQ(FromProtoTime(created.next_escalation_time()),
            absl::FromCivil(absl::CivilSecond(2026, 11, 23, 9, 5, 0), Berlin()));

  // Held on Saturday, nothing of the wait has run since Friday 17:00.
  clock_.Set(kFriday1655 + absl::Hours(20));
  grpc::ClientContext hctx;
  v1::HoldEscalationRequest hold;
  hold.set_name("escalations/payroll");
  hold.set_reason("waiting for the bank");
  v1::Escalation held;
  ASSERT_OK(escalations_->HoldEscalation(&hctx, hold, &held));
  EXPECT_EQ(FromProtoDuration(held.held_remaining()), absl::Minutes(5));
}

}  // namespace
}  // namespace rapport
