#include "cli/cli.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cli/context.h"
#include "cli/table.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "rapport/v1/admin.grpc.pb.h"

namespace rapport::cli {
namespace {

constexpr char kDefaultServer[] = "127.0.0.1:50051";

// Short forms of the first command word.
const std::map<std::string, std::string>& Aliases() {
  static const auto* const aliases = new std::map<std::string, std::string>{
      {"rel", "relationships"},
  };
  return *aliases;
}

int Health(Context& c) {
  auto stub = grpc::health::v1::Health::NewStub(c.Channel());
  grpc::ClientContext ctx;
  c.Prepare(&ctx);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(c.Get("--service"));
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&ctx, request, &response);
  if (!status.ok()) return c.Fail(status);
  if (c.json()) {
    c.PrintJson(response);
  } else {
    c.out() << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status()) << "\n";
  }
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? kExitOk
                                                                             : kExitRefused;
}

int AdminInfo(Context& c) {
  auto stub = v1::AdminService::NewStub(c.Channel());
  grpc::ClientContext ctx;
  c.Prepare(&ctx);
  v1::ServerInfo info;
  const grpc::Status status = stub->GetServerInfo(&ctx, v1::GetServerInfoRequest(), &info);
  if (!status.ok()) return c.Fail(status);
  if (c.json()) {
    c.PrintJson(info);
    return kExitOk;
  }
  c.out() << "version         " << info.version() << "\n"
          << "data dir        " << info.data_dir() << "\n"
          << "sync writes     " << (info.sync_writes() ? "yes" : "no") << "\n"
          << "schema version  " << info.schema_version() << "\n"
          << "live data       " << info.live_data_bytes() << " bytes\n";
  return kExitOk;
}

int AdminBackup(Context& c) {
  auto stub = v1::AdminService::NewStub(c.Channel());
  grpc::ClientContext ctx;
  c.Prepare(&ctx);
  v1::CreateBackupRequest request;
  request.set_directory(c.args()[0]);
  v1::Backup backup;
  c.err() << "backing up to " << c.args()[0] << " ...\n";
  const grpc::Status status = stub->CreateBackup(&ctx, request, &backup);
  if (!status.ok()) return c.Fail(status);
  if (c.json()) {
    c.PrintJson(backup);
    return kExitOk;
  }
  c.out() << "backup written to " << backup.directory() << ": " << backup.file_count() << " files, "
          << backup.size_bytes() << " bytes, sequence " << backup.sequence_number() << "\n";
  return kExitOk;
}

// A table entry. `args` is the usage of the positional arguments ("ID",
// "QUERY...", "" for none); how many the command takes follows from it.
Command Verb(std::vector<std::string> words, std::string args, std::string help,
             std::string example, std::function<int(Context&)> run, std::vector<Flag> flags = {}) {
  const std::vector<std::string> parts = absl::StrSplit(args, ' ', absl::SkipEmpty());
  Command command;
  command.words = std::move(words);
  command.args = std::move(args);
  command.min_args = static_cast<int>(parts.size());
  command.max_args = !parts.empty() && absl::EndsWith(parts.back(), "...") ? -1 : command.min_args;
  command.flags = std::move(flags);
  command.help = std::move(help);
  command.example = std::move(example);
  command.run = std::move(run);
  return command;
}

// Flags of list commands.
std::vector<Flag> ListFlags(std::vector<Flag> filters = {}) {
  filters.push_back({"--limit", "N", "Show at most N items (default 50)."});
  filters.push_back({"--all", "", "Fetch every page, however many."});
  return filters;
}

