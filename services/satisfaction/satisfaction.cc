#include "services/satisfaction/satisfaction.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "openssl/evp.h"
#include "openssl/core_names.h"
#include "openssl/rand.h"
#include "services/common/idempotency.h"
#include "services/common/pagination.h"
#include "services/common/proto_time.h"
#include "services/common/resource.h"
#include "services/common/scan_page.h"
#include "services/satisfaction/tallies.h"
#include "storage/key_codec.h"
#include "storage/status_macros.h"

namespace rapport::satisfaction {
namespace {

// The MAC of `data` under `keyed`, computed with this thread's own copy of
// it: copied at the thread's first use, then reset to the same key for each
// MAC (EVP_MAC_init without a key), which allocates nothing, where a copy per
// MAC costs a dozen allocations. nullopt if OpenSSL fails.
std::optional<std::string> MacWithThreadCopyOf(const std::shared_ptr<EVP_MAC_CTX>& keyed,
                                               absl::string_view data) {
  struct ThreadCopy {
    // Which context this copies: holding it weakly keeps its control block,
    // so a later context can never be mistaken for it.
    std::weak_ptr<EVP_MAC_CTX> of;
    std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx{nullptr, &EVP_MAC_CTX_free};
  };
  thread_local ThreadCopy copy;
  const bool same = !copy.of.owner_before(keyed) && !keyed.owner_before(copy.of) &&
                    !copy.of.expired();
  if (!same || copy.ctx == nullptr) {
    copy.ctx.reset(EVP_MAC_CTX_dup(keyed.get()));
    copy.of = keyed;
    if (copy.ctx == nullptr) return std::nullopt;
  } else if (EVP_MAC_init(copy.ctx.get(), nullptr, 0, nullptr) != 1) {
    copy.ctx.reset();
    return std::nullopt;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_size = 0;
  if (EVP_MAC_update(copy.ctx.get(), reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1 ||
      EVP_MAC_final(copy.ctx.get(), mac, &mac_size, sizeof(mac)) != 1) {
    copy.ctx.reset();
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(mac), mac_size);
}

// HMAC-SHA256 keyed with `key`, to copy per thread; null if OpenSSL cannot
// make it, or cannot compute a MAC with a copy of it.
std::shared_ptr<EVP_MAC_CTX> KeyedHmacSha256(absl::string_view key) {
  std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> hmac(EVP_MAC_fetch(nullptr, "HMAC", nullptr),
                                                         &EVP_MAC_free);
  if (hmac == nullptr) return nullptr;
  std::shared_ptr<EVP_MAC_CTX> ctx(EVP_MAC_CTX_new(hmac.get()), &EVP_MAC_CTX_free);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  if (ctx == nullptr || EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()),
                                     key.size(), params) != 1) {
    return nullptr;
  }
  if (!MacWithThreadCopyOf(ctx, "")) return nullptr;
  return ctx;
}

using storage::Cf;
namespace keys = storage::satkeys;

constexpr absl::string_view kCollection = "surveys";
constexpr int kDefaultRecontactDays = 30;
constexpr int kMaxRecontactDays = 3650;
constexpr int kMaxWindowDays = 3660;
constexpr size_t kKeyBytes = 32;
constexpr absl::Duration kMaxFutureSkew = absl::Hours(24);
// Most index entries one ListResponses call examines; a page may come back
// short (with a token) rather than scan without bound.
constexpr int kMaxExamined = 5000;

std::string SurveyName(absl::string_view id) { return absl::StrCat(kCollection, "/", id); }

std::string ResponseName(absl::string_view survey_id, absl::string_view id) {
  return absl::StrCat(kCollection, "/", survey_id, "/responses/", id);
}

// The id of a `collection/{id}` name already validated.
std::string IdOf(absl::string_view name) { return std::string(name.substr(name.find('/') + 1)); }

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

char ScopeTag(Scope::Kind kind) {
  switch (kind) {
    case Scope::Kind::kSurvey:
      return kScopeSurvey;
    case Scope::Kind::kService:
      return kScopeService;
    case Scope::Kind::kRelationship:
      return kScopeRelationship;
    default:
      return kScopeEverything;
  }
}

bool LegalTransition(v1::Survey::State from, v1::Survey::State to) {
  if (from == to) return true;
  switch (from) {
    case v1::Survey::DRAFT:
      return to == v1::Survey::OPEN || to == v1::Survey::CLOSED;
    case v1::Survey::OPEN:
      return to == v1::Survey::CLOSED;
    case v1::Survey::CLOSED:
      return to == v1::Survey::OPEN;
    default:
      return false;
  }
}

int RecontactDays(const v1::Survey& s) {
  return s.has_recontact_limit_days() ? s.recontact_limit_days() : kDefaultRecontactDays;
}

absl::Status ValidateTicket(absl::string_view field, absl::string_view name) {
  absl::string_view id = name;
  bool ok = absl::ConsumePrefix(&id, "tickets/") && !id.empty() && id.size() <= 128;
  for (char c : id) {
    ok = ok &&
         (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      field,
      " must look like 'tickets/{ticket_id}' with 1-128 of A-Z, a-z, 0-9, '.', '_', '-'; got '",
      name, "'"));
}

std::string NormalizeRespondent(absl::string_view respondent) {
  std::string out(absl::StripAsciiWhitespace(respondent));
  if (absl::StrContains(out, '@')) absl::AsciiStrToLower(&out);
  return out;
}

bool IsDetractorComment(const v1::Response& r) {
  return r.category() == v1::Response::DETRACTOR && !r.comment().empty();
}

// Start and length of the civil unit of a trend bucket holding `day`.
struct Buckets {
  v1::GetTrendRequest::Bucket bucket;

