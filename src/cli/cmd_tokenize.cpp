// `finetune tokenize`: what the model would see for each input line, as JSON lines
// {"input_ids": [...], "attention_mask": [...]} — the same ids HF `tokenizers` produces.
#include <cstdio>

#include "cli/commands.h"
#include "cli/common.h"
#include "data/encode.h"
#include "data/text_lines.h"

namespace finetune::cli {
namespace {

// Lines encoded per chunk of input (in parallel), and the most text one chunk holds.
constexpr size_t kChunkLines = 8192;
constexpr size_t kChunkBytes = size_t{32} << 20;

const std::vector<OptionSpec> kOptions = {
    {"--model", "DIR|HUB_ID", "model directory with tokenizer.json or vocab.txt, or a hub model", "", true},
    revision_option(),
    {"--input", "FILE", "UTF-8 text, one example per line", "", true},
    {"--max-length", "N", "truncate to N tokens, special tokens included (0: no truncation)", "0"},
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
  std::filesystem::path input = options.get_string("--input");
  require_file(input, "--input");
  Tokenizer tokenizer = Tokenizer::from_directory(model_directory(options, /*weights=*/false));
  if (max_length > 0 && max_length < tokenizer.num_special_tokens() + 1) {
    throw UsageError(cat("--max-length ", max_length, " leaves no room for text after the ",
                         tokenizer.num_special_tokens(), " special tokens"));
  }
  // Streamed in chunks (as predict does), so memory stays bounded however large the input is.
  TextLineReader reader(input);
  std::vector<std::string> lines;
  StdoutBuffer output;
  std::string& out = output.text;
  while (reader.next_chunk(lines, kChunkLines, kChunkBytes)) {
    const size_t first_line = reader.line_number() - lines.size() + 1;
    std::vector<Encoding> encodings = encode_texts(tokenizer, lines, max_length, nullptr, [&](size_t i) {
      return cat(input.string(), ":", first_line + i);
    });
    for (const Encoding& e : encodings) {
      out += "{\"input_ids\": ";
      append_ids(out, e.ids);
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
      "line: {\"input_ids\": [...], \"attention_mask\": [...]}. Ids equal Hugging Face tokenizers'.",
      &kOptions, run_tokenize};
  return command;
}

}  // namespace finetune::cli
