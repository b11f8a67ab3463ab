// The RLE / bit-packed hybrid decoder and the Thrift compact reader on hand-made bytes: the
// worked example of parquet-format's Encodings.md, every bit width against a straightforward
// bit-by-bit packer, runs that claim more than the data holds, and Thrift varint/zigzag edges.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "core/error.h"
#include "data/parquet/encoding.h"
#include "data/parquet/thrift.h"
#include "data_test_util.h"

namespace finetune::testing {
namespace {

using parquet::CompactReader;
using parquet::RleBitPackedDecoder;

std::vector<uint32_t> decode(const std::vector<uint8_t>& bytes, int bit_width, size_t count,
                             size_t* got = nullptr) {
  RleBitPackedDecoder decoder(bytes, bit_width);
  std::vector<uint32_t> out(count);
  size_t n = decoder.decode(out.data(), count);
  if (got != nullptr) *got = n;
  out.resize(n);
  return out;
}

TEST(RleBitPacked, EncodingsMdExample) {
  // Encodings.md: 0..7 with bit width 3, bit-packed, are the bytes 10001000 11000110 11111010.
  std::vector<uint8_t> bytes = {0x03, 0x88, 0xC6, 0xFA};  // header: 1 group, bit-packed
  EXPECT_EQ(decode(bytes, 3, 8), (std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(RleBitPacked, RleRunsAndMixedRuns) {
  // 5 x 7 (RLE, width 3: one value byte), then 8 bit-packed 1-bit values, then 3 x 1.
  std::vector<uint8_t> bytes = {0x0A, 0x07, 0x03, 0b10110001, 0x06, 0x01};
  EXPECT_EQ(decode(bytes, 3 /*ignored below*/, 0).size(), 0u);
  RleBitPackedDecoder first({bytes.data(), 2}, 3);
  uint32_t out[5];
  ASSERT_EQ(first.decode(out, 5), 5u);
  for (uint32_t v : out) EXPECT_EQ(v, 7u);
  std::vector<uint8_t> levels = {0x03, 0b10110001, 0x06, 0x01};
  EXPECT_EQ(decode(levels, 1, 11), (std::vector<uint32_t>{1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1}));
  // RLE values wider than a byte are little-endian over ceil(width / 8) bytes.
  std::vector<uint8_t> wide = {0x04, 0x34, 0x12};
  EXPECT_EQ(decode(wide, 13, 2), (std::vector<uint32_t>{0x1234, 0x1234}));
  std::vector<uint8_t> full = {0x02, 0x78, 0x56, 0x34, 0x12};
  EXPECT_EQ(decode(full, 32, 1), (std::vector<uint32_t>{0x12345678}));
}

TEST(RleBitPacked, EveryBitWidthMatchesANaivePacker) {
  std::mt19937 random(7);
  for (int width = 0; width <= 32; ++width) {
    SCOPED_TRACE(width);
    const size_t groups = 5;
    std::vector<uint32_t> values(groups * 8);
    const uint64_t limit = width == 32 ? 0xffffffffu : (uint64_t{1} << width) - 1;
    for (auto& v : values) v = static_cast<uint32_t>(random() % (limit + 1));
    // Pack bit by bit, least significant first, as the spec describes.
    std::vector<uint8_t> bytes = {static_cast<uint8_t>(groups << 1 | 1)};
    std::vector<uint8_t> packed(groups * static_cast<size_t>(width), 0);
    size_t bit = 0;
    for (uint32_t v : values) {
      for (int b = 0; b < width; ++b, ++bit) {
        if ((v >> b) & 1) packed[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
      }
    }
    bytes.insert(bytes.end(), packed.begin(), packed.end());
    EXPECT_EQ(decode(bytes, width, values.size()), values);
  }
}

TEST(RleBitPacked, ShortDataGivesShortCountsNotReadsPastTheEnd) {
  size_t got = 0;
  // An RLE run claiming 2^31 - 1 values: only what is asked for comes out.
  std::vector<uint8_t> huge = {0xFE, 0xFF, 0xFF, 0xFF, 0x0F, 0x01};
  EXPECT_EQ(decode(huge, 1, 1000, &got).size(), 1000u);
  // A bit-packed run of 10 groups with only 2 bytes present (width 1): 16 values, then the end.
  std::vector<uint8_t> cut = {0x15, 0xFF, 0x00};
  RleBitPackedDecoder decoder(cut, 1);
  std::vector<uint32_t> out(80);
  EXPECT_EQ(decoder.decode(out.data(), 80), 16u);
  EXPECT_STRNE(decoder.problem(), "");
  // Empty data, a header cut off, a value cut off, a header over 32 bits.
  for (const std::vector<uint8_t>& bad :
       {std::vector<uint8_t>{}, std::vector<uint8_t>{0x80}, std::vector<uint8_t>{0x04},
        std::vector<uint8_t>{0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00}}) {
    EXPECT_EQ(decode(bad, 8, 1, &got).size(), 0u);
  }
}

TEST(RleBitPacked, BitWidthFor) {
  EXPECT_EQ(parquet::bit_width_for(0), 0);
  EXPECT_EQ(parquet::bit_width_for(1), 1);
  EXPECT_EQ(parquet::bit_width_for(2), 2);
  EXPECT_EQ(parquet::bit_width_for(7), 3);
  EXPECT_EQ(parquet::bit_width_for(8), 4);
  EXPECT_EQ(parquet::bit_width_for(0xffffffffu), 32);
}

std::vector<uint8_t> bytes_of(std::initializer_list<int> list) {
  std::vector<uint8_t> out;
  for (int b : list) out.push_back(static_cast<uint8_t>(b));
  return out;
}

TEST(ThriftCompact, VarintsAndZigzag) {
  auto data = bytes_of({0x00, 0x01, 0x02, 0x03, 0xFE, 0xFF, 0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F});
  CompactReader r(data, "test");
  EXPECT_EQ(r.read_i32(), 0);
  EXPECT_EQ(r.read_i32(), -1);
  EXPECT_EQ(r.read_i32(), 1);
  EXPECT_EQ(r.read_i32(), -2);
  EXPECT_EQ(r.read_i32(), 32767);  // 0xFE 0xFF 0x03 = 65534 -> zigzag 32767
  EXPECT_EQ(r.read_i32(), INT32_MIN);
  EXPECT_EQ(r.remaining(), 0u);
  // The largest 64-bit values.
  auto max = bytes_of({0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01});
  CompactReader r64(max, "test");
  EXPECT_EQ(r64.read_i64(), INT64_MAX);
}

TEST(ThriftCompact, ErrorsNameThePlaceAndOffset) {
  auto truncated = bytes_of({0x80, 0x80});
  CompactReader r(truncated, "<file>: footer", 100);
  std::string message = error_of([&] { r.read_varint(); });
  EXPECT_NE(message.find("<file>: footer: truncated varint (at byte 102)"), std::string::npos)
      << message;

  auto long_binary = bytes_of({0x05, 'a', 'b'});
  CompactReader b(long_binary, "x");
  message = error_of([&] { b.read_binary(); });
  EXPECT_NE(message.find("binary length 5 runs past the end (2 bytes left)"), std::string::npos)
      << message;

  auto too_big = bytes_of({0x80, 0x80, 0x80, 0x80, 0x10});  // 2^32 as i32 after zigzag: 2^31
  CompactReader i(too_big, "x");
  EXPECT_NE(error_of([&] { i.read_i32(); }).find("out of range"), std::string::npos);

  auto bad_type = bytes_of({0x1D});  // field delta 1, wire type 13
  CompactReader t(bad_type, "x");
  int16_t last = 0;
  EXPECT_NE(error_of([&] { t.read_field_header(last); }).find("invalid wire type 13"),
            std::string::npos);

  auto map = bytes_of({0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x88});  // a map claiming 2^32 - 1 entries
  CompactReader m(map, "x");
  EXPECT_NE(error_of([&] { m.skip(parquet::WireType::kMap); }).find("cannot fit"),
            std::string::npos);
}

TEST(ThriftCompact, SkipsEveryWireType) {
  // struct { 1: true, 2: byte 7, 3: i16, 4: i32, 5: i64, 6: double, 7: binary "hi",
  //          8: list<i32> [1, 2], 9: map<i32, binary> {1: "a"}, 10: struct {}, 300: i32 5 }
  auto data =
      bytes_of({0x11, 0x13, 0x07, 0x14, 0x02, 0x15, 0x04, 0x16, 0x06, 0x17, 0,    0,    0,    0,
                0,    0,    0xF0, 0x3F, 0x18, 0x02, 'h',  'i',  0x19, 0x25, 0x02, 0x04, 0x1B, 0x01,
                0x58, 0x02, 0x01, 'a',  0x1C, 0x00, 0x05, 0xD8, 0x04, 0x0A, 0x00, 0xFF});
  CompactReader r(data, "x");
  r.skip(parquet::WireType::kStruct);
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_EQ(r.read_byte(), 0xFF);
}

}  // namespace
}  // namespace finetune::testing
