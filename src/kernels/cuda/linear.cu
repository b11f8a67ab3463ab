// CUDA linear layer (torch.nn.Linear, spec in ref/linear_math.h): forward and backward as
// cuBLASLt matrix products, plus the small kernels around them (bf16 conversion, bias fallback,
// the bias-gradient column sums) and the cache of cuBLASLt plans.
//
// Layout trick. cuBLASLt is column-major; our matrices are row-major, and a row-major [R, K]
// matrix is the same memory as a column-major [K, R] one (its transpose). So every product is
// written for the transposes (D^T = B^T A^T) and no data moves:
//   forward   out^T [OC, N]  = W (col-major [IC, OC], op T) x in^T (col-major [IC, N])   TN
//   din       din^T [IC, N]  = W^T (col-major [IC, OC])     x dout^T (col-major [OC, N]) NN
//   dweight   dW^T [IC, OC] += in^T (col-major [IC, N])     x dout (col-major [OC, N], op T) NT
// with m, n, k = (OC, N, IC), (IC, N, OC), (IC, OC, N). dweight accumulates with beta = 1 and
// C = D = dweight (in-place accumulation is allowed when C and D have one layout). The bias is the
// BIAS epilogue (a vector over D's rows = OC, broadcast over the N columns), in fp32.
//
// Precision (Exec::precision, core/exec.h):
// - Fp32: A, B, C, D are CUDA_R_32F with CUBLAS_COMPUTE_32F, which is true fp32 arithmetic (no
//   TF32: that would need CUBLAS_COMPUTE_32F_FAST_TF32). Error as a dot product of K fp32 terms,
//   the same bound as the cpu sgemm: 2 sqrt(K+1) eps32 sum|a b| (tests/cuda_kernels/).
// - Bf16: A and B are rounded to bf16 (round to nearest even, __float2bfloat16_rn), multiplied on
//   tensor cores with fp32 accumulation, C and D stay fp32 (so dweight accumulates in fp32 and
//   the bias is added in fp32). Each input carries a relative rounding error <= 2^-8, a product
//   <= 2^-7 + 2^-16, so the result is within (2^-7 + 2^-16 + 2 sqrt(K+1) eps32) sum|a b| of the
//   exact value. The bf16 operands come from one of two places, with identical bits:
//   - converted on every call into the context's scratch (the default: the kernel API stays
//     float-only, the fp32 master the single source of truth); one launch per operand, or one for
//     all operands of the call while a weight copy is registered;
//   - for weights, a bf16 copy of the whole parameter buffer registered with set_bf16_weights
//     (kernels/device.h), which the trainer keeps current by having the Adam kernel write it
//     (AdamParams::bf16_params). That saves converting every weight twice per training step
//     (forward and backward: ~6 bytes moved per weight each time, ~0.5 GB per DistilBERT step)
//     for 2 bytes written per weight by the optimizer.
//
// Scratch: bf16 copies of the operands of one call, 256-byte aligned each: forward
// 2 (OC IC + N IC) bytes, backward 2 (OC IC + N OC + N IC) bytes (about 4.4 MiB for a 768 x 3072
// layer at N = 176 tokens). Grow-only (context.h).
//
// Plans: creating cuBLASLt descriptors and asking its heuristic costs tens of microseconds, so
// the descriptors and the chosen algorithm are cached per context, keyed by everything the choice
// depends on (transposes, m, n, k, leading dimensions, input type, epilogue, pointer alignments).
// If cuBLASLt offers no algorithm with the BIAS epilogue (or the bias pointer is not 16-byte
// aligned), the product runs without it and a bias kernel adds the bias; if it offers none at all,
// a simple tiled GEMM kernel (below) computes the product, so every shape works.
//
// dbias: column sums of dout by a fixed-shape kernel (32 columns x 8 row-lanes per block, lanes
// combined in a fixed order), deterministic, accumulated into dbias. (cuBLASLt's BGRADB epilogue
// would overwrite dbias instead of accumulating into it.)
//
// Determinism: each shape gets one cuBLASLt algorithm per context (the cached plan), and cuBLAS
// documents bit-wise reproducible results run to run for a given algorithm on GPUs of one
// architecture and SM count with one library version (its split-K reductions are ordered, not
// atomic); the kernels here have no atomics. Results may differ between GPU models or cuBLAS
// versions.
//
// Dimension legend: N rows, IC input features, OC output features.
#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <unordered_map>

