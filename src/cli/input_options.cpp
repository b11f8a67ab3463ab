// --input, --truncation and the --max-length room checks of `tokenize` and `predict`.
#include "cli/input_options.h"

#include <algorithm>

#include "core/error.h"

namespace finetune::cli {

OptionSpec input_option() {
  return {"--input", "FILE",
          "UTF-8 text, one example per line; or .jsonl: {\"text\": A[, \"text_pair\": B]} per line",
          "", true};
}

OptionSpec truncation_option() {
  // The values are in the help, not the value name, which would widen every line of --help.
  return {"--truncation", "STRATEGY",
          "how a text pair over --max-length is cut: longest_first, only_first or only_second",
          "longest_first"};
}

TruncationStrategy truncation_strategy(const ParsedOptions& options) {
  try {
    return parse_truncation_strategy(options.get_string("--truncation"));
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw UsageError(cat("--truncation: ", e.what()));
  }
}

void check_room_for_text(size_t max_length, const Tokenizer& tokenizer) {
  if (max_length > 0 && max_length < tokenizer.num_special_tokens() + 1) {
    throw UsageError(cat("--max-length ", max_length, " leaves no room for text after the ",
                         tokenizer.num_special_tokens(), " special tokens"));
  }
}

void check_room_for_pairs(size_t max_length, const Tokenizer& tokenizer,
                          const TextInputReader& reader, const std::vector<TextInput>& inputs) {
  const size_t special = tokenizer.num_special_tokens_pair();
  if (max_length == 0 || max_length > special) return;
  auto pair = std::find_if(inputs.begin(), inputs.end(),
                           [](const TextInput& input) { return input.text_pair.has_value(); });
  if (pair == inputs.end()) return;
  const size_t line = reader.first_line() + static_cast<size_t>(pair - inputs.begin());
  throw UsageError(cat("--max-length ", max_length, " leaves no room for text after the ", special,
                       " special tokens of a text pair (", reader.path().string(), ":", line,
                       " is a pair)"));
}

}  // namespace finetune::cli
