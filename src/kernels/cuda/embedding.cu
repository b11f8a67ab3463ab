// CUDA embedding sum: word + position (+ token type) rows (spec in ref/embedding_math.h,
// source of truth transformers' BertEmbeddings / DistilBERT Embeddings), and its backward, a
// scatter-add into the dense gradient tables.
//
// Forward: one thread per output element, (word + token_type) + position in float in
// BertEmbeddings' order with correctly rounded additions (__fadd_rn): bit-identical to cpu::.
//
// Backward, deterministic and race-free without atomics: a row of a gradient table (a word id,
// a position, a token type) may receive several token rows, and ref:: adds them in token order,
// rounding after every addition. Here every table row has exactly one owner block, which adds the
// contributions in token order too, so the result is bit-identical to ref:: and cpu::, on every
// run. One block per token row r:
//   - word table: the block owns row ids[r] if r is the first token with that id (a block-wide
//     scan of ids[0, r)); it then walks the tokens r, r+1, ... in chunks of blockDim rows,
//     compacts the ones with the same id (order-preserving, by warp ballots) into shared memory
//     and adds their dout rows, each thread owning a set of columns;
//   - token-type table: the same with the type ids (row 0 for every token without ids);
//   - position table: the block owns position t = r when r < T (batch 0) and adds dout rows
//     (b, t) for b = 0 .. B-1 in order.
// Cost: O((B T)^2 / blockDim) id comparisons in the worst case (all ids distinct), ~1 ms for
// 64 x 512 tokens, negligible at the reference job's 8 x 22.
//
// Dimension legend: B batch, T tokens, C hidden, V vocabulary, P max positions, TV token types.
#include <cuda_runtime.h>

#include <cstdint>

#include "core/error.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/context.h"
#include "kernels/embedding.h"

namespace finetune::kernels::cuda {
namespace {

constexpr int kThreads = 256;  // a multiple of the warp size (compaction by ballots)
constexpr int kWarps = kThreads / kWarp;

__global__ void position_ids_kernel(int32_t* __restrict__ position_ids,     // [B, T]
                                    const int32_t* __restrict__ input_ids,  // [B, T]
                                    int pad, int B, int T) {
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= B) return;
  int32_t count = 0;
  for (int64_t t = 0; t < T; ++t) {
    const int64_t row = int64_t{b} * T + t;
    const bool real = input_ids[row] != pad;
    count += real ? 1 : 0;
    position_ids[row] = real ? pad + count : pad;
  }
}

__global__ void embedding_forward_kernel(float* __restrict__ out,                     // [B, T, C]
                                         const int32_t* __restrict__ input_ids,       // [B, T]
                                         const int32_t* __restrict__ token_type_ids,  // or null
                                         const int32_t* __restrict__ position_ids,    // or null
                                         const float* __restrict__ word,              // [V, C]
                                         const float* __restrict__ position,          // [P, C]
                                         const float* __restrict__ token_type,  // [TV, C] or null
                                         int B, int T, int C) {
  const int64_t n = int64_t{B} * T * C;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t row = i / C;
    const int c = static_cast<int>(i % C);
    const int64_t t = position_ids != nullptr ? int64_t{position_ids[row]} : row % T;
    const float w = word[int64_t{input_ids[row]} * C + c];
    if (position == nullptr) {  // no position table (rotary families)
      out[i] = w;
      continue;
    }
    const float p = position[t * C + c];
    if (token_type != nullptr) {
      const int64_t type = token_type_ids != nullptr ? token_type_ids[row] : 0;
      out[i] = __fadd_rn(__fadd_rn(w, token_type[type * C + c]), p);
    } else {
      out[i] = __fadd_rn(w, p);
    }
  }
}

__device__ __forceinline__ int key_at(const int32_t* keys, int64_t row) {
  return keys != nullptr ? keys[row] : 0;
}

// Whether token row r is the first with key `key` (keys null: every row has key 0). Block-wide:
// every thread of the block must call it with the same arguments.
__device__ bool first_with_key(const int32_t* keys, int64_t r, int key) {
  for (int64_t base = 0; base < r; base += kThreads) {
    const int64_t row = base + threadIdx.x;
    const bool hit = row < r && key_at(keys, row) == key;
    if (__syncthreads_or(hit)) return false;
  }
  return true;
}

