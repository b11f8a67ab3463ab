// Loading and saving model weights by their Hugging Face keys.
//
// Loading matches every parameter the config implies (for_each_parameter) against the tensors of
// the checkpoint: first under its ForSequenceClassification key, then, for encoder weights,
// without the family prefix (base-model checkpoints: BertModel, DistilBertModel, RobertaModel,
// sentence-transformers), and with the legacy LayerNorm names gamma/beta that transformers
// still renames on load. F32, F16 and BF16 tensors are widened to the fp32 master copy.
//   - encoder tensors that are missing, or have the wrong shape or dtype: Error, by name;
//   - a missing classification head (the family's dense layer and output projection, e.g.
//     bert.pooler.dense + classifier, classifier.dense + classifier.out_proj): created fresh the way
//     transformers' _init_weights does (weights ~ normal(0, initializer_range), biases 0), with
//     a notice;
//   - tensors the model does not use (an MLM head, ...): listed by name in a notice.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/params.h"

namespace finetune {

struct LoadReport {
  std::vector<std::string> fresh;    // parameters initialised fresh (absent from the checkpoint)
  std::vector<std::string> ignored;  // checkpoint tensors the model does not use
};

// Loads weights from one or more checkpoint files (safetensors, or PyTorch pytorch_model.bin read
// by the restricted unpickler of io/torch_checkpoint.h; several files are shards of one
// checkpoint). `seed` drives the
// initialisation of a fresh head. Writes notices through the log.
LoadReport load_weights(const std::vector<std::filesystem::path>& files, const ModelConfig& config,
                        ModelParams& params, uint64_t seed);

// Initialises a parameter as transformers does for a new nn.Linear in these models:
// weight ~ normal(0, initializer_range), bias = 0. `key` selects an independent random stream.
void init_fresh_parameter(const std::string& key, Tensor& param, double initializer_range,
                          uint64_t seed);

// Writes all parameters as F32 under their ForSequenceClassification keys (atomic).
void save_weights(const std::filesystem::path& file, const ModelConfig& config, ModelParams& params);

}  // namespace finetune
