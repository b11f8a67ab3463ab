// Loss op: label validation and dispatch for kernels/loss.h.
#include "kernels/loss.h"

#include "ops/checks.h"
#include "ops/ops.h"

namespace finetune::ops {

using namespace detail;
namespace k = finetune::kernels;

void cross_entropy(const Exec& ex, const Tensor& losses, const Tensor& dlogits, const Tensor& logits,
                   const Tensor& labels, float scale) {
  const char* op = "cross_entropy";
  FT_CHECK(logits.ndim == 2, op, ": logits ", logits.shape_str());
  const int64_t B = logits.dim(0), K = logits.dim(1);
  FT_CHECK(labels.dtype == DType::I32 && labels.numel() == B, op, ": labels ", labels.shape_str());
  FT_CHECK(losses.numel() == B, op, ": losses ", losses.shape_str());
  FT_CHECK(dlogits.empty() || dlogits.same_shape(logits), op, ": dlogits ", dlogits.shape_str());
  check_devices(ex, op, losses, dlogits, logits, labels);
  if (labels.device == Device::CPU) {  // labels were mapped by the data layer; a bad one is a bug
    for (int64_t b = 0; b < B; ++b) {
      FT_CHECK(labels.i32()[b] >= 0 && labels.i32()[b] < K, op, ": label ", labels.i32()[b], " of ", K);
    }
  }
  const int b = static_cast<int>(B), kk = static_cast<int>(K);
  switch (ex.device) {
    case Device::CPU:
      k::cpu::cross_entropy_forward_backward(ex, losses.f32(), f32_or_null(dlogits), logits.f32(), labels.i32(), b,
                                             kk, scale);
      return;
    case Device::CUDA:
      k::cuda::cross_entropy_forward_backward(ex, losses.f32(), f32_or_null(dlogits), logits.f32(), labels.i32(), b,
                                              kk, scale);
      return;
  }
}

}  // namespace finetune::ops