#include "core/error.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/context.h"
#include "kernels/linear.h"

namespace finetune::kernels::cuda {

namespace {

// ---------------------------------------------------------------------------------------------
// Small kernels.

// Up to three fp32 arrays converted to bf16 (round to nearest even) in one launch: the operands
// of one product, which are small at fine-tuning sizes, so one launch instead of three matters
// more than the per-element segment test.
struct Bf16Segments {
  const float* in[3];
  __nv_bfloat16* out[3];
  int64_t n[3];  // 0 for an unused segment
};

__global__ void to_bf16_kernel(Bf16Segments segments) {
  const int64_t n0 = segments.n[0], n01 = n0 + segments.n[1], total = n01 + segments.n[2];
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int s = i < n0 ? 0 : i < n01 ? 1 : 2;
    const int64_t j = i - (s == 0 ? 0 : s == 1 ? n0 : n01);
    segments.out[s][j] = __float2bfloat16_rn(segments.in[s][j]);
  }
}

// out[r, c] += bias[c] (or = bias[c] when `assign`), for the bias fallback.
__global__ void add_bias_kernel(float* __restrict__ out,         // [rows, cols]
                                const float* __restrict__ bias,  // [cols]
                                int64_t rows, int cols, bool assign) {
  const int64_t n = rows * cols;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const float b = bias[i % cols];
    out[i] = assign ? b : out[i] + b;
  }
}

// dbias[c] += sum_r dout[r, c]: block (32 columns, 8 row-lanes); lane y sums rows y, y + 8, ...
// in order, then the 8 lane sums are added in lane order. Fixed shape: deterministic.
constexpr int kColLanes = 8;
__global__ void column_sum_kernel(float* __restrict__ dbias,       // [cols]
                                  const float* __restrict__ dout,  // [rows, cols]
                                  int rows, int cols) {
  __shared__ float partial[kColLanes][kWarp];
  const int col = blockIdx.x * kWarp + threadIdx.x;
  float acc = 0.0f;
  if (col < cols) {
    for (int r = threadIdx.y; r < rows; r += kColLanes) acc += dout[int64_t{r} * cols + col];
  }
  partial[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && col < cols) {
    float total = partial[0][threadIdx.x];
    for (int y = 1; y < kColLanes; ++y) total += partial[y][threadIdx.x];
    dbias[col] += total;
  }
}

// The fallback product, column-major like cuBLASLt: D = alpha op(A) op(B) + beta D, with
// op(A) [m, k], op(B) [k, n]. 16 x 16 output tiles, k in steps of 16 through shared memory.
constexpr int kTile = 16;
template <typename In>
__global__ void fallback_gemm_kernel(float* __restrict__ D,     // [m, n] col-major, ldd
                                     const In* __restrict__ A,  // op(A) [m, k] col-major, lda
                                     const In* __restrict__ B,  // op(B) [k, n] col-major, ldb
                                     bool transa, bool transb, int m, int n, int k, int64_t lda,
                                     int64_t ldb, int64_t ldd, float alpha, float beta) {
  __shared__ float a_tile[kTile][kTile + 1];       // [row i][l]
  __shared__ float b_tile[kTile][kTile + 1];       // [l][col j]
  const int i = blockIdx.x * kTile + threadIdx.x;  // row of D
  const int j = blockIdx.y * kTile + threadIdx.y;  // column of D
  float acc = 0.0f;
  for (int l0 = 0; l0 < k; l0 += kTile) {
    // a_tile[x][y] = op(A)(row blockIdx.x*16 + x, l0 + y); b_tile[x][y] = op(B)(l0 + x, col ..+y)
    {
      const int r = blockIdx.x * kTile + threadIdx.x, l = l0 + threadIdx.y;
      float value = 0.0f;
      if (r < m && l < k) {
        value = static_cast<float>(transa ? A[l + r * lda] : A[r + l * lda]);
      }
      a_tile[threadIdx.x][threadIdx.y] = value;
    }
    {
      const int l = l0 + threadIdx.x, c = blockIdx.y * kTile + threadIdx.y;
      float value = 0.0f;
      if (l < k && c < n) {
        value = static_cast<float>(transb ? B[c + l * ldb] : B[l + c * ldb]);
      }
      b_tile[threadIdx.x][threadIdx.y] = value;
    }
    __syncthreads();
    for (int l = 0; l < kTile; ++l) acc += a_tile[threadIdx.x][l] * b_tile[l][threadIdx.y];
    __syncthreads();
  }
  if (i < m && j < n) {
    float* d = D + i + j * ldd;
    *d = beta == 0.0f ? alpha * acc : alpha * acc + beta * *d;
  }
}

