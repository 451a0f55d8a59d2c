// rapportctl's table output for tickets (their SLA timers) and compliance
// reports: pure functions from messages to text, `now` passed in.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "rapport/v1/sla.pb.h"

namespace rapport::cli {

// "BREACHED", "AT RISK" or "ok": where a ticket stands against its targets.
std::string TicketStanding(const v1::Ticket& ticket);

// One row per ticket: id, service, relationship, priority, state, opened,
// standing, and the next due time of its running timers.
void PrintTickets(const std::vector<v1::Ticket>& tickets, absl::Time now, std::ostream& os);
// A ticket's fields, its timers (target, elapsed, remaining, percent used,
// due time, stage), its warnings and breaches, and its event log.
void PrintTicket(const v1::Ticket& ticket, absl::Time now, std::ostream& os);

// A compliance report: the period, met and breached per kind of target,
// open tickets at risk, and availability with the error budget when present.
// `period` names it for people, e.g. "month" or "30 days".
void PrintComplianceReport(const v1::ComplianceReport& report, const std::string& period,
                           std::ostream& os);

}  // namespace rapport::cli
