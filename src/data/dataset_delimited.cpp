// CSV and TSV datasets: a header row naming the columns, then one example per record.
//
// CSV follows RFC 4180, which is what Python's csv module, pandas and spreadsheets write: fields
// separated by ',', records by LF or CRLF; a field that starts with '"' is quoted and may hold
// ',', newlines and '"' written as '""'; after the closing quote comes a separator or the record
// end. Like Python's csv module, a '"' inside an unquoted field is kept as a character. An
// unterminated quote is an error naming the line where the field began.
// TSV has no quoting: fields are separated by TAB, records by LF or CRLF, and a field cannot
// contain either (the convention of Hugging Face's and pandas' .tsv files).
// In both, blank lines are skipped, every record must have as many fields as the header, and
// positions are the line a record starts on.
#include <algorithm>
#include <string>
#include <vector>

#include "core/error.h"
#include "data/dataset.h"
#include "data/dataset_internal.h"
#include "io/file.h"

namespace finetune {
namespace {

class RecordReader {
 public:
  RecordReader(std::string_view content, const std::filesystem::path& path, char separator)
      : text_(content), path_(path), separator_(separator), quoting_(separator == ',') {}

  // Reads the next record into `fields`; false at the end of the input. `line` gets the line the
  // record starts on. The raw bytes of the record are UTF-8 checked.
  bool next(std::vector<std::string>& fields, int64_t& line) {
    if (pos_ >= text_.size()) return false;
    fields.clear();
    line = line_;
    const size_t start = pos_;
    const int64_t start_line = line_;
    bool more = true;
    while (more) {
      std::string& field = fields.emplace_back();
      if (quoting_ && pos_ < text_.size() && text_[pos_] == '"') {
        more = read_quoted(field);
      } else {
        more = read_unquoted(field);
      }
    }
    dataset_detail::check_utf8(text_.substr(start, pos_ - start), path_, start_line);
    return true;
  }

 private:
  // Reads an unquoted field up to a separator (returns true: another field follows) or the end
  // of the record (returns false).
  bool read_unquoted(std::string& field) {
    size_t end = pos_;
    while (end < text_.size() && text_[end] != separator_ && text_[end] != '\n') ++end;
    std::string_view value = text_.substr(pos_, end - pos_);
    if (end == text_.size() || text_[end] == '\n') value = dataset_detail::strip_cr(value);
    field.assign(value);
    if (end == text_.size()) {
      pos_ = end;
      return false;
    }
    pos_ = end + 1;
    if (text_[end] == '\n') {
      ++line_;
      return false;
    }
    return true;
  }

  bool read_quoted(std::string& field) {
    const int64_t open_line = line_;
    ++pos_;  // the opening quote
    for (;;) {
      size_t quote = text_.find('"', pos_);
      if (quote == std::string_view::npos) {
        throw Error(
            cat(path_.string(), ":", open_line, ": a quoted field is never closed (missing '\"')"));
      }
      std::string_view part = text_.substr(pos_, quote - pos_);
      line_ += std::count(part.begin(), part.end(), '\n');
      field.append(part);
      pos_ = quote + 1;
      if (pos_ < text_.size() && text_[pos_] == '"') {  // "" is one quote character
        field.push_back('"');
        ++pos_;
        continue;
      }
      break;
    }
    if (pos_ == text_.size()) return false;
    char next = text_[pos_];
    if (next == separator_) {
      ++pos_;
      return true;
    }
    if (next == '\n' || (next == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n')) {
      pos_ += next == '\n' ? 1 : 2;
      ++line_;
      return false;
    }
    throw Error(cat(path_.string(), ":", line_,
                    ": unexpected character after the closing quote of a field (a quote inside "
                    "a quoted field is written '\"\"')"));
  }

  std::string_view text_;
  const std::filesystem::path& path_;
  char separator_;
  bool quoting_;
  size_t pos_ = 0;
  int64_t line_ = 1;
};

bool blank(const std::vector<std::string>& fields) {
  return fields.size() == 1 && fields[0].empty();
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string list;
  for (const auto& name : names) list += (list.empty() ? "'" : ", '") + name + "'";
  return list;
}

}  // namespace

Dataset read_delimited_dataset(const std::filesystem::path& path, const DatasetOptions& options,
                               char separator) {
  const std::string content = read_file(path);
  RecordReader reader(dataset_detail::strip_utf8_bom(content), path, separator);
  Dataset dataset;
  dataset.path = path;
  const char* format = separator == ',' ? "CSV" : "TSV";

  std::vector<std::string> header;
  int64_t line = 0;
  do {
    if (!reader.next(header, line)) {
      throw Error(cat(path.string(), ": no examples (the ", format, " file is empty)"));
    }
  } while (blank(header));
  auto find = [&](const std::string& name) {
    size_t found = header.size();
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] != name) continue;
      if (found != header.size()) {
        throw Error(cat(path.string(), ":", line, ": the header names column '", name, "' twice"));
      }
      found = i;
    }
    if (found == header.size()) {
      throw Error(cat(path.string(), ":", line, ": the header has no column '", name,
                      "' (columns: ", quoted_list(header), ")"));
    }
    return found;
  };
  const size_t text_index = find(options.text_column);
  const size_t label_index = find(options.label_column);

  std::vector<std::string> fields;
  while (!(options.limit && dataset.size() >= *options.limit) && reader.next(fields, line)) {
    if (blank(fields)) continue;
    if (fields.size() != header.size()) {
      throw Error(cat(path.string(), ":", line, ": ", fields.size(), " fields but the header has ",
                      header.size(), separator == ',' ? "" : " (TSV fields cannot be quoted)"));
    }
    if (fields[label_index].empty()) {
      throw Error(
          cat(path.string(), ":", line, ": empty label (column '", options.label_column, "')"));
    }
    dataset.label_names.push_back(fields[label_index]);  // a copy: the columns may coincide
    dataset.texts.push_back(std::move(fields[text_index]));
    dataset.positions.push_back(line);
  }
  dataset_detail::settle_untyped_labels(dataset);
  dataset_detail::finish(dataset);
  return dataset;
}

}  // namespace finetune
