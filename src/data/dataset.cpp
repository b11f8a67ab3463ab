// The dataset entry point (choose a reader by extension) and the helpers all formats share.
#include "data/dataset.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "data/dataset_internal.h"
#include "data/text_lines.h"

namespace finetune {

std::string Dataset::where(size_t i) const {
  if (!parts.empty()) {
    // The last part that starts at or before i.
    auto it = std::upper_bound(parts.begin(), parts.end(), i, [](size_t index, const Part& p) { return index < p.first; });
    const Part& part = *(it == parts.begin() ? it : it - 1);
    if (part.rows) return cat(part.path.string(), ": row ", positions[i]);
    return cat(part.path.string(), ":", positions[i]);
  }
  if (positions_are_rows) return cat(path.string(), ": row ", positions[i]);
  return cat(path.string(), ":", positions[i]);
}

void append_dataset(Dataset& dataset, Dataset&& more) {
  if (dataset.parts.empty()) dataset.parts.push_back(Dataset::Part{dataset.path, 0, dataset.positions_are_rows});
  if (more.label_kind != dataset.label_kind) {
    throw Error(cat(more.path.string(), ": its labels are ",
                    more.label_kind == LabelKind::kIds ? "integer ids" : "names", " but those of ",
                    dataset.parts.front().path.string(), " are ",
                    dataset.label_kind == LabelKind::kIds ? "integer ids" : "names",
                    "; the files of one split must agree"));
  }
  if (more.class_names != dataset.class_names) {
    throw Error(cat(more.path.string(), ": its ClassLabel names differ from those of ",
                    dataset.parts.front().path.string(), "; the files of one split must agree"));
  }
  dataset.parts.push_back(Dataset::Part{more.path, dataset.texts.size(), more.positions_are_rows});
  auto append = [](auto& to, auto& from) { to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end())); };
  append(dataset.texts, more.texts);
  append(dataset.label_names, more.label_names);
  append(dataset.label_ids, more.label_ids);
  append(dataset.positions, more.positions);
}

std::string Dataset::raw_label(size_t i) const {
  if (label_kind == LabelKind::kIds) return std::to_string(label_ids[i]);
  return cat("'", label_names[i], "'");
}

Dataset read_dataset(const std::filesystem::path& path, const DatasetOptions& options) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".txt") return read_text_dataset(path, options);
  if (extension == ".csv") return read_delimited_dataset(path, options, ',');
  if (extension == ".tsv") return read_delimited_dataset(path, options, '\t');
  if (extension == ".jsonl" || extension == ".json") return read_jsonl_dataset(path, options);
  if (extension == ".parquet") return read_parquet_dataset(path, options);
  throw Error(cat(path.string(), ": unknown dataset format '", extension,
                  "' (expected .txt, .csv, .tsv, .jsonl, .json or .parquet)"));
}

namespace dataset_detail {

std::string_view strip_utf8_bom(std::string_view content) {
  if (content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);
  return content;
}

std::string_view strip_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

void check_utf8(std::string_view text, const std::filesystem::path& path, int64_t first_line) {
  size_t bad = find_invalid_utf8(text);
  if (bad == std::string_view::npos) return;
  std::string_view before = text.substr(0, bad);
  int64_t line = first_line + std::count(before.begin(), before.end(), '\n');
  size_t line_start = before.rfind('\n');
  size_t column = line_start == std::string_view::npos ? bad : bad - line_start - 1;
  throw Error(cat(path.string(), ":", line, ": invalid UTF-8 at byte ", column + 1));
}

void settle_untyped_labels(Dataset& dataset) {
  // Up to 18 digits always fits in int64; longer numbers stay names (they are no usable id).
  auto is_number = [](const std::string& s) {
    return !s.empty() && s.size() <= 18 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (dataset.label_names.empty() ||
      !std::all_of(dataset.label_names.begin(), dataset.label_names.end(), is_number)) {
    return;
  }
  dataset.label_ids.reserve(dataset.label_names.size());
  for (const auto& name : dataset.label_names) dataset.label_ids.push_back(std::stoll(name));
  dataset.label_names.clear();
  dataset.label_kind = LabelKind::kIds;
}

void finish(Dataset& dataset) {
  if (dataset.texts.empty()) throw Error(cat(dataset.path.string(), ": no examples"));
}

}  // namespace dataset_detail
}  // namespace finetune
