// LayerNorm and residual-add + LayerNorm as templates over the storage type: the readable
// specification behind ref::layernorm_*, and (with Real = double) the function whose finite
// differences test the backward pass. Convention (Real storage, arithmetic in double, one rounding
// per stored value): see ref/linear_math.h.
//
// Source of truth: torch.nn.LayerNorm over the last dimension:
//   mean = (1/C) sum_c x_c
//   var  = (1/C) sum_c (x_c - mean)^2          (biased: divide by C, not C - 1)
//   rstd = 1 / sqrt(var + eps)                 (eps inside the square root)
//   y_c  = (x_c - mean) * rstd * weight_c + bias_c
// The statistics are computed with two passes (no cancellation); `mean` and `rstd` are stored
// rounded to Real, exactly what the backward pass then reads.
//
// In a post-LN encoder layer (BertSelfOutput/BertOutput, DistilBERT's sa_layer_norm and
// output_layer_norm) LayerNorm is applied to `hidden + residual`; add_layernorm_forward is that
// sum, rounded to Real first as PyTorch materialises it (and saved in `sum`), then normalised.
//
// Backward (the gradient autograd computes for torch.nn.LayerNorm), per row with
// xhat_c = (x_c - mean) rstd and g_c = dout_c weight_c:
//   din_c      = rstd (g_c - mean_c'(g_c') - xhat_c mean_c'(g_c' xhat_c'))
//   dweight_c += sum_rows dout_c xhat_c
//   dbias_c   += sum_rows dout_c
// For add_layernorm the input is the saved sum, and din is the gradient of both addends.
//
// Dimension legend: N rows, C features.
#pragma once

#include <cmath>
#include <cstdint>

namespace finetune::kernels::ref::math {

// Normalises one row; `y` may alias `x` (every element of x is read before y is written).
template <typename Real>
void layernorm_row(Real* y,             // [C]
                   Real* mean_out,      // [1] or null
                   Real* rstd_out,      // [1] or null
                   const Real* x,       // [C]
                   const Real* weight,  // [C]
                   const Real* bias,    // [C]
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
    y[c] = static_cast<Real>((x[c] - mean) * rstd * weight[c] + (bias ? bias[c] : Real(0)));
  }
  if (mean_out) *mean_out = static_cast<Real>(mean);
  if (rstd_out) *rstd_out = static_cast<Real>(rstd);
}

template <typename Real>
void layernorm_forward(Real* out,           // [N, C]
                       Real* mean,          // [N] or null
                       Real* rstd,          // [N] or null
                       const Real* in,      // [N, C]
                       const Real* weight,  // [C]
                       const Real* bias,    // [C]
                       int N, int C, float eps) {
  for (int64_t n = 0; n < N; ++n) {
    layernorm_row(out + n * C, mean ? mean + n : nullptr, rstd ? rstd + n : nullptr, in + n * C,
                  weight, bias, C, eps);
  }
}

// sum = Real(a + b); out = LayerNorm(sum). `out` may alias `a` or `b`.
template <typename Real>
void add_layernorm_forward(Real* out,           // [N, C]
                           Real* sum,           // [N, C] or null
                           Real* mean,          // [N] or null
                           Real* rstd,          // [N] or null
                           const Real* a,       // [N, C]
                           const Real* b,       // [N, C]
                           const Real* weight,  // [C]
                           const Real* bias,    // [C]
                           int N, int C, float eps) {
  for (int64_t n = 0; n < N; ++n) {
    // Without a `sum` buffer the row of `out` holds the sum; writing element c only after
    // reading a[c] and b[c] keeps this correct when out aliases a or b.
    Real* s = (sum ? sum : out) + n * C;  // [C]
    for (int64_t c = 0; c < C; ++c) {
      s[c] = static_cast<Real>(static_cast<double>(a[n * C + c]) + b[n * C + c]);
    }
    layernorm_row(out + n * C, mean ? mean + n : nullptr, rstd ? rstd + n : nullptr, s, weight,
                  bias, C, eps);
  }
}

// din (assigned), dweight and dbias (accumulated) from the forward's input and saved statistics.
// The parameter gradients are computed first and each row of din is written only after its row
// of dout has been read, so `din` may alias `dout`.
template <typename Real>
void layernorm_backward(Real* din,           // [N, C]
                        Real* dweight,       // [C]
                        Real* dbias,         // [C]
                        const Real* dout,    // [N, C]
                        const Real* in,      // [N, C]
                        const Real* weight,  // [C]
                        const Real* mean,    // [N]
                        const Real* rstd,    // [N]
                        int N, int C) {
  for (int64_t c = 0; c < C; ++c) {
    double dw = 0.0, db = 0.0;
    for (int64_t n = 0; n < N; ++n) {
      const double dy = dout[n * C + c];
      dw += dy * ((in[n * C + c] - static_cast<double>(mean[n])) * rstd[n]);
      db += dy;
    }
    dweight[c] = static_cast<Real>(dweight[c] + dw);
    if (dbias) dbias[c] = static_cast<Real>(dbias[c] + db);
  }
  for (int64_t n = 0; n < N; ++n) {
    const Real* x = in + n * C;     // [C]
    const Real* dy = dout + n * C;  // [C]
    const double mu = mean[n], r = rstd[n];
    double mean_g = 0.0, mean_g_xhat = 0.0;
    for (int64_t c = 0; c < C; ++c) {
      const double g = static_cast<double>(dy[c]) * weight[c];
      mean_g += g;
      mean_g_xhat += g * ((x[c] - mu) * r);
    }
    mean_g /= C;
    mean_g_xhat /= C;
    for (int64_t c = 0; c < C; ++c) {
      const double g = static_cast<double>(dy[c]) * weight[c];
      const double xhat = (x[c] - mu) * r;
      din[n * C + c] = static_cast<Real>(r * (g - mean_g - xhat * mean_g_xhat));
    }
  }
}

}  // namespace finetune::kernels::ref::math
