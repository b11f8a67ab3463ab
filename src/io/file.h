// Files: whole-file reads with clear errors, read-only memory maps, and atomic writes.
//
// Every failure names the path and the operating system's reason. Writes never touch the
// destination until the new content is complete and on disk: they go to a temporary file in
// the same directory, are flushed with fsync, and are renamed over the destination (rename is
// atomic on POSIX), so a crash or full disk leaves the previous file intact (DESIGN.md
// principle 7: nothing the user had is lost).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace finetune {

namespace fs = std::filesystem;

// Reads a whole file; throws Error("cannot read <path>: <reason>").
std::string read_file(const fs::path& path);

// Writes `content` to `path` atomically (temporary file, fsync, rename, fsync of the directory).
void write_file_atomic(const fs::path& path, std::string_view content);

// A read-only memory map of a whole file. Empty files map to an empty span.
class MappedFile {
 public:
  explicit MappedFile(const fs::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Streams bytes into a temporary file beside `destination`; `commit()` makes them visible under
// the destination name atomically. Destroying an uncommitted AtomicFileWriter removes the
// temporary file, so an error part-way through leaves nothing behind.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(fs::path destination);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(const void* data, size_t bytes);
  void write(std::string_view text) { write(text.data(), text.size()); }
  void commit();

 private:
  fs::path destination_;
  fs::path temporary_;
  int fd_ = -1;
};

}  // namespace finetune
