// Where a training step's time goes: forward, loss + backward, zero-grad and the optimizer,
// timed separately for one model at a fixed batch shape (median of repeated steps). A profiling
// aid; the side-by-side comparisons with PyTorch are bench/run_train_bench.py (CPU) and
// bench/run_gpu_bench.sh (GPU).
//
//   bench_train_step --model DIR [--batch-size 8] [--tokens 24] [--steps 20] [--threads N]
//                    [--device cpu|cuda] [--precision fp32|bf16]
//
// On the CPU the phases are timed as they run. On a GPU (--device cuda) each phase is queued
// and waited for, and forward + loss + backward is timed as the trainer runs it, replayed from a
// CUDA graph, so launch costs mostly drop out; the same with the bf16 weight copy registered
// (bf16 only). On both, the optimizer is timed dense, and skipping untouched embedding rows with
// 42% of the rows active (the share of DistilBERT's vocabulary the emotion training split uses;
// on a GPU also while writing the bf16 copy). All of it is one JSON line.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/timer.h"
#include "kernels/cpu/threads.h"
#include "kernels/device.h"
#include "model/forward.h"
#include "model/model.h"
#include "ops/memory.h"
#include "train/optimizer.h"

using namespace finetune;

namespace {

double median_ms(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2] * 1000.0;
}

// Median wall time of `fn` followed by a wait for the GPU, over `steps` runs after 2 warm-ups.
double time_synchronised(const Exec& ex, int steps, const std::function<void()>& fn) {
  std::vector<double> times;
  for (int s = 0; s < steps + 2; ++s) {
    kernels::cuda::synchronize(ex);
    Timer timer;
    fn();
    kernels::cuda::synchronize(ex);
    if (s >= 2) times.push_back(timer.seconds());
  }
  return median_ms(times);
}

// Makes 42% of the word-embedding rows active in a row-skipping optimizer (the share of
// DistilBERT's vocabulary that the emotion training split uses) by one step with a small gradient
// on those rows only (lr 1e-9: the weights barely move).
void activate_emotion_share(const Exec& ex, const ModelConfig& c, Optimizer& optimizer, ParameterStore& params) {
  std::vector<float> rows(static_cast<size_t>(c.V) * c.C, 0.0f);
  for (int64_t r = 0; r < c.V; ++r)
    if (r % 50 < 21) std::fill(rows.begin() + r * c.C, rows.begin() + (r + 1) * c.C, 1e-3f);
  ParameterStore marker(c, ex);
  ops::copy(ex, marker.params().embeddings.word, Tensor(rows.data(), DType::F32, {c.V, c.C}));
  optimizer.step(ex, params, marker, 1e-9, 1.0);
  if (ex.device == Device::CUDA) kernels::cuda::synchronize(ex);
}

