// Every backward kernel's math against central finite differences in double (DESIGN.md
// principle 6): the ref::math templates instantiated with double are the forward function f and
// its hand-written backward; L = sum(R * f(inputs)) for a fixed random R, and the backward with
// dout = R must equal dL/d(every input and parameter element). Method, step and tolerance are in
// fd_util.h. Shapes are tiny (every element is perturbed twice) but cover what the kernels
// branch on: padding and fully masked rows in attention, dropout masks, repeated ids and token
// types in the embedding scatter, LayerNorm after a residual add, rows far from zero mean.
//
// The float kernels (ref:: and cpu::) are the same templates instantiated with float, or are
// checked against them in the other *_test.cpp files, so these tests validate the formulas that
// every backend implements.
//
// Dimension legend: N rows, IC/OC in/out features, C features, B batch, T tokens, NH heads,
// V vocabulary, P positions, TV token types, K classes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "fd_util.h"
#include "kernel_test_util.h"
#include "kernels/ref/activation_math.h"
#include "kernels/ref/attention_math.h"
#include "kernels/ref/dropout_math.h"
#include "kernels/ref/embedding_math.h"
#include "kernels/ref/layernorm_math.h"
#include "kernels/ref/linear_math.h"
#include "kernels/ref/loss_math.h"
#include "kernels/ref/pooling_math.h"
#include "kernels/ref/rotary_math.h"

namespace finetune::kernels {
namespace {

using testing::dot;
using testing::matches_finite_differences;
using testing::shape;
using testing::uniform_d;
using Vec = std::vector<double>;

TEST(BackwardFd, Linear) {
  for (bool with_bias : {true, false}) {
    const int N = 3, IC = 4, OC = 5;
    SCOPED_TRACE(shape("bias", with_bias));
    Vec x = uniform_d(N * IC, 1), w = uniform_d(OC * IC, 2), b = uniform_d(OC, 3);
    const Vec r = uniform_d(N * OC, 4);
    const auto loss = [&] {
      Vec out(N * OC);
      ref::math::linear_forward(out.data(), x.data(), w.data(), with_bias ? b.data() : nullptr, N,
                                IC, OC);
      return dot(r, out);
    };
    Vec dx(N * IC), dw(OC * IC, 0.0), db(OC, 0.0);
    ref::math::linear_backward(dx.data(), dw.data(), with_bias ? db.data() : nullptr, r.data(),
                               x.data(), w.data(), N, IC, OC);
    EXPECT_TRUE(matches_finite_differences(x, dx, loss)) << "din";
    EXPECT_TRUE(matches_finite_differences(w, dw, loss)) << "dweight";
    if (with_bias) {
      EXPECT_TRUE(matches_finite_differences(b, db, loss)) << "dbias";
    }
  }
}

// Rows: random, one offset by +5 (mean far from 0) and one scaled by 0.1 (small variance).
TEST(BackwardFd, LayerNorm) {
  const int N = 3, C = 6;
  const float eps = 1e-5f;
  Vec x = uniform_d(N * C, 11), w = uniform_d(C, 12, 0.5, 1.5), b = uniform_d(C, 13);
  for (int c = 0; c < C; ++c) x[C + c] += 5.0;
  for (int c = 0; c < C; ++c) x[2 * C + c] *= 0.1;
  const Vec r = uniform_d(N * C, 14);
  const auto loss = [&] {
    Vec out(N * C);
    ref::math::layernorm_forward<double>(out.data(), nullptr, nullptr, x.data(), w.data(), b.data(),
                                         N, C, eps);
    return dot(r, out);
  };
  Vec out(N * C), mean(N), rstd(N);
  ref::math::layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), w.data(), b.data(),
                               N, C, eps);
  Vec dx(N * C), dw(C, 0.0), db(C, 0.0);
  ref::math::layernorm_backward(dx.data(), dw.data(), db.data(), r.data(), x.data(), w.data(),
                                mean.data(), rstd.data(), N, C);
  EXPECT_TRUE(matches_finite_differences(x, dx, loss)) << "din";
  EXPECT_TRUE(matches_finite_differences(w, dw, loss)) << "dweight";
  EXPECT_TRUE(matches_finite_differences(b, db, loss)) << "dbias";
}

