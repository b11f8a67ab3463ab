// JSON Lines datasets (.jsonl, and .json in the same form, which is what `datasets`' to_json
// writes): one JSON object per line with a string under the text key and a label under the label
// key. Blank lines are skipped. JSON has types, so labels are names when they are strings and ids
// when they are integers (or booleans: false 0, true 1); a file must use one kind throughout, and
// a number with a fraction is an error. A .json file holding one JSON array is refused with a
// message saying so (streaming line by line is what lets errors name a line).
#include <string>

#include "core/error.h"
#include "data/dataset.h"
#include "data/dataset_internal.h"
#include "io/file.h"
#include "io/json.h"

namespace finetune {

Dataset read_jsonl_dataset(const std::filesystem::path& path, const DatasetOptions& options) {
  using namespace dataset_detail;
  const std::string content = read_file(path);
  std::string_view rest = strip_utf8_bom(content);
  Dataset dataset;
  dataset.path = path;
  int64_t line_number = 0;
  int64_t first_label_line = 0;  // the line that fixed the label kind
  auto fail = [&](const std::string& problem) -> void {
    throw Error(cat(path.string(), ":", line_number, ": ", problem));
  };
  while (!rest.empty() && !(options.limit && dataset.size() >= *options.limit)) {
    ++line_number;
    size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    check_utf8(line, path, line_number);
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) continue;  // blank line
    if (line[first] == '[') {
      fail("a JSON array; expected JSON Lines (one object per line, as datasets' to_json writes)");
    }
    Json object;
    try {
      object = Json::parse(line);
    } catch (const Json::exception& e) {
      // A syntax error (parse_error) or a number too large for a double (out_of_range). Keep the
      // parser's description, without its "[json.exception.parse_error.101] " tag.
      std::string what = e.what();
      size_t tag_end = what.find("] ");
      fail(cat("invalid JSON: ", tag_end == std::string::npos ? what : what.substr(tag_end + 2)));
    }
    if (!object.is_object()) fail(cat("expected a JSON object, got ", json_type_phrase(object)));
    auto member = [&](const std::string& key) -> const Json& {
      auto it = object.find(key);
      if (it != object.end() && it->is_null()) fail(cat("key '", key, "' is null"));
      if (it == object.end()) {
        std::string keys;
        for (const auto& [k, v] : object.items()) keys += (keys.empty() ? "'" : ", '") + k + "'";
        fail(cat("no key '", key, "' (keys: ", keys.empty() ? "none" : keys, ")"));
      }
      return *it;
    };
    const Json& text = member(options.text_column);
    if (!text.is_string()) {
      fail(cat("key '", options.text_column, "' must be a string, got ", json_type_phrase(text)));
    }
    const Json& label = member(options.label_column);
    LabelKind kind;
    if (label.is_string()) {
      kind = LabelKind::kNames;
      if (label.get_ref<const std::string&>().empty()) fail("empty label");
    } else if (label.is_number_integer() || label.is_boolean()) {
      kind = LabelKind::kIds;
      if (label.is_number_unsigned() && label.get<uint64_t>() > uint64_t{INT64_MAX}) {
        fail(cat("label ", label.dump(), " is out of range"));
      }
    } else {
      fail(cat("key '", options.label_column, "' must be a string or an integer, got ",
               json_type_phrase(label), " (", label.dump(), ")"));
    }
    if (first_label_line == 0) {
      first_label_line = line_number;
      dataset.label_kind = kind;
    } else if (kind != dataset.label_kind) {
      fail(cat("label ", label.dump(), " is ", kind == LabelKind::kIds ? "an integer" : "a string",
               " but line ", first_label_line, "'s label is ",
               kind == LabelKind::kIds ? "a string" : "an integer",
               "; use one kind for all labels"));
    }
    if (kind == LabelKind::kIds) {
      dataset.label_ids.push_back(label.is_boolean() ? int64_t{label.get<bool>()}
                                                     : label.get<int64_t>());
    } else {
      dataset.label_names.push_back(label.get<std::string>());
    }
    dataset.texts.push_back(text.get<std::string>());
    dataset.positions.push_back(line_number);
  }
  finish(dataset);
  return dataset;
}

}  // namespace finetune
