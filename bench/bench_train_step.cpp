// Where a training step's time goes: forward, loss + backward, zero-grad and the optimizer,
// timed separately for one model at a fixed batch shape (median of repeated steps). A profiling
// aid for the CPU path; the side-by-side comparison with PyTorch is bench/run_train_bench.py.
//
//   bench_train_step --model DIR [--batch-size 8] [--tokens 24] [--steps 20] [--threads N]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/timer.h"
#include "kernels/cpu/threads.h"
#include "model/forward.h"
#include "model/model.h"
#include "train/optimizer.h"

using namespace finetune;

int main(int argc, char** argv) {
  std::string model_dir;
  int B = 8, T = 24, steps = 20, threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    int value = std::atoi(argv[i + 1]);
    if (flag == "--model") model_dir = argv[i + 1];
    else if (flag == "--batch-size") B = value;
    else if (flag == "--tokens") T = value;
    else if (flag == "--steps") steps = value;
    else if (flag == "--threads") threads = value;
  }
  if (model_dir.empty()) {
    std::fprintf(stderr, "usage: bench_train_step --model DIR [--batch-size 8] [--tokens 24] [--steps 20] [--threads N]\n");
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

  Activations acts(c, B, T, Mode::Train);
  ParameterStore grads(c);
  Optimizer optimizer(Exec::cpu(), OptimizerConfig{}, model.store);
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
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2] * 1000.0;
  };
  double z = median(t_zero), f = median(t_forward), b = median(t_backward), o = median(t_optimizer);
  std::printf("{\"bench\": \"train_step\", \"model\": \"%s\", \"batch\": %d, \"tokens\": %d, \"threads\": %d, "
              "\"params\": %lld, \"zero_ms\": %.2f, \"forward_ms\": %.2f, \"backward_ms\": %.2f, "
              "\"optimizer_ms\": %.2f, \"step_ms\": %.2f}\n",
              model_dir.c_str(), B, T, kernels::cpu::num_threads(), static_cast<long long>(model.store.count()), z, f,
              b, o, z + f + b + o);
  return 0;
}
