// The inputs of `tokenize` and `predict`: texts and text pairs, streamed in bounded chunks.
//
// The contract (DESIGN.md): an input file is UTF-8 text with one example per line, or, when its
// name ends in `.jsonl`, JSON Lines whose lines are {"text": A} or {"text": A, "text_pair": B}.
// Each line is its own example, so one file may mix single texts and pairs. In both formats
// line k of the input is example k (and line k of the output): a blank line of a plain-text
// file is an empty text, while a blank line of a .jsonl file is an error, since it holds no
// object and skipping it would shift every later result by one line.
//
// A .jsonl line is checked strictly: it must be an object whose "text" is a string, whose
// "text_pair", when present, is a string, and which has no other key. An unknown key is refused
// rather than ignored because a typo ("text_b", "pair") would otherwise silently turn a pair
// into a single text and change every prediction without a word. Errors name file:line.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/text_lines.h"

namespace finetune {

// One example: a text, or a text pair (the model's pair template joins them).
struct TextInput {
  std::string text;
  std::optional<std::string> text_pair;
};

// Whether `path` is read as JSON Lines: its extension is `.jsonl` (any letter case, as the
// dataset readers match extensions).
bool is_jsonl_input(const std::filesystem::path& path);

// Parses one line of a .jsonl input. `where` ("file:line") starts every error message.
TextInput parse_text_input_line(std::string_view line, const std::string& where);

class TextInputReader {
 public:
  // Opens the file (TextLineReader's errors); the format follows is_jsonl_input(path).
  explicit TextInputReader(const std::filesystem::path& path);

  // Replaces `inputs` with the next examples (at most `max_lines` lines, stopping once they
  // hold `max_bytes` bytes of input); returns false, with `inputs` empty, at the end. Input i of
  // the chunk is line first_line() + i. Throws Error("<path>:<line>: ...") for a bad line.
  bool next_chunk(std::vector<TextInput>& inputs, size_t max_lines, size_t max_bytes);

  // The 1-based line number of the first input of the last chunk.
  size_t first_line() const { return first_line_; }
  bool jsonl() const { return jsonl_; }
  const std::filesystem::path& path() const { return lines_.path(); }

 private:
  TextLineReader lines_;
  bool jsonl_;
  size_t first_line_ = 0;
  std::vector<std::string> chunk_;  // the raw lines of the current chunk, reused
};

}  // namespace finetune
