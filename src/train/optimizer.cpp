// Optimizer: bias corrections per step and the two spans of the flat buffer.
#include "train/optimizer.h"

#include <cmath>

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
      v_(ex, static_cast<size_t>(count_) * sizeof(float)) {}

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
}

void Optimizer::step(const Exec& ex, ParameterStore& params, ParameterStore& grads, double lr,
                     double grad_scale, unsigned long long* non_finite_flag) {
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

  auto span = [](void* base, Device device, int64_t begin, int64_t end) {
    return Tensor(static_cast<float*>(base) + begin, DType::F32, {end - begin}, device);
  };
  const int64_t split = decayed_count_;
  for (int part = 0; part < 2; ++part) {
    int64_t begin = part == 0 ? 0 : split, end = part == 0 ? split : count_;
    if (end == begin) continue;
    hp.weight_decay = part == 0 ? config_.weight_decay : 0.0;
    hp.non_finite_flag = non_finite_flag;
    hp.non_finite_offset = begin;
    const Device d = m_.device();
    ops::adam_step(ex, span(params.data(), d, begin, end), span(m_.data(), d, begin, end),
                   span(v_.data(), d, begin, end), span(grads.data(), d, begin, end), hp);
  }
}

}  // namespace finetune
