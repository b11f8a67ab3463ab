// The whole model on the GPU against the same PyTorch references as the CPU tests, and against
// the CPU path itself: the forward pass, step-0 gradients, the 16-step trajectories through
// `finetune train --device cuda` in fp32 (fp32 tolerances) and bf16 (bf16 tolerances), a resumed
// GPU run equal to an uninterrupted one, --experimental-gpu-speedups changing no bit, and a
// checkpoint saved on the GPU predicting the same on the CPU. Every test skips with a message where
// no CUDA device is usable.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/log.h"
#include "error_bounds.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "kernels/device.h"
#include "model/forward.h"
#include "model/inference.h"
#include "model/model.h"
#include "ops/memory.h"
#include "reference.h"
#include "test_paths.h"

namespace finetune {
namespace {

namespace fs = std::filesystem;
namespace cuda = kernels::cuda;

#define SKIP_WITHOUT_GPU()                                                          \
  do {                                                                              \
    if (cuda::device_count() == 0) {                                                \
      GTEST_SKIP() << (cuda::built_with_cuda() ? "no CUDA device available"         \
                                               : "this build has no CUDA support"); \
    }                                                                               \
  } while (0)

// A CUDA context for one test.
struct Gpu {
  Gpu() {
    ex.device = Device::CUDA;
    ex.cuda = cuda::create_context(0);
  }
  ~Gpu() { cuda::destroy_context(ex.cuda); }
  Exec ex;
};

bool is_key_bias(const std::string& key) {
  return key.find("attention.self.key.bias") != std::string::npos ||
         key.find("attention.k_lin.bias") != std::string::npos;
}

Model load_quietly(const fs::path& dir) {
  LogSink previous = set_log_sink(nullptr);
  Model model = load_model(dir);
  set_log_sink(previous);
  return model;
}

TEST(GpuModel, ForwardMatchesTransformers) {
  SKIP_WITHOUT_GPU();
  Gpu gpu;
  for (std::string name : {"tiny-distilbert", "tiny-bert", "tiny-roberta", "tiny-xlm-roberta",
                           "tiny-camembert", "tiny-electra", "tiny-electra-same-width",
                           "tiny-modernbert", "tiny-modernbert-mean"}) {
    Model model = load_quietly(testing::fixtures_dir() / name);
    ParameterStore params = copy_parameters(gpu.ex, model);
    testing::Reference ref(name);
    std::vector<int32_t> ids = ref.ints("input_ids"), types = ref.ints("token_type_ids"),
                         mask = ref.ints("attention_mask");
    auto shape = ref.shape("input_ids");
    BatchView batch{static_cast<int>(shape[0]),
                    static_cast<int>(shape[1]),
                    ids.data(),
                    types.data(),
                    mask.data(),
                    nullptr};
    Activations acts(gpu.ex, model.config, batch.B, batch.T, Mode::Eval);
    ForwardOutputs out = model_forward(gpu.ex, model.config, params.params(), acts, batch);
    std::vector<float> logits(static_cast<size_t>(out.logits.numel()));
    ops::copy(gpu.ex, Tensor(logits.data(), DType::F32, {out.logits.numel()}), out.logits);
    ops::synchronize(gpu.ex);
    // The CPU's bound: exact logits and the fp32 rounding bound of any summation order
    // (error_bounds.h; docs/numerics.md).
    testing::BoundCheck c =
        testing::ErrorBounds(name).check("logits", logits.data(), logits.size());
    EXPECT_TRUE(c.passed()) << name << ": " << c.describe("logits");
  }
}

TEST(GpuModel, StepZeroGradientsMatchPyTorch) {
  SKIP_WITHOUT_GPU();
  Gpu gpu;
  // "-pairs": the fixture's step 0 on sentence pairs (tests/train/test_parity.cpp).
  for (std::string name : {"tiny-distilbert", "tiny-bert", "tiny-roberta", "tiny-roberta-pairs",
                           "tiny-xlm-roberta", "tiny-electra", "tiny-electra-pairs",
                           "tiny-modernbert", "tiny-modernbert-mean", "tiny-modernbert-pairs"}) {
    const std::string fixture =
        name.substr(0, name.rfind("-pairs") == name.size() - 6 ? name.size() - 6 : name.size());
    Model model = load_quietly(testing::fixtures_dir() / fixture);
    ParameterStore params = copy_parameters(gpu.ex, model);
    testing::Reference ref("train_step0_" + name);
    std::vector<int32_t> ids = ref.ints("input_ids"), mask = ref.ints("attention_mask");
    std::vector<int32_t> types = ref.ints("token_type_ids"), labels = ref.ints("labels");
    auto shape = ref.shape("input_ids");
    BatchView batch{static_cast<int>(shape[0]),
                    static_cast<int>(shape[1]),
                    ids.data(),
                    types.data(),
                    mask.data(),
                    labels.data()};
    Activations acts(gpu.ex, model.config, batch.B, batch.T, Mode::Train);
    ForwardOptions options{Mode::Train, DropoutRates::all(0), 0, 0};
    model_forward(gpu.ex, model.config, params.params(), acts, batch, options);
    model_loss(gpu.ex, acts, 1.0f / static_cast<float>(batch.B));
    ParameterStore grads(model.config, gpu.ex);
    model_backward(gpu.ex, model.config, params.params(), grads.params(), acts, options);
    ParameterStore host_grads(model.config);
    ops::copy(gpu.ex, host_grads.flat(), grads.flat());
    ops::synchronize(gpu.ex);
    // Same bounds as the CPU test (tests/train/test_parity.cpp).
    testing::ErrorBounds bounds("train_step0_" + name);
    for_each_parameter(model.config, model.params(), &host_grads.params(),
                       [&](const std::string& key, Tensor&, Tensor* grad, ParamGroup) {
                         testing::BoundCheck c = bounds.check("grad." + key, grad->f32(),
                                                              static_cast<size_t>(grad->numel()));
                         EXPECT_TRUE(c.passed()) << name << ": " << c.describe("grad." + key);
                       });
  }
}

std::vector<Json> log_steps(const fs::path& path) {
  std::vector<Json> steps;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    Json j = Json::parse(line);
    if (j.contains("step")) steps.push_back(j);
  }
  return steps;
}

// Two JSON-lines logs with the same step lines, to the last digit (and `count` of them, unless 0).
void expect_same_steps(const fs::path& a_log, const fs::path& b_log, size_t count = 0) {
  std::vector<Json> a = log_steps(a_log), b = log_steps(b_log);
  if (count > 0) ASSERT_EQ(a.size(), count);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].dump(), b[i].dump()) << "step " << i + 1;
}

