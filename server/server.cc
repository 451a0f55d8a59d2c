#include "server/server.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpc/health/v1/health.pb.h"
#include "rapport/v1/admin.pb.h"
#include "rapport/v1/relationships.pb.h"
#include "rapport/v1/escalations.pb.h"
#include "rapport/v1/satisfaction.pb.h"
#include "rapport/v1/sla.pb.h"
#include "server/metrics_interceptor.h"
#include "services/common/pagination.h"
#include "services/common/resource.h"
#include "storage/logging.h"
#include "storage/status_macros.h"

#ifndef RAPPORT_VERSION
#define RAPPORT_VERSION "0.0.0"
#endif

namespace rapport {

const char* RapportVersion() { return RAPPORT_VERSION; }

namespace {

// The services rapportd serves, by descriptor. Naming the health protocol's
// descriptor here also links its generated code, so server reflection and the
// metrics interceptor know grpc.health.v1.Health.
std::vector<const google::protobuf::ServiceDescriptor*> ServedServices() {
  return {
      grpc::health::v1::HealthCheckRequest::descriptor()->file()->FindServiceByName("Health"),
      v1::ServerInfo::descriptor()->file()->FindServiceByName("AdminService"),
      v1::Relationship::descriptor()->file()->FindServiceByName("RelationshipService"),
      v1::Agreement::descriptor()->file()->FindServiceByName("SlaCatalogService"),
      v1::Escalation::descriptor()->file()->FindServiceByName("EscalationService"),
      v1::Survey::descriptor()->file()->FindServiceByName("SatisfactionService"),
  };
}

// What the services tell the relationship register, through their domain
// APIs (never their gRPC endpoints).
class ServerSignals final : public relationships::ExternalSignals {
 public:
  void set_catalog(const sla::Catalog* catalog) { catalog_ = catalog; }
  void set_tickets(const sla::Tickets* tickets) { tickets_ = tickets; }
  void set_escalations(const escalations::Escalations* escalations) { escalations_ = escalations; }
  void set_satisfaction(const satisfaction::Satisfaction* satisfaction) {
    satisfaction_ = satisfaction;
  }

  std::optional<relationships::SatisfactionFigure> Nps(absl::string_view relationship_id,
                                                       absl::Time from,
                                                       absl::Time to) const override {
    return Figure(relationship_id, from, to, /*nps=*/true);
  }
  std::optional<relationships::SatisfactionFigure> Csat(absl::string_view relationship_id,
                                                        absl::Time from,
                                                        absl::Time to) const override {
    return Figure(relationship_id, from, to, /*nps=*/false);
  }

  absl::StatusOr<std::optional<relationships::HealthInputs::Escalations>> OpenEscalations(
      absl::string_view relationship_id, absl::Time now) const override {
    if (escalations_ == nullptr) return std::nullopt;
    ASSIGN_OR_RETURN(auto summary, escalations_->Summarize(relationship_id, now));
    return relationships::HealthInputs::Escalations{summary.open, summary.highest_severity,
                                                    summary.oldest_age};
  }

  std::optional<double> SlaCompliance(absl::string_view relationship_id, absl::Time from,
                                      absl::Time to) const override {
    if (tickets_ == nullptr) return std::nullopt;
    // Completions are counted by day: the window is as many whole days as
    // [from, to) spans, ending with today (90 days, not the 91 that the
    // days of `from` and `to` would give).
    const absl::CivilDay epoch(1970, 1, 1);
    const int64_t last = absl::ToCivilDay(to, absl::UTCTimeZone()) - epoch;
    const int64_t days = std::max<int64_t>(1, (absl::ToInt64Hours(to - from) + 12) / 24);
    const int64_t first = last - days + 1;
    int64_t met = 0, total = 0;
    for (auto kind : {v1::FIRST_RESPONSE, v1::RESOLUTION}) {
      auto counts = tickets_->CountCompletions('R', relationship_id, kind, first, last);
      if (!counts.ok()) return std::nullopt;
      met += counts->met;
      total += counts->met + counts->breached;
    }
    if (total == 0) return std::nullopt;
    return 100.0 * static_cast<double>(met) / static_cast<double>(total);
  }

  absl::Status CheckConsumedService(absl::string_view field,
                                    const v1::ConsumedService& consumed) const override {
    return catalog_->CheckConsumedService(field, consumed.service(), consumed.agreement());
  }

 private:
  const sla::Catalog* catalog_ = nullptr;
  const sla::Tickets* tickets_ = nullptr;
  const escalations::Escalations* escalations_ = nullptr;
  const satisfaction::Satisfaction* satisfaction_ = nullptr;

