// Tests of the small CUDA kernels whose results are defined exactly or nearly so: dropout (the
// mask and the scaled survivors bit-equal to cpu::, i.e. the same Philox mask on CPU and GPU),
// add_forward and first-token pooling (bit-equal), embedding forward (bit-equal to cpu::'s
// PyTorch-order float sum) and backward (bit-equal to ref::, which rounds after every addition in
// token order; repeated ids and token types), softmax and cross-entropy (the cpu:: tolerances of
// tests/kernels/softmax_test.cpp and loss_test.cpp: CUDA's expf is within 2 ulp, logf within 1).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "cuda_test_util.h"
#include "kernels/dropout.h"
#include "kernels/elementwise.h"
#include "kernels/embedding.h"
#include "kernels/loss.h"
#include "kernels/pooling.h"
#include "kernels/softmax.h"

namespace finetune::kernels {
namespace {

using cudatest::all_close;
using cudatest::bit_equal;
using cudatest::CudaKernelTest;
using cudatest::DeviceBuffer;
using cudatest::kEps32;
using cudatest::shape;
using cudatest::uniform;

class CudaElementwise : public CudaKernelTest {};

// The GPU keeps exactly the elements the CPU keeps, for lengths that are and are not multiples
// of the Philox block (4), several p, seeds and streams; backward applies the same mask; in place
// works; p = 0 copies.
TEST_F(CudaElementwise, DropoutEqualsCpuBitForBit) {
  for (long N : {1L, 3L, 4L, 5L, 1000L + 3, (1L << 20) + 1}) {
    for (const DropoutSpec spec :
         {DropoutSpec{0.1f, 42, 7}, DropoutSpec{0.5f, 1, 0},
          DropoutSpec{0.9f, 0xdeadbeefcafeull, uint64_t(1) << 40}, DropoutSpec{0.0f, 3, 3}}) {
      SCOPED_TRACE(shape("N", N, "p", spec.p, "stream", spec.stream));
      const auto x = uniform(N, uint32_t(N) + 5);
      std::vector<float> want(N), want_b(N);
      cpu::dropout_forward(Exec::cpu(), want.data(), x.data(), N, spec);
      cpu::dropout_backward(Exec::cpu(), want_b.data(), x.data(), N, spec);
      DeviceBuffer<float> d_x(x), d_y(std::vector<float>(N, NAN)), d_b(std::vector<float>(N, NAN));
      cuda::dropout_forward(exec(), d_y.get(), d_x.get(), N, spec);
      cuda::dropout_backward(exec(), d_b.get(), d_x.get(), N, spec);
      EXPECT_TRUE(bit_equal(d_y.download(), want)) << "forward";
      EXPECT_TRUE(bit_equal(d_b.download(), want_b)) << "backward";
      cuda::dropout_forward(exec(), d_x.get(), d_x.get(), N, spec);
      EXPECT_TRUE(bit_equal(d_x.download(), want)) << "in place";
    }
  }
}

TEST_F(CudaElementwise, AddEqualsRefBitForBit) {
  for (long N : {1L, 7L, 100003L}) {
    const auto a = uniform(N, 1), b = uniform(N, 2, -1e3f, 1e3f);
    std::vector<float> want(N);
    ref::add_forward(Exec::cpu(), want.data(), a.data(), b.data(), N);
    DeviceBuffer<float> d_a(a), d_b(b), d_out(N);
    cuda::add_forward(exec(), d_out.get(), d_a.get(), d_b.get(), N);
    EXPECT_TRUE(bit_equal(d_out.download(), want));
    cuda::add_forward(exec(), d_b.get(), d_a.get(), d_b.get(), N);  // out aliases b
    EXPECT_TRUE(bit_equal(d_b.download(), want));
  }
}

TEST_F(CudaElementwise, FirstTokenForwardAndBackward) {
  for (auto [B, T, C] : {std::tuple{1, 1, 1}, std::tuple{3, 5, 7}, std::tuple{8, 22, 768}}) {
    SCOPED_TRACE(shape("B", B, "T", T, "C", C));
    const auto in = uniform(size_t(B) * T * C, 3);
    const auto dout = uniform(size_t(B) * C, 4);
    std::vector<float> want(size_t(B) * C), want_din(in.size());
    ref::first_token_forward(Exec::cpu(), want.data(), in.data(), B, T, C);
    ref::first_token_backward(Exec::cpu(), want_din.data(), dout.data(), B, T, C);
    DeviceBuffer<float> d_in(in), d_out(want.size()), d_dout(dout),
        d_din(std::vector<float>(in.size(), NAN));
    cuda::first_token_forward(exec(), d_out.get(), d_in.get(), B, T, C);
    cuda::first_token_backward(exec(), d_din.get(), d_dout.get(), B, T, C);
    EXPECT_TRUE(bit_equal(d_out.download(), want));
    EXPECT_TRUE(bit_equal(d_din.download(), want_din));
  }
}

// Embedding: ids with many repeats (a tiny vocabulary, and one id used by every token of a long
// batch), with and without token types, positions 0..T-1 or RoBERTa's (counted from pad 1, the
// ids computed on the device and compared with cpu::'s), gradients accumulated onto old values.
void check_embedding(Exec ex, int B, int T, int C, int V, int TV, bool with_types,
                     bool with_type_table, uint32_t seed, bool with_positions = false) {
  SCOPED_TRACE(shape("B", B, "T", T, "C", C, "V", V, "types", with_types, "table", with_type_table,
                     "position ids", with_positions));
  const int P = T + 3, pad = 1;
  std::mt19937 gen(seed);
  std::vector<int32_t> ids(size_t(B) * T), types(size_t(B) * T);
  for (auto& id : ids) id = int32_t(gen() % V);
  for (auto& t : types) t = int32_t(gen() % TV);
  const auto word = uniform(size_t(V) * C, seed + 1), pos = uniform(size_t(P) * C, seed + 2),
             tt = uniform(size_t(TV) * C, seed + 3), dout = uniform(size_t(B) * T * C, seed + 4);
  const auto dword0 = uniform(word.size(), seed + 5, -0.1f, 0.1f),
             dpos0 = uniform(pos.size(), seed + 6, -0.1f, 0.1f),
             dtt0 = uniform(tt.size(), seed + 7, -0.1f, 0.1f);
  const int32_t* type_ids = with_types ? types.data() : nullptr;
  const float* type_table = with_type_table ? tt.data() : nullptr;
  std::vector<int32_t> positions(ids.size());
  cpu::position_ids_from_input_ids(Exec::cpu(), positions.data(), ids.data(), pad, B, T);
  const int32_t* position_ids = with_positions ? positions.data() : nullptr;
  std::vector<float> want(size_t(B) * T * C), want_dword = dword0, want_dpos = dpos0,
                                              want_dtt = dtt0;
  cpu::embedding_forward(Exec::cpu(), want.data(), ids.data(), type_ids, position_ids, word.data(),
                         pos.data(), type_table, B, T, C);
  ref::embedding_backward(Exec::cpu(), want_dword.data(), want_dpos.data(),
                          with_type_table ? want_dtt.data() : nullptr, dout.data(), ids.data(),
                          type_ids, position_ids, B, T, C);
  DeviceBuffer<int32_t> d_ids(ids), d_types(types), d_positions(ids.size());
  cuda::position_ids_from_input_ids(ex, d_positions.get(), d_ids.get(), pad, B, T);
  EXPECT_EQ(d_positions.download(), positions) << "position ids";
  DeviceBuffer<float> d_word(word), d_pos(pos), d_tt(tt), d_dout(dout), d_out(want.size()),
      d_dword(dword0), d_dpos(dpos0), d_dtt(dtt0);
  const int32_t* d_position_ids = with_positions ? d_positions.get() : nullptr;
  cuda::embedding_forward(ex, d_out.get(), d_ids.get(), with_types ? d_types.get() : nullptr,
                          d_position_ids, d_word.get(), d_pos.get(),
                          with_type_table ? d_tt.get() : nullptr, B, T, C);
  cuda::embedding_backward(ex, d_dword.get(), d_dpos.get(), with_type_table ? d_dtt.get() : nullptr,
                           d_dout.get(), d_ids.get(), with_types ? d_types.get() : nullptr,
                           d_position_ids, B, T, C);
  EXPECT_TRUE(bit_equal(d_out.download(), want)) << "forward";
  EXPECT_TRUE(bit_equal(d_dword.download(), want_dword)) << "dword";
  EXPECT_TRUE(bit_equal(d_dpos.download(), want_dpos)) << "dposition";
  EXPECT_TRUE(bit_equal(d_dtt.download(), want_dtt)) << "dtoken_type";
}

TEST_F(CudaElementwise, EmbeddingMatchesCpuAndRefBitForBit) {
  uint32_t seed = 50;
  for (auto [B, T, C, V] :
       {std::tuple{1, 1, 1, 1}, std::tuple{3, 5, 7, 4}, std::tuple{8, 22, 768, 50},
        std::tuple{4, 129, 33, 3}, std::tuple{2, 300, 16, 1000}}) {
    check_embedding(exec(), B, T, C, V, 2, true, true, seed += 8);
    check_embedding(exec(), B, T, C, V, 2, false, true, seed += 8);        // type row 0
    check_embedding(exec(), B, T, C, V, 2, false, false, seed += 8);       // DistilBERT
    check_embedding(exec(), B, T, C, V, 1, false, true, seed += 8, true);  // RoBERTa
  }
  check_embedding(exec(), 16, 512, 8, 1, 1, true, true, 99);  // one id for all 8192 tokens
}

// Softmax: the cpu:: bound (4 + K/2 + (max - x_k)) eps32 y_k; in place gives the same bits.
TEST_F(CudaElementwise, SoftmaxMatchesRef) {
  uint32_t seed = 70;
  for (int N : {1, 3, 17, 1000}) {
    for (int K : {1, 2, 6, 33, 1000}) {
      SCOPED_TRACE(shape("N", N, "K", K));
      auto x = uniform(size_t(N) * K, seed += 2, -20.0f, 20.0f);
      if (N > 1) x[K] = 1000.0f;  // a huge logit
      std::vector<float> want(x.size());
      ref::softmax_forward(Exec::cpu(), want.data(), x.data(), N, K);
      std::vector<double> row_max(N, -INFINITY);
      for (size_t i = 0; i < x.size(); ++i) row_max[i / K] = std::max(row_max[i / K], double(x[i]));
      DeviceBuffer<float> d_x(x), d_y(x.size());
      cuda::softmax_forward(exec(), d_y.get(), d_x.get(), N, K);
      const auto got = d_y.download();
      EXPECT_TRUE(all_close(got, want, [&](size_t i) {
        return (4.0 + K / 2.0 + (row_max[i / K] - x[i])) * kEps32 * want[i] + 1e-38;
      }));
      cuda::softmax_forward(exec(), d_x.get(), d_x.get(), N, K);
      EXPECT_EQ(d_x.download(), got) << "in place";
    }
  }
}

// Cross-entropy: the cpu:: bounds of tests/kernels/loss_test.cpp, except that the final
// scale * (softmax - onehot) is allowed 2 eps32 |softmax - onehot| instead of 1: it is two
// roundings (the difference, then the product with a scale like 1/1000 that is not a power of
// two), which together reach ~eps32 |result| (0.98 of the cpu:: bound was measured on an H100).
TEST_F(CudaElementwise, CrossEntropyMatchesRef) {
  uint32_t seed = 90;
  for (int B : {1, 3, 8, 1000}) {
    for (int K : {1, 2, 6, 37}) {
      for (bool with_grad : {true, false}) {
        SCOPED_TRACE(shape("B", B, "K", K, "grad", with_grad));
        auto z = uniform(size_t(B) * K, seed += 2, -10.0f, 10.0f);
        if (B > 1) z[K] = 1000.0f;
        std::mt19937 gen(seed);
        std::vector<int32_t> labels(B);
        for (auto& y : labels) y = int32_t(gen() % K);
        const float scale = 1.0f / float(B);
        std::vector<float> want_l(B), want_d(z.size());
        ref::cross_entropy_forward_backward(Exec::cpu(), want_l.data(), want_d.data(), z.data(),
                                            labels.data(), B, K, scale);
        DeviceBuffer<float> d_z(z), d_l(B), d_d(std::vector<float>(z.size(), NAN));
        DeviceBuffer<int32_t> d_y(labels);
        cuda::cross_entropy_forward_backward(exec(), d_l.get(), with_grad ? d_d.get() : nullptr,
                                             d_z.get(), d_y.get(), B, K, scale);
        std::vector<double> tol_l(B), tol_d(z.size());
        for (int b = 0; b < B; ++b) {
          const float* zb = &z[size_t(b) * K];
          double max = -INFINITY, sum = 0, max_delta = 0;
          for (int k = 0; k < K; ++k) max = std::max(max, double(zb[k]));
          for (int k = 0; k < K; ++k) {
            sum += std::exp(zb[k] - max);
            max_delta = std::max(max_delta, max - zb[k]);
          }
          tol_l[b] = (K / 2.0 + 2 + std::fabs(std::log(sum)) + (max - zb[labels[b]]) + max_delta) *
                         kEps32 +
                     kEps32 * std::fabs(want_l[b]);
          for (int k = 0; k < K; ++k) {
            const double p = std::exp(zb[k] - max) / sum;
            tol_d[size_t(b) * K + k] =
                std::fabs(scale) * ((4 + K / 2.0 + (max - zb[k])) * kEps32 * p +
                                    2 * kEps32 * std::fabs(p - (k == labels[b] ? 1.0 : 0.0))) +
                1e-38;
          }
        }
        EXPECT_TRUE(all_close(d_l.download(), want_l, [&](size_t i) { return tol_l[i]; }))
            << "losses";
        if (with_grad) {
          EXPECT_TRUE(all_close(d_d.download(), want_d, [&](size_t i) { return tol_d[i]; }))
              << "dlogits";
        }
      }
    }
  }
}

}  // namespace
}  // namespace finetune::kernels
