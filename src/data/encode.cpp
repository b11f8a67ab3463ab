// Parallel tokenization with ordered error reporting.
#include "data/encode.h"

#include <limits>

#include "core/error.h"

namespace finetune {

std::vector<Encoding> encode_texts(const Tokenizer& tokenizer, const std::vector<std::string>& texts,
                                   size_t max_length, EncodeStats* stats,
                                   const std::function<std::string(size_t)>& describe) {
  std::vector<Encoding> encodings(texts.size());
  // Exceptions must not escape an OpenMP region: remember the first failing index instead.
  size_t first_failure = std::numeric_limits<size_t>::max();
  std::string failure_message;
  size_t truncated = 0;
  const long n = static_cast<long>(texts.size());
#pragma omp parallel for schedule(dynamic, 256) reduction(+ : truncated)
  for (long i = 0; i < n; ++i) {
    try {
      encodings[i] = tokenizer.encode(texts[i], max_length);
      if (max_length > 0 && encodings[i].ids.size() == max_length &&
          tokenizer.encode(texts[i], 0).ids.size() > max_length) {
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

}  // namespace finetune