// Every tensor of two saved models equal bit for bit (as floats).
void expect_same_weights(const fs::path& a_file, const fs::path& b_file) {
  SafetensorsFile a(a_file), b(b_file);
  for (const auto& info : a.tensors()) {
    std::vector<float> x(static_cast<size_t>(info.numel())), y(static_cast<size_t>(info.numel()));
    a.read_as_f32(info, x.data(), info.numel());
    b.read_as_f32(*b.find(info.name), y.data(), info.numel());
    EXPECT_EQ(x, y) << info.name;
  }
}

// Runs reference trajectory `run` through `finetune train --device cuda` in a new directory:
// its log is dir/log, its model dir/out. Returns false (with a test failure) if it failed.
bool run_gpu_trajectory(const std::string& run, const std::string& precision, const fs::path& dir) {
  Json ref =
      parse_json_file(testing::fixtures_dir() / "reference" / ("train_traj_" + run + ".json"));
  std::string command = "cd " + testing::shell_quote(testing::repo_root()) + " && " +
                        testing::shell_quote(testing::finetune_binary()) + " train";
  for (const auto& arg : ref["finetune_train_args"])
    command += " " + testing::shell_quote(arg.get<std::string>());
  command += " --device cuda --precision " + precision + " --output " +
             testing::shell_quote(dir / "out") + " --log " + testing::shell_quote(dir / "log");
  testing::CommandResult r = testing::run_command(command);
  EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.err;
  return r.exit_code == 0;
}

