#include "cli/cli.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "absl/status/statusor.h"
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
      {"esc", "escalations"},
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
          << "store size      " << info.sst_files_bytes() << " bytes in table files, "
          << info.memtable_bytes() << " bytes in memtables\n";
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

      Verb({"escalations", "list"}, "",
           "Lists escalations that need someone (open, acknowledged, on hold), newest first; "
           "--all lists every escalation in every state.",
           "rapportctl esc list --severity sev1 --relationship acme", EscalationsList,
           ListFlags({
               {"--state", "STATE[,STATE]",
                "active (default: open,acknowledged,on_hold; with --all: all), all, or any of "
                "open|acknowledged|on_hold|resolved|closed|cancelled"},
               {"--severity", "SEV", "sev1|sev2|sev3|sev4"},
               {"--level", "N", "Only at this level of the policy (0 is the first)."},
               {"--relationship", "ID", "Only escalations of this relationship."},
               {"--service", "ID", "Only escalations of this service."},
               {"--assignee", "WHO", "Only escalations assigned to WHO."},
               {"--source", "SOURCE", "manual|sla_warning|sla_breach|complaint|low_satisfaction"},
           })),
      Verb({"escalations", "show"}, "ID",
           "Shows an escalation: details, its policy's levels and the whole timeline.",
           "rapportctl esc show 7d3kq2m9x4b1c8fz", EscalationsShow),
      Verb({"escalations", "create"}, "",
           "Opens an escalation by hand at the first level of its policy.",
           "rapportctl esc create --relationship acme --severity sev2 --policy standard "
           "--title 'Invoices late for the third time'",
           EscalationsCreate,
           {
               {"--relationship", "ID", "Required: whose escalation it is."},
               {"--title", "TEXT", "Required: what is wrong, in one line."},
               {"--severity", "SEV", "Required: sev1|sev2|sev3|sev4 (sev1 the most severe)."},
               {"--policy", "ID", "Required: the escalation policy (see escalations policies)."},
               {"--description", "TEXT", "Details."},
               {"--service", "ID", "The service concerned."},
               {"--ticket", "ID", "The ticket concerned."},
               {"--agreement", "ID", "The agreement concerned."},
               {"--type", "TYPE", "functional (default) or hierarchical."},
               {"--assignee", "WHO", "Who owns it."},
               {"--watchers", "WHO[,WHO]", "Who is kept informed."},
               {"--id", "ID", "Its id ([a-z0-9-]); generated when not given."},
           }),
      Verb({"escalations", "ack"}, "ID...", "Acknowledges escalations: the current level has them.",
           "rapportctl esc ack 7d3kq2m9x4b1c8fz 2b6tq0w1n5c3d7hx", EscalationsAck,
           {{"--note", "TEXT", "A note for the timeline."}}),
      Verb({"escalations", "escalate"}, "ID...",
           "Moves escalations to the next level, unless someone else moved them first.",
           "rapportctl esc escalate 7d3kq2m9x4b1c8fz --seen-level 0 --note 'needs a DBA'",
           EscalationsEscalate,
           {{"--seen-level", "N",
             "The level you saw (esc show/list); default: the level read just before."},
            {"--note", "TEXT", "A note for the timeline."}}),
      Verb({"escalations", "reassign"}, "ID...",
           "Gives escalations to a person, or restarts them under another policy.",
           "rapportctl esc reassign 7d3kq2m9x4b1c8fz --to dana@it.example", EscalationsReassign,
           {{"--to", "WHO", "The new assignee."},
            {"--policy", "ID", "Restart under this policy, at its first level."},
            {"--note", "TEXT", "A note for the timeline."}}),
      Verb({"escalations", "note"}, "ID TEXT...", "Adds a note to an escalation's timeline.",
           "rapportctl esc note 7d3kq2m9x4b1c8fz called the customer back", EscalationsNote),
      Verb({"escalations", "hold"}, "ID...", "Puts escalations on hold: every clock stops.",
           "rapportctl esc hold 7d3kq2m9x4b1c8fz --reason 'waiting for the vendor'",
           EscalationsHold, {{"--reason", "TEXT", "Required: why."}}),
      Verb({"escalations", "resume"}, "ID...",
           "Resumes held escalations; the clocks go on with the wait left.",
           "rapportctl esc resume 7d3kq2m9x4b1c8fz", EscalationsResume,
           {{"--note", "TEXT", "A note for the timeline."}}),
      Verb({"escalations", "resolve"}, "ID...", "Resolves acknowledged escalations.",
           "rapportctl esc resolve 7d3kq2m9x4b1c8fz --summary 'index rebuilt, invoices sent'",
           EscalationsResolve, {{"--summary", "TEXT", "Required: the resolution."}}),
      Verb({"escalations", "reopen"}, "ID...", "Opens resolved escalations again.",
           "rapportctl esc reopen 7d3kq2m9x4b1c8fz --reason 'invoices late again'",
           EscalationsReopen, {{"--reason", "TEXT", "Required: why."}}),
      Verb({"escalations", "close"}, "ID...", "Closes resolved escalations.",
           "rapportctl esc close 7d3kq2m9x4b1c8fz 2b6tq0w1n5c3d7hx", EscalationsClose,
           {{"--note", "TEXT", "A note for the timeline."}}),
      Verb({"escalations", "cancel"}, "ID...", "Cancels open or acknowledged escalations.",
           "rapportctl esc cancel 7d3kq2m9x4b1c8fz --reason 'opened by mistake'", EscalationsCancel,
           {{"--reason", "TEXT", "Required: why."}}),
      Verb({"escalations", "watch"}, "",
           "Follows escalation changes live; reconnects without missing any.",
           "rapportctl esc watch --relationship acme", EscalationsWatch,
           {{"--relationship", "ID", "Only changes of this relationship's escalations."},
            {"--service", "ID", "Only changes of this service's escalations."},
            {"--state", "STATE", "Only changes leaving an escalation in STATE."},
            {"--since", "SEQ", "First the changes after sequence SEQ (0: all), then live ones."},
            {"--count", "N", "Stop after N changes."}}),
      Verb({"escalations", "policies"}, "", "Lists escalation policies with their levels.",
           "rapportctl esc policies", EscalationPoliciesList, ListFlags()),

      Verb({"tickets", "list"}, "", "Lists tickets as Rapport measures them, by id.",
           "rapportctl tickets list --service email --breached", TicketsList,
           ListFlags({
               {"--service", "ID", "Only tickets of this service."},
               {"--relationship", "ID", "Only tickets of this relationship."},
               {"--state", "STATE", "open|paused|resolved|cancelled"},
               {"--at-risk", "", "Only tickets with a warning crossed and no breach."},
               {"--breached", "", "Only tickets with a breach."},
           })),
      Verb({"tickets", "show"}, "ID",
           "Shows a ticket's SLA timers (due times, stage, percent used), crossings and events.",
           "rapportctl tickets show INC-20431", TicketsShow),
      Verb({"compliance"}, "",
           "SLA compliance, availability and error budget of a service, relationship or agreement.",
           "rapportctl compliance --service email --period quarter", Compliance,
           {
               {"--service", "ID", "The service (one of --service, --relationship, --agreement)."},
               {"--relationship", "ID", "The relationship."},
               {"--agreement", "ID", "The agreement."},
               {"--period", "PERIOD", "month (default), quarter or year, containing --at."},
               {"--days", "N", "Instead of --period: the N whole days ending with the day of --at."},
               {"--at", "TIME", "An instant in the period, e.g. 2026-10-15 (default now)."},
               {"--time-zone", "ZONE", "IANA zone of the period's edges, e.g. Europe/Berlin."},
           }),
      Verb({"satisfaction", "score"}, "",
           "NPS, CSAT and CES with 95% margins, and the change against the window before.",
           "rapportctl satisfaction score --relationship acme --days 90", SatisfactionScore,
           {
               {"--survey", "ID", "Only answers to this survey."},
               {"--service", "ID", "Only answers about this service."},
               {"--relationship", "ID", "Only answers of this relationship."},
               {"--days", "N", "The N days up to --to (default 90)."},
               {"--from", "TIME", "Instead of --days: the window's start, e.g. 2026-07-01."},
               {"--to", "TIME", "The window's end (default now)."},
           }),
      Verb({"satisfaction", "trend"}, "",
           "One point per day, week or month, with margins, drawn as a chart.",
           "rapportctl satisfaction trend --service email --bucket month --metric csat",
           SatisfactionTrend,
           {
               {"--survey", "ID", "Only answers to this survey."},
               {"--service", "ID", "Only answers about this service."},
               {"--relationship", "ID", "Only answers of this relationship."},
               {"--metric", "METRIC", "nps (default), csat or ces."},
               {"--bucket", "BUCKET", "day, week (default) or month."},
               {"--from", "TIME", "First bucket (default: 30 days, 12 weeks or 12 months back)."},
               {"--to", "TIME", "End of the range (default now)."},
               {"--time-zone", "ZONE", "IANA zone of the buckets (default UTC)."},
               {"--rolling-days", "N", "Each point counts the N days ending with its bucket."},
           }),
      Verb({"demo", "seed"}, "",
           "Fills an empty server with a small organisation's data, to try Rapport out.",
           "rapportctl demo seed --seed 7", DemoSeed,
           {{"--seed", "N", "Seed of the random choices (default 1): the same seed, the same data."}}),
      Verb({"admin", "token", "create"}, "NAME",
           "Makes a new API token for NAME and the line to add to rapportd's tokens file.",
           "rapportctl admin token create grafana-portal --role viewer,portal", AdminTokenCreate,
           {{"--role", "ROLE[,ROLE]", "Required: viewer, portal, operator and/or admin."}}),
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
  table.AddRow({"  --token TOKEN", "API token ($RAPPORT_TOKEN, which ps does not show)"});
  table.AddRow(
      {"  --tls_ca FILE", "Use TLS, verifying the server with these PEM roots ($RAPPORT_TLS_CA)"});
  table.AddRow({"  --tls_cert FILE", "Client certificate for mutual TLS, PEM ($RAPPORT_TLS_CERT)"});
  table.AddRow({"  --tls_key FILE", "Its private key, PEM ($RAPPORT_TLS_KEY)"});
  table.AddRow({"  --tls_server_name NAME",
                "Name to verify in the server's certificate ($RAPPORT_TLS_SERVER_NAME)"});
  table.AddRow({"  -h, --help", "Help for rapportctl or a command"});
  table.Print(os);
}

