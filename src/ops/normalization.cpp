// LayerNorm ops: checks and dispatch for kernels/layernorm.h.
#include "kernels/layernorm.h"

#include "ops/checks.h"
#include "ops/ops.h"

namespace finetune::ops {

using namespace detail;
namespace k = finetune::kernels;

namespace {

// Rows of a normalised tensor, with the per-row statistics checked against them.
int64_t check_norm(const char* op, const Tensor& in, const Tensor& weight, const Tensor& bias,
                   const Tensor& mean, const Tensor& rstd) {
  const int64_t C = weight.dim(0);
  const int64_t N = rows_of(in, C, op, "in");
  FT_CHECK(bias.empty() || bias.same_shape(weight), op, ": bias ", bias.shape_str());
  FT_CHECK(mean.empty() || mean.numel() == N, op, ": mean ", mean.shape_str());
  FT_CHECK(rstd.empty() || rstd.numel() == N, op, ": rstd ", rstd.shape_str());
  return N;
}

}  // namespace

void layernorm(const Exec& ex, const Tensor& out, const Tensor& mean, const Tensor& rstd,
               const Tensor& in, const Tensor& weight, const Tensor& bias, double eps) {
  const char* op = "layernorm";
  const int n = static_cast<int>(check_norm(op, in, weight, bias, mean, rstd));
  const int c = static_cast<int>(weight.dim(0));
  FT_CHECK(out.same_shape(in), op, ": out ", out.shape_str(), " vs in ", in.shape_str());
  check_devices(ex, op, out, mean, rstd, in, weight, bias);
  const float e = static_cast<float>(eps);
  switch (ex.device) {
    case Device::CPU:
      k::cpu::layernorm_forward(ex, out.f32(), f32_or_null(mean), f32_or_null(rstd), in.f32(), weight.f32(),
                                bias.f32(), n, c, e);
      return;
    case Device::CUDA:
      k::cuda::layernorm_forward(ex, out.f32(), f32_or_null(mean), f32_or_null(rstd), in.f32(), weight.f32(),
                                 bias.f32(), n, c, e);
      return;
  }
}

void add_layernorm(const Exec& ex, const Tensor& out, const Tensor& sum, const Tensor& mean,
                   const Tensor& rstd, const Tensor& a, const Tensor& b, const Tensor& weight,
                   const Tensor& bias, double eps) {
  const char* op = "add_layernorm";
  const int n = static_cast<int>(check_norm(op, a, weight, bias, mean, rstd));
  const int c = static_cast<int>(weight.dim(0));
  FT_CHECK(b.same_shape(a) && out.same_shape(a), op, ": a ", a.shape_str(), ", b ", b.shape_str(), ", out ",
           out.shape_str());
  FT_CHECK(sum.empty() || sum.same_shape(a), op, ": sum ", sum.shape_str());
  check_devices(ex, op, out, sum, mean, rstd, a, b, weight, bias);
  const float e = static_cast<float>(eps);
  switch (ex.device) {
    case Device::CPU:
      k::cpu::add_layernorm_forward(ex, out.f32(), f32_or_null(sum), f32_or_null(mean), f32_or_null(rstd), a.f32(),
                                    b.f32(), weight.f32(), bias.f32(), n, c, e);
      return;
    case Device::CUDA:
      k::cuda::add_layernorm_forward(ex, out.f32(), f32_or_null(sum), f32_or_null(mean), f32_or_null(rstd),
                                     a.f32(), b.f32(), weight.f32(), bias.f32(), n, c, e);
      return;
  }
}

void layernorm_backward(const Exec& ex, const Tensor& din, const Tensor& dweight, const Tensor& dbias,
                        const Tensor& dout, const Tensor& in, const Tensor& weight, const Tensor& mean,
                        const Tensor& rstd) {
  const char* op = "layernorm_backward";
  FT_CHECK(!mean.empty() && !rstd.empty(), op, ": needs the forward's saved mean and rstd");
  const int n = static_cast<int>(check_norm(op, in, weight, dbias, mean, rstd));
  const int c = static_cast<int>(weight.dim(0));
  FT_CHECK(din.same_shape(in) && dout.same_shape(in), op, ": din ", din.shape_str(), ", dout ",
           dout.shape_str(), " vs in ", in.shape_str());
  FT_CHECK(dweight.same_shape(weight), op, ": dweight ", dweight.shape_str());
  check_devices(ex, op, din, dweight, dbias, dout, in, weight, mean, rstd);
  switch (ex.device) {
    case Device::CPU:
      k::cpu::layernorm_backward(ex, din.f32(), dweight.f32(), dbias.f32(), dout.f32(), in.f32(), weight.f32(),
                                 mean.f32(), rstd.f32(), n, c);
      return;
    case Device::CUDA:
      k::cuda::layernorm_backward(ex, din.f32(), dweight.f32(), dbias.f32(), dout.f32(), in.f32(), weight.f32(),
                                  mean.f32(), rstd.f32(), n, c);
      return;
  }
}

}  // namespace finetune::ops
