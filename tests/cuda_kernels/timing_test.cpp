// Timings of the CUDA kernels at the reference job's shapes (DistilBERT, batch 8 x 22 tokens,
// and longer sequences), printed, not asserted: a quick look for the lead on a GPU machine.
// Disabled by default; run with
//   build-cuda/tests/finetune_cuda_kernels_tests --gtest_also_run_disabled_tests
//       --gtest_filter="*Timing*"
// Each figure is the mean wall time per call over 50 calls after 5 warm-ups, with the stream
// synchronised around the loop (so launch overhead is included, as in an eager training step).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "cuda_test_util.h"
#include "kernels/attention.h"
#include "kernels/layernorm.h"
#include "kernels/linear.h"
#include "kernels/optimizer.h"

namespace finetune::kernels {
namespace {

using cudatest::CudaKernelTest;
using cudatest::DeviceBuffer;
using cudatest::uniform;

class CudaTiming : public CudaKernelTest {};

double time_us(const Exec& ex, const std::function<void()>& call) {
  for (int i = 0; i < 5; ++i) call();
  cuda::synchronize(ex);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) call();
  cuda::synchronize(ex);
  const std::chrono::duration<double, std::micro> elapsed =
      std::chrono::steady_clock::now() - start;
  return elapsed.count() / 50;
}

TEST_F(CudaTiming, DISABLED_ModelShapes) {
  for (int T : {22, 64, 128, 512}) {
    const int B = 8, C = 768, NH = 12;
    DeviceBuffer<float> qkv(uniform(size_t(B) * T * 3 * C, 1)), out(size_t(B) * T * C),
        probs(size_t(B) * NH * T * T), dprobs(size_t(B) * NH * T * T),
        dout(uniform(size_t(B) * T * C, 2)), dqkv(size_t(B) * T * 3 * C);
    DeviceBuffer<int32_t> mask(std::vector<int32_t>(size_t(B) * T, 1));
    const DropoutSpec drop{0.1f, 1, 2};
    const double fwd = time_us(exec(), [&] {
      cuda::attention_forward(exec(), out.get(), probs.get(), qkv.get(), mask.get(), B, T, C, NH,
                              drop);
    });
    const double bwd = time_us(exec(), [&] {
      cuda::attention_backward(exec(), dqkv.get(), dprobs.get(), dout.get(), qkv.get(), probs.get(),
                               mask.get(), B, T, C, NH, drop);
    });
    std::printf("    attention B=%d T=%d C=%d NH=%d dropout: forward %.1f us, backward %.1f us\n",
                B, T, C, NH, fwd, bwd);
  }
  for (Precision precision : {Precision::Fp32, Precision::Bf16}) {
    const int N = 176, IC = 768, OC = 3072;
    DeviceBuffer<float> in(uniform(size_t(N) * IC, 3)), w(uniform(size_t(OC) * IC, 4)),
        b(uniform(OC, 5)), out(size_t(N) * OC), dout(uniform(size_t(N) * OC, 6)),
        din(size_t(N) * IC), dw(size_t(OC) * IC), db(OC);
    const Exec ex = exec(precision);
    const double fwd = time_us(exec(), [&] {
      cuda::linear_forward(ex, out.get(), in.get(), w.get(), b.get(), N, IC, OC);
    });
    const double bwd = time_us(exec(), [&] {
      cuda::linear_backward(ex, din.get(), dw.get(), db.get(), dout.get(), in.get(), w.get(), N, IC,
                            OC);
    });
    std::printf("    linear N=%d %d->%d %s: forward %.1f us, backward %.1f us\n", N, IC, OC,
                precision == Precision::Bf16 ? "bf16" : "fp32", fwd, bwd);
  }
  {
    const int N = 176, C = 768;
    DeviceBuffer<float> x(uniform(size_t(N) * C, 7)), w(uniform(C, 8)), b(uniform(C, 9)),
        y(size_t(N) * C), mean(N), rstd(N), dw(C), db(C), dx(size_t(N) * C);
    const double fwd = time_us(exec(), [&] {
      cuda::layernorm_forward(exec(), y.get(), mean.get(), rstd.get(), x.get(), w.get(), b.get(), N,
                              C, 1e-12f);
    });
    const double bwd = time_us(exec(), [&] {
      cuda::layernorm_backward(exec(), dx.get(), dw.get(), db.get(), y.get(), x.get(), w.get(),
                               mean.get(), rstd.get(), N, C);
    });
    std::printf("    layernorm N=%d C=%d: forward %.1f us, backward %.1f us\n", N, C, fwd, bwd);
  }
  {
    const long N = 67000000;
    DeviceBuffer<float> p(N), m(N), v(N), g(N);
    cuda::fill_zero(exec(), p.get(), p.bytes());
    cuda::fill_zero(exec(), m.get(), m.bytes());
    cuda::fill_zero(exec(), v.get(), v.bytes());
    cuda::fill_zero(exec(), g.get(), g.bytes());
    AdamParams hp;
    hp.weight_decay = 0.01;
    const double adam = time_us(
        exec(), [&] { cuda::adam_step(exec(), p.get(), m.get(), v.get(), g.get(), N, hp); });
    double sum = 0;
    const double sos = time_us(exec(), [&] { cuda::sum_of_squares(exec(), &sum, g.get(), N); });
    std::printf("    adam_step N=%ld: %.1f us (%.0f GB/s); sum_of_squares: %.1f us\n", N, adam,
                28.0 * N / adam / 1e3, sos);
  }
}

}  // namespace
}  // namespace finetune::kernels
