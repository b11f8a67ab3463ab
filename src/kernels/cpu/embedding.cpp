// CPU embedding sum: word + position (+ token type) rows (spec in ref/embedding_math.h), token
// rows in parallel, the C-wide add vectorised; and its backward, a scatter-add into the dense
// gradient tables.
//
// The float additions are done in the order of transformers' BertEmbeddings,
// (word + token_type) + position, so the result is bit-identical to PyTorch's; the ref:: oracle
// rounds once from double and may differ by 1 ulp. As in BertEmbeddings, a model with a
// token-type table but no token_type_ids uses row 0 for every token.
//
// Backward: several tokens may share a vocabulary row (or a position or token-type row), so
// token rows cannot simply run in parallel. The work is split by columns instead: each thread
// owns a block of columns of every table and walks all token rows in order, so no two threads
// touch the same element (no atomics, no races) and every element receives its contributions in
// token order, exactly as ref:: adds them: the result is bit-identical to ref:: for any thread
// count.
//
// Dimension legend: B batch, T tokens, C hidden, V vocabulary, P max positions, TV token types.
#include <algorithm>
#include <cstdint>

#include "core/error.h"
#include "kernels/cpu/threads.h"
#include "kernels/embedding.h"
#include "kernels/ref/embedding_math.h"

namespace finetune::kernels::cpu {

void position_ids_from_input_ids(const Exec& ex,
                                 int32_t* position_ids,     // [B, T]
                                 const int32_t* input_ids,  // [B, T]
                                 int pad, int B, int T) {
  // Integer counting, exact and B*T additions: the specification is the fastest version there
  // is, so the CPU runs it as written.
  ref::math::position_ids_from_input_ids(position_ids, input_ids, pad, B, T);
}

void embedding_forward(const Exec& ex,
                       float* out,                     // [B, T, C]
                       const int32_t* input_ids,       // [B, T]
                       const int32_t* token_type_ids,  // [B, T] or null
                       const int32_t* position_ids,    // [B, T] or null (0..T-1)
                       const float* word,              // [V, C]
                       const float* position,          // [P, C]
                       const float* token_type,        // [TV, C] or null
                       int B, int T, int C) {
  FT_CHECK(token_type_ids == nullptr || token_type != nullptr,
           "embedding_forward: token_type_ids given but the model has no token-type table");
  const int64_t rows = static_cast<int64_t>(B) * T;
#pragma omp parallel for schedule(static) if (rows * C >= kMinParallelWork)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t t = row % T;
    const float* w = word + static_cast<int64_t>(input_ids[row]) * C;  // [C]
    const int64_t pos = position_ids ? position_ids[row] : t;
    float* y = out + row * C;  // [C]
    if (position == nullptr) {  // no position table (rotary families): the word rows alone
      std::copy(w, w + C, y);
      continue;
    }
    const float* p = position + pos * C;  // [C]
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

namespace {

// Columns per block of the backward pass: 64 floats, a whole number of cache lines, so blocks
// owned by different threads share no line of a table row (for C a multiple of 16).
constexpr int kColumnBlock = 64;

}  // namespace

void embedding_backward(const Exec& ex,
                        float* dword,                   // [V, C]
                        float* dposition,               // [P, C]
                        float* dtoken_type,             // [TV, C] or null
                        const float* dout,              // [B, T, C]
                        const int32_t* input_ids,       // [B, T]
                        const int32_t* token_type_ids,  // [B, T] or null
                        const int32_t* position_ids,    // [B, T] or null (0..T-1)
                        int B, int T, int C) {
  FT_CHECK(token_type_ids == nullptr || dtoken_type != nullptr,
           "embedding_backward: token_type_ids given but the model has no token-type table");
  const int64_t rows = static_cast<int64_t>(B) * T;
  const int blocks = (C + kColumnBlock - 1) / kColumnBlock;
#pragma omp parallel for schedule(static) if (rows * C >= kMinParallelWork)
  for (int blk = 0; blk < blocks; ++blk) {
    const int c0 = blk * kColumnBlock;
    const int width = std::min(kColumnBlock, C - c0);
    for (int64_t row = 0; row < rows; ++row) {
      const int64_t t = row % T;
      const float* dy = dout + row * C + c0;                             // [width]
      float* w = dword + static_cast<int64_t>(input_ids[row]) * C + c0;  // [width]
      const int64_t pos = position_ids ? position_ids[row] : t;
#pragma omp simd
      for (int c = 0; c < width; ++c) w[c] += dy[c];
      if (dposition) {
        float* p = dposition + pos * C + c0;  // [width]
#pragma omp simd
        for (int c = 0; c < width; ++c) p[c] += dy[c];
      }
      if (dtoken_type) {
        const int64_t type = token_type_ids ? token_type_ids[row] : 0;
        float* tt = dtoken_type + type * C + c0;  // [width]
#pragma omp simd
        for (int c = 0; c < width; ++c) tt[c] += dy[c];
      }
    }
  }
}

}  // namespace finetune::kernels::cpu
