// Rotary position embedding as a template over the storage type: the readable specification
// behind ref::rotary_* and (with Real = double) the function whose finite differences test the
// backward pass. Source of truth and formulas: kernels/rotary.h.
//
// The angles are computed in float32 exactly as transformers does (its float64 reference runs
// too, since ModernBertRotaryEmbedding.forward casts to float), and the rotation itself in double
// with one rounding per stored value.
//
// Dimension legend: B batch, T tokens, C hidden, NH heads, HS = C / NH head size.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/error.h"

namespace finetune::kernels::ref::math {

// cos and sin of token t's angle for pair d, in float32 as transformers computes them.
inline void rotary_angle(int t, int d, int HS, float theta, float& c, float& s) {
  const float exponent = static_cast<float>(2 * d) / static_cast<float>(HS);
  const float inv_freq = 1.0f / std::pow(theta, exponent);
  const float angle = static_cast<float>(t) * inv_freq;
  c = std::cos(angle);
  s = std::sin(angle);
}

// direction +1: the forward rotation; -1: its inverse (the backward pass).
template <typename Real>
void rotary_apply(Real* qkv,  // [B, T, 3C]
                  int B, int T, int C, int NH, float theta, int direction) {
  FT_CHECK(NH > 0 && C % NH == 0 && (C / NH) % 2 == 0, "rotary: hidden size ", C, " and ", NH,
           " heads do not give an even head size");
  const int HS = C / NH, half = HS / 2;
  for (int64_t b = 0; b < B; ++b) {
    for (int t = 0; t < T; ++t) {
      Real* row = qkv + (b * T + t) * 3 * static_cast<int64_t>(C);  // [3C]
      for (int d = 0; d < half; ++d) {
        float cf, sf;
        rotary_angle(t, d, HS, theta, cf, sf);
        const double c = cf, s = direction * static_cast<double>(sf);
        for (int part = 0; part < 2; ++part) {  // q, then k
          for (int h = 0; h < NH; ++h) {
            Real* x = row + part * static_cast<int64_t>(C) + h * HS;  // [HS] one head
            const double x1 = x[d], x2 = x[d + half];
            x[d] = static_cast<Real>(x1 * c - x2 * s);
            x[d + half] = static_cast<Real>(x2 * c + x1 * s);
          }
        }
      }
    }
  }
}

}  // namespace finetune::kernels::ref::math
