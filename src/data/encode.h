// Tokenizing many texts at once, in parallel, keeping input order.
//
// Datasets are tokenized once up front (DESIGN.md): the tokenizer is read-only after loading, so
// texts are split across OpenMP threads. An error in any text (e.g. invalid UTF-8) is reported
// for the first such text in input order, whatever thread met it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace finetune {

struct EncodeStats {
  size_t truncated = 0;  // texts cut to max_length
};

// `describe(i)` names text i in error messages (e.g. "input.txt:17"); default "text <i+1>".
std::vector<Encoding> encode_texts(const Tokenizer& tokenizer, const std::vector<std::string>& texts,
                                   size_t max_length, EncodeStats* stats = nullptr,
                                   const std::function<std::string(size_t)>& describe = {});

}  // namespace finetune
