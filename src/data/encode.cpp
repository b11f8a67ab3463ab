// Parallel tokenization with ordered error reporting.
#include "data/encode.h"

#include <algorithm>
#include <limits>

#include "core/error.h"

namespace finetune {
namespace {

// Runs `encode(i, max_length)` (input i, cut to max_length tokens; 0: not cut) for i in
// [0, count) across threads and returns the results in order. An input counts as truncated when
// it came out at exactly max_length tokens and is longer uncut; only then is it encoded twice.
//
// A tokenizer that does not return token_type_ids (transformers' model_input_names: RoBERTa,
// XLM-R, CamemBERT, DistilBERT) leaves the model to its default of type 0 for every token, even
// where its post-processor assigns the second text of a pair type 1: the encodings carry zeros
// then, so the model sees what it sees under transformers.
template <typename Encode>
std::vector<Encoding> encode_all(const Tokenizer& tokenizer, size_t count, size_t max_length,
                                 EncodeStats* stats,
                                 const std::function<std::string(size_t)>& describe,
                                 const Encode& encode) {
  const bool type_ids = tokenizer.returns_token_type_ids();
  std::vector<Encoding> encodings(count);
  // Exceptions must not escape an OpenMP region: remember the first failing index instead.
  size_t first_failure = std::numeric_limits<size_t>::max();
  std::string failure_message;
  size_t truncated = 0;
  const long n = static_cast<long>(count);
#pragma omp parallel for schedule(dynamic, 256) reduction(+ : truncated)
  for (long i = 0; i < n; ++i) {
    try {
      encodings[i] = encode(static_cast<size_t>(i), max_length);
      if (!type_ids) std::fill(encodings[i].type_ids.begin(), encodings[i].type_ids.end(), 0);
      if (max_length > 0 && encodings[i].ids.size() == max_length &&
          encode(static_cast<size_t>(i), 0).ids.size() > max_length) {
        ++truncated;
      }
    } catch (const std::exception& e) {
#pragma omp critical(finetune_encode_failure)
      {
        if (static_cast<size_t>(i) < first_failure) {
          first_failure = static_cast<size_t>(i);
          failure_message = e.what();
        }
      }
    }
  }
  if (first_failure != std::numeric_limits<size_t>::max()) {
    std::string where = describe ? describe(first_failure) : cat("text ", first_failure + 1);
    throw Error(cat(where, ": ", failure_message));
  }
  if (stats) stats->truncated = truncated;
  return encodings;
}

}  // namespace

std::vector<Encoding> encode_texts(const Tokenizer& tokenizer,
                                   const std::vector<std::string>& texts, size_t max_length,
                                   EncodeStats* stats,
                                   const std::function<std::string(size_t)>& describe) {
  return encode_all(tokenizer, texts.size(), max_length, stats, describe,
                    [&](size_t i, size_t length) { return tokenizer.encode(texts[i], length); });
}

std::vector<Encoding> encode_inputs(const Tokenizer& tokenizer,
                                    const std::vector<TextInput>& inputs, size_t max_length,
                                    TruncationStrategy strategy, EncodeStats* stats,
                                    const std::function<std::string(size_t)>& describe) {
  return encode_all(tokenizer, inputs.size(), max_length, stats, describe,
                    [&](size_t i, size_t length) {
                      const TextInput& input = inputs[i];
                      if (!input.text_pair) return tokenizer.encode(input.text, length);
                      return tokenizer.encode_pair(input.text, *input.text_pair, length, strategy);
                    });
}

}  // namespace finetune
