#include "cli/cli.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "rapport/v1/admin.grpc.pb.h"

namespace rapport::cli {
namespace {

constexpr char kDefaultServer[] = "127.0.0.1:50051";

// Global options, parsed before the command.
struct Options {
  std::string server;
  absl::Duration timeout = absl::Seconds(10);
  std::string output = "table";  // "table" or "json".
};

struct Context {
  Options options;
  std::vector<std::string> args;  // After the command words.
  std::ostream& out;
  std::ostream& err;

  std::shared_ptr<grpc::Channel> Channel() const {
    return grpc::CreateChannel(options.server, grpc::InsecureChannelCredentials());
  }
  void Prepare(grpc::ClientContext* ctx) const {
    ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(options.timeout));
  }
  // Prints a failed call and returns its exit code.
  int Fail(const grpc::Status& status) const {
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
        (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
         absl::StrContains(status.error_message(), "connect"))) {
      err << "rapportctl: cannot reach rapportd at " << options.server << " ("
          << status.error_message() << ")\n";
      return kExitUnreachable;
    }
    err << "rapportctl: " << CodeName(status.error_code()) << ": " << status.error_message() << "\n";
    return kExitRefused;
  }
  static std::string CodeName(grpc::StatusCode code);
  void PrintJson(const google::protobuf::Message& message) const {
    std::string json;
    google::protobuf::util::JsonPrintOptions print;
    print.add_whitespace = true;
    print.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(message, &json, print);
    out << json;
  }
};

std::string Context::CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
      "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i <= 16 ? kNames[i] : "UNKNOWN";
}

struct Command {
  std::vector<std::string> words;  // e.g. {"admin", "backup"}.
  std::string usage;               // Arguments after the words.
  std::string help;                // One line.
  std::string example;
  std::function<int(Context&)> run;
};

int Health(Context& c) {
  std::string service;
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (absl::StartsWith(c.args[i], "--service=")) {
      service = c.args[i].substr(10);
    } else {
      c.err << "rapportctl health: unexpected argument '" << c.args[i] << "'\n";
      return kExitUsage;
    }
  }
  auto stub = grpc::health::v1::Health::NewStub(c.Channel());
  grpc::ClientContext ctx;
  c.Prepare(&ctx);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&ctx, request, &response);
  if (!status.ok()) return c.Fail(status);
  if (c.options.output == "json") {
    c.PrintJson(response);
  } else {
    c.out << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status()) << "\n";
  }
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? kExitOk
                                                                              : kExitRefused;
}

int AdminInfo(Context& c) {
  if (!c.args.empty()) {
    c.err << "rapportctl admin info: takes no arguments\n";
    return kExitUsage;
  }
  auto stub = v1::AdminService::NewStub(c.Channel());
  grpc::ClientContext ctx;
  c.Prepare(&ctx);
  v1::ServerInfo info;
  const grpc::Status status = stub->GetServerInfo(&ctx, v1::GetServerInfoRequest(), &info);
  if (!status.ok()) return c.Fail(status);
  if (c.options.output == "json") {
    c.PrintJson(info);
    return kExitOk;
  }
  c.out << "version         " << info.version() << "\n"
        << "data dir        " << info.data_dir() << "\n"
        << "sync writes     " << (info.sync_writes() ? "yes" : "no") << "\n"
        << "schema version  " << info.schema_version() << "\n"
        << "live data       " << info.live_data_bytes() << " bytes\n";
  return kExitOk;
}

int AdminBackup(Context& c) {
  if (c.args.size() != 1) {
    c.err << "rapportctl admin backup: expects one argument, the backup directory\n";
    return kExitUsage;
  }
  auto stub = v1::AdminService::NewStub(c.Channel());
  grpc::ClientContext ctx;
  c.Prepare(&ctx);
  v1::CreateBackupRequest request;
  request.set_directory(c.args[0]);
  v1::Backup backup;
  c.err << "backing up to " << c.args[0] << " ...\n";
  const grpc::Status status = stub->CreateBackup(&ctx, request, &backup);
  if (!status.ok()) return c.Fail(status);
  if (c.options.output == "json") {
    c.PrintJson(backup);
    return kExitOk;
  }
  c.out << "backup written to " << backup.directory() << ": " << backup.file_count()
        << " files, " << backup.size_bytes() << " bytes, sequence " << backup.sequence_number()
        << "\n";
  return kExitOk;
}

