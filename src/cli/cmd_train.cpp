// `finetune train`: fine-tune a model directory on a labelled dataset (DESIGN.md contract), with
// a Keras-style progress line, validation per epoch, the JSON-lines --log, a Hugging Face model
// directory as --output, and --resume after an interruption.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/dataset_options.h"
#include "core/log.h"
#include "io/staged_directory.h"
#include "kernels/device.h"
#include "model/model.h"
#include "train/checkpoint.h"
#include "train/distributed.h"
#include "train/progress.h"
#include "train/trainer.h"

namespace finetune::cli {
namespace {

const std::vector<OptionSpec> kOptions = {
    {"--model", "DIR|HUB_ID",
     "model to start from: a directory (config.json, weights, tokenizer) or a hub model", "", true},
    revision_option(),
    {"--train", "FILE|HUB_ID",
     "training data: .txt (text;label), .csv, .tsv, .jsonl, .parquet, or a hub dataset", "", true},
    {"--validation", "FILE|HUB_ID", "validation data, evaluated after each epoch", ""},
    split_option("train", "--train"),
    validation_split_option(),
    dataset_config_option(),
    dataset_revision_option(),
    {"--output", "DIR", "where to save the fine-tuned model (a Hugging Face model directory)", ""},
    {"--epochs", "N", "passes over the training data", "5"},
    {"--batch-size", "N", "examples per batch", "8"},
    {"--gradient-accumulation-steps", "N", "batches per optimizer step", "1"},
    {"--lr", "X", "peak learning rate", "5e-5"},
    {"--optimizer", "adamw|adam", "AdamW (decoupled weight decay) or Adam (L2)", "adamw"},
    {"--weight-decay", "X", "weight decay (not applied to biases and LayerNorm weights)", "0"},
    {"--schedule", "constant|linear", "learning-rate schedule after warmup", "linear"},
    {"--warmup-steps", "N", "optimizer steps of linear warmup from 0", "0"},
    {"--max-grad-norm", "X", "clip gradients to this global norm (0: no clipping)", "0"},
    {"--dropout", "X", "override every dropout probability of the model (0 disables dropout)", ""},
    {"--no-shuffle", "", "keep file order (batches are consecutive examples)", ""},
    {"--seed", "N", "seed for shuffling, dropout and a fresh classification head", "42"},
    {"--max-length", "N", "truncate texts to N tokens (default: all the model's positions allow)",
     ""},
    limit_option(),
    text_column_option(),
    label_column_option(),
    {"--log", "FILE", "write JSON lines: one per step and one per validation", ""},
    {"--resume", "DIR", "continue an interrupted run from its --output directory", ""},
    {"--stop-after-steps", "N",
     "stop after N optimizer steps in total, saving a resumable state as Ctrl-C does", ""},
    {"--collective-timeout", "SECONDS",
     "multi-process runs: stop if the other processes do not answer in this time", "300"},
    device_option(),
    {"--precision", "fp32|bf16",
     "precision of matrix products (default: bf16 on cuda, fp32 on cpu)", ""},
    {"--no-cuda-graphs", "", "launch every GPU kernel separately instead of replaying CUDA graphs",
     ""},
    {"--experimental-gpu-speedups", "",
     "GPU: Adam skips embedding rows without a gradient and keeps a bf16 copy of the weights, "
     "batches are uploaded from pinned memory (identical results by design; not yet run on a "
     "GPU, see bench/RESULTS.md)",
     ""},
    threads_option(),
};

// Options that must be the same when resuming (they determine the trajectory).
// (How many examples make one optimizer step is recorded too, as "examples-per-step": --batch-size
// x processes x --gradient-accumulation-steps. Only that product must stay the same, so a run can
// resume with another number of processes.)
const char* const kTrajectoryOptions[] = {"--epochs",        "--lr",        "--optimizer",
                                          "--weight-decay",  "--schedule",  "--warmup-steps",
                                          "--max-grad-norm", "--dropout",   "--no-shuffle",
                                          "--seed",          "--max-length"};

double peak_memory_mb() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports kilobytes
}

// 66.9M, 36.9K, 512
std::string count_text(int64_t count) {
  char text[32];
  if (count >= 1000000) {
    std::snprintf(text, sizeof text, "%.1fM", static_cast<double>(count) / 1e6);
  } else if (count >= 1000) {
    std::snprintf(text, sizeof text, "%.1fK", static_cast<double>(count) / 1e3);
  } else {
    std::snprintf(text, sizeof text, "%lld", static_cast<long long>(count));
  }
  return text;
}

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& n : names) text += (text.empty() ? "" : ", ") + n;
  return text;
}

