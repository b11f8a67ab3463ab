// CPU embedding sum: word + position (+ token type) rows (spec in ref/embedding.cpp), token rows
// in parallel, the C-wide add vectorised.
//
// The float additions are done in the order of transformers' BertEmbeddings,
// (word + token_type) + position, so the result is bit-identical to PyTorch's; the ref:: oracle
// rounds once from double and may differ by 1 ulp. As in BertEmbeddings, a model with a
// token-type table but no token_type_ids uses row 0 for every token.
//
// Dimension legend: B batch, T tokens, C hidden, V vocabulary, P max positions, TV token types.
#include <cstdint>

#include "core/error.h"
#include "kernels/cpu/threads.h"
#include "kernels/embedding.h"

namespace finetune::kernels::cpu {

void embedding_forward(const Exec& ex,
                       float* out,                     // [B, T, C]
                       const int32_t* input_ids,       // [B, T]
                       const int32_t* token_type_ids,  // [B, T] or null
                       const float* word,              // [V, C]
                       const float* position,          // [P, C], P >= T
                       const float* token_type,        // [TV, C] or null
                       int B, int T, int C) {
  FT_CHECK(token_type_ids == nullptr || token_type != nullptr,
           "embedding_forward: token_type_ids given but the model has no token-type table");
  const int64_t rows = static_cast<int64_t>(B) * T;
#pragma omp parallel for schedule(static) if (rows * C >= kMinParallelWork)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t t = row % T;
    const float* w = word + static_cast<int64_t>(input_ids[row]) * C;  // [C]
    const float* p = position + t * C;                                 // [C]
    float* y = out + row * C;                                          // [C]
    if (token_type) {
      const int64_t type = token_type_ids ? token_type_ids[row] : 0;
      const float* tt = token_type + type * C;  // [C]
#pragma omp simd
      for (int c = 0; c < C; ++c) y[c] = (w[c] + tt[c]) + p[c];
    } else {
#pragma omp simd
      for (int c = 0; c < C; ++c) y[c] = w[c] + p[c];
    }
  }
}

}  // namespace finetune::kernels::cpu
