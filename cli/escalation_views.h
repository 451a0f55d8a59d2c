// rapportctl's table output for escalations and their policies: pure
// functions from messages to text (`now` is passed in so that "in 14m" and
// "2h ago" can be tested).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "rapport/v1/escalations.pb.h"

namespace rapport::cli {

// "1 duty-manager": the level index (0 is the first) and its name, with
// "(repeat N)" after a repeat and "(exhausted)" once no level is left.
std::string LevelText(const v1::Escalation& escalation);

// What happens next to an escalation: "escalates in 14m", "retriggers in 3h",
// "held 2h ago", or "-".
std::string NextStep(const v1::Escalation& escalation, absl::Time now);

// One line after a change: "7d3kq2m9: ACKNOWLEDGED, level 0 (service-desk),
// escalates in 14m".
std::string EscalationStatusLine(const v1::Escalation& escalation, absl::Time now);

// One row per escalation, newest first as given.
void PrintEscalations(const std::vector<v1::Escalation>& escalations, absl::Time now,
                      std::ostream& os);
// An escalation's fields, its policy's levels (the current one marked) and
// its whole timeline, oldest first.
void PrintEscalation(const v1::Escalation& escalation, absl::Time now, std::ostream& os);
// One row per policy: id, name, levels with their waits, repeat.
void PrintEscalationPolicies(const std::vector<v1::EscalationPolicy>& policies, std::ostream& os);

// `escalations watch`: the header once, then one line per change, in fixed
// columns (a stream cannot be measured in advance).
void PrintEscalationChangeHeader(std::ostream& os);
void PrintEscalationChange(const v1::EscalationChange& change, std::ostream& os);

}  // namespace rapport::cli
