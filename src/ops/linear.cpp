// Linear layer ops: checks and dispatch for kernels/linear.h.
#include "kernels/linear.h"

#include "ops/checks.h"
#include "ops/ops.h"

namespace finetune::ops {

using namespace detail;
namespace k = finetune::kernels;

void linear(const Exec& ex, const Tensor& out, const Tensor& in, const Tensor& weight,
            const Tensor& bias) {
  const char* op = "linear";
  FT_CHECK(weight.ndim == 2, op, ": weight must be 2-d, is ", weight.shape_str());
  const int64_t OC = weight.dim(0), IC = weight.dim(1);
  const int64_t N = rows_of(in, IC, op, "in");
  FT_CHECK(rows_of(out, OC, op, "out") == N, op, ": out ", out.shape_str(), " vs in ", in.shape_str());
  FT_CHECK(bias.empty() || (bias.ndim == 1 && bias.dim(0) == OC), op, ": bias ", bias.shape_str());
  check_devices(ex, op, out, in, weight, bias);
  const int n = static_cast<int>(N), ic = static_cast<int>(IC), oc = static_cast<int>(OC);
  switch (ex.device) {
    case Device::CPU: k::cpu::linear_forward(ex, out.f32(), in.f32(), weight.f32(), f32_or_null(bias), n, ic, oc); return;
    case Device::CUDA: k::cuda::linear_forward(ex, out.f32(), in.f32(), weight.f32(), f32_or_null(bias), n, ic, oc); return;
  }
}

void linear_backward(const Exec& ex, const Tensor& din, const Tensor& dweight, const Tensor& dbias,
                     const Tensor& dout, const Tensor& in, const Tensor& weight) {
  const char* op = "linear_backward";
  FT_CHECK(weight.ndim == 2 && dweight.same_shape(weight), op, ": dweight ", dweight.shape_str(),
           " vs weight ", weight.shape_str());
  const int64_t OC = weight.dim(0), IC = weight.dim(1);
  const int64_t N = rows_of(in, IC, op, "in");
  FT_CHECK(rows_of(dout, OC, op, "dout") == N, op, ": dout ", dout.shape_str(), " vs in ", in.shape_str());
  FT_CHECK(din.empty() || din.numel() == in.numel(), op, ": din ", din.shape_str());
  FT_CHECK(dbias.empty() || (dbias.ndim == 1 && dbias.dim(0) == OC), op, ": dbias ", dbias.shape_str());
  check_devices(ex, op, din, dweight, dbias, dout, in, weight);
  const int n = static_cast<int>(N), ic = static_cast<int>(IC), oc = static_cast<int>(OC);
  switch (ex.device) {
    case Device::CPU:
      k::cpu::linear_backward(ex, f32_or_null(din), dweight.f32(), f32_or_null(dbias), dout.f32(), in.f32(),
                              weight.f32(), n, ic, oc);
      return;
    case Device::CUDA:
      k::cuda::linear_backward(ex, f32_or_null(din), dweight.f32(), f32_or_null(dbias), dout.f32(), in.f32(),
                               weight.f32(), n, ic, oc);
      return;
  }
}

}  // namespace finetune::ops
