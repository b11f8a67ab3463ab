// The cuda:: kernels and device runtime of a build without CUDA: every function declared in the
// kernel headers and in kernels/device.h is defined here. device_count() returns 0 and
// built_with_cuda() false (so GPU tests skip); every other function throws finetune::Error with a
// message that says what to do.
//
// This keeps the ops layer's `switch` on the device free of #ifdef (DESIGN.md: headers have no
// CUDA types and no #ifdef): a CPU-only build links, and asking it for a CUDA tensor fails with
// one clear user-facing error instead of a link error or a crash. A CUDA build compiles
// src/kernels/cuda/*.cu instead of this file. Each definition is checked against its ref::
// signature by the `decltype(ref::f)` declaration in the header.
#include <cstdint>
#include <string>

#include "core/error.h"
#include "kernels/activation.h"
#include "kernels/attention.h"
#include "kernels/device.h"
#include "kernels/dropout.h"
#include "kernels/elementwise.h"
#include "kernels/embedding.h"
#include "kernels/layernorm.h"
#include "kernels/linear.h"
#include "kernels/loss.h"
#include "kernels/optimizer.h"
#include "kernels/pooling.h"
#include "kernels/rotary.h"
#include "kernels/softmax.h"

namespace finetune::kernels::cuda {
namespace {

[[noreturn]] void no_cuda(const char* op) {
  throw Error(cat(op,
                  ": this build of finetune has no CUDA support (it was built without CUDA); "
                  "use --device cpu, or rebuild finetune with CUDA enabled"));
}

}  // namespace

// Device runtime (kernels/device.h).

bool built_with_cuda() {
  return false;
}

int device_count() {
  return 0;
}

std::string describe_device(int device) {
  no_cuda("describe_device");
}

CudaContext* create_context(int device) {
  no_cuda("create_context");
}

void destroy_context(CudaContext* context) {
  if (context != nullptr) no_cuda("destroy_context");
}

void* device_alloc(size_t bytes) {
  no_cuda("device_alloc");
}

void device_free(void* pointer) {
  if (pointer != nullptr) no_cuda("device_free");
}

void* host_alloc_pinned(size_t bytes) {
  no_cuda("host_alloc_pinned");
}

void host_free_pinned(void* pointer) {
  if (pointer != nullptr) no_cuda("host_free_pinned");
}

void copy_to_device(const Exec&, void*, const void*, size_t) {
  no_cuda("copy_to_device");
}

void copy_to_host(const Exec&, void*, const void*, size_t) {
  no_cuda("copy_to_host");
}

void copy_on_device(const Exec&, void*, const void*, size_t) {
  no_cuda("copy_on_device");
}

void fill_zero(const Exec&, void*, size_t) {
  no_cuda("fill_zero");
}

void synchronize(const Exec&) {
  no_cuda("synchronize");
}

void set_bf16_weights(const Exec&, const float*, void*, int64_t) {
  no_cuda("set_bf16_weights");
}

struct EventHandle {};

EventHandle* create_event() {
  no_cuda("create_event");
}

void destroy_event(EventHandle* event) {
  if (event != nullptr) no_cuda("destroy_event");
}

void record_event(const Exec&, EventHandle*) {
  no_cuda("record_event");
}

void wait_event(EventHandle*) {
  no_cuda("wait_event");
}

struct GraphHandle {};

void begin_capture(const Exec&) {
  no_cuda("begin_capture");
}

GraphHandle* end_capture(const Exec&) {
  no_cuda("end_capture");
}

void launch_graph(const Exec&, GraphHandle*) {
  no_cuda("launch_graph");
}

void destroy_graph(GraphHandle* graph) {
  if (graph != nullptr) no_cuda("destroy_graph");
}

// Kernels.

void linear_forward(const Exec&, float*, const float*, const float*, const float*, int, int, int) {
  no_cuda("linear_forward");
}

void position_ids_from_input_ids(const Exec&, int32_t*, const int32_t*, int, int, int) {
  no_cuda("position_ids_from_input_ids");
}

void embedding_forward(const Exec&, float*, const int32_t*, const int32_t*, const int32_t*,
                       const float*, const float*, const float*, int, int, int) {
  no_cuda("embedding_forward");
}

void layernorm_forward(const Exec&, float*, float*, float*, const float*, const float*,
                       const float*, int, int, float) {
  no_cuda("layernorm_forward");
}

void add_layernorm_forward(const Exec&, float*, float*, float*, float*, const float*, const float*,
                           const float*, const float*, int, int, float) {
  no_cuda("add_layernorm_forward");
}

void activation_forward(const Exec&, float*, const float*, long, Activation) {
  no_cuda("activation_forward");
}

void attention_forward(const Exec&, float*, float*, const float*, const int32_t*, int, int, int,
                       int, DropoutSpec) {
  no_cuda("attention_forward");
}

void first_token_forward(const Exec&, float*, const float*, int, int, int) {
  no_cuda("first_token_forward");
}

void softmax_forward(const Exec&, float*, const float*, int, int) {
  no_cuda("softmax_forward");
}

// Backward passes, dropout, loss, optimizer.

void linear_backward(const Exec&, float*, float*, float*, const float*, const float*, const float*,
                     int, int, int) {
  no_cuda("linear_backward");
}

void embedding_backward(const Exec&, float*, float*, float*, const float*, const int32_t*,
                        const int32_t*, const int32_t*, int, int, int) {
  no_cuda("embedding_backward");
}

void layernorm_backward(const Exec&, float*, float*, float*, const float*, const float*,
                        const float*, const float*, const float*, int, int) {
  no_cuda("layernorm_backward");
}

void activation_backward(const Exec&, float*, const float*, const float*, long, Activation) {
  no_cuda("activation_backward");
}

void attention_backward(const Exec&, float*, float*, const float*, const float*, const float*,
                        const int32_t*, int, int, int, int, DropoutSpec) {
  no_cuda("attention_backward");
}

void first_token_backward(const Exec&, float*, const float*, int, int, int) {
  no_cuda("first_token_backward");
}

void dropout_forward(const Exec&, float*, const float*, long, DropoutSpec) {
  no_cuda("dropout_forward");
}

void dropout_backward(const Exec&, float*, const float*, long, DropoutSpec) {
  no_cuda("dropout_backward");
}

void add_forward(const Exec&, float*, const float*, const float*, long) {
  no_cuda("add_forward");
}

void cross_entropy_forward_backward(const Exec&, float*, float*, const float*, const int32_t*, int,
                                    int, float) {
  no_cuda("cross_entropy_forward_backward");
}

void adam_step(const Exec&, float*, float*, float*, const float*, long, AdamParams) {
  no_cuda("adam_step");
}

void adam_step_rows(const Exec&, float*, float*, float*, const float*, uint8_t*, long, long,
                    AdamParams) {
  no_cuda("adam_step_rows");
}

void sum_of_squares(const Exec&, double*, const float*, long) {
  no_cuda("sum_of_squares");
}

// ModernBERT's blocks: sliding-window attention, rotary embedding, GeGLU, mean pooling.

void attention_forward_window(const Exec&, float*, float*, const float*, const int32_t*, int, int,
                              int, int, DropoutSpec, int) {
  no_cuda("attention_forward");
}

void attention_backward_window(const Exec&, float*, float*, const float*, const float*,
                               const float*, const int32_t*, int, int, int, int, DropoutSpec, int) {
  no_cuda("attention_backward");
}

void rotary_forward(const Exec&, float*, int, int, int, int, float) {
  no_cuda("rotary_forward");
}

void rotary_backward(const Exec&, float*, int, int, int, int, float) {
  no_cuda("rotary_backward");
}

void geglu_forward(const Exec&, float*, const float*, long, long, Activation) {
  no_cuda("geglu_forward");
}

void geglu_backward(const Exec&, float*, const float*, const float*, long, long, Activation) {
  no_cuda("geglu_backward");
}

void mean_pool_forward(const Exec&, float*, const float*, const int32_t*, int, int, int) {
  no_cuda("mean_pool_forward");
}

void mean_pool_backward(const Exec&, float*, const float*, const int32_t*, int, int, int) {
  no_cuda("mean_pool_backward");
}

}  // namespace finetune::kernels::cuda
