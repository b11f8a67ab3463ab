// The CUDA runtime of kernels/device.h: device discovery, contexts (stream, cuBLASLt handle,
// workspace, scratch), device and pinned memory, asynchronous copies on the context's stream,
// events; and the error reporting behind CUDA_CHECK / CUBLAS_CHECK (kernels/cuda/context.h).
//
// device_count() never throws: without a driver or a GPU (this project's build machines) it
// returns 0, which is how the GPU tests decide to skip. Everything else throws Error with the
// failing call and CUDA's own message when the environment fails (no device, out of memory).
//
// Synchronisation: only synchronize(), wait_event(), scratch growth (once, outside the steady
// state) and destroy_context() wait for the GPU; copies and memsets are asynchronous on the
// stream (truly asynchronous only for pinned host memory, see host_alloc_pinned).
#include <cuda_runtime.h>

#include <cstdio>
#include <memory>
#include <string>

#include "core/error.h"
#include "kernels/cuda/context.h"
#include "kernels/device.h"

namespace finetune::kernels::cuda {

namespace {

// Statuses that only a bug in finetune can cause (the InternalError tier); everything else is
// the environment (Error). See context.h.
bool is_programming_error(cudaError_t status) {
  switch (status) {
    case cudaErrorInvalidValue:
    case cudaErrorInvalidConfiguration:
    case cudaErrorInvalidDevicePointer:
    case cudaErrorInvalidMemcpyDirection:
    case cudaErrorInvalidDeviceFunction:
    case cudaErrorInvalidResourceHandle:
    case cudaErrorIllegalAddress:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidPitchValue:
    case cudaErrorInvalidSymbol:
    case cudaErrorStreamCaptureUnsupported:
    case cudaErrorStreamCaptureInvalidated:
      return true;
    default:
      return false;
  }
}

const char* cublas_status_name(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS:
      return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED:
      return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH:
      return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR:
      return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR:
      return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR:
      return "CUBLAS_STATUS_LICENSE_ERROR";
    default:
      return "unknown cuBLAS status";
  }
}

std::string gib(size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f GiB", static_cast<double>(bytes) / (1u << 30));
  return text;
}

}  // namespace

void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line) {
  const std::string message =
      cat("CUDA error ", cudaGetErrorName(status), " (", cudaGetErrorString(status), ") in ", call,
          " at ", file, ":", line);
  if (is_programming_error(status)) throw InternalError(message);
  throw Error(message);
}

void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line) {
  const std::string message = cat("cuBLASLt error ", cublas_status_name(status), " (",
                                  static_cast<int>(status), ") in ", call, " at ", file, ":", line);
  if (status == CUBLAS_STATUS_INVALID_VALUE || status == CUBLAS_STATUS_NOT_SUPPORTED) {
    throw InternalError(message);
  }
  throw Error(message);
}

bool built_with_cuda() {
  return true;
}

int device_count() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();  // clear it: no driver or no GPU simply means zero devices
    return 0;
  }
  return count;
}

std::string describe_device(int device) {
  const int count = device_count();
  if (device < 0 || device >= count) {
    throw Error(cat("CUDA device ", device, " does not exist: this machine has ", count,
                    " usable CUDA device(s); choose --device cuda:N with N in [0, ", count, ")"));
  }
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  return cat(prop.name, ", compute capability ", prop.major, ".", prop.minor, ", ",
             gib(prop.totalGlobalMem));
}

void* scratch(CudaContext& ctx, size_t bytes) {
  if (bytes <= ctx.scratch_bytes) return ctx.scratch;
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  CUDA_CHECK(cudaStreamIsCapturing(ctx.stream, &capture));
  FT_CHECK(capture == cudaStreamCaptureStatusNone, "CUDA scratch must grow from ",
           ctx.scratch_bytes, " to ", bytes,
           " bytes while the stream is being captured; run one step eagerly before capture");
  const size_t size = (bytes + (size_t{1} << 20) - 1) >> 20 << 20;
  // The old buffer is retired, not freed: CUDA graphs captured earlier hold its address in their
  // kernels' arguments and replay against it (a graph captured for training batches must keep
  // working after a validation pass needed a larger scratch). Retired buffers are freed with the
  // context. Growth is rare (once per larger shape), so the memory kept is small.
  if (ctx.scratch != nullptr) ctx.retired_scratch.push_back(ctx.scratch);
  ctx.scratch = nullptr;
  ctx.scratch_bytes = 0;
  ctx.scratch = device_alloc(size);
  ctx.scratch_bytes = size;
  return ctx.scratch;
}

CudaContext* create_context(int device) {
  (void)describe_device(device);  // throws Error for a device that does not exist
  CUDA_CHECK(cudaSetDevice(device));
  auto ctx = std::make_unique<CudaContext>();
  ctx->device = device;
  // destroy_context releases whatever was created if a later step throws.
  struct Guard {
    std::unique_ptr<CudaContext>& ctx;
    ~Guard() {
      if (ctx) {
        try {
          destroy_context(ctx.release());
        } catch (...) {  // already failing; keep the first error
        }
      }
    }
  } guard{ctx};
  CUDA_CHECK(cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking));
  CUBLAS_CHECK(cublasLtCreate(&ctx->lt));
  ctx->workspace = device_alloc(kWorkspaceBytes);
  ctx->workspace_bytes = kWorkspaceBytes;
  ctx->sos_partials =
      static_cast<double*>(device_alloc(sizeof(double) * (kSumOfSquaresBlocks + 1)));
  ctx->sos_host = static_cast<double*>(host_alloc_pinned(sizeof(double)));
  ctx->gemm_cache = create_gemm_cache();
  return ctx.release();
}