  absl::CivilDay First(absl::CivilDay day) const {
    switch (bucket) {
      case v1::GetTrendRequest::WEEK:
        return absl::PrevWeekday(day + 1, absl::Weekday::monday);
      case v1::GetTrendRequest::MONTH:
        return absl::CivilDay(absl::CivilMonth(day));
      default:
        return day;
    }
  }
  absl::CivilDay Next(absl::CivilDay first) const {
    switch (bucket) {
      case v1::GetTrendRequest::WEEK:
        return first + 7;
      case v1::GetTrendRequest::MONTH:
        return absl::CivilDay(absl::CivilMonth(first) + 1);
      default:
        return first + 1;
    }
  }
  // Buckets from the one starting at `first` to the one starting at `last`.
  int64_t Count(absl::CivilDay first, absl::CivilDay last) const {
    switch (bucket) {
      case v1::GetTrendRequest::WEEK:
        return (last - first) / 7 + 1;
      case v1::GetTrendRequest::MONTH:
        return absl::CivilMonth(last) - absl::CivilMonth(first) + 1;
      default:
        return last - first + 1;
    }
  }
  std::string Label(absl::CivilDay first) const {
    switch (bucket) {
      case v1::GetTrendRequest::WEEK: {
        // ISO 8601: the week belongs to the year of its Thursday.
        const absl::CivilDay thursday = first + 3;
        return absl::StrFormat("%04d-W%02d", thursday.year(),
                               (absl::GetYearDay(thursday) - 1) / 7 + 1);
      }
      case v1::GetTrendRequest::MONTH:
        return absl::StrFormat("%04d-%02d", first.year(), first.month());
      default:
        return absl::StrFormat("%04d-%02d-%02d", first.year(), first.month(), first.day());
    }
  }
};

// ScanPage (services/common/scan_page.h) with a bound on the entries
// examined: when a filter matches few of many answers, a call returns a short
// page (even an empty one) with a token rather than reading them all. The
// token resumes after the last entry examined.
template <typename T>
absl::Status BoundedScanPage(const storage::Store& store, Cf cf,
                             const storage::ScanOptions& options, int page_size, int max_examined,
                             uint64_t filter_hash,
                             const std::function<absl::StatusOr<std::optional<T>>(
                                 absl::string_view key, absl::string_view value)>& resolve,
                             std::vector<T>* out, std::string* next_page_token) {
  absl::Status error;
  std::string last_key;
  bool more = false;
  int examined = 0;
  RETURN_IF_ERROR(store.ForEach(cf, options, [&](absl::string_view key, absl::string_view value) {
    if (static_cast<int>(out->size()) == page_size || examined == max_examined) {
      more = true;
      return false;
    }
    ++examined;
    last_key = std::string(key);
    auto item = resolve(key, value);
    if (!item.ok()) {
      error = item.status();
      return false;
    }
    if (item->has_value()) out->push_back(std::move(**item));
    return true;
  }));
  RETURN_IF_ERROR(error);
  next_page_token->clear();
  if (more) *next_page_token = EncodePageToken(last_key, filter_hash);
  return absl::OkStatus();
}

// A respondent's answers to a survey, newest first, from the per-respondent
// index (every survey's: a respondent has few answers). An untracked scan:
// a transaction deciding on it reads the respondent's recontact marker first.
absl::StatusOr<std::vector<keys::IndexEntry>> AnswersOf(const storage::Store& store,
                                                        absl::string_view survey_id,
                                                        absl::string_view respondent_hash) {
  storage::ScanOptions scan;
  scan.prefix = keys::ByOwnerPrefix("nh", respondent_hash);
  std::vector<keys::IndexEntry> out;
  absl::Status error;
  RETURN_IF_ERROR(store.ForEach(Cf::kIndex, scan, [&](absl::string_view key, absl::string_view) {
    auto entry = keys::DecodeIndexSuffix(key.substr(scan.prefix.size()), std::nullopt);
    if (!entry) {
      error = absl::DataLossError("malformed response index entry");
      return false;
    }
    if (entry->survey_id == survey_id) out.push_back(std::move(*entry));
    return true;
  }));
  RETURN_IF_ERROR(error);
  return out;
}

}  // namespace

// ------------------------------------------------------------------ set-up

Satisfaction::Satisfaction(storage::Store* store, Clock* clock, const References* references,
                           SatisfactionOptions options,
                           std::shared_ptr<EVP_MAC_CTX> keyed_mac)
    : store_(store),
      clock_(clock),
      references_(references),
      options_(options),
      keyed_mac_(std::move(keyed_mac)) {}

absl::StatusOr<std::unique_ptr<Satisfaction>> Satisfaction::Open(storage::Store* store,
                                                                 Clock* clock,
                                                                 const References* references,
                                                                 SatisfactionOptions options) {
  std::string key;
  RETURN_IF_ERROR(store->TransactSync([&key](storage::Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(auto stored, txn.Get(Cf::kSatisfaction, keys::RespondentKey()));
    if (stored) {
      if (stored->size() != kKeyBytes) {
        return absl::DataLossError("the stored respondent key is malformed");
      }
      key = *stored;
      return absl::OkStatus();
    }
    key.assign(kKeyBytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) !=
        1) {
      return absl::InternalError("cannot make a random respondent key");
    }
    txn.batch().Put(Cf::kSatisfaction, keys::RespondentKey(), key);
    return absl::OkStatus();
  }));
  std::shared_ptr<EVP_MAC_CTX> keyed_mac = KeyedHmacSha256(key);
  if (keyed_mac == nullptr) return absl::InternalError("cannot compute HMAC-SHA256 with OpenSSL");
  return std::unique_ptr<Satisfaction>(
      new Satisfaction(store, clock, references, options, std::move(keyed_mac)));
}

std::string Satisfaction::HashRespondent(absl::string_view respondent) const {
  const std::optional<std::string> mac =
      MacWithThreadCopyOf(keyed_mac_, NormalizeRespondent(respondent));
  // Open() computed one with a copy of the same context: only out of memory here.
  if (!mac) std::abort();
  return absl::BytesToHexString(*mac);
}

// ------------------------------------------------------------------ surveys

absl::StatusOr<v1::Survey> Satisfaction::ReadSurvey(absl::string_view id) const {
  v1::Survey s;
  ASSIGN_OR_RETURN(bool found, store_->GetProto(Cf::kSatisfaction, keys::Survey(id), &s));
  if (!found)
    return absl::NotFoundError(absl::StrCat("survey ", SurveyName(id), " does not exist"));
  return s;
}

absl::Status Satisfaction::ValidateSurvey(const v1::Survey& s) const {
  RETURN_IF_ERROR(CheckLength("survey.display_name", s.display_name(), 1, 200));
  RETURN_IF_ERROR(CheckEnum("survey.kind", v1::Survey::Kind_descriptor(), s.kind(), true));
  RETURN_IF_ERROR(CheckLength("survey.question", s.question(), 1, 1000));
  RETURN_IF_ERROR(CheckEnum("survey.state", v1::Survey::State_descriptor(), s.state(), false));
  if (!s.service().empty()) {
    RETURN_IF_ERROR(ParseName("survey.service", s.service(), "services").status());
  }
  if (!s.relationship().empty()) {
    RETURN_IF_ERROR(ParseName("survey.relationship", s.relationship(), "relationships").status());
  }
  if (s.has_recontact_limit_days() &&
      (s.recontact_limit_days() < 0 || s.recontact_limit_days() > kMaxRecontactDays)) {
    return absl::InvalidArgumentError(
        absl::StrCat("survey.recontact_limit_days must be between 0 and ", kMaxRecontactDays,
                     ", got ", s.recontact_limit_days()));
  }
  return absl::OkStatus();
}

