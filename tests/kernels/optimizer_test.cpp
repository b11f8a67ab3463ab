// Tests of adam_step and sum_of_squares:
// - adam_step (ref:: and cpu::, fp32) against an independent double-precision transcription of
//   torch/optim/adam.py's `_single_tensor_adam` over several steps, AdamW and Adam (L2) weight
//   decay, grad_scale, both branches of ATen's lerp, with error bounds propagated step by step;
// - against PyTorch itself: tests/data/kernels/adam_golden.json (made by make_adam_golden.py
//   beside it with torch 2.15 on CPU) must be reproduced bit for bit in exp_avg and exp_avg_sq,
//   and in the parameters wherever PyTorch's fp32 sqrt is correctly rounded (elsewhere within one
//   ulp: PyTorch's CPU sqrt is not always correctly rounded, see docs/numerics.md);
// - cpu:: against ref:: bit for bit (the same fp32 operation sequence), for any thread count;
// - adam_step_rows (ref:: and cpu::) against the dense ref::adam_step bit for bit, with rows that
//   never, once, or always have a gradient;
// - sum_of_squares against exact sums and across thread counts.
#include "kernels/optimizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/cpu/threads.h"
#include "test_paths.h"

namespace finetune::kernels {
namespace {

using testing::all_close;
using testing::kEps32;
using testing::shape;
using testing::uniform;

constexpr double kU = kEps32 / 2;  // unit roundoff of one fp32 operation

// The hyperparameters of step `step` (1-based), with the bias corrections computed as PyTorch's
// Python does: 1 - beta ** step (C pow on doubles).
AdamParams params_at(double lr, double beta1, double beta2, double eps, double wd, bool decoupled,
                     float grad_scale, int step) {
  AdamParams hp;
  hp.lr = lr;
  hp.beta1 = beta1;
  hp.beta2 = beta2;
  hp.eps = eps;
  hp.weight_decay = wd;
  hp.decoupled = decoupled;
  hp.bias_correction1 = 1.0 - std::pow(beta1, step);
  hp.bias_correction2 = 1.0 - std::pow(beta2, step);
  hp.grad_scale = grad_scale;
  return hp;
}

// torch/optim/adam.py `_single_tensor_adam`, transcribed in double, one element, plus a running
// bound on how far an fp32 implementation may drift from it (E_*), propagated per step:
//   g     = grad * grad_scale  (+ wd * p for Adam)   E_g = u |g| + wd E_p (+ u |g| for the add)
//   m     = m + (1 - b1) (g - m)                      E_m = b1 E_m + (1 - b1) E_g + 3u (|g| + |m|)
//   v     = b2 v + (1 - b2) g^2                       E_v = b2 E_v + (1-b2) 2|g| E_g + 4u (v + g^2)
//   denom = sqrt(v) / sqrt(bc2) + eps                 E_d = E_sqrt(v) / sqrt(bc2) + 3u denom,
//                                                     E_sqrt(v) = min(E_v / 2sqrt(v), sqrt(E_v))
//   p     = p (1 - lr wd) - lr / bc1 * m / denom      E_p = E_p + 2u |p| + step (E_m / denom +
//                                                     |m| E_d / denom^2 + 4u |m| / denom)
// (u = eps32 / 2; the rounding terms count the fp32 operations of each line, with a margin.)
struct DoubleAdam {
  double p, m = 0, v = 0;
  double e_p = 0, e_m = 0, e_v = 0;

