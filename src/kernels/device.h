// The CUDA runtime as the rest of finetune sees it: device discovery, a context per device,
// device memory and copies. No CUDA type appears here; in a build without CUDA every function
// exists too (kernels/cuda_stub.cpp): device_count() is 0 and the others throw Error("... built
// without CUDA support ...").
//
// Copies and memsets are asynchronous on the context's stream (host memory for them should be
// pinned, see host_alloc_pinned, to stay asynchronous); synchronize() waits for the stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/exec.h"

namespace finetune::kernels::cuda {

bool built_with_cuda();
// Number of usable CUDA devices (0 without CUDA support, driver or GPU).
int device_count();
// "NVIDIA H100 80GB HBM3, compute capability 9.0, 79.1 GiB"
std::string describe_device(int device);

// A context on `device`: its stream, cuBLASLt handle and workspace. Throws Error when the device
// cannot be used.
CudaContext* create_context(int device);
void destroy_context(CudaContext* context);

// Device memory (throws Error naming the size on failure) and page-locked host memory.
void* device_alloc(size_t bytes);
void device_free(void* pointer);
void* host_alloc_pinned(size_t bytes);
void host_free_pinned(void* pointer);

// Asynchronous on ex.cuda's stream.
void copy_to_device(const Exec& ex, void* device_dst, const void* host_src, size_t bytes);
void copy_to_host(const Exec& ex, void* host_dst, const void* device_src, size_t bytes);
void copy_on_device(const Exec& ex, void* device_dst, const void* device_src, size_t bytes);
void fill_zero(const Exec& ex, void* device_dst, size_t bytes);
// Waits until everything queued on the stream has finished.
void synchronize(const Exec& ex);

// A bf16 copy of fp32 weights for bf16 matrix products (kernels/cuda/linear.cu). Registers
// `copy` (device memory for `count` bf16 values, owned by the caller) as the copy of `master`
// (`count` floats on the device) and fills it from master now, on the stream. Until the next
// call, a bf16 product whose weight lies inside master reads its bits from the copy instead of
// converting the weight again. The caller keeps the copy current whenever master changes (the
// Adam kernel writes it: AdamParams::bf16_params), and unregisters it with
// set_bf16_weights(ex, nullptr, nullptr, 0) before master changes any other way.
void set_bf16_weights(const Exec& ex, const float* master, void* copy, int64_t count);

// A point in the stream the host can wait for later without blocking now (for metrics copied
// asynchronously): record() queues it, wait() blocks until the stream has passed it.
struct EventHandle;
EventHandle* create_event();
void destroy_event(EventHandle* event);
void record_event(const Exec& ex, EventHandle* event);
void wait_event(EventHandle* event);

// CUDA graphs: the work queued on the context's stream between begin_capture and end_capture is
// recorded (not run) and instantiated as a graph that launch_graph replays with one call. Kernel
// arguments are frozen at capture, so whatever changes between replays must be read by the
// kernels from device memory (batch inputs, the dropout step counter). Nothing that waits for the
// device (synchronize, wait_event, copies to pageable host memory, growing the scratch) may run
// during a capture.
struct GraphHandle;
void begin_capture(const Exec& ex);
GraphHandle* end_capture(const Exec& ex);
void launch_graph(const Exec& ex, GraphHandle* graph);
void destroy_graph(GraphHandle* graph);

}  // namespace finetune::kernels::cuda
