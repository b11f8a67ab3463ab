// Elementwise ops (activations, GeGLU, dropout, sums), first-token and mean pooling, softmax: checks and
// dispatch for kernels/{activation,dropout,elementwise,pooling,softmax}.h.
#include "kernels/activation.h"
#include "kernels/dropout.h"
#include "kernels/elementwise.h"
#include "kernels/pooling.h"
#include "kernels/softmax.h"
#include "ops/checks.h"
#include "ops/ops.h"

namespace finetune::ops {

using namespace detail;
namespace k = finetune::kernels;

void activation(const Exec& ex, const Tensor& out, const Tensor& in, kernels::Activation kind) {
  const char* op = "activation";
  FT_CHECK(out.numel() == in.numel(), op, ": out ", out.shape_str(), " vs in ", in.shape_str());
  check_devices(ex, op, out, in);
  switch (ex.device) {
    case Device::CPU: k::cpu::activation_forward(ex, out.f32(), in.f32(), in.numel(), kind); return;
    case Device::CUDA: k::cuda::activation_forward(ex, out.f32(), in.f32(), in.numel(), kind); return;
  }
}

void activation_backward(const Exec& ex, const Tensor& din, const Tensor& dout, const Tensor& in,
                         kernels::Activation kind) {
  const char* op = "activation_backward";
  FT_CHECK(din.numel() == in.numel() && dout.numel() == in.numel(), op, ": din ", din.shape_str(), ", dout ",
           dout.shape_str(), ", in ", in.shape_str());
  check_devices(ex, op, din, dout, in);
  switch (ex.device) {
    case Device::CPU: k::cpu::activation_backward(ex, din.f32(), dout.f32(), in.f32(), in.numel(), kind); return;
    case Device::CUDA: k::cuda::activation_backward(ex, din.f32(), dout.f32(), in.f32(), in.numel(), kind); return;
  }
}

void dropout(const Exec& ex, const Tensor& out, const Tensor& in, DropoutSpec spec) {
  const char* op = "dropout";
  FT_CHECK(out.numel() == in.numel(), op, ": out ", out.shape_str(), " vs in ", in.shape_str());
  FT_CHECK(spec.p >= 0.0f && spec.p < 1.0f, op, ": probability ", spec.p);
  FT_CHECK(spec.step == nullptr || ex.device == Device::CUDA, op, ": a device step counter needs the GPU");
  check_devices(ex, op, out, in);
  switch (ex.device) {
    case Device::CPU: k::cpu::dropout_forward(ex, out.f32(), in.f32(), in.numel(), spec); return;
    case Device::CUDA: k::cuda::dropout_forward(ex, out.f32(), in.f32(), in.numel(), spec); return;
  }
}

void dropout_backward(const Exec& ex, const Tensor& din, const Tensor& dout, DropoutSpec spec) {
  const char* op = "dropout_backward";
  FT_CHECK(din.numel() == dout.numel(), op, ": din ", din.shape_str(), " vs dout ", dout.shape_str());
  FT_CHECK(spec.step == nullptr || ex.device == Device::CUDA, op, ": a device step counter needs the GPU");
  check_devices(ex, op, din, dout);
  switch (ex.device) {
    case Device::CPU: k::cpu::dropout_backward(ex, din.f32(), dout.f32(), dout.numel(), spec); return;
    case Device::CUDA: k::cuda::dropout_backward(ex, din.f32(), dout.f32(), dout.numel(), spec); return;
  }
}

void add(const Exec& ex, const Tensor& out, const Tensor& a, const Tensor& b) {
  const char* op = "add";
  FT_CHECK(out.numel() == a.numel() && b.numel() == a.numel(), op, ": out ", out.shape_str(), ", a ",
           a.shape_str(), ", b ", b.shape_str());
  check_devices(ex, op, out, a, b);
  switch (ex.device) {
    case Device::CPU: k::cpu::add_forward(ex, out.f32(), a.f32(), b.f32(), a.numel()); return;
    case Device::CUDA: k::cuda::add_forward(ex, out.f32(), a.f32(), b.f32(), a.numel()); return;
  }
}

void first_token(const Exec& ex, const Tensor& out, const Tensor& in) {
  const char* op = "first_token";
  FT_CHECK(in.ndim == 3 && out.ndim == 2 && out.dim(0) == in.dim(0) && out.dim(1) == in.dim(2), op, ": out ",
           out.shape_str(), " vs in ", in.shape_str());
  check_devices(ex, op, out, in);
  const int b = static_cast<int>(in.dim(0)), t = static_cast<int>(in.dim(1)), c = static_cast<int>(in.dim(2));
  switch (ex.device) {
    case Device::CPU: k::cpu::first_token_forward(ex, out.f32(), in.f32(), b, t, c); return;
    case Device::CUDA: k::cuda::first_token_forward(ex, out.f32(), in.f32(), b, t, c); return;
  }
}

void first_token_backward(const Exec& ex, const Tensor& din, const Tensor& dout) {
  const char* op = "first_token_backward";
  FT_CHECK(din.ndim == 3 && dout.ndim == 2 && dout.dim(0) == din.dim(0) && dout.dim(1) == din.dim(2), op,
           ": dout ", dout.shape_str(), " vs din ", din.shape_str());
  check_devices(ex, op, din, dout);
  const int b = static_cast<int>(din.dim(0)), t = static_cast<int>(din.dim(1)), c = static_cast<int>(din.dim(2));
  switch (ex.device) {
    case Device::CPU: k::cpu::first_token_backward(ex, din.f32(), dout.f32(), b, t, c); return;
    case Device::CUDA: k::cuda::first_token_backward(ex, din.f32(), dout.f32(), b, t, c); return;
  }
}

void geglu(const Exec& ex, const Tensor& out, const Tensor& in, kernels::Activation kind) {
  const char* op = "geglu";
  FT_CHECK(in.ndim >= 2 && out.ndim == in.ndim && in.dim(in.ndim - 1) == 2 * out.dim(out.ndim - 1) &&
               in.numel() == 2 * out.numel(),
           op, ": out ", out.shape_str(), " vs in ", in.shape_str());
  check_devices(ex, op, out, in);
  const long f = static_cast<long>(out.dim(out.ndim - 1)), n = static_cast<long>(out.numel() / f);
  switch (ex.device) {
    case Device::CPU: k::cpu::geglu_forward(ex, out.f32(), in.f32(), n, f, kind); return;
    case Device::CUDA: k::cuda::geglu_forward(ex, out.f32(), in.f32(), n, f, kind); return;
  }
}

void geglu_backward(const Exec& ex, const Tensor& din, const Tensor& dout, const Tensor& in,
                    kernels::Activation kind) {
  const char* op = "geglu_backward";
  FT_CHECK(din.same_shape(in) && in.ndim >= 2 && in.dim(in.ndim - 1) == 2 * dout.dim(dout.ndim - 1) &&
               in.numel() == 2 * dout.numel(),
           op, ": dout ", dout.shape_str(), " vs in ", in.shape_str(), ", din ", din.shape_str());
  check_devices(ex, op, din, dout, in);
  const long f = static_cast<long>(dout.dim(dout.ndim - 1)), n = static_cast<long>(dout.numel() / f);
  switch (ex.device) {
    case Device::CPU: k::cpu::geglu_backward(ex, din.f32(), dout.f32(), in.f32(), n, f, kind); return;
    case Device::CUDA: k::cuda::geglu_backward(ex, din.f32(), dout.f32(), in.f32(), n, f, kind); return;
  }
}

void mean_pool(const Exec& ex, const Tensor& out, const Tensor& in, const Tensor& mask) {
  const char* op = "mean_pool";
  FT_CHECK(in.ndim == 3 && out.ndim == 2 && out.dim(0) == in.dim(0) && out.dim(1) == in.dim(2), op, ": out ",
           out.shape_str(), " vs in ", in.shape_str());
  FT_CHECK(mask.dtype == DType::I32 && mask.numel() == in.dim(0) * in.dim(1), op, ": mask ", mask.shape_str());
  check_devices(ex, op, out, in, mask);
  const int b = static_cast<int>(in.dim(0)), t = static_cast<int>(in.dim(1)), c = static_cast<int>(in.dim(2));
  switch (ex.device) {
    case Device::CPU: k::cpu::mean_pool_forward(ex, out.f32(), in.f32(), mask.i32(), b, t, c); return;
    case Device::CUDA: k::cuda::mean_pool_forward(ex, out.f32(), in.f32(), mask.i32(), b, t, c); return;
  }
}

void mean_pool_backward(const Exec& ex, const Tensor& din, const Tensor& dout, const Tensor& mask) {
  const char* op = "mean_pool_backward";
  FT_CHECK(din.ndim == 3 && dout.ndim == 2 && dout.dim(0) == din.dim(0) && dout.dim(1) == din.dim(2), op,
           ": dout ", dout.shape_str(), " vs din ", din.shape_str());
  FT_CHECK(mask.dtype == DType::I32 && mask.numel() == din.dim(0) * din.dim(1), op, ": mask ", mask.shape_str());
  check_devices(ex, op, din, dout, mask);
  const int b = static_cast<int>(din.dim(0)), t = static_cast<int>(din.dim(1)), c = static_cast<int>(din.dim(2));
  switch (ex.device) {
    case Device::CPU: k::cpu::mean_pool_backward(ex, din.f32(), dout.f32(), mask.i32(), b, t, c); return;
    case Device::CUDA: k::cuda::mean_pool_backward(ex, din.f32(), dout.f32(), mask.i32(), b, t, c); return;
  }
}

void softmax(const Exec& ex, const Tensor& out, const Tensor& in) {
  const char* op = "softmax";
  FT_CHECK(out.same_shape(in) && in.ndim == 2, op, ": out ", out.shape_str(), " vs in ", in.shape_str());
  check_devices(ex, op, out, in);
  const int n = static_cast<int>(in.dim(0)), kk = static_cast<int>(in.dim(1));
  switch (ex.device) {
    case Device::CPU: k::cpu::softmax_forward(ex, out.f32(), in.f32(), n, kk); return;
    case Device::CUDA: k::cuda::softmax_forward(ex, out.f32(), in.f32(), n, kk); return;
  }
}

}  // namespace finetune::ops
