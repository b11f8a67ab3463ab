// Evaluation: logits for every example, cross-entropy in double, metrics.
#include "train/evaluate.h"

#include <algorithm>
#include <cmath>

#include "model/inference.h"

namespace finetune {

Evaluation evaluate(const Exec& ex, const ModelConfig& config, const ModelParams& params,
                    const std::vector<Encoding>& encodings, const std::vector<int32_t>& labels, int batch_size) {
  FT_CHECK(encodings.size() == labels.size(), encodings.size(), " examples, ", labels.size(), " labels");
  const int K = config.K();
  std::vector<float> logits = predict_logits(ex, config, params, encodings, InferenceOptions{batch_size, true});
  Evaluation result;
  result.predictions.resize(labels.size());
  double loss_sum = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const float* z = logits.data() + i * K;
    const float* best = std::max_element(z, z + K);
    result.predictions[i] = static_cast<int32_t>(best - z);
    // Cross-entropy as log-sum-exp minus the true logit, in double (a report, not a gradient).
    double total = 0;
    for (int k = 0; k < K; ++k) total += std::exp(static_cast<double>(z[k]) - *best);
    loss_sum += std::log(total) + *best - z[labels[i]];
  }
  result.report = make_report(result.predictions, labels, loss_sum, K);
  return result;
}

}  // namespace finetune
