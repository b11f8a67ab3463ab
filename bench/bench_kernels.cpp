// Kernel timings, ref:: against cpu::, at the shapes of the reference job (DistilBERT, batch 8 of
// ~22-token tweets: N = B*T = 176 rows, C = 768, FF = 3072, NH = 12) and one longer batch, plus
// the training kernels: linear backward, attention backward and the Adam step over all 67M
// parameters of DistilBERT-base (memory-bound: 28 bytes per parameter, ~1.9 GB per step;
// `gbps` is that traffic divided by the time).
//
// Prints one JSON object per measurement:
//   {"op": "linear", "shape": "N=176 IC=768 OC=3072", "backend": "cpu", "threads": 2,
//    "ms": 4.1, "gflops": 101.3}
// `ms` is the median of several runs after a warm-up; gflops only where the FLOP count is
// meaningful (linear, attention). Usage: bench_kernels [threads] [--training]  (default: all
// cores; --training times only the backward and optimizer kernels).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "kernels/activation.h"
#include "kernels/attention.h"
#include "kernels/cpu/threads.h"
#include "kernels/embedding.h"
#include "kernels/layernorm.h"
#include "kernels/linear.h"
#include "kernels/optimizer.h"
#include "kernels/softmax.h"

namespace fk = finetune::kernels;
using finetune::Exec;

