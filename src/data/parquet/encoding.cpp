// The RLE / bit-packed hybrid decoder (see encoding.h for the format and the contract).
#include "data/parquet/encoding.h"

#include <algorithm>
#include <cstring>

namespace finetune::parquet {

RleBitPackedDecoder::RleBitPackedDecoder(std::span<const uint8_t> data, int bit_width)
    : data_(data),
      bit_width_(bit_width),
      mask_(bit_width >= 32 ? 0xffffffffu : (uint32_t{1} << bit_width) - 1) {}

int bit_width_for(uint32_t max_value) {
  int width = 0;
  while (width < 32 && (uint64_t{1} << width) <= max_value) ++width;
  return width;
}

bool RleBitPackedDecoder::next_run() {
  if (pos_ >= data_.size()) {
    problem_ = "the encoded data ends";
    return false;
  }
  // The run header is a ULEB128 of at most 32 bits (5 bytes).
  uint64_t header = 0;
  for (int shift = 0;; shift += 7) {
    if (shift > 28) {
      problem_ = "a run header is longer than 5 bytes";
      return false;
    }
    if (pos_ >= data_.size()) {
      problem_ = "a run header is cut off";
      return false;
    }
    uint8_t byte = data_[pos_++];
    header |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  if (header > 0xffffffffu) {
    problem_ = "a run header exceeds 32 bits";
    return false;
  }
  if (header & 1) {
    uint64_t groups = header >> 1;
    uint64_t bytes = groups * static_cast<uint64_t>(bit_width_);
    size_t present = static_cast<size_t>(std::min<uint64_t>(bytes, data_.size() - pos_));
    packed_ = data_.data() + pos_;
    packed_bytes_ = present;
    packed_bit_ = 0;
    // Writers pad the last group, but a run cut by the end of the data still holds the values
    // that fit in its bytes; the caller sees a short count if it needs more.
    packed_left_ =
        bit_width_ == 0 ? groups * 8 : std::min<uint64_t>(groups * 8, present * 8 / bit_width_);
    pos_ += present;
    if (packed_left_ == 0 && groups > 0) {
      problem_ = "a bit-packed run is cut off";
      return false;
    }
  } else {
    size_t value_bytes = static_cast<size_t>((bit_width_ + 7) / 8);
    if (value_bytes > data_.size() - pos_) {
      problem_ = "an RLE run's value is cut off";
      return false;
    }
    uint32_t value = 0;
    for (size_t i = 0; i < value_bytes; ++i) value |= uint32_t{data_[pos_ + i]} << (8 * i);
    pos_ += value_bytes;
    rle_value_ = value;
    rle_left_ = header >> 1;
  }
  return true;
}

uint32_t RleBitPackedDecoder::read_packed() {
  size_t byte = static_cast<size_t>(packed_bit_ >> 3);
  unsigned shift = static_cast<unsigned>(packed_bit_ & 7);
  uint64_t word = 0;
  if (byte + 8 <= packed_bytes_) {
    std::memcpy(&word, packed_ + byte, 8);  // little-endian targets only (as Parquet itself)
  } else {
    for (size_t i = 0; byte + i < packed_bytes_ && i < 8; ++i) {
      word |= static_cast<uint64_t>(packed_[byte + i]) << (8 * i);
    }
  }
  packed_bit_ += static_cast<uint64_t>(bit_width_);
  return static_cast<uint32_t>(word >> shift) & mask_;
}

size_t RleBitPackedDecoder::decode(uint32_t* out, size_t count) {
  size_t done = 0;
  while (done < count) {
    if (rle_left_ > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(rle_left_, count - done));
      std::fill(out + done, out + done + n, rle_value_);
      rle_left_ -= n;
      done += n;
    } else if (packed_left_ > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(packed_left_, count - done));
      if (bit_width_ == 0) {
        std::fill(out + done, out + done + n, 0u);
      } else {
        for (size_t i = 0; i < n; ++i) out[done + i] = read_packed();
      }
      packed_left_ -= n;
      done += n;
    } else if (!next_run()) {
      break;
    }
  }
  return done;
}

}  // namespace finetune::parquet
