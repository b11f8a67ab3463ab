// Reference LayerNorm and residual-add + LayerNorm: the readable specification and the oracle
// for cpu:: and cuda::.
//
// Source of truth: torch.nn.LayerNorm over the last dimension:
//   mean = (1/C) sum_c x_c
//   var  = (1/C) sum_c (x_c - mean)^2          (biased: divide by C, not C - 1)
//   rstd = 1 / sqrt(var + eps)                 (eps inside the square root)
//   y_c  = (x_c - mean) * rstd * weight_c + bias_c
// The statistics are computed in double with two passes (no cancellation); `mean` and `rstd`
// are saved rounded to float, exactly what the backward pass reads.
//
// In a post-LN encoder layer (BertSelfOutput/BertOutput, DistilBERT's sa_layer_norm and
// output_layer_norm) LayerNorm is applied to `hidden + residual`; add_layernorm_forward is that
// sum followed by the same normalisation. The float sum a + b is rounded to float first, as
// PyTorch materialises it, and saved in `sum` for the backward pass.
//
// Dimension legend: N rows, C features.
#include "kernels/layernorm.h"

#include <cmath>
#include <cstdint>

namespace finetune::kernels::ref {
namespace {

// Normalises one row; `y` may alias `x` (every element of x is read before y is written).
void normalize_row(float* y,             // [C]
                   float* mean_out,      // [1] or null
                   float* rstd_out,      // [1] or null
                   const float* x,       // [C]
                   const float* weight,  // [C]
                   const float* bias,    // [C]
                   int C, float eps) {
  double sum = 0.0;
  for (int c = 0; c < C; ++c) sum += x[c];
  const double mean = sum / C;
  double sq = 0.0;
  for (int c = 0; c < C; ++c) {
    const double d = x[c] - mean;
    sq += d * d;
  }
  const double var = sq / C;
  const double rstd = 1.0 / std::sqrt(var + static_cast<double>(eps));
  for (int c = 0; c < C; ++c) {
    y[c] = static_cast<float>((x[c] - mean) * rstd * weight[c] + bias[c]);
  }
  if (mean_out) *mean_out = static_cast<float>(mean);
  if (rstd_out) *rstd_out = static_cast<float>(rstd);
}

}  // namespace

void layernorm_forward(const Exec& ex,
                       float* out,           // [N, C]
                       float* mean,          // [N] or null
                       float* rstd,          // [N] or null
                       const float* in,      // [N, C]
                       const float* weight,  // [C]
                       const float* bias,    // [C]
                       int N, int C, float eps) {
  for (int64_t n = 0; n < N; ++n) {
    normalize_row(out + n * C, mean ? mean + n : nullptr, rstd ? rstd + n : nullptr, in + n * C,
                  weight, bias, C, eps);
  }
}

void add_layernorm_forward(const Exec& ex,
                           float* out,           // [N, C]
                           float* sum,           // [N, C] or null
                           float* mean,          // [N] or null
                           float* rstd,          // [N] or null
                           const float* a,       // [N, C]
                           const float* b,       // [N, C]
                           const float* weight,  // [C]
                           const float* bias,    // [C]
                           int N, int C, float eps) {
  for (int64_t n = 0; n < N; ++n) {
    // Without a `sum` buffer the row of `out` holds the sum; writing element c only after
    // reading a[c] and b[c] keeps this correct when out aliases a or b.
    float* s = (sum ? sum : out) + n * C;  // [C]
    for (int64_t c = 0; c < C; ++c) s[c] = a[n * C + c] + b[n * C + c];
    normalize_row(out + n * C, mean ? mean + n : nullptr, rstd ? rstd + n : nullptr, s, weight,
                  bias, C, eps);
  }
}

}  // namespace finetune::kernels::ref
