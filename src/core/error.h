// Errors, in the two tiers of DESIGN.md principle 7.
//
// `Error` is for bad input or a bad environment: a missing file, a malformed checkpoint, a flag
// out of range. Its message is written for the user and must carry the full context (file, JSON
// key, tensor name, line number, expected vs actual, the flag to change); the CLI prints it as
// the one line on stderr and exits non-zero. `FT_CHECK` is for broken invariants inside the
// program: it throws `InternalError` with file:line so a bug is never mistaken for bad input.
// Library code throws; it never calls exit().
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace finetune {

// Bad input or environment. The message is complete and user-facing.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A broken invariant (a bug in finetune), raised by FT_CHECK.
class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& message) : std::logic_error(message) {}
};

// Concatenates any streamable values into one string: cat("line ", 3, ": bad").
template <typename... Parts>
std::string cat(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << std::forward<Parts>(parts));
  return out.str();
}

[[noreturn]] void fail_check(const char* file, int line, const char* condition,
                             const std::string& message);

}  // namespace finetune

// FT_CHECK(condition, message parts...): throws InternalError naming file:line and the condition.
#define FT_CHECK(condition, ...)                                                         \
  do {                                                                                   \
    if (!(condition)) {                                                                  \
      ::finetune::fail_check(__FILE__, __LINE__, #condition, ::finetune::cat(__VA_ARGS__)); \
    }                                                                                    \
  } while (0)
