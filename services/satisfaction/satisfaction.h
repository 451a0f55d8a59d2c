// The satisfaction service's domain: surveys, answers, and the NPS, CSAT and
// CES scores and trends computed from them. Validation, the recontact rule,
// respondent hashing, index and aggregate maintenance live here;
// satisfaction_grpc.h is the thin gRPC adapter. Reads return at once; writes
// run as store transactions and report through a callback once durable (see
// services/common/transact.h).
//
// Respondents are never stored: an answer keeps HMAC-SHA256(key, respondent)
// under a random 256-bit key of this installation, created in the store on
// first start (so hashes stay stable across restarts, backups and restores).
//
// Aggregates (tallies.h) count every scored answer per scope (every answer,
// its survey, service and relationship) and UTC time slot, in the same atomic
// write as the answer; a withdrawal subtracts them in its own. Scores and
// trends read only those counters: their cost grows with the days covered,
// never with the answers stored.
//
// Domain API for other services (in-process, never through gRPC):
//   - Score(scope, from, to): NPS, CSAT and CES of a window with the change
//     against the window before, e.g. relationship health's satisfaction
//     component (NPS over 180 days, CSAT over 90 days).
//   - SetFeedbackHook(): stages writes (e.g. logging survey feedback on the
//     relationship, opening an escalation) in the very transaction of a
//     detractor answer with a comment; SetWithdrawalHook() stages their
//     removal in the transaction that withdraws it.
//   - SetObserver(): hears about answers after they are durable (metrics,
//     notifications).
//   - ScopesWithAnswers() and Score() for gauges computed at scrape time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "rapport/v1/satisfaction.pb.h"
#include "services/common/transact.h"
#include "services/satisfaction/figures.h"
#include "storage/clock.h"
#include "storage/store.h"

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX.

namespace rapport::satisfaction {

// How the satisfaction service checks names owned by other services, through
// their domain APIs. The defaults accept every well-formed name.
class References {
 public:
  virtual ~References() = default;
  // OK if `name` (`services/{id}`) is in the SLA catalog; NOT_FOUND naming
  // `field` if not.
  virtual absl::Status CheckService(absl::string_view /*field*/, absl::string_view /*name*/) const {
    return absl::OkStatus();
  }
  // OK if `name` (`relationships/{id}`) is in the register; NOT_FOUND naming
  // `field` if not.
  virtual absl::Status CheckRelationship(absl::string_view /*field*/,
                                         absl::string_view /*name*/) const {
    return absl::OkStatus();
  }
};

// What a score or trend covers.
struct Scope {
  enum class Kind { kEverything, kSurvey, kService, kRelationship };
  Kind kind = Kind::kEverything;
  // The survey, service or relationship id; empty for kEverything.
  std::string id;

  static Scope Everything() { return {}; }
  static Scope Survey(absl::string_view id) { return {Kind::kSurvey, std::string(id)}; }
  static Scope Service(absl::string_view id) { return {Kind::kService, std::string(id)}; }
  static Scope Relationship(absl::string_view id) { return {Kind::kRelationship, std::string(id)}; }
};

// Scores of a scope over a window [start, end), with changes against the
// previous window [previous_start, start) of the same length.
struct ScoreFigures {
  absl::Time start;
  absl::Time end;
  absl::Time previous_start;
  NpsEstimate nps;
  ChangeEstimate nps_change;
  CsatEstimate csat;
  ChangeEstimate csat_change;
  Estimate ces;
  ChangeEstimate ces_change;
  // The counts behind the figures.
  Tally current;
  Tally previous;
};

// Scores of one scope over a rolling window, for gauges.
struct RollingScore {
  // Service or relationship id; empty for every answer together.
  std::string id;
  // Length of the window in days.
  int days = 0;
  NpsEstimate nps;
  CsatEstimate csat;
  Estimate ces;
};

struct SatisfactionOptions {
  // Below this many answers a figure is marked not significant, and a change
  // involving it is never significant.
  int min_sample_size = 30;
  // Most points a trend may have.
  int max_trend_buckets = 1000;
};

class Satisfaction final {
 public:
  // Stages extra writes into the transaction of a submitted answer that is a
  // detractor with a comment (see Response.Category), after every check has
  // passed: what it stages commits atomically with the answer, and an error
  // refuses the answer (nothing is written). It may run more than once for
  // one answer (a transaction reruns on a write conflict), so it must only
  // read through and stage into `txn`. Not called for an idempotent replay.
  using FeedbackHook = std::function<absl::Status(storage::Txn& txn, const v1::Survey& survey,
                                                  const v1::Response& response)>;

  // Stages extra writes into the transaction that withdraws an answer that
  // was a detractor with a comment, to remove what FeedbackHook copied of it
  // (a withdrawal is a data-protection request). Same rules as FeedbackHook:
  // it only reads through and stages into `txn`, may run more than once, and
  // an error refuses the withdrawal (nothing is written). Not called when
  // the answer was withdrawn before.
  using WithdrawalHook =
      std::function<absl::Status(storage::Txn& txn, const v1::Response& response)>;