  // NPS or CSAT (percent) of the relationship's answers in [from, to) with
  // the change against the window before; nullopt without answers.
  std::optional<relationships::SatisfactionFigure> Figure(absl::string_view relationship_id,
                                                          absl::Time from, absl::Time to,
                                                          bool nps) const {
    if (satisfaction_ == nullptr) return std::nullopt;
    auto figures =
        satisfaction_->Score(satisfaction::Scope::Relationship(relationship_id), from, to);
    if (!figures.ok()) return std::nullopt;
    const satisfaction::Estimate& e =
        nps ? static_cast<const satisfaction::Estimate&>(figures->nps) : figures->csat;
    const satisfaction::ChangeEstimate& c = nps ? figures->nps_change : figures->csat_change;
    if (!e.value) return std::nullopt;
    relationships::SatisfactionFigure out;
    out.score = *e.value;
    out.count = e.count;
    out.significant = e.significant;
    out.change = c.delta.value_or(0);
    out.change_significant = c.significant;
    return out;
  }
};

// OK if relationship `name` (`relationships/{id}`) is in the register;
// NOT_FOUND naming `field` if not.
absl::Status CheckRelationshipExists(const relationships::Relationships& register_,
                                     absl::string_view field, absl::string_view name) {
  v1::GetRelationshipRequest get;
  get.set_name(std::string(name));
  auto found = register_.GetRelationship(get);
  if (found.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(absl::StrCat(field, " ", name, " does not exist"));
  }
  return found.status();
}

// Escalation waits in the business hours of the catalog's calendars. Each
// wait reads the calendar as it is then (a calendar is a few hundred bytes).
escalations::Escalations::BusinessHours CatalogBusinessHours(const sla::Catalog* catalog) {
  auto engine = [catalog](absl::string_view calendar) -> absl::StatusOr<sla::BusinessCalendar> {
    v1::GetCalendarRequest get;
    get.set_name(std::string(calendar));
    ASSIGN_OR_RETURN(v1::Calendar found, catalog->GetCalendar(get));
    return sla::ToBusinessCalendar(found);
  };
  escalations::Escalations::BusinessHours hours;
  hours.check = [catalog](absl::string_view field, absl::string_view calendar) {
    v1::GetCalendarRequest get;
    get.set_name(std::string(calendar));
    auto found = catalog->GetCalendar(get);
    if (found.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(absl::StrCat(field, " ", calendar, " does not exist"));
    }
    return found.status();
  };
  hours.add = [engine](absl::string_view calendar, absl::Time from,
                       absl::Duration wait) -> absl::StatusOr<absl::Time> {
    ASSIGN_OR_RETURN(sla::BusinessCalendar hours, engine(calendar));
    return hours.AddBusinessTime(from, wait);
  };
  hours.between = [engine](absl::string_view calendar, absl::Time from,
                           absl::Time to) -> absl::StatusOr<absl::Duration> {
    ASSIGN_OR_RETURN(sla::BusinessCalendar hours, engine(calendar));
    return hours.BusinessTimeBetween(from, to);
  };
  return hours;
}

// Checks of the names a survey or answer refers to, through the catalog's and
// the register's domain APIs.
class SatisfactionReferences final : public satisfaction::References {
 public:
  SatisfactionReferences(const sla::Catalog* catalog, const relationships::Relationships* register_)
      : catalog_(catalog), register_(register_) {}

  absl::Status CheckService(absl::string_view field, absl::string_view name) const override {
    v1::GetServiceRequest get;
    get.set_name(std::string(name));
    auto found = catalog_->GetService(get);
    if (found.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(absl::StrCat(field, " ", name, " does not exist"));
    }
    return found.status();
  }
  absl::Status CheckRelationship(absl::string_view field, absl::string_view name) const override {
    return CheckRelationshipExists(*register_, field, name);
  }

