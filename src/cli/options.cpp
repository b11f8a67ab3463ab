// Option parsing, typed reads and help formatting.
#include "cli/options.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace finetune::cli {

const OptionSpec& ParsedOptions::spec(const std::string& name) const {
  for (const auto& s : *specs_)
    if (s.name == name) return s;
  FT_CHECK(false, "option ", name, " is not declared");
}

bool ParsedOptions::has(const std::string& name) const {
  spec(name);
  return values_.count(name) > 0;
}

std::optional<std::string> ParsedOptions::get(const std::string& name) const {
  const OptionSpec& s = spec(name);
  auto it = values_.find(name);
  if (it != values_.end()) return it->second;
  if (!s.default_value.empty()) return s.default_value;
  return std::nullopt;
}

std::string ParsedOptions::get_string(const std::string& name) const {
  auto value = get(name);
  FT_CHECK(value.has_value(), "option ", name, " has no value and no default");
  return *value;
}

long long ParsedOptions::get_int(const std::string& name, long long min, long long max) const {
  std::string text = get_string(name);
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE) {
    throw UsageError(cat(name, ": expected an integer, got '", text, "'"));
  }
  if (value < min) throw UsageError(cat(name, ": must be at least ", min, ", got ", value));
  if (value > max) throw UsageError(cat(name, ": must be at most ", max, ", got ", value));
  return value;
}

double ParsedOptions::get_number(const std::string& name) const {
  std::string text = get_string(name);
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(value)) {
    throw UsageError(cat(name, ": expected a finite number, got '", text, "'"));
  }
  return value;
}

std::string ParsedOptions::resolved() const {
  std::string text;
  for (const auto& s : *specs_) {
    if (s.value_name.empty()) {
      if (values_.count(s.name)) text += (text.empty() ? "" : " ") + s.name;
      continue;
    }
    auto value = get(s.name);
    if (value) text += cat(text.empty() ? "" : " ", s.positional() ? s.name : s.name.substr(2), "=", *value);
  }
  return text;
}

ParsedOptions parse_options(const std::vector<OptionSpec>& specs, const std::vector<std::string>& args,
                            const std::string& command) {
  std::map<std::string, std::string> values;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::optional<std::string> inline_value;
    size_t eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    auto it = std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& s) { return s.name == arg; });
    if (it == specs.end() && !arg.empty() && arg[0] != '-') {
      // A positional argument (`finetune download REPO`): the first positional spec not yet set.
      auto pos = std::find_if(specs.begin(), specs.end(),
                              [&](const OptionSpec& s) { return s.positional() && !values.count(s.name); });
      if (pos != specs.end()) {
        values[pos->name] = args[i];
        continue;
      }
    }
    if (it == specs.end()) {
      if (arg.rfind('-', 0) == 0) throw UsageError(cat("finetune ", command, ": unknown option '", arg, "'"));
      throw UsageError(cat("finetune ", command, ": unexpected argument '", arg, "'"));
    }
    if (values.count(arg)) throw UsageError(cat("finetune ", command, ": ", arg, " given twice"));
    if (it->value_name.empty()) {
      if (inline_value) throw UsageError(cat("finetune ", command, ": ", arg, " takes no value"));
      values[arg] = "true";
      continue;
    }
    if (inline_value) {
      values[arg] = *inline_value;
    } else {
      if (i + 1 >= args.size()) {
        throw UsageError(cat("finetune ", command, ": ", arg, " needs a value (", it->value_name, ")"));
      }
      values[arg] = args[++i];
    }
  }
  for (const auto& s : specs) {
    if (s.required && !values.count(s.name)) {
      if (s.positional()) throw UsageError(cat("finetune ", command, ": missing ", s.name));
      throw UsageError(cat("finetune ", command, ": missing required option ", s.name, " ", s.value_name));
    }
  }
  return ParsedOptions(&specs, std::move(values));
}

std::string format_help(const std::string& command, const std::string& summary,
                        const std::vector<OptionSpec>& specs) {
  std::string usage = "usage: finetune " + command;
  auto item_of = [](const OptionSpec& s) {
    return s.positional() || s.value_name.empty() ? s.name : s.name + " " + s.value_name;
  };
  for (const auto& s : specs) usage += s.required ? " " + item_of(s) : " [" + item_of(s) + "]";
  std::string text = usage + "\n\n" + summary + "\n\noptions:\n";
  size_t width = 0;
  for (const auto& s : specs) width = std::max(width, item_of(s).size());
  for (const auto& s : specs) {
    std::string item = item_of(s);
    text += "  " + item + std::string(width - item.size() + 2, ' ') + s.help;
    if (!s.default_value.empty()) text += " (default: " + s.default_value + ")";
    if (s.required) text += " (required)";
    text += "\n";
  }
  text += "  --help" + std::string(width > 4 ? width - 4 : 2, ' ') + "show this help\n";
  return text;
}

}  // namespace finetune::cli
