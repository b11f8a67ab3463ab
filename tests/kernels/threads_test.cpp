// Tests of the CPU backend's thread control: set_num_threads sets what num_threads reports,
// n <= 0 means one per core, and kernel results do not depend on the thread count where the
// kernel's arithmetic does not (everything but linear's sgemm splits work by whole rows or
// (batch, head) pairs).
#include "kernels/cpu/threads.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cstdint>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/activation.h"
#include "kernels/attention.h"
#include "kernels/layernorm.h"

namespace finetune::kernels {
namespace {

using testing::uniform;

// Restores the thread count a test changed, so that test order does not matter.
struct ThreadCountGuard {
  int saved = cpu::num_threads();
  ~ThreadCountGuard() { cpu::set_num_threads(saved); }
};

TEST(Threads, SetAndGet) {
  ThreadCountGuard guard;
  cpu::set_num_threads(1);
  EXPECT_EQ(cpu::num_threads(), 1);
  cpu::set_num_threads(3);
  EXPECT_EQ(cpu::num_threads(), 3);
  cpu::set_num_threads(0);
  EXPECT_EQ(cpu::num_threads(), omp_get_num_procs());
  cpu::set_num_threads(-5);
  EXPECT_EQ(cpu::num_threads(), omp_get_num_procs());
}

// Row-parallel kernels give bit-identical results for any thread count.
TEST(Threads, RowParallelKernelsDoNotDependOnThreadCount) {
  ThreadCountGuard guard;
  const int N = 200, C = 387;  // N * C above the parallel threshold
  const auto x = uniform(size_t(N) * C, 31), w = uniform(C, 32), b = uniform(C, 33);
  std::vector<std::vector<float>> ln, gelu;
  for (int threads : {1, 2, 3}) {
    cpu::set_num_threads(threads);
    std::vector<float> y(x.size()), g(x.size());
    cpu::layernorm_forward(Exec::cpu(), y.data(), nullptr, nullptr, x.data(), w.data(), b.data(), N,
                           C, 1e-12f);
    cpu::activation_forward(Exec::cpu(), g.data(), x.data(), long(x.size()), Activation::GeluErf);
    ln.push_back(y);
    gelu.push_back(g);
  }
  EXPECT_EQ(ln[1], ln[0]);
  EXPECT_EQ(ln[2], ln[0]);
  EXPECT_EQ(gelu[1], gelu[0]);
  EXPECT_EQ(gelu[2], gelu[0]);
}

// Attention runs each (batch, head) pair on one thread, with OpenBLAS single-threaded inside the
// parallel loop, so its results do not depend on the thread count either.
TEST(Threads, AttentionDoesNotDependOnThreadCount) {
  ThreadCountGuard guard;
  const int B = 4, T = 23, C = 192, NH = 3;
  const auto qkv = uniform(size_t(B) * T * 3 * C, 34);
  std::vector<int32_t> mask(size_t(B) * T, 1);
  for (int t = 10; t < T; ++t) mask[size_t(1) * T + t] = 0;
  std::vector<std::vector<float>> outs, probs;
  for (int threads : {1, 2, 3}) {
    cpu::set_num_threads(threads);
    std::vector<float> out(size_t(B) * T * C), p(size_t(B) * NH * T * T);
    cpu::attention_forward(Exec::cpu(), out.data(), p.data(), qkv.data(), mask.data(), B, T, C, NH,
                           DropoutSpec{});
    outs.push_back(out);
    probs.push_back(p);
  }
  EXPECT_EQ(outs[1], outs[0]);
  EXPECT_EQ(outs[2], outs[0]);
  EXPECT_EQ(probs[1], probs[0]);
  EXPECT_EQ(probs[2], probs[0]);
}

}  // namespace
}  // namespace finetune::kernels