const std::vector<Command>& Commands() {
  static const auto* const commands = new std::vector<Command>{
      {{"health"}, "[--service=NAME]", "Checks that rapportd is serving (exit 0 if it is).",
       "rapportctl health", Health},
      {{"admin", "info"}, "", "Shows the server's version, data dir and store size.",
       "rapportctl admin info -o json", AdminInfo},
      {{"admin", "backup"}, "DIR",
       "Writes an online backup of the store into DIR on the server's machine.",
       "rapportctl admin backup /var/backups/rapport/2026-11-23", AdminBackup},
  };
  return *commands;
}

void PrintUsage(std::ostream& os) {
  os << "rapportctl: the command line of Rapport.\n\n"
        "Usage: rapportctl [--server=HOST:PORT] [--timeout=10s] [-o table|json] COMMAND ...\n\n"
        "Commands:\n";
  for (const auto& c : Commands()) {
    const std::string name = absl::StrJoin(c.words, " ");
    os << "  " << name << (c.usage.empty() ? "" : " " + c.usage) << "\n      " << c.help << "\n";
  }
  os << "\nThe server defaults to $RAPPORT_SERVER, else " << kDefaultServer
     << ".\nExit codes: 0 success, 1 the server refused, 2 usage error, 3 cannot connect.\n";
}

}  // namespace

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           const std::string& env_server) {
  Options options;
  options.server = env_server.empty() ? kDefaultServer : env_server;
  std::vector<std::string> rest;
  bool help = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](absl::string_view flag) -> std::optional<std::string> {
      if (absl::StartsWith(a, absl::StrCat(flag, "="))) return a.substr(flag.size() + 1);
      if (a == flag && i + 1 < args.size()) return args[++i];
      return std::nullopt;
    };
    if (auto v = value("--server")) {
      options.server = *v;
    } else if (auto v = value("--timeout")) {
      if (!absl::ParseDuration(*v, &options.timeout) || options.timeout <= absl::ZeroDuration()) {
        err << "rapportctl: --timeout must be a positive duration such as 5s, got '" << *v << "'\n";
        return kExitUsage;
      }
    } else if (auto v = value("-o"); v || (v = value("--output"))) {
      if (*v != "table" && *v != "json") {
        err << "rapportctl: -o must be table or json, got '" << *v << "'\n";
        return kExitUsage;
      }
      options.output = *v;
    } else if (a == "--help" || a == "-h" || a == "help") {
      help = true;
    } else {
      rest.push_back(a);
    }
  }

  // The longest command whose words prefix the arguments.
  const Command* match = nullptr;
  for (const auto& c : Commands()) {
    if (c.words.size() > rest.size()) continue;
    if (!std::equal(c.words.begin(), c.words.end(), rest.begin())) continue;
    if (match == nullptr || c.words.size() > match->words.size()) match = &c;
  }
  if (match == nullptr) {
    if (help || rest.empty()) {
      PrintUsage(help ? out : err);
      return help ? kExitOk : kExitUsage;
    }
    err << "rapportctl: unknown command '" << absl::StrJoin(rest, " ")
        << "'; run rapportctl --help for the list\n";
    return kExitUsage;
  }
  if (help) {
    out << "Usage: rapportctl " << absl::StrJoin(match->words, " ")
        << (match->usage.empty() ? "" : " " + match->usage) << "\n\n"
        << match->help << "\n\nExample:\n  " << match->example << "\n";
    return kExitOk;
  }
  Context context{options, std::vector<std::string>(rest.begin() + match->words.size(), rest.end()),
                  out, err};
  return match->run(context);
}

}  // namespace rapport::cli
