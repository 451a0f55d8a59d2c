#include "services/escalations/escalations_grpc.h"

#include <deque>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "services/common/reply.h"

namespace rapport::escalations {
namespace {

using Reactor = grpc::ServerUnaryReactor;

// Changes read from the log per step of a stream.
constexpr int kWatchChunk = 64;


// Follows the change log: every change after the last one sent, in order.
// Subscribed before the first read, and every wake-up or finished write reads
// the log after the last sequence handled, so a change is neither missed
// (it is in the log before the wake-up that follows its commit) nor sent
// twice (sequences only move forward).
class WatchReactor final : public grpc::ServerWriteReactor<v1::EscalationChange> {
 public:
  WatchReactor(Escalations* domain, const v1::WatchEscalationsRequest& request,
               const std::atomic<bool>* closing)
      : domain_(domain), request_(request), closing_(closing) {
    if (auto valid = Escalations::ValidateWatch(request); !valid.ok()) {
      finished_ = true;
      Finish(ToGrpcStatus(valid));
      return;
    }
    after_ = static_cast<uint64_t>(request.after_sequence());
    // 0 replays the log as kept: from the first change retention left.
    if (after_ == 0) {
      auto first = domain_->FirstKeptSequence();
      if (!first.ok()) {
        finished_ = true;
        Finish(ToGrpcStatus(first.status()));
        return;
      }
      after_ = *first - 1;
    }
    if (request.live_only() || after_ > 0) {
      auto last = domain_->LastSequence();
      if (!last.ok()) {
        finished_ = true;
        Finish(ToGrpcStatus(last.status()));
        return;
      }
      // A client that saw changes this store never made (it was restored
      // from an older backup, or it is another server) would skip the next
      // ones as seen: told instead.
      if (!request.live_only() && after_ > *last) {
        finished_ = true;
        Finish(ToGrpcStatus(absl::OutOfRangeError(absl::StrCat(
            "after_sequence ", after_, " is past the last change, ", *last,
            "; list the escalations again and watch with live_only"))));
        return;
      }
      if (request.live_only()) after_ = *last;
    }
    subscribed_ = true;
    handle_ = domain_->AddWatcher([this] { Pump(); });
    // Tells the client at once that the watch is established.
    StartSendInitialMetadata();
    Pump();
  }

  void OnWriteDone(bool ok) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      writing_ = false;
      if (!ok) {
        FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the stream broke"));
        return;
      }
    }
    Pump();
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    if (subscribed_) domain_->RemoveWatcher(handle_);
    delete this;
  }

 private:
  void FinishLocked(const grpc::Status& status) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  void Pump() {
    std::lock_guard<std::mutex> lock(mu_);
    if (writing_ || finished_) return;
    if (closing_->load()) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                "rapportd is shutting down: reconnect and resume after the last "
                                "sequence received"));
      return;
    }
    while (queue_.empty()) {
      auto changes = domain_->ReadChanges(after_, kWatchChunk);
      if (!changes.ok()) {
        FinishLocked(ToGrpcStatus(changes.status()));
        return;
      }
      if (changes->empty()) return;
      // Sequences have no gaps: a missing one was deleted by the retention
      // before this client read it.
      if (static_cast<uint64_t>(changes->front().sequence()) != after_ + 1) {
        FinishLocked(grpc::Status(
            grpc::StatusCode::OUT_OF_RANGE,
            absl::StrCat("changes after sequence ", after_, " up to ",
                         changes->front().sequence() - 1,
                         " are no longer kept (change retention); list the escalations again "
                         "and watch with live_only")));
        return;
      }
      for (auto& change : *changes) {
        after_ = static_cast<uint64_t>(change.sequence());
        if (Escalations::MatchesWatch(request_, change)) queue_.push_back(std::move(change));
      }
    }
    current_ = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    StartWrite(&current_);
  }

  Escalations* const domain_;
  const v1::WatchEscalationsRequest request_;
  const std::atomic<bool>* const closing_;
  bool subscribed_ = false;
  uint64_t handle_ = 0;

  std::mutex mu_;
  uint64_t after_ = 0;                      // Guarded by mu_: last sequence read.
  std::deque<v1::EscalationChange> queue_;  // Guarded by mu_: read, matching, not sent.
  v1::EscalationChange current_;            // Guarded by mu_: the write in flight.
  bool writing_ = false;                    // Guarded by mu_.
  bool finished_ = false;                   // Guarded by mu_.
};

}  // namespace

