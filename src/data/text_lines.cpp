// Reading texts one per line, UTF-8 validated (see text_lines.h for the contract).
//
// Error positions: "<path>:<line>: invalid UTF-8 at byte <k>" where <line> is 1-based and <k> is
// the 1-based byte offset within that line (the column an editor shows for ASCII text; for
// multi-byte text it counts bytes, since the offending bytes are not characters). The validity
// rules are those of the tokenizer (tokenizer/utf8.cpp), so whatever passes here can be encoded.
#include "data/text_lines.h"

#include "core/error.h"
#include "io/file.h"
#include "tokenizer/utf8.h"

namespace finetune {

size_t find_invalid_utf8(std::string_view text) {
  return utf8::find_invalid_byte(text);
}

std::vector<std::string> read_text_lines(const std::filesystem::path& path) {
  const std::string text = read_file(path);
  std::vector<std::string> lines;
  size_t start = 0;
  size_t line_number = 1;
  while (start < text.size()) {
    size_t newline = text.find('\n', start);
    size_t end = newline == std::string::npos ? text.size() : newline;
    std::string_view line(text.data() + start, end - start);
    size_t bad = find_invalid_utf8(line);
    if (bad != std::string_view::npos) {
      throw Error(cat(path.string(), ":", line_number, ": invalid UTF-8 at byte ", bad + 1));
    }
    lines.emplace_back(line);
    if (newline == std::string::npos) break;
    start = newline + 1;
    ++line_number;
  }
  return lines;
}

}  // namespace finetune