const std::vector<Command>& Commands() {
  static const auto* const commands = new std::vector<Command>{
      Verb({"health"}, "", "Checks that rapportd is serving (exit 0 if it is).",
           "rapportctl health", Health,
           {{"--service", "NAME", "Check one gRPC service instead of the whole server."}}),
      Verb({"admin", "info"}, "", "Shows the server's version, data dir and store size.",
           "rapportctl admin info -o json", AdminInfo),
      Verb({"admin", "backup"}, "DIR",
           "Writes an online backup of the store into DIR on the server's host.",
           "rapportctl admin backup /var/backups/rapport/2026-11-23", AdminBackup),

      Verb({"relationships", "list"}, "",
           "Lists business relationships, filtered and ordered as asked.",
           "rapportctl rel list --tier strategic --status at_risk --order updated",
           RelationshipsList,
           ListFlags({
               {"--kind", "KIND", "internal_business_unit|external_customer|supplier|partner"},
               {"--tier", "TIER", "strategic|key|standard"},
               {"--status", "STATUS", "prospect|active|at_risk|dormant|ended"},
               {"--manager", "WHO", "Only this relationship manager (exact match)."},
               {"--label", "KEY[=VALUE]", "Only relationships with this label."},
               {"--parent", "ID", "Only children of this relationship."},
               {"--order", "name|updated", "By name (default) or most recently updated first."},
           })),
      Verb({"relationships", "show"}, "ID",
           "Shows a relationship, its stakeholders and latest interactions.",
           "rapportctl rel show acme", RelationshipsShow),
      Verb({"relationships", "health"}, "ID",
           "Shows health: score, trend, components and the watermelon flag.",
           "rapportctl rel health relationships/acme", RelationshipsHealth),
      Verb({"relationships", "search"}, "QUERY...",
           "Finds relationships whose name starts with QUERY (any case).",
           "rapportctl rel search acme", RelationshipsSearch, ListFlags()),

      Verb({"services", "list"}, "", "Lists the services of the SLA catalog.",
           "rapportctl services list --lifecycle live", ServicesList,
           ListFlags({{"--lifecycle", "STATE", "pipeline|live|retired"}})),
      Verb({"services", "show"}, "ID", "Shows a service of the catalog.",
           "rapportctl services show email", ServicesShow),
      Verb({"calendars", "list"}, "", "Lists the business-hours calendars.",
           "rapportctl calendars list", CalendarsList, ListFlags()),
      Verb({"calendars", "show"}, "ID", "Shows a calendar: time zone, working hours and holidays.",
           "rapportctl calendars show berlin-office", CalendarsShow),
      Verb({"agreements", "list"}, "", "Lists agreements (SLAs, OLAs, underpinning contracts).",
           "rapportctl agreements list --service email --type sla --state effective",
           AgreementsList,
           ListFlags({
               {"--service", "ID", "Only agreements of this service."},
               {"--relationship", "ID", "Only agreements with this relationship."},
               {"--type", "sla|ola|uc", "Only this type (uc: underpinning contract)."},
               {"--state", "STATE", "scheduled|effective|expired (now)"},
           })),
      Verb({"agreements", "show"}, "ID",
           "Shows an agreement at its current revision, with its targets.",
           "rapportctl agreements show email-gold", AgreementsShow),
      Verb({"agreements", "revisions"}, "ID",
           "Lists an agreement's revisions, oldest first, with reasons.",
           "rapportctl agreements revisions email-gold", AgreementsRevisions),
      Verb({"catalog", "apply"}, "FILE",
           "Applies a catalog kept as code (JSON or YAML) in one atomic write.",
           "rapportctl catalog apply catalog.yaml --dry-run", CatalogApply,
           {{"--dry-run", "", "Only report what would change; write nothing."}}),
  };
  return *commands;
}

std::string UsageLine(const Command& c) {
  std::string line = absl::StrCat("rapportctl ", absl::StrJoin(c.words, " "));
  if (!c.args.empty()) absl::StrAppend(&line, " ", c.args);
  if (!c.flags.empty()) absl::StrAppend(&line, " [flags]");
  return line;
}

void PrintGlobalFlags(std::ostream& os) {
  os << "Global flags (anywhere on the line):\n";
  Table table({"", ""});
  table.AddRow({"  --server HOST:PORT",
                absl::StrCat("rapportd's address ($RAPPORT_SERVER, else ", kDefaultServer, ")")});
  table.AddRow({"  --timeout DURATION", "Deadline of each call, e.g. 5s (default 10s)"});
  table.AddRow(
      {"  -o, --output FORMAT", "table (default), or json: protobuf JSON, lists as arrays"});
  table.AddRow({"  -h, --help", "Help for rapportctl or a command"});
  table.Print(os);
}

void PrintUsage(std::ostream& os) {
  os << "rapportctl: the command line of Rapport.\n\n"
        "Usage: rapportctl [global flags] COMMAND [args] [flags]\n\n"
        "Commands:\n";
  Table table({"", ""});
  for (const auto& c : Commands()) {
    std::string name = absl::StrJoin(c.words, " ");
    if (!c.args.empty()) absl::StrAppend(&name, " ", c.args);
    table.AddRow({"  " + name, c.help});
  }
  table.Print(os);
  os << "\nAliases: rel = relationships.\n\n";
  PrintGlobalFlags(os);
  os << "\nExit codes: 0 success, 1 the server refused, 2 usage error, 3 cannot connect.\n"
        "Run rapportctl COMMAND --help for a command's flags and an example.\n";
}

void PrintCommandHelp(const Command& c, std::ostream& os) {
  os << "Usage: " << UsageLine(c) << "\n\n" << c.help << "\n";
  if (!c.flags.empty()) {
    os << "\nFlags:\n";
    Table table({"", ""});
    for (const auto& f : c.flags) {
      table.AddRow({"  " + f.name + (f.value.empty() ? "" : " " + f.value), f.help});
    }
    table.Print(os);
  }
  os << "\n";
  PrintGlobalFlags(os);
  os << "\nExample:\n  " << c.example << "\n";
}