void destroy_context(CudaContext* context) {
  if (context == nullptr) return;
  std::unique_ptr<CudaContext> ctx(context);
  CUDA_CHECK(cudaSetDevice(ctx->device));
  if (ctx->stream != nullptr) CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
  destroy_gemm_cache(ctx->gemm_cache);
  if (ctx->lt != nullptr) CUBLAS_CHECK(cublasLtDestroy(ctx->lt));
  device_free(ctx->workspace);
  device_free(ctx->scratch);
  for (void* retired : ctx->retired_scratch) device_free(retired);
  device_free(ctx->sos_partials);
  host_free_pinned(ctx->sos_host);
  if (ctx->stream != nullptr) CUDA_CHECK(cudaStreamDestroy(ctx->stream));
}

void* device_alloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* pointer = nullptr;
  const cudaError_t status = cudaMalloc(&pointer, bytes);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();
    size_t free_bytes = 0, total_bytes = 0;
    const bool known = cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess;
    (void)cudaGetLastError();
    throw Error(cat("cannot allocate ", bytes, " bytes (", gib(bytes),
                    ") of GPU memory: ", cudaGetErrorString(status),
                    known ? cat("; ", gib(free_bytes), " of ", gib(total_bytes), " free") : "",
                    "; try a smaller --batch-size or --max-length"));
  }
  return pointer;
}

void device_free(void* pointer) {
  if (pointer != nullptr) CUDA_CHECK(cudaFree(pointer));
}

void* host_alloc_pinned(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* pointer = nullptr;
  const cudaError_t status = cudaMallocHost(&pointer, bytes);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();
    throw Error(cat("cannot allocate ", bytes,
                    " bytes of page-locked host memory: ", cudaGetErrorString(status)));
  }
  return pointer;
}

void host_free_pinned(void* pointer) {
  if (pointer != nullptr) CUDA_CHECK(cudaFreeHost(pointer));
}

void copy_to_device(const Exec& ex, void* device_dst, const void* host_src, size_t bytes) {
  if (bytes == 0) return;
  CUDA_CHECK(cudaMemcpyAsync(device_dst, host_src, bytes, cudaMemcpyHostToDevice,
                             context(ex, "copy_to_device").stream));
}

void copy_to_host(const Exec& ex, void* host_dst, const void* device_src, size_t bytes) {
  if (bytes == 0) return;
  CUDA_CHECK(cudaMemcpyAsync(host_dst, device_src, bytes, cudaMemcpyDeviceToHost,
                             context(ex, "copy_to_host").stream));
}

void copy_on_device(const Exec& ex, void* device_dst, const void* device_src, size_t bytes) {
  if (bytes == 0 || device_dst == device_src) return;
  CUDA_CHECK(cudaMemcpyAsync(device_dst, device_src, bytes, cudaMemcpyDeviceToDevice,
                             context(ex, "copy_on_device").stream));
}

void fill_zero(const Exec& ex, void* device_dst, size_t bytes) {
  if (bytes == 0) return;
  CUDA_CHECK(cudaMemsetAsync(device_dst, 0, bytes, context(ex, "fill_zero").stream));
}

void synchronize(const Exec& ex) {
  CUDA_CHECK(cudaStreamSynchronize(context(ex, "synchronize").stream));
}

struct EventHandle {
  cudaEvent_t event = nullptr;
};

EventHandle* create_event() {
  auto handle = std::make_unique<EventHandle>();
  CUDA_CHECK(cudaEventCreateWithFlags(&handle->event, cudaEventDisableTiming));
  return handle.release();
}

void destroy_event(EventHandle* event) {
  if (event == nullptr) return;
  std::unique_ptr<EventHandle> handle(event);
  CUDA_CHECK(cudaEventDestroy(handle->event));
}

void record_event(const Exec& ex, EventHandle* event) {
  FT_CHECK(event != nullptr, "record_event: null event");
  CUDA_CHECK(cudaEventRecord(event->event, context(ex, "record_event").stream));
}

void wait_event(EventHandle* event) {
  FT_CHECK(event != nullptr, "wait_event: null event");
  CUDA_CHECK(cudaEventSynchronize(event->event));
}

struct GraphHandle {
  cudaGraphExec_t exec = nullptr;
};

void begin_capture(const Exec& ex) {
  // Relaxed: host-only CUDA calls made while capturing (cuBLASLt's plan queries, kernel attribute
  // settings) are allowed; stream work is recorded.
  CUDA_CHECK(cudaStreamBeginCapture(context(ex, "begin_capture").stream, cudaStreamCaptureModeRelaxed));
}

GraphHandle* end_capture(const Exec& ex) {
  cudaGraph_t graph = nullptr;
  CUDA_CHECK(cudaStreamEndCapture(context(ex, "end_capture").stream, &graph));
  auto handle = std::make_unique<GraphHandle>();
  const cudaError_t status = cudaGraphInstantiate(&handle->exec, graph, 0);
  CUDA_CHECK(cudaGraphDestroy(graph));
  CUDA_CHECK(status);
  return handle.release();
}

void launch_graph(const Exec& ex, GraphHandle* graph) {
  FT_CHECK(graph != nullptr, "launch_graph: null graph");
  CUDA_CHECK(cudaGraphLaunch(graph->exec, context(ex, "launch_graph").stream));
}

void destroy_graph(GraphHandle* graph) {
  if (graph == nullptr) return;
  std::unique_ptr<GraphHandle> handle(graph);
  CUDA_CHECK(cudaGraphExecDestroy(handle->exec));
}

}  // namespace finetune::kernels::cuda
