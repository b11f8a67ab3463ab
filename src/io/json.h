// JSON reading with errors that name the file and the key.
//
// Hugging Face directories are configured by JSON (config.json, tokenizer.json,
// tokenizer_config.json). A user who gets "type_error.302" cannot fix anything; a user who gets
// "config.json: key 'hidden_size': expected an integer, got a string" can. `JsonView` wraps a
// value with the path that leads to it ("<file>: model.vocab") and does every typed read through
// checks that produce such messages.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace finetune {

using Json = nlohmann::json;

// Parses a file; a syntax error is reported with the file name, line and column.
Json parse_json_file(const std::filesystem::path& path);
// Parses text that came from `origin` (used in messages).
Json parse_json_text(const std::string& text, const std::string& origin);

// Name of a JSON value's type for messages: "an integer", "a string", ...
std::string json_type_phrase(const Json& value);

// A JSON value plus where it came from; typed reads throw Error naming that place.
class JsonView {
 public:
  JsonView(const Json& value, std::string where) : value_(&value), where_(std::move(where)) {}

  const Json& raw() const { return *value_; }
  const std::string& where() const { return where_; }
  bool is_object() const { return value_->is_object(); }

  bool has(const std::string& key) const;  // present and not null
  JsonView at(const std::string& key) const;  // required member (any type)

  int64_t get_int(const std::string& key) const;
  double get_number(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  std::string get_string(const std::string& key) const;

  // Optional members: the default when absent or null, an error when present with a wrong type.
  int64_t get_int_or(const std::string& key, int64_t fallback) const;
  double get_number_or(const std::string& key, double fallback) const;
  bool get_bool_or(const std::string& key, bool fallback) const;
  std::string get_string_or(const std::string& key, const std::string& fallback) const;
  std::optional<bool> get_optional_bool(const std::string& key) const;

  // Checks this value is an object (else throws naming `what`), for top-level documents.
  const JsonView& expect_object(const std::string& what) const;

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const;

 private:
  const Json* value_;
  std::string where_;
};

}  // namespace finetune
