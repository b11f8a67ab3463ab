// `finetune eval`: accuracy, loss, macro-F1, per-class precision/recall/F1 and the confusion
// matrix of a model on a labelled dataset; --json prints the same as one JSON object.
#include <cstdio>
#include <optional>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/dataset_options.h"
#include "model/model.h"
#include "train/evaluate.h"

namespace finetune::cli {
namespace {

const std::vector<OptionSpec> kOptions = {
    {"--model", "DIR|HUB_ID",
     "model directory (config.json with id2label, weights, tokenizer) or hub model", "", true},
    revision_option(),
    {"--data", "FILE|HUB_ID",
     "labelled data: .txt (text;label), .csv, .tsv, .jsonl, .parquet, or a hub dataset", "", true},
    split_option("validation", "--data"),
    dataset_config_option(),
    dataset_revision_option(),
    {"--batch-size", "N", "examples per forward pass", "32"},
    {"--max-length", "N", "truncate texts to N tokens (default: all the model's positions allow)",
     ""},
    limit_option(),
    text_column_option(),
    label_column_option(),
    {"--json", "", "print the report as one JSON object", ""},
    device_option(),
    {"--precision", "fp32|bf16",
     "precision of matrix products (default: bf16 on cuda, fp32 on cpu)", ""},
    threads_option(),
};

int run_eval(const ParsedOptions& options) {
  apply_threads(options);
  DeviceSession device(options);
  const Exec& ex = device.exec();
  const int batch_size =
      static_cast<int>(options.get_int("--batch-size", 1, ParsedOptions::kMaxInt));
  const long long requested_length =
      options.has("--max-length") ? options.get_int("--max-length", 1) : 0;
  const DatasetOptions data_options = dataset_options(options);
  require_dataset(options, "--data");
  const std::filesystem::path model_dir = model_directory(options);

  ModelConfig config = load_directory_config(model_dir);
  Dataset data = read_dataset_flag(options, "--data", "--split", data_options);
  LabelNames labels =
      resolve_label_names(data, config.labels_from_config ? &config.labels : nullptr);
  if (!config.labels_from_config && static_cast<int>(labels.names.size()) != config.K()) {
    throw Error(cat(model_dir.string(), "/config.json has no id2label and ", config.K(),
                    " labels, but ", data.path.string(), " has ", labels.names.size(),
                    ": evaluate a model trained on these labels"));
  }
  set_labels(config, labels.names);
  Model model = load_model(model_dir, config, 0);
  Tokenizer tokenizer = load_model_tokenizer(model_dir, model.config);
  const size_t limit = static_cast<size_t>(model.config.max_tokens);
  const size_t max_length = requested_length > 0 ? static_cast<size_t>(requested_length) : limit;
  if (max_length > limit) {
    throw UsageError(cat("--max-length ", max_length, " exceeds the model's ", limit,
                         " usable positions (max_position_embeddings ", model.config.P,
                         " in config.json)"));
  }
  LabelledData examples = prepare_examples(data, labels, tokenizer, max_length);
  std::optional<ParameterStore> on_gpu;
  if (device.on_gpu()) on_gpu.emplace(copy_parameters(ex, model));
  const ModelParams& params = on_gpu ? on_gpu->params() : model.params();
  Evaluation result =
      evaluate(ex, model.config, params, examples.encodings, examples.labels, batch_size);
  StdoutBuffer output;
  output.text = options.has("--json") ? report_to_json(result.report, labels.names) + "\n"
                                      : format_report(result.report, labels.names);
  output.finish();
  return 0;
}

}  // namespace

const Command& eval_command() {
  static const Command command{
      "eval", "evaluate a model on a labelled dataset",
      "Runs --model on every example of --data and reports accuracy, loss, macro-F1, per-class\n"
      "precision, recall and F1, and the confusion matrix with label names (--json: one object).",
      &kOptions, run_eval};
  return command;
}

}  // namespace finetune::cli
