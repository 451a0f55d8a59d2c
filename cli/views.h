// rapportctl's table output for each kind of resource: pure functions from
// messages to text, so tests can check the layout without a server.
#pragma once

#include <ostream>
#include <vector>

#include "rapport/v1/relationships.pb.h"
#include "rapport/v1/sla.pb.h"

namespace rapport::cli {

// One row per relationship: id, display name, kind, tier, status, manager, updated.
void PrintRelationships(const std::vector<v1::Relationship>& relationships, std::ostream& os);
// A relationship's fields, then its stakeholders and its latest interactions
// (newest first, as given).
void PrintRelationship(const v1::Relationship& relationship,
                       const std::vector<v1::Stakeholder>& stakeholders,
                       const std::vector<v1::Interaction>& interactions, std::ostream& os);
// Score, band and trend (with ↑, ↓ or →), a table of components, and a
// WATERMELON line with its reason when the flag is set.
void PrintHealth(const v1::RelationshipHealth& health, std::ostream& os);

// One row per service.
void PrintServices(const std::vector<v1::Service>& services, std::ostream& os);
// A service's fields.
void PrintService(const v1::Service& service, std::ostream& os);
// One row per calendar, with its hours summarised.
void PrintCalendars(const std::vector<v1::Calendar>& calendars, std::ostream& os);
// A calendar's fields, working hours and holidays.
void PrintCalendar(const v1::Calendar& calendar, std::ostream& os);
// One row per agreement.
void PrintAgreements(const std::vector<v1::Agreement>& agreements, std::ostream& os);
// An agreement's fields and its targets per priority.
void PrintAgreement(const v1::Agreement& agreement, std::ostream& os);
// One row per revision, oldest first.
void PrintRevisions(const std::vector<v1::AgreementRevision>& revisions, std::ostream& os);
// One row per resource (name, action, changed fields), a count per action,
// and "dry run: nothing written" for a dry run.
void PrintCatalogChanges(const v1::ApplyCatalogResponse& response, std::ostream& os);

// A calendar's hours in one line: "24x7", or "Mon-Fri 09:00-17:00", or
// "Mon 08:00-12:00, 13:00-17:00; Sat 09:00-12:00".
std::string HoursSummary(const v1::Calendar& calendar);

}  // namespace rapport::cli
