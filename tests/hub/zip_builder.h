// Builds small ZIP archives in memory for the torch-checkpoint tests: stored entries with correct
// CRC-32s (or a deliberately wrong method), laid out as torch.save lays them out, so a test can
// put any pickle or storage bytes in front of the reader.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/zip_archive.h"

namespace finetune::testing {

struct ZipInput {
  std::string name;
  std::string data;
  uint16_t method = 0;  // 0 stored; 8 claims deflate (the bytes are left as they are)
};

inline void put16(std::string& out, uint16_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>(v >> 8);
}
inline void put32(std::string& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v & 0xFFFF));
  put16(out, static_cast<uint16_t>(v >> 16));
}

inline std::string build_zip(const std::vector<ZipInput>& entries) {
  std::string out, central;
  for (const ZipInput& e : entries) {
    const uint32_t offset = static_cast<uint32_t>(out.size());
    const uint32_t crc = crc32_update(0, e.data.data(), e.data.size());
    const uint32_t size = static_cast<uint32_t>(e.data.size());
    put32(out, 0x04034b50);
    put16(out, 20);
    put16(out, 0);
    put16(out, e.method);
    put32(out, 0);  // time, date
    put32(out, crc);
    put32(out, size);
    put32(out, size);
    put16(out, static_cast<uint16_t>(e.name.size()));
    put16(out, 0);
    out += e.name;
    out += e.data;
    put32(central, 0x02014b50);
    put16(central, 20);
    put16(central, 20);
    put16(central, 0);
    put16(central, e.method);
    put32(central, 0);
    put32(central, crc);
    put32(central, size);
    put32(central, size);
    put16(central, static_cast<uint16_t>(e.name.size()));
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put32(central, 0);
    put32(central, offset);
    central += e.name;
  }
  const uint32_t cd_offset = static_cast<uint32_t>(out.size());
  out += central;
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<uint16_t>(entries.size()));
  put16(out, static_cast<uint16_t>(entries.size()));
  put32(out, static_cast<uint32_t>(central.size()));
  put32(out, cd_offset);
  put16(out, 0);
  return out;
}

}  // namespace finetune::testing
