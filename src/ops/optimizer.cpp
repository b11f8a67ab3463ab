// Optimizer ops: checks and dispatch for kernels/optimizer.h.
#include "kernels/optimizer.h"

#include <cmath>

#include "ops/checks.h"
#include "ops/ops.h"

namespace finetune::ops {

using namespace detail;
namespace k = finetune::kernels;

void adam_step(const Exec& ex, const Tensor& params, const Tensor& m, const Tensor& v, const Tensor& grads,
               const kernels::AdamParams& hp) {
  const char* op = "adam_step";
  FT_CHECK(params.ndim == 1 && m.same_shape(params) && v.same_shape(params) && grads.same_shape(params), op,
           ": params ", params.shape_str(), ", m ", m.shape_str(), ", v ", v.shape_str(), ", grads ",
           grads.shape_str());
  check_devices(ex, op, params, m, v, grads);
  switch (ex.device) {
    case Device::CPU: k::cpu::adam_step(ex, params.f32(), m.f32(), v.f32(), grads.f32(), params.numel(), hp); return;
    case Device::CUDA: k::cuda::adam_step(ex, params.f32(), m.f32(), v.f32(), grads.f32(), params.numel(), hp); return;
  }
}

void adam_step_rows(const Exec& ex, const Tensor& params, const Tensor& m, const Tensor& v, const Tensor& grads,
                    uint8_t* row_active, const kernels::AdamParams& hp) {
  const char* op = "adam_step_rows";
  FT_CHECK(params.ndim == 2 && m.same_shape(params) && v.same_shape(params) && grads.same_shape(params), op,
           ": params ", params.shape_str(), ", m ", m.shape_str(), ", v ", v.shape_str(), ", grads ",
           grads.shape_str());
  FT_CHECK(row_active != nullptr || params.numel() == 0, op, ": no row flags");
  // The conditions under which skipping a row is exact (kernels/optimizer.h).
  FT_CHECK(hp.weight_decay == 0.0 && hp.eps > 0.0 && std::isfinite(hp.grad_scale), op, ": weight decay ",
           hp.weight_decay, ", eps ", hp.eps, ", grad scale ", hp.grad_scale, " would change rows without a gradient");
  check_devices(ex, op, params, m, v, grads);
  const long rows = params.shape[0], row_length = params.shape[1];
  switch (ex.device) {
    case Device::CPU:
      k::cpu::adam_step_rows(ex, params.f32(), m.f32(), v.f32(), grads.f32(), row_active, rows, row_length, hp);
      return;
    case Device::CUDA:
      k::cuda::adam_step_rows(ex, params.f32(), m.f32(), v.f32(), grads.f32(), row_active, rows, row_length, hp);
      return;
  }
}

double sum_of_squares(const Exec& ex, const Tensor& x) {
  check_devices(ex, "sum_of_squares", x);
  double total = 0;
  switch (ex.device) {
    case Device::CPU: k::cpu::sum_of_squares(ex, &total, x.f32(), x.numel()); break;
    case Device::CUDA: k::cuda::sum_of_squares(ex, &total, x.f32(), x.numel()); break;
  }
  return total;
}

}  // namespace finetune::ops