// LayerNorm without a bias (torch.nn.LayerNorm(bias=False), ModernBERT): null bias and dbias.
TEST(BackwardFd, LayerNormWithoutBias) {
  const int N = 3, C = 6;
  const float eps = 1e-5f;
  Vec x = uniform_d(N * C, 15), w = uniform_d(C, 16, 0.5, 1.5);
  const Vec r = uniform_d(N * C, 17);
  const auto loss = [&] {
    Vec out(N * C);
    ref::math::layernorm_forward<double>(out.data(), nullptr, nullptr, x.data(), w.data(), nullptr,
                                         N, C, eps);
    return dot(r, out);
  };
  Vec out(N * C), mean(N), rstd(N);
  ref::math::layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), w.data(),
                               static_cast<const double*>(nullptr), N, C, eps);
  Vec dx(N * C), dw(C, 0.0);
  ref::math::layernorm_backward(dx.data(), dw.data(), static_cast<double*>(nullptr), r.data(),
                                x.data(), w.data(), mean.data(), rstd.data(), N, C);
  EXPECT_TRUE(matches_finite_differences(x, dx, loss)) << "din";
  EXPECT_TRUE(matches_finite_differences(w, dw, loss)) << "dweight";
}

// out = LayerNorm(a + b): layernorm_backward on the saved sum gives the gradient of both addends.
TEST(BackwardFd, AddLayerNorm) {
  const int N = 2, C = 5;
  const float eps = 1e-12f;
  Vec a = uniform_d(N * C, 21), bb = uniform_d(N * C, 22), w = uniform_d(C, 23, 0.5, 1.5),
      bias = uniform_d(C, 24);
  const Vec r = uniform_d(N * C, 25);
  const auto loss = [&] {
    Vec out(N * C);
    ref::math::add_layernorm_forward<double>(out.data(), nullptr, nullptr, nullptr, a.data(),
                                             bb.data(), w.data(), bias.data(), N, C, eps);
    return dot(r, out);
  };
  Vec out(N * C), sum(N * C), mean(N), rstd(N);
  ref::math::add_layernorm_forward(out.data(), sum.data(), mean.data(), rstd.data(), a.data(),
                                   bb.data(), w.data(), bias.data(), N, C, eps);
  Vec dsum(N * C), dw(C, 0.0), db(C, 0.0);
  ref::math::layernorm_backward(dsum.data(), dw.data(), db.data(), r.data(), sum.data(), w.data(),
                                mean.data(), rstd.data(), N, C);
  EXPECT_TRUE(matches_finite_differences(a, dsum, loss)) << "da";
  EXPECT_TRUE(matches_finite_differences(bb, dsum, loss)) << "db";
  EXPECT_TRUE(matches_finite_differences(w, dw, loss)) << "dweight";
  EXPECT_TRUE(matches_finite_differences(bias, db, loss)) << "dbias";
}

// Inputs across [-5, 5] (both GELU tails, tanh saturation), none within 0.01 of ReLU's kink.
TEST(BackwardFd, Activations) {
  Vec x0 = uniform_d(40, 31, -5.0, 5.0);
  for (double& v : x0) {
    if (std::fabs(v) < 0.01) v += 0.05;
  }
  const Vec r = uniform_d(x0.size(), 32);
  for (Activation kind :
       {Activation::GeluErf, Activation::GeluTanh, Activation::Relu, Activation::Tanh}) {
    SCOPED_TRACE(shape("activation", static_cast<int>(kind)));
    Vec x = x0;
    const long N = long(x.size());
    const auto loss = [&] {
      Vec y(N);
      ref::math::activation_forward(y.data(), x.data(), N, kind);
      return dot(r, y);
    };
    Vec dx(N);
    ref::math::activation_backward(dx.data(), r.data(), x.data(), N, kind);
    EXPECT_TRUE(matches_finite_differences(x, dx, loss));
  }
}