// table_row += dout[row] for every token row >= r whose key is `key`, in token order, each
// addition rounded. Block-wide (same arguments in every thread).
__device__ void add_rows_with_key(float* table_row,   // [C]
                                  const float* dout,  // [rows, C]
                                  const int32_t* keys, int key, int64_t r, int64_t rows, int C,
                                  int* list,           // [kThreads] shared
                                  int* warp_counts) {  // [kWarps] shared
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  for (int64_t base = r; base < rows; base += kThreads) {
    const int64_t row = base + threadIdx.x;
    const bool hit = row < rows && key_at(keys, row) == key;
    const unsigned ballot = __ballot_sync(kFullMask, hit);
    if (lane == 0) warp_counts[warp] = __popc(ballot);
    __syncthreads();
    int offset = 0, total = 0;
    for (int w = 0; w < kWarps; ++w) {
      if (w < warp) offset += warp_counts[w];
      total += warp_counts[w];
    }
    if (hit) list[offset + __popc(ballot & ((1u << lane) - 1u))] = threadIdx.x;
    __syncthreads();
    for (int c = threadIdx.x; c < C; c += kThreads) {
      float acc = table_row[c];
      for (int k = 0; k < total; ++k) acc = __fadd_rn(acc, dout[(base + list[k]) * C + c]);
      table_row[c] = acc;
    }
    __syncthreads();  // list and warp_counts are rewritten by the next chunk
  }
}

__global__ void __launch_bounds__(kThreads)
    embedding_backward_kernel(float* __restrict__ dword,                   // [V, C]
                              float* __restrict__ dposition,               // [P, C]
                              float* __restrict__ dtoken_type,             // [TV, C] or null
                              const float* __restrict__ dout,              // [B, T, C]
                              const int32_t* __restrict__ input_ids,       // [B, T]
                              const int32_t* __restrict__ token_type_ids,  // [B, T] or null
                              const int32_t* __restrict__ position_ids,    // [B, T] or null
                              int B, int T, int C) {
  __shared__ int list[kThreads];
  __shared__ int warp_counts[kWarps];
  const int64_t rows = int64_t{B} * T;
  const int64_t r = blockIdx.x;

  const int id = input_ids[r];
  if (first_with_key(input_ids, r, id)) {
    add_rows_with_key(dword + int64_t{id} * C, dout, input_ids, id, r, rows, C, list, warp_counts);
  }
  if (dtoken_type != nullptr) {
    const int type = key_at(token_type_ids, r);
    if (first_with_key(token_type_ids, r, type)) {
      add_rows_with_key(dtoken_type + int64_t{type} * C, dout, token_type_ids, type, r, rows, C,
                        list, warp_counts);
    }
  }
  if (dposition == nullptr) return;  // no position table (rotary families)
  if (position_ids != nullptr) {
    const int pos = position_ids[r];
    if (first_with_key(position_ids, r, pos)) {
      add_rows_with_key(dposition + int64_t{pos} * C, dout, position_ids, pos, r, rows, C, list,
                        warp_counts);
    }
  } else if (r < T) {
    float* p = dposition + r * C;  // [C]
    for (int c = threadIdx.x; c < C; c += kThreads) {
      float acc = p[c];
      for (int64_t b = 0; b < B; ++b) acc = __fadd_rn(acc, dout[(b * T + r) * C + c]);
      p[c] = acc;
    }
  }
}

}  // namespace

void position_ids_from_input_ids(const Exec& ex,
                                 int32_t* position_ids,     // [B, T]
                                 const int32_t* input_ids,  // [B, T]
                                 int pad, int B, int T) {
  CudaContext& ctx = context(ex, "position_ids_from_input_ids");
  if (B <= 0 || T <= 0) return;
  constexpr int kRowThreads = 128;
  position_ids_kernel<<<(B + kRowThreads - 1) / kRowThreads, kRowThreads, 0, ctx.stream>>>(
      position_ids, input_ids, pad, B, T);
  CUDA_CHECK_LAUNCH();
}

void embedding_forward(const Exec& ex,
                       float* out,                     // [B, T, C]
                       const int32_t* input_ids,       // [B, T]
                       const int32_t* token_type_ids,  // [B, T] or null (no token types)
                       const int32_t* position_ids,    // [B, T] or null (0..T-1)
                       const float* word,              // [V, C]
                       const float* position,          // [P, C]
                       const float* token_type,        // [TV, C] or null
                       int B, int T, int C) {
  FT_CHECK(token_type_ids == nullptr || token_type != nullptr,
           "embedding_forward: token_type_ids given but the model has no token-type table");
  CudaContext& ctx = context(ex, "embedding_forward");
  if (B <= 0 || T <= 0 || C <= 0) return;
  embedding_forward_kernel<<<blocks_for(int64_t{B} * T * C, kThreads, 8192), kThreads, 0,
                             ctx.stream>>>(out, input_ids, token_type_ids, position_ids, word,
                                           position, token_type, B, T, C);
  CUDA_CHECK_LAUNCH();
}

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
  CudaContext& ctx = context(ex, "embedding_backward");
  if (B <= 0 || T <= 0 || C <= 0) return;
  const int64_t rows = int64_t{B} * T;
  FT_CHECK(rows <= 0x7fffffff, "embedding_backward: too many tokens ", rows);
  embedding_backward_kernel<<<static_cast<unsigned>(rows), kThreads, 0, ctx.stream>>>(
      dword, dposition, dtoken_type, dout, input_ids, token_type_ids, position_ids, B, T, C);
  CUDA_CHECK_LAUNCH();
}

}  // namespace finetune::kernels::cuda