void Satisfaction::CreateSurvey(const v1::CreateSurveyRequest& request, Callback<v1::Survey> done) {
  absl::Status valid = CheckRequestId(request.request_id());
  if (valid.ok()) valid = ValidateSurvey(request.survey());
  if (valid.ok() && !request.survey_id().empty())
    valid = ValidateId("survey_id", request.survey_id());
  if (valid.ok() && !request.survey().service().empty()) {
    valid = references_->CheckService("survey.service", request.survey().service());
  }
  if (valid.ok() && !request.survey().relationship().empty()) {
    valid = references_->CheckRelationship("survey.relationship", request.survey().relationship());
  }
  if (!valid.ok()) return done(valid);
  const std::string id = request.survey_id().empty() ? NewId() : request.survey_id();
  const absl::Time now = clock_->Now();
  TransactFor<v1::Survey>(
      store_,
      [request, id, now](storage::Txn& txn, v1::Survey* out) -> absl::Status {
        const uint64_t fingerprint = RequestFingerprint(request.request_id(), request);
        ASSIGN_OR_RETURN(bool replay,
                         FindPriorResult(txn, "CreateSurvey", request.request_id(),
                                         fingerprint, out));
        if (replay) return absl::OkStatus();
        ASSIGN_OR_RETURN(auto existing, txn.Get(Cf::kSatisfaction, keys::Survey(id)));
        if (existing) {
          return absl::AlreadyExistsError(
              absl::StrCat("survey ", SurveyName(id), " already exists"));
        }
        v1::Survey s = request.survey();
        s.set_name(SurveyName(id));
        if (s.state() == v1::Survey::STATE_UNSPECIFIED) s.set_state(v1::Survey::DRAFT);
        if (!s.has_recontact_limit_days()) s.set_recontact_limit_days(kDefaultRecontactDays);
        *s.mutable_create_time() = ToProtoTime(now);
        *s.mutable_update_time() = ToProtoTime(now);
        s.set_etag("1");
        txn.batch().PutProto(Cf::kSatisfaction, keys::Survey(id), s);
        RecordResult(txn, "CreateSurvey", request.request_id(), fingerprint, s);
        *out = std::move(s);
        return absl::OkStatus();
      },
      std::move(done));
}

absl::StatusOr<v1::Survey> Satisfaction::GetSurvey(const v1::GetSurveyRequest& request) const {
  ASSIGN_OR_RETURN(std::string id, ParseName("name", request.name(), kCollection));
  return ReadSurvey(id);
}

absl::StatusOr<v1::ListSurveysResponse> Satisfaction::ListSurveys(
    const v1::ListSurveysRequest& request) const {
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  RETURN_IF_ERROR(CheckEnum("kind", v1::Survey::Kind_descriptor(), request.kind(), false));
  RETURN_IF_ERROR(CheckEnum("state", v1::Survey::State_descriptor(), request.state(), false));
  const std::string kind = absl::StrCat(request.kind()), state = absl::StrCat(request.state());
  const uint64_t hash = FilterHash({"surveys", kind, state});
  ASSIGN_OR_RETURN(std::string resume, DecodePageToken(request.page_token(), hash));
  std::vector<v1::Survey> items;
  v1::ListSurveysResponse response;
  RETURN_IF_ERROR(ScanRecordPage<v1::Survey>(
      *store_, Cf::kSatisfaction, keys::SurveyPrefix(), page_size, hash, resume,
      [&request](v1::Survey& s) {
        return (request.kind() == 0 || s.kind() == request.kind()) &&
               (request.state() == 0 || s.state() == request.state());
      },
      &items, response.mutable_next_page_token()));
  for (auto& s : items) *response.add_surveys() = std::move(s);
  return response;
}

void Satisfaction::UpdateSurvey(const v1::UpdateSurveyRequest& request, Callback<v1::Survey> done) {
  absl::Status valid =
      CheckMask(request.update_mask(), {"display_name", "question", "state", "recontact_limit_days",
                                        "kind", "service", "relationship"});
  auto id = ParseName("survey.name", request.survey().name(), kCollection);
  if (valid.ok()) valid = id.status();
  for (const auto& path : request.update_mask().paths()) {
    if (!valid.ok()) break;
    if (path == "service" && !request.survey().service().empty()) {
      valid = ParseName("survey.service", request.survey().service(), "services").status();
      if (valid.ok())
        valid = references_->CheckService("survey.service", request.survey().service());
    }
    if (path == "relationship" && !request.survey().relationship().empty()) {
      valid = ParseName("survey.relationship", request.survey().relationship(), "relationships")
                  .status();
      if (valid.ok()) {
        valid =
            references_->CheckRelationship("survey.relationship", request.survey().relationship());
      }
    }
  }
  if (!valid.ok()) return done(valid);
  const absl::Time now = clock_->Now();
  TransactFor<v1::Survey>(
      store_,
      [this, request, id = *id, now](storage::Txn& txn, v1::Survey* out) -> absl::Status {
        v1::Survey current;
        ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kSatisfaction, keys::Survey(id), &current));
        if (!found) {
          return absl::NotFoundError(absl::StrCat("survey ", SurveyName(id), " does not exist"));
        }
        RETURN_IF_ERROR(CheckEtag(SurveyName(id), current.etag(), request.survey().etag()));
        const v1::Survey& in = request.survey();
        v1::Survey next = current;
        auto draft_only = [&](absl::string_view field, bool changes) -> absl::Status {
          if (!changes || current.state() == v1::Survey::DRAFT) return absl::OkStatus();
          return absl::FailedPreconditionError(
              absl::StrCat("survey.", field, " can change only while the survey is DRAFT; ",
                           SurveyName(id), " is ", v1::Survey::State_Name(current.state())));
        };
        for (const auto& path : request.update_mask().paths()) {
          if (path == "display_name") next.set_display_name(in.display_name());
          if (path == "question") next.set_question(in.question());
          if (path == "recontact_limit_days") {
            next.set_recontact_limit_days(in.has_recontact_limit_days() ? in.recontact_limit_days()
                                                                        : kDefaultRecontactDays);
          }
          if (path == "state") {
            if (!LegalTransition(current.state(), in.state())) {
              return absl::InvalidArgumentError(absl::StrCat(
                  "survey.state cannot move from ", v1::Survey::State_Name(current.state()), " to ",
                  v1::Survey::State_Name(in.state())));
            }
            next.set_state(in.state());
          }
          if (path == "kind") {
            RETURN_IF_ERROR(draft_only("kind", in.kind() != current.kind()));
            next.set_kind(in.kind());
          }
          if (path == "service") {
            RETURN_IF_ERROR(draft_only("service", in.service() != current.service()));
            next.set_service(in.service());
          }
          if (path == "relationship") {
            RETURN_IF_ERROR(
                draft_only("relationship", in.relationship() != current.relationship()));
            next.set_relationship(in.relationship());
          }
        }
        RETURN_IF_ERROR(ValidateSurvey(next));
        *next.mutable_update_time() =
            ToProtoTime(std::max(now, FromProtoTime(current.update_time())));
        next.set_etag(NextEtag(current.etag()));
        txn.batch().PutProto(Cf::kSatisfaction, keys::Survey(id), next);
        *out = std::move(next);
        return absl::OkStatus();
      },
      std::move(done));
}

