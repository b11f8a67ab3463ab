// Training numerics against PyTorch + transformers (DESIGN.md principle 6, whole model), with
// references from tools/make_training_reference.py (dropout 0, eager attention, fp32):
//   - the loss and every parameter gradient of one batch at step 0, every family (RoBERTa and
//     ELECTRA also on a batch of sentence pairs);
//   - two 16-step runs of `finetune train` with the contract's flags (AdamW + linear warmup +
//     clipping; Adam + constant lr + gradient accumulation): the logged loss, accuracy and lr of
//     every step and all final parameters.
// Tolerances are explained next to each comparison and in docs/numerics.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/log.h"
#include "error_bounds.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "model/forward.h"
#include "model/model.h"
#include "reference.h"
#include "test_paths.h"

namespace finetune {
namespace {

namespace fs = std::filesystem;

// --- step 0 --------------------------------------------------------------------------------------

class StepZeroTest : public ::testing::TestWithParam<std::string> {};

TEST_P(StepZeroTest, LossAndEveryGradientMatchPyTorch) {
  const std::string name = GetParam();
  // "<fixture>-pairs": the fixture's step 0 on a batch of sentence pairs.
  const std::string suffix = "-pairs";
  const bool pairs = name.size() > suffix.size() &&
                     name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  const std::string fixture = pairs ? name.substr(0, name.size() - suffix.size()) : name;
  LogSink previous = set_log_sink(nullptr);
  Model model = load_model(testing::fixtures_dir() / fixture);
  set_log_sink(previous);
  testing::Reference ref("train_step0_" + name);

  std::vector<int32_t> ids = ref.ints("input_ids"), mask = ref.ints("attention_mask");
  std::vector<int32_t> types = ref.ints("token_type_ids"), labels = ref.ints("labels");
  auto shape = ref.shape("input_ids");
  BatchView batch;
  batch.B = static_cast<int>(shape[0]);
  batch.T = static_cast<int>(shape[1]);
  batch.input_ids = ids.data();
  batch.token_type_ids = types.data();
  batch.attention_mask = mask.data();
  batch.labels = labels.data();

  Activations acts(model.config, batch.B, batch.T, Mode::Train);
  ForwardOptions options{Mode::Train, DropoutRates::all(0), 0, 0};
  model_forward(Exec::cpu(), model.config, model.params(), acts, batch, options);
  model_loss(Exec::cpu(), acts, 1.0f / static_cast<float>(batch.B));
  ParameterStore grads(model.config);
  model_backward(Exec::cpu(), model.config, model.params(), grads.params(), acts, options);

  // Every quantity against the float64 step and the bound on fp32 rounding derived from it
  // (error_bounds.h). That covers the attention key biases too, whose gradient is exactly 0 in
  // float64: their bound is the rounding noise the computation can leave there.
  testing::ErrorBounds bounds("train_step0_" + name);
  double loss = 0;
  for (int b = 0; b < batch.B; ++b) loss += acts.losses.f32()[b];
  loss /= batch.B;
  testing::BoundCheck loss_check = bounds.check("loss", &loss, 1);
  EXPECT_TRUE(loss_check.passed()) << name << ": " << loss_check.describe("loss");

  int compared = 0;
  double worst = 0;
  for_each_parameter(model.config, model.params(), &grads.params(),
                     [&](const std::string& key, Tensor&, Tensor* grad, ParamGroup) {
                       testing::BoundCheck c = bounds.check("grad." + key, grad->f32(),
                                                            static_cast<size_t>(grad->numel()));
                       EXPECT_TRUE(c.passed()) << name << ": " << c.describe("grad." + key);
                       worst = std::max(worst, c.ratio);
                       ++compared;
                     });
  RecordProperty("bound_ratio.loss", std::to_string(loss_check.ratio));
  RecordProperty("bound_ratio.gradients", std::to_string(worst));
  // Every gradient transformers has (named_parameters()) was compared: no more, no fewer.
  EXPECT_EQ(static_cast<size_t>(compared), bounds.names("grad.").size());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, StepZeroTest,
                         ::testing::Values("tiny-distilbert", "tiny-bert", "tiny-roberta",
                                           "tiny-roberta-pairs", "tiny-xlm-roberta", "tiny-electra",
                                           "tiny-electra-pairs", "tiny-modernbert",
                                           "tiny-modernbert-mean", "tiny-modernbert-pairs"),
                         [](const auto& info) {
                           std::string name = info.param.substr(5);  // without "tiny-"
                           for (char& ch : name)
                             if (ch == '-') ch = '_';
                           return name;
                         });

// --- 16-step trajectories through the CLI --------------------------------------------------------

std::string shell_quote(const std::string& s) {
  return "'" + s + "'";
}

std::vector<Json> read_log(const fs::path& path) {
  std::vector<Json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(Json::parse(line));
  return lines;
}

class TrajectoryTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TrajectoryTest, LossesAndFinalParametersMatchPyTorch) {
  const std::string run = GetParam();
  Json ref =
      parse_json_file(testing::fixtures_dir() / "reference" / ("train_traj_" + run + ".json"));
  fs::path dir = testing::make_temp_dir("trajectory");
  std::string command = shell_quote(testing::finetune_binary().string()) + " train";
  for (const auto& arg : ref["finetune_train_args"])
    command += " " + shell_quote(arg.get<std::string>());
  command += " --output " + shell_quote((dir / "out").string()) + " --log " +
             shell_quote((dir / "log").string());
  testing::CommandResult result =
      testing::run_command("cd " + shell_quote(testing::repo_root().string()) + " && " + command);
  ASSERT_EQ(result.exit_code, 0) << command << "\n" << result.err;

