// The process-wide log sink. It is the one piece of global state in the library: where text
// for humans goes is a property of the process, not of any model or trainer.
#include "core/log.h"

#include <cstdio>
#include <mutex>
#include <utility>

namespace finetune {
namespace {

std::mutex g_sink_mutex;

void write_to_stderr(LogLevel level, const std::string& message) {
  const char* prefix = level == LogLevel::Info ? "" : level == LogLevel::Notice ? "notice: " : "warning: ";
  std::fprintf(stderr, "%s%s\n", prefix, message.c_str());
}

LogSink& sink() {
  static LogSink instance = write_to_stderr;
  return instance;
}

}  // namespace

LogSink set_log_sink(LogSink new_sink) {
  std::lock_guard<std::mutex> lock(g_sink_mutex);
  return std::exchange(sink(), std::move(new_sink));
}

void log_message(LogLevel level, const std::string& message) {
  std::lock_guard<std::mutex> lock(g_sink_mutex);
  if (sink()) sink()(level, message);
}

}  // namespace finetune