int run_cuda(Model& model, const std::string& model_dir, BatchView batch, int steps, Precision precision) {
  const ModelConfig& c = model.config;
  Exec ex;
  ex.device = Device::CUDA;
  ex.cuda = kernels::cuda::create_context(0);
  ex.precision = precision;
  ParameterStore params = copy_parameters(ex, model);
  ParameterStore grads(c, ex);
  Activations acts(ex, c, batch.B, batch.T, Mode::Train);
  ForwardOptions options{Mode::Train, DropoutRates::from_config(c), 1, 0, /*micro_step_on_device=*/true};
  upload_batch(ex, acts, batch, 0);
  auto forward_backward = [&]() {
    model_forward_uploaded(ex, c, params.params(), acts, options);
    model_loss(ex, acts, 1.0f / static_cast<float>(batch.B));
    model_backward(ex, c, params.params(), grads.params(), acts, options);
  };
  auto capture = [&]() {
    forward_backward();  // eager once: sizes the scratch and plans, which capture must not do
    kernels::cuda::synchronize(ex);
    kernels::cuda::begin_capture(ex);
    forward_backward();
    return kernels::cuda::end_capture(ex);
  };
  const Tensor grads_flat = grads.flat();
  const double zero = time_synchronised(ex, steps, [&] { ops::zero(ex, grads_flat); });
  const double eager = time_synchronised(ex, steps, forward_backward);
  kernels::cuda::GraphHandle* graph = capture();
  const double replay = time_synchronised(ex, steps, [&] { kernels::cuda::launch_graph(ex, graph); });

  // The bf16 weight copy: registered, captured again, replayed.
  ops::Buffer copy(ex, static_cast<size_t>(params.count()) * 2);
  double replay_copy = -1;
  if (precision == Precision::Bf16) {
    kernels::cuda::set_bf16_weights(ex, params.data(), copy.data(), params.count());
    kernels::cuda::GraphHandle* copy_graph = capture();
    replay_copy = time_synchronised(ex, steps, [&] { kernels::cuda::launch_graph(ex, copy_graph); });
    kernels::cuda::set_bf16_weights(ex, nullptr, nullptr, 0);
    kernels::cuda::destroy_graph(copy_graph);
  }
  kernels::cuda::destroy_graph(graph);

  // The optimizer, on the gradient of the last replay.
  OptimizerConfig dense_config, rows_config;
  dense_config.skip_untouched_rows = false;
  Optimizer dense(ex, dense_config, params), rows(ex, rows_config, params);
  const double adam_dense = time_synchronised(ex, steps, [&] { dense.step(ex, params, grads, 1e-9, 1.0); });
  activate_emotion_share(ex, c, rows, params);
  const double adam_rows = time_synchronised(ex, steps, [&] { rows.step(ex, params, grads, 1e-9, 1.0); });
  const double adam_rows_copy =
      time_synchronised(ex, steps, [&] { rows.step(ex, params, grads, 1e-9, 1.0, nullptr, copy.data()); });
  std::printf("{\"bench\": \"train_step\", \"device\": \"cuda\", \"model\": \"%s\", \"precision\": \"%s\", "
              "\"batch\": %d, \"tokens\": %d, \"params\": %lld, \"zero_ms\": %.3f, "
              "\"forward_backward_eager_ms\": %.3f, \"forward_backward_graph_ms\": %.3f, "
              "\"forward_backward_graph_bf16_copy_ms\": %.3f, \"adam_dense_ms\": %.3f, \"adam_rows_ms\": %.3f, "
              "\"adam_rows_bf16_copy_ms\": %.3f, \"step_ms\": %.3f, \"step_speedups_ms\": %.3f}\n",
              model_dir.c_str(), precision == Precision::Bf16 ? "bf16" : "fp32", batch.B, batch.T,
              static_cast<long long>(params.count()), zero, eager, replay, replay_copy, adam_dense, adam_rows,
              adam_rows_copy, zero + replay + adam_dense,
              zero + (replay_copy >= 0 ? replay_copy : replay) + (replay_copy >= 0 ? adam_rows_copy : adam_rows));
  kernels::cuda::synchronize(ex);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_dir;
  std::string device = "cpu", precision = "";
  int B = 8, T = 24, steps = 20, threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    int value = std::atoi(argv[i + 1]);
    if (flag == "--model") model_dir = argv[i + 1];
    else if (flag == "--device") device = argv[i + 1];
    else if (flag == "--precision") precision = argv[i + 1];
    else if (flag == "--batch-size") B = value;
    else if (flag == "--tokens") T = value;
    else if (flag == "--steps") steps = value;
    else if (flag == "--threads") threads = value;
  }
  if (model_dir.empty()) {
    std::fprintf(stderr,
                 "usage: bench_train_step --model DIR [--batch-size 8] [--tokens 24] [--steps 20] [--threads N]\n"
                 "                        [--device cpu|cuda] [--precision fp32|bf16]\n");
    return 2;
  }
  kernels::cpu::set_num_threads(threads);
  set_log_sink(nullptr);
  Model model = load_model(model_dir);
  const ModelConfig& c = model.config;
  // A batch of random in-vocabulary ids, every sequence T long.
  std::vector<int32_t> ids(B * T), types(B * T, 0), mask(B * T, 1), labels(B);
  for (int i = 0; i < B * T; ++i) ids[i] = 1000 + (i * 7919) % (c.V - 1000);
  for (int b = 0; b < B; ++b) labels[b] = b % c.K();
  BatchView batch{B, T, ids.data(), types.data(), mask.data(), labels.data()};
  if (device == "cuda") {
    try {
      return run_cuda(model, model_dir, batch, steps, precision == "fp32" ? Precision::Fp32 : Precision::Bf16);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_train_step: %s\n", e.what());
      return 1;
    }
  }

  Activations acts(c, B, T, Mode::Train);
  ParameterStore grads(c);
  // Dense, as every step was before untouched rows were skipped; the row-skipping optimizer is
  // timed after the loop.
  OptimizerConfig dense_config;
  dense_config.skip_untouched_rows = false;
  Optimizer optimizer(Exec::cpu(), dense_config, model.store);
  ForwardOptions options{Mode::Train, DropoutRates::from_config(c), 1, 0};
  std::vector<double> t_zero, t_forward, t_backward, t_optimizer;
  for (int s = 0; s < steps + 2; ++s) {
    Timer timer;
    std::memset(grads.data(), 0, static_cast<size_t>(grads.count()) * sizeof(float));
    double zero = timer.seconds();
    timer.restart();
    options.micro_step = s;
    model_forward(Exec::cpu(), c, model.params(), acts, batch, options);
    double forward = timer.seconds();
    timer.restart();
    model_loss(Exec::cpu(), acts, 1.0f / B);
    model_backward(Exec::cpu(), c, model.params(), grads.params(), acts, options);
    double backward = timer.seconds();
    timer.restart();
    optimizer.step(Exec::cpu(), model.store, grads, 1e-5, 1.0);
    double opt = timer.seconds();
    if (s < 2) continue;  // warm-up
    t_zero.push_back(zero);
    t_forward.push_back(forward);
    t_backward.push_back(backward);
    t_optimizer.push_back(opt);
  }
  Optimizer rows(Exec::cpu(), OptimizerConfig{}, model.store);
  activate_emotion_share(Exec::cpu(), c, rows, model.store);
  std::vector<double> t_rows;
  for (int s = 0; s < steps + 2; ++s) {
    Timer timer;
    rows.step(Exec::cpu(), model.store, grads, 1e-5, 1.0);
    if (s >= 2) t_rows.push_back(timer.seconds());
  }
  double z = median_ms(t_zero), f = median_ms(t_forward), b = median_ms(t_backward), o = median_ms(t_optimizer);
  double o_rows = median_ms(t_rows);
  std::printf("{\"bench\": \"train_step\", \"device\": \"cpu\", \"model\": \"%s\", \"batch\": %d, \"tokens\": %d, \"threads\": %d, "
              "\"params\": %lld, \"zero_ms\": %.2f, \"forward_ms\": %.2f, \"backward_ms\": %.2f, "
              "\"optimizer_ms\": %.2f, \"optimizer_rows_ms\": %.2f, \"step_ms\": %.2f}\n",
              model_dir.c_str(), B, T, kernels::cpu::num_threads(), static_cast<long long>(model.store.count()), z, f,
              b, o, o_rows, z + f + b + o);
  return 0;
}
