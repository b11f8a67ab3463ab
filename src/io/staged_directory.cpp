// Staging directory + atomic exchange (renameat2) with a two-rename fallback.
#include "io/staged_directory.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

namespace finetune {

namespace fs = std::filesystem;

namespace {

void fsync_path(const fs::path& path, bool directory) {
  int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// glibc 2.36 declares renameat2 only with _GNU_SOURCE; the system call is the same everywhere.
int exchange(const fs::path& a, const fs::path& b) {
  return static_cast<int>(::syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE));
}

fs::path previous_of(const fs::path& target) {
  fs::path p = target;
  p += ".previous";
  return p;
}

}  // namespace

StagedDirectory::StagedDirectory(fs::path target) : target_(std::move(target)) {
  if (target_.filename().empty()) target_ = target_.parent_path();  // "out/" names "out"
  fs::path parent = target_.parent_path().empty() ? fs::path(".") : target_.parent_path();
  staging_ = parent / ("." + target_.filename().string() + ".staging");
  std::error_code ec;
  fs::create_directories(parent, ec);
  fs::remove_all(staging_, ec);
  if (!fs::create_directory(staging_, ec) || ec) {
    throw Error(cat("cannot write ", target_.string(), ": cannot create ", staging_.string(), ": ",
                    ec ? ec.message() : "unknown error"));
  }
}

StagedDirectory::~StagedDirectory() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
  }
}

void StagedDirectory::commit() {
  FT_CHECK(!committed_, "commit twice");
  for (const auto& entry : fs::directory_iterator(staging_)) fsync_path(entry.path(), false);
  fsync_path(staging_, true);
  const fs::path parent = staging_.parent_path();
  std::error_code ec;
  if (!fs::exists(target_, ec)) {
    if (::rename(staging_.c_str(), target_.c_str()) != 0) {
      throw Error(cat("cannot write ", target_.string(), ": ", std::strerror(errno)));
    }
  } else if (exchange(staging_, target_) == 0) {
    fs::remove_all(staging_, ec);  // now holds the previous content
  } else {
    // No exchange on this filesystem: move the old target aside, then the new one in.
    const fs::path previous = previous_of(target_);
    fs::remove_all(previous, ec);
    if (::rename(target_.c_str(), previous.c_str()) != 0 || ::rename(staging_.c_str(), target_.c_str()) != 0) {
      std::string reason = std::strerror(errno);
      recover(target_);
      throw Error(cat("cannot write ", target_.string(), ": ", reason));
    }
    fs::remove_all(previous, ec);
  }
  fsync_path(parent, true);
  committed_ = true;
}

void StagedDirectory::recover(const fs::path& target) {
  const fs::path previous = previous_of(target);
  std::error_code ec;
  if (fs::exists(previous, ec) && !fs::exists(target, ec)) fs::rename(previous, target, ec);
}

}  // namespace finetune
