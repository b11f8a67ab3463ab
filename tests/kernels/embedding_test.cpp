// Tests of embedding_forward: ref:: against a hand example, cpu:: against ref:: and against
// PyTorch's float summation order, with and without token types, and the BertEmbeddings default
// of token type 0 when the model has a token-type table but no ids are given.
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
  ref::embedding_forward(Exec::cpu(), out.data(), ids.data(), types.data(), word.data(), pos.data(),
                         type.data(), 1, 2, 2);
  EXPECT_EQ(out, (std::vector<float>{3100.5f, 4200.25f, 1005, 2010}));
  ref::embedding_forward(Exec::cpu(), out.data(), ids.data(), nullptr, word.data(), pos.data(),
                         nullptr, 1, 2, 2);
  EXPECT_EQ(out, (std::vector<float>{100.5f, 200.25f, 5, 10}));
  // Token-type table without ids: type 0 for every token (BertEmbeddings' zero buffer).
  ref::embedding_forward(Exec::cpu(), out.data(), ids.data(), nullptr, word.data(), pos.data(),
                         type.data(), 1, 2, 2);
  EXPECT_EQ(out, (std::vector<float>{1100.5f, 2200.25f, 1005, 2010}));
}

enum class Types { None, Ids, TableOnly };

// cpu:: sums in PyTorch's float order, (word + type) + position: two roundings (unit roundoff
// u = eps32 / 2 each) against ref::'s one rounding of the exact sum, so
// |cpu - ref| <= 3 u (|w| + |t| + |p|) (1 + u); the tolerance is 2 eps32 (|w| + |t| + |p|).
// cpu:: must also equal that float expression exactly.
void check(int B, int T, int C, Types types, uint32_t seed) {
  SCOPED_TRACE(shape("B", B, "T", T, "C", C, "types", static_cast<int>(types)));
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

  std::vector<float> want(size_t(B) * T * C), got(want.size(), NAN), torch_order(want.size());
  ref::embedding_forward(Exec::cpu(), want.data(), ids.data(), type_ids_ptr, word.data(),
                         pos.data(), type_ptr, B, T, C);
  cpu::embedding_forward(Exec::cpu(), got.data(), ids.data(), type_ids_ptr, word.data(), pos.data(),
                         type_ptr, B, T, C);
  std::vector<double> scale(want.size());
  for (int r = 0; r < B * T; ++r) {
    for (int c = 0; c < C; ++c) {
      const float w = word[size_t(ids[r]) * C + c], p = pos[size_t(r % T) * C + c];
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
          check(B, T, C, types, seed += 4);
        }
      }
    }
  }
}

}  // namespace
}  // namespace finetune::kernels
