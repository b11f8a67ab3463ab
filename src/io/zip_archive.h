// A read-only reader of ZIP archives whose entries are stored uncompressed, which is what
// `torch.save` writes (PyTorch's zip serialization: pytorch_model.bin, *.pt).
//
// Written from PKWARE's APPNOTE.TXT (6.3.x): the end-of-central-directory record (and its ZIP64
// locator and record when sizes or counts exceed 32 bits) locates the central directory; each
// central header gives an entry's name, method, CRC-32, sizes and the offset of its local header,
// whose own name and extra field lengths locate the data. The archive is memory-mapped and
// treated as hostile: every offset, length and count is checked against the bytes that exist
// before it is used, names must agree between the central and local headers, and entries must not
// overlap the central directory. Compressed entries are refused by name (torch.save never writes
// them). `read` verifies an entry's CRC-32 before its bytes are trusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/file.h"

namespace finetune {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 = stored; anything else is refused when read
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;         // uncompressed
  uint64_t data_offset = 0;  // of the entry's bytes within the archive
};

class ZipArchive {
 public:
  // Maps and indexes the archive; throws Error naming the file and the damage found.
  explicit ZipArchive(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return file_->path(); }
  const std::vector<ZipEntry>& entries() const { return entries_; }  // central-directory order
  const ZipEntry* find(const std::string& name) const;

  // The bytes of a stored entry, after checking its CRC-32 (once per entry). Throws Error for a
  // compressed entry or a CRC mismatch. The view lives as long as the archive.
  std::string_view read(const ZipEntry& entry) const;

 private:
  std::unique_ptr<MappedFile> file_;
  std::vector<ZipEntry> entries_;
  std::map<std::string, size_t> index_;
  mutable std::vector<bool> verified_;
};

// CRC-32 (ISO-HDLC, the zip and gzip polynomial 0xEDB88320), continuing from `crc` (0 to start).
uint32_t crc32_update(uint32_t crc, const void* data, size_t size);

// True if the file starts with the local-header signature "PK\3\4" (a zip archive).
bool looks_like_zip(const std::filesystem::path& path);

}  // namespace finetune
