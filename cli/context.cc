#include "cli/context.h"

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "cli/cli.h"
#include "cli/format.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace rapport::cli {
namespace {

std::string CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i <= 16 ? kNames[i] : "UNKNOWN";
}

std::string ToJson(const google::protobuf::Message& message, bool multiline = true) {
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = multiline;
  print.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, print);
  while (!json.empty() && json.back() == '\n') json.pop_back();
  return json;
}

// Whether `server` ("host:port") names this machine: a token sent there in
// plaintext does not cross a network.
bool IsLoopback(absl::string_view server) {
  return absl::StartsWith(server, "127.") || absl::StartsWith(server, "localhost:") ||
         absl::StartsWith(server, "[::1]:") || absl::StartsWith(server, "unix:") ||
         server == "localhost";
}

// What to check when a connection failed in a way that points at TLS.
std::string TlsHint(bool tls, absl::string_view message) {
  const std::string lower = absl::AsciiStrToLower(message);
  if (tls && (absl::StrContains(lower, "ssl") || absl::StrContains(lower, "handshake") ||
              absl::StrContains(lower, "certificate"))) {
    return "; check --tls_ca, --tls_server_name and --tls_cert/--tls_key";
  }
  if (!tls &&
      (absl::StrContains(lower, "socket closed") || absl::StrContains(lower, "connection reset"))) {
    return "; if rapportd serves TLS, give --tls_ca";
  }
  return "";
}

}  // namespace

std::shared_ptr<grpc::Channel> Context::Channel() {
  if (channel_ != nullptr) return channel_;
  // Retry a lost connection within seconds rather than gRPC's default of up
  // to two minutes: `escalations watch` reconnects on this channel.
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 250);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  const TlsOptions& tls = options_.tls;
  if (!tls.enabled) {
    if (!options_.token.empty() && !IsLoopback(options_.server)) {
      err_ << "rapportctl: warning: sending the token to " << options_.server
           << " without TLS, readable on the network (use --tls_ca)\n";
    }
    channel_ =
        grpc::CreateCustomChannel(options_.server, grpc::InsecureChannelCredentials(), arguments);
    return channel_;
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = tls.ca_pem;
  ssl.pem_cert_chain = tls.cert_pem;
  ssl.pem_private_key = tls.key_pem;
  if (!tls.server_name.empty()) {
    arguments.SetString(GRPC_SSL_TARGET_NAME_OVERRIDE_ARG, tls.server_name);
  }
  channel_ = grpc::CreateCustomChannel(options_.server, grpc::SslCredentials(ssl), arguments);
  return channel_;
}

void Context::Prepare(grpc::ClientContext* ctx) const {
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(options_.timeout));
  Authorize(ctx);
}

void Context::Authorize(grpc::ClientContext* ctx) const {
  if (!options_.token.empty()) ctx->AddMetadata("authorization", "Bearer " + options_.token);
}

int Context::Fail(const grpc::Status& status, const std::string& subject) const {
  const std::string& message = status.error_message();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
       absl::StrContains(message, "connect"))) {
    err_ << "rapportctl: cannot reach rapportd at " << options_.server << " (" << message << ")"
         << TlsHint(options_.tls.enabled, message) << "\n";
    return kExitUnreachable;
  }
  const std::string prefix = subject.empty() ? "rapportctl: " : "rapportctl: " + subject + ": ";
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    if (options_.token.empty()) {
      err_ << prefix << "not authenticated: set --token or RAPPORT_TOKEN (" << message << ")\n";
    } else {
      err_ << prefix << "not authenticated: the server refused the token (" << message << ")\n";
    }
    return kExitUnauthenticated;
  }
  if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
    err_ << prefix << "permission denied: " << message << "\n";
    return kExitPermissionDenied;
  }
  err_ << prefix << CodeName(status.error_code()) << ": " << message << "\n";
  return kExitRefused;
}

int Context::Usage(const std::string& message) const {
  const std::string words = absl::StrJoin(command_.words, " ");
  err_ << "rapportctl " << words << ": " << message << " (see rapportctl " << words << " --help)\n";
  return kExitUsage;
}

void Context::PrintJson(const google::protobuf::Message& message) const {
  out_ << ToJson(message) << "\n";
}

void Context::PrintJsonLine(const google::protobuf::Message& message) const {
  out_ << ToJson(message, /*multiline=*/false) << "\n";
}

void Context::PrintJsonArray(const std::vector<const google::protobuf::Message*>& messages) const {
  if (messages.empty()) {
    out_ << "[]\n";
    return;
  }
  out_ << "[\n";
  for (size_t i = 0; i < messages.size(); ++i) {
    out_ << ToJson(*messages[i]) << (i + 1 < messages.size() ? ",\n" : "\n");
  }
  out_ << "]\n";
}

bool Context::EnumFlag(const std::string& name, const google::protobuf::EnumDescriptor* descriptor,
                       int* value) const {
  if (!Has(name)) return true;
  const auto parsed = ParseEnum(descriptor, Get(name));
  if (!parsed) {
    Usage(name + " must be one of " + EnumChoices(descriptor) + ", got '" + Get(name) + "'");
    return false;
  }
  *value = *parsed;
  return true;
}

std::optional<Context::Limit> Context::ListLimit() const {
  Limit limit;
  limit.all = Has("--all");
  if (Has("--limit")) {
    if (limit.all) {
      Usage("--limit and --all exclude each other");
      return std::nullopt;
    }
    if (!absl::SimpleAtoi(Get("--limit"), &limit.count) || limit.count <= 0) {
      Usage("--limit must be a positive number, got '" + Get("--limit") + "'");
      return std::nullopt;
    }
  }
  return limit;
}

void Context::NoteMore(bool more, size_t shown) const {
  if (more && !json()) {
    err_ << "(" << shown << " shown; more with --limit N or --all)\n";
  }
}

}  // namespace rapport::cli
