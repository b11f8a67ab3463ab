// Command-line options, declared once per command.
//
// DESIGN.md: one list of OptionSpec drives parsing, `--help`, and the resolved configuration a
// command prints. Values are kept as text until a command asks for them typed; a bad value is a
// UsageError that names the flag and what was expected.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace finetune::cli {

// A mistake in how the command was invoked: printed with a pointer to --help, exit status 2.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message) {}
};

struct OptionSpec {
  std::string name;           // "--max-length"; a name without "--" ("REPO") is positional
  std::string value_name;     // "N"; empty for a flag that takes no value
  std::string help;           // one line
  std::string default_value;  // shown in --help and the resolved configuration; "" = none
  bool required = false;

  bool positional() const { return name.rfind("--", 0) != 0; }
};

class ParsedOptions {
 public:
  ParsedOptions(const std::vector<OptionSpec>* specs, std::map<std::string, std::string> values)
      : specs_(specs), values_(std::move(values)) {}

  bool has(const std::string& name) const;  // given on the command line (or a flag was set)
  // The given value, else the declared default, else nullopt.
  std::optional<std::string> get(const std::string& name) const;
  std::string get_string(const std::string& name) const;  // required or defaulted
  // Typed reads; a malformed value, one outside [min, max], or a number that is not finite (nan,
  // inf) is a UsageError naming the flag. Sizes are bounded by `max` so that no flag can ask for
  // an absurd allocation or overflow the int it ends up in.
  long long get_int(const std::string& name, long long min, long long max = kMaxLong) const;
  double get_number(const std::string& name) const;

  static constexpr long long kMaxInt = 2147483647;  // INT_MAX: for values stored in an int
  static constexpr long long kMaxLong = 9223372036854775807LL;

  // "name=value" for every option with a value (given or default), in declaration order.
  std::string resolved() const;
  const std::vector<OptionSpec>& specs() const { return *specs_; }

 private:
  const OptionSpec& spec(const std::string& name) const;
  const std::vector<OptionSpec>* specs_;
  std::map<std::string, std::string> values_;
};

// Parses args (after the command name). Accepts "--name value" and "--name=value".
// `--help` is handled by the caller before this is reached.
ParsedOptions parse_options(const std::vector<OptionSpec>& specs, const std::vector<std::string>& args,
                            const std::string& command);

// The --help text of a command: usage line, summary, one line per option.
std::string format_help(const std::string& command, const std::string& summary,
                        const std::vector<OptionSpec>& specs);

}  // namespace finetune::cli