  void step(double grad, const AdamParams& hp) {
    double g = grad * double(hp.grad_scale);
    double e_g = kU * std::fabs(g) + hp.weight_decay * e_p;
    if (hp.weight_decay != 0 && hp.decoupled) p *= 1 - hp.lr * hp.weight_decay;
    if (hp.weight_decay != 0 && !hp.decoupled) {
      g += hp.weight_decay * p;
      e_g += kU * std::fabs(g);
    }
    e_m = hp.beta1 * e_m + (1 - hp.beta1) * e_g + 3 * kU * (std::fabs(g) + std::fabs(m));
    m = m + (1 - hp.beta1) * (g - m);
    e_v = hp.beta2 * e_v + (1 - hp.beta2) * 2 * std::fabs(g) * e_g + 4 * kU * (v + g * g);
    v = hp.beta2 * v + (1 - hp.beta2) * g * g;
    const double sqrt_bc2 = std::sqrt(hp.bias_correction2);
    const double denom = std::sqrt(v) / sqrt_bc2 + hp.eps;
    const double e_sqrt =
        v > 0 ? std::min(e_v / (2 * std::sqrt(v)), std::sqrt(e_v)) : std::sqrt(e_v);
    const double e_d = e_sqrt / sqrt_bc2 + 3 * kU * denom;
    const double step_size = hp.lr / hp.bias_correction1;
    e_p += 2 * kU * std::fabs(p) + step_size * (e_m / denom + std::fabs(m) * e_d / (denom * denom) +
                                                4 * kU * std::fabs(m) / denom);
    p -= step_size * m / denom;
  }
};

struct Config {
  const char* name;
  double lr, beta1, beta2, eps, wd;
  bool decoupled;
  float grad_scale;
};

const Config kConfigs[] = {
    {"adamw", 1e-3, 0.9, 0.999, 1e-8, 0.01, true, 1.0f},
    {"adam_l2", 1e-3, 0.9, 0.999, 1e-8, 0.01, false, 1.0f},
    {"no_decay_clipped", 1e-3, 0.9, 0.999, 1e-8, 0.0, true, 0.37f},
    {"adamw_clipped", 5e-5, 0.9, 0.999, 1e-8, 0.1, true, 0.25f},
    {"adam_beta1_0.3", 2e-3, 0.3, 0.99, 1e-6, 0.05, false, 1.0f},  // lerp weight 0.7 >= 0.5
};

// Gradients of step s: random magnitudes over six orders, some exact zeros (m and v only decay),
// and one tiny value whose square underflows in fp32.
std::vector<float> grads_at(int N, int s) {
  auto g = uniform(N, 1000 + s);
  const auto mag = uniform(N, 2000 + s, -6.0f, 0.0f);
  for (int i = 0; i < N; ++i) g[i] *= std::pow(10.0f, mag[i]);
  g[0] = 0.0f;
  if (N > 7) g[7] = 1e-25f;
  return g;
}

TEST(Optimizer, AdamMatchesDoubleTranscriptionOfTorch) {
  const int N = 1003, steps = 5;
  for (const Config& c : kConfigs) {
    for (auto* adam : {&ref::adam_step, &cpu::adam_step}) {
      SCOPED_TRACE(shape("config", c.name, "backend", adam == &ref::adam_step ? "ref" : "cpu"));
      std::vector<float> p = uniform(N, 3, -1.0f, 1.0f), m(N, 0.0f), v(N, 0.0f);
      std::vector<DoubleAdam> want(N);
      for (int i = 0; i < N; ++i) want[i].p = p[i];
      for (int s = 1; s <= steps; ++s) {
        const auto g = grads_at(N, s);
        const AdamParams hp =
            params_at(c.lr, c.beta1, c.beta2, c.eps, c.wd, c.decoupled, c.grad_scale, s);
        adam(Exec::cpu(), p.data(), m.data(), v.data(), g.data(), N, hp);
        for (int i = 0; i < N; ++i) want[i].step(g[i], hp);
      }
      std::vector<float> wp(N), wm(N), wv(N);
      for (int i = 0; i < N; ++i) {
        wp[i] = float(want[i].p);
        wm[i] = float(want[i].m);
        wv[i] = float(want[i].v);
      }
      // The float rounding of the double reference itself adds u |x| (+ the smallest subnormal).
      EXPECT_TRUE(all_close(m, wm, [&](size_t i) {
        return want[i].e_m + kU * std::fabs(want[i].m) + 1e-45;
      })) << "exp_avg";
      EXPECT_TRUE(all_close(v, wv, [&](size_t i) {
        return want[i].e_v + kU * std::fabs(want[i].v) + 1e-45;
      })) << "exp_avg_sq";
      EXPECT_TRUE(all_close(p, wp, [&](size_t i) {
        return want[i].e_p + kU * std::fabs(want[i].p) + 1e-45;
      })) << "params";
    }
  }
}

// cpu:: performs ref::'s fp32 operations in the same order (with the same three FMAs and no
// other contraction), so the two agree bit for bit, whatever the thread count and on both sides
// of the parallel threshold.
TEST(Optimizer, AdamCpuEqualsRefBitForBit) {
  testing::ThreadCountGuard guard;
  for (long N : {1L, 17L, 1003L, 100003L}) {
    for (const Config& c : kConfigs) {
      for (int threads : {1, 2, 3}) {
        SCOPED_TRACE(shape("N", N, "config", c.name, "threads", threads));
        cpu::set_num_threads(threads);
        std::vector<float> p = uniform(N, 5), m = uniform(N, 6, -1e-2f, 1e-2f),
                           v = uniform(N, 7, 0.0f, 1e-4f);
        std::vector<float> p2 = p, m2 = m, v2 = v;
        for (int s = 1; s <= 3; ++s) {
          const auto g = grads_at(int(N), s);
          const AdamParams hp =
              params_at(c.lr, c.beta1, c.beta2, c.eps, c.wd, c.decoupled, c.grad_scale, s + 7);
          ref::adam_step(Exec::cpu(), p.data(), m.data(), v.data(), g.data(), N, hp);
          cpu::adam_step(Exec::cpu(), p2.data(), m2.data(), v2.data(), g.data(), N, hp);
        }
        EXPECT_EQ(p2, p);
        EXPECT_EQ(m2, m);
        EXPECT_EQ(v2, v);
      }
    }
  }
}

// Gradients for adam_step_rows tests, [rows, row_length] at step s (1-based): row r stays all
// zero until step first_gradient(r) (never for some rows), then has random values, except that
// rows r % 5 == 1 get a gradient at their first step only (their moments are non-zero afterwards,
// so they must keep being updated with zero gradients), and rows r % 7 == 3 hold -0 before their
// first gradient (which must count as zero).
int first_gradient(long r) {
  return r % 4 == 0 ? 1000 : int(1 + r % 6);  // every fourth row: never
}
std::vector<float> row_grads_at(long rows, long row_length, int s) {
  std::vector<float> g = uniform(rows * row_length, 3000 + s, -1.0f, 1.0f);
  for (long r = 0; r < rows; ++r) {
    const int first = first_gradient(r);
    const bool zero = s < first || (r % 5 == 1 && s > first);
    if (!zero) continue;
    for (long j = 0; j < row_length; ++j) g[r * row_length + j] = r % 7 == 3 ? -0.0f : 0.0f;
  }
  return g;
}

// adam_step_rows skips only what the dense step would not change: after every step the
// parameters and both moments equal ref::adam_step over the whole table bit for bit (ref:: and
// cpu::, any thread count), and exactly the rows that have had a non-zero gradient are marked.
TEST(Optimizer, AdamStepRowsEqualsTheDenseStepBitForBit) {
  testing::ThreadCountGuard guard;
  // no_decay_clipped, and the beta1 = 0.3 lerp branch without decay.
  const Config configs[] = {{"no_decay_clipped", 1e-3, 0.9, 0.999, 1e-8, 0.0, true, 0.37f},
                            {"adam_beta1_0.3", 2e-3, 0.3, 0.99, 1e-6, 0.0, false, 1.0f}};
  for (const auto& [rows, row_length] : {std::pair{37L, 19L}, std::pair{3001L, 64L}}) {
    for (const Config& c : configs) {
      for (int threads : {1, 2, 3}) {
        SCOPED_TRACE(shape("rows", rows, "row_length", row_length, "config", c.name, "threads", threads));
        cpu::set_num_threads(threads);
        const long N = rows * row_length;
        const std::vector<float> p0 = uniform(N, 5);
        std::vector<float> p = p0, m(N, 0.0f), v(N, 0.0f);  // dense
        std::vector<float> pr = p0, mr(N, 0.0f), vr(N, 0.0f), pc = p0, mc(N, 0.0f), vc(N, 0.0f);
        std::vector<uint8_t> active_ref(rows, 0), active_cpu(rows, 0);
        for (int s = 1; s <= 8; ++s) {
          const auto g = row_grads_at(rows, row_length, s);
          const AdamParams hp =
              params_at(c.lr, c.beta1, c.beta2, c.eps, c.wd, c.decoupled, c.grad_scale, s);
          ref::adam_step(Exec::cpu(), p.data(), m.data(), v.data(), g.data(), N, hp);
          ref::adam_step_rows(Exec::cpu(), pr.data(), mr.data(), vr.data(), g.data(), active_ref.data(),
                              rows, row_length, hp);
          cpu::adam_step_rows(Exec::cpu(), pc.data(), mc.data(), vc.data(), g.data(), active_cpu.data(),
                              rows, row_length, hp);
          ASSERT_EQ(pr, p) << "step " << s;
          ASSERT_EQ(mr, m) << "step " << s;
          ASSERT_EQ(vr, v) << "step " << s;
          ASSERT_EQ(pc, p) << "step " << s;
          ASSERT_EQ(mc, m) << "step " << s;
          ASSERT_EQ(vc, v) << "step " << s;
          for (long r = 0; r < rows; ++r) {
            const uint8_t want = first_gradient(r) <= s ? 1 : 0;
            ASSERT_EQ(active_ref[r], want) << "row " << r << ", step " << s;
            ASSERT_EQ(active_cpu[r], want) << "row " << r << ", step " << s;
          }
        }
        // Rows that never had a gradient kept their exact bits (the dense step agrees).
        for (long j = 0; j < row_length; ++j) EXPECT_EQ(std::bit_cast<uint32_t>(pc[j]), std::bit_cast<uint32_t>(p0[j]));
      }
    }
  }
}

// A row marked active is updated even with a zero gradient; an unmarked row whose gradient is
// zero is not (which is why the flags must come from the moments after a restore).
TEST(Optimizer, AdamStepRowsTrustsTheRowFlags) {
  const long rows = 2, row_length = 3, N = rows * row_length;
  std::vector<float> p(N, 1.0f), m(N, 0.5f), v(N, 0.25f);
  const std::vector<float> g(N, 0.0f);
  std::vector<uint8_t> active{1, 0};
  const AdamParams hp = params_at(1e-3, 0.9, 0.999, 1e-8, 0.0, true, 1.0f, 3);
  cpu::adam_step_rows(Exec::cpu(), p.data(), m.data(), v.data(), g.data(), active.data(), rows, row_length, hp);
  EXPECT_LT(p[0], 1.0f);  // moved by its momentum
  EXPECT_EQ(p[3], 1.0f);  // taken at its word: skipped
  EXPECT_EQ(m[3], 0.5f);
}

// Distance in ulps between two floats of the same sign (0 when equal).
int64_t ulps(float a, float b) {
  // (Only for messages: a and b have the same sign here.)
  return std::abs(int64_t(std::bit_cast<int32_t>(a)) - int64_t(std::bit_cast<int32_t>(b)));
}

std::vector<float> floats(const nlohmann::json& j) {
  std::vector<float> v;
  for (const auto& x : j) v.push_back(static_cast<float>(x.get<double>()));
  return v;
}

// PyTorch's own AdamW/Adam steps (tests/data/kernels/adam_golden.json). Both backends must
// reproduce exp_avg and exp_avg_sq exactly. The parameters depend on sqrt(exp_avg_sq), which
// PyTorch computes with a CPU sqrt that is off by one ulp for some inputs (the golden records
// it); where it equals the correctly rounded sqrtf the parameters must match exactly too, and
// elsewhere they may differ by about one ulp of the update. The state is re-seeded from the
// golden before each step, so a difference in one step cannot carry over into the next.
TEST(Optimizer, AdamReproducesPyTorch) {
  const auto path = ::finetune::testing::test_data_dir() / "kernels" / "adam_golden.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot open " << path;
  const nlohmann::json golden = nlohmann::json::parse(in);
  int exact_params = 0, one_ulp_params = 0, sqrt_mismatches = 0;
  for (const auto& c : golden.at("cases")) {
    for (auto* adam : {&ref::adam_step, &cpu::adam_step}) {
      SCOPED_TRACE(shape("case", c.at("name").get<std::string>(), "backend",
                         adam == &ref::adam_step ? "ref" : "cpu"));
      std::vector<float> p = floats(c.at("params0"));
      const long N = long(p.size());
      std::vector<float> m(N, 0.0f), v(N, 0.0f);
      int step = 0;
      for (const auto& s : c.at("steps")) {
        ++step;
        const AdamParams hp = params_at(c.at("lr").get<double>(), c.at("beta1").get<double>(),
                                        c.at("beta2").get<double>(), c.at("eps").get<double>(),
                                        c.at("weight_decay").get<double>(),
                                        c.at("optimizer").get<std::string>() == "adamw",
                                        static_cast<float>(c.at("grad_scale").get<double>()), step);
        const auto g = floats(s.at("grads"));
        adam(Exec::cpu(), p.data(), m.data(), v.data(), g.data(), N, hp);
        const auto want_p = floats(s.at("params")), want_m = floats(s.at("exp_avg")),
                   want_v = floats(s.at("exp_avg_sq")),
                   torch_sqrt = floats(s.at("sqrt_exp_avg_sq"));
        EXPECT_EQ(m, want_m) << "exp_avg, step " << step;
        EXPECT_EQ(v, want_v) << "exp_avg_sq, step " << step;
        for (long i = 0; i < N; ++i) {
          const bool sqrt_exact = torch_sqrt[i] == std::sqrt(want_v[i]);
          sqrt_mismatches += !sqrt_exact;
          if (sqrt_exact) {
            EXPECT_EQ(p[i], want_p[i]) << "param " << i << ", step " << step;
          } else {
            // A one-ulp change of sqrt(v) moves the update lr/bc1 * m / denom by about one ulp
            // of the update, so p moves by one ulp of p, or, where p and the update nearly
            // cancel, by about one ulp of the update: max(ulp(p), 2 eps32 |update|).
            const double denom =
                std::sqrt(double(want_v[i])) / std::sqrt(hp.bias_correction2) + hp.eps;
            const double update = hp.lr / hp.bias_correction1 * want_m[i] / denom;
            const float a = std::fabs(want_p[i]);
            const double ulp_p = double(std::nextafter(a, INFINITY)) - a;
            EXPECT_LE(std::fabs(double(p[i]) - want_p[i]),
                      std::max(ulp_p, 2 * kEps32 * std::fabs(update)))
                << "param " << i << ", step " << step << ", " << ulps(p[i], want_p[i])
                << " ulp apart";
          }
          exact_params += p[i] == want_p[i];
          one_ulp_params += p[i] != want_p[i];
        }
        p = want_p;  // continue from PyTorch's exact state
        m = want_m;
        v = want_v;
      }
    }
  }
  // Most parameters match exactly; report the split for the record.
  std::printf(
      "    [adam golden] params bit-equal %d, one ulp apart %d; torch sqrt != sqrtf for %d\n",
      exact_params, one_ulp_params, sqrt_mismatches);
  EXPECT_GT(exact_params, 10 * one_ulp_params);
}

// Sums of squares are exact for small integers; the chunked cpu:: sum equals the sequential
// ref:: one to double rounding and does not depend on the thread count.
TEST(Optimizer, SumOfSquares) {
  testing::ThreadCountGuard guard;
  const std::vector<float> x = {1, -2, 3, 0.5f};
  for (auto* f : {&ref::sum_of_squares, &cpu::sum_of_squares}) {
    double out = -1;
    f(Exec::cpu(), &out, x.data(), 4);
    EXPECT_EQ(out, 14.25);
    f(Exec::cpu(), &out, x.data(), 0);
    EXPECT_EQ(out, 0.0);
  }
  for (long N : {1L, 1003L, (1L << 16) + 5, 3000017L}) {
    SCOPED_TRACE(shape("N", N));
    const auto y = uniform(N, 9);
    double want = 0, got = 0;
    ref::sum_of_squares(Exec::cpu(), &want, y.data(), N);
    std::vector<double> per_threads;
    for (int threads : {1, 2, 3}) {
      cpu::set_num_threads(threads);
      cpu::sum_of_squares(Exec::cpu(), &got, y.data(), N);
      per_threads.push_back(got);
    }
    // Every term is exact in double and positive: the sum's relative error is <= N eps64 in
    // the worst case for any order; ~1e-12 relative for 3M terms.
    EXPECT_NEAR(got, want, N * 2.3e-16 * want);
    EXPECT_EQ(per_threads[1], per_threads[0]);
    EXPECT_EQ(per_threads[2], per_threads[0]);
  }
}

}  // namespace
}  // namespace finetune::kernels
