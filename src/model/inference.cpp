// Length-sorted batched inference.
#include "model/inference.h"

#include <algorithm>
#include <numeric>

#include "data/batch.h"
#include "model/forward.h"
#include "ops/ops.h"

namespace finetune {

std::vector<float> predict_logits(const Exec& ex, const Model& model, const std::vector<Encoding>& encodings,
                                  const InferenceOptions& options) {
  const ModelConfig& config = model.config;
  const int K = config.K();
  std::vector<float> logits(encodings.size() * static_cast<size_t>(K));
  if (encodings.empty()) return logits;

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
  Activations acts(config, max_batch, static_cast<int>(longest), Mode::Eval);
  std::vector<const Encoding*> members;

  for (size_t start = 0; start < order.size(); start += max_batch) {
    size_t end = std::min(order.size(), start + max_batch);
    members.clear();
    for (size_t i = start; i < end; ++i) members.push_back(&encodings[order[i]]);
    BatchView batch = builder.build(members);
    ForwardOutputs out = model_forward(ex, config, model.params(), acts, batch);
    const float* batch_logits = out.logits.f32();
    for (size_t i = start; i < end; ++i) {
      std::copy_n(batch_logits + (i - start) * K, K, logits.begin() + order[i] * K);
    }
  }
  return logits;
}

std::vector<float> predict_probabilities(const Exec& ex, const Model& model,
                                         const std::vector<Encoding>& encodings,
                                         const InferenceOptions& options) {
  std::vector<float> probs = predict_logits(ex, model, encodings, options);
  if (probs.empty()) return probs;
  const int64_t N = static_cast<int64_t>(encodings.size()), K = model.config.K();
  Tensor t(probs.data(), DType::F32, {N, K});
  ops::softmax(ex, t, t);
  return probs;
}

}  // namespace finetune
