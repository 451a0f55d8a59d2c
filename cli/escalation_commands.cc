// rapportctl escalations (esc): list, show, create, the state changes (each
// on several escalations at once), policies, and watch.
#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cli/cli.h"
#include "cli/context.h"
#include "cli/escalation_views.h"
#include "cli/format.h"
#include "rapport/v1/escalations.grpc.pb.h"

namespace rapport::cli {
namespace {

using v1::Escalation;
using v1::EscalationService;

constexpr char kCollection[] = "escalations";

// The states `escalations list` shows when --state is not given: those that
// still need someone.
const std::vector<Escalation::State>& ActiveStates() {
  static const auto* const states = new std::vector<Escalation::State>{
      Escalation::OPEN, Escalation::ACKNOWLEDGED, Escalation::ON_HOLD};
  return *states;
}

// Reads --state: "active" (the default; with --all and no --state, every
// state), "all" (every state: an empty list), or states separated by commas.
// nullopt after a usage error.
std::optional<std::vector<Escalation::State>> StatesFlag(const Context& c) {
  if (!c.Has("--state")) {
    return c.Has("--all") ? std::vector<Escalation::State>{} : ActiveStates();
  }
  if (c.Get("--state") == "active") return ActiveStates();
  if (c.Get("--state") == "all") return std::vector<Escalation::State>{};
  std::vector<Escalation::State> states;
  for (absl::string_view part : absl::StrSplit(c.Get("--state"), ',', absl::SkipEmpty())) {
    const auto state = ParseEnum(Escalation::State_descriptor(), part);
    if (!state) {
      c.Usage(absl::StrCat("--state must be active, all, or some of ",
                           EnumChoices(Escalation::State_descriptor()),
                           " separated by commas, got '", part, "'"));
      return std::nullopt;
    }
    states.push_back(static_cast<Escalation::State>(*state));
  }
  if (states.empty()) {
    c.Usage("--state needs a state");
    return std::nullopt;
  }
  return states;
}

// Newest first, as the server lists them.
bool Newer(const Escalation& a, const Escalation& b) {
  const auto& ta = a.create_time();
  const auto& tb = b.create_time();
  if (ta.seconds() != tb.seconds()) return ta.seconds() > tb.seconds();
  if (ta.nanos() != tb.nanos()) return ta.nanos() > tb.nanos();
  return a.name() > b.name();
}

// A required text flag; nullopt after a usage error when it is missing or empty.
std::optional<std::string> RequiredText(const Context& c, const std::string& flag) {
  if (c.Get(flag).empty()) {
    c.Usage(flag + " is required");
    return std::nullopt;
  }
  return c.Get(flag);
}

// Whether a failure would fail every following call as well, so that acting
// on the remaining escalations is pointless.
bool Fatal(int code) {
  return code == kExitUnreachable || code == kExitUnauthenticated || code == kExitPermissionDenied;
}

using Action =
    std::function<grpc::Status(grpc::ClientContext*, const std::string& name, Escalation*)>;

// Applies `action` to each escalation named in `ids`: prints a status line
// for each one changed (or, with -o json, the escalation; an array when
// there are several) and an error line naming each one refused. Stops at a
// failure that every call would meet. Returns 0 when all succeeded, else the
// exit code of the first failure.
int ForEach(Context& c, const std::vector<std::string>& ids, const Action& action) {
  std::vector<Escalation> changed;
  int code = kExitOk;
  for (const auto& id : ids) {
    const std::string name = FullName(id, kCollection);
    grpc::ClientContext ctx;
    c.Prepare(&ctx);
    Escalation escalation;
    const grpc::Status status = action(&ctx, name, &escalation);
    if (!status.ok()) {
      const int failed = c.Fail(status, ids.size() > 1 ? name : "");
      if (code == kExitOk) code = failed;
      if (Fatal(failed)) break;
      continue;
    }
    if (!c.json()) c.out() << EscalationStatusLine(escalation, absl::Now()) << "\n";
    changed.push_back(std::move(escalation));
  }
  if (c.json()) {
    if (ids.size() == 1 && changed.size() == 1) {
      c.PrintJson(changed[0]);
    } else if (ids.size() > 1) {
      c.PrintJsonArray(changed);
    }
  }
  return code;
}

std::unique_ptr<EscalationService::Stub> Stub(Context& c) {
  return EscalationService::NewStub(c.Channel());
}

}  // namespace

int EscalationsList(Context& c) {
  const auto limit = c.ListLimit();
  if (!limit) return kExitUsage;
  const auto states = StatesFlag(c);
  if (!states) return kExitUsage;
  v1::ListEscalationsRequest request;
  int severity = 0, source = 0;
  if (!c.EnumFlag("--severity", v1::Severity_descriptor(), &severity) ||
      !c.EnumFlag("--source", Escalation::Source_descriptor(), &source)) {
    return kExitUsage;
  }
  request.set_severity(static_cast<v1::Severity>(severity));
  request.set_source(static_cast<Escalation::Source>(source));
  if (c.Has("--level")) {
    int level = 0;
    if (!absl::SimpleAtoi(c.Get("--level"), &level) || level < 0) {
      return c.Usage("--level must be a level index (0 is the first), got '" + c.Get("--level") +
                     "'");
    }
    request.set_level(level);
  }
  if (c.Has("--relationship")) {
    request.set_relationship(FullName(c.Get("--relationship"), "relationships"));
  }
  if (c.Has("--service")) request.set_service(FullName(c.Get("--service"), "services"));
  request.set_assignee(c.Get("--assignee"));

  // The server filters one state at a time: one listing per state, merged.
  auto stub = Stub(c);
  std::vector<Escalation> items;
  bool more = false;
  const std::vector<Escalation::State> one_listing = {Escalation::STATE_UNSPECIFIED};
  for (const Escalation::State state : states->empty() ? one_listing : *states) {
    request.set_state(state);
    std::vector<Escalation> in_state;
    bool state_more = false;
    const grpc::Status status =
        c.FetchPages<v1::ListEscalationsRequest, v1::ListEscalationsResponse, Escalation>(
            request, *limit,
            [&](grpc::ClientContext* ctx, const v1::ListEscalationsRequest& r,
                v1::ListEscalationsResponse* out) { return stub->ListEscalations(ctx, r, out); },
            [](const v1::ListEscalationsResponse& r) -> const auto& { return r.escalations(); },
            &in_state, &state_more);
    if (!status.ok()) return c.Fail(status);
    more = more || state_more;
    items.insert(items.end(), in_state.begin(), in_state.end());
  }
  std::sort(items.begin(), items.end(), Newer);
  if (!limit->all && items.size() > static_cast<size_t>(limit->count)) {
    items.resize(limit->count);
    more = true;
  }
  if (c.json()) {
    c.PrintJsonArray(items);
  } else {
    PrintEscalations(items, absl::Now(), c.out());
    c.NoteMore(more, items.size());
  }
  return kExitOk;
}

int EscalationsShow(Context& c) {
  auto stub = Stub(c);
  v1::GetEscalationRequest request;
  request.set_name(FullName(c.args()[0], kCollection));
  grpc::ClientContext ctx;
  c.Prepare(&ctx);
  Escalation escalation;
  const grpc::Status status = stub->GetEscalation(&ctx, request, &escalation);
  if (!status.ok()) return c.Fail(status);
  if (c.json()) {
    c.PrintJson(escalation);
  } else {
    PrintEscalation(escalation, absl::Now(), c.out());
  }
  return kExitOk;
}

int EscalationsCreate(Context& c) {
  v1::CreateEscalationRequest request;
  Escalation& e = *request.mutable_escalation();
  for (const char* flag : {"--relationship", "--title", "--severity", "--policy"}) {
    if (!RequiredText(c, flag)) return kExitUsage;
  }
  int severity = 0, type = 0;
  if (!c.EnumFlag("--severity", v1::Severity_descriptor(), &severity) ||
      !c.EnumFlag("--type", Escalation::Type_descriptor(), &type)) {
    return kExitUsage;
  }
  e.set_relationship(FullName(c.Get("--relationship"), "relationships"));
  e.set_title(c.Get("--title"));
  e.set_severity(static_cast<v1::Severity>(severity));
  e.set_type(static_cast<Escalation::Type>(type));
  e.set_policy(FullName(c.Get("--policy"), "escalation_policies"));
  e.set_description(c.Get("--description"));
  if (c.Has("--service")) e.set_service(FullName(c.Get("--service"), "services"));
  if (c.Has("--ticket")) e.set_ticket(FullName(c.Get("--ticket"), "tickets"));
  if (c.Has("--agreement")) e.set_agreement(FullName(c.Get("--agreement"), "agreements"));
  e.set_assignee(c.Get("--assignee"));
  for (absl::string_view w : absl::StrSplit(c.Get("--watchers"), ',', absl::SkipWhitespace())) {
    e.add_watchers(std::string(absl::StripAsciiWhitespace(w)));
  }
  request.set_escalation_id(c.Get("--id"));

  auto stub = Stub(c);
  grpc::ClientContext ctx;
  c.Prepare(&ctx);
  Escalation created;
  const grpc::Status status = stub->CreateEscalation(&ctx, request, &created);
  if (!status.ok()) return c.Fail(status);
  if (c.json()) {
    c.PrintJson(created);
  } else {
    c.out() << "Opened " << EscalationStatusLine(created, absl::Now()) << "\n";
  }
  return kExitOk;
}

int EscalationsAck(Context& c) {
  auto stub = Stub(c);
  return ForEach(c, c.args(),
                 [&](grpc::ClientContext* ctx, const std::string& name, Escalation* out) {
                   v1::AcknowledgeEscalationRequest request;
                   request.set_name(name);
                   request.set_note(c.Get("--note"));
                   return stub->AcknowledgeEscalation(ctx, request, out);
                 });
}

int EscalationsEscalate(Context& c) {
  std::optional<int> seen_level;
  if (c.Has("--seen-level")) {
    int level = 0;
    if (!absl::SimpleAtoi(c.Get("--seen-level"), &level) || level < 0) {
      return c.Usage("--seen-level must be a level index (0 is the first), got '" +
                     c.Get("--seen-level") + "'");
    }
    seen_level = level;
  }
  auto stub = Stub(c);
  return ForEach(c, c.args(),
                 [&](grpc::ClientContext* ctx, const std::string& name, Escalation* out) {
                   v1::EscalateEscalationRequest request;
                   request.set_name(name);
                   request.set_note(c.Get("--note"));
                   if (seen_level) {
                     request.set_seen_level(*seen_level);
                   } else {
                     // The level as it is now: if someone else escalates between this read
                     // and the call, the server refuses ours instead of skipping a level.
                     grpc::ClientContext get_ctx;
                     c.Prepare(&get_ctx);
                     v1::GetEscalationRequest get;
                     get.set_name(name);
                     Escalation current;
                     const grpc::Status status = stub->GetEscalation(&get_ctx, get, &current);
                     if (!status.ok()) return status;
                     request.set_seen_level(current.level());
                   }
                   return stub->EscalateEscalation(ctx, request, out);
                 });
}

int EscalationsReassign(Context& c) {
  if (c.Has("--to") == c.Has("--policy")) {
    return c.Usage("give either --to WHO or --policy ID");
  }
  auto stub = Stub(c);
  return ForEach(c, c.args(),
                 [&](grpc::ClientContext* ctx, const std::string& name, Escalation* out) {
                   v1::ReassignEscalationRequest request;
                   request.set_name(name);
                   if (c.Has("--to")) {
                     request.set_assignee(c.Get("--to"));
                   } else {
                     request.set_policy(FullName(c.Get("--policy"), "escalation_policies"));
                   }
                   request.set_note(c.Get("--note"));
                   return stub->ReassignEscalation(ctx, request, out);
                 });
}

int EscalationsNote(Context& c) {
  const std::vector<std::string> text(c.args().begin() + 1, c.args().end());
  auto stub = Stub(c);
  return ForEach(c, {c.args()[0]},
                 [&](grpc::ClientContext* ctx, const std::string& name, Escalation* out) {
                   v1::AddEscalationNoteRequest request;
                   request.set_name(name);
                   request.set_note(absl::StrJoin(text, " "));
                   return stub->AddEscalationNote(ctx, request, out);
                 });
}

int EscalationsHold(Context& c) {
  const auto reason = RequiredText(c, "--reason");
  if (!reason) return kExitUsage;
  auto stub = Stub(c);
  return ForEach(c, c.args(),
                 [&](grpc::ClientContext* ctx, const std::string& name, Escalation* out) {
                   v1::HoldEscalationRequest request;
                   request.set_name(name);
                   request.set_reason(*reason);
                   return stub->HoldEscalation(ctx, request, out);
                 });
}

int EscalationsResume(Context& c) {
  auto stub = Stub(c);
  return ForEach(c, c.args(),
                 [&](grpc::ClientContext* ctx, const std::string& name, Escalation* out) {
                   v1::ResumeEscalationRequest request;
                   request.set_name(name);
                   request.set_note(c.Get("--note"));
                   return stub->ResumeEscalation(ctx, request, out);
                 });
}

int EscalationsResolve(Context& c) {
  const auto summary = RequiredText(c, "--summary");
  if (!summary) return kExitUsage;
  auto stub = Stub(c);
  return ForEach(c, c.args(),
                 [&](grpc::ClientContext* ctx, const std::string& name, Escalation* out) {
                   v1::ResolveEscalationRequest request;
                   request.set_name(name);
                   request.set_summary(*summary);
                   return stub->ResolveEscalation(ctx, request, out);
                 });
}

int EscalationsReopen(Context& c) {
  const auto reason = RequiredText(c, "--reason");
  if (!reason) return kExitUsage;
  auto stub = Stub(c);
  return ForEach(c, c.args(),
                 [&](grpc::ClientContext* ctx, const std::string& name, Escalation* out) {
                   v1::ReopenEscalationRequest request;
                   request.set_name(name);
                   request.set_reason(*reason);
                   return stub->ReopenEscalation(ctx, request, out);
                 });
}

int EscalationsClose(Context& c) {
  auto stub = Stub(c);
  return ForEach(c, c.args(),
                 [&](grpc::ClientContext* ctx, const std::string& name, Escalation* out) {
                   v1::CloseEscalationRequest request;
                   request.set_name(name);
                   request.set_note(c.Get("--note"));
                   return stub->CloseEscalation(ctx, request, out);
                 });
}

int EscalationsCancel(Context& c) {
  const auto reason = RequiredText(c, "--reason");
  if (!reason) return kExitUsage;
  auto stub = Stub(c);
  return ForEach(c, c.args(),
                 [&](grpc::ClientContext* ctx, const std::string& name, Escalation* out) {
                   v1::CancelEscalationRequest request;
                   request.set_name(name);
                   request.set_reason(*reason);
                   return stub->CancelEscalation(ctx, request, out);
                 });
}

int EscalationPoliciesList(Context& c) {
  const auto limit = c.ListLimit();
  if (!limit) return kExitUsage;
  auto stub = Stub(c);
  std::vector<v1::EscalationPolicy> items;
  bool more = false;
  const grpc::Status status =
      c.FetchPages<v1::ListEscalationPoliciesRequest, v1::ListEscalationPoliciesResponse,
                   v1::EscalationPolicy>(
          v1::ListEscalationPoliciesRequest(), *limit,
          [&](grpc::ClientContext* ctx, const v1::ListEscalationPoliciesRequest& r,
              v1::ListEscalationPoliciesResponse* out) {
            return stub->ListEscalationPolicies(ctx, r, out);
          },
          [](const v1::ListEscalationPoliciesResponse& r) -> const auto& { return r.policies(); },
          &items, &more);
  if (!status.ok()) return c.Fail(status);
  if (c.json()) {
    c.PrintJsonArray(items);
  } else {
    PrintEscalationPolicies(items, c.out());
    c.NoteMore(more, items.size());
  }
  return kExitOk;
}

namespace {

// Whether a broken watch stream is worth opening again: the connection or
// the server went away, as opposed to a refusal of the request.
bool Lost(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
      return true;
    default:
      return false;
  }
}

}  // namespace

