// Reading flat Parquet tables: open a file, list its columns, read a whole column.
//
// Written from the Apache Parquet format specification (parquet-format: parquet.thrift,
// Encodings.md, Compression.md) for the files Hugging Face `datasets` and pyarrow write: flat
// schemas of required or optional (nullable) columns, dictionary or plain encoded, in data pages
// v1 or v2, compressed with snappy, zstd or gzip, in any number of row groups.
//
// Supported: physical types BYTE_ARRAY (read as UTF-8 strings, validated), INT32, INT64 and
// BOOLEAN (read as int64), FLOAT and DOUBLE (read as double); encodings PLAIN, PLAIN_DICTIONARY,
// RLE_DICTIONARY, RLE (booleans and levels); codecs UNCOMPRESSED, SNAPPY, GZIP, ZSTD.
// Refused with an Error that names the file and the reason: nested or repeated columns (listed
// by columns() but not readable), nulls (the first one is named by column and row), the DELTA_*
// and BYTE_STREAM_SPLIT encodings, the LZO/BROTLI/LZ4 codecs, INT96 and FIXED_LEN_BYTE_ARRAY
// columns, encrypted files and columns stored in other files.
//
// The file is untrusted: it is memory-mapped, and every offset, length, count and varint is
// checked against the bytes that exist before it is used. Decoded output is capped by what the
// file can plausibly hold: at most 8 rows per byte of file, and for string columns at most
// 64 MiB + 64 x the file size of decoded text (limits that real datasets are far below and that
// stop a few lying bytes from demanding gigabytes). Every failure is a finetune::Error.
//
// Rows are numbered from 0 in messages, as `datasets` indexes them (ds[0] is row 0).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/parquet/format.h"

namespace finetune {

class MappedFile;

struct ParquetColumn {
  std::string name;
  parquet::PhysicalType type = parquet::PhysicalType::kByteArray;  // meaningless when nested
  bool optional = false;   // nullable in the schema (HF writes every column so); nulls still fail
  bool is_string = false;  // BYTE_ARRAY annotated as UTF-8 (String logical type or UTF8)
  bool nested = false;     // a group or repeated field: listed, not readable
  int leaf = -1;           // index of this column's chunk within each row group (flat only)
};

class ParquetFile {
 public:
  // Maps the file and parses and checks the footer and schema. Throws Error naming the file.
  explicit ParquetFile(const std::filesystem::path& path);
  // The same for a file already in memory (a download, a test's corrupted copy); `name` is used
  // in messages as the path would be.
  ParquetFile(std::string bytes, const std::filesystem::path& name);
  ~ParquetFile();
  ParquetFile(const ParquetFile&) = delete;
  ParquetFile& operator=(const ParquetFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  int64_t num_rows() const { return meta_.num_rows; }
  size_t num_row_groups() const { return meta_.row_groups.size(); }
  const std::string& created_by() const { return created_by_; }

  // The top-level columns in schema order.
  const std::vector<ParquetColumn>& columns() const { return columns_; }
  // The column called `name`, or null.
  const ParquetColumn* find_column(std::string_view name) const;
  // The column called `name`; throws Error listing the file's columns when there is none.
  const ParquetColumn& column(std::string_view name) const;

  // The footer's key/value metadata, in file order (a key without a value maps to "").
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }
  std::optional<std::string> metadata_value(std::string_view key) const;

  // Whole-column reads, in row order; `max_rows` stops after that many rows (later row groups
  // are not read). Throws Error naming file, column and row for a null, invalid UTF-8, a type
  // the call cannot return, or any corruption.
  std::vector<std::string> read_strings(std::string_view column,
                                        std::optional<size_t> max_rows = std::nullopt) const;
  std::vector<int64_t> read_int64(std::string_view column,  // INT32, INT64, BOOLEAN (0/1)
                                  std::optional<size_t> max_rows = std::nullopt) const;
  std::vector<double> read_double(std::string_view column,  // FLOAT, DOUBLE
                                  std::optional<size_t> max_rows = std::nullopt) const;

 private:
  void open();  // parses and checks the footer of data_[0, size_)
  template <typename T>
  std::vector<T> read_column(std::string_view name, std::optional<size_t> max_rows) const;

  std::filesystem::path path_;
  std::unique_ptr<MappedFile> file_;  // the mapping, when opened from a path
  std::string bytes_;                 // the content, when given in memory
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  parquet::FileMetaData meta_;
  std::vector<ParquetColumn> columns_;
  std::vector<std::pair<std::string, std::string>> metadata_;
  std::string created_by_;
  size_t footer_start_ = 0;    // the first byte after the column data
  size_t decoded_budget_ = 0;  // cap on decoded bytes per page and per string column
};

// The class names of a Hugging Face `datasets` ClassLabel column, from the footer key
// "huggingface" (JSON: {"info": {"features": {<column>: {"_type": "ClassLabel", "names":
// [...]}}}}). nullopt when the file has no such metadata or the column is not a ClassLabel. Throws
// Error when the metadata is present but malformed.
std::optional<std::vector<std::string>> huggingface_class_names(const ParquetFile& file,
                                                                std::string_view column);

}  // namespace finetune
