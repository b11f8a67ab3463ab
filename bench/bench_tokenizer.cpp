// Tokenizer throughput: encode every line of a text file, single thread, best of N passes.
//
// The peer is bench/tokenizer_hf.py (Hugging Face `tokenizers`, one thread), run on the same
// file: compare lines/s and MB/s measured on the same machine. Input lines are `text;label`
// (the emotion files) or plain text: with --label-separator ';' (the default) the part after the
// last ';' is dropped, as the dataset readers do. Prints one JSON line per measurement.
//
//   bench_tokenizer [--model DIR] [--input FILE] [--repeat N] [--max-length N]
//                   [--label-separator C|none]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.h"
#include "data/text_lines.h"
#include "tokenizer/tokenizer.h"

namespace {

struct Options {
  std::string model = "../shared/models/bert-base-uncased";
  std::string input = "../shared/data/emotion/train.txt";
  int repeat = 10;
  size_t max_length = 0;
  std::string label_separator = ";";
};

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw finetune::Error(flag + " needs a value");
      return argv[++i];
    };
    auto number = [&]() -> long {
      std::string text = value();
      char* end = nullptr;
      long n = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || n < 0) {
        throw finetune::Error(
            finetune::cat(flag, " needs a non-negative integer, got '", text, "'"));
      }
      return n;
    };
    if (flag == "--model") {
      options.model = value();
    } else if (flag == "--input") {
      options.input = value();
    } else if (flag == "--repeat") {
      options.repeat = static_cast<int>(std::max(1L, number()));
    } else if (flag == "--max-length") {
      options.max_length = static_cast<size_t>(number());
    } else if (flag == "--label-separator") {
      options.label_separator = value();
    } else {
      throw finetune::Error("unknown flag " + flag +
                            " (flags: --model --input --repeat --max-length --label-separator)");
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) try {
  Options options = parse(argc, argv);
  auto start_load = std::chrono::steady_clock::now();
  auto tokenizer = finetune::Tokenizer::from_directory(options.model);
  double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_load).count();

  std::vector<std::string> texts = finetune::read_text_lines(options.input);
  if (options.label_separator != "none" && !options.label_separator.empty()) {
    for (std::string& text : texts) {
      size_t cut = text.rfind(options.label_separator);
      if (cut != std::string::npos) text.resize(cut);
    }
  }
  size_t bytes = 0;
  for (const auto& text : texts) bytes += text.size();

  double best = 1e30;
  size_t tokens = 0;
  for (int pass = 0; pass < options.repeat; ++pass) {
    size_t pass_tokens = 0;
    auto start = std::chrono::steady_clock::now();
    for (const auto& text : texts)
      pass_tokens += tokenizer.encode(text, options.max_length).ids.size();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, seconds);
    tokens = pass_tokens;
  }
  std::printf(
      "{\"bench\": \"tokenizer\", \"impl\": \"finetune\", \"mode\": \"encode\", \"threads\": 1, "
      "\"lines\": %zu, \"bytes\": %zu, \"tokens\": %zu, \"repeat\": %d, \"best_s\": %.6f, "
      "\"lines_per_s\": %.0f, \"mb_per_s\": %.2f, \"load_s\": %.4f}\n",
      texts.size(), bytes, tokens, options.repeat, best, texts.size() / best, bytes / best / 1e6,
      load_s);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_tokenizer: %s\n", e.what());
  return 1;
}
