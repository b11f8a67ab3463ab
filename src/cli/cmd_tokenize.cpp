// `finetune tokenize`: what the model would see for each input line, as JSON lines
// {"input_ids": [...], "token_type_ids": [...], "attention_mask": [...]} — the same ids HF
// `tokenizers` produces. Keys come in the order transformers returns them, and
// "token_type_ids" only for tokenizers whose model_input_names hold it (BERT and DistilBERT
// do, RoBERTa does not), as `transformers.AutoTokenizer` of the same directory returns them.
// Input lines are single texts, or, in a .jsonl file, texts and text pairs (data/text_inputs.h).
#include <cstdio>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/input_options.h"
#include "data/encode.h"
#include "data/text_inputs.h"

namespace finetune::cli {
namespace {

// Lines encoded per chunk of input (in parallel), and the most text one chunk holds.
constexpr size_t kChunkLines = 8192;
constexpr size_t kChunkBytes = size_t{32} << 20;

const std::vector<OptionSpec> kOptions = {
    {"--model", "DIR|HUB_ID", "model directory with tokenizer.json or vocab.txt, or a hub model",
     "", true},
    revision_option(),
    input_option(),
    {"--max-length", "N", "truncate to N tokens, special tokens included (0: no truncation)", "0"},
    truncation_option(),
    threads_option(),
};

void append_ids(std::string& out, const std::vector<int32_t>& ids) {
  out += '[';
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(ids[i]);
  }
  out += ']';
}

int run_tokenize(const ParsedOptions& options) {
  apply_threads(options);
  size_t max_length = static_cast<size_t>(options.get_int("--max-length", 0));
  const TruncationStrategy strategy = truncation_strategy(options);
  std::filesystem::path input = options.get_string("--input");
  require_file(input, "--input");
  Tokenizer tokenizer = Tokenizer::from_directory(model_directory(options, /*weights=*/false));
  check_room_for_text(max_length, tokenizer);
  const bool type_ids = tokenizer.returns_token_type_ids();
  // Streamed in chunks (as predict does), so memory stays bounded however large the input is.
  TextInputReader reader(input);
  std::vector<TextInput> inputs;
  StdoutBuffer output;
  std::string& out = output.text;
  while (reader.next_chunk(inputs, kChunkLines, kChunkBytes)) {
    check_room_for_pairs(max_length, tokenizer, reader, inputs);
    std::vector<Encoding> encodings =
        encode_inputs(tokenizer, inputs, max_length, strategy, nullptr,
                      [&](size_t i) { return cat(input.string(), ":", reader.first_line() + i); });
    for (const Encoding& e : encodings) {
      out += "{\"input_ids\": ";
      append_ids(out, e.ids);
      if (type_ids) {
        out += ", \"token_type_ids\": ";
        append_ids(out, e.type_ids);
      }
      out += ", \"attention_mask\": ";
      append_ids(out, e.attention_mask);
      out += "}\n";
      output.maybe_flush();
    }
  }
  output.finish();
  return 0;
}

}  // namespace

const Command& tokenize_command() {
  static const Command command{
      "tokenize", "show the token ids of each input line (JSON lines)",
      "Tokenizes each line of --input with the model's tokenizer and prints one JSON object per\n"
      "line: {\"input_ids\": [...], \"token_type_ids\": [...], \"attention_mask\": [...]}, with\n"
      "token_type_ids only for tokenizers that return them (transformers' model_input_names).\n"
      "A .jsonl input holds {\"text\": A} or {\"text\": A, \"text_pair\": B} per line; pairs get\n"
      "the model's pair template. Ids equal Hugging Face tokenizers'.",
      &kOptions, run_tokenize};
  return command;
}

}  // namespace finetune::cli
