// CUDA multi-head self-attention core for short sequences (spec and source of truth, transformers'
// BertSelfAttention / DistilBERT MultiHeadSelfAttention, in ref/attention_math.h), forward and
// backward, with padding masks and attention dropout, for any T up to the models' 512 positions.
//
// Algorithm. `probs` [B, NH, T, T] must be written in full anyway (the backward pass reads it), so
// no online-softmax (flash) formulation is needed: each query row's scores go straight into its
// row of `probs`, are turned into probabilities there, and are then multiplied with v.
//   Forward, grid (ceil(T / 8), NH, B), 8 warps per block, one query row per warp:
//   (1) scores: key tiles of 32 keys x HS are staged in shared memory (row stride HS | 1, odd,
//       so lanes reading different keys hit different banks); lane l computes the score of key
//       j0 + l as a dot product of HS terms with the warp's q row (also in shared memory) and
//       writes scale * (q . k) into probs;
//   (2) softmax over the row by warp shuffles (max, then sum of exp), p = e * (1 / sum), as cpu::;
//   (3) out: value tiles of 32 keys x HS in shared memory; each lane writes the dropped
//       probability of one key of the tile (dropout_keep over the [B, NH, T, T] element index,
//       the CPU's mask exactly) to shared memory, then each lane accumulates output features
//       e = lane, lane + 32, ... (at most kMaxE per lane, a template parameter) over the tile.
//   Backward, two kernels with the same structure:
//   (a) per query row i (warp per row): dp_ij = keep sd (dout_i . v_j) over value tiles, written
//       to `dprobs`; c_i = sum_j p_ij dp_ij by shuffles; ds_ij = p_ij (dp_ij - c_i) in place in
//       `dprobs`; then dq_i = scale sum_j ds_ij k_j over key tiles;
//   (b) per key row j (warp per key): dv_j = sum_i d_ij dout_i and dk_j = scale sum_i ds_ij q_i
//       over query tiles of dout and q, reading column j of probs and dprobs.
// Every element of dqkv is written (assigned). No atomics: identical bits on every run.
//
// Padding, as cpu:: does it: keys after the last real key of a sequence (right padding) are not
// computed at all (their probability is written as 0 and no tile covers them), padded keys
// inside that range get p = 0 exactly; a sequence with no real key is uniform over all T keys
// and passes no gradient to q and k (ref/attention_math.h). Every query row is computed.
//
// Sliding window (the *_window entry points, kernels/attention.h): with window w > 0 every key
// tile is computed (n_keys = T) and a key outside |i - j| <= w is treated like a padded key; a
// query row with no allowed key is uniform (its row maximum stays -inf) and gets ds = 0.
//
// Limits: any T (the work is tiled; T <= 512 is what the models need), head size HS <= 768
// (register accumulators per lane and shared tiles; the models have HS = 32 or 64). Larger HS
// throws Error. Shared memory per block: forward and backward (a) (8 HS + 32 (HS|1) + 256)
// floats, (b) (2 * 32 (HS|1) + 512) floats: 11 KiB and 18 KiB for HS = 64; more than the default
// 48 KiB only for HS > 256, which is then requested with cudaFuncSetAttribute.
//
// Precision: fp32 in both Exec precisions (the products here are custom kernels, not GEMMs, and
// their inputs are the fp32 qkv and probs). The bounds are cpu::'s (dot products of HS terms,
// softmax, sums over T keys; tests/cuda_kernels/attention_test.cpp). expf is within 2 ulp.
//
// Dimension legend: B batch, T tokens, C hidden, NH heads, HS = C / NH head size.
// qkv rows hold [q | k | v], each C wide, head h in columns h*HS .. h*HS+HS-1 of its part.
#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "core/error.h"
#include "kernels/attention.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/context.h"
#include "kernels/dropout.h"

