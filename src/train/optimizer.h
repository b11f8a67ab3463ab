// Adam and AdamW over the flat parameter buffer (DESIGN.md principle 3: the optimizer is one
// pass). The first and second moments are flat buffers with the parameters' layout; weight decay
// applies to the leading span of decayed parameters only (ParameterStore puts biases and
// LayerNorm weights after them), so a step is two kernel calls, whatever the model's size (four
// when the word-embedding table is updated row by row: the rows that never had a gradient are
// skipped, exactly; see OptimizerConfig::skip_untouched_rows).
//
// Semantics: torch.optim.AdamW / torch.optim.Adam (kernels/optimizer.h has the formulas); the
// bias corrections use the 1-based step count, as PyTorch's `state["step"]`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/buffer.h"
#include "core/exec.h"
#include "model/params.h"
#include "ops/memory.h"

namespace finetune {

struct OptimizerConfig {
  bool decoupled_weight_decay = true;  // adamw (true) or adam (false, L2 added to the gradient)
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  // Update only the word-embedding rows that have had a gradient (kernels::adam_step_rows): exact,
  // and it spares the ~58% of DistilBERT's vocabulary that the emotion tweets never use. Applies
  // when weight_decay is 0 and eps > 0 (otherwise every row changes every step). `finetune train`
  // turns it off on a GPU unless --experimental-gpu-speedups is given, until its CUDA kernel has
  // run on a GPU.
  bool skip_untouched_rows = true;
};

// "adamw" or "adam"; anything else is an Error naming the flag.
bool parse_optimizer_is_adamw(const std::string& name);

// Adam's state copied to the host, for checkpoints.
struct OptimizerSnapshot {
  std::vector<float> exp_avg;     // first moment, flat, parameter layout
  std::vector<float> exp_avg_sq;  // second moment
  int64_t steps = 0;
};

class Optimizer {
 public:
  // Moments on ex.device, zero-initialised, laid out like `layout`.
  Optimizer(const Exec& ex, const OptimizerConfig& config, const ParameterStore& layout);

  // One update of every parameter with learning rate `lr`; gradients are multiplied by
  // `grad_scale` first (gradient clipping). On a GPU, `non_finite_flag` (a zeroed device
  // counter, or null) receives the first non-finite gradient, and `bf16_params` (or null) the
  // updated parameters rounded to bf16 (kernels::AdamParams).
  void step(const Exec& ex, ParameterStore& params, ParameterStore& grads, double lr,
            double grad_scale, unsigned long long* non_finite_flag = nullptr,
            void* bf16_params = nullptr);

  // Whether the word-embedding rows are updated row by row, skipping those without a gradient.
  bool skips_untouched_rows() const { return rows_ > 0; }

  int64_t steps_taken() const { return steps_; }
  Tensor first_moment() { return Tensor(m_.data(), DType::F32, {count_}, m_.device()); }
  Tensor second_moment() { return Tensor(v_.data(), DType::F32, {count_}, v_.device()); }

  // Copies the state to the host (waits for the device) / from the host.
  OptimizerSnapshot snapshot(const Exec& ex);
  void restore(const Exec& ex, const OptimizerSnapshot& snapshot);

 private:
  OptimizerConfig config_;
  int64_t count_;
  int64_t decayed_count_;
  ops::Buffer m_;
  ops::Buffer v_;
  int64_t steps_ = 0;
  // The word-embedding table within the flat buffer, when skip_untouched_rows applies: values
  // [rows_begin_, rows_begin_ + rows_ * row_length_), and one byte per row that is 1 once the row
  // has had a gradient (its moments may then be non-zero; kernels::adam_step_rows).
  int64_t rows_begin_ = 0;
  int64_t rows_ = 0;
  int64_t row_length_ = 0;
  ops::Buffer row_active_;
  // Marks row_active_ from the moments (after restore): a row is active when any m or v is not 0.
  void mark_active_rows(const Exec& ex, const OptimizerSnapshot& snapshot);
};

}  // namespace finetune
