// Reading texts one per line, UTF-8 validated, streamed (see text_lines.h for the contract).
//
// Error positions: "<path>:<line>: invalid UTF-8 at byte <k>" where <line> is 1-based and <k> is
// the 1-based byte offset within that line (the column an editor shows for ASCII text; for
// multi-byte text it counts bytes, since the offending bytes are not characters). The validity
// rules are those of the tokenizer (tokenizer/utf8.cpp), so whatever passes here can be encoded.
#include "data/text_lines.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "tokenizer/utf8.h"

namespace finetune {
namespace {

// Bytes read per system call: large enough that reading is not the bottleneck, small enough
// that the block is negligible next to the texts being processed.
constexpr size_t kBlockBytes = size_t{1} << 20;

std::string mebibytes(size_t bytes) { return cat(bytes >> 20, " MiB"); }

}  // namespace

size_t find_invalid_utf8(std::string_view text) {
  return utf8::find_invalid_byte(text);
}

TextLineReader::TextLineReader(const std::filesystem::path& path, size_t max_line_bytes)
    : path_(path), max_line_bytes_(max_line_bytes) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw Error(cat("cannot read ", path.string(), ": ", std::strerror(errno)));
  struct stat info {};
  if (::fstat(fd_, &info) == 0 && S_ISDIR(info.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    throw Error(cat("cannot read ", path.string(), ": is a directory"));
  }
}

TextLineReader::~TextLineReader() {
  if (fd_ >= 0) ::close(fd_);
}

bool TextLineReader::fill() {
  if (end_) return false;
  buffer_.resize(kBlockBytes);
  for (;;) {
    ssize_t got = ::read(fd_, buffer_.data(), kBlockBytes);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw Error(cat("cannot read ", path_.string(), ": ", std::strerror(errno)));
    buffer_.resize(static_cast<size_t>(got));
    position_ = 0;
    if (got == 0) end_ = true;
    return got > 0;
  }
}

bool TextLineReader::next(std::string& line) {
  line.clear();
  bool any = false;  // a line exists once a byte of it (or its '\n') has been seen
  for (;;) {
    if (position_ == buffer_.size() && !fill()) break;
    any = true;
    const char* start = buffer_.data() + position_;
    const size_t available = buffer_.size() - position_;
    const void* newline = std::memchr(start, '\n', available);
    const size_t take = newline ? static_cast<size_t>(static_cast<const char*>(newline) - start) : available;
    if (line.size() + take > max_line_bytes_) {
      throw Error(cat(path_.string(), ":", line_number_ + 1, ": line longer than ",
                      mebibytes(max_line_bytes_), " (the limit for one text; is this a text file with one "
                      "example per line?)"));
    }
    line.append(start, take);
    position_ += take;
    if (newline) {
      ++position_;  // the '\n' ends the line and is not part of it
      break;
    }
  }
  if (!any) return false;
  ++line_number_;
  const size_t bad = find_invalid_utf8(line);
  if (bad != std::string::npos) {
    throw Error(cat(path_.string(), ":", line_number_, ": invalid UTF-8 at byte ", bad + 1));
  }
  return true;
}

bool TextLineReader::next_chunk(std::vector<std::string>& lines, size_t max_lines, size_t max_bytes) {
  lines.clear();
  size_t bytes = 0;
  std::string line;
  while (lines.size() < max_lines && bytes < max_bytes && next(line)) {
    bytes += line.size();
    lines.push_back(std::move(line));
  }
  return !lines.empty();
}

std::vector<std::string> read_text_lines(const std::filesystem::path& path) {
  TextLineReader reader(path);
  std::vector<std::string> lines;
  for (std::string line; reader.next(line);) lines.push_back(std::move(line));
  return lines;
}

}  // namespace finetune