// Runs a reference trajectory through the CLI on the GPU and compares it with PyTorch's.
void check_trajectory(const std::string& run, const std::string& precision, double loss_bound,
                      double param_bound_per_lr_sum, double param_bound) {
  Json ref =
      parse_json_file(testing::fixtures_dir() / "reference" / ("train_traj_" + run + ".json"));
  fs::path dir = testing::make_temp_dir("gpu-trajectory");
  if (!run_gpu_trajectory(run, precision, dir)) return;
  std::vector<Json> got = log_steps(dir / "log");
  const Json& want = ref["steps"];
  ASSERT_EQ(got.size(), want.size());
  double lr_sum = 0, worst_loss = 0;
  for (size_t k = 0; k < got.size(); ++k) {
    double d = std::fabs(got[k]["loss"].get<double>() - want[k]["loss"].get<double>());
    worst_loss = std::max(worst_loss, d);
    EXPECT_LE(d, loss_bound) << run << " " << precision << " step " << k + 1;
    lr_sum += want[k]["lr"].get<double>();
  }
  SafetensorsFile final_params(dir / "out/model.safetensors");
  testing::Reference want_final("train_traj_" + run + "_final");
  double worst_param = 0;
  for (const auto& info : final_params.tensors()) {
    std::vector<float> values(static_cast<size_t>(info.numel()));
    final_params.read_as_f32(info, values.data(), info.numel());
    std::vector<float> expected = want_final.floats(info.name);
    auto m = testing::compare(values.data(), expected.data(), expected.size());
    double bound = is_key_bias(info.name) ? 2 * lr_sum
                                          : std::max(param_bound, param_bound_per_lr_sum * lr_sum);
    if (!is_key_bias(info.name)) worst_param = std::max(worst_param, m.max_abs);
    EXPECT_LE(m.max_abs, bound) << run << " " << precision << " " << info.name << "[" << m.index
                                << "]";
  }
  std::printf("[ trajectory ] %s %s: worst loss diff %.3g, worst parameter diff %.3g\n",
              run.c_str(), precision.c_str(), worst_loss, worst_param);
  fs::remove_all(dir);
}

// Runs a reference trajectory through the CLI on the GPU in fp32 and holds its losses and final
// parameters to the CPU test's bounds: the exact (float64) run and the fp32 rounding bound of
// any summation order (error_bounds.h).
void check_fp32_trajectory(const std::string& run) {
  fs::path dir = testing::make_temp_dir("gpu-trajectory");
  if (!run_gpu_trajectory(run, "fp32", dir)) return;
  testing::ErrorBounds bounds("train_traj_" + run);
  std::vector<double> losses;
  for (const Json& step : log_steps(dir / "log")) losses.push_back(step["loss"].get<double>());
  testing::BoundCheck loss = bounds.check("loss", losses.data(), losses.size());
  EXPECT_TRUE(loss.passed()) << run << ": " << loss.describe("loss (by step from 0)");
  testing::FileCheck final_params = bounds.check_file("final.", dir / "out/model.safetensors");
  for (const std::string& failure : final_params.failures) ADD_FAILURE() << run << ": " << failure;
  std::printf("[ trajectory ] %s fp32: loss at %.3g of its bound, parameters at %.3g\n",
              run.c_str(), loss.ratio, final_params.worst_ratio);
  fs::remove_all(dir);
}

TEST(GpuTraining, Fp32TrajectoriesMatchPyTorch) {
  SKIP_WITHOUT_GPU();
  for (const char* run : {"A", "B", "tiny-roberta", "tiny-xlm-roberta", "tiny-electra",
                          "tiny-modernbert", "tiny-modernbert-mean"})
    check_fp32_trajectory(run);
}

TEST(GpuTraining, Bf16TrajectoriesStayWithinBf16Bounds) {
  SKIP_WITHOUT_GPU();
  // bf16 rounds every matrix-product input to 8 significant bits (relative error up to 2^-9);
  // the logits move by ~1e-2 relative and the losses (1 to 3) by a few 1e-2. Adam then turns
  // gradient differences into steps of up to lr each, so parameters are bounded by 2 * sum(lr)
  // (docs/numerics.md, bf16).
  for (const char* run : {"A", "B", "tiny-roberta", "tiny-xlm-roberta", "tiny-electra",
                          "tiny-modernbert", "tiny-modernbert-mean"}) {
    check_trajectory(run, "bf16", 0.1, 2.0, 0);
  }
}

