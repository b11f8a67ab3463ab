// Glob patterns over repository paths ("data/train-*.parquet"), in the two dialects the Hugging
// Face libraries use:
//   - kPath (fsspec's glob, which `datasets` resolves data_files patterns with): `*` and `?`
//     stay within one path segment, a `**` segment matches any number of segments (including
//     none), `[...]` is a character class (`[!...]` negated, `a-z` ranges);
//   - kFnmatch (Python's fnmatch, which huggingface_hub's allow_patterns use): the same, except
//     that `*` matches '/' too.
// Both are Python regular expressions underneath, so they match characters, not bytes: `?` and a
// class take one whole UTF-8 character, and `^` opens no negated class (`[^x]` is '^' or 'x').
// Backslash is an ordinary character. POSIX fnmatch(3) differs on exactly these points (it
// negates `[^...]`, and matches bytes in the C locale), which is why it is not used here.
#pragma once

#include <string_view>

namespace finetune {

enum class GlobStyle { kPath, kFnmatch };

bool glob_match(std::string_view pattern, std::string_view path,
                GlobStyle style = GlobStyle::kPath);

// True if the pattern has any of * ? [ (a plain path otherwise).
bool has_glob_chars(std::string_view pattern);

}  // namespace finetune
