// POSIX implementation of the file helpers (open/read/mmap/fsync/rename).
#include "io/file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace finetune {
namespace {

std::string os_reason() { return std::strerror(errno); }

void fsync_directory(const fs::path& directory) {
  int fd = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // best effort: some filesystems do not allow opening directories
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string read_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw Error(cat("cannot read ", path.string(), ": ", os_reason()));
  struct stat info {};
  if (::fstat(fd, &info) != 0 || S_ISDIR(info.st_mode)) {
    ::close(fd);
    throw Error(cat("cannot read ", path.string(), ": ", S_ISDIR(info.st_mode) ? "is a directory" : os_reason()));
  }
  std::string content;
  char chunk[1 << 16];
  for (;;) {
    ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0) {
      if (errno == EINTR) continue;
      std::string reason = os_reason();
      ::close(fd);
      throw Error(cat("cannot read ", path.string(), ": ", reason));
    }
    if (got == 0) break;
    content.append(chunk, static_cast<size_t>(got));
  }
  ::close(fd);
  return content;
}

MappedFile::MappedFile(const fs::path& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw Error(cat("cannot open ", path.string(), ": ", os_reason()));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    std::string reason = os_reason();
    ::close(fd);
    throw Error(cat("cannot open ", path.string(), ": ", reason));
  }
  if (S_ISDIR(info.st_mode)) {
    ::close(fd);
    throw Error(cat("cannot open ", path.string(), ": is a directory"));
  }
  size_ = static_cast<size_t>(info.st_size);
  if (size_ > 0) {
    void* mapped = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapped == MAP_FAILED) {
      std::string reason = os_reason();
      ::close(fd);
      throw Error(cat("cannot map ", path.string(), ": ", reason));
    }
    data_ = static_cast<const uint8_t*>(mapped);
  }
  ::close(fd);  // the mapping stays valid after the descriptor is closed
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

AtomicFileWriter::AtomicFileWriter(fs::path destination) : destination_(std::move(destination)) {
  // A name unique to this process and writer, in the destination's directory so that rename()
  // stays within one filesystem.
  static std::atomic<unsigned> counter{0};
  temporary_ = destination_;
  temporary_ += cat(".tmp.", ::getpid(), ".", counter++);
  fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(cat("cannot write ", destination_.string(), ": ", os_reason()));
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(temporary_.c_str());
  }
}

void AtomicFileWriter::write(const void* data, size_t bytes) {
  FT_CHECK(fd_ >= 0, "write after commit");
  const char* cursor = static_cast<const char*>(data);
  while (bytes > 0) {
    ssize_t done = ::write(fd_, cursor, bytes);
    if (done < 0) {
      if (errno == EINTR) continue;
      throw Error(cat("cannot write ", destination_.string(), ": ", os_reason()));
    }
    cursor += done;
    bytes -= static_cast<size_t>(done);
  }
}

void AtomicFileWriter::commit() {
  FT_CHECK(fd_ >= 0, "commit twice");
  if (::fsync(fd_) != 0) throw Error(cat("cannot write ", destination_.string(), ": ", os_reason()));
  if (::close(fd_) != 0) {
    fd_ = -1;
    ::unlink(temporary_.c_str());
    throw Error(cat("cannot write ", destination_.string(), ": ", os_reason()));
  }
  fd_ = -1;
  if (::rename(temporary_.c_str(), destination_.c_str()) != 0) {
    std::string reason = os_reason();
    ::unlink(temporary_.c_str());
    throw Error(cat("cannot write ", destination_.string(), ": ", reason));
  }
  fsync_directory(destination_.parent_path());
}

void write_file_atomic(const fs::path& path, std::string_view content) {
  AtomicFileWriter writer(path);
  writer.write(content);
  writer.commit();
}

}  // namespace finetune
