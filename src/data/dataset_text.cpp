// The `text;label` format of the emotion files (../shared/data/emotion/*.txt).
//
// One example per line: the text, a ';', the label name. The split is on the LAST ';' so a text
// may contain ';' (a label never does). A line without ';' is an error naming the file and line;
// the empty string after the final newline is not a line (as in text_lines.h). Lines may end in
// CRLF. Labels that are all plain numbers are ids (dataset_internal.h).
#include "core/error.h"
#include "data/dataset.h"
#include "data/dataset_internal.h"
#include "io/file.h"

namespace finetune {

Dataset read_text_dataset(const std::filesystem::path& path, const DatasetOptions& options) {
  using namespace dataset_detail;
  const std::string content = read_file(path);
  std::string_view rest = strip_utf8_bom(content);
  Dataset dataset;
  dataset.path = path;
  int64_t line_number = 0;
  while (!rest.empty() && !(options.limit && dataset.size() >= *options.limit)) {
    ++line_number;
    size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    line = strip_cr(line);
    check_utf8(line, path, line_number);
    size_t separator = line.rfind(';');
    if (separator == std::string_view::npos) {
      throw Error(cat(path.string(), ":", line_number,
                      ": no ';' separating the text from the label (expected 'text;label')"));
    }
    std::string_view label = line.substr(separator + 1);
    if (label.empty()) throw Error(cat(path.string(), ":", line_number, ": empty label"));
    dataset.texts.emplace_back(line.substr(0, separator));
    dataset.label_names.emplace_back(label);
    dataset.positions.push_back(line_number);
  }
  settle_untyped_labels(dataset);
  finish(dataset);
  return dataset;
}

}  // namespace finetune
