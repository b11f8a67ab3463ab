// Optimizer: bias corrections per step, and the spans of the flat buffer each step updates (the
// decayed and undecayed parts, or, without weight decay, the word-embedding rows apart).
#include "train/optimizer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/device.h"
#include "ops/ops.h"

namespace finetune {

bool parse_optimizer_is_adamw(const std::string& name) {
  if (name == "adamw") return true;
  if (name == "adam") return false;
  throw Error(cat("--optimizer: expected adamw or adam, got '", name, "'"));
}

Optimizer::Optimizer(const Exec& ex, const OptimizerConfig& config, const ParameterStore& layout)
    : config_(config),
      count_(layout.count()),
      decayed_count_(layout.decayed_count()),
      m_(ex, static_cast<size_t>(count_) * sizeof(float)),
      v_(ex, static_cast<size_t>(count_) * sizeof(float)) {
  const Tensor& word = layout.params().embeddings.word;
  const bool exact = config_.weight_decay == 0.0 && config_.eps > 0.0;
  if (config_.skip_untouched_rows && exact && word.ndim == 2 && word.numel() > 0) {
    rows_begin_ = static_cast<const float*>(word.data) - layout.data();
    FT_CHECK(rows_begin_ >= 0 && rows_begin_ + word.numel() <= count_,
             "the word embeddings lie outside the parameter buffer");
    rows_ = word.shape[0];
    row_length_ = word.shape[1];
    row_active_ = ops::Buffer(ex, static_cast<size_t>(rows_));  // zeroed: no row has moments yet
  }
}

OptimizerSnapshot Optimizer::snapshot(const Exec& ex) {
  OptimizerSnapshot s;
  s.exp_avg.resize(static_cast<size_t>(count_));
  s.exp_avg_sq.resize(static_cast<size_t>(count_));
  s.steps = steps_;
  ops::copy(ex, Tensor(s.exp_avg.data(), DType::F32, {count_}), first_moment());
  ops::copy(ex, Tensor(s.exp_avg_sq.data(), DType::F32, {count_}), second_moment());
  ops::synchronize(ex);
  return s;
}

void Optimizer::restore(const Exec& ex, const OptimizerSnapshot& s) {
  FT_CHECK(static_cast<int64_t>(s.exp_avg.size()) == count_ &&
               static_cast<int64_t>(s.exp_avg_sq.size()) == count_,
           "optimizer snapshot of ", s.exp_avg.size(), " values for ", count_, " parameters");
  ops::copy(ex, first_moment(), Tensor(const_cast<float*>(s.exp_avg.data()), DType::F32, {count_}));
  ops::copy(ex, second_moment(),
            Tensor(const_cast<float*>(s.exp_avg_sq.data()), DType::F32, {count_}));
  ops::synchronize(ex);
  steps_ = s.steps;
  if (rows_ > 0) mark_active_rows(ex, s);
}

void Optimizer::mark_active_rows(const Exec& ex, const OptimizerSnapshot& s) {
  std::vector<uint8_t> active(static_cast<size_t>(rows_), 0);
  for (int64_t r = 0; r < rows_; ++r) {
    const size_t begin = static_cast<size_t>(rows_begin_ + r * row_length_);
    for (size_t j = begin; j < begin + static_cast<size_t>(row_length_); ++j) {
      if (s.exp_avg[j] != 0.0f || s.exp_avg_sq[j] != 0.0f) {
        active[static_cast<size_t>(r)] = 1;
        break;
      }
    }
  }
  if (ex.device == Device::CPU) {
    std::copy(active.begin(), active.end(), row_active_.as<uint8_t>());
  } else {  // (Tensor has no byte dtype, hence the raw copy)
    kernels::cuda::copy_to_device(ex, row_active_.data(), active.data(), active.size());
    ops::synchronize(ex);  // `active` is about to go away
  }
}

void Optimizer::step(const Exec& ex, ParameterStore& params, ParameterStore& grads, double lr,
                     double grad_scale, unsigned long long* non_finite_flag, void* bf16_params) {
  FT_CHECK(params.count() == count_ && grads.count() == count_, "optimizer state for ", count_,
           " values, got ", params.count(), " parameters and ", grads.count(), " gradients");
  ++steps_;
  kernels::AdamParams hp;
  // PyTorch derives the per-step scalars in Python floats (double); the kernel rounds them where
  // torch does, so they stay double here.
  hp.lr = lr;
  hp.beta1 = config_.beta1;
  hp.beta2 = config_.beta2;
  hp.eps = config_.eps;
  hp.decoupled = config_.decoupled_weight_decay;
  hp.bias_correction1 = 1.0 - std::pow(config_.beta1, static_cast<double>(steps_));
  hp.bias_correction2 = 1.0 - std::pow(config_.beta2, static_cast<double>(steps_));
  hp.grad_scale = static_cast<float>(grad_scale);
  hp.non_finite_flag = non_finite_flag;

  const Device d = m_.device();
  auto view = [d](void* base, int64_t begin, std::initializer_list<int64_t> dims) {
    return Tensor(static_cast<float*>(base) + begin, DType::F32, dims, d);
  };
  // Each call's bf16 output starts at the same offset as its span (2 bytes per value).
  auto bf16_at = [bf16_params](int64_t begin) -> void* {
    return bf16_params == nullptr ? nullptr : static_cast<uint16_t*>(bf16_params) + begin;
  };
  auto dense = [&](int64_t begin, int64_t end, double weight_decay) {
    if (end <= begin) return;
    hp.weight_decay = weight_decay;
    hp.non_finite_offset = begin;
    hp.bf16_params = bf16_at(begin);
    const std::initializer_list<int64_t> dims{end - begin};
    ops::adam_step(ex, view(params.data(), begin, dims), view(m_.data(), begin, dims),
                   view(v_.data(), begin, dims), view(grads.data(), begin, dims), hp);
  };
  if (rows_ == 0) {
    dense(0, decayed_count_, config_.weight_decay);
    dense(decayed_count_, count_, 0.0);
    return;
  }
  // No weight decay anywhere (rows_ > 0 only then): the word-embedding table row by row, and the
  // values before and after it in one call each.
  const int64_t rows_end = rows_begin_ + rows_ * row_length_;
  dense(0, rows_begin_, 0.0);
  hp.weight_decay = 0.0;
  hp.non_finite_offset = rows_begin_;
  hp.bf16_params = bf16_at(rows_begin_);
  const std::initializer_list<int64_t> dims{rows_, row_length_};
  ops::adam_step_rows(ex, view(params.data(), rows_begin_, dims), view(m_.data(), rows_begin_, dims),
                      view(v_.data(), rows_begin_, dims), view(grads.data(), rows_begin_, dims),
                      row_active_.as<uint8_t>(), hp);
  dense(rows_end, count_, 0.0);
}

}  // namespace finetune
