// Predict throughput of finetune, the C++ side of the predict benchmark (the PyTorch peer is
// bench/predict_torch.py; bench/run_cpu_bench.py runs both and writes the table).
//
// Same work as the peer: every line of --input is one text, tokenized with the model's
// tokenizer, run through the classifier in batches of --batch-size with dynamic padding, then
// softmax. One untimed warm-up batch first. Tokenization and model time are measured separately;
// `seconds` is their sum. --order file batches consecutive lines (as the peer does); --order
// sorted batches by length, as `finetune predict` does. Prints one JSON line.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/timer.h"
#include "data/encode.h"
#include "data/text_lines.h"
#include "kernels/cpu/threads.h"
#include "model/inference.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

using namespace finetune;

int main(int argc, char** argv) {
  std::string model_dir, input, order = "file";
  int batch_size = 32, threads = 1;
  size_t max_length = 0, limit = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--model") model_dir = value;
    else if (flag == "--input") input = value;
    else if (flag == "--batch-size") batch_size = std::atoi(value.c_str());
    else if (flag == "--threads") threads = std::atoi(value.c_str());
    else if (flag == "--max-length") max_length = std::strtoul(value.c_str(), nullptr, 10);
    else if (flag == "--limit") limit = std::strtoul(value.c_str(), nullptr, 10);
    else if (flag == "--order") order = value;
    else {
      std::fprintf(stderr, "bench_predict: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (model_dir.empty() || input.empty()) {
    std::fprintf(stderr, "usage: bench_predict --model DIR --input FILE [--batch-size N] [--threads N] "
                         "[--max-length N] [--limit N] [--order file|sorted]\n");
    return 2;
  }
  try {
    kernels::cpu::set_num_threads(threads);
    Model model = load_model(model_dir);
    Tokenizer tokenizer = Tokenizer::from_directory(model_dir);
    if (max_length == 0) max_length = static_cast<size_t>(model.config.P);
    std::vector<std::string> lines = read_text_lines(input);
    if (limit > 0 && lines.size() > limit) lines.resize(limit);

    InferenceOptions options{batch_size, order == "sorted"};
    // Warm-up: one batch (first use of BLAS buffers, page faults on the weights).
    {
      std::vector<std::string> head(lines.begin(), lines.begin() + std::min<size_t>(lines.size(), batch_size));
      predict_probabilities(Exec::cpu(), model.config, model.params(), encode_texts(tokenizer, head, max_length), options);
    }
    Timer timer;
    std::vector<Encoding> encodings = encode_texts(tokenizer, lines, max_length);
    double tokenize_seconds = timer.seconds();
    timer.restart();
    std::vector<float> probs = predict_probabilities(Exec::cpu(), model.config, model.params(), encodings, options);
    double model_seconds = timer.seconds();
    double total = tokenize_seconds + model_seconds;
    std::printf(
        "{\"impl\": \"finetune\", \"order\": \"%s\", \"threads\": %d, \"batch_size\": %d, \"lines\": %zu, "
        "\"seconds\": %.4f, \"lines_per_s\": %.1f, \"tokenize_seconds\": %.4f, \"model_seconds\": %.4f, "
        "\"model\": \"%s\"}\n",
        order.c_str(), threads, batch_size, lines.size(), total, lines.size() / total, tokenize_seconds,
        model_seconds, model_dir.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_predict: %s\n", e.what());
    return 1;
  }
  return 0;
}
