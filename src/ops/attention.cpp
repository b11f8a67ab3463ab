// Attention ops: checks and dispatch for kernels/attention.h.
#include "kernels/attention.h"

#include "ops/checks.h"
#include "ops/ops.h"

namespace finetune::ops {

using namespace detail;
namespace k = finetune::kernels;

namespace {

struct AttentionShape {
  int B, T, C;
};

AttentionShape check_attention(const Exec& ex, const char* op, const Tensor& out, const Tensor& probs,
                               const Tensor& qkv, const Tensor& mask, int NH) {
  FT_CHECK(qkv.ndim == 3 && qkv.dim(2) % 3 == 0, op, ": qkv ", qkv.shape_str());
  const int64_t B = qkv.dim(0), T = qkv.dim(1), C = qkv.dim(2) / 3;
  FT_CHECK(NH > 0 && C % NH == 0, op, ": ", C, " features do not split into ", NH, " heads");
  FT_CHECK(out.ndim == 3 && out.dim(0) == B && out.dim(1) == T && out.dim(2) == C, op, ": out ", out.shape_str());
  FT_CHECK(probs.numel() == B * NH * T * T, op, ": probs ", probs.shape_str());
  FT_CHECK(mask.dtype == DType::I32 && mask.numel() == B * T, op, ": mask ", mask.shape_str());
  check_devices(ex, op, out, probs, qkv, mask);
  return {static_cast<int>(B), static_cast<int>(T), static_cast<int>(C)};
}

}  // namespace

void attention(const Exec& ex, const Tensor& out, const Tensor& probs, const Tensor& qkv, const Tensor& mask,
               int NH, DropoutSpec dropout) {
  auto [B, T, C] = check_attention(ex, "attention", out, probs, qkv, mask, NH);
  FT_CHECK(dropout.step == nullptr || ex.device == Device::CUDA, "attention: a device step counter needs the GPU");
  switch (ex.device) {
    case Device::CPU:
      k::cpu::attention_forward(ex, out.f32(), probs.f32(), qkv.f32(), mask.i32(), B, T, C, NH, dropout);
      return;
    case Device::CUDA:
      k::cuda::attention_forward(ex, out.f32(), probs.f32(), qkv.f32(), mask.i32(), B, T, C, NH, dropout);
      return;
  }
}

void attention_backward(const Exec& ex, const Tensor& dqkv, const Tensor& dprobs, const Tensor& dout,
                        const Tensor& qkv, const Tensor& probs, const Tensor& mask, int NH, DropoutSpec dropout) {
  const char* op = "attention_backward";
  auto [B, T, C] = check_attention(ex, op, dout, probs, qkv, mask, NH);
  FT_CHECK(dropout.step == nullptr || ex.device == Device::CUDA, op, ": a device step counter needs the GPU");
  FT_CHECK(dqkv.same_shape(qkv), op, ": dqkv ", dqkv.shape_str(), " vs qkv ", qkv.shape_str());
  FT_CHECK(dprobs.numel() == probs.numel(), op, ": dprobs ", dprobs.shape_str());
  check_devices(ex, op, dqkv, dprobs);
  switch (ex.device) {
    case Device::CPU:
      k::cpu::attention_backward(ex, dqkv.f32(), dprobs.f32(), dout.f32(), qkv.f32(), probs.f32(), mask.i32(), B,
                                 T, C, NH, dropout);
      return;
    case Device::CUDA:
      k::cuda::attention_backward(ex, dqkv.f32(), dprobs.f32(), dout.f32(), qkv.f32(), probs.f32(), mask.i32(), B,
                                  T, C, NH, dropout);
      return;
  }
}

}  // namespace finetune::ops