// Three sequences: all tokens real; padding inside and at the end ([1, 1, 0, 1, 0]); no real
// token at all (uniform rows, no gradient through q and k). With and without attention dropout.
TEST(BackwardFd, Attention) {
  const int B = 3, T = 5, C = 6, NH = 2;
  const std::vector<int32_t> mask = {1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0};
  for (float p : {0.0f, 0.3f}) {
    SCOPED_TRACE(shape("dropout", p));
    const DropoutSpec dropout{p, 1234, 7};
    Vec qkv = uniform_d(size_t(B) * T * 3 * C, 41, -1.5, 1.5);
    const Vec r = uniform_d(size_t(B) * T * C, 42);
    const auto loss = [&] {
      Vec out(size_t(B) * T * C), probs(size_t(B) * NH * T * T);
      ref::math::attention_forward(out.data(), probs.data(), qkv.data(), mask.data(), B, T, C, NH,
                                   dropout);
      return dot(r, out);
    };
    Vec out(size_t(B) * T * C), probs(size_t(B) * NH * T * T), dprobs(probs.size());
    ref::math::attention_forward(out.data(), probs.data(), qkv.data(), mask.data(), B, T, C, NH,
                                 dropout);
    Vec dqkv(qkv.size(), NAN);
    ref::math::attention_backward(dqkv.data(), dprobs.data(), r.data(), qkv.data(), probs.data(),
                                  mask.data(), B, T, C, NH, dropout);
    EXPECT_TRUE(matches_finite_differences(qkv, dqkv, loss));
    if (p > 0) {  // the mask really dropped something in this example
      int dropped = 0;
      for (long i = 0; i < long(probs.size()); ++i) dropped += !dropout_keep(dropout, i);
      EXPECT_GT(dropped, 0);
    }
  }
}

// Sliding-window attention (ModernBERT's local layers), window 1 over T = 6: a full sequence; one
// with padding inside and at the end, where the padded query 5 sees only padding in its window
// (a uniform row, no gradient to q and k); with and without dropout.
TEST(BackwardFd, WindowedAttention) {
  const int B = 2, T = 6, C = 4, NH = 2, window = 1;
  const std::vector<int32_t> mask = {1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0};
  for (float p : {0.0f, 0.3f}) {
    SCOPED_TRACE(shape("dropout", p));
    const DropoutSpec dropout{p, 99, 3};
    Vec qkv = uniform_d(size_t(B) * T * 3 * C, 43, -1.5, 1.5);
    const Vec r = uniform_d(size_t(B) * T * C, 44);
    const auto loss = [&] {
      Vec out(size_t(B) * T * C), probs(size_t(B) * NH * T * T);
      ref::math::attention_forward(out.data(), probs.data(), qkv.data(), mask.data(), B, T, C, NH,
                                   dropout, window);
      return dot(r, out);
    };
    Vec out(size_t(B) * T * C), probs(size_t(B) * NH * T * T), dprobs(probs.size());
    ref::math::attention_forward(out.data(), probs.data(), qkv.data(), mask.data(), B, T, C, NH,
                                 dropout, window);
    // Outside the window the probability is exactly 0; the uniform row is 1/T everywhere.
    EXPECT_EQ(probs[0 * T + 3], 0.0);             // b 0, head 0, query 0, key 3
    EXPECT_DOUBLE_EQ(probs[(2 * NH * T - 1) * T], 1.0 / T);  // b 1, head 1, query 5
    Vec dqkv(qkv.size(), NAN);
    ref::math::attention_backward(dqkv.data(), dprobs.data(), r.data(), qkv.data(), probs.data(),
                                  mask.data(), B, T, C, NH, dropout, window);
    EXPECT_TRUE(matches_finite_differences(qkv, dqkv, loss));
  }
}