void Satisfaction::DeleteSurvey(const v1::DeleteSurveyRequest& request, Callback<bool> done) {
  auto id = ParseName("name", request.name(), kCollection);
  if (!id.ok()) return done(id.status());
  TransactFor<bool>(
      store_,
      [this, request, id = *id](storage::Txn& txn, bool* out) -> absl::Status {
        v1::Survey current;
        ASSIGN_OR_RETURN(bool found, txn.GetProto(Cf::kSatisfaction, keys::Survey(id), &current));
        if (!found) {
          return absl::NotFoundError(absl::StrCat("survey ", SurveyName(id), " does not exist"));
        }
        RETURN_IF_ERROR(CheckEtag(SurveyName(id), current.etag(), request.etag()));
        // Answers need an OPEN survey, whose record they read: while it is
        // not OPEN, none can arrive during this check.
        if (current.state() == v1::Survey::OPEN) {
          return absl::FailedPreconditionError(
              absl::StrCat(SurveyName(id), " is OPEN; close it before deleting it"));
        }
        storage::ScanOptions answers;
        answers.prefix = keys::ResponsePrefix(keys::kResponse, id);
        answers.limit = 1;
        ASSIGN_OR_RETURN(auto any, store_->Scan(Cf::kSatisfaction, answers));
        if (!any.entries.empty()) {
          return absl::FailedPreconditionError(absl::StrCat(
              SurveyName(id), " still has answers; withdraw them before deleting the survey"));
        }
        // The markers of withdrawn answers stay: a withdrawn id is never
        // accepted again, even by a survey created later under this id.
        storage::ScanOptions recontacts;
        recontacts.prefix = keys::RecontactPrefix(id);
        RETURN_IF_ERROR(store_->ForEach(Cf::kSatisfaction, recontacts,
                                        [&](absl::string_view key, absl::string_view) {
                                          txn.batch().Delete(Cf::kSatisfaction, key);
                                          return true;
                                        }));
        txn.batch().Delete(Cf::kSatisfaction, keys::Survey(id));
        *out = true;
        return absl::OkStatus();
      },
      std::move(done));
}

// ------------------------------------------------------------------ answers

void Satisfaction::StageAnswer(storage::WriteBatch& batch, const v1::Response& r, int sign) const {
  auto ids = ParseChildName("name", r.name(), kCollection, "responses");
  const std::string& survey_id = ids->first;
  const std::string& response_id = ids->second;
  const absl::Time t = FromProtoTime(r.submit_time());
  const std::string service = r.service().empty() ? "" : IdOf(r.service());
  const std::string relationship = r.relationship().empty() ? "" : IdOf(r.relationship());

  std::vector<std::string> index = {
      keys::ByTime(t, survey_id, response_id), keys::BySurvey(survey_id, t, response_id),
      keys::ByOwner("nh", r.respondent_hash(), t, survey_id, response_id)};
  if (!service.empty()) index.push_back(keys::ByOwner("ns", service, t, survey_id, response_id));
  if (!relationship.empty()) {
    index.push_back(keys::ByOwner("nr", relationship, t, survey_id, response_id));
  }
  const std::string record = keys::Response(keys::kResponse, survey_id, response_id);
  if (sign > 0) {
    batch.PutProto(Cf::kSatisfaction, record, r);
    for (const auto& key : index) batch.Put(Cf::kIndex, key, "");
  } else {
    batch.Delete(Cf::kSatisfaction, record);
    for (const auto& key : index) batch.Delete(Cf::kIndex, key);
  }
  if (!r.has_score()) return;
  const int offset = r.score() - ScaleOf(r.kind())->lowest;
  StageTally(batch, kScopeEverything, "", r.kind(), offset, t, sign);
  StageTally(batch, kScopeSurvey, survey_id, r.kind(), offset, t, sign);
  if (!service.empty()) StageTally(batch, kScopeService, service, r.kind(), offset, t, sign);
  if (!relationship.empty()) {
    StageTally(batch, kScopeRelationship, relationship, r.kind(), offset, t, sign);
  }
}

