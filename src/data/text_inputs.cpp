// Reading `tokenize`/`predict` inputs: plain text lines or JSON Lines of texts and text pairs
// (see text_inputs.h for the contract). Lines come from TextLineReader, which has already
// checked UTF-8 and the line-length limit, so this file only turns a line into a TextInput.
#include "data/text_inputs.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "core/error.h"
#include "io/json.h"

namespace finetune {
namespace {

constexpr const char* kShape = "{\"text\": A} or {\"text\": A, \"text_pair\": B}";

// nlohmann's description of a parse error, without its "[json.exception.parse_error.101] " tag
// and with "parse error at line 1, column N" (the line is always 1: it parsed one line) as
// "at column N", so the message reads "<file>:<line>: invalid JSON at column N: ...".
std::string describe_json_error(const Json::exception& e) {
  std::string what = e.what();
  const size_t tag_end = what.find("] ");
  if (tag_end != std::string::npos) what = what.substr(tag_end + 2);
  const std::string prefix = "parse error at line 1, column ";
  if (what.rfind(prefix, 0) == 0) return " at column " + what.substr(prefix.size());
  return ": " + what;
}

}  // namespace

bool is_jsonl_input(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".jsonl";
}

TextInput parse_text_input_line(std::string_view line, const std::string& where) {
  auto fail = [&](const std::string& problem) { throw Error(cat(where, ": ", problem)); };
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
    fail(cat("blank line; expected ", kShape, " (each line of a .jsonl input is one example)"));
  }
  Json object;
  try {
    object = Json::parse(line);
  } catch (const Json::exception& e) {
    // A syntax error (parse_error), or a number too large for a double (out_of_range).
    fail(cat("invalid JSON", describe_json_error(e)));
  }
  if (!object.is_object()) {
    fail(cat("expected a JSON object ", kShape, ", got ", json_type_phrase(object)));
  }
  // Unknown keys first: for {"txt": ...} the typo is the useful thing to name.
  for (const auto& [key, value] : object.items()) {
    if (key != "text" && key != "text_pair") {
      fail(cat("unknown key '", key, "'; expected ", kShape));
    }
  }
  auto text = object.find("text");
  if (text == object.end()) fail(cat("no key 'text'; expected ", kShape));
  TextInput input;
  if (!text->is_string()) fail(cat("key 'text' must be a string, got ", json_type_phrase(*text)));
  input.text = std::move(text->get_ref<std::string&>());
  auto pair = object.find("text_pair");
  if (pair != object.end()) {
    if (!pair->is_string()) {
      fail(cat("key 'text_pair' must be a string, got ", json_type_phrase(*pair)));
    }
    input.text_pair = std::move(pair->get_ref<std::string&>());
  }
  return input;
}

TextInputReader::TextInputReader(const std::filesystem::path& path)
    : lines_(path), jsonl_(is_jsonl_input(path)) {}

bool TextInputReader::next_chunk(std::vector<TextInput>& inputs, size_t max_lines,
                                 size_t max_bytes) {
  inputs.clear();
  if (!lines_.next_chunk(chunk_, max_lines, max_bytes)) return false;
  first_line_ = lines_.line_number() - chunk_.size() + 1;
  inputs.resize(chunk_.size());
  if (!jsonl_) {
    for (size_t i = 0; i < chunk_.size(); ++i) inputs[i].text = std::move(chunk_[i]);
    return true;
  }
  // Parsing JSON costs about as much as tokenizing, so lines are parsed across threads too. As
  // in encode.cpp, exceptions stay inside the OpenMP region and the first bad line is reported.
  size_t first_failure = std::numeric_limits<size_t>::max();
  std::string failure_message;
  const long n = static_cast<long>(chunk_.size());
#pragma omp parallel for schedule(dynamic, 256)
  for (long i = 0; i < n; ++i) {
    try {
      inputs[i] = parse_text_input_line(chunk_[i], cat(path().string(), ":", first_line_ + i));
    } catch (const std::exception& e) {
#pragma omp critical(finetune_text_input_failure)
      {
        if (static_cast<size_t>(i) < first_failure) {
          first_failure = static_cast<size_t>(i);
          failure_message = e.what();
        }
      }
    }
  }
  if (first_failure != std::numeric_limits<size_t>::max()) throw Error(failure_message);
  return true;
}

}  // namespace finetune