namespace finetune::kernels::cuda {
namespace {

constexpr int kRows = 8;      // warps per block: query rows (forward, (a)) or keys ((b))
constexpr int kTile = kWarp;  // keys (or queries) per shared-memory tile
constexpr int kThreads = kRows * kWarp;
constexpr int kMaxHeadSize = 768;

// Shared memory layout helpers (floats).
__host__ __device__ inline int tile_stride(int HS) {
  return HS | 1;
}
size_t row_kernel_smem(int HS) {  // forward and backward (a)
  return sizeof(float) * (size_t(kRows) * HS + size_t(kTile) * tile_stride(HS) + kRows * kTile);
}
size_t key_kernel_smem(int HS) {  // backward (b)
  return sizeof(float) * (2 * size_t(kTile) * tile_stride(HS) + 2 * kRows * kTile);
}

// Whether query i may attend to key j (real, and inside the window when there is one).
__device__ inline bool key_allowed(const int32_t* m, int i, int j, int window) {
  return m[j] != 0 && (window <= 0 || abs(i - j) <= window);
}

// Last real key + 1 of sequence b (0 when it has none), computed by the whole block.
__device__ int count_keys(const int32_t* mask,  // [T] of this sequence
                          int T) {
  __shared__ int n_keys;
  if (threadIdx.x == 0) n_keys = 0;
  __syncthreads();
  int local = 0;
  for (int j = threadIdx.x; j < T; j += blockDim.x) {
    if (mask[j] != 0) local = j + 1;
  }
  if (local > 0) atomicMax(&n_keys, local);  // integer: the result is order-independent
  __syncthreads();
  return n_keys;
}

// tile[r, e] = rows[first + r, e] for r < 32 and first + r < limit, else 0 (whole block).
__device__ void load_tile(float* tile,        // [kTile, stride] shared
                          const float* rows,  // [T, HS], row stride row_stride
                          int64_t row_stride, int first, int limit, int HS, int stride) {
  for (int idx = threadIdx.x; idx < kTile * HS; idx += blockDim.x) {
    const int r = idx / HS, e = idx % HS;
    const int j = first + r;
    tile[r * stride + e] = j < limit ? rows[int64_t{j} * row_stride + e] : 0.0f;
  }
}

// rows_s[w, e] = rows[first + w, e] for the block's kRows rows (0 past T) (whole block).
__device__ void load_rows(float* rows_s,      // [kRows, HS] shared
                          const float* rows,  // [T, HS], row stride row_stride
                          int64_t row_stride, int first, int T, int HS) {
  for (int idx = threadIdx.x; idx < kRows * HS; idx += blockDim.x) {
    const int r = idx / HS, e = idx % HS;
    const int i = first + r;
    rows_s[idx] = i < T ? rows[int64_t{i} * row_stride + e] : 0.0f;
  }
}

template <int kMaxE>
__global__ void __launch_bounds__(kThreads)
    attention_forward_kernel(float* __restrict__ out,           // [B, T, C]
                             float* __restrict__ probs,         // [B, NH, T, T]
                             const float* __restrict__ qkv,     // [B, T, 3C]
                             const int32_t* __restrict__ mask,  // [B, T]
                             int T, int C, int NH, DropoutSpec dropout, float scale,
                             float drop_scale, int window) {
  dropout = resolve_dropout(dropout);
  extern __shared__ float smem[];
  const int HS = C / NH, stride = tile_stride(HS);
  float* q_s = smem;                   // [kRows, HS] the block's query rows
  float* tile = q_s + kRows * HS;      // [kTile, stride] keys, then values
  float* d_s = tile + kTile * stride;  // [kRows, kTile] dropped probabilities of a tile
  const int b = blockIdx.z, h = blockIdx.y;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int i = blockIdx.x * kRows + warp;  // this warp's query row
  const bool active = i < T;                // warp-uniform

  const int32_t* m = mask + int64_t{b} * T;  // [T]
  const int key_count = count_keys(m, T);
  const bool any_key = key_count > 0;
  // No real key: uniform over all T keys. With a window every key tile is computed.
  const int n_keys = any_key && window <= 0 ? key_count : T;

  const int64_t row_stride = 3 * int64_t{C};
  const float* q = qkv + int64_t{b} * T * row_stride + int64_t{h} * HS;  // [T, HS], stride 3C
  const float* k = q + C;                                                // [T, HS], stride 3C
  const float* v = q + 2 * int64_t{C};                                   // [T, HS], stride 3C
  const int64_t prow_index = ((int64_t{b} * NH + h) * T + (active ? i : 0)) * T;
  float* prow = probs + prow_index;  // [T] this warp's row of probs

  load_rows(q_s, q, row_stride, blockIdx.x * kRows, T, HS);

  // (1) scores of the real keys, and the row maximum.
  float row_max = -INFINITY;
  if (any_key) {
    for (int j0 = 0; j0 < n_keys; j0 += kTile) {
      __syncthreads();  // q_s loaded; the previous tile consumed
      load_tile(tile, k, row_stride, j0, n_keys, HS, stride);
      __syncthreads();
      const int j = j0 + lane;
      if (active && j < n_keys && key_allowed(m, i, j, window)) {
        const float* qr = q_s + warp * HS;
        const float* kr = tile + lane * stride;
        float dot = 0.0f;
        for (int e = 0; e < HS; ++e) dot += qr[e] * kr[e];
        const float s = scale * dot;
        prow[j] = s;  // re-read below by this same lane only
        row_max = fmaxf(row_max, s);
      }
    }
  }

  // (2) softmax in place; keys from n_keys on (and padded keys) get exactly 0.
  if (active) {
    row_max = warp_max(row_max);  // -inf: no allowed key in the row
    if (row_max > -INFINITY) {
      float sum = 0.0f;
      for (int j = lane; j < n_keys; j += kWarp) {
        const float e = key_allowed(m, i, j, window) ? expf(prow[j] - row_max) : 0.0f;
        prow[j] = e;
        sum += e;
      }
      const float inv = 1.0f / warp_sum(sum);  // sum >= 1: the maximum's own term is exp(0)
      for (int j = lane; j < T; j += kWarp) prow[j] = j < n_keys ? prow[j] * inv : 0.0f;
    } else {
      const float uniform = 1.0f / static_cast<float>(T);
      for (int j = lane; j < T; j += kWarp) prow[j] = uniform;
    }
  }

  // (3) out_i = sum_j d_ij v_j over the keys [0, n_keys).
  float acc[kMaxE];
#pragma unroll
  for (int r = 0; r < kMaxE; ++r) acc[r] = 0.0f;
  for (int j0 = 0; j0 < n_keys; j0 += kTile) {
    __syncthreads();  // the previous tile and d_s consumed
    load_tile(tile, v, row_stride, j0, n_keys, HS, stride);
    if (active) {
      const int j = j0 + lane;
      float d = 0.0f;
      if (j < n_keys) {
        d = prow[j];             // written by this lane in (2)
        if (dropout.p > 0.0f) {  // DropoutSpec::active(), which is host-only
          d = dropout_keep(dropout, static_cast<uint64_t>(prow_index + j)) ? d * drop_scale : 0.0f;
        }
      }
      d_s[warp * kTile + lane] = d;
    }
    __syncthreads();
    if (active) {
      const int width = min(kTile, n_keys - j0);
      const float* dw = d_s + warp * kTile;
#pragma unroll
      for (int r = 0; r < kMaxE; ++r) {
        const int e = lane + r * kWarp;
        if (e < HS) {
          float a = acc[r];
          for (int l = 0; l < width; ++l) a += dw[l] * tile[l * stride + e];
          acc[r] = a;
        }
      }
    }
  }
  if (active) {
    float* o = out + (int64_t{b} * T + i) * C + int64_t{h} * HS;  // [HS]
#pragma unroll
    for (int r = 0; r < kMaxE; ++r) {
      const int e = lane + r * kWarp;
      if (e < HS) o[e] = acc[r];
    }
  }
}

// Backward (a): ds into dprobs and dq, one warp per query row.
template <int kMaxE>
__global__ void __launch_bounds__(kThreads)
    attention_backward_rows_kernel(float* __restrict__ dqkv,          // [B, T, 3C]
                                   float* __restrict__ dprobs,        // [B, NH, T, T]
                                   const float* __restrict__ dout,    // [B, T, C]
                                   const float* __restrict__ qkv,     // [B, T, 3C]
                                   const float* __restrict__ probs,   // [B, NH, T, T]
                                   const int32_t* __restrict__ mask,  // [B, T]
                                   int T, int C, int NH, DropoutSpec dropout, float scale,
                                   float drop_scale, int window) {
  dropout = resolve_dropout(dropout);
  extern __shared__ float smem[];
  const int HS = C / NH, stride = tile_stride(HS);
  float* dy_s = smem;                   // [kRows, HS] the block's dout rows
  float* tile = dy_s + kRows * HS;      // [kTile, stride] values, then keys
  float* ds_s = tile + kTile * stride;  // [kRows, kTile] ds of a tile
  const int b = blockIdx.z, h = blockIdx.y;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int i = blockIdx.x * kRows + warp;
  const bool active = i < T;

  const int32_t* m = mask + int64_t{b} * T;
  const int key_count = count_keys(m, T);
  const bool any_key = key_count > 0;
  const int n_keys = any_key && window <= 0 ? key_count : T;
  // Whether this warp's row has an allowed key (with a window a padded row may have none).
  bool row_live = false;
  if (active) {
    for (int j = lane; j < n_keys && !row_live; j += kWarp) row_live = key_allowed(m, i, j, window);
    row_live = __any_sync(0xffffffffu, row_live);
  }

  const int64_t row_stride = 3 * int64_t{C};
  const float* k = qkv + int64_t{b} * T * row_stride + C + int64_t{h} * HS;  // [T, HS]
  const float* v = k + C;                                                    // [T, HS]
  const int64_t prow_index = ((int64_t{b} * NH + h) * T + (active ? i : 0)) * T;
  const float* prow = probs + prow_index;                                                 // [T]
  float* dsrow = dprobs + prow_index;                                                     // [T]
  float* dq = dqkv + (int64_t{b} * T + (active ? i : 0)) * row_stride + int64_t{h} * HS;  // [HS]

  if (!any_key) {  // uniform rows do not depend on q or k: ds = 0, dq = 0
    if (active) {
      for (int j = lane; j < T; j += kWarp) dsrow[j] = 0.0f;
      for (int e = lane; e < HS; e += kWarp) dq[e] = 0.0f;
    }
    return;  // block-uniform
  }

  load_rows(dy_s, dout + int64_t{b} * T * C + int64_t{h} * HS, C, blockIdx.x * kRows, T, HS);

  // dp_ij = keep sd (dout_i . v_j), and c_i = sum_j p_ij dp_ij.
  float c_part = 0.0f;
  for (int j0 = 0; j0 < n_keys; j0 += kTile) {
    __syncthreads();
    load_tile(tile, v, row_stride, j0, n_keys, HS, stride);
    __syncthreads();
    const int j = j0 + lane;
    if (active && j < n_keys) {
      const float* dyr = dy_s + warp * HS;
      const float* vr = tile + lane * stride;
      float dd = 0.0f;
      for (int e = 0; e < HS; ++e) dd += dyr[e] * vr[e];
      float dp = dd;
      if (dropout.p > 0.0f) {  // DropoutSpec::active(), which is host-only
        dp = dropout_keep(dropout, static_cast<uint64_t>(prow_index + j)) ? dd * drop_scale : 0.0f;
      }
      dsrow[j] = dp;  // re-read below by this same lane only
      c_part += prow[j] * dp;
    }
  }
  // ds_ij = p_ij (dp_ij - c_i) in place; 0 from n_keys on.
  if (active) {
    const float c = warp_sum(c_part);
    for (int j = lane; j < T; j += kWarp) {
      dsrow[j] = row_live && j < n_keys ? prow[j] * (dsrow[j] - c) : 0.0f;
    }
  }

  // dq_i = scale sum_j ds_ij k_j.
  float acc[kMaxE];
#pragma unroll
  for (int r = 0; r < kMaxE; ++r) acc[r] = 0.0f;
  for (int j0 = 0; j0 < n_keys; j0 += kTile) {
    __syncthreads();
    load_tile(tile, k, row_stride, j0, n_keys, HS, stride);
    if (active) {
      const int j = j0 + lane;
      ds_s[warp * kTile + lane] = j < n_keys ? dsrow[j] : 0.0f;  // written by this lane above
    }
    __syncthreads();
    if (active) {
      const int width = min(kTile, n_keys - j0);
      const float* dw = ds_s + warp * kTile;
#pragma unroll
      for (int r = 0; r < kMaxE; ++r) {
        const int e = lane + r * kWarp;
        if (e < HS) {
          float a = acc[r];
          for (int l = 0; l < width; ++l) a += dw[l] * tile[l * stride + e];
          acc[r] = a;
        }
      }
    }
  }
  if (active) {
#pragma unroll
    for (int r = 0; r < kMaxE; ++r) {
      const int e = lane + r * kWarp;
      if (e < HS) dq[e] = scale * acc[r];
    }
  }
}

// Backward (b): dv and dk, one warp per key row, reading column j of probs and dprobs.
template <int kMaxE>
__global__ void __launch_bounds__(kThreads)
    attention_backward_keys_kernel(float* __restrict__ dqkv,          // [B, T, 3C]
                                   const float* __restrict__ dprobs,  // [B, NH, T, T] ds
                                   const float* __restrict__ dout,    // [B, T, C]
                                   const float* __restrict__ qkv,     // [B, T, 3C]
                                   const float* __restrict__ probs,   // [B, NH, T, T]
                                   const int32_t* __restrict__ mask,  // [B, T]
                                   int T, int C, int NH, DropoutSpec dropout, float scale,
                                   float drop_scale, int window) {
  dropout = resolve_dropout(dropout);
  extern __shared__ float smem[];
  const int HS = C / NH, stride = tile_stride(HS);
  float* dy_tile = smem;                     // [kTile, stride] dout rows of a query tile
  float* q_tile = dy_tile + kTile * stride;  // [kTile, stride] q rows of a query tile
  float* d_s = q_tile + kTile * stride;      // [kRows, kTile] dropped probabilities
  float* ds_s = d_s + kRows * kTile;         // [kRows, kTile] ds
  const int b = blockIdx.z, h = blockIdx.y;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int j = blockIdx.x * kRows + warp;  // this warp's key
  const bool active = j < T;

  const int32_t* m = mask + int64_t{b} * T;
  const int key_count = count_keys(m, T);
  const bool any_key = key_count > 0;
  const int n_keys = any_key && window <= 0 ? key_count : T;
  const bool live = j < n_keys;  // keys from n_keys on get no gradient

  const int64_t row_stride = 3 * int64_t{C};
  const float* q = qkv + int64_t{b} * T * row_stride + int64_t{h} * HS;  // [T, HS], stride 3C
  const float* dy = dout + int64_t{b} * T * C + int64_t{h} * HS;         // [T, HS], stride C
  const int64_t pair_index = (int64_t{b} * NH + h) * T * T;              // element (b, h, 0, 0)
  float* dk = dqkv + (int64_t{b} * T + (active ? j : 0)) * row_stride + C + int64_t{h} * HS;
  float* dv = dk + C;

  float acc_v[kMaxE], acc_k[kMaxE];
#pragma unroll
  for (int r = 0; r < kMaxE; ++r) acc_v[r] = acc_k[r] = 0.0f;
  if (blockIdx.x * kRows < n_keys) {  // block-uniform: some key of the block is live
    for (int i0 = 0; i0 < T; i0 += kTile) {
      __syncthreads();
      load_tile(dy_tile, dy, C, i0, T, HS, stride);
      load_tile(q_tile, q, row_stride, i0, T, HS, stride);
      if (active) {
        const int i = i0 + lane;
        float d = 0.0f, ds = 0.0f;
        if (live && i < T) {
          const int64_t index = pair_index + int64_t{i} * T + j;
          d = probs[index];
          if (dropout.p > 0.0f) {  // DropoutSpec::active(), which is host-only
            d = dropout_keep(dropout, static_cast<uint64_t>(index)) ? d * drop_scale : 0.0f;
          }
          if (any_key) ds = dprobs[index];
        }
        d_s[warp * kTile + lane] = d;
        ds_s[warp * kTile + lane] = ds;
      }
      __syncthreads();
      if (active && live) {
        const int width = min(kTile, T - i0);
        const float* dw = d_s + warp * kTile;
        const float* sw = ds_s + warp * kTile;
#pragma unroll
        for (int r = 0; r < kMaxE; ++r) {
          const int e = lane + r * kWarp;
          if (e < HS) {
            float av = acc_v[r], ak = acc_k[r];
            for (int l = 0; l < width; ++l) {
              av += dw[l] * dy_tile[l * stride + e];
              ak += sw[l] * q_tile[l * stride + e];
            }
            acc_v[r] = av;
            acc_k[r] = ak;
          }
        }
      }
    }
  }
  if (active) {
#pragma unroll
    for (int r = 0; r < kMaxE; ++r) {
      const int e = lane + r * kWarp;
      if (e < HS) {
        dv[e] = acc_v[r];
        dk[e] = scale * acc_k[r];
      }
    }
  }
}

// Calls f(std::integral_constant<int, kMaxE>) with the smallest instantiated kMaxE >= HS / 32.
template <typename F>
void with_max_e(int HS, F&& f) {
  if (HS <= 32) {
    f(std::integral_constant<int, 1>{});
  } else if (HS <= 64) {
    f(std::integral_constant<int, 2>{});
  } else if (HS <= 128) {
    f(std::integral_constant<int, 4>{});
  } else if (HS <= 256) {
    f(std::integral_constant<int, 8>{});
  } else {
    f(std::integral_constant<int, kMaxHeadSize / kWarp>{});
  }
}

// Allows `bytes` of dynamic shared memory for `kernel` when it comes near the default 48 KiB
// (static and dynamic shared memory together must stay below it without the opt-in).
template <typename Kernel>
void allow_smem(Kernel kernel, size_t bytes) {
  if (bytes > 40 * 1024) {  // static shared memory counts towards the 48 KiB too
    CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    static_cast<int>(bytes)));
  }
}

