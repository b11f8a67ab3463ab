// Batched inference over many encoded texts: the engine behind `finetune predict`, validation and
// `finetune eval`.
//
// Texts are ordered by length and cut into batches of `batch_size`, each padded only to its own
// longest member, so that a file mixing short and long texts wastes little work on padding;
// results come back in input order. Every row is computed independently of the others in its
// batch (attention is masked per sequence), so the ordering does not change what a text gets.
//
// Dimension legend: N texts, K labels.
#pragma once

#include <vector>

#include "core/exec.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace finetune {

struct InferenceOptions {
  int batch_size = 32;
  // Order texts by length before batching (less padding). Off: consecutive texts in input order,
  // as a plain transformers loop batches them (the benchmark measures both).
  bool sort_by_length = true;
};

// Classifier logits for every encoding: [N, K] row-major, in input order. `params` live on
// ex.device (model.params() on the CPU; a copy made by copy_parameters on the GPU).
std::vector<float> predict_logits(const Exec& ex, const ModelConfig& config, const ModelParams& params,
                                  const std::vector<Encoding>& encodings, const InferenceOptions& options);

// Class probabilities (softmax of the logits): [N, K] row-major.
std::vector<float> predict_probabilities(const Exec& ex, const ModelConfig& config, const ModelParams& params,
                                         const std::vector<Encoding>& encodings, const InferenceOptions& options);

// Checks every token id against the model's tables before anything runs (on the GPU the
// embedding kernel cannot report a bad id).
void check_token_ids(const ModelConfig& config, const std::vector<Encoding>& encodings);

}  // namespace finetune
