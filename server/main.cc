// rapportd: the Rapport server. Parses flags, starts RapportServer, and waits
// for SIGTERM or SIGINT to shut down gracefully.
#include <csignal>
#include <cstdio>
#include <pthread.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_cat.h"
#include "server/config_file.h"
#include "server/server.h"
#include "storage/logging.h"

ABSL_FLAG(std::string, config, "",
          "Configuration file: `key = value` lines, keys named like these flags (see "
          "rapportd.conf.example). Flags given on the command line override it.");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "gRPC address to serve on, host:port; port 0 picks a free port (logged at start).");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464",
          "Address of the Prometheus /metrics endpoint, host:port; port 0 picks a free port; "
          "empty disables it.");
ABSL_FLAG(std::string, data_dir, "./data",
          "Directory of the embedded RocksDB store; created if missing.");
ABSL_FLAG(bool, sync_writes, true,
          "Sync each acknowledged write to the write-ahead log (concurrent writes share one "
          "sync). false is faster but a machine crash may lose the last acknowledged writes.");
ABSL_FLAG(bool, per_relationship_metrics, false,
          "Export rapport_relationship_health_score per relationship: one series per "
          "relationship, for small installations.");
ABSL_FLAG(std::string, health_weights, "sla=25,escalations=15,nps=20,csat=10,feedback=10,"
          "engagement=10,opportunities=10",
          "Relationship health component weights, name=weight, comma-separated; unlisted "
          "components keep their default.");
ABSL_FLAG(std::string, health_bands, "50,75",
          "Relationship health bands: RED below the first number, GREEN from the second, AMBER "
          "between.");
ABSL_FLAG(std::string, default_escalation_policy, "",
          "escalation_policies/{id} for the escalations that SLA warnings and breaches open when "
          "their agreement asks; empty: SLA crossings open no escalations. While it names no "
          "existing policy, crossings, complaints and answers are recorded without one (logged).");
ABSL_FLAG(bool, escalate_detractors, false,
          "A detractor's survey answer with a comment also opens an escalation (source "
          "LOW_SATISFACTION) under --default_escalation_policy, in the answer's own write.");
ABSL_FLAG(bool, escalate_complaints, false,
          "A complaint logged on a relationship (interaction kind COMPLAINT) opens an escalation "
          "(source COMPLAINT) under --default_escalation_policy, in the complaint's own write.");
ABSL_FLAG(absl::Duration, escalation_change_retention, absl::Hours(24 * 30),
          "How long the escalation change log behind WatchEscalations keeps a change (0: "
          "forever). A watch resuming after a deleted change gets OUT_OF_RANGE.");
ABSL_FLAG(absl::Duration, sla_backfill_settle, absl::Minutes(1),
          "A warning or breach that an event placed in the past implies (a portal back-filling "
          "a ticket's history event by event) is recorded once no further event of the ticket "
          "came for this long; live crossings are recorded at their instant.");
ABSL_FLAG(int32_t, satisfaction_min_sample_size, 30,
          "Below this many answers an NPS, CSAT or CES figure is marked not significant.");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain of the gRPC port; with --tls_key serves TLS.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA certificates: clients must present a certificate signed by one (mutual TLS).");
ABSL_FLAG(bool, allow_plaintext, false,
          "Serve plaintext gRPC when no --tls_cert is given (rapportd refuses to start "
          "otherwise); warns when the address is not loopback.");
ABSL_FLAG(std::string, auth_tokens_file, "",
          "Tokens file: per principal, the SHA-256 of its bearer token and its roles (see "
          "README). Reloaded on SIGHUP.");
ABSL_FLAG(bool, allow_unauthenticated, false,
          "Admit calls without a bearer token, as \"anonymous\" with every role, when no "
          "--auth_tokens_file is given (rapportd refuses to start otherwise).");
ABSL_FLAG(int32_t, max_message_bytes, 4 << 20,
          "Largest request message accepted, in bytes; larger ones get RESOURCE_EXHAUSTED.");
ABSL_FLAG(absl::Duration, default_deadline, absl::Seconds(30),
          "Deadline of calls that come without one: a write that has not started by then is "
          "not applied (DEADLINE_EXCEEDED).");
ABSL_FLAG(absl::Duration, grace_period, absl::Seconds(10),
          "On SIGTERM/SIGINT, how long in-flight calls may take to finish.");

