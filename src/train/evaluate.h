// Evaluation of a classifier on labelled, tokenized examples: loss, accuracy, macro-F1,
// per-class precision/recall/F1 and the confusion matrix. Used for validation at each epoch's
// end and by `finetune eval`. Runs in eval mode (no dropout) with length-sorted batches.
#pragma once

#include <cstdint>
#include <vector>

#include "core/exec.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "train/metrics.h"

namespace finetune {

struct Evaluation {
  ClassificationReport report;
  std::vector<int32_t> predictions;  // argmax class per example, input order
};

// `params` live on ex.device.
Evaluation evaluate(const Exec& ex, const ModelConfig& config, const ModelParams& params,
                    const std::vector<Encoding>& encodings, const std::vector<int32_t>& labels, int batch_size);

}  // namespace finetune