int EscalationsWatch(Context& c) {
  v1::WatchEscalationsRequest base;
  if (c.Has("--relationship")) {
    base.set_relationship(FullName(c.Get("--relationship"), "relationships"));
  }
  if (c.Has("--service")) base.set_service(FullName(c.Get("--service"), "services"));
  int state = 0;
  if (!c.EnumFlag("--state", Escalation::State_descriptor(), &state)) return kExitUsage;
  base.set_state(static_cast<Escalation::State>(state));
  // The last sequence seen; -1 until one is known.
  int64_t last = -1;
  if (c.Has("--since")) {
    if (!absl::SimpleAtoi(c.Get("--since"), &last) || last < 0) {
      return c.Usage("--since must be a sequence number (0 for every change), got '" +
                     c.Get("--since") + "'");
    }
  }
  int64_t count = -1;
  if (c.Has("--count") && (!absl::SimpleAtoi(c.Get("--count"), &count) || count <= 0)) {
    return c.Usage("--count must be a positive number, got '" + c.Get("--count") + "'");
  }

  auto stub = Stub(c);
  // One short call first: a server that cannot be reached, or refuses the
  // token or the filter, is reported like any other command's, with its exit code.
  auto probe = [&]() {
    v1::ListEscalationsRequest request;
    request.set_page_size(1);
    request.set_relationship(base.relationship());
    request.set_service(base.service());
    request.set_state(base.state());
    grpc::ClientContext ctx;
    c.Prepare(&ctx);
    v1::ListEscalationsResponse response;
    return stub->ListEscalations(&ctx, request, &response);
  };
  if (grpc::Status status = probe(); !status.ok()) return c.Fail(status);

  if (!c.json()) PrintEscalationChangeHeader(c.out());
  c.out().flush();
  // Changes older than this are history the user did not ask for (see below).
  const absl::Time start = absl::Now();
  bool reconnecting = false;  // After a lost stream: skip what came before `start`.
  int64_t shown = 0;
  absl::Duration backoff = absl::Milliseconds(250);
  while (true) {
    v1::WatchEscalationsRequest request = base;
    if (last >= 0) {
      request.set_after_sequence(last);
    } else if (!reconnecting) {
      request.set_live_only(true);
    }
    // Otherwise the stream broke before the first change arrived, so no
    // sequence is known to resume after: replay from the beginning and skip
    // what was written before the watch began (by rapportd's clock, taken to
    // agree with ours).
    grpc::ClientContext ctx;
    c.Authorize(&ctx);
    auto reader = stub->WatchEscalations(&ctx, request);
    v1::EscalationChange change;
    while (reader->Read(&change)) {
      backoff = absl::Milliseconds(250);
      if (last < 0 && reconnecting && FromProto(change.change_time()) < start) continue;
      last = change.sequence();
      if (c.json()) {
        c.PrintJsonLine(change);
      } else {
        PrintEscalationChange(change, c.out());
      }
      c.out().flush();
      if (count > 0 && ++shown >= count) {
        ctx.TryCancel();
        return kExitOk;
      }
    }
    const grpc::Status status = reader->Finish();
    if (!Lost(status)) return c.Fail(status);
    c.err() << "rapportctl: watch: connection lost (" << status.error_message()
            << "); reconnecting";
    if (last >= 0) c.err() << ", then resuming after sequence " << last;
    c.err() << "\n";
    reconnecting = true;
    // Wait for the server before opening the stream again.
    while (true) {
      std::this_thread::sleep_for(absl::ToChronoNanoseconds(backoff));
      backoff = std::min(backoff * 2, absl::Seconds(5));
      const grpc::Status probed = probe();
      if (probed.ok()) break;
      if (!Lost(probed)) return c.Fail(probed);
    }
    c.err() << "rapportctl: watch: reconnected\n";
  }
}

}  // namespace rapport::cli
