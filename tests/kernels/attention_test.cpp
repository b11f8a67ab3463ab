// Tests of attention_forward and attention_backward: ref:: against a hand example and the facts
// masking implies (one valid key returns that key's value; a fully masked row is uniform; rows
// sum to 1), attention dropout (probs stay undropped, out uses the masked probabilities), and
// cpu:: against ref:: over odd head counts/sizes, sequence lengths, padding patterns and dropout,
// forward and backward. The backward formulas themselves are checked against finite
// differences in backward_fd_test.cpp.
#include "kernels/attention.h"
#include "kernels/ref/attention_math.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernel_test_util.h"

namespace finetune::kernels {
namespace {

using testing::all_close;
using testing::kEps32;
using testing::shape;
using testing::uniform;

using AttentionFn = decltype(&ref::attention_forward);
const AttentionFn kBoth[] = {&ref::attention_forward, &cpu::attention_forward};
const DropoutSpec kNoDropout{};  // eval mode

// B = 1, T = 2, C = NH = 1 (HS = 1, scale 1). Token 0: q = 1, k = 0, v = 4; token 1: q = 0,
// k = ln 3, v = 8. Query 0 scores (0, ln 3) -> probs (1/4, 3/4) -> out 1 + 6 = 7; query 1 scores
// (0, 0) -> (1/2, 1/2) -> 6. With token 1 padded both queries see only key 0: out 4.
TEST(Attention, HandExample) {
  const std::vector<float> qkv = {1, 0, 4, 0, float(std::log(3.0)), 8};
  for (AttentionFn f : kBoth) {
    std::vector<float> out(2), probs(4);
    const std::vector<int32_t> all = {1, 1}, first = {1, 0};
    f(Exec::cpu(), out.data(), probs.data(), qkv.data(), all.data(), 1, 2, 1, 1, kNoDropout);
    EXPECT_FLOAT_EQ(probs[0], 0.25f);
    EXPECT_FLOAT_EQ(probs[1], 0.75f);
    EXPECT_FLOAT_EQ(probs[2], 0.5f);
    EXPECT_FLOAT_EQ(probs[3], 0.5f);
    EXPECT_FLOAT_EQ(out[0], 7.0f);
    EXPECT_FLOAT_EQ(out[1], 6.0f);
    f(Exec::cpu(), out.data(), probs.data(), qkv.data(), first.data(), 1, 2, 1, 1, kNoDropout);
    EXPECT_EQ(probs, (std::vector<float>{1, 0, 1, 0}));
    EXPECT_EQ(out, (std::vector<float>{4, 4}));
  }
}

// Value of token t, head h, feature d of batch b in a [B, T, 3C] qkv buffer.
float v_at(const std::vector<float>& qkv, int b, int t, int h, int d, int T, int C, int HS) {
  return qkv[(size_t(b) * T + t) * 3 * C + 2 * size_t(C) + size_t(h) * HS + d];
}

// Only key 0 is real (a one-token sequence padded to T): every query, padded ones included,
// attends to it alone, so probs rows are (1, 0, ..., 0) and out is v_0 exactly.
TEST(Attention, OneValidKeyReturnsItsValue) {
  const int B = 2, T = 5, C = 12, NH = 3, HS = C / NH;
  const auto qkv = uniform(size_t(B) * T * 3 * C, 21, -3.0f, 3.0f);
  std::vector<int32_t> mask(B * T, 0);
  for (int b = 0; b < B; ++b) mask[b * T] = 1;
  for (AttentionFn f : kBoth) {
    std::vector<float> out(B * T * C), probs(B * NH * T * T);
    f(Exec::cpu(), out.data(), probs.data(), qkv.data(), mask.data(), B, T, C, NH, kNoDropout);
    for (int b = 0; b < B; ++b) {
      for (int h = 0; h < NH; ++h) {
        for (int i = 0; i < T; ++i) {
          const float* p = &probs[((size_t(b) * NH + h) * T + i) * T];
          EXPECT_EQ(p[0], 1.0f);
          for (int j = 1; j < T; ++j) EXPECT_EQ(p[j], 0.0f);
          for (int d = 0; d < HS; ++d) {
            EXPECT_EQ(out[(size_t(b) * T + i) * C + h * HS + d], v_at(qkv, b, 0, h, d, T, C, HS));
          }
        }
      }
    }
  }
}

// No real key at all: transformers adds the same finfo.min to every score, which leaves a uniform
// softmax over all T keys, so out is the mean of all values.
TEST(Attention, FullyMaskedRowIsUniform) {
  const int B = 1, T = 6, C = 8, NH = 2, HS = C / NH;
  const auto qkv = uniform(size_t(B) * T * 3 * C, 22, -3.0f, 3.0f);
  const std::vector<int32_t> mask(B * T, 0);
  for (AttentionFn f : kBoth) {
    std::vector<float> out(B * T * C), probs(B * NH * T * T);
    f(Exec::cpu(), out.data(), probs.data(), qkv.data(), mask.data(), B, T, C, NH, kNoDropout);
    for (float p : probs) EXPECT_FLOAT_EQ(p, 1.0f / T);
    for (int i = 0; i < T; ++i) {
      for (int h = 0; h < NH; ++h) {
        for (int d = 0; d < HS; ++d) {
          double mean = 0;
          for (int t = 0; t < T; ++t) mean += v_at(qkv, 0, t, h, d, T, C, HS) / T;
          // T values of magnitude <= 3 summed in float: error <= T eps32 * 3; doubled.
          EXPECT_NEAR(out[size_t(i) * C + h * HS + d], mean, 2 * T * kEps32 * 3.0);
        }
      }
    }
  }
}

// Probability rows are non-negative, zero on padded keys and sum to 1 (to float rounding).
TEST(Attention, RefProbsAreDistributionsOverRealKeys) {
  const int B = 2, T = 7, C = 15, NH = 5;
  const auto qkv = uniform(size_t(B) * T * 3 * C, 23, -3.0f, 3.0f);
  const std::vector<int32_t> mask = {1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0};
  std::vector<float> out(B * T * C), probs(B * NH * T * T);
  ref::attention_forward(Exec::cpu(), out.data(), probs.data(), qkv.data(), mask.data(), B, T, C,
                         NH, kNoDropout);
  for (size_t row = 0; row < probs.size() / T; ++row) {
    const int b = int(row / (size_t(NH) * T));
    double sum = 0;
    for (int j = 0; j < T; ++j) {
      const float p = probs[row * T + j];
      EXPECT_GE(p, 0.0f);
      if (mask[b * T + j] == 0) {
        EXPECT_EQ(p, 0.0f);
      }
      sum += p;
    }
    EXPECT_NEAR(sum, 1.0, T * kEps32);
  }
}

// Padding patterns, one per sequence of the batch (cycled): all real, right padding of several
// lengths, only the first token real, only the last, none, and a scattered pattern.
std::vector<int32_t> make_mask(int B, int T, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<int32_t> mask(size_t(B) * T);
  for (int b = 0; b < B; ++b) {
    int32_t* m = &mask[size_t(b) * T];
    switch (b % 7) {
      case 0:
        std::fill(m, m + T, 1);
        break;
      case 1:
        for (int t = 0; t < T; ++t) m[t] = t < std::max(1, T / 2);
        break;
      case 2:
        for (int t = 0; t < T; ++t) m[t] = t < T - 1 || T == 1;
        break;
      case 3:
        for (int t = 0; t < T; ++t) m[t] = t == 0;
        break;
      case 4:
        for (int t = 0; t < T; ++t) m[t] = t == T - 1;
        break;
      case 5:
        std::fill(m, m + T, 0);
        break;
      case 6:
        for (int t = 0; t < T; ++t) m[t] = int32_t(gen() % 2);
        break;
    }
  }
  return mask;
}

// cpu:: (fp32) against ref:: (double); the tolerance of every probability and output is derived
// from the inputs of its query row:
// - score s_j = scale * q.k_j: a dot product of HS terms, error
//   ds_j <= 2 sqrt(HS + 1) eps32 * scale * sum_d |q_d k_{j,d}| + eps32 |s_j| (the scale multiply);
//   let ds = max_j ds_j over the real keys.
// - p_j = exp(s_j - max) / sum: a perturbation ds of the scores moves p_j by at most 2 ds
//   relative; the float softmax itself adds (4 + T/2 + |s_j - max|) eps32 relative (as in
//   softmax_test.cpp). tol_p_j = p_j (2 ds + (4 + T/2 + |s_j - max|) eps32).
// - with dropout, d_j = keep_j * fl(p_j * scale_drop): the error of p_j times the scale, plus one
//   rounding eps32 d_j; without dropout d_j = p_j.
// - out_d = sum_j d_j v_{j,d}: error <= sum_j tol_d_j |v_{j,d}| + (T/2 + 1) eps32 sum_j d_j
// |v_{j,d}|
//   (sequential float accumulation of T terms, worst case).
void check(int B, int T, int C, int NH, uint32_t seed, DropoutSpec dropout = {}, int window = 0) {
  SCOPED_TRACE(shape("B", B, "T", T, "C", C, "NH", NH, "dropout", dropout.p, "window", window));
  const int HS = C / NH;
  const auto qkv = uniform(size_t(B) * T * 3 * C, seed, -2.0f, 2.0f);
  const auto mask = make_mask(B, T, seed + 1);
  std::vector<float> want_out(size_t(B) * T * C), want_p(size_t(B) * NH * T * T);
  std::vector<float> got_out(want_out.size(), NAN), got_p(want_p.size(), NAN);
  ref::attention_forward_window(Exec::cpu(), want_out.data(), want_p.data(), qkv.data(),
                                mask.data(), B, T, C, NH, dropout, window);
  cpu::attention_forward_window(Exec::cpu(), got_out.data(), got_p.data(), qkv.data(), mask.data(),
                                B, T, C, NH, dropout, window);

  const double drop_scale = dropout.active() ? 1.0 / (1.0 - dropout.p) : 1.0;
  std::vector<double> tol_p(want_p.size()), tol_out(want_out.size());
  const double scale = 1.0 / std::sqrt(double(HS));
  const auto at = [&](int b, int t, int part, int h, int d) {
    return double(qkv[(size_t(b) * T + t) * 3 * C + size_t(part) * C + size_t(h) * HS + d]);
  };
  std::vector<double> s(T), cond(T);
  for (int b = 0; b < B; ++b) {
    for (int h = 0; h < NH; ++h) {
      for (int i = 0; i < T; ++i) {
        double ds = 0, max = -INFINITY;
        for (int j = 0; j < T; ++j) {
          double dot = 0, abs_dot = 0;
          for (int d = 0; d < HS; ++d) {
            dot += at(b, i, 0, h, d) * at(b, j, 1, h, d);
            abs_dot += std::fabs(at(b, i, 0, h, d) * at(b, j, 1, h, d));
          }
          s[j] = dot * scale;
          if (ref::math::attention_key_allowed(&mask[size_t(b) * T], i, j, window)) {
            ds = std::max(
                ds, 2 * std::sqrt(HS + 1.0) * kEps32 * scale * abs_dot + kEps32 * std::fabs(s[j]));
            max = std::max(max, s[j]);
          }
        }
        const size_t prow = ((size_t(b) * NH + h) * T + i) * T;
        for (int j = 0; j < T; ++j) {
          const double spread = std::isinf(max) ? 0.0 : std::fabs(s[j] - max);
          tol_p[prow + j] = want_p[prow + j] * (2 * ds + (4 + T / 2.0 + spread) * kEps32) + 1e-38;
        }
        for (int d = 0; d < HS; ++d) {
          double t = 0;
          for (int j = 0; j < T; ++j) {
            const bool keep = !dropout.active() || dropout_keep(dropout, prow + j);
            if (!keep) continue;
            const double v = std::fabs(at(b, j, 2, h, d));
            const double dj = want_p[prow + j] * drop_scale;
            t += (tol_p[prow + j] * drop_scale + kEps32 * dj) * v + (T / 2.0 + 1) * kEps32 * dj * v;
          }
          tol_out[(size_t(b) * T + i) * C + size_t(h) * HS + d] = t + 1e-38;
        }
      }
    }
  }
  EXPECT_TRUE(all_close(got_p, want_p, [&](size_t i) { return tol_p[i]; })) << "probs";
  EXPECT_TRUE(all_close(got_out, want_out, [&](size_t i) { return tol_out[i]; })) << "out";
}

TEST(Attention, CpuMatchesRef) {
  uint32_t seed = 900;
  // (C, NH): head sizes 1, 5, 7, 3, 13 and the models' 64 (MiniLM 384/6, BERT 768/12).
  const int heads[][2] = {{1, 1}, {15, 3}, {35, 5}, {7, 1}, {39, 3}, {384, 6}, {768, 12}};
  for (int B : {1, 3, 8}) {
    for (int T : {1, 2, 5, 23, 64 + 3}) {
      for (const auto& [C, NH] : heads) check(B, T, C, NH, seed += 2);
    }
  }
}

// The largest supported sequence (max_position_embeddings = 512) in one batch, with padding.
TEST(Attention, CpuMatchesRefAtMaxLength) {
  check(2, 512, 128, 2, 77);
  check(1, 512, 64, 1, 78, DropoutSpec{0.1f, 5, 6});  // dropout buffer holds 16 rows at a time
}

// Attention dropout (training mode), p = 0.1 as in BERT/DistilBERT and a large p = 0.6.
TEST(Attention, CpuMatchesRefWithDropout) {
  uint32_t seed = 1900;
  const int heads[][2] = {{1, 1}, {35, 5}, {39, 3}, {768, 12}};
  for (float p : {0.1f, 0.6f}) {
    for (int B : {1, 3}) {
      for (int T : {1, 5, 23, 64 + 3}) {
        for (const auto& [C, NH] : heads) check(B, T, C, NH, seed += 2, DropoutSpec{p, 42, seed});
      }
    }
  }
}

// With dropout, `probs` is still the undropped softmax (bit-identical to eval mode), and out is
// exactly what the dropped probabilities give: d_ij = keep_ij * p_ij / (1 - p) with the mask of
// kernels/dropout.h over the [B, NH, T, T] elements. Checked on the ref:: oracle with a tiny
// example where out can be recomputed in double.
TEST(Attention, DropoutAppliesTheMaskToProbabilities) {
  const int B = 2, T = 4, C = 6, NH = 2, HS = C / NH;
  const auto qkv = uniform(size_t(B) * T * 3 * C, 31, -2.0f, 2.0f);
  const std::vector<int32_t> mask = {1, 1, 1, 0, 1, 1, 1, 1};
  const DropoutSpec dropout{0.5f, 7, 11};
  for (AttentionFn f : kBoth) {
    std::vector<float> out(size_t(B) * T * C), probs(size_t(B) * NH * T * T);
    std::vector<float> out0(out.size()), probs0(probs.size());
    f(Exec::cpu(), out.data(), probs.data(), qkv.data(), mask.data(), B, T, C, NH, dropout);
    f(Exec::cpu(), out0.data(), probs0.data(), qkv.data(), mask.data(), B, T, C, NH, kNoDropout);
    EXPECT_EQ(probs, probs0);
    EXPECT_NE(out, out0);
    int kept = 0;
    for (int b = 0; b < B; ++b) {
      for (int h = 0; h < NH; ++h) {
        for (int i = 0; i < T; ++i) {
          const size_t prow = ((size_t(b) * NH + h) * T + i) * T;
          for (int d = 0; d < HS; ++d) {
            double want = 0, abs_sum = 0;
            for (int j = 0; j < T; ++j) {
              if (!dropout_keep(dropout, prow + j)) continue;
              kept += d == 0;
              want += probs[prow + j] * 2.0 * v_at(qkv, b, j, h, d, T, C, HS);
              abs_sum += std::fabs(probs[prow + j] * 2.0 * v_at(qkv, b, j, h, d, T, C, HS));
            }
            // T float terms: well within (T + 2) eps32 of their absolute sum.
            EXPECT_NEAR(out[(size_t(b) * T + i) * C + h * HS + d], want,
                        (T + 2) * kEps32 * abs_sum + 1e-30);
          }
        }
      }
    }
    // Half of the 64 probabilities are kept on average; 0 or 64 would mean no mask at all.
    EXPECT_GT(kept, 10);
    EXPECT_LT(kept, 54);
  }
}

// Backward, cpu:: (fp32) against ref:: (double) on the same float inputs (qkv, the saved probs
// p, dout). Error bounds follow the chain of ref/attention_math.h, per (b, h) and element, with
// keep_ij the mask and sd = fl(1/(1-p_drop)) (1 without dropout):
// - dd_ij = dout_i . v_j, HS terms: E_dd = 2 sqrt(HS+1) eps32 sum_e |dout_ie v_je|;
//   dp_ij = keep sd dd_ij: E_dp = keep sd (E_dd + eps32 |dd_ij|).
// - c_i = sum_j p_ij dp_ij: E_c = sum_j p_ij (E_dp_ij + 2 sqrt(T+1) eps32 |dp_ij|).
// - ds_ij = p_ij (dp_ij - c_i): E_ds = p_ij (E_dp_ij + E_c + 2 eps32 (|dp_ij| + |c_i|)); 0 for a
//   row with no real key (both backends write exact zeros).
// - dq_ie = scale sum_j ds_ij k_je (T terms): scale (sum_j E_ds_ij |k_je| + 2 sqrt(T+1) eps32
//   sum_j |ds_ij k_je|) + 2 eps32 |dq_ie| (the fp32 scale); dk_je likewise with q_ie over i.
// - dv_je = sum_i keep sd p_ij dout_ie: (2 sqrt(T+1) + 1) eps32 sum_i |keep sd p_ij dout_ie|.
void check_backward(int B, int T, int C, int NH, uint32_t seed, DropoutSpec dropout = {},
                    int window = 0) {
  SCOPED_TRACE(shape("B", B, "T", T, "C", C, "NH", NH, "dropout", dropout.p, "window", window));
  const int HS = C / NH;
  const auto qkv = uniform(size_t(B) * T * 3 * C, seed, -2.0f, 2.0f);
  const auto dout = uniform(size_t(B) * T * C, seed + 2);
  const auto mask = make_mask(B, T, seed + 1);
  std::vector<float> out(size_t(B) * T * C), probs(size_t(B) * NH * T * T);
  ref::attention_forward_window(Exec::cpu(), out.data(), probs.data(), qkv.data(), mask.data(), B,
                                T, C, NH, dropout, window);
  std::vector<float> want(qkv.size()), got(qkv.size(), NAN), dprobs(probs.size(), NAN);
  ref::attention_backward_window(Exec::cpu(), want.data(), dprobs.data(), dout.data(), qkv.data(),
                                 probs.data(), mask.data(), B, T, C, NH, dropout, window);
  std::fill(dprobs.begin(), dprobs.end(), NAN);  // scratch: must be written before it is read
  cpu::attention_backward_window(Exec::cpu(), got.data(), dprobs.data(), dout.data(), qkv.data(),
                                 probs.data(), mask.data(), B, T, C, NH, dropout, window);

  const double sd = dropout.active() ? double(float(1.0 / (1.0 - double(dropout.p)))) : 1.0;
  const double scale = 1.0 / std::sqrt(double(HS));
  const double kT = 2 * std::sqrt(T + 1.0) * kEps32, kHS = 2 * std::sqrt(HS + 1.0) * kEps32;
  const auto at = [&](int b, int t, int part, int h, int e) {
    return double(qkv[(size_t(b) * T + t) * 3 * C + size_t(part) * C + size_t(h) * HS + e]);
  };
  const auto dy = [&](int b, int t, int h, int e) {
    return double(dout[(size_t(b) * T + t) * C + size_t(h) * HS + e]);
  };
  std::vector<double> tol(qkv.size(), 0.0);
  std::vector<double> ds(size_t(T) * T), e_ds(size_t(T) * T), d(size_t(T) * T);
  for (int b = 0; b < B; ++b) {
    for (int h = 0; h < NH; ++h) {
      for (int i = 0; i < T; ++i) {
        const bool any_key = ref::math::attention_row_has_key(&mask[size_t(b) * T], T, i, window);
        const size_t prow = ((size_t(b) * NH + h) * T + i) * T;
        std::vector<double> dp(T), e_dp(T);
        double c = 0, e_c = 0;
        for (int j = 0; j < T; ++j) {
          const bool keep = !dropout.active() || dropout_keep(dropout, prow + j);
          double dd = 0, a = 0;
          for (int e = 0; e < HS; ++e) {
            dd += dy(b, i, h, e) * at(b, j, 2, h, e);
            a += std::fabs(dy(b, i, h, e) * at(b, j, 2, h, e));
          }
          dp[j] = keep ? sd * dd : 0.0;
          e_dp[j] = keep ? sd * (kHS * a + kEps32 * std::fabs(dd)) : 0.0;
          d[size_t(i) * T + j] = keep ? sd * probs[prow + j] : 0.0;
          c += probs[prow + j] * dp[j];
          e_c += probs[prow + j] * (e_dp[j] + kT * std::fabs(dp[j]));
        }
        for (int j = 0; j < T; ++j) {
          const double p = probs[prow + j];
          ds[size_t(i) * T + j] = any_key ? p * (dp[j] - c) : 0.0;
          e_ds[size_t(i) * T + j] =
              any_key ? p * (e_dp[j] + e_c + 2 * kEps32 * (std::fabs(dp[j]) + std::fabs(c))) : 0.0;
        }
      }
      for (int t = 0; t < T; ++t) {
        for (int e = 0; e < HS; ++e) {
          double dq = 0, tq = 0, aq = 0, dk = 0, tk = 0, ak = 0, av = 0;
          for (int j = 0; j < T; ++j) {  // dq_t: sum over keys j
            dq += ds[size_t(t) * T + j] * at(b, j, 1, h, e);
            tq += e_ds[size_t(t) * T + j] * std::fabs(at(b, j, 1, h, e));
            aq += std::fabs(ds[size_t(t) * T + j] * at(b, j, 1, h, e));
          }
          for (int i = 0; i < T; ++i) {  // dk_t and dv_t: sums over queries i
            dk += ds[size_t(i) * T + t] * at(b, i, 0, h, e);
            tk += e_ds[size_t(i) * T + t] * std::fabs(at(b, i, 0, h, e));
            ak += std::fabs(ds[size_t(i) * T + t] * at(b, i, 0, h, e));
            av += std::fabs(d[size_t(i) * T + t] * dy(b, i, h, e));
          }
          const size_t row = (size_t(b) * T + t) * 3 * C + size_t(h) * HS + e;
          tol[row] = scale * (tq + kT * aq) + 2 * kEps32 * scale * std::fabs(dq) + 1e-38;
          tol[row + C] = scale * (tk + kT * ak) + 2 * kEps32 * scale * std::fabs(dk) + 1e-38;
          tol[row + 2 * size_t(C)] = (kT + kEps32) * av + 1e-38;
        }
      }
    }
  }
  EXPECT_TRUE(all_close(got, want, [&](size_t i) { return tol[i]; })) << "dqkv";
}

TEST(Attention, BackwardCpuMatchesRef) {
  uint32_t seed = 2900;
  const int heads[][2] = {{1, 1}, {15, 3}, {35, 5}, {39, 3}, {384, 6}};
  for (float p : {0.0f, 0.1f}) {
    for (int B : {1, 3, 8}) {
      for (int T : {1, 2, 5, 23, 64 + 3}) {
        for (const auto& [C, NH] : heads) {
          check_backward(B, T, C, NH, seed += 3, DropoutSpec{p, 9, seed});
        }
      }
    }
  }
}

// Sliding windows (ModernBERT's local layers): windows narrower than, about as wide as, and wider
// than the sequences, with the padding patterns of make_mask (padded queries whose window holds
// only padding are uniform rows).
TEST(Attention, CpuMatchesRefWithWindow) {
  uint32_t seed = 4100;
  for (int window : {1, 3, 16}) {
    for (int T : {5, 23, 64 + 3}) {
      check(7, T, 16, 2, seed += 2, DropoutSpec{}, window);
      check(7, T, 16, 2, seed += 2, DropoutSpec{0.1f, 4, 5}, window);
    }
  }
}

TEST(Attention, BackwardCpuMatchesRefWithWindow) {
  uint32_t seed = 4200;
  for (int window : {1, 3, 16}) {
    for (int T : {5, 23, 64 + 3}) {
      check_backward(7, T, 16, 2, seed += 3, DropoutSpec{}, window);
      check_backward(7, T, 16, 2, seed += 3, DropoutSpec{0.1f, 6, seed}, window);
    }
  }
}

// The reference job's shape (DistilBERT, 8 x 22 tokens) and the longest sequence.
TEST(Attention, BackwardCpuMatchesRefOnModelShapes) {
  check_backward(8, 22, 768, 12, 31);
  check_backward(8, 22, 768, 12, 32, DropoutSpec{0.1f, 3, 4});
  check_backward(1, 512, 64, 1, 33, DropoutSpec{0.1f, 5, 6});
}

}  // namespace
}  // namespace finetune::kernels
