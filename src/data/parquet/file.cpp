// Opening a Parquet file: magic bytes, footer, schema, row-group consistency; whole-column reads.
//
// Layout (parquet-format README, "File format"): "PAR1" <column chunks> <FileMetaData>
// <4-byte little-endian footer length> "PAR1". Files with an encrypted footer end in "PARE".
// Everything the footer says about sizes and counts is checked here once, so the column reader
// (column.cpp) can rely on the row groups being consistent with the schema.
#include "data/parquet/file.h"

#include <cstring>
#include <limits>

#include "core/error.h"
#include "data/parquet/column.h"
#include "io/file.h"
#include "io/json.h"

namespace finetune {

using parquet::PhysicalType;

namespace {

constexpr size_t kMagicSize = 4;
// At most this many rows per byte of file: one bit per row. A legitimate table's every row costs
// at least a bit in some column; without a cap a run-length header of five bytes could claim
// billions of rows and make the reader allocate for all of them.
constexpr uint64_t kMaxRowsPerFileByte = 8;
constexpr size_t kBudgetBase = size_t{64} << 20;
constexpr size_t kBudgetPerFileByte = 64;

bool has_magic(const uint8_t* p, const char* magic) {
  return std::memcmp(p, magic, 4) == 0;
}

std::string column_list(const std::vector<ParquetColumn>& columns) {
  std::string list;
  for (const auto& column : columns) list += (list.empty() ? "'" : ", '") + column.name + "'";
  return list.empty() ? "none" : list;
}

std::string describe_type(const ParquetColumn& column) {
  if (column.nested) return "a nested type";
  std::string name = parquet::physical_type_name(static_cast<int32_t>(column.type));
  return column.is_string ? name + " (string)" : name;
}

}  // namespace

ParquetFile::ParquetFile(const std::filesystem::path& path) : path_(path) {
  file_ = std::make_unique<MappedFile>(path);
  data_ = file_->data();
  size_ = file_->size();
  open();
}

ParquetFile::ParquetFile(std::string bytes, const std::filesystem::path& name)
    : path_(name), bytes_(std::move(bytes)) {
  data_ = reinterpret_cast<const uint8_t*>(bytes_.data());
  size_ = bytes_.size();
  open();
}

void ParquetFile::open() {
  const std::string name = path_.string();
  const uint8_t* data = data_;
  const size_t size = size_;
  if (size < 2 * kMagicSize + 4) {
    throw Error(cat(name, ": not a Parquet file (", size, " bytes is too small to hold one)"));
  }
  if (!has_magic(data, "PAR1")) {
    if (has_magic(data, "PARE")) {
      throw Error(cat(name, ": encrypted Parquet files are not supported"));
    }
    throw Error(cat(name, ": not a Parquet file (it does not start with 'PAR1')"));
  }
  const uint8_t* tail = data + size - kMagicSize;
  if (!has_magic(tail, "PAR1")) {
    if (has_magic(tail, "PARE")) {
      throw Error(cat(name, ": encrypted Parquet files are not supported"));
    }
    throw Error(cat(name, ": truncated or not a Parquet file (it does not end with 'PAR1')"));
  }
  uint32_t footer_size;
  std::memcpy(&footer_size, tail - 4, 4);
  const size_t max_footer = size - 2 * kMagicSize - 4;
  if (footer_size > max_footer) {
    throw Error(cat(name, ": the footer claims ", footer_size, " bytes but the file has room for ",
                    max_footer, " (truncated or corrupt file)"));
  }
  footer_start_ = size - kMagicSize - 4 - footer_size;
  meta_ = parquet::parse_file_metadata({data + footer_start_, footer_size}, name + ": footer",
                                       footer_start_);
  if (meta_.encrypted) throw Error(cat(name, ": encrypted Parquet files are not supported"));
  if (meta_.created_by) created_by_ = *meta_.created_by;

  const uint64_t max_rows = kMaxRowsPerFileByte * size;
  if (meta_.num_rows < 0) throw Error(cat(name, ": the footer claims ", meta_.num_rows, " rows"));
  if (static_cast<uint64_t>(meta_.num_rows) > max_rows) {
    throw Error(cat(name, ": the footer claims ", meta_.num_rows,
                    " rows, more than a file of this size can hold (at most ", max_rows, ")"));
  }
  decoded_budget_ =
      kBudgetBase + std::min(size, std::numeric_limits<size_t>::max() / 128) * kBudgetPerFileByte;

  // The schema is a depth-first list: the root, then each top-level field followed by its
  // subtree (num_children tells how many children a group has).
  const auto& schema = meta_.schema;
  if (schema.empty()) throw Error(cat(name, ": the schema is empty"));
  const auto& root = schema[0];
  const int64_t top_level = root.num_children.value_or(0);
  if (top_level < 0 || static_cast<uint64_t>(top_level) > schema.size() - 1) {
    throw Error(cat(name, ": the schema root claims ", top_level, " columns but the schema has ",
                    schema.size() - 1, " more elements"));
  }
  size_t index = 1;
  int leaves = 0;
  for (int64_t c = 0; c < top_level; ++c) {
    if (index >= schema.size()) throw Error(cat(name, ": the schema ends early"));
    const auto& element = schema[index];
    ParquetColumn column;
    column.name = element.name;
    const bool group = element.num_children.has_value() &&
                       (*element.num_children > 0 || !element.type.has_value());
    if (group) {
      // Consume the whole subtree, counting its leaves (each has a column chunk).
      column.nested = true;
      column.optional = element.repetition == static_cast<int32_t>(parquet::Repetition::kOptional);
      size_t pending = 1;
      while (pending > 0) {
        if (index >= schema.size()) {
          throw Error(cat(name, ": the schema ends inside column '", column.name, "'"));
        }
        const auto& node = schema[index++];
        --pending;
        const int32_t children = node.num_children.value_or(0);
        if (children < 0 || static_cast<size_t>(children) > schema.size()) {
          throw Error(
              cat(name, ": schema element '", node.name, "' claims ", children, " children"));
        }
        if (children > 0) {
          pending += static_cast<size_t>(children);
        } else if (node.num_children.has_value() && !node.type.has_value()) {
          // an empty group: no leaf
        } else {
          ++leaves;
        }
      }
    } else {
      if (!element.type.has_value()) {
        throw Error(cat(name, ": column '", column.name, "' has no physical type"));
      }
      const int32_t type = *element.type;
      if (type < 0 || type > static_cast<int32_t>(PhysicalType::kFixedLenByteArray)) {
        throw Error(cat(name, ": column '", column.name, "' has unknown physical type ", type));
      }
      column.type = static_cast<PhysicalType>(type);
      const int32_t repetition =
          element.repetition.value_or(static_cast<int32_t>(parquet::Repetition::kRequired));
      if (repetition == static_cast<int32_t>(parquet::Repetition::kOptional)) {
        column.optional = true;
      } else if (repetition != static_cast<int32_t>(parquet::Repetition::kRequired)) {
        column.nested = true;  // repeated (a list) or a repetition this reader does not know
      }
      column.is_string = column.type == PhysicalType::kByteArray &&
                         (element.logical_string || element.converted_type == 0 /* UTF8 */);
      column.leaf = leaves++;
      ++index;
    }
    columns_.push_back(std::move(column));
  }
  if (index != schema.size()) {
    throw Error(
        cat(name, ": the schema has ", schema.size(), " elements but its tree uses ", index));
  }

  int64_t rows = 0;
  for (size_t g = 0; g < meta_.row_groups.size(); ++g) {
    const auto& group = meta_.row_groups[g];
    if (group.columns.size() != static_cast<size_t>(leaves)) {
      throw Error(cat(name, ": row group ", g, " has ", group.columns.size(),
                      " column chunks but the schema has ", leaves, " columns"));
    }
    if (group.num_rows < 0 || group.num_rows > meta_.num_rows - rows) {
      throw Error(cat(name, ": row group ", g, " claims ", group.num_rows,
                      " rows, inconsistent with the file's ", meta_.num_rows));
    }
    rows += group.num_rows;
  }
  if (rows != meta_.num_rows) {
    throw Error(
        cat(name, ": the row groups hold ", rows, " rows but the footer says ", meta_.num_rows));
  }

  for (const auto& kv : meta_.key_value_metadata) {
    metadata_.emplace_back(kv.key, kv.value.value_or(""));
  }
}

ParquetFile::~ParquetFile() = default;

const ParquetColumn* ParquetFile::find_column(std::string_view name) const {
  for (const auto& column : columns_) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

const ParquetColumn& ParquetFile::column(std::string_view name) const {
  const ParquetColumn* found = find_column(name);
  if (found == nullptr) {
    throw Error(
        cat(path_.string(), ": no column '", name, "' (columns: ", column_list(columns_), ")"));
  }
  return *found;
}

std::optional<std::string> ParquetFile::metadata_value(std::string_view key) const {
  for (const auto& [k, v] : metadata_) {
    if (k == key) return v;
  }
  return std::nullopt;
}

template <typename T>
std::vector<T> ParquetFile::read_column(std::string_view name,
                                        std::optional<size_t> max_rows) const {
  const ParquetColumn& col = column(name);
  const std::string where = cat(path_.string(), ": column '", col.name, "'");
  if (col.nested) {
    throw Error(cat(where,
                    " is nested (a group, list or repeated field); only flat columns of "
                    "plain values can be read"));
  }
  bool fits = false;
  const char* wanted = "";
  if constexpr (std::is_same_v<T, std::string>) {
    fits = col.type == PhysicalType::kByteArray;
    wanted = "a string column (BYTE_ARRAY)";
  } else if constexpr (std::is_same_v<T, int64_t>) {
    fits = col.type == PhysicalType::kInt32 || col.type == PhysicalType::kInt64 ||
           col.type == PhysicalType::kBoolean;
    wanted = "an integer column (INT32, INT64 or BOOLEAN)";
  } else {
    fits = col.type == PhysicalType::kFloat || col.type == PhysicalType::kDouble;
    wanted = "a floating-point column (FLOAT or DOUBLE)";
  }
  if (!fits) throw Error(cat(where, " has type ", describe_type(col), "; expected ", wanted));

  size_t decoded_bytes = 0;
  parquet::ColumnReadContext context;
  context.file = data_;
  context.data_end = footer_start_;
  context.where = where;
  context.physical_type = static_cast<int32_t>(col.type);
  context.max_definition_level = col.optional ? 1 : 0;
  context.budget = decoded_budget_;
  context.decoded_bytes = &decoded_bytes;

  const auto total = static_cast<size_t>(meta_.num_rows);  // capped at open by the file size
  const size_t limit = max_rows ? std::min(*max_rows, total) : total;
  std::vector<T> out;
  out.reserve(limit);
  int64_t first_row = 0;
  for (size_t g = 0; g < meta_.row_groups.size() && out.size() < limit; ++g) {
    const auto& group = meta_.row_groups[g];
    parquet::read_column_chunk(context, group.columns[static_cast<size_t>(col.leaf)], g,
                               group.num_rows, first_row, out);
    first_row += group.num_rows;
  }
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::vector<std::string> ParquetFile::read_strings(std::string_view column,
                                                   std::optional<size_t> max_rows) const {
  return read_column<std::string>(column, max_rows);
}

std::vector<int64_t> ParquetFile::read_int64(std::string_view column,
                                             std::optional<size_t> max_rows) const {
  return read_column<int64_t>(column, max_rows);
}

std::vector<double> ParquetFile::read_double(std::string_view column,
                                             std::optional<size_t> max_rows) const {
  return read_column<double>(column, max_rows);
}

std::optional<std::vector<std::string>> huggingface_class_names(const ParquetFile& file,
                                                                std::string_view column) {
  std::optional<std::string> text = file.metadata_value("huggingface");
  if (!text) return std::nullopt;
  const std::string origin = cat(file.path().string(), ": footer metadata 'huggingface'");
  Json doc;
  try {
    doc = parse_json_text(*text, origin);
  } catch (const Json::exception& e) {
    // parse_json_text turns syntax errors into Error; other parser failures (a number too large
    // for a double: out_of_range) arrive as nlohmann exceptions.
    throw Error(cat(origin, ": invalid JSON (", e.what(), ")"));
  }
  // datasets writes {"info": {"features": {...}}}; features is an object keyed by column.
  if (!doc.is_object() || !doc.contains("info") || !doc["info"].is_object()) return std::nullopt;
  const Json& info = doc["info"];
  if (!info.contains("features") || !info["features"].is_object()) return std::nullopt;
  const Json& features = info["features"];
  const std::string key(column);
  if (!features.contains(key) || !features[key].is_object()) return std::nullopt;
  const Json& feature = features[key];
  if (!feature.contains("_type") || feature["_type"] != "ClassLabel") return std::nullopt;
  const std::string where = cat(origin, ": info.features.", key, ".names");
  if (!feature.contains("names") || !feature["names"].is_array()) {
    throw Error(cat(where, ": a ClassLabel needs a list of names"));
  }
  std::vector<std::string> names;
  for (const Json& value : feature["names"]) {
    if (!value.is_string()) {
      throw Error(cat(where, ": expected strings, got ", json_type_phrase(value)));
    }
    names.push_back(value.get<std::string>());
  }
  if (names.empty()) throw Error(cat(where, ": the ClassLabel has no names"));
  return names;
}

}  // namespace finetune
