// Builds small ZIP archives in memory for the torch-checkpoint tests: stored entries with correct
// CRC-32s, laid out as torch.save lays them out, so a test can put any pickle or storage bytes in
// front of the reader; or, entry by entry, the damage a hostile archive carries (a wrong method,
// CRC or size, the encryption flag), and headers to lay out by hand.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/zip_archive.h"

namespace finetune::testing {

struct ZipInput {
  std::string name;
  std::string data;
  uint16_t method = 0;   // 0 stored; 8 claims deflate (the bytes are left as they are)
  uint16_t flags = 0;    // general-purpose bits: 1 claims the entry is encrypted
  uint32_t crc_xor = 0;  // non-zero: the recorded CRC-32 is wrong by these bits
  int64_t size = -1;     // the recorded uncompressed size; -1: the data's
};

inline void put16(std::string& out, uint16_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>(v >> 8);
}
inline void put32(std::string& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v & 0xFFFF));
  put16(out, static_cast<uint16_t>(v >> 16));
}

// The fields a local and a central header share (APPNOTE 4.3.7 and 4.3.12), from the flags to
// the extra field's length.
inline void put_shared_fields(std::string& out, const ZipInput& e) {
  const uint32_t stored = static_cast<uint32_t>(e.data.size());
  put16(out, e.flags);
  put16(out, e.method);
  put32(out, 0);  // time, date
  put32(out, crc32_update(0, e.data.data(), e.data.size()) ^ e.crc_xor);
  put32(out, stored);
  put32(out, e.size < 0 ? stored : static_cast<uint32_t>(e.size));
  put16(out, static_cast<uint16_t>(e.name.size()));
  put16(out, 0);  // extra field length
}

inline std::string local_header(const ZipInput& e) {
  std::string out;
  put32(out, 0x04034b50);
  put16(out, 20);  // version needed
  put_shared_fields(out, e);
  return out + e.name;
}

inline std::string central_header(const ZipInput& e, uint32_t local_offset) {
  std::string out;
  put32(out, 0x02014b50);
  put16(out, 20);  // version made by
  put16(out, 20);  // version needed
  put_shared_fields(out, e);
  put16(out, 0);  // comment length
  put16(out, 0);  // disk
  put16(out, 0);  // internal attributes
  put32(out, 0);  // external attributes
  put32(out, local_offset);
  return out + e.name;
}

inline std::string end_record(size_t count, size_t central_size, size_t central_offset) {
  std::string out;
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<uint16_t>(count));
  put16(out, static_cast<uint16_t>(count));
  put32(out, static_cast<uint32_t>(central_size));
  put32(out, static_cast<uint32_t>(central_offset));
  put16(out, 0);  // comment length
  return out;
}

inline std::string build_zip(const std::vector<ZipInput>& entries) {
  std::string out, central;
  for (const ZipInput& e : entries) {
    central += central_header(e, static_cast<uint32_t>(out.size()));
    out += local_header(e) + e.data;
  }
  const size_t central_offset = out.size();
  return out + central + end_record(entries.size(), central.size(), central_offset);
}

}  // namespace finetune::testing
