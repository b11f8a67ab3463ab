// Tests of embedding_forward and embedding_backward: ref:: against hand examples, cpu:: against
// ref:: and against PyTorch's float summation order, with and without token types, the
// BertEmbeddings default of token type 0 when the model has a token-type table but no ids are
// given, and repeated ids in the backward scatter-add (bit-identical to ref::); positions either
// 0..T-1 or RoBERTa's ids counted from padding_idx (position_ids_from_input_ids).
#include "kernels/embedding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "kernel_test_util.h"

namespace finetune::kernels {
namespace {

using testing::all_close;
using testing::kEps32;
using testing::shape;
using testing::uniform;

TEST(Embedding, RefMatchesHandExample) {
  // V = 3, P = 4, TV = 2, C = 2; B = 1, T = 2, ids [2, 0], types [1, 0].
  const std::vector<float> word = {1, 2, 10, 20, 100, 200};
  const std::vector<float> pos = {0.5f, 0.25f, 4, 8, -1, -1, -1, -1};
  const std::vector<float> type = {1000, 2000, 3000, 4000};
  const std::vector<int32_t> ids = {2, 0}, types = {1, 0};
  std::vector<float> out(4);
  ref::embedding_forward(Exec::cpu(), out.data(), ids.data(), types.data(), nullptr, word.data(),
                         pos.data(), type.data(), 1, 2, 2);
  EXPECT_EQ(out, (std::vector<float>{3100.5f, 4200.25f, 1005, 2010}));
  ref::embedding_forward(Exec::cpu(), out.data(), ids.data(), nullptr, nullptr, word.data(),
                         pos.data(), nullptr, 1, 2, 2);
  EXPECT_EQ(out, (std::vector<float>{100.5f, 200.25f, 5, 10}));
  // Token-type table without ids: type 0 for every token (BertEmbeddings' zero buffer).
  ref::embedding_forward(Exec::cpu(), out.data(), ids.data(), nullptr, nullptr, word.data(),
                         pos.data(), type.data(), 1, 2, 2);
  EXPECT_EQ(out, (std::vector<float>{1100.5f, 2200.25f, 1005, 2010}));
  // Explicit position ids [3, 1]: position rows 3 and 1.
  const std::vector<int32_t> positions = {3, 1};
  ref::embedding_forward(Exec::cpu(), out.data(), ids.data(), nullptr, positions.data(),
                         word.data(), pos.data(), nullptr, 1, 2, 2);
  EXPECT_EQ(out, (std::vector<float>{99, 199, 5, 10}));
}

// RoBERTa with pad 1: <s>=0 A B </s>=2 then padding. A pad id inside the text (mask 1 or not)
// gets position pad too, as create_position_ids_from_input_ids computes it from the ids alone.
TEST(Embedding, PositionIdsCountFromPad) {
  const std::vector<int32_t> ids = {0, 5, 7, 2, 1, 1,  //
                                    0, 1, 9, 2, 1, 1};
  const std::vector<int32_t> want = {2, 3, 4, 5, 1, 1,  //
                                     2, 1, 3, 4, 1, 1};
  for (auto* f : {&ref::position_ids_from_input_ids, &cpu::position_ids_from_input_ids}) {
    std::vector<int32_t> got(ids.size(), -7);
    f(Exec::cpu(), got.data(), ids.data(), 1, 2, 6);
    EXPECT_EQ(got, want);
  }
  // pad 0 (a BERT vocabulary): positions 1, 2, ...
  std::vector<int32_t> got(3);
  const std::vector<int32_t> bert_ids = {101, 7, 0};
  cpu::position_ids_from_input_ids(Exec::cpu(), got.data(), bert_ids.data(), 0, 1, 3);
  EXPECT_EQ(got, (std::vector<int32_t>{1, 2, 0}));
}

enum class Positions { Absolute, FromIds };

// Random position ids within [0, P): the kernels must read whatever rows they are given (RoBERTa's
// are pad + 1 .. pad + T, and pad for padding; repeats across the batch are the common case).
std::vector<int32_t> random_positions(int B, int T, int P, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<int32_t> positions(size_t(B) * T);
  for (auto& p : positions) p = int32_t(gen() % P);
  return positions;
}

enum class Types { None, Ids, TableOnly };

// cpu:: sums in PyTorch's float order, (word + type) + position: two roundings (unit roundoff
// u = eps32 / 2 each) against ref::'s one rounding of the exact sum, so
// |cpu - ref| <= 3 u (|w| + |t| + |p|) (1 + u); the tolerance is 2 eps32 (|w| + |t| + |p|).
// cpu:: must also equal that float expression exactly.
void check(int B, int T, int C, Types types, Positions positions, uint32_t seed) {
  SCOPED_TRACE(shape("B", B, "T", T, "C", C, "types", static_cast<int>(types), "positions",
                     static_cast<int>(positions)));
  const int V = 50, P = 30, TV = 3;
  const auto word = uniform(size_t(V) * C, seed);
  const auto pos = uniform(size_t(P) * C, seed + 1, -0.1f, 0.1f);
  const auto type = uniform(size_t(TV) * C, seed + 2, -0.01f, 0.01f);
  std::mt19937 gen(seed + 3);
  std::vector<int32_t> ids(size_t(B) * T), type_ids(size_t(B) * T);
  for (auto& id : ids) id = int32_t(gen() % V);
  for (auto& id : type_ids) id = int32_t(gen() % TV);
  const int32_t* type_ids_ptr = types == Types::Ids ? type_ids.data() : nullptr;
  const float* type_ptr = types == Types::None ? nullptr : type.data();
  const std::vector<int32_t> position_ids = random_positions(B, T, P, seed + 4);
  const int32_t* positions_ptr = positions == Positions::FromIds ? position_ids.data() : nullptr;

  std::vector<float> want(size_t(B) * T * C), got(want.size(), NAN), torch_order(want.size());
  ref::embedding_forward(Exec::cpu(), want.data(), ids.data(), type_ids_ptr, positions_ptr,
                         word.data(), pos.data(), type_ptr, B, T, C);
  cpu::embedding_forward(Exec::cpu(), got.data(), ids.data(), type_ids_ptr, positions_ptr,
                         word.data(), pos.data(), type_ptr, B, T, C);
  std::vector<double> scale(want.size());
  for (int r = 0; r < B * T; ++r) {
    for (int c = 0; c < C; ++c) {
      const size_t position = positions_ptr ? size_t(positions_ptr[r]) : size_t(r % T);
      const float w = word[size_t(ids[r]) * C + c], p = pos[position * C + c];
      const float t = type_ptr ? type[size_t(type_ids_ptr ? type_ids[r] : 0) * C + c] : 0.0f;
      torch_order[size_t(r) * C + c] = type_ptr ? (w + t) + p : w + p;
      scale[size_t(r) * C + c] = std::fabs(w) + std::fabs(t) + std::fabs(p);
    }
  }
  EXPECT_TRUE(all_close(got, want, [&](size_t i) { return 2 * kEps32 * scale[i]; }));
  EXPECT_EQ(got, torch_order);
}

TEST(Embedding, CpuMatchesRef) {
  uint32_t seed = 800;
  for (int B : {1, 3, 17}) {
    for (int T : {1, 2, 5, 23}) {
      for (int C : {1, 7, 33, 384 + 3}) {
        for (Types types : {Types::None, Types::Ids, Types::TableOnly}) {
          for (Positions positions : {Positions::Absolute, Positions::FromIds}) {
            check(B, T, C, types, positions, seed += 5);
          }
        }
      }
    }
  }
}

// Backward by hand: V = 3, P = 2, TV = 2, C = 1; B = 2, T = 2, ids [[2, 0], [2, 2]], types
// [[1, 0], [1, 1]], dout [[1, 2], [4, 8]]. Word row 2 is used three times: dword[2] += 1 + 4 + 8,
// dword[0] += 2; dposition[0] += 1 + 4, dposition[1] += 2 + 8; dtype[1] += 1 + 4 + 8,
// dtype[0] += 2. Every table starts at 0.5 (the gradients accumulate).
TEST(Embedding, BackwardMatchesHandExample) {
  const std::vector<int32_t> ids = {2, 0, 2, 2}, types = {1, 0, 1, 1};
  const std::vector<float> dout = {1, 2, 4, 8};
  for (auto* f : {&ref::embedding_backward, &cpu::embedding_backward}) {
    std::vector<float> dword(3, 0.5f), dpos(2, 0.5f), dtype(2, 0.5f);
    f(Exec::cpu(), dword.data(), dpos.data(), dtype.data(), dout.data(), ids.data(), types.data(),
      nullptr, 2, 2, 1);
    EXPECT_EQ(dword, (std::vector<float>{2.5f, 0.5f, 13.5f}));
    EXPECT_EQ(dpos, (std::vector<float>{5.5f, 10.5f}));
    EXPECT_EQ(dtype, (std::vector<float>{2.5f, 13.5f}));
    // A token-type table without ids: every token used row 0.
    std::vector<float> dtype0(2, 0.0f);
    f(Exec::cpu(), dword.data(), dpos.data(), dtype0.data(), dout.data(), ids.data(), nullptr,
      nullptr, 2, 2, 1);
    EXPECT_EQ(dtype0, (std::vector<float>{15.0f, 0.0f}));
    // No table (DistilBERT): only word and position rows.
    f(Exec::cpu(), dword.data(), dpos.data(), nullptr, dout.data(), ids.data(), nullptr, nullptr, 2,
      2, 1);
    EXPECT_EQ(dword, (std::vector<float>{6.5f, 0.5f, 39.5f}));
    // Position ids [[1, 1], [0, 1]]: row 1 gets 1 + 2 + 8, row 0 gets 4.
    const std::vector<int32_t> positions = {1, 1, 0, 1};
    std::vector<float> dpos_ids(2, 0.0f);
    f(Exec::cpu(), dword.data(), dpos_ids.data(), nullptr, dout.data(), ids.data(), nullptr,
      positions.data(), 2, 2, 1);
    EXPECT_EQ(dpos_ids, (std::vector<float>{4.0f, 11.0f}));
  }
}

// cpu:: walks the token rows in the same order as ref:: (it parallelises over columns), so every
// table element receives the same float additions in the same order: bit-identical, for any
// repetition pattern. Ids are drawn from a small vocabulary so that rows repeat often, and the
// tables start non-zero (the gradients accumulate).
void check_backward(int B, int T, int C, Types types, Positions positions, uint32_t seed) {
  SCOPED_TRACE(shape("B", B, "T", T, "C", C, "types", static_cast<int>(types), "positions",
                     static_cast<int>(positions)));
  const int V = 7, P = 30, TV = 3;
  std::mt19937 gen(seed);
  std::vector<int32_t> ids(size_t(B) * T), type_ids(size_t(B) * T);
  for (auto& id : ids) id = int32_t(gen() % V);
  for (auto& id : type_ids) id = int32_t(gen() % TV);
  const int32_t* type_ids_ptr = types == Types::Ids ? type_ids.data() : nullptr;
  const bool table = types != Types::None;
  const std::vector<int32_t> position_ids = random_positions(B, T, P, seed + 5);
  const int32_t* positions_ptr = positions == Positions::FromIds ? position_ids.data() : nullptr;
  const auto dout = uniform(size_t(B) * T * C, seed + 1);
  const auto word0 = uniform(size_t(V) * C, seed + 2), pos0 = uniform(size_t(P) * C, seed + 3),
             type0 = uniform(size_t(TV) * C, seed + 4);
  std::vector<float> want_w = word0, want_p = pos0, want_t = type0;
  std::vector<float> got_w = word0, got_p = pos0, got_t = type0;
  ref::embedding_backward(Exec::cpu(), want_w.data(), want_p.data(),
                          table ? want_t.data() : nullptr, dout.data(), ids.data(), type_ids_ptr,
                          positions_ptr, B, T, C);
  cpu::embedding_backward(Exec::cpu(), got_w.data(), got_p.data(), table ? got_t.data() : nullptr,
                          dout.data(), ids.data(), type_ids_ptr, positions_ptr, B, T, C);
  EXPECT_EQ(got_w, want_w) << "dword";
  EXPECT_EQ(got_p, want_p) << "dposition";
  EXPECT_EQ(got_t, want_t) << "dtoken_type";
  // Rows nobody used are untouched (absolute positions use rows 0..T-1 only).
  for (int t = positions == Positions::FromIds ? P : T; t < P; ++t) {
    for (int c = 0; c < C; ++c) EXPECT_EQ(got_p[size_t(t) * C + c], pos0[size_t(t) * C + c]);
  }
}

TEST(Embedding, BackwardCpuEqualsRef) {
  uint32_t seed = 900;
  for (int B : {1, 3, 17}) {
    for (int T : {1, 2, 5, 23}) {
      for (int C : {1, 7, 64, 64 + 5, 384 + 3, 768}) {
        for (Types types : {Types::None, Types::Ids, Types::TableOnly}) {
          for (Positions positions : {Positions::Absolute, Positions::FromIds}) {
            check_backward(B, T, C, types, positions, seed += 6);
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace finetune::kernels