void Satisfaction::SubmitResponse(const v1::SubmitResponseRequest& request,
                                  Callback<v1::Response> done) {
  const absl::Time now = clock_->Now();
  const v1::Response& in = request.response();
  auto survey_id = ParseName("parent", request.parent(), kCollection);
  absl::Status valid = survey_id.status();
  if (valid.ok() && !request.response_id().empty()) {
    valid = ValidateId("response_id", request.response_id());
  }
  const std::string respondent(absl::StripAsciiWhitespace(request.respondent()));
  if (valid.ok()) valid = CheckLength("respondent", respondent, 1, 320);
  if (valid.ok() && !in.service().empty()) {
    valid = ParseName("response.service", in.service(), "services").status();
  }
  if (valid.ok() && !in.relationship().empty()) {
    valid = ParseName("response.relationship", in.relationship(), "relationships").status();
  }
  if (valid.ok() && !in.ticket().empty()) valid = ValidateTicket("response.ticket", in.ticket());
  if (valid.ok()) valid = CheckLength("response.comment", in.comment(), 0, 5000);
  if (valid.ok()) {
    valid = CheckEnum("response.channel", v1::Response::Channel_descriptor(), in.channel(), false);
  }
  absl::Time submitted = now;
  if (valid.ok() && in.has_submit_time()) {
    submitted = FromProtoTime(in.submit_time());
    if (submitted > now + kMaxFutureSkew) {
      valid = absl::InvalidArgumentError("response.submit_time is more than a day in the future");
    } else if (submitted < absl::UnixEpoch()) {
      valid = absl::InvalidArgumentError("response.submit_time is before 1970");
    }
  }
  if (valid.ok() && !in.service().empty()) {
    valid = references_->CheckService("response.service", in.service());
  }
  if (valid.ok() && !in.relationship().empty()) {
    valid = references_->CheckRelationship("response.relationship", in.relationship());
  }
  if (!valid.ok()) return done(valid);

  const std::string hash = HashRespondent(respondent);
  const std::string id = request.response_id().empty() ? NewId() : request.response_id();
  // What the observer hears about, set by the last run of the body.
  auto applied = std::make_shared<std::optional<v1::Survey>>();
  TransactFor<v1::Response>(
      store_,
      [this, in, survey_id = *survey_id, id, hash, submitted, now, applied](
          storage::Txn& txn, v1::Response* out) -> absl::Status {
        applied->reset();
        const std::string name = ResponseName(survey_id, id);
        ASSIGN_OR_RETURN(
            bool replay,
            txn.GetProto(Cf::kSatisfaction, keys::Response(keys::kResponse, survey_id, id), out));
        if (replay) return absl::OkStatus();
        ASSIGN_OR_RETURN(auto withdrawn, txn.Get(Cf::kSatisfaction,
                                                 keys::Response(keys::kWithdrawn, survey_id, id)));
        if (withdrawn) {
          return absl::FailedPreconditionError(
              absl::StrCat("response ", name, " was withdrawn; its id is not accepted again"));
        }
        v1::Survey survey;
        ASSIGN_OR_RETURN(bool found,
                         txn.GetProto(Cf::kSatisfaction, keys::Survey(survey_id), &survey));
        if (!found) {
          return absl::NotFoundError(
              absl::StrCat("parent ", SurveyName(survey_id), " does not exist"));
        }
        if (survey.state() != v1::Survey::OPEN) {
          return absl::FailedPreconditionError(
              absl::StrCat("survey ", SurveyName(survey_id), " is ",
                           v1::Survey::State_Name(survey.state()), " and accepts no answers"));
        }
        v1::Response r;
        r.set_name(name);
        r.set_service(in.service().empty() ? survey.service() : in.service());
        r.set_relationship(in.relationship().empty() ? survey.relationship() : in.relationship());
        if (!survey.service().empty() && r.service() != survey.service()) {
          return absl::InvalidArgumentError(
              absl::StrCat("response.service must be the survey's service ", survey.service(),
                           " (or empty); got ", in.service()));
        }
        if (!survey.relationship().empty() && r.relationship() != survey.relationship()) {
          return absl::InvalidArgumentError(
              absl::StrCat("response.relationship must be the survey's relationship ",
                           survey.relationship(), " (or empty); got ", in.relationship()));
        }
        // What the answer takes from the survey must still exist, as what it
        // names itself was checked to: every answer to a survey whose
        // relationship was deleted is refused alike, not only those that
        // log feedback on it.
        if (in.relationship().empty() && !r.relationship().empty()) {
          RETURN_IF_ERROR(references_->CheckRelationship(
              absl::StrCat(SurveyName(survey_id), "'s relationship"), r.relationship()));
        }
        if (in.service().empty() && !r.service().empty()) {
          RETURN_IF_ERROR(references_->CheckService(
              absl::StrCat(SurveyName(survey_id), "'s service"), r.service()));
        }
        r.set_kind(survey.kind());
        if (in.has_score()) {
          const Scale scale = ScaleOf(survey.kind()).value_or(Scale{0, 0});
          if (in.score() < scale.lowest || in.score() > scale.highest()) {
            return absl::InvalidArgumentError(absl::StrCat(
                "response.score must be between ", scale.lowest, " and ", scale.highest(),
                " for a ", v1::Survey::Kind_Name(survey.kind()), " survey; got ", in.score()));
          }
          r.set_score(in.score());
          r.set_category(CategoryOf(survey.kind(), in.score()));
        }
        // The marker keeps the respondent's latest answer to the survey and
        // changes with every answer and withdrawal of theirs: read through
        // the transaction before the untracked scan below, it makes any such
        // write committed meanwhile a conflict, so the scan is never stale.
        const std::string marker_key = keys::Recontact(survey_id, hash);
        ASSIGN_OR_RETURN(auto marker, txn.Get(Cf::kSatisfaction, marker_key));
        std::optional<keys::RecontactValue> previous;
        if (marker) {
          previous = keys::DecodeRecontact(*marker);
          if (!previous) return absl::DataLossError("recontact marker is malformed");
        }
        const int days = RecontactDays(survey);
        if (days > 0 && previous) {
          // An answer may be back-dated, so it is checked against every
          // other answer of the respondent to the survey, not only the latest.
          ASSIGN_OR_RETURN(std::vector<keys::IndexEntry> answers,
                           AnswersOf(*store_, survey_id, hash));
          const absl::Duration limit = absl::Hours(24) * days;
          std::optional<keys::IndexEntry> conflict;
          absl::Time allowed = submitted;
          // Oldest first: `allowed` only moves later, past each answer it
          // comes within the limit of, so one pass finds the first time at or
          // after `submitted` that is clear of them all.
          for (auto it = answers.rbegin(); it != answers.rend(); ++it) {
            if (absl::AbsDuration(submitted - it->submit_time) < limit) conflict = *it;
            if (absl::AbsDuration(allowed - it->submit_time) < limit) {
              allowed = it->submit_time + limit;
            }
          }
          if (conflict) {
            return absl::FailedPreconditionError(absl::StrCat(
                "the respondent answered ", SurveyName(survey_id), " at ",
                FormatUtc(conflict->submit_time), "; its recontact limit is ", days,
                " days, so the next answer is allowed from ", FormatUtc(allowed),
                " (response.submit_time ", FormatUtc(submitted), " is within ", days,
                " days of ", ResponseName(survey_id, conflict->response_id), ")"));
          }
        }
        absl::Time latest = submitted;
        std::string latest_id = id;
        if (previous && previous->latest_submit > submitted) {
          latest = previous->latest_submit;
          latest_id = previous->response_id;
        }
        r.set_ticket(in.ticket());
        r.set_comment(in.comment());
        r.set_channel(in.channel());
        *r.mutable_submit_time() = ToProtoTime(submitted);
        r.set_respondent_hash(hash);
        *r.mutable_create_time() = ToProtoTime(now);
        StageAnswer(txn.batch(), r, +1);
        txn.batch().Put(Cf::kSatisfaction, marker_key,
                        keys::EncodeRecontact(latest, latest_id, previous ? previous->writes + 1 : 1));
        if (IsDetractorComment(r) && feedback_hook_)
          RETURN_IF_ERROR(feedback_hook_(txn, survey, r));
        *out = std::move(r);
        *applied = std::move(survey);
        return absl::OkStatus();
      },
      [this, applied, done = std::move(done)](absl::StatusOr<v1::Response> result) {
        if (result.ok() && applied->has_value()) {
          if (observer_.answered) observer_.answered(result->kind(), result->category());
          if (IsDetractorComment(*result) && observer_.detractor_comment) {
            observer_.detractor_comment(**applied, *result);
          }
        }
        done(std::move(result));
      });
}