constexpr char kExitCodes[] =
    "Exit codes: 0 success, 1 the server refused, 2 usage error, 3 cannot connect,\n"
    "4 not authenticated (no token, or the server refused it), 5 permission denied.\n";

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
  os << "\nAliases: rel = relationships, esc = escalations.\n\n";
  PrintGlobalFlags(os);
  os << "\n"
     << kExitCodes << "Run rapportctl COMMAND --help for a command's flags and an example.\n";
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
  os << "\n" << kExitCodes;
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

// The global flags that take a value.
bool IsGlobalValueFlag(const std::string& name) {
  static const auto* const flags = new std::set<std::string>{
      "--server", "--timeout",  "-o",        "--output",         "--token",
      "--tls_ca", "--tls_cert", "--tls_key", "--tls_server_name"};
  return flags->count(name) > 0;
}

// Reads one PEM file named by `flag`; INVALID_ARGUMENT naming both when it
// cannot be read or holds no PEM block.
absl::StatusOr<std::string> ReadPem(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read ", path, ": ", std::strerror(errno)));
  }
  if (!absl::StrContains(contents.str(), "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", path, " is not a PEM file"));
  }
  return contents.str();
}

// TLS options from the values of --tls_ca, --tls_cert, --tls_key and
// --tls_server_name (by flag or variable; "" when not given). Any of them
// turns TLS on.
absl::StatusOr<TlsOptions> LoadTls(const std::map<std::string, std::string>& flags) {
  TlsOptions tls;
  const std::string& ca = flags.at("--tls_ca");
  const std::string& cert = flags.at("--tls_cert");
  const std::string& key = flags.at("--tls_key");
  tls.server_name = flags.at("--tls_server_name");
  tls.enabled = !ca.empty() || !cert.empty() || !key.empty() || !tls.server_name.empty();
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert and --tls_key go together: the client certificate and its private key");
  }
  for (const auto& [flag, path, pem] :
       {std::tuple{"--tls_ca", &ca, &tls.ca_pem}, std::tuple{"--tls_cert", &cert, &tls.cert_pem},
        std::tuple{"--tls_key", &key, &tls.key_pem}}) {
    if (path->empty()) continue;
    auto contents = ReadPem(flag, *path);
    if (!contents.ok()) return contents.status();
    *pem = *std::move(contents);
  }
  return tls;
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
  return {"--server",   "--timeout", "-o",     "--output",          "--token", "--tls_ca",
          "--tls_cert", "--tls_key", "--help", "--tls_server_name", "-h"};
}

