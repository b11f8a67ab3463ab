// The training loop (see trainer.h for its semantics).
#include "train/trainer.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <map>
#include <numeric>
#include <set>

#include "core/log.h"
#include "core/timer.h"
#include "data/batch.h"
#include "data/shuffle.h"
#include "kernels/device.h"
#include "model/inference.h"
#include "ops/memory.h"
#include "ops/ops.h"
#include "train/evaluate.h"
#include "train/health.h"
#include "train/interrupt.h"
#include "train/metric_log.h"
#include "train/progress.h"

namespace finetune {

namespace {

int32_t argmax(const float* row, int K) {
  return static_cast<int32_t>(std::max_element(row, row + K) - row);
}

std::string format_metric(const char* name, double value) {
  char text[64];
  std::snprintf(text, sizeof text, " - %s: %.4f", name, value);
  return text;
}

// "interrupted (SIGTERM)" for a signal, "stopped" for --stop-after-steps.
std::string stop_reason() {
  if (!InterruptGuard::requested()) return "stopped";
  return InterruptGuard::signal_number() == SIGTERM ? "interrupted (SIGTERM)" : "interrupted";
}

// GPU batches are padded to a multiple of 8 tokens, so few distinct shapes (graphs) exist.
int bucket_length(int longest, int max_tokens) {
  return std::min(max_tokens, (longest + 7) / 8 * 8);
}

// The epoch's visiting order: file order, or the seeded permutation of data/shuffle.h.
std::vector<int32_t> epoch_order(int64_t n, bool shuffle, uint64_t seed, int epoch) {
  std::vector<int32_t> order(static_cast<size_t>(n));
  if (!shuffle) {
    std::iota(order.begin(), order.end(), 0);
    return order;
  }
  std::vector<size_t> permutation =
      shuffled_order(static_cast<size_t>(n), seed, static_cast<uint64_t>(epoch));
  for (size_t i = 0; i < permutation.size(); ++i) order[i] = static_cast<int32_t>(permutation[i]);
  return order;
}

// Copies a built batch into slot `slot` of `staging` (pinned memory; slot layout in
// Trainer::run) and returns the view of the copy; `step_staging` receives the slot's place for
// the micro-step counter.
BatchView stage_batch(const BatchView& view, const ops::StagingBuffer& staging, size_t slot_bytes, int slot,
                      int64_t*& step_staging) {
  FT_CHECK(static_cast<size_t>(slot + 1) * slot_bytes <= staging.size(), "batch staging slot ", slot,
           " of ", staging.size() / slot_bytes);
  char* base = staging.as<char>() + static_cast<size_t>(slot) * slot_bytes;
  auto* ints = reinterpret_cast<int32_t*>(base);
  const size_t cells = static_cast<size_t>(view.B) * view.T;
  BatchView staged = view;
  auto put = [&ints](const int32_t* from, size_t count) {
    int32_t* to = ints;
    if (from != nullptr) std::copy(from, from + count, to);
    ints += count;
    return from != nullptr ? to : nullptr;
  };
  staged.input_ids = put(view.input_ids, cells);
  staged.token_type_ids = put(view.token_type_ids, cells);
  staged.attention_mask = put(view.attention_mask, cells);
  staged.labels = put(view.labels, static_cast<size_t>(view.B));
  step_staging = reinterpret_cast<int64_t*>(base + slot_bytes - sizeof(int64_t));
  return staged;
}

}  // namespace

// One optimizer step's per-example losses and logits, copied from wherever they were computed
// into host memory, with what is needed to report them once they have arrived.
struct Trainer::StepRecord {
  ops::StagingBuffer losses;  // [A*B]
  ops::StagingBuffer logits;  // [A*B, K]
  ops::StagingBuffer
      non_finite;  // [1] u64: the Adam kernel's non-finite counter (GPU, no clipping)
  // Copies of the step's micro-batches (slot a for the a-th; TrainOptions::pinned_uploads),
  // uploaded from here: pinned on a GPU, so that the upload never waits for the stream. A
  // record's slots are rewritten two steps later, after its step has been waited for (finish).
  ops::StagingBuffer batches;
  std::vector<int32_t> labels;
  int64_t examples = 0;
  int64_t global_step = 0;  // 1-based, as logged
  int epoch = 0;            // 1-based
  double lr = 0;
  kernels::cuda::EventHandle* event = nullptr;  // GPU only: passed once the copies are done
  bool pending = false;
};

// Graphs by bucket length. A bucket is first run eagerly (that sizes the scratch and caches the
// GEMM plans, which must not happen during capture), captured the next time, replayed after.
struct Trainer::GraphCache {
  std::map<int, kernels::cuda::GraphHandle*> graphs;
  std::set<int> warmed;
  ~GraphCache() {
    for (auto& [length, graph] : graphs) {
      try {
        kernels::cuda::destroy_graph(graph);
      } catch (...) {  // destructors must not throw; the process is ending or failing anyway
      }
    }
  }
};

uint64_t Trainer::fingerprint(const LabelledData& data) {
  // FNV-1a over every id, separator and label: cheap, and any change in tokens, order or labels
  // changes it.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](uint32_t value) {
    for (int byte = 0; byte < 4; ++byte)
      h = (h ^ ((value >> (8 * byte)) & 0xff)) * 1099511628211ull;
  };
  for (size_t i = 0; i < data.encodings.size(); ++i) {
    for (int32_t id : data.encodings[i].ids) mix(static_cast<uint32_t>(id));
    mix(0xffffffffu);
    mix(static_cast<uint32_t>(data.labels[i]));
  }
  return h;
}