absl::StatusOr<v1::Response> Satisfaction::GetResponse(
    const v1::GetResponseRequest& request) const {
  ASSIGN_OR_RETURN(auto ids, ParseChildName("name", request.name(), kCollection, "responses"));
  v1::Response r;
  ASSIGN_OR_RETURN(bool found,
                   store_->GetProto(Cf::kSatisfaction,
                                    keys::Response(keys::kResponse, ids.first, ids.second), &r));
  if (!found)
    return absl::NotFoundError(absl::StrCat("response ", request.name(), " does not exist"));
  return r;
}

absl::StatusOr<v1::ListResponsesResponse> Satisfaction::ListResponses(
    const v1::ListResponsesRequest& request) const {
  std::optional<std::string> survey_id;
  if (request.parent() != "surveys/-") {
    ASSIGN_OR_RETURN(survey_id, ParseName("parent", request.parent(), kCollection));
    auto survey = ReadSurvey(*survey_id);
    if (absl::IsNotFound(survey.status())) {
      return absl::NotFoundError(absl::StrCat("parent ", request.parent(), " does not exist"));
    }
    RETURN_IF_ERROR(survey.status());
  }
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  std::string relationship, service, respondent_hash;
  if (!request.relationship().empty()) {
    ASSIGN_OR_RETURN(relationship,
                     ParseName("relationship", request.relationship(), "relationships"));
    RETURN_IF_ERROR(references_->CheckRelationship("relationship", request.relationship()));
  }
  if (!request.service().empty()) {
    ASSIGN_OR_RETURN(service, ParseName("service", request.service(), "services"));
    RETURN_IF_ERROR(references_->CheckService("service", request.service()));
  }
  RETURN_IF_ERROR(
      CheckEnum("category", v1::Response::Category_descriptor(), request.category(), false));
  const absl::Time start =
      request.has_start_time() ? FromProtoTime(request.start_time()) : absl::InfinitePast();
  const absl::Time end =
      request.has_end_time() ? FromProtoTime(request.end_time()) : absl::InfiniteFuture();
  if (end <= start) return absl::InvalidArgumentError("end_time must be after start_time");
  if (!request.respondent().empty()) {
    const std::string respondent(absl::StripAsciiWhitespace(request.respondent()));
    RETURN_IF_ERROR(CheckLength("respondent", respondent, 1, 320));
    respondent_hash = HashRespondent(respondent);
  }
  const std::string category = absl::StrCat(request.category());
  const std::string from = absl::StrCat(absl::ToUnixMicros(start)),
                    to = absl::StrCat(absl::ToUnixMicros(end));
  const uint64_t hash = FilterHash(
      {"responses", request.parent(), relationship, service, category, from, to, respondent_hash});
  ASSIGN_OR_RETURN(std::string resume, DecodePageToken(request.page_token(), hash));

  // The most selective index; the other filters apply to the records.
  storage::ScanOptions options;
  std::optional<std::string> index_survey;
  if (!respondent_hash.empty()) {
    options.prefix = keys::ByOwnerPrefix("nh", respondent_hash);
  } else if (!relationship.empty()) {
    options.prefix = keys::ByOwnerPrefix("nr", relationship);
  } else if (!service.empty()) {
    options.prefix = keys::ByOwnerPrefix("ns", service);
  } else if (survey_id) {
    options.prefix = keys::BySurveyPrefix(*survey_id);
    index_survey = survey_id;
  } else {
    options.prefix = keys::ByTimePrefix();
  }
  // Newest first: an entry holds -time, so end bounds below and start above.
  if (end != absl::InfiniteFuture()) {
    options.lower = keys::TimeBound(options.prefix, end - absl::Microseconds(1));
  }
  if (start != absl::InfinitePast()) {
    options.upper = keys::TimeBound(options.prefix, start - absl::Microseconds(1));
  }
  options.start_after = resume;
  const size_t prefix_size = options.prefix.size();
  std::vector<v1::Response> items;
  v1::ListResponsesResponse response;
  RETURN_IF_ERROR(BoundedScanPage<v1::Response>(
      *store_, Cf::kIndex, options, page_size, kMaxExamined, hash,
      [&](absl::string_view key, absl::string_view) -> absl::StatusOr<std::optional<v1::Response>> {
        auto entry = keys::DecodeIndexSuffix(key.substr(prefix_size), index_survey);
        if (!entry) return absl::DataLossError("malformed response index entry");
        if (survey_id && entry->survey_id != *survey_id) return std::optional<v1::Response>();
        v1::Response r;
        ASSIGN_OR_RETURN(
            bool found,
            store_->GetProto(Cf::kSatisfaction,
                             keys::Response(keys::kResponse, entry->survey_id, entry->response_id),
                             &r));
        // Withdrawn since the entry was read.
        if (!found) return std::optional<v1::Response>();
        const bool match = (relationship.empty() || r.relationship() == request.relationship()) &&
                           (service.empty() || r.service() == request.service()) &&
                           (request.category() == 0 || r.category() == request.category());
        if (!match) return std::optional<v1::Response>();
        return std::optional<v1::Response>(std::move(r));
      },
      &items, response.mutable_next_page_token()));
  for (auto& r : items) *response.add_responses() = std::move(r);
  return response;
}