namespace {

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

// Median wall time of `reps` calls after one warm-up call, in milliseconds.
double time_ms(const std::function<void()>& f, int reps) {
  f();
  std::vector<double> ms;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return ms[ms.size() / 2];
}

// flops > 0: reports gflops; bytes > 0: reports gbps (memory traffic per second).
void report(const char* op, const std::string& shape, const char* backend, double ms, double flops,
            double bytes = 0) {
  std::printf(
      "{\"op\": \"%s\", \"shape\": \"%s\", \"backend\": \"%s\", \"threads\": %d, "
      "\"ms\": %.4g",
      op, shape.c_str(), backend, fk::cpu::num_threads(), ms);
  if (flops > 0) std::printf(", \"gflops\": %.4g", flops / (ms * 1e6));
  if (bytes > 0) std::printf(", \"gbps\": %.4g", bytes / (ms * 1e6));
  std::printf("}\n");
  std::fflush(stdout);
}

// Runs ref (few repetitions: it is slow) and cpu for one op.
void both(const char* op, const std::string& shape, double flops,
          const std::function<void(bool cpu)>& run, double bytes = 0, int cpu_reps = 20) {
  report(op, shape, "ref", time_ms([&] { run(false); }, 3), flops, bytes);
  report(op, shape, "cpu", time_ms([&] { run(true); }, cpu_reps), flops, bytes);
}

void bench_linear(int N, int IC, int OC) {
  const auto in = random_floats(size_t(N) * IC, 1), w = random_floats(size_t(OC) * IC, 2);
  const auto b = random_floats(OC, 3);
  std::vector<float> out(size_t(N) * OC);
  both("linear",
       "N=" + std::to_string(N) + " IC=" + std::to_string(IC) + " OC=" + std::to_string(OC),
       2.0 * N * IC * OC, [&](bool cpu) {
         (cpu ? fk::cpu::linear_forward : fk::ref::linear_forward)(
             Exec::cpu(), out.data(), in.data(), w.data(), b.data(), N, IC, OC);
       });
}

void bench_attention(int B, int T, int C, int NH) {
  const auto qkv = random_floats(size_t(B) * T * 3 * C, 4);
  std::vector<int32_t> mask(size_t(B) * T, 1);
  for (int b = 0; b < B; ++b) {
    for (int t = T - b; t < T; ++t) mask[size_t(b) * T + t] = 0;  // some right padding
  }
  std::vector<float> out(size_t(B) * T * C), probs(size_t(B) * NH * T * T);
  both("attention",
       "B=" + std::to_string(B) + " T=" + std::to_string(T) + " C=" + std::to_string(C) +
           " NH=" + std::to_string(NH),
       4.0 * B * T * T * C, [&](bool cpu) {
         (cpu ? fk::cpu::attention_forward : fk::ref::attention_forward)(
             Exec::cpu(), out.data(), probs.data(), qkv.data(), mask.data(), B, T, C, NH,
             fk::DropoutSpec{});
       });
}

void bench_add_layernorm(int N, int C) {
  const auto a = random_floats(size_t(N) * C, 5), b = random_floats(size_t(N) * C, 6);
  const auto w = random_floats(C, 7), bias = random_floats(C, 8);
  std::vector<float> out(size_t(N) * C), sum(size_t(N) * C), mean(N), rstd(N);
  both("add_layernorm", "N=" + std::to_string(N) + " C=" + std::to_string(C), 0, [&](bool cpu) {
    (cpu ? fk::cpu::add_layernorm_forward : fk::ref::add_layernorm_forward)(
        Exec::cpu(), out.data(), sum.data(), mean.data(), rstd.data(), a.data(), b.data(), w.data(),
        bias.data(), N, C, 1e-12f);
  });
}

void bench_gelu(long n) {
  const auto in = random_floats(n, 9);
  std::vector<float> out(n);
  both("gelu_erf", "N=" + std::to_string(n), 0, [&](bool cpu) {
    (cpu ? fk::cpu::activation_forward : fk::ref::activation_forward)(
        Exec::cpu(), out.data(), in.data(), n, fk::Activation::GeluErf);
  });
}

void bench_embedding(int B, int T, int C) {
  const int V = 30522, P = 512;
  const auto word = random_floats(size_t(V) * C, 10), pos = random_floats(size_t(P) * C, 11);
  std::vector<int32_t> ids(size_t(B) * T);
  std::mt19937 gen(12);
  for (auto& id : ids) id = int32_t(gen() % V);
  std::vector<float> out(size_t(B) * T * C);
  both("embedding",
       "B=" + std::to_string(B) + " T=" + std::to_string(T) + " C=" + std::to_string(C), 0,
       [&](bool cpu) {
         (cpu ? fk::cpu::embedding_forward : fk::ref::embedding_forward)(
             Exec::cpu(), out.data(), ids.data(), nullptr, nullptr, word.data(), pos.data(),
             nullptr, B, T, C);
       });
}

// din = dout @ W and dweight += dout^T @ in (dbias too): twice the forward's FLOPs.
void bench_linear_backward(int N, int IC, int OC) {
  const auto in = random_floats(size_t(N) * IC, 13), w = random_floats(size_t(OC) * IC, 14);
  const auto dout = random_floats(size_t(N) * OC, 15);
  std::vector<float> din(size_t(N) * IC), dw(size_t(OC) * IC), db(OC);
  both("linear_backward",
       "N=" + std::to_string(N) + " IC=" + std::to_string(IC) + " OC=" + std::to_string(OC),
       4.0 * N * IC * OC, [&](bool cpu) {
         (cpu ? fk::cpu::linear_backward : fk::ref::linear_backward)(
             Exec::cpu(), din.data(), dw.data(), db.data(), dout.data(), in.data(), w.data(), N, IC,
             OC);
       });
}

void bench_attention_backward(int B, int T, int C, int NH, float p) {
  const auto qkv = random_floats(size_t(B) * T * 3 * C, 16);
  const auto dout = random_floats(size_t(B) * T * C, 17);
  std::vector<int32_t> mask(size_t(B) * T, 1);
  for (int b = 0; b < B; ++b) {
    for (int t = T - b; t < T; ++t) mask[size_t(b) * T + t] = 0;
  }
  const fk::DropoutSpec dropout{p, 1, 2};
  std::vector<float> out(size_t(B) * T * C), probs(size_t(B) * NH * T * T), dprobs(probs.size());
  std::vector<float> dqkv(qkv.size());
  fk::cpu::attention_forward(Exec::cpu(), out.data(), probs.data(), qkv.data(), mask.data(), B, T,
                             C, NH, dropout);
  both("attention_backward",
       "B=" + std::to_string(B) + " T=" + std::to_string(T) + " C=" + std::to_string(C) +
           " NH=" + std::to_string(NH) + " p=" + std::to_string(p).substr(0, 3),
       8.0 * B * T * T * C, [&](bool cpu) {
         (cpu ? fk::cpu::attention_backward : fk::ref::attention_backward)(
             Exec::cpu(), dqkv.data(), dprobs.data(), dout.data(), qkv.data(), probs.data(),
             mask.data(), B, T, C, NH, dropout);
       });
}

// One AdamW step (weight decay 0.01) over n parameters: reads params, grads, m, v and writes
// params, m, v, 28 bytes per parameter.
void bench_adam(long n) {
  std::vector<float> params(n), m(n), v(n), grads(n);
  for (long i = 0; i < n; ++i) {  // cheap deterministic values; the timing does not depend on them
    params[i] = float(i % 1000) * 1e-3f - 0.5f;
    grads[i] = float(i % 997) * 1e-5f - 5e-3f;
  }
  std::memset(m.data(), 0, sizeof(float) * n);
  std::memset(v.data(), 0, sizeof(float) * n);
  fk::AdamParams hp;
  hp.weight_decay = 0.01;
  hp.bias_correction1 = 1 - 0.9;
  hp.bias_correction2 = 1 - 0.999;
  both(
      "adam_step", "N=" + std::to_string(n), 0,
      [&](bool cpu) {
        (cpu ? fk::cpu::adam_step : fk::ref::adam_step)(Exec::cpu(), params.data(), m.data(),
                                                        v.data(), grads.data(), n, hp);
      },
      28.0 * n, 5);
}

// Adam over DistilBERT's word-embedding table (30,522 x 768) without weight decay: dense, and by
// rows with 42% of them having had a gradient (the share of the vocabulary the emotion training
// split uses; the others are skipped after reading their gradient, 4 bytes per value instead of
// 28). Same data for both; `gbps` counts the dense traffic, so the rows line shows the speed-up.
void bench_adam_rows(long rows, long row_length) {
  const long n = rows * row_length;
  std::vector<float> params(n), m(n, 0.0f), v(n, 0.0f), grads(n, 0.0f);
  std::vector<uint8_t> active(rows, 0);
  for (long r = 0; r < rows; ++r) {
    if (r % 50 >= 21) continue;
    active[r] = 1;
    for (long j = 0; j < row_length; ++j)
      grads[r * row_length + j] = float(j % 997) * 1e-5f - 5e-3f;
  }
  for (long i = 0; i < n; ++i) params[i] = float(i % 1000) * 1e-3f - 0.5f;
  fk::AdamParams hp;
  hp.bias_correction1 = 1 - 0.9;
  hp.bias_correction2 = 1 - 0.999;
  const std::string shape =
      "rows=" + std::to_string(rows) + " length=" + std::to_string(row_length);
  both(
      "adam_step (embedding table, dense)", shape, 0,
      [&](bool cpu) {
        (cpu ? fk::cpu::adam_step : fk::ref::adam_step)(Exec::cpu(), params.data(), m.data(),
                                                        v.data(), grads.data(), n, hp);
      },
      28.0 * n, 5);
  both(
      "adam_step_rows (42% of rows active)", shape, 0,
      [&](bool cpu) {
        (cpu ? fk::cpu::adam_step_rows : fk::ref::adam_step_rows)(
            Exec::cpu(), params.data(), m.data(), v.data(), grads.data(), active.data(), rows,
            row_length, hp);
      },
      28.0 * n, 5);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 0;
  bool training_only = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--training") == 0) {
      training_only = true;
    } else {
      threads = std::atoi(argv[i]);
    }
  }
  fk::cpu::set_num_threads(threads);
  const int B = 8, T = 22, C = 768, FF = 3072, NH = 12;
  bench_linear_backward(B * T, C, FF);  // FFN up, backward
  bench_linear_backward(B * T, FF, C);  // FFN down, backward
  bench_attention_backward(B, T, C, NH, 0.0f);
  bench_attention_backward(B, T, C, NH, 0.1f);
  bench_adam(66955010);  // DistilBERT-base + a 6-label head: 66,955,010 parameters
  bench_adam_rows(30522, 768);
  if (training_only) return 0;
  bench_linear(B * T, C, 3 * C);  // fused QKV projection
  bench_linear(B * T, C, FF);     // FFN up
  bench_linear(B * T, FF, C);     // FFN down
  bench_attention(B, T, C, NH);
  bench_attention(B, 128, C, NH);  // a longer batch
  bench_add_layernorm(B * T, C);
  bench_gelu(long(B) * T * FF);
  bench_embedding(B, T, C);
  return 0;
}
