// Length-sorted batched inference.
#include "model/inference.h"

#include <algorithm>
#include <numeric>

#include "data/batch.h"
#include "model/forward.h"
#include "ops/memory.h"
#include "ops/ops.h"

namespace finetune {

void check_token_ids(const ModelConfig& config, const std::vector<Encoding>& encodings) {
  for (const Encoding& e : encodings) {
    for (size_t i = 0; i < e.ids.size(); ++i) {
      if (e.ids[i] < 0 || e.ids[i] >= config.V) {
        throw Error(cat("token id ", e.ids[i], " is outside the model's vocabulary of ", config.V,
                        " (vocab_size): the tokenizer does not belong to this model"));
      }
      // A family without token types (DistilBERT, TV == 0) never reads type ids, as
      // transformers' DistilBERT forward takes none: a text pair's segment-1 ids are fine there.
      if (config.TV == 0) continue;
      if (e.type_ids[i] < 0 || e.type_ids[i] >= config.TV) {
        throw Error(cat("token type id ", e.type_ids[i], " is outside the model's ", config.TV, " token types"));
      }
    }
  }
}

std::vector<float> predict_logits(const Exec& ex, const ModelConfig& config, const ModelParams& params,
                                  const std::vector<Encoding>& encodings, const InferenceOptions& options) {
  const int K = config.K();
  std::vector<float> logits(encodings.size() * static_cast<size_t>(K));
  if (encodings.empty()) return logits;
  check_token_ids(config, encodings);

  std::vector<size_t> order(encodings.size());
  std::iota(order.begin(), order.end(), size_t{0});
  if (options.sort_by_length) {
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return encodings[a].ids.size() < encodings[b].ids.size();
    });
  }
  size_t longest = 0;
  for (const Encoding& e : encodings) longest = std::max(longest, e.ids.size());
  FT_CHECK(longest > 0, "an encoding without tokens");

  const int max_batch = std::max(1, std::min<int>(options.batch_size, static_cast<int>(encodings.size())));
  BatchBuilder builder(max_batch, static_cast<int>(longest), config.pad_token_id);
  Activations acts(ex, config, max_batch, static_cast<int>(longest), Mode::Eval);
  ops::StagingBuffer batch_logits(ex, static_cast<size_t>(max_batch) * K * sizeof(float));
  std::vector<const Encoding*> members;

  for (size_t start = 0; start < order.size(); start += max_batch) {
    size_t end = std::min(order.size(), start + max_batch);
    members.clear();
    for (size_t i = start; i < end; ++i) members.push_back(&encodings[order[i]]);
    BatchView batch = builder.build(members);
    ForwardOutputs out = model_forward(ex, config, params, acts, batch);
    ops::copy(ex, Tensor(batch_logits.as<float>(), DType::F32, {batch.B, K}), out.logits);
    ops::synchronize(ex);
    for (size_t i = start; i < end; ++i) {
      std::copy_n(batch_logits.as<float>() + (i - start) * K, K, logits.begin() + order[i] * K);
    }
  }
  return logits;
}

std::vector<float> predict_probabilities(const Exec& ex, const ModelConfig& config, const ModelParams& params,
                                         const std::vector<Encoding>& encodings, const InferenceOptions& options) {
  std::vector<float> probs = predict_logits(ex, config, params, encodings, options);
  if (probs.empty()) return probs;
  const int64_t N = static_cast<int64_t>(encodings.size()), K = config.K();
  Tensor t(probs.data(), DType::F32, {N, K});
  ops::softmax(Exec::cpu(), t, t);  // the logits are on the host by now
  return probs;
}

}  // namespace finetune
