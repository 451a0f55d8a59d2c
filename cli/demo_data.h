// The organisation `rapportctl demo seed` makes: Nordwind Logistics' IT
// department with its business units, customers and a supplier, its service
// catalog (services, calendars in three time zones, agreements), as plain
// data the seeder (demo_seed.cc) turns into API calls.
#pragma once

#include <string>
#include <vector>

#include "rapport/v1/relationships.pb.h"
#include "rapport/v1/sla.pb.h"

namespace rapport::cli::demo {

// The IT department's own e-mail domain.
inline constexpr char kDomain[] = "nordwind.example";

// A person on the business side of a relationship.
struct StakeholderSeed {
  const char* id;
  const char* name;
  const char* role;
  int power, interest;
  v1::Stakeholder::Attitude attitude;
};

// Something that happened with a relationship, `days_ago` before the seed.
struct InteractionSeed {
  int days_ago;
  v1::Interaction::Kind kind;
  int sentiment;
  const char* summary;
  const char* follow_up;  // nullptr for none.
  int follow_up_due_days_ago;
};

// A business unit, customer or supplier, and how much it uses IT: tickets
// per working day and NPS answers per week, with a mood shifting its answers.
struct RelationshipSeed {
  const char* id;
  const char* name;
  v1::Relationship::Kind kind;
  v1::Relationship::Tier tier;
  v1::Relationship::Status status;
  const char* manager;  // Local part at kDomain.
  const char* region;
  const char* domain;  // Where its people's e-mail lives.
  const char* description;
  std::vector<const char*> services;
  double tickets_per_day;  // On working days.
  int nps_per_week;
  double nps_mood;  // Added to the NPS answers' mean.
  std::vector<StakeholderSeed> stakeholders;
  std::vector<InteractionSeed> interactions;
};

// A service of the catalog.
struct ServiceSeed {
  const char* id;
  const char* name;
  const char* owner;
  v1::Service::Criticality criticality;
  const char* description;
};

// Business-time targets per priority P1..P4, in minutes.
struct Targets {
  int response[4];
  int resolution[4];
};

// An agreement; `relationship` empty for a catalog default SLA, an OLA or a UC.
struct AgreementSeed {
  const char* id;
  const char* name;
  v1::Agreement::Type type;
  const char* service;
  const char* relationship;  // "" for the catalog default (SLA) or an OLA/UC.
  const char* provider;
  const char* calendar;
  Targets targets;
  double availability;  // 0: none.
};

// The relationships, services and agreements, in the order they are made.
const std::vector<RelationshipSeed>& Relationships();
const std::vector<ServiceSeed>& Services();
const std::vector<AgreementSeed>& Agreements();
// The calendars: Hamburg, New York and Singapore office hours, and one
// around the clock (UTC).
std::vector<v1::Calendar> Calendars();

// The customer SLA that measures a ticket, as ResolveAgreements picks it:
// the relationship's own for the service, else the service's default.
const AgreementSeed& SlaFor(const std::string& relationship, const std::string& service);

}  // namespace rapport::cli::demo
