// Reading texts, one per line, with UTF-8 validated and errors that name the line.
//
// The contract (DESIGN.md): input for `tokenize`/`predict` is UTF-8 text, one example per line,
// split on '\n' only (a .jsonl input is split the same way, then parsed: data/text_inputs.h). A '\r' before the '\n' stays part of the text (the tokenizer treats it as
// whitespace, as HF does). A final line without '\n' counts; the empty string after a final '\n'
// does not.
//
// Input files may be far larger than memory (a corpus to classify), so `TextLineReader` streams
// them: it reads fixed-size blocks and hands out one line at a time, holding at most one line
// plus one block. A single line longer than `max_line_bytes` is refused with its line number
// rather than buffered without bound: no classification text is that long, and such a "line" is
// almost always a binary file or a file without newlines given by mistake.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace finetune {

// The longest line the readers accept: far above any real text (a 10 MB line is read and
// truncated by the tokenizer), far below what would strain memory.
constexpr size_t kMaxTextLineBytes = size_t{16} << 20;

// Returns the index of the first byte that is not part of a valid UTF-8 sequence, or npos.
// Valid means: shortest form, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
size_t find_invalid_utf8(std::string_view text);

class TextLineReader {
 public:
  // Opens the file; throws Error("cannot read <path>: <reason>").
  explicit TextLineReader(const std::filesystem::path& path,
                          size_t max_line_bytes = kMaxTextLineBytes);
  ~TextLineReader();
  TextLineReader(const TextLineReader&) = delete;
  TextLineReader& operator=(const TextLineReader&) = delete;

  // Stores the next line in `line` and returns true, or returns false at the end of the file.
  // Throws Error("<path>:<line>: invalid UTF-8 at byte <k>") for a bad line and
  // Error("<path>:<line>: ...longer than...") for one over the limit.
  bool next(std::string& line);

  // Replaces `lines` with the next lines, stopping after `max_lines` lines or once they hold
  // `max_bytes` bytes, whichever comes first; returns false (and leaves `lines` empty) at the end.
  // This is how a large input is processed in bounded memory, one chunk at a time.
  bool next_chunk(std::vector<std::string>& lines, size_t max_lines, size_t max_bytes);

  // The 1-based number of the line last returned by next() (0 before the first).
  size_t line_number() const { return line_number_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  bool fill();  // reads the next block into buffer_; false at the end of the file

  std::filesystem::path path_;
  size_t max_line_bytes_;
  int fd_ = -1;
  std::string buffer_;  // the current block
  size_t position_ = 0;  // next unread byte of buffer_
  bool end_ = false;     // the file has no more blocks
  size_t line_number_ = 0;
};

// Reads all lines of a file (through TextLineReader: the same errors). For inputs known to be
// small; `predict` and `tokenize` stream with TextLineReader instead.
std::vector<std::string> read_text_lines(const std::filesystem::path& path);

}  // namespace finetune