void to_bf16(cudaStream_t stream, const Bf16Segments& segments) {
  const int64_t total = segments.n[0] + segments.n[1] + segments.n[2];
  if (total <= 0) return;
  to_bf16_kernel<<<blocks_for(total, 256, 4096), 256, 0, stream>>>(segments);
  CUDA_CHECK_LAUNCH();
}

void add_bias(cudaStream_t stream, float* out, const float* bias, int64_t rows, int cols,
              bool assign) {
  add_bias_kernel<<<blocks_for(rows * cols, 256, 4096), 256, 0, stream>>>(out, bias, rows, cols,
                                                                          assign);
  CUDA_CHECK_LAUNCH();
}

// Largest power of two (up to 256) dividing the address: what cuBLASLt may assume about it.
uint32_t alignment_of(const void* pointer) {
  const auto address = reinterpret_cast<uintptr_t>(pointer);
  uint32_t align = 256;
  while (align > 1 && address % align != 0) align /= 2;
  return align;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// cuBLASLt plans.

struct GemmKey {
  bool transa, transb;
  int m, n, k;
  int64_t lda, ldb, ldc;
  bool bf16;
  bool bias;
  uint32_t align_a, align_b, align_c;

  bool operator==(const GemmKey& o) const {
    return transa == o.transa && transb == o.transb && m == o.m && n == o.n && k == o.k &&
           lda == o.lda && ldb == o.ldb && ldc == o.ldc && bf16 == o.bf16 && bias == o.bias &&
           align_a == o.align_a && align_b == o.align_b && align_c == o.align_c;
  }
};

struct GemmKeyHash {
  size_t operator()(const GemmKey& key) const {
    uint64_t h = 1469598103934665603ull;
    const auto mix = [&h](uint64_t v) { h = (h ^ v) * 1099511628211ull; };
    mix(key.transa);
    mix(key.transb);
    mix(static_cast<uint64_t>(key.m));
    mix(static_cast<uint64_t>(key.n));
    mix(static_cast<uint64_t>(key.k));
    mix(static_cast<uint64_t>(key.lda));
    mix(static_cast<uint64_t>(key.ldb));
    mix(static_cast<uint64_t>(key.ldc));
    mix(key.bf16);
    mix(key.bias);
    mix(key.align_a);
    mix(key.align_b);
    mix(key.align_c);
    return static_cast<size_t>(h);
  }
};

struct GemmPlan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool has_algo = false;       // false: use fallback_gemm_kernel
  bool bias_epilogue = false;  // the plan adds the bias itself
};

struct GemmCache {
  std::unordered_map<GemmKey, GemmPlan, GemmKeyHash> plans;
};

