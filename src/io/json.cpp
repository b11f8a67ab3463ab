// JsonView's checked reads and the file parser's positioned errors.
#include "io/json.h"

#include <cmath>

#include "core/error.h"
#include "io/file.h"

namespace finetune {
namespace {

// Line and column (1-based) of a byte offset, for parse errors.
std::pair<size_t, size_t> line_and_column(const std::string& text, size_t byte) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

}  // namespace

Json parse_json_text(const std::string& text, const std::string& origin) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    // nlohmann reports the byte just past the problem; point at the offending byte.
    size_t byte = e.byte > 0 ? e.byte - 1 : 0;
    auto [line, column] = line_and_column(text, byte);
    std::string what = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 2: " prefix.
    size_t colon = what.find(": ");
    std::string reason = colon == std::string::npos ? what : what.substr(colon + 2);
    throw Error(cat(origin, ": invalid JSON at line ", line, ", column ", column, ": ", reason));
  } catch (const Json::exception& e) {
    // Anything else nlohmann can throw while parsing (e.g. out_of_range for a number like 1e999).
    std::string what = e.what();
    size_t bracket = what.find("] ");
    throw Error(cat(origin, ": invalid JSON: ", bracket == std::string::npos ? what : what.substr(bracket + 2)));
  }
}

Json parse_json_file(const std::filesystem::path& path) {
  return parse_json_text(read_file(path), path.string());
}

std::string json_type_phrase(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "an integer";
    case Json::value_t::number_float: return "a number";
    default: return "an unsupported value";
  }
}

void JsonView::fail(const std::string& key, const std::string& problem) const {
  throw Error(cat(where_, ": key '", key, "': ", problem));
}

const JsonView& JsonView::expect_object(const std::string& what) const {
  if (!value_->is_object()) {
    throw Error(cat(where_, ": expected ", what, " (a JSON object), got ", json_type_phrase(*value_)));
  }
  return *this;
}

bool JsonView::has(const std::string& key) const {
  if (!value_->is_object()) return false;
  auto it = value_->find(key);
  return it != value_->end() && !it->is_null();
}

JsonView JsonView::at(const std::string& key) const {
  if (!value_->is_object()) {
    throw Error(cat(where_, ": expected an object with key '", key, "', got ", json_type_phrase(*value_)));
  }
  auto it = value_->find(key);
  if (it == value_->end()) fail(key, "missing");
  return JsonView(*it, where_ + "." + key);
}

int64_t JsonView::get_int(const std::string& key) const {
  const Json& v = at(key).raw();
  if (v.is_number_integer()) return v.get<int64_t>();
  // Some writers emit integral values as floats (e.g. 768.0); accept those exactly.
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return static_cast<int64_t>(d);
  }
  fail(key, cat("expected an integer, got ", json_type_phrase(v), " (", v.dump(), ")"));
}

double JsonView::get_number(const std::string& key) const {
  const Json& v = at(key).raw();
  if (!v.is_number()) fail(key, cat("expected a number, got ", json_type_phrase(v)));
  return v.get<double>();
}

bool JsonView::get_bool(const std::string& key) const {
  const Json& v = at(key).raw();
  if (!v.is_boolean()) fail(key, cat("expected true or false, got ", json_type_phrase(v)));
  return v.get<bool>();
}

std::string JsonView::get_string(const std::string& key) const {
  const Json& v = at(key).raw();
  if (!v.is_string()) fail(key, cat("expected a string, got ", json_type_phrase(v)));
  return v.get<std::string>();
}

int64_t JsonView::get_int_or(const std::string& key, int64_t fallback) const {
  return has(key) ? get_int(key) : fallback;
}

double JsonView::get_number_or(const std::string& key, double fallback) const {
  return has(key) ? get_number(key) : fallback;
}

bool JsonView::get_bool_or(const std::string& key, bool fallback) const {
  return has(key) ? get_bool(key) : fallback;
}

std::string JsonView::get_string_or(const std::string& key, const std::string& fallback) const {
  return has(key) ? get_string(key) : fallback;
}

std::optional<bool> JsonView::get_optional_bool(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return get_bool(key);
}

}  // namespace finetune