Trainer::Trainer(const Exec& ex, Model& model, TrainOptions options)
    : ex_(ex),
      model_(model),
      options_(std::move(options)),
      grads_(model.config, ex),
      optimizer_(ex, options_.optimizer, model.store) {
  FT_CHECK(
      options_.epochs > 0 && options_.batch_size > 0 && options_.gradient_accumulation_steps > 0,
      "training sizes must be positive");
  if (ex_.device == Device::CUDA) device_params_.emplace(copy_parameters(ex_, model_));
}

Trainer::~Trainer() = default;

void Trainer::resume_from(ResumeState state) {
  optimizer_.restore(ex_, state.optimizer);
  resume_ = std::move(state.trainer);
}

void Trainer::sync_parameters_to_host() {
  if (!device_params_) return;
  ops::copy(ex_, model_.store.flat(), device_params_->flat());
  ops::synchronize(ex_);
}

void Trainer::save(const TrainerState& state) {
  if (options_.output.empty()) return;
  if (options_.communicator != nullptr && !options_.communicator->is_root())
    return;  // process 0 saves
  sync_parameters_to_host();
  // Never replace a good checkpoint with a broken one: one pass over the weights, small next to
  // writing them.
  if (!gradients_finite(Exec::cpu(), model_.store.flat())) {
    ParameterStore& store = model_.store;
    std::optional<NonFiniteValue> bad = find_non_finite(Exec::cpu(), model_.config, store);
    throw Error(
        cat("training diverged before step ", state.global_step + 1, ": the weights are not finite",
            bad ? cat(" (first: ", describe(*bad), ")") : std::string(), "; nothing was saved",
            is_training_output(options_.output)
                ? cat(" (", options_.output.string(), " keeps the last good checkpoint)")
                : std::string(),
            "; check --lr and --weight-decay, or try --max-grad-norm 1.0"));
  }
  OptimizerSnapshot snapshot = optimizer_.snapshot(ex_);
  write_training_output(options_.output, model_.config, model_.params(), options_.tokenizer_files,
                        &state, &snapshot);
}

