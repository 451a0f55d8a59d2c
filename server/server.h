// RapportServer wires rapportd together: the store, the scheduler, the
// metrics, the domain objects, their gRPC adapters, health checking and
// reflection. main.cc only parses flags and waits for a signal; tests start
// the same object in-process.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/server.h"
#include "metrics/metrics.h"
#include "server/access_gate.h"
#include "metrics/relationship_metrics.h"
#include "metrics/escalation_metrics.h"
#include "metrics/sla_metrics.h"
#include "metrics/satisfaction_metrics.h"
#include "services/admin/admin.h"
#include "services/admin/admin_grpc.h"
#include "services/escalations/escalations.h"
#include "services/escalations/escalations_grpc.h"
#include "services/relationships/relationships.h"
#include "services/relationships/relationships_grpc.h"
#include "services/sla/catalog.h"
#include "services/sla/catalog_grpc.h"
#include "services/satisfaction/satisfaction.h"
#include "services/satisfaction/satisfaction_grpc.h"
#include "storage/clock.h"
#include "storage/scheduler.h"
#include "storage/store.h"

namespace rapport {

// Rapport's version, from the build.
const char* RapportVersion();

struct ServerConfig {
  // gRPC address (host:port); port 0 picks a free one.
  std::string listen = "127.0.0.1:50051";
  // Address of the Prometheus /metrics endpoint; empty disables it.
  std::string metrics_listen = "127.0.0.1:9464";
  // Directory of the embedded store.
  std::string data_dir = "./data";
  // Sync every acknowledged write to the WAL (shared by concurrent calls).
  bool sync_writes = true;
  // How long in-flight calls may take to finish on shutdown.
  absl::Duration grace_period = absl::Seconds(10);
  // Time source; tests inject a fake clock. Must outlive the server.
  Clock* clock = &RealClock();
  // Relationship health weights and bands.
  relationships::HealthConfig health;
  // Export per-relationship series (cardinality grows with the register).
  bool per_relationship_metrics = false;
  // `escalation_policies/{id}` used by escalations that SLA crossings open;
  // empty: crossings open none (the agreement rules are then ignored).
  std::string default_escalation_policy;
  // A detractor's answer with a comment also opens an escalation (source
  // LOW_SATISFACTION) under default_escalation_policy, in the answer's write.
  bool escalate_detractors = false;
  // A complaint logged on a relationship (an interaction of kind COMPLAINT)
  // opens an escalation (source COMPLAINT) under default_escalation_policy,
  // in the complaint's write.
  bool escalate_complaints = false;
  // Below this many answers a satisfaction figure is not significant.
  int satisfaction_min_sample_size = 30;
  // How long crossings implied by events placed in the past wait for more
  // events before they are recorded.
  absl::Duration sla_backfill_settle = absl::Minutes(1);
  // How long the escalation change log keeps a change (zero: forever).
  absl::Duration escalation_change_retention = absl::Hours(24 * 30);

  // TLS on the gRPC port: PEM certificate chain and key files; both empty
  // serves plaintext. With client_ca (PEM), clients must present a
  // certificate signed by it (mutual TLS).
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  // Bearer tokens (server/tokens.h); empty: every call is admitted as
  // "anonymous" with every role (main.cc allows that only when asked).
  std::string auth_tokens_file;
  // Largest request message accepted, in bytes.
  int max_message_bytes = 4 << 20;
  // Deadline of calls that come without one: their writes are not applied
  // once it has passed.
  absl::Duration default_deadline = absl::Seconds(30);
};

// Parses --health_weights ("sla=25,nps=20,...") and --health_bands ("50,75")
// into `config`. INVALID_ARGUMENT naming the flag on a bad value.
absl::Status ParseHealthFlags(absl::string_view weights, absl::string_view bands,
                              relationships::HealthConfig* config);

class RapportServer final {
 public:
  // Opens the store (failing fast with a clear message if it cannot), builds
  // every service and starts serving. Health is SERVING once this returns.
  static absl::StatusOr<std::unique_ptr<RapportServer>> Start(const ServerConfig& config);

  // Shuts down if Shutdown() was not called.
  ~RapportServer();

  // Stops gracefully: health NOT_SERVING, no more timer firings, no new calls,
  // in-flight calls get the grace period to finish, then the store closes.
  void Shutdown();

  int grpc_port() const { return grpc_port_; }
  // 0 when metrics are disabled.
  int metrics_port() const { return metrics_port_; }

  // A channel to this server that skips the network (for tests).
  std::shared_ptr<grpc::Channel> InProcessChannel();

  // Reads the tokens file again (SIGHUP); on an error the tokens in use stay.
  // Returns the number of principals.
  absl::StatusOr<size_t> ReloadTokens();

  storage::Store& store() { return *store_; }
  storage::Scheduler& scheduler() { return *scheduler_; }
  metrics::Metrics& metrics() { return *metrics_; }

 private:
  explicit RapportServer(const ServerConfig& config) : config_(config) {}

  const ServerConfig config_;
  std::unique_ptr<metrics::Metrics> metrics_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<storage::Scheduler> scheduler_;
  std::unique_ptr<access::AccessGate> gate_;
  std::unique_ptr<admin::Admin> admin_;
  std::unique_ptr<admin::AdminGrpc> admin_grpc_;
  std::unique_ptr<relationships::ExternalSignals> signals_;
  std::unique_ptr<relationships::Relationships> relationships_;
  std::unique_ptr<relationships::RelationshipsGrpc> relationships_grpc_;
  std::unique_ptr<metrics::RelationshipMetrics> relationship_metrics_;
  std::unique_ptr<sla::Catalog> catalog_;
  std::unique_ptr<sla::Tickets> tickets_;
  std::unique_ptr<metrics::SlaMetrics> sla_metrics_;
  std::unique_ptr<escalations::Escalations> escalations_;
  std::unique_ptr<metrics::EscalationMetrics> escalation_metrics_;
  std::unique_ptr<escalations::EscalationsGrpc> escalations_grpc_;
  std::unique_ptr<sla::CatalogGrpc> catalog_grpc_;
  std::unique_ptr<satisfaction::References> satisfaction_references_;
  std::unique_ptr<satisfaction::Satisfaction> satisfaction_;
  std::unique_ptr<satisfaction::SatisfactionGrpc> satisfaction_grpc_;
  std::unique_ptr<metrics::SatisfactionMetrics> satisfaction_metrics_;
  std::unique_ptr<grpc::Server> server_;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
  bool shut_down_ = false;
};

}  // namespace rapport
