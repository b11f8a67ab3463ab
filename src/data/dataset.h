// Labelled text datasets: one entry point that reads any supported file by its extension.
//
// Formats (docs/data.md has the details and examples):
//   .txt            `text;label` per line (the emotion files): split on the LAST ';'
//   .csv / .tsv     a header row naming the columns; CSV quoting per RFC 4180, TSV unquoted
//   .jsonl / .json  one JSON object per line
//   .parquet        as Hugging Face `datasets` writes it (flat columns; ClassLabel names read
//                   from the footer metadata)
// The text and label columns (or JSON keys) are named by DatasetOptions (defaults "text",
// "label"; a .txt file has no names). Everything is UTF-8 validated; every error names the file
// and the line (row, for Parquet) it is about. A file with no examples is an error.
//
// Labels are kept as the file has them ("raw"): names, or integer ids when the label column is
// integer-typed (Parquet INT32/INT64/BOOLEAN, JSON integers/booleans) or, in the untyped formats
// (.txt/.csv/.tsv), when every label is a plain decimal number. labels.h turns them into ids.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace finetune {

struct DatasetOptions {
  std::string text_column = "text";    // CSV/TSV header name, JSON key or Parquet column
  std::string label_column = "label";  // likewise
  std::optional<size_t> limit;         // keep only the first N examples (the rest is not read)
};

enum class LabelKind { kNames, kIds };

struct Dataset {
  std::filesystem::path path;
  std::vector<std::string> texts;
  LabelKind label_kind = LabelKind::kNames;
  std::vector<std::string> label_names;  // one per example when label_kind == kNames
  std::vector<int64_t> label_ids;        // one per example when label_kind == kIds
  // Where each example is in the file, for messages: a 1-based line number (.txt/.csv/.tsv/
  // .jsonl: the line a record starts on) or a 0-based row number (.parquet).
  std::vector<int64_t> positions;
  bool positions_are_rows = false;  // true for Parquet
  // The label names the file itself declares for its integer ids (Parquet ClassLabel), if any.
  std::optional<std::vector<std::string>> class_names;
  // A dataset joined from several files (a hub split stored in shards): where each file's
  // examples begin, so that messages name the file; `path` then names the whole split.
  struct Part {
    std::filesystem::path path;
    size_t first = 0;  // index of the file's first example
    bool rows = false;  // positions are Parquet rows (else line numbers)
  };
  std::vector<Part> parts;

  size_t size() const { return texts.size(); }
  // "<file>:<line>" or "<file>: row <n>", for messages about example i.
  std::string where(size_t i) const;
  // Example i's raw label as written in messages: "joy" (quoted) or 3.
  std::string raw_label(size_t i) const;
};

// Reads a dataset, choosing the format by the file's extension (case-insensitive). Throws Error
// naming the file for an unknown extension, and the file and line/row for bad content.
Dataset read_dataset(const std::filesystem::path& path, const DatasetOptions& options = {});

// Appends `more` (the next file of the same split) to `dataset`: label kinds and ClassLabel
// names must agree. Positions stay per file; `parts` records which file each example is from.
void append_dataset(Dataset& dataset, Dataset&& more);

// The format readers behind read_dataset, for callers that know the format.
Dataset read_text_dataset(const std::filesystem::path& path, const DatasetOptions& options);
Dataset read_delimited_dataset(const std::filesystem::path& path, const DatasetOptions& options,
                               char separator);  // ',' = CSV with quoting, '\t' = TSV
Dataset read_jsonl_dataset(const std::filesystem::path& path, const DatasetOptions& options);
Dataset read_parquet_dataset(const std::filesystem::path& path, const DatasetOptions& options);

}  // namespace finetune
