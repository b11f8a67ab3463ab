// Tests of the CPU backend's thread control: set_num_threads sets what num_threads reports,
// n <= 0 means one per core, and kernel results do not depend on the thread count where the
// kernel's arithmetic does not (everything but linear's sgemm splits work by whole rows, column
// blocks or (batch, head) pairs).
#include "kernels/cpu/threads.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cstdint>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/activation.h"
#include "kernels/attention.h"
#include "kernels/embedding.h"
#include "kernels/layernorm.h"

namespace finetune::kernels {
namespace {

using testing::uniform;

using testing::ThreadCountGuard;

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

// The backward kernels split work by whole rows, column blocks or (batch, head) pairs, and
// embedding_backward walks the tokens in order within each column block, so they give the same
// bits for any thread count too (attention with dropout: the mask is a function of the index).
TEST(Threads, BackwardKernelsDoNotDependOnThreadCount) {
  ThreadCountGuard guard;
  const int N = 200, C = 387, B = 8, T = 25, NH = 3, V = 11;
  const auto x = uniform(size_t(N) * C, 41), dy = uniform(size_t(N) * C, 42), w = uniform(C, 43);
  std::vector<float> mean(N), rstd(N), y(x.size());
  cpu::layernorm_forward(Exec::cpu(), y.data(), mean.data(), rstd.data(), x.data(), w.data(),
                         w.data(), N, C, 1e-12f);
  const auto qkv = uniform(size_t(B) * T * 3 * 192, 44), dout = uniform(size_t(B) * T * 192, 45);
  std::vector<int32_t> mask(size_t(B) * T, 1), ids(size_t(B) * T);
  for (int t = 10; t < T; ++t) mask[size_t(1) * T + t] = 0;
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = int32_t(i * 7 % V);
  const DropoutSpec dropout{0.1f, 5, 9};
  std::vector<float> probs(size_t(B) * NH * T * T), out(size_t(B) * T * 192);
  cpu::attention_forward(Exec::cpu(), out.data(), probs.data(), qkv.data(), mask.data(), B, T, 192,
                         NH, dropout);
  const auto demb = uniform(size_t(B) * T * C, 46);

  std::vector<std::vector<float>> results;
  for (int threads : {1, 2, 3}) {
    cpu::set_num_threads(threads);
    std::vector<float> din(x.size()), dw(C, 0.0f), db(C, 0.0f), dact(x.size());
    cpu::layernorm_backward(Exec::cpu(), din.data(), dw.data(), db.data(), dy.data(), x.data(),
                            w.data(), mean.data(), rstd.data(), N, C);
    cpu::activation_backward(Exec::cpu(), dact.data(), dy.data(), x.data(), long(x.size()),
                             Activation::GeluErf);
    std::vector<float> dqkv(qkv.size()), dprobs(probs.size());
    cpu::attention_backward(Exec::cpu(), dqkv.data(), dprobs.data(), dout.data(), qkv.data(),
                            probs.data(), mask.data(), B, T, 192, NH, dropout);
    std::vector<float> dword(size_t(V) * C, 0.0f), dpos(size_t(T) * C, 0.0f);
    cpu::embedding_backward(Exec::cpu(), dword.data(), dpos.data(), nullptr, demb.data(),
                            ids.data(), nullptr, nullptr, B, T, C);
    std::vector<float> all;
    for (const auto* v : {&din, &dw, &db, &dact, &dqkv, &dword, &dpos}) {
      all.insert(all.end(), v->begin(), v->end());
    }
    results.push_back(all);
  }
  EXPECT_EQ(results[1], results[0]);
  EXPECT_EQ(results[2], results[0]);
}

}  // namespace
}  // namespace finetune::kernels
