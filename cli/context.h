// What every rapportctl command is given: the global options, its parsed
// flags and arguments, the output streams, and helpers to call the server,
// page through lists and print tables or protobuf JSON. Internal to cli/.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace rapport::cli {

// How to secure the connection: TLS when `enabled`, with these PEM contents
// (read from the files the flags name before any call).
struct TlsOptions {
  bool enabled = false;
  std::string ca_pem;       // Roots that verify the server; empty: the system's.
  std::string cert_pem;     // Client certificate chain for mutual TLS, or empty.
  std::string key_pem;      // Its private key (given together with cert_pem).
  std::string server_name;  // Name to verify the server's certificate against, or empty.
};

// Global options, valid anywhere on the command line.
struct Options {
  std::string server;
  absl::Duration timeout = absl::Seconds(10);
  std::string output = "table";  // "table" or "json".
  std::string token;             // Bearer token; empty: none is sent.
  TlsOptions tls;
};

// A flag a command takes. `value` names its argument ("N", "KIND"); empty for
// a switch (--all).
struct Flag {
  std::string name;  // With the dashes: "--limit".
  std::string value;
  std::string help;
};

class Context;

// One verb of the command table.
struct Command {
  std::vector<std::string> words;  // e.g. {"agreements", "show"}.
  std::string args;                // Positional arguments for the usage line, e.g. "ID".
  int min_args = 0;                // How many positional arguments it takes,
  int max_args = 0;                // at least and at most (-1: any number).
  std::vector<Flag> flags;
  std::string help;  // One line.
  std::string example;
  std::function<int(Context&)> run;
};

class Context final {
 public:
  Context(const Options& options, const Command& command, std::vector<std::string> args,
          std::map<std::string, std::string> flags, std::ostream& out, std::ostream& err)
      : options_(options),
        command_(command),
        args_(std::move(args)),
        flags_(std::move(flags)),
        out_(out),
        err_(err) {}

  const Options& options() const { return options_; }
  bool json() const { return options_.output == "json"; }
  const std::vector<std::string>& args() const { return args_; }
  std::ostream& out() const { return out_; }
  std::ostream& err() const { return err_; }

  // Whether flag `name` ("--all") was given, and its value ("" for a switch).
  bool Has(const std::string& name) const { return flags_.count(name) > 0; }
  std::string Get(const std::string& name) const {
    auto it = flags_.find(name);
    return it == flags_.end() ? "" : it->second;
  }

  // Reads enum flag `name` (as ParseEnum does) into `*value`, left alone when
  // the flag is absent. false after printing a usage error listing the choices.
  bool EnumFlag(const std::string& name, const google::protobuf::EnumDescriptor* descriptor,
                int* value) const;

  // A channel to the server, made once: TLS or plaintext as the options say.
  std::shared_ptr<grpc::Channel> Channel();
  // Sets the deadline of a call (--timeout) and its credentials (the token).
  void Prepare(grpc::ClientContext* ctx) const;
  // Sets only the credentials: for streams, which have no deadline.
  void Authorize(grpc::ClientContext* ctx) const;

  // Prints a failed call and returns its exit code: kExitUnreachable when
  // the server could not be reached, kExitUnauthenticated and
  // kExitPermissionDenied for those refusals, else kExitRefused with the
  // status code name and the server's message. `subject` ("escalations/x")
  // prefixes the message when the command acts on several resources.
  int Fail(const grpc::Status& status, const std::string& subject = "") const;
  // Prints "rapportctl WORDS: `message`" with a pointer to --help; returns kExitUsage.
  int Usage(const std::string& message) const;

  // Prints one message as protobuf JSON.
  void PrintJson(const google::protobuf::Message& message) const;
  // Prints one message as protobuf JSON on a single line (JSON Lines, for streams).
  void PrintJsonLine(const google::protobuf::Message& message) const;
  // Prints messages as a JSON array.
  template <typename T>
  void PrintJsonArray(const std::vector<T>& messages) const {
    std::vector<const google::protobuf::Message*> pointers;
    for (const auto& m : messages) pointers.push_back(&m);
    PrintJsonArray(pointers);
  }
  void PrintJsonArray(const std::vector<const google::protobuf::Message*>& messages) const;

