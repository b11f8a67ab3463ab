// `finetune predict`: classify each input line with a model directory. Prints, per line, the
// label, its probability and the text; with --json one object per line:
// {"label": NAME, "probs": [p_0, ..., p_{K-1}]} in label-id order (DESIGN.md contract).
// Input lines are single texts, or, in a .jsonl file, texts and text pairs (data/text_inputs.h).
#include <algorithm>
#include <cstdio>
#include <optional>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/input_options.h"
#include "core/log.h"
#include "data/encode.h"
#include "data/text_inputs.h"
#include "model/inference.h"
#include "model/model.h"

namespace finetune::cli {
namespace {

// A chunk of input is encoded and classified before the next is read: up to this many lines or
// bytes of text (a few hundred batches; enough that length-sorting still groups texts well).
constexpr size_t kChunkLines = 8192;
constexpr size_t kChunkBytes = size_t{32} << 20;

const std::vector<OptionSpec> kOptions = {
    {"--model", "DIR|HUB_ID",
     "model directory (config.json, weights, tokenizer files) or hub model", "", true},
    revision_option(),
    input_option(),
    {"--max-length", "N", "truncate texts to N tokens (default: all the model's positions allow)",
     ""},
    truncation_option(),
    {"--batch-size", "N", "texts per forward pass", "32"},
    {"--json", "", "print one JSON object per line: {\"label\": ..., \"probs\": [...]}", ""},
    device_option(),
    {"--precision", "fp32|bf16",
     "precision of matrix products (default: bf16 on cuda, fp32 on cpu)", ""},
    threads_option(),
};

// A text as the human output shows it: on one line, so that output line k is input line k. Only
// a .jsonl text can hold a newline (as "\n"); it is shown as a space.
std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

int run_predict(const ParsedOptions& options) {
  // Check every flag's value before touching any file, so usage mistakes are reported first.
  apply_threads(options);
  DeviceSession device(options);
  const Exec& ex = device.exec();
  const int batch_size =
      static_cast<int>(options.get_int("--batch-size", 1, ParsedOptions::kMaxInt));
  const long long requested_length =
      options.has("--max-length") ? options.get_int("--max-length", 1) : 0;
  const TruncationStrategy strategy = truncation_strategy(options);
  const std::filesystem::path input = options.get_string("--input");
  require_file(input, "--input");
  const std::filesystem::path model_dir = model_directory(options);

  Model model = load_model(model_dir);
  Tokenizer tokenizer = load_model_tokenizer(model_dir, model.config);
  const size_t limit = static_cast<size_t>(model.config.max_tokens);
  size_t max_length = requested_length > 0 ? static_cast<size_t>(requested_length) : limit;
  if (max_length > limit) {
    throw UsageError(cat("--max-length ", max_length, " exceeds the model's ", limit,
                         " usable positions (max_position_embeddings ", model.config.P,
                         " in config.json)"));
  }
  check_room_for_text(max_length, tokenizer);

  std::optional<ParameterStore> on_gpu;
  if (device.on_gpu()) on_gpu.emplace(copy_parameters(ex, model));
  const ModelParams& params = on_gpu ? on_gpu->params() : model.params();
  const int K = model.config.K();
  const auto& labels = model.config.labels;
  const bool json = options.has("--json");
  size_t label_width = 0;
  for (const auto& l : labels) label_width = std::max(label_width, l.size());

  // The input is streamed in chunks, so memory stays bounded however large the file is; each
  // text's result does not depend on which chunk or batch it is in (inference.h).
  TextInputReader reader(input);
  std::vector<TextInput> inputs;
  size_t texts = 0, truncated = 0;
  StdoutBuffer output;
  std::string& out = output.text;
  while (reader.next_chunk(inputs, kChunkLines, kChunkBytes)) {
    check_room_for_pairs(max_length, tokenizer, reader, inputs);
    EncodeStats stats;
    std::vector<Encoding> encodings =
        encode_inputs(tokenizer, inputs, max_length, strategy, &stats,
                      [&](size_t i) { return cat(input.string(), ":", reader.first_line() + i); });
    texts += inputs.size();
    truncated += stats.truncated;
    std::vector<float> probs =
        predict_probabilities(ex, model.config, params, encodings, InferenceOptions{batch_size});
    for (size_t i = 0; i < inputs.size(); ++i) {
      const float* p = probs.data() + i * K;
      int best = static_cast<int>(std::max_element(p, p + K) - p);
      if (json) {
        out += "{\"label\": ";
        append_json_string(out, labels[best]);
        out += ", \"probs\": [";
        for (int k = 0; k < K; ++k) {
          if (k) out += ", ";
          append_float(out, p[k]);
        }
        out += "]}\n";
      } else {
        char confidence[16];
        std::snprintf(confidence, sizeof confidence, "%.3f", p[best]);
        out += labels[best] + std::string(label_width - labels[best].size() + 2, ' ') + confidence +
               "  " + one_line(inputs[i].text);
        // A pair shows both texts, separated by a tab (easy to split with cut or awk).
        if (inputs[i].text_pair) {
          out += '\t';
          out += one_line(*inputs[i].text_pair);
        }
        out += '\n';
      }
      output.maybe_flush();
    }
  }
  output.finish();
  if (truncated > 0)
    log_notice(cat(truncated, " of ", texts, " texts were truncated to ", max_length, " tokens"));
  return 0;
}

}  // namespace

const Command& predict_command() {
  static const Command command{
      "predict", "classify each input line with a model",
      "Runs the classifier of --model on each line of --input (eval mode, batched with dynamic\n"
      "padding) and prints the predicted label, its probability and the text; --json prints the\n"
      "probabilities of every label instead. A .jsonl input holds {\"text\": A} or\n"
      "{\"text\": A, \"text_pair\": B} per line; pairs get the model's pair template.",
      &kOptions, run_predict};
  return command;
}

}  // namespace finetune::cli