namespace {

void destroy_plan(GemmPlan& plan) {
  if (plan.desc != nullptr) cublasLtMatmulDescDestroy(plan.desc);
  if (plan.a != nullptr) cublasLtMatrixLayoutDestroy(plan.a);
  if (plan.b != nullptr) cublasLtMatrixLayoutDestroy(plan.b);
  if (plan.c != nullptr) cublasLtMatrixLayoutDestroy(plan.c);
  plan = GemmPlan{};
}

// Descriptors for `key` and, when cuBLASLt has one, its preferred algorithm; `with_bias` asks for
// the BIAS epilogue. Returns a plan with has_algo = false when no algorithm fits.
GemmPlan make_plan(CudaContext& ctx, const GemmKey& key, bool with_bias) {
  GemmPlan plan;
  try {
    const cudaDataType_t in_type = key.bf16 ? CUDA_R_16BF : CUDA_R_32F;
    CUBLAS_CHECK(cublasLtMatmulDescCreate(&plan.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
    const cublasOperation_t ta = key.transa ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t tb = key.transb ? CUBLAS_OP_T : CUBLAS_OP_N;
    CUBLAS_CHECK(
        cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)));
    CUBLAS_CHECK(
        cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)));
    if (with_bias) {
      const cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_BIAS;
      CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_EPILOGUE,
                                                  &epilogue, sizeof(epilogue)));
      const int32_t bias_type = CUDA_R_32F;
      CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE,
                                                  &bias_type, sizeof(bias_type)));
    }
    // Stored shapes: A is [m, k] (or [k, m] transposed), B is [k, n] (or [n, k]), C/D [m, n].
    const uint64_t a_rows = key.transa ? key.k : key.m, a_cols = key.transa ? key.m : key.k;
    const uint64_t b_rows = key.transb ? key.n : key.k, b_cols = key.transb ? key.k : key.n;
    CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan.a, in_type, a_rows, a_cols, key.lda));
    CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan.b, in_type, b_rows, b_cols, key.ldb));
    CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan.c, CUDA_R_32F, key.m, key.n, key.ldc));

    cublasLtMatmulPreference_t pref = nullptr;
    CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
    cublasLtMatmulHeuristicResult_t result{};
    int returned = 0;
    cublasStatus_t status = CUBLAS_STATUS_SUCCESS;
    {
      const uint64_t workspace = ctx.workspace_bytes;
      status = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                    &workspace, sizeof(workspace));
      const uint32_t aligns[4] = {key.align_a, key.align_b, key.align_c, key.align_c};
      const cublasLtMatmulPreferenceAttributes_t attrs[4] = {
          CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
          CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES};
      for (int i = 0; i < 4 && status == CUBLAS_STATUS_SUCCESS; ++i) {
        status = cublasLtMatmulPreferenceSetAttribute(pref, attrs[i], &aligns[i], sizeof(uint32_t));
      }
      if (status == CUBLAS_STATUS_SUCCESS) {
        status = cublasLtMatmulAlgoGetHeuristic(ctx.lt, plan.desc, plan.a, plan.b, plan.c, plan.c,
                                                pref, 1, &result, &returned);
      }
      cublasLtMatmulPreferenceDestroy(pref);
    }
    // NOT_SUPPORTED (or no result) means "no algorithm for this configuration", not an error.
    if (status != CUBLAS_STATUS_SUCCESS && status != CUBLAS_STATUS_NOT_SUPPORTED) {
      CUBLAS_CHECK(status);
    }
    if (status == CUBLAS_STATUS_SUCCESS && returned > 0 && result.state == CUBLAS_STATUS_SUCCESS) {
      plan.algo = result.algo;
      plan.has_algo = true;
      plan.bias_epilogue = with_bias;
    }
  } catch (...) {
    destroy_plan(plan);
    throw;
  }
  return plan;
}

// The cached plan for `key`: with the BIAS epilogue if asked and possible.
const GemmPlan& get_plan(CudaContext& ctx, const GemmKey& key) {
  auto& plans = ctx.gemm_cache->plans;
  auto found = plans.find(key);
  if (found != plans.end()) return found->second;
  GemmPlan plan = make_plan(ctx, key, key.bias);
  if (key.bias && !plan.has_algo) {
    destroy_plan(plan);
    plan = make_plan(ctx, key, false);
  }
  return plans.emplace(key, plan).first->second;
}

// D = alpha op(A) op(B) + beta D (+ bias over D's rows), column-major; see the header comment.
// A and B are float or (key.bf16) __nv_bfloat16. Returns after queueing the work on the stream.
void gemm(CudaContext& ctx, GemmKey key, const void* A, const void* B, float* D, const float* bias,
          float alpha, float beta) {
  key.align_a = alignment_of(A);
  key.align_b = alignment_of(B);
  key.align_c = alignment_of(D);
  // The BIAS epilogue only with a 16-byte aligned bias vector (cuBLASLt's requirement in
  // practice); otherwise the bias kernel adds it.
  key.bias = bias != nullptr && alignment_of(bias) >= 16;
  const GemmPlan& plan = get_plan(ctx, key);
  if (plan.has_algo) {
    if (plan.bias_epilogue) {
      CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER,
                                                  &bias, sizeof(bias)));
    }
    CUBLAS_CHECK(cublasLtMatmul(ctx.lt, plan.desc, &alpha, A, plan.a, B, plan.b, &beta, D, plan.c,
                                D, plan.c, &plan.algo, ctx.workspace, ctx.workspace_bytes,
                                ctx.stream));
  } else {
    const dim3 block(kTile, kTile);
    const dim3 grid((key.m + kTile - 1) / kTile, (key.n + kTile - 1) / kTile);
    if (key.bf16) {
      fallback_gemm_kernel<<<grid, block, 0, ctx.stream>>>(
          D, static_cast<const __nv_bfloat16*>(A), static_cast<const __nv_bfloat16*>(B), key.transa,
          key.transb, key.m, key.n, key.k, key.lda, key.ldb, key.ldc, alpha, beta);
    } else {
      fallback_gemm_kernel<<<grid, block, 0, ctx.stream>>>(
          D, static_cast<const float*>(A), static_cast<const float*>(B), key.transa, key.transb,
          key.m, key.n, key.k, key.lda, key.ldb, key.ldc, alpha, beta);
    }
    CUDA_CHECK_LAUNCH();
  }
  if (bias != nullptr && !(plan.has_algo && plan.bias_epilogue)) {
    // D is column-major [m, n] with the bias over its m rows: row-major [n, m] + bias[m].
    FT_CHECK(key.ldc == key.m, "gemm: the bias fallback needs a packed D");
    add_bias(ctx.stream, D, bias, key.n, key.m, false);
  }
}