  // How many items a list command fetches: --limit N (default 50), or all
  // with --all. nullopt after printing a usage error for a bad --limit.
  struct Limit {
    bool all = false;
    int count = 50;
  };
  std::optional<Limit> ListLimit() const;

  // Fetches pages with `call` (which sets page_size and page_token on a copy
  // of `request`) until `limit` items or the last page; appends the items
  // to `items`, sets `*more` when items were left out. Returns the failed
  // call's status, or OK.
  template <typename Request, typename Response, typename Item>
  grpc::Status FetchPages(
      const Request& request, const Limit& limit,
      const std::function<grpc::Status(grpc::ClientContext*, const Request&, Response*)>& call,
      const std::function<const google::protobuf::RepeatedPtrField<Item>&(const Response&)>&
          page_items,
      std::vector<Item>* items, bool* more) {
    *more = false;
    Request page_request = request;
    while (true) {
      const size_t wanted = limit.all ? 1000 : static_cast<size_t>(limit.count) - items->size();
      page_request.set_page_size(static_cast<int>(std::min<size_t>(wanted, 1000)));
      grpc::ClientContext ctx;
      Prepare(&ctx);
      Response response;
      const grpc::Status status = call(&ctx, page_request, &response);
      if (!status.ok()) return status;
      for (const auto& item : page_items(response)) {
        if (!limit.all && items->size() >= static_cast<size_t>(limit.count)) {
          *more = true;
          break;
        }
        items->push_back(item);
      }
      if (response.next_page_token().empty()) break;
      if (!limit.all && items->size() >= static_cast<size_t>(limit.count)) {
        *more = true;
        break;
      }
      page_request.set_page_token(response.next_page_token());
    }
    return grpc::Status::OK;
  }
  // After a table of a list: tells on stderr when items were left out.
  void NoteMore(bool more, size_t shown) const;

 private:
  const Options& options_;
  const Command& command_;
  std::vector<std::string> args_;
  std::map<std::string, std::string> flags_;
  std::ostream& out_;
  std::ostream& err_;
  std::shared_ptr<grpc::Channel> channel_;
};

// Handlers, one per verb (relationship_commands.cc, catalog_commands.cc,
// escalation_commands.cc, sla_commands.cc, satisfaction_commands.cc,
// demo_seed.cc, token_commands.cc).
int RelationshipsList(Context& c);
int RelationshipsShow(Context& c);
int RelationshipsHealth(Context& c);
int RelationshipsSearch(Context& c);
int ServicesList(Context& c);
int ServicesShow(Context& c);
int CalendarsList(Context& c);
int CalendarsShow(Context& c);
int AgreementsList(Context& c);
int AgreementsShow(Context& c);
int AgreementsRevisions(Context& c);
int CatalogApply(Context& c);
int EscalationsList(Context& c);
int EscalationsShow(Context& c);
int EscalationsCreate(Context& c);
int EscalationsAck(Context& c);
int EscalationsEscalate(Context& c);
int EscalationsReassign(Context& c);
int EscalationsNote(Context& c);
int EscalationsHold(Context& c);
int EscalationsResume(Context& c);
int EscalationsResolve(Context& c);
int EscalationsReopen(Context& c);
int EscalationsClose(Context& c);
int EscalationsCancel(Context& c);
int EscalationsWatch(Context& c);
int EscalationPoliciesList(Context& c);
int TicketsList(Context& c);
int TicketsShow(Context& c);
int Compliance(Context& c);
int SatisfactionScore(Context& c);
int SatisfactionTrend(Context& c);
int DemoSeed(Context& c);
int AdminTokenCreate(Context& c);

}  // namespace rapport::cli
