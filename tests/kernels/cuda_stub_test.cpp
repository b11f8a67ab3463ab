// In a build without CUDA every cuda:: kernel must fail with a user-facing finetune::Error that
// names the operation and says what to do, never crash or link-fail. (A CUDA build replaces the
// stub; then this test is skipped.)
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "kernels/activation.h"
#include "kernels/attention.h"
#include "kernels/dropout.h"
#include "kernels/elementwise.h"
#include "kernels/embedding.h"
#include "kernels/layernorm.h"
#include "kernels/linear.h"
#include "kernels/loss.h"
#include "kernels/optimizer.h"
#include "kernels/pooling.h"
#include "kernels/softmax.h"

namespace finetune::kernels {
namespace {

TEST(CudaStub, EveryKernelThrowsBuiltWithoutCuda) {
#ifdef FINETUNE_WITH_CUDA
  GTEST_SKIP() << "this build has the CUDA backend";
#endif
  // Pointers are never dereferenced by the stub; the sizes are 1 so that a real kernel called by
  // mistake would not walk far.
  float f[64] = {};
  int32_t i[8] = {};
  double d[1] = {};
  const DropoutSpec drop{0.1f, 1, 2};
  const Exec ex{Device::CUDA, nullptr};
  const std::vector<std::pair<std::string, std::function<void()>>> calls = {
      {"linear_forward", [&] { cuda::linear_forward(ex, f, f, f, f, 1, 1, 1); }},
      {"embedding_forward", [&] { cuda::embedding_forward(ex, f, i, i, i, f, f, f, 1, 1, 1); }},
      {"position_ids_from_input_ids",
       [&] { cuda::position_ids_from_input_ids(ex, i, i, 1, 1, 1); }},
      {"layernorm_forward", [&] { cuda::layernorm_forward(ex, f, f, f, f, f, f, 1, 1, 1e-5f); }},
      {"add_layernorm_forward",
       [&] { cuda::add_layernorm_forward(ex, f, f, f, f, f, f, f, f, 1, 1, 1e-5f); }},
      {"activation_forward", [&] { cuda::activation_forward(ex, f, f, 1, Activation::GeluErf); }},
      {"attention_forward", [&] { cuda::attention_forward(ex, f, f, f, i, 1, 1, 1, 1, drop); }},
      {"first_token_forward", [&] { cuda::first_token_forward(ex, f, f, 1, 1, 1); }},
      {"softmax_forward", [&] { cuda::softmax_forward(ex, f, f, 1, 1); }},
      {"linear_backward", [&] { cuda::linear_backward(ex, f, f, f, f, f, f, 1, 1, 1); }},
      {"embedding_backward", [&] { cuda::embedding_backward(ex, f, f, f, f, i, i, i, 1, 1, 1); }},
      {"layernorm_backward", [&] { cuda::layernorm_backward(ex, f, f, f, f, f, f, f, f, 1, 1); }},
      {"activation_backward",
       [&] { cuda::activation_backward(ex, f, f, f, 1, Activation::GeluErf); }},
      {"attention_backward",
       [&] { cuda::attention_backward(ex, f, f, f, f, f, i, 1, 1, 1, 1, drop); }},
      {"first_token_backward", [&] { cuda::first_token_backward(ex, f, f, 1, 1, 1); }},
      {"dropout_forward", [&] { cuda::dropout_forward(ex, f, f, 1, drop); }},
      {"dropout_backward", [&] { cuda::dropout_backward(ex, f, f, 1, drop); }},
      {"add_forward", [&] { cuda::add_forward(ex, f, f, f, 1); }},
      {"cross_entropy_forward_backward",
       [&] { cuda::cross_entropy_forward_backward(ex, f, f, f, i, 1, 1, 1.0f); }},
      {"adam_step", [&] { cuda::adam_step(ex, f, f, f, f, 1, AdamParams{}); }},
      {"adam_step_rows",
       [&] {
         cuda::adam_step_rows(ex, f, f, f, f, reinterpret_cast<uint8_t*>(i), 1, 1, AdamParams{});
       }},
      {"sum_of_squares", [&] { cuda::sum_of_squares(ex, d, f, 1); }},
  };
  for (const auto& [name, call] : calls) {
    SCOPED_TRACE(name);
    try {
      call();
      ADD_FAILURE() << "no exception";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(name), std::string::npos) << msg;
      EXPECT_NE(msg.find("without CUDA"), std::string::npos) << msg;
      EXPECT_NE(msg.find("--device cpu"), std::string::npos) << msg;
    }
  }
}

}  // namespace
}  // namespace finetune::kernels
