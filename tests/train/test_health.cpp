// train/health.h: finding the first non-finite gradient and naming its parameter, and what the
// every-step check costs on the CPU.
#include "train/health.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/timer.h"
#include "model/model.h"
#include "test_paths.h"

namespace finetune {
namespace {

TEST(Health, FirstNonFiniteFindsNanAndBothInfinities) {
  std::vector<float> values(1000, 1.0f);
  EXPECT_EQ(first_non_finite(values.data(), 1000), -1);
  values[700] = -INFINITY;
  EXPECT_EQ(first_non_finite(values.data(), 1000), 700);
  values[300] = NAN;
  EXPECT_EQ(first_non_finite(values.data(), 1000), 300);
  values[2] = INFINITY;
  EXPECT_EQ(first_non_finite(values.data(), 1000), 2);
  EXPECT_EQ(first_non_finite(values.data(), 0), -1);
}

TEST(Health, NamesTheParameterAndElementOfTheFirstNonFiniteGradient) {
  ModelConfig config = load_directory_config(testing::fixtures_dir() / "tiny-bert");
  ParameterStore grads(config);
  EXPECT_TRUE(gradients_finite(Exec::cpu(), grads.flat()));
  EXPECT_FALSE(find_non_finite(Exec::cpu(), config, grads).has_value());

  // Poison element 7 of a layer-1 weight and element 3 of the classifier's bias: the weight
  // comes first in the flat layout (weight-decayed parameters before biases).
  for_each_parameter(config, grads.params(), nullptr, [&](const std::string& key, Tensor& grad, Tensor*, ParamGroup) {
    if (key == "bert.encoder.layer.1.intermediate.dense.weight") grad.f32()[7] = NAN;
    if (key == "classifier.bias") grad.f32()[3] = -INFINITY;
  });
  EXPECT_FALSE(gradients_finite(Exec::cpu(), grads.flat()));
  std::optional<NonFiniteValue> found = find_non_finite(Exec::cpu(), config, grads);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->parameter, "bert.encoder.layer.1.intermediate.dense.weight");
  EXPECT_EQ(found->element, 7);
  EXPECT_TRUE(std::isnan(found->value));
  EXPECT_EQ(describe(*found), "bert.encoder.layer.1.intermediate.dense.weight (element 7 is nan)");

  for_each_parameter(config, grads.params(), nullptr, [&](const std::string& key, Tensor& grad, Tensor*, ParamGroup) {
    if (key == "bert.encoder.layer.1.intermediate.dense.weight") grad.f32()[7] = 0;
  });
  found = find_non_finite(Exec::cpu(), config, grads);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(describe(*found), "classifier.bias (element 3 is -inf)");
}

TEST(Health, TheEveryStepCheckIsOnePassOverTheGradients) {
  // DistilBERT-base has 66.9M parameters; FINETUNE_HEALTH_BENCH_VALUES=66955014 measures that.
  const char* env = std::getenv("FINETUNE_HEALTH_BENCH_VALUES");
  const int64_t n = env != nullptr ? std::atoll(env) : (int64_t{1} << 24);
  std::vector<float> values(static_cast<size_t>(n), 0.5f);
  Tensor flat(values.data(), DType::F32, {n});
  EXPECT_TRUE(gradients_finite(Exec::cpu(), flat));  // warm up (page faults)
  Timer timer;
  const int repeats = 5;
  for (int i = 0; i < repeats; ++i) EXPECT_TRUE(gradients_finite(Exec::cpu(), flat));
  const double ms = timer.seconds() * 1000.0 / repeats;
  std::printf("gradients_finite over %lld values: %.2f ms (%.2f GB/s)\n", static_cast<long long>(n), ms,
              static_cast<double>(n) * 4 / (ms * 1e6));
  values[static_cast<size_t>(n - 1)] = NAN;
  EXPECT_FALSE(gradients_finite(Exec::cpu(), flat));
}

}  // namespace
}  // namespace finetune