namespace {

std::string HostOf(const std::string& address) {
  const auto colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "[::1]" || host == "::1" ||
         absl::StartsWith(host, "127.");
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Rapport server: ITIL 4 relationship and service level management over gRPC.\n"
      "Usage: rapportd [--listen=HOST:PORT] [--metrics_listen=HOST:PORT] [--data_dir=DIR] "
      "[--sync_writes=true|false] [--grace_period=10s]\n"
      "       (--tls_cert=F --tls_key=F | --allow_plaintext) "
      "(--auth_tokens_file=F | --allow_unauthenticated)");
  // --help lists the flags of this file (Abseil's default looks for files
  // named after the program).
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "server/main.cc");
  };
  absl::SetFlagsUsageConfig(usage_config);
  absl::ParseCommandLine(argc, argv);
  // Debian builds Abseil with mutex deadlock detection on; it costs a
  // graph update per lock on every request path.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (auto status = rapport::LoadConfigFile(absl::GetFlag(FLAGS_config), argc, argv);
      !status.ok()) {
    rapport::LogError(absl::StrCat("rapportd: ", status.message()));
    return 2;
  }

  // Block the shutdown signals in every thread (threads inherit the mask), so
  // that only the sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  rapport::ServerConfig config;
  config.listen = absl::GetFlag(FLAGS_listen);
  config.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  config.data_dir = absl::GetFlag(FLAGS_data_dir);
  config.sync_writes = absl::GetFlag(FLAGS_sync_writes);
  config.grace_period = absl::GetFlag(FLAGS_grace_period);
  config.per_relationship_metrics = absl::GetFlag(FLAGS_per_relationship_metrics);
  config.default_escalation_policy = absl::GetFlag(FLAGS_default_escalation_policy);
  config.escalate_detractors = absl::GetFlag(FLAGS_escalate_detractors);
  config.escalate_complaints = absl::GetFlag(FLAGS_escalate_complaints);
  config.satisfaction_min_sample_size = absl::GetFlag(FLAGS_satisfaction_min_sample_size);
  config.escalation_change_retention = absl::GetFlag(FLAGS_escalation_change_retention);
  config.sla_backfill_settle = absl::GetFlag(FLAGS_sla_backfill_settle);
  if (config.sla_backfill_settle < absl::ZeroDuration()) {
    rapport::LogError("rapportd: --sla_backfill_settle must not be negative");
    return 2;
  }
  if (config.escalation_change_retention < absl::ZeroDuration()) {
    rapport::LogError("rapportd: --escalation_change_retention must not be negative");
    return 2;
  }
  if (config.satisfaction_min_sample_size < 1) {
    rapport::LogError("rapportd: --satisfaction_min_sample_size must be at least 1");
    return 2;
  }
  if ((config.escalate_detractors || config.escalate_complaints) &&
      config.default_escalation_policy.empty()) {
    rapport::LogError(
        "rapportd: --escalate_detractors and --escalate_complaints need "
        "--default_escalation_policy (the policy of the escalations they open)");
    return 2;
  }
  config.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  config.tls_key = absl::GetFlag(FLAGS_tls_key);
  config.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  config.auth_tokens_file = absl::GetFlag(FLAGS_auth_tokens_file);
  config.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  config.default_deadline = absl::GetFlag(FLAGS_default_deadline);
  if (config.default_deadline <= absl::ZeroDuration()) {
    rapport::LogError("rapportd: --default_deadline must be positive");
    return 2;
  }
  const bool loopback = IsLoopback(HostOf(config.listen));
  if (config.tls_cert.empty() && config.tls_key.empty()) {
    if (!absl::GetFlag(FLAGS_allow_plaintext)) {
      rapport::LogError(
          "rapportd: give --tls_cert and --tls_key, or serve plaintext explicitly with "
          "--allow_plaintext");
      return 2;
    }
    if (!loopback) {
      rapport::LogWarning(absl::StrCat("rapportd: serving PLAINTEXT gRPC on ", config.listen,
                                       ", which is not a loopback address: tokens and data "
                                       "cross the network unencrypted"));
    }
  }
  if (config.auth_tokens_file.empty() && !absl::GetFlag(FLAGS_allow_unauthenticated)) {
    rapport::LogError(
        "rapportd: give --auth_tokens_file, or admit calls without a token explicitly with "
        "--allow_unauthenticated");
    return 2;
  }
  if (config.auth_tokens_file.empty() && !loopback) {
    rapport::LogWarning(absl::StrCat("rapportd: calls on ", config.listen,
                                     " are admitted WITHOUT authentication"));
  }
  if (config.max_message_bytes < 1024) {
    rapport::LogError("rapportd: --max_message_bytes must be at least 1024");
    return 2;
  }
  if (auto status = rapport::ParseHealthFlags(absl::GetFlag(FLAGS_health_weights),
                                              absl::GetFlag(FLAGS_health_bands), &config.health);
      !status.ok()) {
    rapport::LogError(absl::StrCat("rapportd: ", status.message()));
    return 2;
  }

  auto server = rapport::RapportServer::Start(config);
  if (!server.ok()) {
    rapport::LogError(absl::StrCat("rapportd cannot start: ", server.status().message()));
    return 1;
  }
  const std::string metrics =
      config.metrics_listen.empty()
          ? "off"
          : absl::StrCat(HostOf(config.metrics_listen), ":", (*server)->metrics_port());
  rapport::LogInfo(absl::StrCat("rapportd ", rapport::RapportVersion(), " serving grpc=",
                                HostOf(config.listen), ":", (*server)->grpc_port(),
                                " metrics=", metrics, " data_dir=", config.data_dir,
                                " sync_writes=", config.sync_writes ? "true" : "false",
                                " tls=", config.tls_cert.empty() ? "off" : (config.tls_client_ca.empty() ? "on" : "mutual"),
                                " auth=", config.auth_tokens_file.empty() ? "off" : "tokens"));

  int signal = 0;
  for (;;) {
    sigwait(&signals, &signal);
    if (signal != SIGHUP) break;
    if (config.auth_tokens_file.empty()) {
      rapport::LogInfo("rapportd received SIGHUP; no tokens file to reload");
      continue;
    }
    auto reloaded = (*server)->ReloadTokens();
    if (reloaded.ok()) {
      rapport::LogInfo(absl::StrCat("rapportd reloaded ", config.auth_tokens_file, ": ",
                                    *reloaded, " principals"));
    } else {
      rapport::LogError(absl::StrCat("rapportd kept its tokens: ", reloaded.status().message()));
    }
  }
  rapport::LogInfo(absl::StrCat("rapportd received ", signal == SIGTERM ? "SIGTERM" : "SIGINT",
                                ", shutting down"));
  (*server)->Shutdown();
  rapport::LogInfo("rapportd stopped");
  return 0;
}