void Satisfaction::WithdrawResponse(const v1::WithdrawResponseRequest& request,
                                    Callback<bool> done) {
  auto ids = ParseChildName("name", request.name(), kCollection, "responses");
  if (!ids.ok()) return done(ids.status());
  const absl::Time now = clock_->Now();
  auto withdrawn = std::make_shared<std::optional<v1::Response>>();
  TransactFor<bool>(
      store_,
      [this, request, ids = *ids, now, withdrawn](storage::Txn& txn, bool* out) -> absl::Status {
        withdrawn->reset();
        const auto& [survey_id, id] = ids;
        v1::Response r;
        ASSIGN_OR_RETURN(
            bool found,
            txn.GetProto(Cf::kSatisfaction, keys::Response(keys::kResponse, survey_id, id), &r));
        if (!found) {
          ASSIGN_OR_RETURN(
              auto tombstone,
              txn.Get(Cf::kSatisfaction, keys::Response(keys::kWithdrawn, survey_id, id)));
          if (!tombstone) {
            return absl::NotFoundError(
                absl::StrCat("response ", request.name(), " does not exist"));
          }
          *out = true;  // Withdrawn before: nothing left to do.
          return absl::OkStatus();
        }
        StageAnswer(txn.batch(), r, -1);
        std::string tombstone;
        storage::AppendTime(&tombstone, now);
        txn.batch().Put(Cf::kSatisfaction, keys::Response(keys::kWithdrawn, survey_id, id),
                        tombstone);
        // The respondent's recontact marker falls back to their latest
        // other answer to the survey, if this one set it, and is rewritten
        // either way: a concurrent answer that read it then reruns without
        // this one (see SubmitResponse).
        const std::string marker_key = keys::Recontact(survey_id, r.respondent_hash());
        ASSIGN_OR_RETURN(auto marker, txn.Get(Cf::kSatisfaction, marker_key));
        auto decoded = marker ? keys::DecodeRecontact(*marker) : std::nullopt;
        if (marker && !decoded) return absl::DataLossError("recontact marker is malformed");
        if (decoded) {
          std::optional<keys::IndexEntry> latest;
          if (decoded->response_id == id) {
            ASSIGN_OR_RETURN(std::vector<keys::IndexEntry> answers,
                             AnswersOf(*store_, survey_id, r.respondent_hash()));
            for (auto& entry : answers) {
              if (entry.response_id == id) continue;
              latest = std::move(entry);
              break;
            }
          } else {
            latest = keys::IndexEntry{decoded->latest_submit, survey_id, decoded->response_id};
          }
          if (latest) {
            txn.batch().Put(Cf::kSatisfaction, marker_key,
                            keys::EncodeRecontact(latest->submit_time, latest->response_id,
                                                  decoded->writes + 1));
          } else {
            txn.batch().Delete(Cf::kSatisfaction, marker_key);
          }
        }
        if (IsDetractorComment(r) && withdrawal_hook_) RETURN_IF_ERROR(withdrawal_hook_(txn, r));
        *withdrawn = std::move(r);
        *out = true;
        return absl::OkStatus();
      },
      [this, withdrawn, done = std::move(done)](absl::StatusOr<bool> result) {
        if (result.ok() && withdrawn->has_value() && observer_.withdrawn) {
          observer_.withdrawn((*withdrawn)->kind(), (*withdrawn)->category());
        }
        done(std::move(result));
      });
}

// ------------------------------------------------------------------ scores

absl::StatusOr<Scope> Satisfaction::ResolveScope(absl::string_view field,
                                                 absl::string_view scope) const {
  if (scope.empty()) return Scope::Everything();
  if (absl::StartsWith(scope, "surveys/")) {
    ASSIGN_OR_RETURN(std::string id, ParseName(field, scope, "surveys"));
    auto survey = ReadSurvey(id);
    if (absl::IsNotFound(survey.status())) {
      return absl::NotFoundError(absl::StrCat(field, " ", scope, " does not exist"));
    }
    RETURN_IF_ERROR(survey.status());
    return Scope::Survey(id);
  }
  if (absl::StartsWith(scope, "services/")) {
    ASSIGN_OR_RETURN(std::string id, ParseName(field, scope, "services"));
    RETURN_IF_ERROR(references_->CheckService(field, scope));
    return Scope::Service(id);
  }
  if (absl::StartsWith(scope, "relationships/")) {
    ASSIGN_OR_RETURN(std::string id, ParseName(field, scope, "relationships"));
    RETURN_IF_ERROR(references_->CheckRelationship(field, scope));
    return Scope::Relationship(id);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field,
      " must be empty (every answer), surveys/{id}, services/{id} or relationships/{id}; got '",
      scope, "'"));
}

absl::StatusOr<ScoreFigures> Satisfaction::Score(const Scope& scope, absl::Time from,
                                                 absl::Time to) const {
  if (to < from) return absl::InvalidArgumentError("the window ends before it starts");
  ScoreFigures f;
  f.start = CeilToQuarter(from);
  f.end = CeilToQuarter(to);
  f.previous_start = f.start - (f.end - f.start);
  ASSIGN_OR_RETURN(auto sums, SumWindows(*store_, ScopeTag(scope.kind), scope.id,
                                         {{f.previous_start, f.start}, {f.start, f.end}}));
  f.previous = sums[0];
  f.current = sums[1];
  const int min = options_.min_sample_size;
  f.nps = EstimateNps(f.current, min);
  f.csat = EstimateCsat(f.current, min);
  f.ces = EstimateCes(f.current, min);
  f.nps_change = Compare(f.nps, EstimateNps(f.previous, min), min);
  f.csat_change = Compare(f.csat, EstimateCsat(f.previous, min), min);
  f.ces_change = Compare(f.ces, EstimateCes(f.previous, min), min);
  return f;
}