TEST(GpuTraining, CudaGraphsReplayExactlyWhatEagerLaunchesCompute) {
  SKIP_WITHOUT_GPU();
  // Shuffled batches of several bucket lengths, dropout on, two epochs: every replay must see its
  // own batch and its own dropout step, or the numbers would differ from the eager run's. RoBERTa
  // adds the position ids computed inside the graph and the head's input dropout; ELECTRA the
  // embedding projection.
  for (const char* fixture : {"tiny-distilbert", "tiny-roberta", "tiny-electra", "tiny-modernbert"}) {
    SCOPED_TRACE(fixture);
    fs::path dir = testing::make_temp_dir("gpu-graphs");
    const std::string base =
        testing::shell_quote(testing::finetune_binary()) +
        " train --device cuda --precision fp32 --model " +
        testing::shell_quote(testing::fixtures_dir() / fixture) + " --train " +
        testing::shell_quote(testing::shared_dir() / "data/emotion/train.txt") +
        " --limit 96 --batch-size 8 --epochs 2 --lr 1e-3 --dropout 0.1 --seed 3 --max-length 32";
    auto graphs = testing::run_command(base + " --output " + testing::shell_quote(dir / "graphs") +
                                       " --log " + testing::shell_quote(dir / "graphs.log"));
    auto eager = testing::run_command(base + " --no-cuda-graphs --output " +
                                      testing::shell_quote(dir / "eager") + " --log " +
                                      testing::shell_quote(dir / "eager.log"));
    ASSERT_EQ(graphs.exit_code, 0) << graphs.err;
    ASSERT_EQ(eager.exit_code, 0) << eager.err;
    expect_same_steps(dir / "graphs.log", dir / "eager.log", 24);
    expect_same_weights(dir / "graphs/model.safetensors", dir / "eager/model.safetensors");
    fs::remove_all(dir);
  }
}

// --experimental-gpu-speedups (Adam skipping embedding rows without a gradient, the bf16 weight
// copy written by Adam with the fused operand conversion, pinned batch uploads) must not change a
// bit: in fp32 and bf16, with CUDA graphs, validation between epochs (it reads the copy too), and
// an interrupted and resumed run (the row flags are rebuilt from the moments, the copy from the
// restored weights), against a plain uninterrupted run.
TEST(GpuTraining, ExperimentalSpeedupsChangeNoBit) {
  SKIP_WITHOUT_GPU();
  for (const char* precision : {"bf16", "fp32"}) {
    SCOPED_TRACE(precision);
    fs::path dir = testing::make_temp_dir("gpu-speedups");
    const std::string base =
        testing::shell_quote(testing::finetune_binary()) + " train --device cuda --precision " +
        precision + " --model " +
        testing::shell_quote(testing::fixtures_dir() / "tiny-distilbert") + " --train " +
        testing::shell_quote(testing::shared_dir() / "data/emotion/train.txt") + " --validation " +
        testing::shell_quote(testing::shared_dir() / "data/emotion/validation.txt") +
        " --limit 96 --batch-size 8 --epochs 2 --lr 1e-3 --dropout 0.1 --seed 3";
    auto plain = testing::run_command(base + " --output " + testing::shell_quote(dir / "plain") +
                                      " --log " + testing::shell_quote(dir / "plain.log"));
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    const std::string fast = base + " --experimental-gpu-speedups --output " +
                             testing::shell_quote(dir / "fast") + " --log " +
                             testing::shell_quote(dir / "fast.log");
    auto first = testing::run_command(fast + " --stop-after-steps 7");
    ASSERT_EQ(first.exit_code, 130) << first.err;
    auto second = testing::run_command(fast + " --resume " + testing::shell_quote(dir / "fast"));
    ASSERT_EQ(second.exit_code, 0) << second.err;
    expect_same_steps(dir / "plain.log", dir / "fast.log", 24);
    expect_same_weights(dir / "plain/model.safetensors", dir / "fast/model.safetensors");
    // The validation lines too (the evaluation reads the bf16 copy).
    std::ifstream plain_log(dir / "plain.log"), fast_log(dir / "fast.log");
    std::vector<std::string> va, vb;
    for (std::string line; std::getline(plain_log, line);)
      if (line.find("val_accuracy") != std::string::npos) va.push_back(line);
    for (std::string line; std::getline(fast_log, line);)
      if (line.find("val_accuracy") != std::string::npos) vb.push_back(line);
    EXPECT_EQ(va.size(), 2u);
    EXPECT_EQ(va, vb);
    fs::remove_all(dir);
  }
}

