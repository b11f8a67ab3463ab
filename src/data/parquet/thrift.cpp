// Thrift compact protocol reading with every length checked (see thrift.h).
//
// Facts used, from the Thrift compact protocol specification:
// - varints are ULEB128; i16/i32/i64 are zigzag-encoded varints; doubles are 8 bytes,
//   little-endian; binary/string is a varint length followed by the bytes.
// - a field header byte is (delta << 4) | type; a delta of 0 means the field id follows as a
//   zigzag i16. Booleans in a field header carry their value in the type (1 true, 2 false).
// - a list/set header byte is (size << 4) | element type; a size nibble of 15 means the size
//   follows as a varint. Booleans inside lists are one byte each.
// - a map header is a varint size, then (if non-zero) one byte of key type << 4 | value type.
#include "data/parquet/thrift.h"

#include <cstring>

#include "core/error.h"

namespace finetune::parquet {

const char* wire_type_name(WireType type) {
  switch (type) {
    case WireType::kStop:
      return "stop";
    case WireType::kBoolTrue:
    case WireType::kBoolFalse:
      return "bool";
    case WireType::kByte:
      return "byte";
    case WireType::kI16:
      return "i16";
    case WireType::kI32:
      return "i32";
    case WireType::kI64:
      return "i64";
    case WireType::kDouble:
      return "double";
    case WireType::kBinary:
      return "binary";
    case WireType::kList:
      return "list";
    case WireType::kSet:
      return "set";
    case WireType::kMap:
      return "map";
    case WireType::kStruct:
      return "struct";
  }
  return "unknown";
}

namespace {

bool valid_wire_type(uint8_t type) {
  return type <= static_cast<uint8_t>(WireType::kStruct);
}

int64_t unzigzag(uint64_t value) {
  return static_cast<int64_t>(value >> 1) ^ -static_cast<int64_t>(value & 1);
}

}  // namespace

CompactReader::CompactReader(std::span<const uint8_t> bytes, std::string where,
                             uint64_t base_offset)
    : bytes_(bytes), where_(std::move(where)), base_offset_(base_offset) {}

void CompactReader::fail(const std::string& problem) const {
  throw Error(cat(where_, ": ", problem, " (at byte ", base_offset_ + pos_, ")"));
}

void CompactReader::need(size_t count, const char* what) {
  if (count > remaining()) {
    fail(cat("truncated ", what, ": needs ", count, " bytes, ", remaining(), " left"));
  }
}

uint8_t CompactReader::read_byte() {
  need(1, "byte");
  return bytes_[pos_++];
}

uint64_t CompactReader::read_varint() {
  uint64_t value = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (pos_ >= bytes_.size()) fail("truncated varint");
    uint8_t byte = bytes_[pos_++];
    // The tenth byte may only contribute the 64th bit.
    if (shift == 63 && (byte & 0x7e) != 0) fail("varint overflows 64 bits");
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  fail("varint longer than 10 bytes");
}

int16_t CompactReader::read_i16() {
  int64_t value = unzigzag(read_varint());
  if (value < INT16_MIN || value > INT16_MAX) fail(cat("i16 value ", value, " out of range"));
  return static_cast<int16_t>(value);
}

int32_t CompactReader::read_i32() {
  int64_t value = unzigzag(read_varint());
  if (value < INT32_MIN || value > INT32_MAX) fail(cat("i32 value ", value, " out of range"));
  return static_cast<int32_t>(value);
}

int64_t CompactReader::read_i64() {
  return unzigzag(read_varint());
}

double CompactReader::read_double() {
  need(8, "double");
  double value;
  std::memcpy(&value, bytes_.data() + pos_, 8);  // little-endian on every supported target
  pos_ += 8;
  return value;
}

std::string_view CompactReader::read_binary() {
  uint64_t length = read_varint();
  if (length > remaining()) {
    fail(cat("binary length ", length, " runs past the end (", remaining(), " bytes left)"));
  }
  std::string_view view(reinterpret_cast<const char*>(bytes_.data() + pos_), length);
  pos_ += length;
  return view;
}

FieldHeader CompactReader::read_field_header(int16_t& last_id) {
  uint8_t byte = read_byte();
  uint8_t type = byte & 0x0f;
  if (!valid_wire_type(type)) fail(cat("invalid wire type ", int(type), " in field header"));
  FieldHeader header;
  header.type = static_cast<WireType>(type);
  if (header.type == WireType::kStop) return header;
  uint8_t delta = byte >> 4;
  if (delta != 0) {
    int32_t id = int32_t(last_id) + delta;
    if (id > INT16_MAX) fail("field id overflows i16");
    header.id = static_cast<int16_t>(id);
  } else {
    header.id = read_i16();
  }
  last_id = header.id;
  return header;
}

ListHeader CompactReader::read_list_header() {
  uint8_t byte = read_byte();
  uint8_t type = byte & 0x0f;
  if (!valid_wire_type(type) || type == 0) fail(cat("invalid list element type ", int(type)));
  uint64_t size = byte >> 4;
  if (size == 15) size = read_varint();
  if (size > remaining()) {
    fail(cat("list of ", size, " elements cannot fit in the ", remaining(), " bytes left"));
  }
  return ListHeader{static_cast<WireType>(type), static_cast<uint32_t>(size)};
}

void CompactReader::skip(WireType type, int depth) {
  if (depth > kMaxDepth) fail(cat("structures nested deeper than ", kMaxDepth));
  switch (type) {
    case WireType::kBoolTrue:   // a boolean list element is one byte (struct fields carry
    case WireType::kBoolFalse:  // theirs in the field header, and their callers skip nothing)
    case WireType::kByte:
      read_byte();
      return;
    case WireType::kI16:
    case WireType::kI32:
    case WireType::kI64:
      read_varint();
      return;
    case WireType::kDouble:
      need(8, "double");
      pos_ += 8;
      return;
    case WireType::kBinary:
      read_binary();
      return;
    case WireType::kList:
    case WireType::kSet: {
      ListHeader list = read_list_header();
      for (uint32_t i = 0; i < list.size; ++i) skip(list.element_type, depth + 1);
      return;
    }
    case WireType::kMap: {
      uint64_t size = read_varint();
      if (size == 0) return;
      if (size > remaining()) fail(cat("map of ", size, " entries cannot fit"));
      uint8_t types = read_byte();
      uint8_t key = types >> 4, value = types & 0x0f;
      if (!valid_wire_type(key) || !valid_wire_type(value) || key == 0 || value == 0) {
        fail("invalid map key/value types");
      }
      for (uint64_t i = 0; i < size; ++i) {
        skip(static_cast<WireType>(key), depth + 1);
        skip(static_cast<WireType>(value), depth + 1);
      }
      return;
    }
    case WireType::kStruct: {
      int16_t last_id = 0;
      for (;;) {
        FieldHeader field = read_field_header(last_id);
        if (field.type == WireType::kStop) return;
        // A boolean field's value is its header: nothing follows.
        if (field.type == WireType::kBoolTrue || field.type == WireType::kBoolFalse) continue;
        skip(field.type, depth + 1);
      }
    }
    case WireType::kStop:
      break;
  }
  fail(cat("cannot skip a value of wire type ", int(type)));
}

void CompactReader::expect_type(const FieldHeader& field, WireType type, const char* name) {
  bool is_bool = field.type == WireType::kBoolTrue || field.type == WireType::kBoolFalse;
  bool want_bool = type == WireType::kBoolTrue || type == WireType::kBoolFalse;
  if (is_bool && want_bool) return;
  if (field.type != type) {
    fail(cat("field '", name, "' (id ", field.id, ") has wire type ", wire_type_name(field.type),
             ", expected ", wire_type_name(type)));
  }
}

int32_t CompactReader::field_i32(const FieldHeader& field, const char* name) {
  expect_type(field, WireType::kI32, name);
  return read_i32();
}

int64_t CompactReader::field_i64(const FieldHeader& field, const char* name) {
  expect_type(field, WireType::kI64, name);
  return read_i64();
}

bool CompactReader::field_bool(const FieldHeader& field, const char* name) {
  expect_type(field, WireType::kBoolTrue, name);
  return field.type == WireType::kBoolTrue;
}

std::string_view CompactReader::field_binary(const FieldHeader& field, const char* name) {
  expect_type(field, WireType::kBinary, name);
  return read_binary();
}

}  // namespace finetune::parquet