std::vector<std::string> EnvironmentVariables() {
  return {"RAPPORT_SERVER",   "RAPPORT_TOKEN",   "RAPPORT_TLS_CA",
          "RAPPORT_TLS_CERT", "RAPPORT_TLS_KEY", "RAPPORT_TLS_SERVER_NAME"};
}

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           const std::string& env_server) {
  return RunCli(args, out, err, Environment{{"RAPPORT_SERVER", env_server}});
}

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           const Environment& env) {
  auto getenv = [&env](const std::string& name) {
    auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
  };
  Options options;
  options.server = getenv("RAPPORT_SERVER");
  if (options.server.empty()) options.server = kDefaultServer;
  options.token = getenv("RAPPORT_TOKEN");
  // TLS files by flag, else by variable; read once all flags are known.
  std::map<std::string, std::string> tls = {
      {"--tls_ca", getenv("RAPPORT_TLS_CA")},
      {"--tls_cert", getenv("RAPPORT_TLS_CERT")},
      {"--tls_key", getenv("RAPPORT_TLS_KEY")},
      {"--tls_server_name", getenv("RAPPORT_TLS_SERVER_NAME")},
  };
  std::vector<std::string> rest;
  bool help = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {  // The rest is the command's, verbatim.
      rest.insert(rest.end(), args.begin() + i, args.end());
      break;
    }
    const std::string name = a.substr(0, a.find('='));
    if (IsGlobalValueFlag(name)) {
      std::string v;
      if (name.size() < a.size()) {
        v = a.substr(name.size() + 1);
      } else if (i + 1 < args.size()) {
        v = args[++i];
      } else {
        err << "rapportctl: " << name << " needs a value\n";
        return kExitUsage;
      }
      if (name == "--server") {
        options.server = v;
      } else if (name == "--timeout") {
        if (!absl::ParseDuration(v, &options.timeout) || options.timeout <= absl::ZeroDuration()) {
          err << "rapportctl: --timeout must be a positive duration such as 5s, got '" << v
              << "'\n";
          return kExitUsage;
        }
      } else if (name == "-o" || name == "--output") {
        if (v != "table" && v != "json") {
          err << "rapportctl: -o must be table or json, got '" << v << "'\n";
          return kExitUsage;
        }
        options.output = v;
      } else if (name == "--token") {
        options.token = v;
      } else {
        tls[name] = v;
      }
    } else if (a == "--help" || a == "-h" || (a == "help" && rest.empty())) {
      help = true;
    } else {
      rest.push_back(a);
    }
  }
  if (!help) {
    auto loaded = LoadTls(tls);
    if (!loaded.ok()) {
      err << "rapportctl: " << loaded.status().message() << "\n";
      return kExitUsage;
    }
    options.tls = *std::move(loaded);
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
    // A group without its verb ("rapportctl agreements", "rapportctl admin
    // token"): list the words that may follow the longest known prefix.
    for (size_t k = rest.size(); k >= 1; --k) {
      std::vector<std::string> next;
      for (const auto& c : Commands()) {
        if (c.words.size() <= k || !std::equal(rest.begin(), rest.begin() + k, c.words.begin())) {
          continue;
        }
        if (std::find(next.begin(), next.end(), c.words[k]) == next.end()) {
          next.push_back(c.words[k]);
        }
      }
      if (next.empty()) continue;
      if (rest.size() > k && !help) break;  // A known group, an unknown verb.
      const std::string group = absl::StrJoin(rest.begin(), rest.begin() + k, " ");
      (help ? out : err) << "rapportctl " << group << ": choose one of "
                         << absl::StrJoin(next, ", ") << " (rapportctl " << group
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
