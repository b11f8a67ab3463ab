// A bounds-checked reader for the Thrift compact protocol, the encoding of Parquet's metadata.
//
// Parquet serialises its footer (FileMetaData) and every page header with Thrift's compact
// protocol (thrift/doc/specs/thrift-compact-protocol.md): ULEB128 varints, zigzag signed
// integers, field headers that pack a field-id delta with a wire type, and list headers that pack
// a size with an element type. A Parquet file is untrusted input, so this reader checks every
// length against the bytes that remain, refuses varints longer than their type allows, limits
// nesting depth (skipping an unknown field recurses), and never allocates: strings come back as
// views into the input. Every problem throws finetune::Error prefixed with `where` (the file and
// the structure being read) and the byte offset, so a corrupt footer is reported, not crashed on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace finetune::parquet {

// Wire types of the compact protocol (the low nibble of a field header).
enum class WireType : uint8_t {
  kStop = 0,
  kBoolTrue = 1,  // in a field header the value travels in the type; in a list it is a byte
  kBoolFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

const char* wire_type_name(WireType type);

struct FieldHeader {
  WireType type = WireType::kStop;
  int16_t id = 0;
};

struct ListHeader {
  WireType element_type = WireType::kStop;
  uint32_t size = 0;
};

class CompactReader {
 public:
  // `base_offset` is where `bytes` starts in the file, so messages give file offsets.
  CompactReader(std::span<const uint8_t> bytes, std::string where, uint64_t base_offset = 0);

  size_t position() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }

  uint8_t read_byte();
  uint64_t read_varint();  // ULEB128, at most 10 bytes
  int16_t read_i16();
  int32_t read_i32();
  int64_t read_i64();
  double read_double();
  std::string_view read_binary();  // a view into the input

  // Reads the next field header of a struct; `last_id` carries the previous field id (the
  // compact protocol sends deltas) and is updated. A header of type kStop ends the struct.
  FieldHeader read_field_header(int16_t& last_id);
  // A list or set header; the size is checked against the remaining bytes (every element takes
  // at least one byte), so a lying size cannot cause a huge allocation downstream.
  ListHeader read_list_header();

  // Skips a value of the given type, recursing into structs and containers up to kMaxDepth.
  void skip(WireType type, int depth = 0);

  // Typed reads of a struct field's value: check the wire type, then read. A field whose wire
  // type does not match the schema is corruption, reported with the field name.
  int32_t field_i32(const FieldHeader& field, const char* name);
  int64_t field_i64(const FieldHeader& field, const char* name);
  bool field_bool(const FieldHeader& field, const char* name);
  std::string_view field_binary(const FieldHeader& field, const char* name);
  void expect_type(const FieldHeader& field, WireType type, const char* name);

  [[noreturn]] void fail(const std::string& problem) const;

  static constexpr int kMaxDepth = 32;

 private:
  void need(size_t count, const char* what);

  std::span<const uint8_t> bytes_;
  std::string where_;
  uint64_t base_offset_;
  size_t pos_ = 0;
};

}  // namespace finetune::parquet