// Operands in the precision of `ex`: the float pointers themselves (Fp32), or bf16 operands
// (Bf16): an operand inside the registered bf16 weight copy (set_bf16_weights) is read from
// there, the others are converted into the context's scratch. `sizes` are the element counts of
// up to three operands.
struct Operands {
  const void* p[3] = {nullptr, nullptr, nullptr};
};

// The registered bf16 copy of `values` [n], or null when they are not all inside the master.
const void* registered_copy(const CudaContext& ctx, const float* values, int64_t n) {
  if (ctx.bf16_master == nullptr) return nullptr;
  // Addresses compared as integers: `values` may lie in another allocation.
  const auto address = reinterpret_cast<uintptr_t>(values);
  const auto master = reinterpret_cast<uintptr_t>(ctx.bf16_master);
  if (address < master || (address - master) % sizeof(float) != 0) return nullptr;
  const auto offset = static_cast<int64_t>((address - master) / sizeof(float));
  if (offset + n > ctx.bf16_count) return nullptr;
  const auto* copy = static_cast<const __nv_bfloat16*>(ctx.bf16_copy) + offset;
  // Only where the copy is 256-byte aligned, as every scratch operand is: cuBLASLt's choice of
  // algorithm depends on operand alignment (GemmKey), and a different algorithm could sum in
  // another order; with equal alignment both paths use the same plan and give the same bits.
  // (In the real models every weight's offset is a multiple of 128 values, so all qualify.)
  if (alignment_of(copy) < 256) return nullptr;
  return copy;
}

Operands prepare(CudaContext& ctx, Precision precision, const float* const (&in)[3],
                 const int64_t (&sizes)[3]) {
  Operands ops;
  if (precision == Precision::Fp32) {
    for (int i = 0; i < 3; ++i) ops.p[i] = in[i];
    return ops;
  }
  bool convert[3] = {false, false, false};
  size_t total = 0;
  for (int i = 0; i < 3; ++i) {
    if (in[i] == nullptr) continue;
    ops.p[i] = registered_copy(ctx, in[i], sizes[i]);
    convert[i] = ops.p[i] == nullptr;
    if (convert[i]) total += align256(sizeof(__nv_bfloat16) * static_cast<size_t>(sizes[i]));
  }
  if (total == 0) return ops;
  auto* base = static_cast<char*>(scratch(ctx, total));
  size_t offset = 0;
  Bf16Segments segments{};
  int used = 0;
  // One launch for all of them where a bf16 weight copy is registered (the experimental GPU
  // speedups; set_bf16_weights), else one launch per operand, as before those were added, until a
  // GPU run has checked the fused launch.
  const bool fuse = ctx.bf16_master != nullptr;
  for (int i = 0; i < 3; ++i) {
    if (!convert[i]) continue;
    auto* copy = reinterpret_cast<__nv_bfloat16*>(base + offset);
    segments.in[used] = in[i];
    segments.out[used] = copy;
    segments.n[used] = sizes[i];
    ++used;
    if (!fuse) {
      to_bf16(ctx.stream, segments);
      segments = Bf16Segments{};
      used = 0;
    }
    ops.p[i] = copy;
    offset += align256(sizeof(__nv_bfloat16) * static_cast<size_t>(sizes[i]));
  }
  if (fuse) to_bf16(ctx.stream, segments);
  return ops;
}

}  // namespace

