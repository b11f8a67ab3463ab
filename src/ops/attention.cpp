// Attention ops: checks and dispatch for kernels/attention.h.
#include "kernels/attention.h"
#include "kernels/rotary.h"

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
               int NH, DropoutSpec dropout, int window) {
  auto [B, T, C] = check_attention(ex, "attention", out, probs, qkv, mask, NH);
  FT_CHECK(window >= 0, "attention: window ", window);
  FT_CHECK(dropout.step == nullptr || ex.device == Device::CUDA, "attention: a device step counter needs the GPU");
  switch (ex.device) {
    case Device::CPU:
      k::cpu::attention_forward_window(ex, out.f32(), probs.f32(), qkv.f32(), mask.i32(), B, T, C, NH, dropout,
                                       window);
      return;
    case Device::CUDA:
      k::cuda::attention_forward_window(ex, out.f32(), probs.f32(), qkv.f32(), mask.i32(), B, T, C, NH, dropout,
                                        window);
      return;
  }
}

void attention_backward(const Exec& ex, const Tensor& dqkv, const Tensor& dprobs, const Tensor& dout,
                        const Tensor& qkv, const Tensor& probs, const Tensor& mask, int NH, DropoutSpec dropout,
                        int window) {
  const char* op = "attention_backward";
  FT_CHECK(window >= 0, op, ": window ", window);
  auto [B, T, C] = check_attention(ex, op, dout, probs, qkv, mask, NH);
  FT_CHECK(dropout.step == nullptr || ex.device == Device::CUDA, op, ": a device step counter needs the GPU");
  FT_CHECK(dqkv.same_shape(qkv), op, ": dqkv ", dqkv.shape_str(), " vs qkv ", qkv.shape_str());
  FT_CHECK(dprobs.numel() == probs.numel(), op, ": dprobs ", dprobs.shape_str());
  check_devices(ex, op, dqkv, dprobs);
  switch (ex.device) {
    case Device::CPU:
      k::cpu::attention_backward_window(ex, dqkv.f32(), dprobs.f32(), dout.f32(), qkv.f32(), probs.f32(),
                                        mask.i32(), B, T, C, NH, dropout, window);
      return;
    case Device::CUDA:
      k::cuda::attention_backward_window(ex, dqkv.f32(), dprobs.f32(), dout.f32(), qkv.f32(), probs.f32(),
                                         mask.i32(), B, T, C, NH, dropout, window);
      return;
  }
}

void rotary(const Exec& ex, const Tensor& qkv, int NH, double theta, bool inverse) {
  const char* op = inverse ? "rotary_backward" : "rotary";
  FT_CHECK(qkv.ndim == 3 && qkv.dim(2) % 3 == 0, op, ": qkv ", qkv.shape_str());
  FT_CHECK(theta > 0, op, ": rope theta ", theta);
  check_devices(ex, op, qkv);
  const int B = static_cast<int>(qkv.dim(0)), T = static_cast<int>(qkv.dim(1)),
            C = static_cast<int>(qkv.dim(2) / 3);
  const float th = static_cast<float>(theta);
  switch (ex.device) {
    case Device::CPU:
      inverse ? k::cpu::rotary_backward(ex, qkv.f32(), B, T, C, NH, th)
              : k::cpu::rotary_forward(ex, qkv.f32(), B, T, C, NH, th);
      return;
    case Device::CUDA:
      inverse ? k::cuda::rotary_backward(ex, qkv.f32(), B, T, C, NH, th)
              : k::cuda::rotary_forward(ex, qkv.f32(), B, T, C, NH, th);
      return;
  }
}

}  // namespace finetune::ops
