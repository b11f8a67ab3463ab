// A tiny Parquet writer for tests: builds files byte by byte so a test can state exactly what a
// hostile or unusual file contains (a lying page size, an unsupported encoding, a dictionary index
// out of range) instead of hoping a corrupted pyarrow file happens to contain it.
//
// ThriftWriter writes the Thrift compact protocol (the mirror of src/data/parquet/thrift.cpp);
// ParquetBuilder lays out "PAR1", column chunks, a FileMetaData footer with the fields of
// parquet.thrift, its length and "PAR1". Page bodies are given raw, with helpers for the PLAIN and
// RLE/bit-packed encodings. Only what the tests need is here; pyarrow-written fixtures
// (tools/make_parquet_fixtures.py) check the reader against an independent writer.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace finetune::testing {

// Compact protocol wire types.
enum : uint8_t {
  kTTrue = 1,
  kTFalse = 2,
  kTByte = 3,
  kTI16 = 4,
  kTI32 = 5,
  kTI64 = 6,
  kTDouble = 7,
  kTBinary = 8,
  kTList = 9,
  kTStruct = 12
};

class ThriftWriter {
 public:
  std::string bytes;

  void byte(uint8_t b) { bytes.push_back(static_cast<char>(b)); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      byte(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    byte(static_cast<uint8_t>(v));
  }
  void zigzag(int64_t v) {
    varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void field(int id, uint8_t type) {
    int delta = id - last_.back();
    if (delta > 0 && delta <= 15) {
      byte(static_cast<uint8_t>(delta << 4 | type));
    } else {
      byte(type);
      zigzag(id);
    }
    last_.back() = id;
  }
  void i32(int id, int64_t v) {  // int64_t so tests can write out-of-range values
    field(id, kTI32);
    zigzag(v);
  }
  void i64(int id, int64_t v) {
    field(id, kTI64);
    zigzag(v);
  }
  void binary(int id, const std::string& s) {
    field(id, kTBinary);
    varint(s.size());
    bytes += s;
  }
  void boolean(int id, bool v) { field(id, v ? kTTrue : kTFalse); }
  void begin_struct(int id) {
    field(id, kTStruct);
    last_.push_back(0);
  }
  void end_struct() {
    byte(0);
    last_.pop_back();
  }
  void list(int id, uint8_t element_type, uint64_t size) {
    field(id, kTList);
    if (size < 15) {
      byte(static_cast<uint8_t>(size << 4 | element_type));
    } else {
      byte(static_cast<uint8_t>(0xF0 | element_type));
      varint(size);
    }
  }
  void begin_element() { last_.push_back(0); }  // a struct inside a list; close with end_struct
  void end() { byte(0); }                       // the top-level struct's stop byte

 private:
  std::vector<int> last_{0};
};

// --- page bodies -----------------------------------------------------------------------------

inline std::string le32(uint32_t v) {
  std::string s(4, '\0');
  std::memcpy(s.data(), &v, 4);
  return s;
}

inline std::string plain_strings(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += le32(static_cast<uint32_t>(v.size())) + v;
  return out;
}

inline std::string plain_int64(const std::vector<int64_t>& values) {
  std::string out(values.size() * 8, '\0');
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

// One RLE run of `count` copies of `value` (bit width <= 8).
inline std::string rle_run(uint64_t count, uint8_t value, int bit_width) {
  ThriftWriter w;
  w.varint(count << 1);
  if (bit_width > 0) w.byte(value);
  return w.bytes;
}

// v1 definition levels saying "all present": a 4-byte length, then one RLE run of 1s.
inline std::string all_present_v1(uint64_t count) {
  std::string run = rle_run(count, 1, 1);
  return le32(static_cast<uint32_t>(run.size())) + run;
}

// --- pages -----------------------------------------------------------------------------------

struct PageSpec {
  int type = 0;  // 0 data v1, 2 dictionary, 3 data v2
  std::string body;
  int64_t num_values = 0;
  int encoding = 0;
  int definition_level_encoding = 3;         // RLE
  std::optional<int64_t> uncompressed_size;  // default: body size
  std::optional<int64_t> compressed_size;    // default: body size
  // v2 only
  int64_t num_nulls = 0;
  int64_t definition_levels_length = 0;
  int64_t repetition_levels_length = 0;
  std::optional<bool> is_compressed;
};

inline std::string page(const PageSpec& spec) {
  ThriftWriter w;
  w.i32(1, spec.type);
  w.i32(2, spec.uncompressed_size.value_or(static_cast<int64_t>(spec.body.size())));
  w.i32(3, spec.compressed_size.value_or(static_cast<int64_t>(spec.body.size())));
  if (spec.type == 0) {
    w.begin_struct(5);
    w.i32(1, spec.num_values);
    w.i32(2, spec.encoding);
    w.i32(3, spec.definition_level_encoding);
    w.i32(4, 3);
    w.end_struct();
  } else if (spec.type == 2) {
    w.begin_struct(7);
    w.i32(1, spec.num_values);
    w.i32(2, spec.encoding);
    w.end_struct();
  } else if (spec.type == 3) {
    w.begin_struct(8);
    w.i32(1, spec.num_values);
    w.i32(2, spec.num_nulls);
    w.i32(3, spec.num_values);
    w.i32(4, spec.encoding);
    w.i32(5, spec.definition_levels_length);
    w.i32(6, spec.repetition_levels_length);
    if (spec.is_compressed) w.boolean(7, *spec.is_compressed);
    w.end_struct();
  }
  w.end();
  return w.bytes + spec.body;
}

// --- files -----------------------------------------------------------------------------------

struct ColumnSpec {
  std::string name;
  int type = 6;                       // BYTE_ARRAY
  int repetition = 1;                 // OPTIONAL
  int codec = 0;                      // UNCOMPRESSED
  std::vector<std::string> pages;     // header + body each, in order
  std::optional<int64_t> num_values;  // default: the file's row count
  bool string = true;                 // UTF8 converted type on BYTE_ARRAY
  bool dictionary_first = false;      // the first page is a dictionary page
  bool in_schema = true;  // false: a chunk for a leaf that FileSpec::extra_schema declares
};

struct FileSpec {
  std::vector<ColumnSpec> columns;
  int64_t num_rows = 0;
  std::optional<int64_t> footer_num_rows;  // default num_rows
  std::vector<std::pair<std::string, std::string>> metadata;
  // Extra raw schema elements appended after the flat columns (to build nested schemas), and
  // the root's child count override.
  std::optional<int64_t> root_children;
  std::string extra_schema;  // serialized SchemaElement structs (without list header)
  int extra_schema_count = 0;
  std::string head_magic = "PAR1";
  std::string tail_magic = "PAR1";
};

inline std::string build_parquet(const FileSpec& spec) {
  std::string file = spec.head_magic;
  struct Placed {
    int64_t offset;
    int64_t size;
  };
  std::vector<Placed> placed;
  for (const auto& column : spec.columns) {
    Placed p{static_cast<int64_t>(file.size()), 0};
    for (const auto& pg : column.pages) file += pg;
    p.size = static_cast<int64_t>(file.size()) - p.offset;
    placed.push_back(p);
  }
  ThriftWriter w;
  w.i32(1, 1);  // version
  int64_t flat = 0;
  for (const auto& column : spec.columns) flat += column.in_schema ? 1 : 0;
  w.list(2, kTStruct, 1 + flat + spec.extra_schema_count);
  w.begin_element();  // the root
  w.binary(4, "schema");
  w.i32(5, spec.root_children.value_or(flat + (spec.extra_schema_count > 0 ? 1 : 0)));
  w.end_struct();
  for (const auto& column : spec.columns) {
    if (!column.in_schema) continue;
    w.begin_element();
    w.i32(1, column.type);
    w.i32(3, column.repetition);
    w.binary(4, column.name);
    if (column.type == 6 && column.string) w.i32(6, 0);  // UTF8
    w.end_struct();
  }
  w.bytes += spec.extra_schema;
  w.i64(3, spec.footer_num_rows.value_or(spec.num_rows));
  w.list(4, kTStruct, 1);
  w.begin_element();  // the one row group
  w.list(1, kTStruct, spec.columns.size());
  for (size_t c = 0; c < spec.columns.size(); ++c) {
    const auto& column = spec.columns[c];
    w.begin_element();  // ColumnChunk
    w.i64(2, 0);
    w.begin_struct(3);  // ColumnMetaData
    w.i32(1, column.type);
    w.list(2, kTI32, 1);
    w.zigzag(0);
    w.list(3, kTBinary, 1);
    w.varint(column.name.size());
    w.bytes += column.name;
    w.i32(4, column.codec);
    w.i64(5, column.num_values.value_or(spec.num_rows));
    w.i64(6, placed[c].size);
    w.i64(7, placed[c].size);
    int64_t data_offset = placed[c].offset;
    if (column.dictionary_first && !column.pages.empty()) {
      data_offset += static_cast<int64_t>(column.pages[0].size());
    }
    w.i64(9, data_offset);
    if (column.dictionary_first) w.i64(11, placed[c].offset);
    w.end_struct();
    w.end_struct();
  }
  w.i64(2, 0);
  w.i64(3, spec.num_rows);
  w.end_struct();
  if (!spec.metadata.empty()) {
    w.list(5, kTStruct, spec.metadata.size());
    for (const auto& [k, v] : spec.metadata) {
      w.begin_element();
      w.binary(1, k);
      w.binary(2, v);
      w.end_struct();
    }
  }
  w.end();
  file += w.bytes + le32(static_cast<uint32_t>(w.bytes.size())) + spec.tail_magic;
  return file;
}

// A valid two-column file: `texts` as PLAIN strings (v1 page) and `labels` dictionary-encoded.
inline FileSpec simple_file(const std::vector<std::string>& texts,
                            const std::vector<int64_t>& labels) {
  FileSpec spec;
  spec.num_rows = static_cast<int64_t>(texts.size());
  ColumnSpec text;
  text.name = "text";
  PageSpec data;
  data.body = all_present_v1(texts.size()) + plain_strings(texts);
  data.num_values = spec.num_rows;
  text.pages.push_back(page(data));
  ColumnSpec label;
  label.name = "label";
  label.type = 2;  // INT64
  PageSpec dict;
  dict.type = 2;
  dict.body = plain_int64(labels);  // dictionary entry i = labels[i]
  dict.num_values = static_cast<int64_t>(labels.size());
  PageSpec indices;
  indices.num_values = spec.num_rows;
  indices.encoding = 8;  // RLE_DICTIONARY
  // Bit-packed run: row i uses dictionary entry i.
  std::string packed;
  {
    ThriftWriter w;
    size_t groups = (labels.size() + 7) / 8;
    w.varint(groups << 1 | 1);
    packed = w.bytes;
    std::string bits(groups * 8, '\0');  // bit width 8: one byte per value
    for (size_t i = 0; i < labels.size(); ++i) bits[i] = static_cast<char>(i);
    packed += bits;
  }
  indices.body = all_present_v1(texts.size()) + std::string(1, '\x08') + packed;
  label.pages = {page(dict), page(indices)};
  label.dictionary_first = true;
  spec.columns = {text, label};
  return spec;
}

}  // namespace finetune::testing
