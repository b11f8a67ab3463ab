// A read-only reader of ZIP archives whose entries are stored uncompressed, which is what
// `torch.save` writes (PyTorch's zip serialization: pytorch_model.bin, *.pt).
//
// The ZIP format itself is libzip's (Debian's libzip4): it finds the end-of-central-directory
// record and its ZIP64 form, reads the central directory, and with ZIP_CHECKCONS compares every
// local header with its central one and keeps entries inside the data area; each entry's CRC-32
// is verified when it is read to its end. The archive is treated as hostile: anything libzip
// refuses, an encrypted entry, a stored entry whose two sizes differ, or entries that overlap so
// that reading them would need more bytes than the file has, is one Error naming the file and the
// damage. Compressed entries are refused by name: torch.save never writes them, and refusing them
// keeps every entry's size bounded by the file's (a deflated entry could claim any size).
//
// libzip 1.7 has no public way to learn where an entry's bytes start, so `read` copies an entry
// out of the memory-mapped file once and keeps the copy: a checkpoint's storages are held in
// memory while the archive is open (at most the file's size again).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/file.h"

struct zip;  // libzip's zip_t

namespace finetune {

struct ZipEntry {
  std::string name;     // as stored (bytes, not re-encoded)
  uint16_t method = 0;  // 0 = stored; anything else is refused when read
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;  // uncompressed
};

class ZipArchive {
 public:
  // Maps and indexes the archive; throws Error naming the file and the damage found.
  explicit ZipArchive(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return file_->path(); }
  const std::vector<ZipEntry>& entries() const { return entries_; }  // central-directory order
  const ZipEntry* find(const std::string& name) const;

  // The bytes of a stored entry, CRC-32 verified, read once and kept. Throws Error for a
  // compressed entry, a CRC mismatch or other damage. The view lives as long as the archive.
  std::string_view read(const ZipEntry& entry) const;

 private:
  struct Discard {
    void operator()(zip* archive) const;
  };
  // Declared in this order so that libzip's handle, which reads the mapped bytes, goes first.
  std::unique_ptr<MappedFile> file_;
  std::unique_ptr<zip, Discard> zip_;
  std::vector<ZipEntry> entries_;
  std::map<std::string, size_t> index_;
  mutable std::vector<std::optional<std::string>> contents_;  // by entry, once read
  mutable uint64_t bytes_read_ = 0;                           // sum over contents_
};

// CRC-32 (ISO-HDLC, the zip and gzip polynomial 0xEDB88320), continuing from `crc` (0 to start).
uint32_t crc32_update(uint32_t crc, const void* data, size_t size);

// True if the file starts with the local-header signature "PK\3\4" (a zip archive).
bool looks_like_zip(const std::filesystem::path& path);

}  // namespace finetune