void set_bf16_weights(const Exec& ex, const float* master, void* copy, int64_t count) {
  CudaContext& ctx = context(ex, "set_bf16_weights");
  FT_CHECK((master == nullptr) == (copy == nullptr) && (master == nullptr || count > 0),
           "set_bf16_weights: a master and its copy go together");
  ctx.bf16_master = master;
  ctx.bf16_copy = copy;
  ctx.bf16_count = master == nullptr ? 0 : count;
  if (master == nullptr) return;
  Bf16Segments segments{};
  segments.in[0] = master;
  segments.out[0] = static_cast<__nv_bfloat16*>(copy);
  segments.n[0] = count;
  to_bf16(ctx.stream, segments);
}

GemmCache* create_gemm_cache() {
  return new GemmCache();
}

void destroy_gemm_cache(GemmCache* cache) {
  if (cache == nullptr) return;
  for (auto& [key, plan] : cache->plans) destroy_plan(plan);
  delete cache;
}

// ---------------------------------------------------------------------------------------------
// The kernels of linear.h.

void linear_forward(const Exec& ex,
                    float* out,           // [N, OC]
                    const float* in,      // [N, IC]
                    const float* weight,  // [OC, IC]
                    const float* bias,    // [OC] or null
                    int N, int IC, int OC) {
  CudaContext& ctx = context(ex, "linear_forward");
  if (N <= 0 || OC <= 0) return;
  if (IC <= 0) {  // an empty product: out = bias (or 0)
    if (bias != nullptr) {
      add_bias(ctx.stream, out, bias, N, OC, true);
    } else {
      CUDA_CHECK(cudaMemsetAsync(out, 0, sizeof(float) * size_t(N) * OC, ctx.stream));
    }
    return;
  }
  const Operands ops =
      prepare(ctx, ex.precision, {weight, in, nullptr}, {int64_t{OC} * IC, int64_t{N} * IC, 0});
  GemmKey key{};
  key.transa = true;
  key.transb = false;
  key.m = OC;
  key.n = N;
  key.k = IC;
  key.lda = IC;
  key.ldb = IC;
  key.ldc = OC;
  key.bf16 = ex.precision == Precision::Bf16;
  gemm(ctx, key, ops.p[0], ops.p[1], out, bias, 1.0f, 0.0f);
}

void linear_backward(const Exec& ex,
                     float* din,           // [N, IC] or null
                     float* dweight,       // [OC, IC]
                     float* dbias,         // [OC] or null
                     const float* dout,    // [N, OC]
                     const float* in,      // [N, IC]
                     const float* weight,  // [OC, IC]
                     int N, int IC, int OC) {
  CudaContext& ctx = context(ex, "linear_backward");
  if (N <= 0) return;  // no rows: nothing to accumulate, din is empty
  if (OC <= 0) {       // din = dout @ weight is an empty sum
    if (din != nullptr && IC > 0) {
      CUDA_CHECK(cudaMemsetAsync(din, 0, sizeof(float) * size_t(N) * IC, ctx.stream));
    }
    return;
  }
  const bool bf16 = ex.precision == Precision::Bf16;
  if (IC > 0) {
    const Operands ops = prepare(ctx, ex.precision, {din != nullptr ? weight : nullptr, dout, in},
                                 {int64_t{OC} * IC, int64_t{N} * OC, int64_t{N} * IC});
    if (din != nullptr) {
      GemmKey key{};
      key.transa = false;
      key.transb = false;
      key.m = IC;
      key.n = N;
      key.k = OC;
      key.lda = IC;
      key.ldb = OC;
      key.ldc = IC;
      key.bf16 = bf16;
      gemm(ctx, key, ops.p[0], ops.p[1], din, nullptr, 1.0f, 0.0f);
    }
    GemmKey key{};
    key.transa = false;
    key.transb = true;
    key.m = IC;
    key.n = OC;
    key.k = N;
    key.lda = IC;
    key.ldb = OC;
    key.ldc = IC;
    key.bf16 = bf16;
    gemm(ctx, key, ops.p[2], ops.p[1], dweight, nullptr, 1.0f, 1.0f);
  }
  if (dbias != nullptr) {
    const dim3 block(kWarp, kColLanes);
    column_sum_kernel<<<(OC + kWarp - 1) / kWarp, block, 0, ctx.stream>>>(dbias, dout, N, OC);
    CUDA_CHECK_LAUNCH();
  }
}

}  // namespace finetune::kernels::cuda