TEST(GpuTraining, ValidationBetweenEpochsKeepsTheCapturedGraphsValid) {
  SKIP_WITHOUT_GPU();
  // Validation runs bigger batches than training (32 vs 4 here) and longer sequences, so it grows
  // the context's bf16 scratch after the training graphs were captured; the graphs must keep
  // working in the next epochs (they once replayed against a freed scratch buffer).
  fs::path dir = testing::make_temp_dir("gpu-validation");
  auto r = testing::run_command(
      testing::shell_quote(testing::finetune_binary()) +
      " train --device cuda --precision bf16 --model " +
      testing::shell_quote(testing::fixtures_dir() / "tiny-bert") + " --train " +
      testing::shell_quote(testing::shared_dir() / "data/emotion/train.txt") + " --validation " +
      testing::shell_quote(testing::shared_dir() / "data/emotion/validation.txt") +
      " --limit 64 --batch-size 4 --epochs 3 --lr 1e-3 --output " +
      testing::shell_quote(dir / "out") + " --log " + testing::shell_quote(dir / "log"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int validations = 0;
  std::ifstream in(dir / "log");
  for (std::string line; std::getline(in, line);)
    validations += line.find("val_accuracy") != std::string::npos;
  EXPECT_EQ(validations, 3);
  fs::remove_all(dir);
}

TEST(GpuTraining, ResumedRunEqualsUninterruptedRunAndLoadsOnCpu) {
  SKIP_WITHOUT_GPU();
  fs::path dir = testing::make_temp_dir("gpu-resume");
  const std::string base =
      testing::shell_quote(testing::finetune_binary()) + " train --device cuda --model " +
      testing::shell_quote(testing::fixtures_dir() / "tiny-bert") + " --train " +
      testing::shell_quote(testing::shared_dir() / "data/emotion/train.txt") +
      " --limit 40 --batch-size 4 --epochs 2 --lr 1e-3 --dropout 0.1 --seed 7 --max-length 24";
  ASSERT_EQ(testing::run_command(base + " --output " + testing::shell_quote(dir / "full") +
                                 " --log " + testing::shell_quote(dir / "full.log"))
                .exit_code,
            0);
  auto first =
      testing::run_command(base + " --output " + testing::shell_quote(dir / "split") + " --log " +
                           testing::shell_quote(dir / "split.log") + " --stop-after-steps 6");
  ASSERT_EQ(first.exit_code, 130) << first.err;
  auto second = testing::run_command(base + " --output " + testing::shell_quote(dir / "split") +
                                     " --log " + testing::shell_quote(dir / "split.log") +
                                     " --resume " + testing::shell_quote(dir / "split"));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  expect_same_steps(dir / "full.log", dir / "split.log");

  // The GPU checkpoint on the CPU: the same labels, probabilities within fp32 noise.
  fs::path texts = dir / "texts.txt";
  {
    std::ifstream in(testing::shared_dir() / "data/emotion/validation.txt");
    std::ofstream out(texts);
    std::string line;
    for (int i = 0; i < 50 && std::getline(in, line); ++i)
      out << line.substr(0, line.rfind(';')) << "\n";
  }
  auto on_cpu = testing::run_command(
      testing::shell_quote(testing::finetune_binary()) + " predict --json --model " +
      testing::shell_quote(dir / "full") + " --input " + testing::shell_quote(texts));
  // fp32 on the GPU: the exact mode, comparable with the CPU to fp32 noise (training above ran in
  // the GPU's default, bf16).
  auto on_gpu = testing::run_command(testing::shell_quote(testing::finetune_binary()) +
                                     " predict --json --device cuda --precision fp32 --model " +
                                     testing::shell_quote(dir / "full") + " --input " +
                                     testing::shell_quote(texts));
  ASSERT_EQ(on_cpu.exit_code, 0) << on_cpu.err;
  ASSERT_EQ(on_gpu.exit_code, 0) << on_gpu.err;
  std::istringstream cpu_lines(on_cpu.out), gpu_lines(on_gpu.out);
  std::string cpu_line, gpu_line;
  int compared = 0;
  while (std::getline(cpu_lines, cpu_line) && std::getline(gpu_lines, gpu_line)) {
    Json c = Json::parse(cpu_line), g = Json::parse(gpu_line);
    EXPECT_EQ(c["label"], g["label"]) << "line " << compared + 1;
    for (size_t k = 0; k < c["probs"].size(); ++k) {
      EXPECT_NEAR(c["probs"][k].get<double>(), g["probs"][k].get<double>(), 2e-5)
          << "line " << compared + 1;
    }
    ++compared;
  }
  EXPECT_EQ(compared, 50);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace finetune
