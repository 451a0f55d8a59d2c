// The SLA catalog's domain: services, business-hours calendars, versioned
// agreements, agreement selection for tickets, and catalog as code.
// catalog_grpc.h is the thin gRPC adapter. Reads return at once; writes run
// as store transactions and report through a callback once durable.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "rapport/v1/sla.pb.h"
#include "services/common/transact.h"
#include "services/sla/calendar.h"
#include "storage/clock.h"
#include "storage/store.h"

namespace rapport::sla {

// Builds the engine's calendar from the API's. INVALID_ARGUMENT naming the
// field (`field_prefix`.working_hours[i].start, ...).
absl::StatusOr<BusinessCalendar> ToBusinessCalendar(const v1::Calendar& calendar,
                                                    absl::string_view field_prefix = "calendar");

class Catalog final {
 public:
  // Whether a relationship id exists: OK, NOT_FOUND naming `field`, or another error.
  using RelationshipLookup =
      std::function<absl::Status(absl::string_view field, absl::string_view relationship_id)>;

  // `store` and `clock` must outlive this object.
  Catalog(storage::Store* store, Clock* clock, RelationshipLookup relationship_exists);

  // Services.
  void CreateService(const v1::CreateServiceRequest& request, Callback<v1::Service> done);
  absl::StatusOr<v1::Service> GetService(const v1::GetServiceRequest& request) const;
  absl::StatusOr<v1::ListServicesResponse> ListServices(const v1::ListServicesRequest& request) const;
  void UpdateService(const v1::UpdateServiceRequest& request, Callback<v1::Service> done);
  void DeleteService(const v1::DeleteServiceRequest& request, Callback<bool> done);

  // Calendars.
  void CreateCalendar(const v1::CreateCalendarRequest& request, Callback<v1::Calendar> done);
  absl::StatusOr<v1::Calendar> GetCalendar(const v1::GetCalendarRequest& request) const;
  absl::StatusOr<v1::ListCalendarsResponse> ListCalendars(
      const v1::ListCalendarsRequest& request) const;
  void UpdateCalendar(const v1::UpdateCalendarRequest& request, Callback<v1::Calendar> done);
  void DeleteCalendar(const v1::DeleteCalendarRequest& request, Callback<bool> done);
  absl::StatusOr<v1::ComputeDueTimeResponse> ComputeDueTime(
      const v1::ComputeDueTimeRequest& request) const;
  absl::StatusOr<v1::ComputeBusinessDurationResponse> ComputeBusinessDuration(
      const v1::ComputeBusinessDurationRequest& request) const;

  // Agreements.
  void CreateAgreement(const v1::CreateAgreementRequest& request, Callback<v1::Agreement> done);
  absl::StatusOr<v1::Agreement> GetAgreement(const v1::GetAgreementRequest& request) const;
  absl::StatusOr<v1::ListAgreementsResponse> ListAgreements(
      const v1::ListAgreementsRequest& request) const;
  void UpdateAgreement(const v1::UpdateAgreementRequest& request, Callback<v1::Agreement> done);
  void DeleteAgreement(const v1::DeleteAgreementRequest& request, Callback<bool> done);
  absl::StatusOr<v1::ListAgreementRevisionsResponse> ListAgreementRevisions(
      const v1::ListAgreementRevisionsRequest& request) const;
  absl::StatusOr<v1::ResolveAgreementsResponse> ResolveAgreements(
      const v1::ResolveAgreementsRequest& request) const;

  // Catalog as code.
  void ApplyCatalog(const v1::ApplyCatalogRequest& request, Callback<v1::ApplyCatalogResponse> done);

  // For the relationship register: NOT_FOUND naming `field` unless the
  // service exists and the agreement (if given) exists for that service.
  absl::Status CheckConsumedService(absl::string_view field, absl::string_view service,
                                    absl::string_view agreement) const;

 private:
  // Every catalog write goes through Write: ResolveAgreements caches what it
  // reads of a service's agreements, and uses that only while no write is
  // running and none has finished since.
  template <typename T>
  void Write(std::function<absl::Status(storage::Txn&, T*)> body, Callback<T> done);
  void Write(std::function<absl::Status(storage::Txn&)> body, std::function<void(absl::Status)> done);
  // What Write does once its write is over, written or not.
  void WriteEnded() const;

  // What ResolveAgreements reads of a service: whether it exists, and its
  // agreements, each with its revisions oldest first.
  struct ServiceAgreements {
    struct Candidate {
      v1::Agreement agreement;
      std::vector<v1::AgreementRevision> revisions;
    };
    uint64_t generation = 0;
    bool service_found = false;
    std::vector<Candidate> candidates;
  };
  absl::StatusOr<std::shared_ptr<const ServiceAgreements>> AgreementsOf(
      const std::string& service_id) const;

  absl::Status StageService(storage::Txn& txn, const v1::Service& in, absl::Time now,
                            v1::Service* out, std::vector<std::string>* changed) const;
  absl::Status StageCalendar(storage::Txn& txn, const v1::Calendar& in, absl::Time now,
                             v1::Calendar* out, std::vector<std::string>* changed) const;
  // Validate `in` (named), compare with the stored record and write what
  // changed into `txn`; `changed` gets the changed fields, {"*"} for a new
  // record, nothing if unchanged. Agreements get a new revision when a
  // measurement field or their calendar's hours changed.
  absl::Status StageAgreement(storage::Txn& txn, const v1::Agreement& in, absl::Time now,
                              v1::Agreement* out, std::vector<std::string>* changed) const;

  storage::Store* const store_;
  Clock* const clock_;
  const RelationshipLookup relationship_exists_;
  // Catalog writes running, and finished (see Write).
  mutable std::atomic<int> writing_{0};
  mutable std::atomic<uint64_t> generation_{0};
  mutable std::mutex agreements_mu_;
  // By service id; every entry is of one generation.
  mutable std::unordered_map<std::string, std::shared_ptr<const ServiceAgreements>> agreements_;
};

}  // namespace rapport::sla