// RoPE on q and k (v untouched), head size 4, positions up to 4, a small theta so that every
// angle is large enough to matter.
TEST(BackwardFd, Rotary) {
  const int B = 2, T = 5, C = 8, NH = 2;
  const float theta = 10.0f;
  Vec qkv = uniform_d(size_t(B) * T * 3 * C, 45);
  const Vec r = uniform_d(qkv.size(), 46);
  const auto loss = [&] {
    Vec y = qkv;
    ref::math::rotary_apply(y.data(), B, T, C, NH, theta, +1);
    return dot(r, y);
  };
  Vec d = r;
  ref::math::rotary_apply(d.data(), B, T, C, NH, theta, -1);
  EXPECT_TRUE(matches_finite_differences(qkv, d, loss));
}

// GeGLU for every activation, inputs across [-4, 4] away from ReLU's kink.
TEST(BackwardFd, GeGLU) {
  const long N = 3, F = 5;
  Vec x0 = uniform_d(size_t(N) * 2 * F, 47, -4.0, 4.0);
  for (double& v : x0) {
    if (std::fabs(v) < 0.01) v += 0.05;
  }
  const Vec r = uniform_d(size_t(N) * F, 48);
  for (Activation kind :
       {Activation::GeluErf, Activation::GeluTanh, Activation::Relu, Activation::Tanh}) {
    SCOPED_TRACE(shape("activation", static_cast<int>(kind)));
    Vec x = x0;
    const auto loss = [&] {
      Vec y(size_t(N) * F);
      ref::math::geglu_forward(y.data(), x.data(), N, F, kind);
      return dot(r, y);
    };
    Vec dx(x.size(), NAN);
    ref::math::geglu_backward(dx.data(), r.data(), x.data(), N, F, kind);
    EXPECT_TRUE(matches_finite_differences(x, dx, loss));
  }
}

// Masked mean pooling: a full sequence and one with padding.
TEST(BackwardFd, MeanPool) {
  const int B = 2, T = 4, C = 3;
  const std::vector<int32_t> mask = {1, 1, 1, 1, 1, 0, 1, 0};
  Vec x = uniform_d(size_t(B) * T * C, 63);
  const Vec r = uniform_d(size_t(B) * C, 64);
  const auto loss = [&] {
    Vec out(size_t(B) * C);
    ref::math::mean_pool_forward(out.data(), x.data(), mask.data(), B, T, C);
    return dot(r, out);
  };
  Vec dx(x.size(), NAN);
  ref::math::mean_pool_backward(dx.data(), r.data(), mask.data(), B, T, C);
  EXPECT_TRUE(matches_finite_differences(x, dx, loss));
}