  // What happened, once durable. Callbacks run on a store thread: quick, no
  // blocking. A skipped question has category CATEGORY_UNSPECIFIED.
  struct Observer {
    std::function<void(v1::Survey::Kind, v1::Response::Category)> answered;
    std::function<void(v1::Survey::Kind, v1::Response::Category)> withdrawn;
    // A detractor answer with a comment was recorded (after FeedbackHook's
    // writes, if any, committed with it).
    std::function<void(const v1::Survey&, const v1::Response&)> detractor_comment;
  };

  // Opens the domain over `store`: loads the installation's respondent key,
  // creating it on first start. `store`, `clock` and `references` must
  // outlive the object. INTERNAL if no random key can be made or OpenSSL
  // cannot compute HMAC-SHA256; DATA_LOSS if the stored key is malformed.
  static absl::StatusOr<std::unique_ptr<Satisfaction>> Open(
      storage::Store* store, Clock* clock, const References* references,
      SatisfactionOptions options = SatisfactionOptions());

  // Set before serving; not thread-safe against calls in flight.
  void SetFeedbackHook(FeedbackHook hook) { feedback_hook_ = std::move(hook); }
  void SetWithdrawalHook(WithdrawalHook hook) { withdrawal_hook_ = std::move(hook); }
  void SetObserver(Observer observer) { observer_ = std::move(observer); }

  // The RPCs. Status codes as documented in satisfaction.proto.
  void CreateSurvey(const v1::CreateSurveyRequest& request, Callback<v1::Survey> done);
  absl::StatusOr<v1::Survey> GetSurvey(const v1::GetSurveyRequest& request) const;
  absl::StatusOr<v1::ListSurveysResponse> ListSurveys(const v1::ListSurveysRequest& request) const;
  void UpdateSurvey(const v1::UpdateSurveyRequest& request, Callback<v1::Survey> done);
  void DeleteSurvey(const v1::DeleteSurveyRequest& request, Callback<bool> done);
  void SubmitResponse(const v1::SubmitResponseRequest& request, Callback<v1::Response> done);
  absl::StatusOr<v1::Response> GetResponse(const v1::GetResponseRequest& request) const;
  absl::StatusOr<v1::ListResponsesResponse> ListResponses(
      const v1::ListResponsesRequest& request) const;
  void WithdrawResponse(const v1::WithdrawResponseRequest& request, Callback<bool> done);
  absl::StatusOr<v1::Score> GetScore(const v1::GetScoreRequest& request) const;
  absl::StatusOr<v1::Trend> GetTrend(const v1::GetTrendRequest& request) const;

  // Scores of `scope` over [from, to) (edges moved up to quarter hours), with
  // the change against the window of the same length before. Does not check
  // that the scope's survey, service or relationship exists (an unknown one
  // has no answers). INVALID_ARGUMENT if `to` is before `from`. Cost: the
  // days of both windows, plus a few slot reads per edge.
  absl::StatusOr<ScoreFigures> Score(const Scope& scope, absl::Time from, absl::Time to) const;

  // Gauges' figures: for every answer together (kind kEverything), or for
  // each service (kService) or relationship (kRelationship) that has answers,
  // the scores over windows of each of `days` days ending at `end`. One read
  // of the aggregates per scope (the longest window's days).
  absl::StatusOr<std::vector<RollingScore>> RollingScores(Scope::Kind kind, absl::Time end,
                                                          absl::Span<const int> days) const;

  // The ids of the services (Scope::Kind::kService) or relationships
  // (kRelationship) that have answers, in id order, for gauges: one index seek
  // per id. INVALID_ARGUMENT for other kinds.
  absl::StatusOr<std::vector<std::string>> ScopesWithAnswers(Scope::Kind kind) const;

  // The keyed hash of a respondent (after trimming, and lower-casing an
  // e-mail address), as stored: 32 bytes.
  std::string HashRespondent(absl::string_view respondent) const;

  int min_sample_size() const { return options_.min_sample_size; }

 private:
  Satisfaction(storage::Store* store, Clock* clock, const References* references,
               SatisfactionOptions options, std::shared_ptr<evp_mac_ctx_st> keyed_mac);

  absl::StatusOr<v1::Survey> ReadSurvey(absl::string_view id) const;
  absl::Status ValidateSurvey(const v1::Survey& survey) const;
  // Parses and checks a scope name: NOT_FOUND naming `field` if its survey,
  // service or relationship does not exist.
  absl::StatusOr<Scope> ResolveScope(absl::string_view field, absl::string_view scope) const;
  // Stages the answer's record, index entries and counters (sign +1), or
  // their removal (-1).
  void StageAnswer(storage::WriteBatch& batch, const v1::Response& response, int sign) const;

  storage::Store* const store_;
  Clock* const clock_;
  const References* const references_;
  const SatisfactionOptions options_;
  // HMAC-SHA256 keyed with the installation's respondent key, ready to copy:
  // a one-shot HMAC() looks the algorithms up again on every call.
  const std::shared_ptr<evp_mac_ctx_st> keyed_mac_;
  FeedbackHook feedback_hook_;
  WithdrawalHook withdrawal_hook_;
  Observer observer_;
};

}  // namespace rapport::satisfaction
