// train/optimizer.h on a real parameter layout (tiny-bert): skipping the word-embedding rows that
// have had no gradient changes nothing. Steps with gradients that touch a few embedding rows (as
// a batch of token ids does) leave the parameters and moments bit-identical to the dense update,
// also across a snapshot and restore into a fresh optimizer (which must rebuild the row flags from
// the moments), and the skipping switches itself off where it would not be exact (weight decay).
#include "train/optimizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "model/model.h"
#include "test_paths.h"

namespace finetune {
namespace {

// Fills every parameter with a seeded value, so that an update that should not happen shows.
void randomise(ParameterStore& store, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-0.5f, 0.5f);
  float* p = store.data();
  for (int64_t i = 0; i < store.count(); ++i) p[i] = dist(rng);
}

// The gradient of step `step`: random for every parameter but the word embeddings, where only
// the rows of a few "token ids" get one (each step another handful, some repeated).
void fill_gradient(const ModelConfig& config, ParameterStore& grads, int step) {
  std::mt19937 rng(100 + step);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  float* g = grads.data();
  for (int64_t i = 0; i < grads.count(); ++i) g[i] = dist(rng);
  Tensor& word = grads.params().embeddings.word;
  const int64_t V = word.shape[0], C = word.shape[1];
  std::fill(word.f32(), word.f32() + V * C, 0.0f);
  // Row 7 only in step 1 (and it then has moments but no gradient), rows 0, 101, 102 always.
  const int64_t ids[] = {0, 101 % V, 102 % V, (7 * step) % V, (50 + 13 * step) % V};
  for (int64_t id : ids) {
    for (int64_t c = 0; c < C; ++c) word.f32()[id * C + c] = dist(rng);
  }
  (void)config;
}

TEST(Optimizer, SkippingUntouchedEmbeddingRowsEqualsTheDenseUpdate) {
  const ModelConfig config = load_directory_config(testing::fixtures_dir() / "tiny-bert");
  const Exec ex = Exec::cpu();
  ParameterStore dense_params(config), sparse_params(config), grads(config);
  randomise(dense_params, 1);
  randomise(sparse_params, 1);
  OptimizerConfig dense_config, sparse_config;
  dense_config.skip_untouched_rows = false;
  Optimizer dense(ex, dense_config, dense_params);
  auto sparse = std::make_unique<Optimizer>(ex, sparse_config, sparse_params);
  EXPECT_FALSE(dense.skips_untouched_rows());
  ASSERT_TRUE(sparse->skips_untouched_rows());

  const int64_t N = dense_params.count();
  for (int step = 1; step <= 6; ++step) {
    fill_gradient(config, grads, step);
    const double lr = 1e-3 * step, grad_scale = step == 4 ? 0.5 : 1.0;
    dense.step(ex, dense_params, grads, lr, grad_scale);
    sparse->step(ex, sparse_params, grads, lr, grad_scale);
    ASSERT_TRUE(std::equal(dense_params.data(), dense_params.data() + N, sparse_params.data())) << "step " << step;
    if (step == 3) {  // a checkpoint and resume in the middle
      OptimizerSnapshot snapshot = sparse->snapshot(ex);
      sparse = std::make_unique<Optimizer>(ex, sparse_config, sparse_params);
      sparse->restore(ex, snapshot);
    }
  }
  const OptimizerSnapshot want = dense.snapshot(ex), got = sparse->snapshot(ex);
  EXPECT_EQ(got.exp_avg, want.exp_avg);
  EXPECT_EQ(got.exp_avg_sq, want.exp_avg_sq);
  EXPECT_EQ(got.steps, want.steps);
}

TEST(Optimizer, RowSkippingIsOffWhereItWouldNotBeExact) {
  const ModelConfig config = load_directory_config(testing::fixtures_dir() / "tiny-bert");
  ParameterStore params(config);
  OptimizerConfig decayed;
  decayed.weight_decay = 0.01;
  EXPECT_FALSE(Optimizer(Exec::cpu(), decayed, params).skips_untouched_rows());
  OptimizerConfig no_eps;
  no_eps.eps = 0.0;
  EXPECT_FALSE(Optimizer(Exec::cpu(), no_eps, params).skips_untouched_rows());
  EXPECT_TRUE(Optimizer(Exec::cpu(), OptimizerConfig{}, params).skips_untouched_rows());
}

}  // namespace
}  // namespace finetune