// Repeated word ids (3 appears three times, across sequences), token types 0 and 1, and the two
// defaults: a token-type table without ids (row 0 everywhere) and no table (DistilBERT).
TEST(BackwardFd, Embedding) {
  const int B = 2, T = 3, C = 4, V = 5, P = 4, TV = 2;
  const std::vector<int32_t> ids = {3, 1, 3, 0, 3, 4};
  const std::vector<int32_t> types = {0, 1, 1, 0, 0, 1};
  // RoBERTa-like position ids (pad 1): 2, 3, ... and 1 for padding, with repeats across rows.
  const std::vector<int32_t> roberta_positions = {2, 3, 1, 2, 3, 1};
  enum class Types { Ids, TableOnly, None };
  for (bool from_ids : {false, true})
    for (Types mode : {Types::Ids, Types::TableOnly, Types::None}) {
      SCOPED_TRACE(shape("token types", static_cast<int>(mode), "position ids", from_ids));
      const int32_t* position_ids = from_ids ? roberta_positions.data() : nullptr;
      Vec word = uniform_d(V * C, 51), pos = uniform_d(P * C, 52), tt = uniform_d(TV * C, 53);
      const int32_t* type_ids = mode == Types::Ids ? types.data() : nullptr;
      const bool table = mode != Types::None;
      const Vec r = uniform_d(size_t(B) * T * C, 54);
      const auto loss = [&] {
        Vec out(size_t(B) * T * C);
        ref::math::embedding_forward(out.data(), ids.data(), type_ids, position_ids, word.data(),
                                     pos.data(), table ? tt.data() : nullptr, B, T, C);
        return dot(r, out);
      };
      Vec dword(V * C, 0.0), dpos(P * C, 0.0), dtt(TV * C, 0.0);
      ref::math::embedding_backward(dword.data(), dpos.data(), table ? dtt.data() : nullptr,
                                    r.data(), ids.data(), type_ids, position_ids, B, T, C);
      EXPECT_TRUE(matches_finite_differences(word, dword, loss)) << "dword";
      EXPECT_TRUE(matches_finite_differences(pos, dpos, loss)) << "dposition";
      if (table) {
        EXPECT_TRUE(matches_finite_differences(tt, dtt, loss)) << "dtoken_type";
      }
    }
}

TEST(BackwardFd, FirstToken) {
  const int B = 2, T = 3, C = 4;
  Vec x = uniform_d(size_t(B) * T * C, 61);
  const Vec r = uniform_d(size_t(B) * C, 62);
  const auto loss = [&] {
    Vec out(size_t(B) * C);
    ref::math::first_token_forward(out.data(), x.data(), B, T, C);
    return dot(r, out);
  };
  Vec dx(x.size(), NAN);
  ref::math::first_token_backward(dx.data(), r.data(), B, T, C);
  EXPECT_TRUE(matches_finite_differences(x, dx, loss));
}

// With its mask fixed by the spec, dropout is linear: the gradient is the same masked scaling
// applied to dout, i.e. dropout_backward(R) == dropout_forward(R), and it matches finite
// differences.
TEST(BackwardFd, Dropout) {
  const long N = 40;
  for (float p : {0.0f, 0.25f, 0.5f}) {
    SCOPED_TRACE(shape("p", p));
    const DropoutSpec spec{p, 99, 3};
    Vec x = uniform_d(N, 71);
    const Vec r = uniform_d(N, 72);
    const auto loss = [&] {
      Vec y(N);
      ref::math::dropout_forward(y.data(), x.data(), N, spec);
      return dot(r, y);
    };
    Vec dx(N), fwd_of_r(N);
    ref::math::dropout_backward(dx.data(), r.data(), N, spec);
    ref::math::dropout_forward(fwd_of_r.data(), r.data(), N, spec);
    EXPECT_EQ(dx, fwd_of_r);
    EXPECT_TRUE(matches_finite_differences(x, dx, loss));
  }
}

// L = scale * sum_b loss_b, whose gradient the kernel returns as dlogits. Logits spread over
// [-4, 4] so that probabilities range from ~1e-4 to ~1.
TEST(BackwardFd, CrossEntropy) {
  const int B = 3, K = 5;
  const float scale = 0.37f;
  Vec z = uniform_d(size_t(B) * K, 81, -4.0, 4.0);
  const std::vector<int32_t> labels = {2, 0, 4};
  const auto loss = [&] {
    Vec losses(B);
    ref::math::cross_entropy_forward_backward<double>(losses.data(), nullptr, z.data(),
                                                      labels.data(), B, K, scale);
    double total = 0;
    for (double l : losses) total += l;
    return double(scale) * total;
  };
  Vec losses(B), dz(z.size());
  ref::math::cross_entropy_forward_backward(losses.data(), dz.data(), z.data(), labels.data(), B, K,
                                            scale);
  EXPECT_TRUE(matches_finite_differences(z, dz, loss));
}

}  // namespace
}  // namespace finetune::kernels
