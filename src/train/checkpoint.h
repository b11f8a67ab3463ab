// The training output directory: a Hugging Face model directory (config.json with architectures,
// id2label and label2id; model.safetensors; the tokenizer files) that transformers'
// AutoModelForSequenceClassification loads, plus the state that lets `--resume` continue exactly
// where a run stopped:
//   trainer_state.json          position (epoch, step, micro-step), running epoch metrics, the
//                               run's options, a fingerprint of the training data
//   training_state.safetensors  Adam's moments ("exp_avg", "exp_avg_sq", flat, in the parameter
//                               layout) and the current epoch's data order ("data_order")
// The whole directory is replaced atomically (io/staged_directory.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "io/json.h"
#include "model/config.h"
#include "model/params.h"
#include "train/optimizer.h"

namespace finetune {

struct TrainerState {
  int64_t global_step = 0;    // optimizer steps done
  int64_t micro_step = 0;     // micro-batches done (selects dropout streams)
  int epoch = 0;              // 0-based epoch in progress (== epochs when complete)
  int64_t step_in_epoch = 0;  // optimizer steps done in that epoch
  double epoch_loss_sum = 0;  // running sums for the progress line of a resumed epoch
  int64_t epoch_correct = 0;
  int64_t epoch_examples = 0;
  bool complete = false;
  int64_t examples = 0;           // training examples
  uint64_t data_fingerprint = 0;  // of the tokenized training data and labels
  Json options = Json::object();  // the run's resolved options
  std::vector<int32_t> data_order;  // the epoch in progress's example order
};

// True if `directory` holds a finetune training output (trainer_state.json).
bool is_training_output(const std::filesystem::path& directory);

// Fails early (before any training) if `output` cannot be used: it exists and is neither empty
// nor a previous finetune output (which would lose the user's files), or its parent is not
// writable.
void check_output_directory(const std::filesystem::path& output);

// Writes the model (host parameters) and, when `state` is given, the resumable state with the
// optimizer's moments, to `output` atomically.
void write_training_output(const std::filesystem::path& output, const ModelConfig& config, ModelParams& params,
                           const std::vector<std::filesystem::path>& tokenizer_files, const TrainerState* state,
                           const OptimizerSnapshot* optimizer);

// Reads trainer_state.json and training_state.safetensors of a previous run: the position and
// Adam's moments (for `parameter_count` values). Errors name the file and what is wrong.
struct ResumeState {
  TrainerState trainer;
  OptimizerSnapshot optimizer;
};
ResumeState read_training_state(const std::filesystem::path& directory, int64_t parameter_count);

}  // namespace finetune