// Splits a command's arguments into flags (checked against its table entry)
// and positional arguments. nullopt after printing a usage error.
std::optional<std::map<std::string, std::string>> ParseFlags(const Command& command,
                                                             const std::vector<std::string>& args,
                                                             std::vector<std::string>* positional,
                                                             std::ostream& err) {
  const std::string words = absl::StrJoin(command.words, " ");
  auto usage = [&](const std::string& message) {
    err << "rapportctl " << words << ": " << message << " (see rapportctl " << words
        << " --help)\n";
    return std::nullopt;
  };
  std::map<std::string, std::string> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      positional->insert(positional->end(), args.begin() + i + 1, args.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      positional->push_back(a);
      continue;
    }
    const size_t eq = a.find('=');
    const std::string name = a.substr(0, eq);
    const auto flag = std::find_if(command.flags.begin(), command.flags.end(),
                                   [&](const Flag& f) { return f.name == name; });
    if (flag == command.flags.end()) return usage("unknown flag " + name);
    if (flag->value.empty()) {
      if (eq != std::string::npos) return usage(name + " takes no value");
      flags[name] = "";
    } else if (eq != std::string::npos) {
      flags[name] = a.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      flags[name] = args[++i];
    } else {
      return usage(name + " needs a value (" + flag->value + ")");
    }
  }
  const int n = static_cast<int>(positional->size());
  if (n < command.min_args || (command.max_args >= 0 && n > command.max_args)) {
    if (command.max_args == 0) return usage("takes no arguments, got '" + (*positional)[0] + "'");
    return usage(
        absl::StrCat("expects ", command.args, ", got ", n, " argument", n == 1 ? "" : "s"));
  }
  return flags;
}

}  // namespace

std::vector<CommandSpec> CommandSpecs() {
  std::vector<CommandSpec> specs;
  for (const auto& c : Commands()) {
    CommandSpec spec{c.words, {}};
    for (const auto& f : c.flags) spec.flags.push_back(f.name);
    specs.push_back(std::move(spec));
  }
  return specs;
}

std::vector<std::string> GlobalFlags() {
  return {"--server", "--timeout", "-o", "--output", "--help", "-h"};
}

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           const std::string& env_server) {
  Options options;
  options.server = env_server.empty() ? kDefaultServer : env_server;
  std::vector<std::string> rest;
  bool help = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::optional<std::string> missing;  // A global flag given without its value.
    auto value = [&](absl::string_view flag) -> std::optional<std::string> {
      if (absl::StartsWith(a, absl::StrCat(flag, "="))) return a.substr(flag.size() + 1);
      if (a != flag) return std::nullopt;
      if (i + 1 < args.size()) return args[++i];
      missing = a;
      return std::nullopt;
    };
    if (auto v = value("--server")) {
      options.server = *v;
    } else if (auto v = value("--timeout")) {
      if (!absl::ParseDuration(*v, &options.timeout) || options.timeout <= absl::ZeroDuration()) {
        err << "rapportctl: --timeout must be a positive duration such as 5s, got '" << *v << "'\n";
        return kExitUsage;
      }
    } else if (auto v = value("-o"); v || (!missing && (v = value("--output")))) {
      if (*v != "table" && *v != "json") {
        err << "rapportctl: -o must be table or json, got '" << *v << "'\n";
        return kExitUsage;
      }
      options.output = *v;
    } else if (missing) {
      err << "rapportctl: " << *missing << " needs a value\n";
      return kExitUsage;
    } else if (a == "--help" || a == "-h" || (a == "help" && rest.empty())) {
      help = true;
    } else {
      rest.push_back(a);
    }
  }
  if (!rest.empty()) {
    if (auto alias = Aliases().find(rest[0]); alias != Aliases().end()) rest[0] = alias->second;
  }

  // The longest command whose words prefix the arguments.
  const Command* match = nullptr;
  for (const auto& c : Commands()) {
    if (c.words.size() > rest.size()) continue;
    if (!std::equal(c.words.begin(), c.words.end(), rest.begin())) continue;
    if (match == nullptr || c.words.size() > match->words.size()) match = &c;
  }
  if (match == nullptr) {
    if (rest.empty()) {
      PrintUsage(help ? out : err);
      return help ? kExitOk : kExitUsage;
    }
    if (rest[0].size() > 1 && rest[0][0] == '-') {
      err << "rapportctl: unknown flag " << rest[0].substr(0, rest[0].find('='))
          << "; run rapportctl --help for the list\n";
      return kExitUsage;
    }
    // A group without its verb ("rapportctl agreements"): list the verbs.
    std::vector<std::string> verbs;
    for (const auto& c : Commands()) {
      if (c.words.size() > 1 && c.words[0] == rest[0]) verbs.push_back(c.words[1]);
    }
    if (!verbs.empty() && (rest.size() == 1 || help)) {
      (help ? out : err) << "rapportctl " << rest[0] << ": choose one of "
                         << absl::StrJoin(verbs, ", ") << " (rapportctl " << rest[0]
                         << " VERB --help for more)\n";
      return help ? kExitOk : kExitUsage;
    }
    err << "rapportctl: unknown command '" << absl::StrJoin(rest, " ")
        << "'; run rapportctl --help for the list\n";
    return kExitUsage;
  }
  if (help) {
    PrintCommandHelp(*match, out);
    return kExitOk;
  }
  std::vector<std::string> positional;
  auto flags =
      ParseFlags(*match, std::vector<std::string>(rest.begin() + match->words.size(), rest.end()),
                 &positional, err);
  if (!flags) return kExitUsage;
  Context context(options, *match, std::move(positional), *std::move(flags), out, err);
  return match->run(context);
}

}  // namespace rapport::cli
