// Parquet's RLE / bit-packed hybrid encoding (parquet-format Encodings.md), bounds-checked.
//
// The hybrid carries definition levels and dictionary indices (and BOOLEAN values in v2 pages):
// a sequence of runs, each introduced by a ULEB128 header whose low bit picks the kind.
//   - header & 1 == 0: an RLE run of (header >> 1) copies of one value stored in
//     ceil(bit_width / 8) little-endian bytes;
//   - header & 1 == 1: a bit-packed run of (header >> 1) groups of 8 values, each value
//     bit_width bits, packed from the least significant bit of each byte.
// The decoder reads from a span it never leaves. A run may claim more values than the caller
// needs (an RLE run can claim 2^31 copies in five bytes), so it only ever produces what is asked
// for; a bit-packed run cut short by the end of the data yields the values its bytes contain.
// When the data ends before the caller's count, decode() returns fewer values and problem()
// says why; the caller turns that into an Error with its own context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace finetune::parquet {

class RleBitPackedDecoder {
 public:
  // bit_width must be in [0, 32] (the caller validates it: it comes from the file).
  RleBitPackedDecoder(std::span<const uint8_t> data, int bit_width);

  // Decodes up to `count` values into `out`; returns how many were decoded.
  size_t decode(uint32_t* out, size_t count);
  // Why the last decode() stopped early.
  const char* problem() const { return problem_; }

 private:
  bool next_run();
  uint32_t read_packed();

  std::span<const uint8_t> data_;
  int bit_width_;
  uint32_t mask_;
  size_t pos_ = 0;
  uint64_t rle_left_ = 0;
  uint32_t rle_value_ = 0;
  uint64_t packed_left_ = 0;
  const uint8_t* packed_ = nullptr;  // start of the current bit-packed run
  size_t packed_bytes_ = 0;          // bytes of it that are inside the data
  uint64_t packed_bit_ = 0;          // next bit to read, from `packed_`
  const char* problem_ = "";
};

// The number of bits needed to store values 0..max_value (0 for max_value 0).
int bit_width_for(uint32_t max_value);

}  // namespace finetune::parquet