  std::vector<Json> log = read_log(dir / "log");
  std::vector<Json> steps;
  for (const Json& line : log)
    if (line.contains("step")) steps.push_back(line);
  const Json& want_steps = ref["steps"];
  ASSERT_EQ(steps.size(), want_steps.size());
  // Losses, accuracies and final parameters against the float64 run of the same 16 steps and the
  // bound on fp32 rounding carried through them (error_bounds.h). Adam divides by sqrt(v), so a
  // gradient that is pure rounding noise (the attention key biases') still moves its parameter
  // by up to lr per step: the Monte Carlo reruns show that spread and the bound holds it.
  testing::ErrorBounds bounds("train_traj_" + run);
  std::vector<double> losses, accuracies;
  for (size_t k = 0; k < steps.size(); ++k) {
    const Json& got = steps[k];
    const Json& want = want_steps[k];
    EXPECT_EQ(got["step"], want["step"]);
    EXPECT_EQ(got["epoch"], want["epoch"]);
    losses.push_back(got["loss"].get<double>());
    accuracies.push_back(got["accuracy"].get<double>());
    // Both compute the schedule factor in double.
    EXPECT_NEAR(got["lr"].get<double>(), want["lr"].get<double>(),
                1e-12 + 1e-9 * want["lr"].get<double>())
        << run << " step " << k + 1;
  }
  testing::BoundCheck loss_check = bounds.check("loss", losses.data(), losses.size());
  EXPECT_TRUE(loss_check.passed()) << run << ": " << loss_check.describe("loss (by step from 0)");
  // A count of argmaxes: no rerun flipped one (sigma 0), so they must be equal.
  testing::BoundCheck accuracy_check =
      bounds.check("accuracy", accuracies.data(), accuracies.size());
  EXPECT_TRUE(accuracy_check.passed())
      << run << ": " << accuracy_check.describe("accuracy (by step from 0)");

  testing::FileCheck final_params = bounds.check_file("final.", dir / "out" / "model.safetensors");
  for (const std::string& failure : final_params.failures) ADD_FAILURE() << run << ": " << failure;
  // The saved model has exactly PyTorch's parameters (a sampled table's bounds are two tensors,
  // .rows and .row_ids).
  std::vector<std::string> reference_params = bounds.names("final.");
  const auto sampled_tables = std::count_if(
      reference_params.begin(), reference_params.end(), [](const std::string& n) {
        return n.size() > 8 && n.compare(n.size() - 8, 8, ".row_ids") == 0;
      });
  EXPECT_EQ(final_params.tensors,
            static_cast<int>(reference_params.size()) - static_cast<int>(sampled_tables));
  RecordProperty("bound_ratio.loss", std::to_string(loss_check.ratio));
  RecordProperty("bound_ratio.final_parameters", std::to_string(final_params.worst_ratio));
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Runs, TrajectoryTest,
                         ::testing::Values("A", "B", "tiny-roberta", "tiny-xlm-roberta",
                                           "tiny-electra", "tiny-modernbert",
                                           "tiny-modernbert-mean"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& ch : name)
                             if (ch == '-') ch = '_';
                           return name;
                         });

}  // namespace
}  // namespace finetune
