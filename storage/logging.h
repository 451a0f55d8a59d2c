// Minimal structured logging to stderr: one line per event, with a UTC
// timestamp and a severity letter. (Debian's Abseil 20220623 predates absl/log.)
#pragma once

#include "absl/strings/string_view.h"

namespace rapport {

enum class LogSeverity { kInfo, kWarning, kError };

// Writes one line. Thread-safe; lines from different threads never interleave.
void Log(LogSeverity severity, absl::string_view message);

inline void LogInfo(absl::string_view message) { Log(LogSeverity::kInfo, message); }
inline void LogWarning(absl::string_view message) { Log(LogSeverity::kWarning, message); }
inline void LogError(absl::string_view message) { Log(LogSeverity::kError, message); }

}  // namespace rapport
