// Messages for the user that are not errors: notices ("a fresh classification head was
// created") and progress. The library writes through one sink so that tests can capture what
// was said and the CLI can decide where it goes; the default is stderr.
#pragma once

#include <functional>
#include <string>

namespace finetune {

enum class LogLevel { Info, Notice, Warning };

using LogSink = std::function<void(LogLevel, const std::string&)>;

// Replaces the sink and returns the previous one (so a test can restore it).
LogSink set_log_sink(LogSink sink);
void log_message(LogLevel level, const std::string& message);

inline void log_info(const std::string& message) { log_message(LogLevel::Info, message); }
inline void log_notice(const std::string& message) { log_message(LogLevel::Notice, message); }
inline void log_warning(const std::string& message) { log_message(LogLevel::Warning, message); }

}  // namespace finetune