void check_shapes(const char* op, int B, int T, int C, int NH) {
  FT_CHECK(NH > 0 && C % NH == 0, op, ": hidden size ", C, " is not a multiple of the head count ",
           NH);
  FT_CHECK(NH <= 65535 && B <= 65535, op, ": B = ", B, " or NH = ", NH, " exceeds the grid limit");
  if (C / NH > kMaxHeadSize) {
    throw Error(cat(op, ": attention head size ", C / NH, " (hidden ", C, " / ", NH,
                    " heads) is larger than the CUDA kernels support (", kMaxHeadSize,
                    "); use --device cpu"));
  }
}

}  // namespace

void attention_forward(const Exec& ex,
                       float* out,           // [B, T, C]
                       float* probs,         // [B, NH, T, T]
                       const float* qkv,     // [B, T, 3C]
                       const int32_t* mask,  // [B, T], 1 = real token, 0 = padding
                       int B, int T, int C, int NH, DropoutSpec dropout) {
  attention_forward_window(ex, out, probs, qkv, mask, B, T, C, NH, dropout, 0);
}

void attention_forward_window(const Exec& ex, float* out, float* probs, const float* qkv,
                              const int32_t* mask, int B, int T, int C, int NH,
                              DropoutSpec dropout, int window) {
  CudaContext& ctx = context(ex, "attention_forward");
  check_shapes("attention_forward", B, T, C, NH);
  if (B <= 0 || T <= 0 || C <= 0) return;
  const int HS = C / NH;
  const float scale = 1.0f / sqrtf(static_cast<float>(HS));  // as cpu::
  const float drop_scale = dropout.active() ? dropout_scale_f(dropout) : 1.0f;
  const dim3 grid((T + kRows - 1) / kRows, NH, B);
  const size_t smem = row_kernel_smem(HS);
  with_max_e(HS, [&](auto max_e) {
    auto kernel = attention_forward_kernel<decltype(max_e)::value>;
    allow_smem(kernel, smem);
    kernel<<<grid, kThreads, smem, ctx.stream>>>(out, probs, qkv, mask, T, C, NH, dropout, scale,
                                                 drop_scale, window);
    CUDA_CHECK_LAUNCH();
  });
}

