// Reading texts, one per line, with UTF-8 validated and errors that name the line.
//
// The contract (DESIGN.md): input for `tokenize`/`predict` is UTF-8 text, one example per line,
// split on '\n' only. A '\r' before the '\n' stays part of the text (the tokenizer treats it as
// whitespace, as HF does). A final line without '\n' counts; the empty string after a final '\n'
// does not.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace finetune {

// Returns the index of the first byte that is not part of a valid UTF-8 sequence, or npos.
// Valid means: shortest form, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
size_t find_invalid_utf8(std::string_view text);

// Reads all lines of a file; throws Error("<path>:<line>: invalid UTF-8 at byte <k>") for the
// first bad line, or the file error if it cannot be read.
std::vector<std::string> read_text_lines(const std::filesystem::path& path);

}  // namespace finetune
