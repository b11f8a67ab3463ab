// ZIP reading per PKWARE APPNOTE.TXT sections 4.3 (structure) and 4.5.3 (ZIP64 extra field).
#include "io/zip_archive.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "core/error.h"

namespace finetune {
namespace {

constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralHeaderSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr size_t kEndSize = 22;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kZip64EndSize = 56;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kLocalHeaderSize = 30;

uint16_t le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
uint32_t le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}
uint64_t le64(const uint8_t* p) {
  return uint64_t{le32(p)} | (uint64_t{le32(p + 4)} << 32);
}

std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

}  // namespace

uint32_t crc32_update(uint32_t crc, const void* data, size_t size) {
  static const std::array<uint32_t, 256> table = make_crc_table();
  const uint8_t* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

bool looks_like_zip(const std::filesystem::path& path) {
  MappedFile file(path);  // throws the system's reason for a missing or unreadable file
  return file.size() >= 4 && le32(file.data()) == kLocalHeaderSig;
}

ZipArchive::ZipArchive(const std::filesystem::path& path)
    : file_(std::make_unique<MappedFile>(path)) {
  const uint8_t* data = file_->data();
  const uint64_t size = file_->size();
  auto fail = [&](const std::string& what) -> Error {
    return Error(cat(path.string(), ": not a readable zip archive (", what,
                     "); the file may be truncated or damaged (download it again)"));
  };
  if (size < kEndSize) throw fail(cat("only ", size, " bytes"));

  // 1. The end-of-central-directory record: the last 22 bytes, unless an archive comment (at most
  // 65535 bytes) follows it. Its comment length must reach exactly to the end of the file.
  uint64_t end = size;  // position of the record once found
  const uint64_t lowest = size > kEndSize + 65535 ? size - kEndSize - 65535 : 0;
  for (uint64_t pos = size - kEndSize + 1; pos-- > lowest;) {
    if (le32(data + pos) == kEndSig && pos + kEndSize + le16(data + pos + 20) == size) {
      end = pos;
      break;
    }
  }
  if (end == size) throw fail("no end-of-central-directory record");
  const uint8_t* eocd = data + end;
  if (le16(eocd + 4) != 0 || le16(eocd + 6) != 0)
    throw fail("multi-disk archives are not supported");
  uint64_t count = le16(eocd + 10);
  uint64_t cd_size = le32(eocd + 12);
  uint64_t cd_offset = le32(eocd + 16);
  uint64_t cd_limit = end;  // the central directory ends before the records that follow it

  // 2. ZIP64: a locator right before the record points at the ZIP64 end record, whose 64-bit
  // fields replace the 16/32-bit ones (torch.save writes these for archives over 4 GiB).
  if (end >= kZip64LocatorSize && le32(data + end - kZip64LocatorSize) == kZip64LocatorSig) {
    const uint8_t* locator = data + end - kZip64LocatorSize;
    const uint64_t z64_offset = le64(locator + 8);
    if (z64_offset > end - kZip64LocatorSize ||
        end - kZip64LocatorSize - z64_offset < kZip64EndSize) {
      throw fail("ZIP64 end record out of range");
    }
    const uint8_t* z64 = data + z64_offset;
    if (le32(z64) != kZip64EndSig) throw fail("bad ZIP64 end record signature");
    count = le64(z64 + 32);
    cd_size = le64(z64 + 40);
    cd_offset = le64(z64 + 48);
    cd_limit = z64_offset;
  }
  if (cd_offset > cd_limit || cd_size > cd_limit - cd_offset) {
    throw fail(
        cat("central directory at ", cd_offset, " (", cd_size, " bytes) is outside the file"));
  }
  if (count > cd_size / kCentralHeaderSize) {
    throw fail(cat(count, " entries cannot fit in a ", cd_size, "-byte central directory"));
  }

  // 3. Central headers, then each entry's local header.
  entries_.reserve(count);
  uint64_t pos = cd_offset;
  const uint64_t cd_end = cd_offset + cd_size;
  for (uint64_t i = 0; i < count; ++i) {
    if (cd_end - pos < kCentralHeaderSize || le32(data + pos) != kCentralHeaderSig) {
      throw fail(cat("central header ", i, " is damaged"));
    }
    const uint8_t* h = data + pos;
    const uint16_t flags = le16(h + 8);
    ZipEntry entry;
    entry.method = le16(h + 10);
    entry.crc32 = le32(h + 16);
    entry.compressed_size = le32(h + 20);
    entry.size = le32(h + 24);
    const uint16_t name_len = le16(h + 28), extra_len = le16(h + 30), comment_len = le16(h + 32);
    uint64_t local_offset = le32(h + 42);
    const uint64_t record = kCentralHeaderSize + uint64_t{name_len} + extra_len + comment_len;
    if (cd_end - pos < record) throw fail(cat("central header ", i, " runs past the directory"));
    entry.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderSize), name_len);
    if (flags & 1) throw fail(cat("entry '", entry.name, "' is encrypted"));
    // ZIP64 extended information: 64-bit values for the fields saturated at 0xFFFFFFFF, in order.
    const uint8_t* extra = h + kCentralHeaderSize + name_len;
    for (uint32_t at = 0; at + 4 <= extra_len;) {
      const uint16_t id = le16(extra + at), len = le16(extra + at + 2);
      if (at + 4 + uint32_t{len} > extra_len)
        throw fail(cat("entry '", entry.name, "': extra field runs past its header"));
      if (id == 0x0001) {
        const uint8_t* field = extra + at + 4;
        uint32_t used = 0;
        auto take = [&](uint64_t& value) {
          if (value != 0xFFFFFFFFu) return;
          if (used + 8 > len) throw fail(cat("entry '", entry.name, "': short ZIP64 field"));
          value = le64(field + used);
          used += 8;
        };
        take(entry.size);
        take(entry.compressed_size);
        take(local_offset);
      }
      at += 4 + uint32_t{len};
    }
    // The local header repeats the name and has its own extra field (torch pads it so that the
    // data is 64-byte aligned); the data starts after both.
    if (local_offset > cd_offset || cd_offset - local_offset < kLocalHeaderSize ||
        le32(data + local_offset) != kLocalHeaderSig) {
      throw fail(cat("entry '", entry.name, "': local header missing at offset ", local_offset));
    }
    const uint8_t* local = data + local_offset;
    const uint64_t local_name_len = le16(local + 26), local_extra_len = le16(local + 28);
    if (local_name_len != name_len ||
        std::memcmp(local + kLocalHeaderSize, entry.name.data(), name_len) != 0) {
      throw fail(cat("entry '", entry.name, "': local and central names differ"));
    }
    entry.data_offset = local_offset + kLocalHeaderSize + local_name_len + local_extra_len;
    if (entry.data_offset > cd_offset || entry.compressed_size > cd_offset - entry.data_offset) {
      throw fail(cat("entry '", entry.name, "' (", entry.compressed_size, " bytes at ",
                     entry.data_offset, ") runs past the data area"));
    }
    if (entry.method == 0 && entry.size != entry.compressed_size) {
      throw fail(cat("stored entry '", entry.name, "' has different stored and original sizes"));
    }
    if (!index_.emplace(entry.name, entries_.size()).second) {
      throw fail(cat("entry '", entry.name, "' appears twice"));
    }
    entries_.push_back(std::move(entry));
    pos += record;
  }
  verified_.assign(entries_.size(), false);
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

std::string_view ZipArchive::read(const ZipEntry& entry) const {
  if (entry.method != 0) {
    throw Error(cat(path().string(), ": zip entry '", entry.name, "' is compressed (method ",
                    entry.method, "); only stored entries are read, as torch.save writes them"));
  }
  const size_t index = static_cast<size_t>(&entry - entries_.data());
  FT_CHECK(index < entries_.size(), "entry does not belong to this archive");
  const char* bytes = reinterpret_cast<const char*>(file_->data() + entry.data_offset);
  if (!verified_[index]) {
    const uint32_t crc = crc32_update(0, bytes, entry.size);
    if (crc != entry.crc32) {
      throw Error(cat(path().string(), ": zip entry '", entry.name, "' is damaged (CRC-32 ", crc,
                      " instead of ", entry.crc32, "); download the file again"));
    }
    verified_[index] = true;
  }
  return std::string_view(bytes, entry.size);
}

}  // namespace finetune
