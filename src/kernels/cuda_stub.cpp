// The cuda:: kernels of a build without CUDA: every function declared in the kernel headers is
// defined here and throws finetune::Error with a message that says what to do.
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
#include "kernels/embedding.h"
#include "kernels/layernorm.h"
#include "kernels/linear.h"
#include "kernels/pooling.h"
#include "kernels/softmax.h"

namespace finetune::kernels::cuda {
namespace {

[[noreturn]] void no_cuda(const char* op) {
  throw Error(cat(op,
                  ": this build of finetune has no CUDA support (it was built without CUDA); "
                  "use --device cpu, or rebuild finetune with CUDA enabled"));
}

}  // namespace

void linear_forward(const Exec&, float*, const float*, const float*, const float*, int, int, int) {
  no_cuda("linear_forward");
}

void embedding_forward(const Exec&, float*, const int32_t*, const int32_t*, const float*,
                       const float*, const float*, int, int, int) {
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
                       int) {
  no_cuda("attention_forward");
}

void first_token_forward(const Exec&, float*, const float*, int, int, int) {
  no_cuda("first_token_forward");
}

void softmax_forward(const Exec&, float*, const float*, int, int) {
  no_cuda("softmax_forward");
}

}  // namespace finetune::kernels::cuda