ClassificationReport Trainer::validate(const LabelledData& data, int batch_size) {
  Communicator& comm = *options_.communicator;
  const int K = model_.config.K();
  const size_t n = data.encodings.size(), W = static_cast<size_t>(comm.size()),
               R = static_cast<size_t>(comm.rank());
  const size_t begin = n * R / W, end = n * (R + 1) / W;
  std::vector<Encoding> encodings(data.encodings.begin() + begin, data.encodings.begin() + end);
  std::vector<int32_t> labels(data.labels.begin() + begin, data.labels.begin() + end);
  // Loss sum and confusion counts, summed over the processes (exact: integers and a double sum).
  std::vector<double> counts(1 + static_cast<size_t>(K) * K, 0.0);
  if (!encodings.empty()) {
    Evaluation local =
        evaluate(ex_, model_.config, params().params(), encodings, labels, batch_size);
    counts[0] = local.report.loss * static_cast<double>(local.report.examples);
    for (int i = 0; i < K; ++i)
      for (int j = 0; j < K; ++j)
        counts[1 + i * K + j] = static_cast<double>(local.report.confusion[i][j]);
  }
  comm.allreduce_sum(counts);
  std::vector<std::vector<int64_t>> confusion(K, std::vector<int64_t>(K));
  for (int i = 0; i < K; ++i)
    for (int j = 0; j < K; ++j) confusion[i][j] = static_cast<int64_t>(counts[1 + i * K + j]);
  return make_report(confusion, counts[0]);
}

