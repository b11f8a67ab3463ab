// The CUDA backend's per-device state (CudaContext) and its error checking. This is the only
// header that names CUDA types; everything outside src/kernels/cuda/ sees CudaContext as the
// opaque type of core/exec.h and reaches the GPU through kernels/device.h and the kernel headers.
//
// One context per device: its stream (every kernel, copy and cuBLASLt call of the backend runs
// on it, in order), the cuBLASLt handle with a fixed workspace, a grow-only scratch buffer (bf16
// copies of matrix-product inputs, see linear.cu), a cache of cuBLASLt plans keyed by GEMM shape,
// and the fixed buffers of sum_of_squares. There is no global state: two contexts on one device
// are independent. A context is not thread-safe (one host thread drives one stream).
//
// Errors, DESIGN.md principle 7. CUDA_CHECK / CUBLAS_CHECK throw finetune::Error (the user-facing
// tier) for failures of the environment: out of memory, no device or driver, a driver too old, a
// device lost, a failed launch for lack of resources. They throw InternalError (the bug tier) for
// statuses that only wrong code can cause: invalid values or configurations, illegal or
// misaligned addresses (a kernel indexing out of bounds), unsupported cuBLASLt arguments. Both
// messages name the call, file:line and CUDA's own error name and text. Illegal-address and
// similar device faults are sticky (the context is unusable afterwards); they usually surface at
// the next synchronising call, not at the faulty kernel, so run a failing test under
// compute-sanitizer to find the kernel.
//
// Scratch: grow-only. The first call that needs more scratch than the context holds allocates the
// new size (rounded up to 1 MiB) and retires the old buffer without freeing it, because CUDA
// graphs captured earlier keep using its address; retired buffers are freed with the context.
// Every later call of that size or smaller allocates nothing. In training the first step
// therefore sizes it, and no step after that allocates (DESIGN.md principle 3). Growing while the
// stream is being captured into a CUDA graph is refused with InternalError (run one eager step
// before capture).
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/error.h"
#include "core/exec.h"

namespace finetune {

namespace kernels::cuda {
struct GemmCache;  // cuBLASLt plans by shape (linear.cu)
}  // namespace kernels::cuda

struct CudaContext {
  int device = 0;
  cudaStream_t stream = nullptr;  // non-blocking stream; all backend work is queued here
  cublasLtHandle_t lt = nullptr;
  void* workspace = nullptr;  // cuBLASLt workspace, fixed size
  size_t workspace_bytes = 0;
  void* scratch = nullptr;  // grow-only (see the header comment)
  size_t scratch_bytes = 0;
  std::vector<void*> retired_scratch;  // outgrown scratch buffers, kept for captured graphs
  kernels::cuda::GemmCache* gemm_cache = nullptr;
  double* sos_partials = nullptr;  // [kSumOfSquaresBlocks + 1] device, sum_of_squares partials
  double* sos_host = nullptr;      // [1] pinned host, sum_of_squares result
  // A registered bf16 copy of fp32 weights (set_bf16_weights, linear.cu): bf16 products read a
  // weight inside [bf16_master, bf16_master + bf16_count) from bf16_copy at the same offset.
  const float* bf16_master = nullptr;
  const void* bf16_copy = nullptr;  // __nv_bfloat16 [bf16_count], owned by the caller
  int64_t bf16_count = 0;
};

namespace kernels::cuda {

// cuBLASLt workspace per context: 32 MiB, what NVIDIA recommends for Hopper.
inline constexpr size_t kWorkspaceBytes = size_t{32} << 20;
// Blocks of the first sum_of_squares pass: a fixed number, so the summation order depends on N
// only (optimizer.cu).
inline constexpr int kSumOfSquaresBlocks = 1024;

// Throw the right tier of error for a failed CUDA runtime / cuBLASLt call (see header comment).
[[noreturn]] void throw_cuda_error(cudaError_t status, const char* call, const char* file,
                                   int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* call, const char* file,
                                     int line);

// The context of a CUDA Exec; a missing one is a bug in the caller (ops layer).
inline CudaContext& context(const Exec& ex, const char* op) {
  FT_CHECK(ex.cuda != nullptr, op, ": the Exec has no CUDA context (device ",
           static_cast<int>(ex.device), ")");
  return *ex.cuda;
}

// At least `bytes` of device scratch, valid until the next call of scratch() on this context.
// Grows (synchronising, allocating) only when the current buffer is too small.
void* scratch(CudaContext& ctx, size_t bytes);

// Bytes rounded up to a multiple of 256, so that scratch sub-buffers stay 256-byte aligned (what
// cuBLASLt assumes by default).
inline size_t align256(size_t bytes) {
  return (bytes + 255) / 256 * 256;
}

// GEMM plan cache lifetime (linear.cu).
GemmCache* create_gemm_cache();
void destroy_gemm_cache(GemmCache* cache);

}  // namespace kernels::cuda
}  // namespace finetune

// CUDA_CHECK(cudaCall(...)): throws on any status other than cudaSuccess.
#define CUDA_CHECK(call)                                                                       \
  do {                                                                                         \
    const cudaError_t ft_cuda_status_ = (call);                                                \
    if (ft_cuda_status_ != cudaSuccess) {                                                      \
      ::finetune::kernels::cuda::throw_cuda_error(ft_cuda_status_, #call, __FILE__, __LINE__); \
    }                                                                                          \
  } while (0)

// CUBLAS_CHECK(cublasLtCall(...)): throws on any status other than CUBLAS_STATUS_SUCCESS.
#define CUBLAS_CHECK(call)                                                                         \
  do {                                                                                             \
    const cublasStatus_t ft_cublas_status_ = (call);                                               \
    if (ft_cublas_status_ != CUBLAS_STATUS_SUCCESS) {                                              \
      ::finetune::kernels::cuda::throw_cublas_error(ft_cublas_status_, #call, __FILE__, __LINE__); \
    }                                                                                              \
  } while (0)

// After a kernel launch: reports launch-configuration errors at once (execution errors surface
// at the next synchronising call).
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())