void attention_backward(const Exec& ex,
                        float* dqkv,          // [B, T, 3C]
                        float* dprobs,        // [B, NH, T, T] scratch
                        const float* dout,    // [B, T, C]
                        const float* qkv,     // [B, T, 3C]
                        const float* probs,   // [B, NH, T, T] saved by the forward
                        const int32_t* mask,  // [B, T]
                        int B, int T, int C, int NH, DropoutSpec dropout) {
  attention_backward_window(ex, dqkv, dprobs, dout, qkv, probs, mask, B, T, C, NH, dropout, 0);
}

void attention_backward_window(const Exec& ex, float* dqkv, float* dprobs, const float* dout,
                               const float* qkv, const float* probs, const int32_t* mask, int B,
                               int T, int C, int NH, DropoutSpec dropout, int window) {
  CudaContext& ctx = context(ex, "attention_backward");
  check_shapes("attention_backward", B, T, C, NH);
  if (B <= 0 || T <= 0 || C <= 0) return;
  const int HS = C / NH;
  const float scale = 1.0f / sqrtf(static_cast<float>(HS));
  const float drop_scale = dropout.active() ? dropout_scale_f(dropout) : 1.0f;
  const dim3 grid((T + kRows - 1) / kRows, NH, B);
  with_max_e(HS, [&](auto max_e) {
    constexpr int kMaxE = decltype(max_e)::value;
    const size_t smem_rows = row_kernel_smem(HS);
    auto rows_kernel = attention_backward_rows_kernel<kMaxE>;
    allow_smem(rows_kernel, smem_rows);
    rows_kernel<<<grid, kThreads, smem_rows, ctx.stream>>>(dqkv, dprobs, dout, qkv, probs, mask, T,
                                                           C, NH, dropout, scale, drop_scale, window);
    CUDA_CHECK_LAUNCH();
    const size_t smem_keys = key_kernel_smem(HS);
    auto keys_kernel = attention_backward_keys_kernel<kMaxE>;
    allow_smem(keys_kernel, smem_keys);
    keys_kernel<<<grid, kThreads, smem_keys, ctx.stream>>>(dqkv, dprobs, dout, qkv, probs, mask, T,
                                                           C, NH, dropout, scale, drop_scale,
                                                           window);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace finetune::kernels::cuda
