// The --input of `tokenize` and `predict` and what goes with it: the option declarations both
// commands share (so their help reads the same), --truncation, and the checks that --max-length
// leaves room for text beside the special tokens, for single texts and for pairs.
//
// Why the pair check runs per chunk: whether a .jsonl input holds pairs is known only once its
// lines are read, and a pair needs more special tokens than one text (BERT: 3, not 2). The
// check must not be skipped: below the pair template's special tokens encode_pair truncates
// nothing (as HF does), which would let a pair exceed --max-length and the model's positions.
#pragma once

#include <string>
#include <vector>

#include "cli/options.h"
#include "data/text_inputs.h"
#include "tokenizer/tokenizer.h"

namespace finetune::cli {

OptionSpec input_option();       // --input FILE (.txt lines or .jsonl texts and pairs)
OptionSpec truncation_option();  // --truncation STRATEGY (longest_first|only_first|only_second)

// The --truncation strategy; a bad name is a UsageError naming the flag.
TruncationStrategy truncation_strategy(const ParsedOptions& options);

// A UsageError unless max_length (0: no limit) leaves room for at least one token of a single
// text after the tokenizer's special tokens.
void check_room_for_text(size_t max_length, const Tokenizer& tokenizer);

// The same for pairs: a UsageError naming the first pair of `inputs` (a chunk just read from
// `reader`) when max_length leaves no room for text after the pair template's special tokens.
void check_room_for_pairs(size_t max_length, const Tokenizer& tokenizer,
                          const TextInputReader& reader, const std::vector<TextInput>& inputs);

}  // namespace finetune::cli