Reactor* EscalationsGrpc::CreateEscalationPolicy(Ctx* c, const v1::CreateEscalationPolicyRequest* r,
                                                 v1::EscalationPolicy* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->CreatePolicy(*r, Reply(reactor, o));
  return reactor;
}

Reactor* EscalationsGrpc::GetEscalationPolicy(Ctx* c, const v1::GetEscalationPolicyRequest* r,
                                              v1::EscalationPolicy* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->GetPolicy(*r), o);
}

Reactor* EscalationsGrpc::ListEscalationPolicies(Ctx* c, const v1::ListEscalationPoliciesRequest* r,
                                                 v1::ListEscalationPoliciesResponse* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->ListPolicies(*r), o);
}

Reactor* EscalationsGrpc::UpdateEscalationPolicy(Ctx* c, const v1::UpdateEscalationPolicyRequest* r,
                                                 v1::EscalationPolicy* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->UpdatePolicy(*r, Reply(reactor, o));
  return reactor;
}

Reactor* EscalationsGrpc::DeleteEscalationPolicy(Ctx* c, const v1::DeleteEscalationPolicyRequest* r,
                                                 Empty*) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->DeletePolicy(*r, ReplyEmpty(reactor));
  return reactor;
}

Reactor* EscalationsGrpc::CreateEscalation(Ctx* c, const v1::CreateEscalationRequest* r, Esc* o) {
  RAPPORT_ADMIT(c, *r);
  auto* reactor = c->DefaultReactor();
  domain_->Create(*r, CurrentPrincipal(), Reply(reactor, o));
  return reactor;
}

Reactor* EscalationsGrpc::GetEscalation(Ctx* c, const v1::GetEscalationRequest* r, Esc* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->Get(*r), o);
}

Reactor* EscalationsGrpc::ListEscalations(Ctx* c, const v1::ListEscalationsRequest* r,
                                          v1::ListEscalationsResponse* o) {
  RAPPORT_ADMIT(c, *r);
  return ReplyNow(c->DefaultReactor(), domain_->List(*r), o);
}

#define RAPPORT_ESCALATION_METHOD(Rpc, Request, DomainMethod)           \
  Reactor* EscalationsGrpc::Rpc(Ctx* c, const v1::Request* r, Esc* o) { \
    RAPPORT_ADMIT(c, *r);                                               \
    auto* reactor = c->DefaultReactor();                                \
    domain_->DomainMethod(*r, CurrentPrincipal(), Reply(reactor, o));           \
    return reactor;                                                     \
  }

RAPPORT_ESCALATION_METHOD(AcknowledgeEscalation, AcknowledgeEscalationRequest, Acknowledge)
RAPPORT_ESCALATION_METHOD(EscalateEscalation, EscalateEscalationRequest, Escalate)
RAPPORT_ESCALATION_METHOD(ReassignEscalation, ReassignEscalationRequest, Reassign)
RAPPORT_ESCALATION_METHOD(AddEscalationNote, AddEscalationNoteRequest, AddNote)
RAPPORT_ESCALATION_METHOD(HoldEscalation, HoldEscalationRequest, Hold)
RAPPORT_ESCALATION_METHOD(ResumeEscalation, ResumeEscalationRequest, Resume)
RAPPORT_ESCALATION_METHOD(ResolveEscalation, ResolveEscalationRequest, Resolve)
RAPPORT_ESCALATION_METHOD(ReopenEscalation, ReopenEscalationRequest, Reopen)
RAPPORT_ESCALATION_METHOD(CloseEscalation, CloseEscalationRequest, Close)
RAPPORT_ESCALATION_METHOD(CancelEscalation, CancelEscalationRequest, Cancel)

#undef RAPPORT_ESCALATION_METHOD

grpc::ServerWriteReactor<v1::EscalationChange>* EscalationsGrpc::WatchEscalations(
    Ctx* c, const v1::WatchEscalationsRequest* r) {
  RAPPORT_ADMIT_STREAM(v1::EscalationChange, c, *r);
  return new WatchReactor(domain_, *r, &closing_);
}

void EscalationsGrpc::CloseWatches() {
  closing_.store(true);
  domain_->Wake();
}

}  // namespace rapport::escalations
