// Tokenizing many texts (or text pairs) at once, in parallel, keeping input order.
//
// Datasets are tokenized once up front (DESIGN.md): the tokenizer is read-only after loading, so
// texts are split across OpenMP threads. An error in any text (e.g. invalid UTF-8, or a pair too
// short for only_first / only_second) is reported for the first such text in input order,
// whatever thread met it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "data/text_inputs.h"
#include "tokenizer/tokenizer.h"

namespace finetune {

struct EncodeStats {
  size_t truncated = 0;  // texts cut to max_length
};

// `describe(i)` names text i in error messages (e.g. "input.txt:17"); default "text <i+1>".
std::vector<Encoding> encode_texts(const Tokenizer& tokenizer,
                                   const std::vector<std::string>& texts, size_t max_length,
                                   EncodeStats* stats = nullptr,
                                   const std::function<std::string(size_t)>& describe = {});

// As encode_texts, for inputs that may be pairs: a single text is encoded with encode(), a pair
// with encode_pair() and `strategy` (which only matters for pairs: one text is cut at its end).
std::vector<Encoding> encode_inputs(const Tokenizer& tokenizer,
                                    const std::vector<TextInput>& inputs, size_t max_length,
                                    TruncationStrategy strategy, EncodeStats* stats = nullptr,
                                    const std::function<std::string(size_t)>& describe = {});

}  // namespace finetune
