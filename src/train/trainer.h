// The trainer: epochs of shuffled, dynamically padded batches; forward, loss, backward and an
// optimizer step per (accumulated) batch; a progress line and the JSON-lines log; validation at
// each epoch's end; the output directory rewritten after every epoch; Ctrl-C handled by saving a
// resumable state after the current step.
//
// Semantics (what tests compare against PyTorch, tools/make_training_reference.py):
//   - an epoch visits every example once, in file order with --no-shuffle, else in a seeded
//     permutation per epoch; batches are consecutive runs of that order, the last one partial;
//   - an optimizer step covers `gradient_accumulation_steps` consecutive batches (fewer at the end
//     of an epoch); its gradient is that of the mean loss over all their examples;
//   - gradients are clipped to a global norm (clip_grad_norm_) when max_grad_norm > 0;
//   - step k (0-based) uses the schedule's lr(k); the log line of a step reports its mean loss and
//     accuracy before the update and the lr it used.
//
// On a GPU the parameters, gradients, optimizer state and activations live on the device; the
// host queues each step's work and reads a step's loss and logits back one step later (copied
// asynchronously into pinned memory), so it never waits for the GPU inside a step. Clipping is
// the exception: the global norm is read back before the update (one wait per step).
//
// GPU steps are also made cheap to launch: batches are padded to a bucket length (the longest
// sequence rounded up to a multiple of 8; padding is masked, so results do not change beyond
// fp32 rounding), and the forward, loss and backward of a full batch of each bucket are captured
// once into a CUDA graph and replayed (about 300 kernel launches become one). The batch and the
// dropout step counter are copied to fixed device buffers before each replay.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/exec.h"
#include "model/forward.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "train/checkpoint.h"
#include "train/distributed.h"
#include "train/optimizer.h"
#include "train/metrics.h"
#include "train/schedule.h"

namespace finetune {

struct LabelledData {
  std::vector<Encoding> encodings;
  std::vector<int32_t> labels;
};

struct TrainOptions {
  int epochs = 5;
  int batch_size = 8;
  int gradient_accumulation_steps = 1;
  LearningRateSchedule schedule;  // total_steps is filled in by the trainer
  OptimizerConfig optimizer;
  DropoutRates dropout;
  bool shuffle = true;
  uint64_t seed = 42;
  double max_grad_norm = 0;      // 0: no clipping
  int64_t stop_after_steps = 0;  // > 0: stop as if interrupted once this many steps are done
  std::filesystem::path output;                        // empty: write nothing
  std::vector<std::filesystem::path> tokenizer_files;  // copied into the output
  std::filesystem::path log;                           // empty: no JSON-lines log
  Json resolved_options = Json::object();              // recorded in trainer_state.json
  bool cuda_graphs = true;  // GPU: replay each sequence-length bucket's step from a CUDA graph
  // GPU, bf16: keep a bf16 copy of the weights, written by the optimizer, for the matrix products
  // (kernels::cuda::set_bf16_weights) instead of converting every weight twice per step.
  bool bf16_weight_copy = false;
  // GPU: copy each micro-batch into pinned memory and upload it from there, so that the upload
  // never waits for the stream (a copy from pageable memory may).
  bool pinned_uploads = false;
  Communicator* communicator = nullptr;  // the processes of a data-parallel run; null: this one only
  bool interactive = false;                            // redraw the progress line in place
  bool quiet = false;                                  // no progress output at all (tests)
};

struct EpochSummary {
  int epoch = 0;  // 1-based
  double loss = 0, accuracy = 0;
  bool validated = false;
  double val_loss = 0, val_accuracy = 0, val_macro_f1 = 0;
  double seconds = 0;
};

struct TrainResult {
  bool interrupted = false;
  int64_t steps = 0;  // optimizer steps done in total
  std::vector<EpochSummary> epochs;
  double seconds = 0;
};

class Trainer {
 public:
  // Trains `model` (its host parameters are updated whenever the trainer saves or finishes).
  Trainer(const Exec& ex, Model& model, TrainOptions options);
  ~Trainer();

  // Continues from a previous run's state (read_training_state).
  void resume_from(ResumeState state);

  // Trains on `train`, validating on `validation` (may be null) after each epoch.
  TrainResult run(const LabelledData& train, const LabelledData* validation);

  // A fingerprint of tokenized data and labels, recorded so a resume can check it has the same.
  static uint64_t fingerprint(const LabelledData& data);

 private:
  struct StepRecord;  // one step's metrics on their way back from the device
  struct GraphCache;  // captured CUDA graphs by bucket length
  ParameterStore& params() { return device_params_ ? *device_params_ : model_.store; }
  void sync_parameters_to_host();
  void save(const TrainerState& state);
  // Validation split across the processes, counts summed.
  ClassificationReport validate(const LabelledData& data, int batch_size);

  Exec ex_;
  Model& model_;
  TrainOptions options_;
  std::optional<ParameterStore> device_params_;  // the working copy on a GPU
  ParameterStore grads_;
  Optimizer optimizer_;
  std::optional<TrainerState> resume_;
  std::unique_ptr<GraphCache> graphs_;
  ops::Buffer bf16_weights_;  // the bf16 copy of the device parameters (bf16_weight_copy)
};

}  // namespace finetune