TrainResult Trainer::run(const LabelledData& train, const LabelledData* validation) {
  const ModelConfig& config = model_.config;
  const int64_t n = static_cast<int64_t>(train.encodings.size());
  FT_CHECK(n > 0 && train.labels.size() == train.encodings.size(), "training data: ", n,
           " examples, ", train.labels.size(), " labels");
  check_token_ids(config, train.encodings);
  const int B = options_.batch_size, A = options_.gradient_accumulation_steps, K = config.K();
  std::unique_ptr<Communicator> own_communicator;
  if (options_.communicator == nullptr) {
    own_communicator = make_communicator(CommunicatorOptions{});  // a single process
    options_.communicator = own_communicator.get();
  }
  Communicator& comm = *options_.communicator;
  const int W = comm.size(), R = comm.rank();
  const bool root = comm.is_root();
  const int64_t global_batch = int64_t{B} * W;
  const int64_t step_span = global_batch * A;  // examples of a full optimizer step
  const int64_t steps_per_epoch = (n + step_span - 1) / step_span;
  LearningRateSchedule schedule = options_.schedule;
  schedule.total_steps = steps_per_epoch * options_.epochs;
  size_t longest = 1;
  for (const Encoding& e : train.encodings) longest = std::max(longest, e.ids.size());
  const bool on_gpu = ex_.device == Device::CUDA;
  const bool use_graphs = on_gpu && options_.cuda_graphs;
  const int max_tokens =
      on_gpu ? static_cast<int>((longest + 7) / 8 * 8) : static_cast<int>(longest);
  if (use_graphs && !graphs_) graphs_ = std::make_unique<GraphCache>();

  TrainerState state;
  state.examples = n;
  state.data_fingerprint = fingerprint(train);
  state.options = options_.resolved_options;
  const bool resumed = resume_.has_value();
  if (resumed) {
    if (resume_->examples != n || resume_->data_fingerprint != state.data_fingerprint) {
      throw Error(cat("--resume: the training data differs from the interrupted run's (",
                      resume_->examples, " examples then, ", n,
                      " now, or other tokens or labels); pass the same --train, "
                      "--limit and --max-length"));
    }
    Json options = state.options;
    state = *resume_;
    state.options = options;
  }
  TrainResult result;
  result.steps = state.global_step;
  if (state.complete) {
    log_notice(cat("the run in ", options_.output.string(), " already finished all ",
                   options_.epochs, " epochs; nothing to do"));
    return result;
  }

  // Memory is planned for the rows a batch can really have: a --batch-size beyond the data set
  // (even 10^9) costs no more than the data set itself.
  const int B_rows = static_cast<int>(std::min<int64_t>(B, n));
  const int64_t step_rows =
      std::min<int64_t>(int64_t{A} * B_rows, n);  // this process's rows per step
  Activations acts(ex_, config, B_rows, max_tokens, Mode::Train);
  BatchBuilder builder(B_rows, max_tokens, config.pad_token_id);
  MetricLog log = options_.log.empty() || !root ? MetricLog() : MetricLog(options_.log, resumed);
  ProgressLine progress(stdout, options_.interactive);
  const bool quiet = options_.quiet || !root;
  InterruptGuard interrupt;
  // Each process draws its own dropout masks: the seed mixed with the rank (process 0 keeps the
  // plain seed, so a single-process run is unchanged).
  const uint64_t dropout_seed =
      R == 0 ? options_.seed : options_.seed ^ (0x9E3779B97F4A7C15ull * (R + 1));
  ForwardOptions forward{Mode::Train, options_.dropout, dropout_seed, 0,
                         /*micro_step_on_device=*/on_gpu};
  std::vector<const Encoding*> members;
  std::vector<int32_t> member_labels;
  members.reserve(B_rows);
  member_labels.reserve(B_rows);
  Tensor grads_flat = grads_.flat();
  Timer run_timer;

  // Staged uploads (TrainOptions::pinned_uploads). The CPU stages too, where it costs a copy of a
  // few kilobytes per step, so that the CPU tests check the staging itself.
  const bool stage_batches = !on_gpu || options_.pinned_uploads;
  // A micro-batch as staged for upload: ids, token types and mask [B_rows, max_tokens] each, the
  // labels [B_rows] (int32), then the micro-step counter (int64, 8-byte aligned).
  const size_t batch_ints = 3 * static_cast<size_t>(B_rows) * max_tokens + B_rows;
  const size_t batch_slot_bytes = (batch_ints * sizeof(int32_t) + 7) / 8 * 8 + sizeof(int64_t);
  // Two step records: while the device works on step k, the host reports step k - 1.
  StepRecord records[2];
  for (StepRecord& r : records) {
    r.losses = ops::StagingBuffer(ex_, static_cast<size_t>(step_rows) * sizeof(float));
    r.logits = ops::StagingBuffer(ex_, static_cast<size_t>(step_rows) * K * sizeof(float));
    r.labels.reserve(static_cast<size_t>(step_rows));
    if (on_gpu) r.event = kernels::cuda::create_event();
    if (on_gpu) r.non_finite = ops::StagingBuffer(ex_, sizeof(unsigned long long));
    if (stage_batches) r.batches = ops::StagingBuffer(ex_, static_cast<size_t>(A) * batch_slot_bytes);
  }
  // GPU without --max-grad-norm: no gradient pass of its own (it would cost a host wait per
  // step); the Adam kernel notes the first non-finite gradient in this counter instead, and the
  // step's report reads it with the loss (health.h).
  ops::Buffer non_finite_counter;
  Tensor non_finite_flag;
  if (on_gpu && options_.max_grad_norm <= 0) {
    non_finite_counter = ops::Buffer(ex_, sizeof(unsigned long long));
    non_finite_flag = Tensor(non_finite_counter.data(), DType::I64, {1}, Device::CUDA);
  }
  // The bf16 weight copy (TrainOptions::bf16_weight_copy): registered for this run, filled from
  // the parameters as they are now (after any resume), kept current by the optimizer, and
  // unregistered when the run ends however it ends, as the parameters may change otherwise then.
  void* bf16_params = nullptr;
  if (on_gpu && options_.bf16_weight_copy && ex_.precision == Precision::Bf16) {
    const int64_t count = params().count();
    if (bf16_weights_.data() == nullptr) bf16_weights_ = ops::Buffer(ex_, static_cast<size_t>(count) * 2);
    kernels::cuda::set_bf16_weights(ex_, params().data(), bf16_weights_.data(), count);
    bf16_params = bf16_weights_.data();
  }
  struct Bf16WeightsCleanup {
    const Exec& ex;
    bool registered;
    ~Bf16WeightsCleanup() {
      if (!registered) return;
      try {  // never throw from here (see EventCleanup)
        kernels::cuda::set_bf16_weights(ex, nullptr, nullptr, 0);
      } catch (const std::exception&) {
      }
    }
  } bf16_cleanup{ex_, bf16_params != nullptr};
  struct EventCleanup {
    StepRecord* records;
    ~EventCleanup() {
      for (int i = 0; i < 2; ++i) {
        if (records[i].event == nullptr) continue;
        try {  // never throw from here: an error being reported may be unwinding through us
          kernels::cuda::destroy_event(records[i].event);
        } catch (const std::exception&) {
        }
      }
    }
  } event_cleanup{records};
  int current = 0;
  // What the user still has when a run stops on a numerical fault (nothing non-finite is saved).
  auto kept_checkpoint = [&]() -> std::string {
    if (options_.output.empty()) return "";
    if (!is_training_output(options_.output))
      return cat("; nothing was saved to ", options_.output.string());
    return cat("; ", options_.output.string(), " keeps the last good checkpoint");
  };

  // Reports a step whose metrics have been queued: waits for them, logs, updates the epoch sums.
  auto finish = [&](StepRecord& r) {
    if (!r.pending) return;
    if (r.event != nullptr) kernels::cuda::wait_event(r.event);
    r.pending = false;
    if (non_finite_flag.data != nullptr) {
      const int64_t index = decode_non_finite_flag(*r.non_finite.as<unsigned long long>());
      if (index >= 0) {
        const NonFiniteValue bad = locate_flat_index(config, grads_, index, 0.0f);
        throw Error(cat("training diverged at step ", r.global_step, " (epoch ", r.epoch,
                        "): the first non-finite gradient is of ", bad.parameter, " (element ",
                        bad.element, " is not finite)", kept_checkpoint(),
                        "; try a lower --lr or --max-grad-norm 1.0"));
      }
    }
    // This process's rows, then the sums over all processes (a no-op for one).
    std::vector<double> sums{0.0, 0.0, static_cast<double>(r.examples)};
    for (int64_t i = 0; i < r.examples; ++i) {
      sums[0] += r.losses.as<float>()[i];
      sums[1] += argmax(r.logits.as<float>() + i * K, K) == r.labels[i];
    }
    comm.allreduce_sum(sums);
    const double loss_sum = sums[0];
    const int64_t correct = static_cast<int64_t>(sums[1]);
    const int64_t examples = static_cast<int64_t>(sums[2]);
    const double loss = loss_sum / static_cast<double>(examples);
    if (!std::isfinite(loss)) {
      // On the CPU the step's loss and gradient were checked before its update (below); on a GPU
      // the report arrives a step late, after the gradient's own check above.
      throw Error(cat("training diverged at step ", r.global_step, " (epoch ", r.epoch,
                      "): the loss is ", loss, kept_checkpoint(),
                      "; try a lower --lr or --max-grad-norm 1.0"));
    }
    state.epoch_loss_sum += loss_sum;
    state.epoch_correct += correct;
    state.epoch_examples += examples;
    log.step(r.global_step, r.epoch, loss, static_cast<double>(correct) / examples, r.lr);
  };
  auto flush = [&]() {
    finish(records[current ^ 1]);
    finish(records[current]);
  };

  for (; state.epoch < options_.epochs; ++state.epoch) {
    const bool mid_epoch = resumed && state.epoch_examples > 0 && state.epoch == resume_->epoch;
    if (!mid_epoch) {
      state.data_order = epoch_order(n, options_.shuffle, options_.seed, state.epoch);
      state.epoch_loss_sum = 0;
      state.epoch_correct = 0;
      state.epoch_examples = 0;
      state.step_in_epoch = 0;
    }
    // Where the epoch stands: examples consumed (a resumed run may have had another global batch).
    int64_t offset = state.epoch_examples;
    state.step_in_epoch = (offset + step_span - 1) / step_span;
    if (!quiet)
      progress.start_epoch(state.epoch + 1, options_.epochs, steps_per_epoch, state.step_in_epoch);
    Timer epoch_timer;

    while (offset < n) {
      const int64_t step_examples = std::min(step_span, n - offset);
      // The mean over the whole step's examples, however they are split into micro-batches and
      // processes (the processes' gradients are summed).
      const float scale = 1.0f / static_cast<float>(step_examples);
      StepRecord& record = records[current];
      record.labels.clear();

      ops::zero(ex_, grads_flat);
      int64_t row = 0;
      int micro_index = 0;  // this process's micro-batches in the step so far
      for (int64_t micro = offset; micro < offset + step_examples; micro += global_batch) {
        // This process's rows of the global micro-batch.
        const int64_t micro_end = std::min(micro + global_batch, offset + step_examples);
        const int64_t begin = micro + int64_t{R} * B, end = std::min(begin + B, micro_end);
        const uint64_t micro_step = static_cast<uint64_t>(state.micro_step++);
        if (begin >= end) continue;  // the epoch's last, short global batch left none for us
        members.clear();
        member_labels.clear();
        for (int64_t i = begin; i < end; ++i) {
          const int32_t index = state.data_order[i];
          members.push_back(&train.encodings[index]);
          member_labels.push_back(train.labels[index]);
        }
        int length = 0;
        for (const Encoding* e : members)
          length = std::max(length, static_cast<int>(e->ids.size()));
        if (on_gpu) length = bucket_length(length, max_tokens);
        BatchView view = builder.build(members, member_labels, length);
        forward.micro_step = micro_step;
        int64_t* step_staging = nullptr;
        if (stage_batches) view = stage_batch(view, record.batches, batch_slot_bytes, micro_index, step_staging);
        ++micro_index;
        upload_batch(ex_, acts, view, forward.micro_step, step_staging);
        // A graph replays a full batch of a full step (its shapes and loss scale are frozen).
        const bool graphable = use_graphs && view.B == B_rows && step_examples == step_span;
        auto forward_loss_backward = [&]() {
          model_forward_uploaded(ex_, config, params().params(), acts, forward);
          model_loss(ex_, acts, scale);
          model_backward(ex_, config, params().params(), grads_.params(), acts, forward);
        };
        if (!graphable) {
          forward_loss_backward();
        } else if (auto found = graphs_->graphs.find(view.T); found != graphs_->graphs.end()) {
          kernels::cuda::launch_graph(ex_, found->second);
        } else if (graphs_->warmed.count(view.T)) {
          kernels::cuda::begin_capture(ex_);
          forward_loss_backward();
          kernels::cuda::GraphHandle* graph = kernels::cuda::end_capture(ex_);
          graphs_->graphs[view.T] = graph;
          kernels::cuda::launch_graph(ex_, graph);
        } else {
          forward_loss_backward();
          graphs_->warmed.insert(view.T);
        }
        ops::copy(ex_, Tensor(record.losses.as<float>() + row, DType::F32, {view.B}), acts.losses);
        ops::copy(ex_, Tensor(record.logits.as<float>() + row * K, DType::F32, {view.B, K}),
                  acts.logits);
        record.labels.insert(record.labels.end(), member_labels.begin(), member_labels.end());
        row += view.B;
      }
      record.examples = row;

      // One all-reduce per step: every process then holds the same summed gradient.
      comm.allreduce_sum(ex_, grads_flat);
      // A non-finite loss or gradient stops the run before the update, naming the step and the
      // first parameter whose gradient is not finite (health.h; on the CPU every step, on a GPU
      // where the norm is computed anyway).
      auto check_step = [&](bool grads_finite) {
        // This process's loss is known on the CPU; with several processes only the (summed, hence
        // shared) gradient decides here, so that all of them stop at the same step.
        double loss_sum = 0;
        if (!on_gpu && W == 1) {
          for (int64_t i = 0; i < row; ++i) loss_sum += record.losses.as<float>()[i];
        }
        if (grads_finite && std::isfinite(loss_sum)) return;
        std::optional<NonFiniteValue> bad;
        if (!grads_finite) bad = find_non_finite(ex_, config, grads_);
        throw Error(cat(
            "training diverged at step ", state.global_step + 1, " (epoch ", state.epoch + 1, "): ",
            on_gpu || W > 1 ? std::string()
                            : cat("the loss is ", loss_sum / static_cast<double>(row), ", "),
            bad ? cat("the first non-finite gradient is of ", describe(*bad))
                : std::string(grads_finite ? "the gradients are finite"
                                           : "the gradient is not finite"),
            kept_checkpoint(), "; try a lower --lr or --max-grad-norm 1.0"));
      };
      double grad_scale = 1.0;
      if (options_.max_grad_norm > 0) {
        // torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below 1.
        const double norm = std::sqrt(ops::sum_of_squares(ex_, grads_flat));
        check_step(std::isfinite(norm));
        const double coefficient = options_.max_grad_norm / (norm + 1e-6);
        if (coefficient < 1.0) grad_scale = coefficient;
      } else if (!on_gpu) {
        check_step(gradients_finite(ex_, grads_flat));
      }
      const double lr = schedule.lr_at(state.global_step);
      unsigned long long* counter = nullptr;
      if (non_finite_flag.data != nullptr) {
        ops::zero(ex_, non_finite_flag);
        counter = static_cast<unsigned long long*>(non_finite_flag.data);
      }
      optimizer_.step(ex_, params(), grads_, lr, grad_scale, counter, bf16_params);
      if (counter != nullptr) {
        ops::copy(ex_, Tensor(record.non_finite.as<void>(), DType::I64, {1}), non_finite_flag);
      }
      ++state.global_step;
      ++state.step_in_epoch;
      offset += step_examples;
      record.global_step = state.global_step;
      record.epoch = state.epoch + 1;
      record.lr = lr;
      record.pending = true;
      if (record.event != nullptr) kernels::cuda::record_event(ex_, record.event);
      // On the CPU the step is complete; on the GPU, report the previous one while this one runs.
      if (on_gpu) {
        finish(records[current ^ 1]);
      } else {
        finish(record);
      }
      current ^= 1;
      if (!quiet && state.epoch_examples > 0) {
        progress.update(
            state.step_in_epoch, state.epoch_loss_sum / static_cast<double>(state.epoch_examples),
            static_cast<double>(state.epoch_correct) / static_cast<double>(state.epoch_examples));
      }

      // Every process must stop at the same step: they agree on it.
      const bool stop_requested =
          comm.any(InterruptGuard::requested() || (options_.stop_after_steps > 0 &&
                                                   state.global_step >= options_.stop_after_steps));
      if (stop_requested && offset < n) {
        flush();
        save(state);
        result.interrupted = true;
        result.steps = state.global_step;
        result.seconds = run_timer.seconds();
        if (!quiet) std::fputs("\n", stdout);
        if (root) {
          log_notice(cat(stop_reason(), " after step ", state.global_step, " (epoch ",
                         state.epoch + 1, ", step ", state.step_in_epoch, "/", steps_per_epoch, ")",
                         options_.output.empty()
                             ? ""
                             : cat("; saved to ", options_.output.string(),
                                   ", continue with --resume ", options_.output.string())));
        }
        return result;
      }
    }
    flush();

    EpochSummary summary;
    summary.epoch = state.epoch + 1;
    summary.loss = state.epoch_loss_sum / static_cast<double>(state.epoch_examples);
    summary.accuracy =
        static_cast<double>(state.epoch_correct) / static_cast<double>(state.epoch_examples);
    std::string suffix;
    if (validation != nullptr && !validation->encodings.empty()) {
      ClassificationReport report = validate(*validation, std::max(B, 32));
      summary.validated = true;
      summary.val_loss = report.loss;
      summary.val_accuracy = report.accuracy;
      summary.val_macro_f1 = report.macro_f1;
      log.validation(summary.epoch, summary.val_loss, summary.val_accuracy, summary.val_macro_f1);
      suffix = format_metric("val_loss", summary.val_loss) +
               format_metric("val_accuracy", summary.val_accuracy) +
               format_metric("val_macro_f1", summary.val_macro_f1);
    }
    summary.seconds = epoch_timer.seconds();
    if (!quiet) progress.finish_epoch(state.step_in_epoch, summary.loss, summary.accuracy, suffix);
    result.epochs.push_back(summary);

    // The next position is the start of the next epoch; after the last one the run is complete.
    TrainerState next = state;
    next.epoch = state.epoch + 1;
    next.step_in_epoch = 0;
    next.epoch_examples = 0;
    next.epoch_loss_sum = 0;
    next.epoch_correct = 0;
    next.complete = next.epoch >= options_.epochs;
    save(next);
    state.step_in_epoch = 0;
    state.epoch_examples = 0;
    const bool stop_requested =
        comm.any(InterruptGuard::requested() ||
                 (options_.stop_after_steps > 0 && state.global_step >= options_.stop_after_steps));
    if (stop_requested && !next.complete) {
      result.interrupted = true;
      result.steps = state.global_step;
      result.seconds = run_timer.seconds();
      if (root) {
        log_notice(cat(stop_reason(), " after epoch ", next.epoch, ";",
                       options_.output.empty()
                           ? ""
                           : cat(" continue with --resume ", options_.output.string())));
      }
      return result;
    }
  }
  sync_parameters_to_host();
  result.steps = state.global_step;
  result.seconds = run_timer.seconds();
  return result;
}

}  // namespace finetune