absl::StatusOr<std::vector<RollingScore>> Satisfaction::RollingScores(
    Scope::Kind kind, absl::Time end, absl::Span<const int> days) const {
  std::vector<std::string> ids = {""};
  if (kind != Scope::Kind::kEverything) {
    ASSIGN_OR_RETURN(ids, ScopesWithAnswers(kind));
  }
  const absl::Time to = CeilToQuarter(end);
  std::vector<Window> windows;
  for (int d : days) windows.push_back({to - absl::Hours(24) * d, to});
  std::vector<RollingScore> out;
  const int min = options_.min_sample_size;
  for (const auto& id : ids) {
    ASSIGN_OR_RETURN(auto sums, SumWindows(*store_, ScopeTag(kind), id, windows));
    for (size_t i = 0; i < days.size(); ++i) {
      out.push_back({id, days[i], EstimateNps(sums[i], min), EstimateCsat(sums[i], min),
                     EstimateCes(sums[i], min)});
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> Satisfaction::ScopesWithAnswers(Scope::Kind kind) const {
  if (kind != Scope::Kind::kService && kind != Scope::Kind::kRelationship) {
    return absl::InvalidArgumentError("only services and relationships are listed");
  }
  // A skip scan of the service or relationship index: one seek per owner.
  const std::string tag = kind == Scope::Kind::kService ? "ns" : "nr";
  std::vector<std::string> ids;
  storage::ScanOptions scan;
  scan.prefix = tag;
  scan.limit = 1;
  for (;;) {
    ASSIGN_OR_RETURN(auto first, store_->Scan(Cf::kIndex, scan));
    if (first.entries.empty()) break;
    auto owner = keys::OwnerOf(first.entries[0].key);
    if (!owner) return absl::DataLossError("malformed response index entry");
    scan.lower = storage::PrefixSuccessor(keys::ByOwnerPrefix(tag, *owner));
    ids.push_back(std::move(*owner));
  }
  return ids;
}

absl::StatusOr<v1::Score> Satisfaction::GetScore(const v1::GetScoreRequest& request) const {
  ASSIGN_OR_RETURN(Scope scope, ResolveScope("scope", request.scope()));
  const absl::Time end = request.has_end_time() ? FromProtoTime(request.end_time()) : clock_->Now();
  absl::Time start;
  if (request.rolling_days() != 0) {
    if (request.has_start_time()) {
      return absl::InvalidArgumentError("give rolling_days or start_time, not both");
    }
    if (request.rolling_days() < 1 || request.rolling_days() > kMaxWindowDays) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rolling_days must be between 1 and ", kMaxWindowDays, ", got ", request.rolling_days()));
    }
    start = end - absl::Hours(24) * request.rolling_days();
  } else {
    if (!request.has_start_time()) {
      return absl::InvalidArgumentError("start_time or rolling_days is required");
    }
    start = FromProtoTime(request.start_time());
    if (end < start) return absl::InvalidArgumentError("end_time must not be before start_time");
    if (end - start > absl::Hours(24) * kMaxWindowDays) {
      return absl::InvalidArgumentError(
          absl::StrCat("start_time..end_time spans more than ", kMaxWindowDays, " days"));
    }
  }
  ASSIGN_OR_RETURN(ScoreFigures f, Score(scope, start, end));
  v1::Score out;
  out.set_scope(request.scope());
  *out.mutable_start_time() = ToProtoTime(f.start);
  *out.mutable_end_time() = ToProtoTime(f.end);
  *out.mutable_previous_start_time() = ToProtoTime(f.previous_start);
  const int min = options_.min_sample_size;
  FillNps(f.current, f.previous, min, out.mutable_nps());
  FillCsat(f.current, f.previous, min, out.mutable_csat());
  FillCes(f.current, f.previous, min, out.mutable_ces());
  out.set_min_sample_size(min);
  return out;
}

absl::StatusOr<v1::Trend> Satisfaction::GetTrend(const v1::GetTrendRequest& request) const {
  ASSIGN_OR_RETURN(Scope scope, ResolveScope("scope", request.scope()));
  RETURN_IF_ERROR(
      CheckEnum("bucket", v1::GetTrendRequest::Bucket_descriptor(), request.bucket(), true));
  if (!request.has_start_time()) return absl::InvalidArgumentError("start_time is required");
  const absl::Time start = FromProtoTime(request.start_time());
  const absl::Time end = request.has_end_time() ? FromProtoTime(request.end_time()) : clock_->Now();
  if (end <= start) return absl::InvalidArgumentError("end_time must be after start_time");
  const std::string zone = request.time_zone().empty() ? "UTC" : request.time_zone();
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(zone, &tz)) {
    return absl::InvalidArgumentError(
        absl::StrCat("time_zone '", zone, "' is not an IANA time zone (e.g. Europe/Berlin)"));
  }
  if (request.rolling_days() < 0 || request.rolling_days() > kMaxWindowDays) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rolling_days must be between 0 and ", kMaxWindowDays, ", got ", request.rolling_days()));
  }
  const Buckets buckets{request.bucket()};
  const absl::CivilDay first = buckets.First(absl::ToCivilDay(start, tz));
  const absl::CivilDay last = buckets.First(absl::ToCivilDay(end - absl::Nanoseconds(1), tz));
  const int64_t count = buckets.Count(first, last);
  if (count > options_.max_trend_buckets) {
    return absl::InvalidArgumentError(absl::StrCat(
        "start_time..end_time covers ", count, " ",
        v1::GetTrendRequest::Bucket_Name(request.bucket()), " buckets, more than the cap of ",
        options_.max_trend_buckets, "; shorten the range or use a larger bucket"));
  }

  // Buckets from the one before the range (the first point's comparison) to
  // the last; bucket i spans starts[i]..starts[i + 1].
  std::vector<absl::CivilDay> starts;
  absl::CivilDay previous = first - 1;
  starts.push_back(buckets.First(previous));
  for (absl::CivilDay d = first; starts.size() < static_cast<size_t>(count) + 2;
       d = buckets.Next(d)) {
    starts.push_back(d);
  }
  auto instant = [&tz](absl::CivilDay d) { return CeilToQuarter(absl::FromCivil(d, tz)); };
  std::vector<Window> windows;
  for (size_t i = 0; i + 1 < starts.size(); ++i) {
    const absl::CivilDay window_first =
        request.rolling_days() > 0 ? starts[i + 1] - request.rolling_days() : starts[i];
    windows.push_back({instant(window_first), instant(starts[i + 1])});
  }
  ASSIGN_OR_RETURN(auto sums, SumWindows(*store_, ScopeTag(scope.kind), scope.id, windows));

  v1::Trend out;
  out.set_scope(request.scope());
  out.set_bucket(request.bucket());
  out.set_time_zone(zone);
  out.set_rolling_days(request.rolling_days());
  const int min = options_.min_sample_size;
  out.set_min_sample_size(min);
  for (size_t i = 1; i < windows.size(); ++i) {
    v1::TrendPoint* p = out.add_points();
    *p->mutable_start_time() = ToProtoTime(instant(starts[i]));
    *p->mutable_end_time() = ToProtoTime(instant(starts[i + 1]));
    p->set_label(buckets.Label(starts[i]));
    *p->mutable_window_start_time() = ToProtoTime(windows[i].first);
    FillNps(sums[i], sums[i - 1], min, p->mutable_nps());
    FillCsat(sums[i], sums[i - 1], min, p->mutable_csat());
    FillCes(sums[i], sums[i - 1], min, p->mutable_ces());
  }
  return out;
}

}  // namespace rapport::satisfaction