 private:
  const sla::Catalog* const catalog_;
  const relationships::Relationships* const register_;
};

// The interaction id a detractor's answer is logged under: derived from the
// answer's name, so that a rerun transaction writes the same one.
std::string FeedbackInteractionId(absl::string_view response_name) {
  return absl::StrCat("survey-feedback-", absl::Hex(FilterHash({response_name}), absl::kZeroPad16));
}

// Satisfaction gauges' figures from the aggregates, per scope kind.
std::vector<metrics::SatisfactionMetrics::ScopeScore> RollingScopeScores(
    const satisfaction::Satisfaction* domain, satisfaction::Scope::Kind kind, Clock* clock) {
  std::vector<metrics::SatisfactionMetrics::ScopeScore> out;
  static constexpr int kDays[] = {30, 90};
  auto scores = domain->RollingScores(kind, clock->Now(), kDays);
  if (!scores.ok()) return out;
  for (const auto& r : *scores) {
    metrics::SatisfactionMetrics::ScopeScore score;
    score.id = r.id;
    score.window = absl::StrCat(r.days, "d");
    score.nps = r.nps.value;
    if (r.csat.value) score.csat_ratio = *r.csat.value / 100.0;
    score.nps_answers = r.nps.count;
    score.csat_answers = r.csat.count;
    score.nps_standard_error = r.nps.standard_error;
    if (r.csat.standard_error) score.csat_ratio_standard_error = *r.csat.standard_error / 100.0;
    out.push_back(std::move(score));
  }
  return out;
}

// Gauges of SLA compliance, risk and availability, read from the
// aggregates at scrape time (cost per scrape: services x days of a month).
void AddSlaGauges(metrics::Metrics* m, const sla::Catalog* catalog, const sla::Tickets* tickets,
                  Clock* clock) {
  auto services = [catalog] {
    std::vector<std::string> ids;
    v1::ListServicesRequest list;
    list.set_page_size(1000);
    for (;;) {
      auto page = catalog->ListServices(list);
      if (!page.ok()) break;
      for (const auto& s : page->services()) ids.push_back(s.name().substr(9));
      if (page->next_page_token().empty()) break;
      list.set_page_token(page->next_page_token());
    }
    return ids;
  };
  m->AddScrapeGauge(
      "rapport_sla_compliance_ratio",
      "Share of first response and resolution timers met (0-1), by service and agreement type, "
      "over the current UTC month (window=month) and the last 30 days (window=30d); absent "
      "without completions.",
      [services, tickets, clock] {
        std::vector<metrics::GaugeSample> out;
        const absl::Time now = clock->Now();
        const absl::CivilDay today = absl::ToCivilDay(now, absl::UTCTimeZone());
        const int64_t day = today - absl::CivilDay(1970, 1, 1);
        const int64_t month_start = absl::CivilDay(absl::CivilMonth(today)) - absl::CivilDay(1970, 1, 1);
        for (const auto& service : services()) {
          for (auto type : {v1::Agreement::SLA, v1::Agreement::OLA, v1::Agreement::UNDERPINNING_CONTRACT}) {
            const std::string id = absl::StrCat(service, "|", v1::Agreement::Type_Name(type));
            for (auto [window, from] : {std::pair<const char*, int64_t>{"month", month_start},
                                        std::pair<const char*, int64_t>{"30d", day - 29}}) {
              int64_t met = 0, total = 0;
              for (auto kind : {v1::FIRST_RESPONSE, v1::RESOLUTION}) {
                auto c = tickets->CountCompletions('Y', id, kind, from, day);
                if (!c.ok()) continue;
                met += c->met;
                total += c->met + c->breached;
              }
              if (total == 0) continue;
              out.push_back({{{"service", service},
                              {"agreement_type", v1::Agreement::Type_Name(type)},
                              {"window", window}},
                             static_cast<double>(met) / static_cast<double>(total)});
            }
          }
        }
        return out;
      });
  for (auto [name, field, help] :
       {std::tuple{"rapport_sla_open_tickets_at_risk", 0,
                   "Open tickets with a warning crossed and no breach, by service."},
        std::tuple{"rapport_sla_open_tickets_breached", 1, "Open tickets with a breach, by service."}}) {
    m->AddScrapeGauge(name, help, [services, tickets, field = field] {
      std::vector<metrics::GaugeSample> out;
      for (const auto& service : services()) {
        auto n = tickets->OpenCount('S', service, field);
        if (n.ok()) out.push_back({{{"service", service}}, static_cast<double>(*n)});
      }
      return out;
    });
  }
  auto availability = [services, tickets](bool budget) {
    std::vector<metrics::GaugeSample> out;
    for (const auto& service : services()) {
      v1::GetComplianceReportRequest request;
      request.set_scope(absl::StrCat("services/", service));
      request.set_period(v1::GetComplianceReportRequest::MONTH);
      auto report = tickets->GetComplianceReport(request);
      if (!report.ok() || !report->has_availability()) continue;
      out.push_back({{{"service", service}},
                     budget ? report->error_budget_remaining_percent() / 100.0
                            : report->availability_percent() / 100.0});
    }
    return out;
  };
  m->AddScrapeGauge("rapport_service_availability_ratio",
                    "Availability of a service (0-1) this UTC month, against its default SLA.",
                    [availability] { return availability(false); });
  m->AddScrapeGauge("rapport_service_error_budget_remaining_ratio",
                    "Share of this month's availability error budget left (negative when "
                    "overspent), by service.",
                    [availability] { return availability(true); });
}

// The file's contents; INVALID_ARGUMENT naming the flag if it cannot be read.
absl::StatusOr<std::string> ReadPem(const char* flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--", flag, ": cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// TLS (optionally mutual) when configured, plaintext otherwise.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const ServerConfig& config) {
  if (config.tls_cert.empty() && config.tls_key.empty()) {
    if (!config.tls_client_ca.empty()) {
      return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert and --tls_key");
    }
    return grpc::InsecureServerCredentials();
  }
  if (config.tls_cert.empty() || config.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  grpc::SslServerCredentialsOptions options;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  ASSIGN_OR_RETURN(pair.cert_chain, ReadPem("tls_cert", config.tls_cert));
  ASSIGN_OR_RETURN(pair.private_key, ReadPem("tls_key", config.tls_key));
  options.pem_key_cert_pairs.push_back(std::move(pair));
  if (!config.tls_client_ca.empty()) {
    ASSIGN_OR_RETURN(options.pem_root_certs, ReadPem("tls_client_ca", config.tls_client_ca));
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

// Opens an escalation from another service's write (an SLA crossing, a
// complaint, a detractor's answer) in that write's transaction. What the
// escalation cannot be made of (its policy was deleted, say) is logged and
// skipped: the ticket event, complaint or answer is still recorded. Errors of
// the store itself fail the write, as any read of it would.
absl::Status OpenOrSkip(escalations::Escalations* esc, storage::Txn& txn,
                        const escalations::OpenRequest& request, absl::Time now) {
  absl::Status status = esc->OpenInTxn(txn, request, now);
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
      LogWarning(absl::StrCat("no escalation opened for ", request.source_key, ": ",
                              status.message()));
      return absl::OkStatus();
    default:
      return status;
  }
}

}  // namespace

absl::Status ParseHealthFlags(absl::string_view weights, absl::string_view bands,
                              relationships::HealthConfig* config) {
  using Component = v1::RelationshipHealth::Component;
  const std::map<std::string, Component::Kind> names = {
      {"sla", Component::SLA_COMPLIANCE}, {"escalations", Component::ESCALATIONS},
      {"nps", Component::NPS},           {"csat", Component::CSAT},
      {"feedback", Component::FEEDBACK_BALANCE}, {"engagement", Component::ENGAGEMENT},
      {"opportunities", Component::OPPORTUNITY_MOMENTUM}};
  for (absl::string_view item : absl::StrSplit(weights, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
    double w = 0;
    auto it = names.find(kv.first);
    if (it == names.end() || !absl::SimpleAtod(kv.second, &w) || w < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--health_weights: '", item,
          "' must be name=weight with a weight >= 0 and a name among sla, escalations, nps, "
          "csat, feedback, engagement, opportunities"));
    }
    config->weights[it->second] = w;
  }
  std::vector<std::string> limits = absl::StrSplit(bands, ',');
  double red = 0, green = 0;
  if (limits.size() != 2 || !absl::SimpleAtod(limits[0], &red) ||
      !absl::SimpleAtod(limits[1], &green) || red < 0 || green > 100 || red > green) {
    return absl::InvalidArgumentError(
        "--health_bands must be two numbers RED_BELOW,GREEN_FROM with 0 <= RED_BELOW <= "
        "GREEN_FROM <= 100");
  }
  config->red_below = red;
  config->green_from = green;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RapportServer>> RapportServer::Start(const ServerConfig& config) {
  std::unique_ptr<RapportServer> s(new RapportServer(config));
  s->metrics_ = std::make_unique<metrics::Metrics>(RapportVersion());

  // The store first: a held or newer data dir fails fast, before any port opens.
  storage::StoreOptions store_options;
  store_options.data_dir = config.data_dir;
  store_options.sync_writes = config.sync_writes;
  ASSIGN_OR_RETURN(s->store_, storage::Store::Open(store_options));

  metrics::Metrics* m = s->metrics_.get();
  storage::Store* store = s->store_.get();
  s->scheduler_ = std::make_unique<storage::Scheduler>(store, config.clock);
  storage::Scheduler* scheduler = s->scheduler_.get();
  store->AddCommitListener([m, scheduler](const storage::CommitGroupInfo& info) {
    m->ObserveCommitGroup(info.batches, info.bytes, absl::ToDoubleSeconds(info.write_duration));
    if (info.earliest_schedule) scheduler->Notify(*info.earliest_schedule);
  });
  scheduler->SetFiredListener([m](const std::string& kind, absl::Duration lateness) {
    m->ObserveScheduleFired(kind, absl::ToDoubleSeconds(lateness));
  });
  m->AddScrapeGauge("rapport_store_live_data_bytes", "Estimated bytes of live data in the store.",
                    [store] {
                      return std::vector<metrics::GaugeSample>{
                          {{}, static_cast<double>(store->Stats().live_data_bytes)}};
                    });
  m->AddScrapeGauge("rapport_store_sst_files_bytes", "Bytes of the store's table files.", [store] {
    return std::vector<metrics::GaugeSample>{{{}, static_cast<double>(store->Stats().sst_files_bytes)}};
  });
  m->AddScrapeGauge("rapport_store_pending_compaction_bytes",
                    "Estimated bytes compaction still has to rewrite.", [store] {
                      return std::vector<metrics::GaugeSample>{
                          {{}, static_cast<double>(store->Stats().pending_compaction_bytes)}};
                    });
  m->AddScrapeGauge("rapport_store_memtable_bytes", "Bytes held in the store's memtables.", [store] {
    return std::vector<metrics::GaugeSample>{{{}, static_cast<double>(store->Stats().memtable_bytes)}};
  });

  // The gate every call passes first: bearer tokens, roles, limits, audit.
  access::GateOptions gate_options;
  gate_options.authenticate = !config.auth_tokens_file.empty();
  gate_options.tokens_file = config.auth_tokens_file;
  gate_options.audit_store = store;
  gate_options.clock = config.clock;
  gate_options.default_deadline = config.default_deadline;
  ASSIGN_OR_RETURN(s->gate_, access::AccessGate::Create(gate_options));
  const Gate* gate = s->gate_.get();

  // Domain objects, then their adapters.
  const absl::Time start_time = config.clock->Now();
  s->admin_ = std::make_unique<admin::Admin>(store, config.clock, RapportVersion(), start_time);
  s->admin_grpc_ = std::make_unique<admin::AdminGrpc>(s->admin_.get(), gate);
  auto signals = std::make_unique<ServerSignals>();
  ServerSignals* server_signals = signals.get();
  s->signals_ = std::move(signals);
  s->relationships_ = std::make_unique<relationships::Relationships>(store, config.clock,
                                                                     s->signals_.get(), config.health);
  RETURN_IF_ERROR(s->relationships_->FoldNameIndex());
  s->relationships_grpc_ =
      std::make_unique<relationships::RelationshipsGrpc>(s->relationships_.get(), gate);
  relationships::Relationships* rel = s->relationships_.get();
  metrics::RelationshipMetrics::Sources rel_sources;
  rel_sources.counts = [rel] {
    std::vector<metrics::RelationshipMetrics::Count> out;
    auto counts = rel->CountRelationships();
    if (!counts.ok()) return out;
    for (const auto& c : *counts) {
      out.push_back({v1::Relationship::Kind_Name(c.kind), v1::Relationship::Tier_Name(c.tier),
                     v1::Relationship::Status_Name(c.status), static_cast<double>(c.count)});
    }
    return out;
  };
  rel_sources.average_health_by_tier = [rel] {
    std::map<std::string, double> out;
    auto averages = rel->AverageHealthByTier();
    if (!averages.ok()) return out;
    for (const auto& [tier, value] : *averages) out[v1::Relationship::Tier_Name(tier)] = value;
    return out;
  };
  rel_sources.health_by_relationship = [rel] {
    auto scores = rel->LastHealthScores();
    return scores.ok() ? *scores : std::map<std::string, double>();
  };
  s->relationship_metrics_ = std::make_unique<metrics::RelationshipMetrics>(
      m, std::move(rel_sources), config.per_relationship_metrics);
  auto relationship_exists = [rel](absl::string_view field, absl::string_view id) {
    return CheckRelationshipExists(*rel, field, absl::StrCat("relationships/", id));
  };
  s->catalog_ = std::make_unique<sla::Catalog>(store, config.clock, relationship_exists);
  s->tickets_ = std::make_unique<sla::Tickets>(store, config.clock, s->catalog_.get(), relationship_exists);
  sla::Tickets* tickets = s->tickets_.get();
  server_signals->set_tickets(tickets);
  scheduler->RegisterHandler(sla::kTicketScheduleKind,
                             [tickets](const storage::ScheduledEntry& entry, storage::Txn& txn) {
                               return tickets->OnScheduled(entry, txn);
                             });
  s->sla_metrics_ = std::make_unique<metrics::SlaMetrics>(m);
  metrics::SlaMetrics* sm = s->sla_metrics_.get();
  sla::Tickets::Observer observer;
  observer.crossing = [sm](const v1::ThresholdCrossing& c, const std::string& service, v1::Priority p) {
    sm->ObserveCrossing(service.substr(service.find('/') + 1), v1::Priority_Name(p),
                        c.threshold() == 100 ? "breach" : "warning", v1::TimerKind_Name(c.kind()));
  };
  observer.completion = [sm](const v1::SlaTimer& t, const std::string& service, v1::Priority p) {
    sm->ObserveCompletion(service.substr(service.find('/') + 1), v1::Priority_Name(p),
                          v1::TimerKind_Name(t.kind()), t.breached());
  };
  tickets->SetObserver(std::move(observer));
  tickets->SetBackfillSettle(config.sla_backfill_settle);
  AddSlaGauges(m, s->catalog_.get(), tickets, config.clock);
  s->catalog_grpc_ = std::make_unique<sla::CatalogGrpc>(s->catalog_.get(), tickets, gate);

  // Escalations: the workflow, its automatic steps, its metrics, and the
  // escalations SLA crossings open in their own transaction.
  s->escalations_ = std::make_unique<escalations::Escalations>(store, config.clock);
  escalations::Escalations* esc = s->escalations_.get();
  esc->SetRelationshipLookup(relationship_exists);
  esc->SetCatalogCheck([catalog = s->catalog_.get()](absl::string_view field, absl::string_view service,
                                                     absl::string_view agreement) -> absl::Status {
    if (!service.empty()) return catalog->CheckConsumedService(field, service, agreement);
    v1::GetAgreementRequest get;
    get.set_name(std::string(agreement));
    const absl::Status found = catalog->GetAgreement(get).status();
    if (absl::IsNotFound(found)) {
      return absl::NotFoundError(absl::StrCat(field, ".agreement ", agreement, " does not exist"));
    }
    return found;
  });
  esc->SetRelationshipAdmission(
      [rel](storage::Txn& txn, absl::string_view field, absl::string_view id) {
        return rel->AdmitEscalationInTxn(txn, field, id);
      });
  esc->SetBusinessHours(CatalogBusinessHours(s->catalog_.get()));
  if (!config.default_escalation_policy.empty()) {
    esc->SetDefaultPolicy(config.default_escalation_policy);
    v1::GetEscalationPolicyRequest get;
    get.set_name(config.default_escalation_policy);
    if (auto policy = esc->GetPolicy(get); !policy.ok()) {
      LogWarning(absl::StrCat("--default_escalation_policy: ", policy.status().message(),
                              "; automatic escalations are skipped until it exists"));
    }
  }
  scheduler->RegisterHandler(escalations::kAckScheduleKind,
                             [esc](const storage::ScheduledEntry& e, storage::Txn& txn) {
                               return esc->OnScheduled(e, txn);
                             });
  esc->SetChangeRetention(config.escalation_change_retention);
  scheduler->RegisterHandler(escalations::kRetentionScheduleKind,
                             [esc](const storage::ScheduledEntry& e, storage::Txn& txn) {
                               return esc->OnRetention(e, txn);
                             });
  RETURN_IF_ERROR(esc->StartRetention());
  s->escalation_metrics_ = std::make_unique<metrics::EscalationMetrics>(m, [esc] {
    std::vector<metrics::EscalationMetrics::OpenCount> out;
    auto counts = esc->CountOpen();
    if (!counts.ok()) return out;
    for (const auto& c : *counts) {
      out.push_back({v1::Escalation::State_Name(c.state), absl::StrCat(c.level),
                     v1::Severity_Name(c.severity), static_cast<double>(c.count)});
    }
    return out;
  });
  metrics::EscalationMetrics* em = s->escalation_metrics_.get();
  // For the alerting rule on unacknowledged escalations (deploy/prometheus/).
  em->AddOldestUnacknowledged([esc] {
    std::map<std::string, double> out;
    auto oldest = esc->OldestUnacknowledged();
    if (!oldest.ok()) return out;
    for (const auto& [severity, since] : *oldest) {
      out[v1::Severity_Name(severity)] = absl::ToDoubleSeconds(since - absl::UnixEpoch());
    }
    return out;
  });
  escalations::Escalations::Observer escalation_observer;
  escalation_observer.opened = [em](v1::Escalation::Source source, v1::Severity severity) {
    em->ObserveOpened(v1::Escalation::Source_Name(source), v1::Severity_Name(severity));
  };
  escalation_observer.auto_change = [em](v1::EscalationTimelineEntry::Action action) {
    em->ObserveAutoChange(v1::EscalationTimelineEntry::Action_Name(action));
  };
  escalation_observer.acknowledged = [em](double seconds) { em->ObserveAcknowledged(seconds); };
  escalation_observer.resolved = [em](double seconds) { em->ObserveResolved(seconds); };
  esc->SetObserver(std::move(escalation_observer));
  server_signals->set_escalations(esc);
  if (!config.default_escalation_policy.empty()) {
    tickets->SetEscalationOpener([esc](storage::Txn& txn, const sla::Tickets::EscalationOpening& o,
                                       absl::Time now) {
      escalations::OpenRequest request;
      request.source_key = o.source_key;
      request.source = o.breach ? v1::Escalation::SLA_BREACH : v1::Escalation::SLA_WARNING;
      request.relationship = o.relationship;
      request.service = o.service;
      request.ticket = o.ticket;
      request.agreement = o.agreement;
      request.title = TruncateUtf8(o.title, escalations::kMaxTitleChars);
      request.severity = o.severity;
      return OpenOrSkip(esc, txn, request, now);
    });
  }
  if (config.escalate_complaints && !config.default_escalation_policy.empty()) {
    rel->SetComplaintHook([esc](storage::Txn& txn, const v1::Interaction& complaint,
                                absl::Time now) {
      escalations::OpenRequest request;
      request.source_key = absl::StrCat("complaint|", complaint.name());
      request.source = v1::Escalation::COMPLAINT;
      request.relationship = complaint.name().substr(0, complaint.name().find("/interactions/"));
      request.title = absl::StrCat("Complaint: ", TruncateUtf8(complaint.summary(), 80));
      request.description = complaint.summary();
      request.severity = complaint.sentiment() <= -2 ? v1::SEV2 : v1::SEV3;
      request.type = v1::Escalation::HIERARCHICAL;
      request.actor = CurrentPrincipal("system");
      return OpenOrSkip(esc, txn, request, now);
    });
  }
  s->escalations_grpc_ = std::make_unique<escalations::EscalationsGrpc>(esc, gate);
  server_signals->set_catalog(s->catalog_.get());
  rel->SetInteractionObserver(
      [rm = s->relationship_metrics_.get()](v1::Interaction::Kind kind) {
        rm->ObserveInteraction(v1::Interaction::Kind_Name(kind));
      });

  // Satisfaction: surveys and answers checked against the catalog and the
  // register; a detractor's comment logged on its relationship (and, when
  // asked, escalated) in the answer's own write; gauges from the aggregates.
  s->satisfaction_references_ =
      std::make_unique<SatisfactionReferences>(s->catalog_.get(), rel);
  satisfaction::SatisfactionOptions satisfaction_options;
  satisfaction_options.min_sample_size = config.satisfaction_min_sample_size;
  ASSIGN_OR_RETURN(s->satisfaction_,
                   satisfaction::Satisfaction::Open(store, config.clock,
                                                    s->satisfaction_references_.get(),
                                                    satisfaction_options));
  satisfaction::Satisfaction* sat = s->satisfaction_.get();
  server_signals->set_satisfaction(sat);
  const bool escalate_detractors =
      config.escalate_detractors && !config.default_escalation_policy.empty();
  sat->SetFeedbackHook([rel, esc, clock = config.clock, escalate_detractors](
                           storage::Txn& txn, const v1::Survey& survey,
                           const v1::Response& response) -> absl::Status {
    if (response.relationship().empty()) return absl::OkStatus();
    const absl::Time now = clock->Now();
    v1::Interaction feedback;
    feedback.set_kind(v1::Interaction::SURVEY_FEEDBACK);
    *feedback.mutable_occur_time() = response.submit_time();
    feedback.set_summary(TruncateUtf8(absl::StrCat("Detractor (score ", response.score(), ") on ",
                                                   survey.display_name(), ": ", response.comment()),
                                      relationships::kMaxSummaryChars));
    feedback.set_sentiment(-2);
    auto logged = rel->LogInteractionInTxn(txn, response.relationship(),
                                           FeedbackInteractionId(response.name()), feedback, now);
    if (!logged.ok() && logged.status().code() != absl::StatusCode::kAlreadyExists) {
      return logged.status();
    }
    if (!escalate_detractors) return absl::OkStatus();
    escalations::OpenRequest request;
    request.source_key = absl::StrCat("survey|", response.name());
    request.source = v1::Escalation::LOW_SATISFACTION;
    request.relationship = response.relationship();
    request.service = response.service();
    request.ticket = response.ticket();
    request.title = TruncateUtf8(
        absl::StrCat("Detractor (score ", response.score(), ") on ", survey.display_name()),
        escalations::kMaxTitleChars);
    request.description = response.comment();
    request.severity = v1::SEV3;
    return OpenOrSkip(esc, txn, request, now);
  });
  // Withdrawing the answer removes the feedback logged from it, in the same
  // write, and the comment from the description of an escalation it opened
  // (the change log keeps earlier copies until its retention ends).
  sat->SetWithdrawalHook([rel, esc, clock = config.clock](
                             storage::Txn& txn, const v1::Response& response) -> absl::Status {
    if (response.relationship().empty()) return absl::OkStatus();
    RETURN_IF_ERROR(rel->DeleteInteractionInTxn(txn, response.relationship(),
                                                FeedbackInteractionId(response.name())));
    return esc->RedactInTxn(txn, absl::StrCat("survey|", response.name()),
                            absl::StrCat("description removed: ", response.name(),
                                         ", which it quoted, was withdrawn"),
                            clock->Now());
  });
  metrics::SatisfactionMetrics::Sources satisfaction_sources;
  satisfaction_sources.by_service = [sat, clock = config.clock] {
    auto out = RollingScopeScores(sat, satisfaction::Scope::Kind::kService, clock);
    auto overall = RollingScopeScores(sat, satisfaction::Scope::Kind::kEverything, clock);
    out.insert(out.end(), overall.begin(), overall.end());
    return out;
  };
  satisfaction_sources.by_relationship = [sat, clock = config.clock] {
    return RollingScopeScores(sat, satisfaction::Scope::Kind::kRelationship, clock);
  };
  satisfaction_sources.min_sample_size = config.satisfaction_min_sample_size;
  s->satisfaction_metrics_ = std::make_unique<metrics::SatisfactionMetrics>(
      m, std::move(satisfaction_sources), config.per_relationship_metrics);
  satisfaction::Satisfaction::Observer satisfaction_observer;
  satisfaction_observer.answered = [sm = s->satisfaction_metrics_.get()](
                                       v1::Survey::Kind kind, v1::Response::Category category) {
    sm->ObserveAnswer(v1::Survey::Kind_Name(kind),
                      category == v1::Response::CATEGORY_UNSPECIFIED
                          ? "SKIPPED"
                          : v1::Response::Category_Name(category));
  };
  satisfaction_observer.withdrawn = [sm = s->satisfaction_metrics_.get()](
                                        v1::Survey::Kind kind, v1::Response::Category category) {
    sm->ObserveWithdrawal(v1::Survey::Kind_Name(kind),
                          category == v1::Response::CATEGORY_UNSPECIFIED
                              ? "SKIPPED"
                              : v1::Response::Category_Name(category));
  };
  satisfaction_observer.detractor_comment =
      [rm = s->relationship_metrics_.get()](const v1::Survey&, const v1::Response& response) {
        if (!response.relationship().empty()) {
          rm->ObserveInteraction(v1::Interaction::Kind_Name(v1::Interaction::SURVEY_FEEDBACK));
        }
      };
  sat->SetObserver(std::move(satisfaction_observer));
  s->satisfaction_grpc_ = std::make_unique<satisfaction::SatisfactionGrpc>(sat, gate);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default, which would let a second rapportd
  // share a busy port silently; binding must fail instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  ASSIGN_OR_RETURN(auto credentials, ServerCredentialsFor(config));
  builder.AddListeningPort(config.listen, credentials, &s->grpc_port_);
  builder.SetMaxReceiveMessageSize(config.max_message_bytes);
  builder.RegisterService(s->admin_grpc_.get());
  builder.RegisterService(s->relationships_grpc_.get());
  builder.RegisterService(s->catalog_grpc_.get());
  builder.RegisterService(s->escalations_grpc_.get());
  builder.RegisterService(s->satisfaction_grpc_.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(MakeMetricsInterceptorFactory(m));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->grpc_port_ == 0) {
    // gRPC says which above: a bad TLS certificate or key fails here too.
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", config.listen,
        config.tls_cert.empty()
            ? " (address in use or invalid?)"
            : " (address in use or invalid, or the TLS certificate and key do not load: see the "
              "gRPC error above)"));
  }
  if (!config.metrics_listen.empty()) {
    ASSIGN_OR_RETURN(s->metrics_port_, m->Serve(config.metrics_listen));
  }

  scheduler->Start();
  auto* health = s->server_->GetHealthCheckService();
  health->SetServingStatus(true);
  for (const auto* service : ServedServices()) health->SetServingStatus(service->full_name(), true);
  return s;
}

RapportServer::~RapportServer() { Shutdown(); }

void RapportServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (server_ != nullptr) server_->GetHealthCheckService()->SetServingStatus(false);
  if (scheduler_ != nullptr) scheduler_->Stop();
  // Watch streams never end on their own: end them now rather than after
  // the grace period.
  if (escalations_grpc_ != nullptr) escalations_grpc_->CloseWatches();
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoNanoseconds(config_.grace_period));
    server_->Wait();
  }
  server_.reset();
  store_.reset();  // Drains the commit queue, then closes RocksDB.
}

absl::StatusOr<size_t> RapportServer::ReloadTokens() { return gate_->ReloadTokens(); }

std::shared_ptr<grpc::Channel> RapportServer::InProcessChannel() {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

}  // namespace rapport
