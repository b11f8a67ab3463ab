// The parts of Parquet's metadata (parquet-format's parquet.thrift) that a flat-table reader needs.
//
// A Parquet file is "PAR1", column chunks made of pages, the footer (a Thrift FileMetaData), the
// footer's 4-byte little-endian length, and "PAR1". FileMetaData holds the schema (a depth-first
// flattened tree of SchemaElement), the row groups (one ColumnChunk per leaf column, each with its
// ColumnMetaData: codec, value count, byte range) and key/value metadata, where Hugging Face
// `datasets` keeps its features (ClassLabel names) under the key "huggingface". Each page starts
// with a Thrift PageHeader. Only the fields this reader uses are kept; everything else is skipped.
// Enum values are kept as the raw integers of the file and checked where they are used, so an
// unknown codec or encoding is reported by name at the column that uses it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace finetune::parquet {

// parquet.thrift `Type`.
enum class PhysicalType : int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};

// parquet.thrift `Encoding` (1 was GROUP_VAR_INT, never used).
enum class Encoding : int32_t {
  kPlain = 0,
  kPlainDictionary = 2,
  kRle = 3,
  kBitPacked = 4,
  kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7,
  kRleDictionary = 8,
  kByteStreamSplit = 9,
};

// parquet.thrift `CompressionCodec`.
enum class Codec : int32_t {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kLzo = 3,
  kBrotli = 4,
  kLz4 = 5,
  kZstd = 6,
  kLz4Raw = 7,
};

// parquet.thrift `PageType`.
enum class PageType : int32_t {
  kDataPage = 0,
  kIndexPage = 1,
  kDictionaryPage = 2,
  kDataPageV2 = 3,
};

// parquet.thrift `FieldRepetitionType`.
enum class Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };

// Names for messages; unknown values print as "<what> <number>".
std::string physical_type_name(int32_t type);
std::string encoding_name(int32_t encoding);
std::string codec_name(int32_t codec);

struct SchemaElement {
  std::optional<int32_t> type;  // PhysicalType; absent for groups
  std::optional<int32_t> type_length;
  std::optional<int32_t> repetition;  // Repetition; absent for the root
  std::string name;
  std::optional<int32_t> num_children;  // present for groups
  std::optional<int32_t> converted_type;
  bool logical_string = false;  // LogicalType STRING
};

struct ColumnMetaData {
  int32_t type = 0;
  std::vector<std::string> path_in_schema;
  int32_t codec = 0;
  int64_t num_values = 0;
  int64_t total_uncompressed_size = 0;
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
};

struct ColumnChunk {
  std::optional<std::string> file_path;
  std::optional<ColumnMetaData> meta_data;
  bool encrypted = false;  // crypto_metadata or encrypted_column_metadata present
};

struct RowGroup {
  std::vector<ColumnChunk> columns;
  int64_t num_rows = 0;
};

struct KeyValue {
  std::string key;
  std::optional<std::string> value;
};

struct FileMetaData {
  int32_t version = 0;
  std::vector<SchemaElement> schema;
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::vector<KeyValue> key_value_metadata;
  std::optional<std::string> created_by;
  bool encrypted = false;  // encryption_algorithm present (plaintext footer, encrypted columns)
};

struct DataPageHeader {
  int32_t num_values = 0;
  int32_t encoding = 0;
  int32_t definition_level_encoding = 0;
  int32_t repetition_level_encoding = 0;
};

struct DataPageHeaderV2 {
  int32_t num_values = 0;
  int32_t num_nulls = 0;
  int32_t num_rows = 0;
  int32_t encoding = 0;
  int32_t definition_levels_byte_length = 0;
  int32_t repetition_levels_byte_length = 0;
  bool is_compressed = true;  // the spec's default when the field is absent
};

struct DictionaryPageHeader {
  int32_t num_values = 0;
  int32_t encoding = 0;
};

struct PageHeader {
  int32_t type = 0;
  int32_t uncompressed_page_size = 0;
  int32_t compressed_page_size = 0;
  std::optional<DataPageHeader> data_page;
  std::optional<DictionaryPageHeader> dictionary_page;
  std::optional<DataPageHeaderV2> data_page_v2;
};

// Parses the footer. `where` prefixes every error ("<file>: footer"); `base_offset` is the
// footer's offset in the file (for messages). Required fields that are missing are errors.
FileMetaData parse_file_metadata(std::span<const uint8_t> bytes, const std::string& where,
                                 uint64_t base_offset);

// Parses one page header from the start of `bytes` and returns it with the number of bytes it
// took. The page body is not examined.
PageHeader parse_page_header(std::span<const uint8_t> bytes, const std::string& where,
                             uint64_t base_offset, size_t* header_size);

}  // namespace finetune::parquet
