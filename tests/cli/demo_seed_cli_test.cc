// rapportctl demo seed against the real rapportd: the figures it reports
// are the server's, through the API; the same seed gives the same data; a
// server with data is refused; the trend then has points to draw.
#include <set>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "rapport/v1/satisfaction.grpc.pb.h"
#include "tests/cli/cli_fixture.h"

namespace rapport {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;

// Every page of a List call.
template <typename Request, typename Response, typename Item>
std::vector<Item> All(
    Request request,
    const std::function<grpc::Status(grpc::ClientContext*, const Request&, Response*)>& call,
    const std::function<const google::protobuf::RepeatedPtrField<Item>&(const Response&)>& items) {
  std::vector<Item> all;
  request.set_page_size(1000);
  while (true) {
    Response response;
    auto ctx = Ctx();
    EXPECT_OK(call(ctx.get(), request, &response));
    for (const auto& item : items(response)) all.push_back(item);
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  return all;
}

class DemoSeedCliTest : public CliTest {
 protected:
  // Runs `demo seed -o json` with `seed`; the figures it printed.
  google::protobuf::Struct Seed(const std::string& seed, const std::string& address) {
    std::ostringstream out, err;
    EXPECT_EQ(cli::RunCli({"-o", "json", "demo", "seed", "--seed", seed}, out, err, address), 0)
        << err.str();
    google::protobuf::Struct figures;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(out.str(), &figures).ok()) << out.str();
    return figures;
  }

  std::vector<v1::Ticket> Tickets(v1::SlaCatalogService::Stub* stub,
                                  v1::ListTicketsRequest request) {
    return All<v1::ListTicketsRequest, v1::ListTicketsResponse, v1::Ticket>(
        request,
        [&](grpc::ClientContext* ctx, const v1::ListTicketsRequest& r, v1::ListTicketsResponse* o) {
          return stub->ListTickets(ctx, r, o);
        },
        [](const v1::ListTicketsResponse& r) -> const auto& { return r.tickets(); });
  }
};

int Figure(const google::protobuf::Struct& figures, const std::string& name) {
  auto it = figures.fields().find(name);
  EXPECT_NE(it, figures.fields().end()) << name;
  return it == figures.fields().end() ? -1 : static_cast<int>(it->second.number_value());
}

TEST_F(DemoSeedCliTest, FillsAnEmptyServerWithFiguresTheApiConfirms) {
  const google::protobuf::Struct figures = Seed("1", server_->address());

  const auto relationships =
      All<v1::ListRelationshipsRequest, v1::ListRelationshipsResponse, v1::Relationship>(
          {},
          [&](grpc::ClientContext* ctx, const v1::ListRelationshipsRequest& r,
              v1::ListRelationshipsResponse* o) {
            return relationships_->ListRelationships(ctx, r, o);
          },
          [](const v1::ListRelationshipsResponse& r) -> const auto& { return r.relationships(); });
  EXPECT_EQ(static_cast<int>(relationships.size()), Figure(figures, "relationships"));
  EXPECT_GE(relationships.size(), 6u);
  std::set<int> kinds;
  for (const auto& r : relationships) kinds.insert(r.kind());
  EXPECT_GE(kinds.size(), 3u);  // Business units, customers, a supplier.
  EXPECT_GE(Figure(figures, "stakeholders"), relationships.size());

  // Calendars in several time zones, agreements of every type.
  const auto calendars = All<v1::ListCalendarsRequest, v1::ListCalendarsResponse, v1::Calendar>(
      {},
      [&](grpc::ClientContext* ctx, const v1::ListCalendarsRequest& r,
          v1::ListCalendarsResponse* o) { return catalog_->ListCalendars(ctx, r, o); },
      [](const v1::ListCalendarsResponse& r) -> const auto& { return r.calendars(); });
  std::set<std::string> zones;
  for (const auto& c : calendars) zones.insert(c.time_zone());
  EXPECT_GE(zones.size(), 3u);
  EXPECT_EQ(static_cast<int>(calendars.size()), Figure(figures, "calendars"));
  const auto agreements = All<v1::ListAgreementsRequest, v1::ListAgreementsResponse, v1::Agreement>(
      {},
      [&](grpc::ClientContext* ctx, const v1::ListAgreementsRequest& r,
          v1::ListAgreementsResponse* o) { return catalog_->ListAgreements(ctx, r, o); },
      [](const v1::ListAgreementsResponse& r) -> const auto& { return r.agreements(); });
  EXPECT_EQ(static_cast<int>(agreements.size()), Figure(figures, "agreements"));
  std::set<int> types;
  for (const auto& a : agreements) types.insert(a.type());
  EXPECT_EQ(types.size(), 3u);

  // A few weeks of tickets, some breached, some open.
  const auto tickets = Tickets(catalog_.get(), {});
  EXPECT_EQ(static_cast<int>(tickets.size()), Figure(figures, "tickets"));
  EXPECT_GE(tickets.size(), 100u);
  absl::Time oldest = absl::InfiniteFuture();
  for (const auto& t : tickets)
    oldest = std::min(oldest, absl::FromUnixSeconds(t.open_time().seconds()));
  EXPECT_GE(absl::Now() - oldest, absl::Hours(24 * 28));
  v1::ListTicketsRequest breached;
  breached.set_breached(true);
  const int breached_count = static_cast<int>(Tickets(catalog_.get(), breached).size());
  EXPECT_EQ(breached_count, Figure(figures, "breached_tickets"));
  EXPECT_GT(breached_count, 0);
  EXPECT_LT(breached_count, static_cast<int>(tickets.size()) / 4);
  v1::ListTicketsRequest open;
  open.set_state(v1::Ticket::OPEN);
  EXPECT_EQ(static_cast<int>(Tickets(catalog_.get(), open).size()),
            Figure(figures, "open_tickets"));

  // Compliance figures count them.
  v1::GetComplianceReportRequest report_request;
  report_request.set_scope("services/erp");
  report_request.set_period(v1::GetComplianceReportRequest::ROLLING);
  report_request.set_rolling_days(40);
  v1::ComplianceReport report;
  auto ctx = Ctx();
  ASSERT_OK(catalog_->GetComplianceReport(ctx.get(), report_request, &report));
  EXPECT_GT(report.combined().completed(), 10);
  EXPECT_GT(report.combined().met(), report.combined().breached());
  EXPECT_TRUE(report.has_availability());
  EXPECT_GT(report.outages(), 0);

  // Survey answers, NPS and CSAT, as the scores count them.
  auto satisfaction = v1::SatisfactionService::NewStub(
      grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  v1::GetScoreRequest score_request;
  score_request.set_rolling_days(365);
  v1::Score score;
  ctx = Ctx();
  ASSERT_OK(satisfaction->GetScore(ctx.get(), score_request, &score));
  EXPECT_EQ(score.nps().count(), Figure(figures, "nps_answers"));
  EXPECT_EQ(score.csat().count(), Figure(figures, "csat_answers"));
  EXPECT_GE(score.nps().count(), 100);
  EXPECT_GT(score.csat().count(), 20);

  // Escalations in many states, under policies.
  v1::ListEscalationsRequest escalations_request;
  escalations_request.set_page_size(100);
  v1::ListEscalationsResponse escalations;
  ctx = Ctx();
  ASSERT_OK(escalations_->ListEscalations(ctx.get(), escalations_request, &escalations));
  EXPECT_EQ(escalations.escalations_size(), Figure(figures, "escalations"));
  std::set<int> states;
  for (const auto& e : escalations.escalations()) states.insert(e.state());
  EXPECT_GE(states.size(), 4u);
  EXPECT_GE(Figure(figures, "escalation_policies"), 1);

  // The trend has points to draw, with intervals.
  const std::string trend = Ok({"satisfaction", "trend"});
  EXPECT_THAT(trend, HasSubstr("NPS per week (UTC), of all answers"));
  EXPECT_THAT(trend, ContainsRegex("\n20[0-9][0-9]-W[0-9]{2} +[0-9]+ +[-+][0-9]+\\.[0-9]"));
  EXPECT_THAT(trend, ContainsRegex("n=[0-9]+ +[-+][0-9.]+ +( |┊)*├(─|┊)*●(─|┊)*┤"));
  EXPECT_THAT(Ok({"satisfaction", "trend", "--metric", "csat", "--bucket", "day"}),
              HasSubstr("CSAT with 95% intervals:"));
  // The watermelon: SLAs met, satisfaction low.
  EXPECT_THAT(Ok({"rel", "health", "acme-retail"}), HasSubstr("WATERMELON"));

  // A second seed is refused: the server has data now.
  std::string out, err;
  EXPECT_EQ(Run({"demo", "seed"}, &out, &err), cli::kExitRefused);
  EXPECT_THAT(err, HasSubstr("already has data"));
  EXPECT_EQ(out, "");
}

TEST_F(DemoSeedCliTest, TheSameSeedGivesTheSameDataAnotherSeedOther) {
  TempDir other_dir;
  auto other =
      ServerProcess::Start(other_dir.Sub("data"), other_dir.Sub("log"), {"--sync_writes=false"});
  ASSERT_NE(other, nullptr);
  TempDir third_dir;
  auto third =
      ServerProcess::Start(third_dir.Sub("data"), third_dir.Sub("log"), {"--sync_writes=false"});
  ASSERT_NE(third, nullptr);
  const google::protobuf::Struct a = Seed("42", server_->address());
  const google::protobuf::Struct b = Seed("42", other->address());
  const google::protobuf::Struct c = Seed("43", third->address());

  // Tickets (with their events) opened over a day ago: far from the moment
  // each seed ran, so the seconds between the runs change nothing.
  const absl::Time cutoff = absl::Now() - absl::Hours(24);
  auto history = [&](const std::string& address) {
    auto stub = v1::SlaCatalogService::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    std::vector<std::string> lines;
    for (const auto& t : Tickets(stub.get(), {})) {
      if (absl::FromUnixSeconds(t.open_time().seconds()) > cutoff) continue;
      v1::GetTicketRequest get;
      get.set_name(t.name());
      v1::Ticket full;
      auto ctx = Ctx();
      EXPECT_OK(stub->GetTicket(ctx.get(), get, &full));
      std::string line = absl::StrCat(t.name(), " ", t.service(), " ", t.relationship(), " ",
                                      t.priority(), " ", t.open_time().seconds());
      for (const auto& e : full.events()) {
        if (absl::FromUnixSeconds(e.event_time().seconds()) > cutoff) continue;
        absl::StrAppend(&line, " ", e.event_id(), "@", e.event_time().seconds());
      }
      lines.push_back(line);
    }
    return lines;
  };
  const auto history_a = history(server_->address());
  EXPECT_GE(history_a.size(), 100u);
  EXPECT_EQ(history_a, history(other->address()));
  EXPECT_NE(history_a, history(third->address()));
  EXPECT_EQ(Figure(a, "nps_answers"), Figure(b, "nps_answers"));
  EXPECT_EQ(Figure(a, "relationships"), Figure(c, "relationships"));

  EXPECT_EQ(other->Stop(SIGTERM), 0);
  EXPECT_EQ(third->Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace rapport