int run_train(const ParsedOptions& options) {
  // 1. Every flag's value, before any file is touched.
  apply_threads(options);
  // Data parallel when launched by mpirun/srun (docs/distributed.md): the group first, because a
  // process's GPU follows from its local rank.
  const double collective_timeout = options.get_number("--collective-timeout");
  if (!(collective_timeout > 0))
    throw UsageError("--collective-timeout: expected a positive number of seconds");
  std::unique_ptr<Communicator> comm = make_communicator(CommunicatorOptions{collective_timeout});
  if (!comm->is_root()) {  // one voice: only process 0 reports notices and progress
    set_log_sink([](LogLevel level, const std::string& message) {
      if (level == LogLevel::Warning) std::fprintf(stderr, "warning: %s\n", message.c_str());
    });
  }
  const bool wants_gpu = options.get_string("--device").rfind("cuda", 0) == 0;
  const int default_gpu =
      wants_gpu && comm->size() > 1
          ? device_for_local_rank(comm->local_rank(), kernels::cuda::device_count())
          : 0;
  DeviceSession device(options, default_gpu);
  const Exec& ex = device.exec();
  comm->use_device(ex);
  TrainOptions train_options;
  train_options.epochs = static_cast<int>(options.get_int("--epochs", 1, ParsedOptions::kMaxInt));
  train_options.batch_size =
      static_cast<int>(options.get_int("--batch-size", 1, ParsedOptions::kMaxInt));
  train_options.gradient_accumulation_steps =
      static_cast<int>(options.get_int("--gradient-accumulation-steps", 1, ParsedOptions::kMaxInt));
  const double lr = options.get_number("--lr");
  if (!(lr > 0 && lr < 1))
    throw UsageError(cat("--lr: expected a positive learning rate below 1, got ", lr));
  train_options.schedule.base_lr = lr;
  train_options.schedule.kind = parse_schedule(options.get_string("--schedule"));
  train_options.schedule.warmup_steps = options.get_int("--warmup-steps", 0);
  train_options.optimizer.decoupled_weight_decay =
      parse_optimizer_is_adamw(options.get_string("--optimizer"));
  train_options.optimizer.weight_decay = options.get_number("--weight-decay");
  if (train_options.optimizer.weight_decay < 0)
    throw UsageError("--weight-decay: must not be negative");
  train_options.max_grad_norm = options.get_number("--max-grad-norm");
  if (train_options.max_grad_norm < 0) throw UsageError("--max-grad-norm: must not be negative");
  train_options.shuffle = !options.has("--no-shuffle");
  train_options.cuda_graphs = !options.has("--no-cuda-graphs");
  // Exact on every device; the CPU path is tested and measured, the GPU kernels only compiled so
  // far, so there they wait for --experimental-gpu-speedups until a GPU run has checked them.
  const bool gpu_speedups = options.has("--experimental-gpu-speedups");
  train_options.optimizer.skip_untouched_rows = ex.device == Device::CPU || gpu_speedups;
  train_options.bf16_weight_copy = gpu_speedups;
  train_options.pinned_uploads = gpu_speedups;
  if (options.has("--stop-after-steps"))
    train_options.stop_after_steps = options.get_int("--stop-after-steps", 1);
  train_options.seed = static_cast<uint64_t>(options.get_int("--seed", 0));
  std::optional<double> dropout;
  if (options.has("--dropout")) {
    dropout = options.get_number("--dropout");
    if (!(*dropout >= 0 && *dropout < 1))
      throw UsageError("--dropout: expected a probability in [0, 1)");
  }
  const long long requested_length =
      options.has("--max-length") ? options.get_int("--max-length", 1) : 0;
  const DatasetOptions data_options = dataset_options(options);
  const std::filesystem::path resume_dir = options.get("--resume").value_or("");
  std::filesystem::path output = options.get("--output").value_or("");
  if (output.empty() && !resume_dir.empty()) output = resume_dir;
  train_options.log = options.get("--log").value_or("");

  // 2. The output directory must be usable before hours of training (process 0 writes it).
  if (!output.empty()) {
    if (comm->is_root()) check_output_directory(output);
  } else if (comm->is_root()) {
    log_notice("no --output: the fine-tuned model will not be saved");
  }
  require_dataset(options, "--train");
  if (options.has("--validation")) require_dataset(options, "--validation");

  // 3. Data and labels. A resumed run's directory carries the labels it was trained with.
  if (!resume_dir.empty()) StagedDirectory::recover(resume_dir);  // see check_output_directory
  const std::filesystem::path weights_dir =
      resume_dir.empty() ? model_directory(options) : resume_dir;
  ModelConfig config = load_directory_config(weights_dir);
  Dataset train_set = read_dataset_flag(options, "--train", "--split", data_options);
  LabelNames labels =
      resolve_label_names(train_set, config.labels_from_config ? &config.labels : nullptr);
  set_labels(config, labels.names);
  std::optional<Dataset> validation_set;
  if (options.has("--validation")) {
    validation_set = read_dataset_flag(options, "--validation", "--validation-split", data_options);
  }

  // 4. Model and tokenizer.
  Model model = load_model(weights_dir, config, train_options.seed);
  Tokenizer tokenizer = load_model_tokenizer(weights_dir, model.config);
  const size_t limit = static_cast<size_t>(model.config.max_tokens);
  const size_t max_length = requested_length > 0 ? static_cast<size_t>(requested_length) : limit;
  if (max_length > limit) {
    throw UsageError(cat("--max-length ", max_length, " exceeds the model's ", limit,
                         " usable positions (max_position_embeddings ", model.config.P,
                         " in config.json)"));
  }
  LabelledData train = prepare_examples(train_set, labels, tokenizer, max_length);
  std::optional<LabelledData> validation;
  if (validation_set) validation = prepare_examples(*validation_set, labels, tokenizer, max_length);

  train_options.dropout = dropout ? DropoutRates::all(static_cast<float>(*dropout))
                                  : DropoutRates::from_config(model.config);
  train_options.output = output;
  train_options.communicator = comm.get();
  train_options.tokenizer_files = tokenizer.source_files();
  train_options.interactive = ::isatty(STDOUT_FILENO) == 1;
  Json resolved = Json::object();
  for (const char* name : kTrajectoryOptions) {
    auto value = options.get(name);
    resolved[name] = value ? *value : (options.has(name) ? "true" : "");
  }
  if (!options.has("--max-length")) resolved["--max-length"] = std::to_string(max_length);
  resolved["examples-per-step"] = std::to_string(int64_t{train_options.batch_size} * comm->size() *
                                                 train_options.gradient_accumulation_steps);
  train_options.resolved_options = resolved;

  Trainer trainer(ex, model, train_options);
  if (!resume_dir.empty()) {
    ResumeState state = read_training_state(resume_dir, model.store.count());
    for (const auto& [name, value] : resolved.items()) {
      const std::string before = state.trainer.options.value(name, std::string());
      if (before != value.get<std::string>()) {
        throw Error(cat("--resume: ", name, " was '", before, "' in the interrupted run and is '",
                        value.get<std::string>(), "' now; resume with the same training options",
                        name == "examples-per-step"
                            ? " (the product of --batch-size, the number of processes and "
                              "--gradient-accumulation-steps)"
                            : ""));
      }
    }
    trainer.resume_from(std::move(state));
  }

  // 5. What is about to happen, then the run.
  const int64_t global_batch = int64_t{train_options.batch_size} * comm->size();
  const int64_t step_span = global_batch * train_options.gradient_accumulation_steps;
  const int64_t steps = (static_cast<int64_t>(train.encodings.size()) + step_span - 1) / step_span;
  const bool root = comm->is_root();
  if (root) std::printf("finetune train: %s\n", options.resolved().c_str());
  if (root)
    std::printf("model: %s (%s), %s parameters, %d labels (%s; from %s)\n",
                weights_dir.string().c_str(), family_name(model.config.family),
                count_text(model.store.count()).c_str(), model.config.K(),
                join(labels.names).c_str(), labels.source.c_str());
  if (root) {
    std::printf(
        "train: %zu examples, global batch %lld (%s), %lld steps per epoch%s\n",
        train.encodings.size(), static_cast<long long>(global_batch),
        comm->size() > 1 ? cat(comm->size(), " processes x ", train_options.batch_size).c_str()
                         : "one process",
        static_cast<long long>(steps),
        validation ? cat(", validation: ", validation->encodings.size(), " examples").c_str() : "");
    if (comm->size() > 1) std::printf("processes: %s\n", comm->describe().c_str());
  }
  std::fflush(stdout);

  TrainResult result = trainer.run(train, validation ? &*validation : nullptr);
  if (root) {
    std::printf("%s after %lld steps in %s; peak memory %.0f MB\n",
                result.interrupted ? "stopped" : "done", static_cast<long long>(result.steps),
                format_duration(result.seconds).c_str(), peak_memory_mb());
    if (!output.empty()) std::printf("model saved to %s\n", output.string().c_str());
  }
  std::fflush(stdout);
  return result.interrupted ? 130 : 0;
}

}  // namespace

const Command& train_command() {
  static const Command command{
      "train", "fine-tune a model on a labelled dataset",
      "Fine-tunes --model for sequence classification on --train (loss and accuracy shown per "
      "step,\n"
      "validation after each epoch), and saves a Hugging Face model directory to --output that\n"
      "transformers loads. Ctrl-C stops after the current step and saves a state that --resume\n"
      "continues exactly.",
      &kOptions, run_train};
  return command;
}

}  // namespace finetune::cli
