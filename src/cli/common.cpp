// Shared command-line helpers.
#include "cli/common.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "kernels/cpu/threads.h"

namespace finetune::cli {

OptionSpec device_option() {
  return {"--device", "cpu|cuda[:N]", "where to compute", "cpu"};
}

OptionSpec threads_option() {
  return {"--threads", "N", "CPU threads for compute (0: one per core)", "0"};
}

void apply_threads(const ParsedOptions& options) {
  kernels::cpu::set_num_threads(static_cast<int>(options.get_int("--threads", 0)));
}

Exec resolve_device(const ParsedOptions& options) {
  std::string device = options.get_string("--device");
  if (device == "cpu") return Exec::cpu();
  if (device == "cuda" || device.rfind("cuda:", 0) == 0) {
    throw Error("--device " + device + ": this build of finetune has no CUDA support; use --device cpu");
  }
  throw UsageError("--device: expected cpu, cuda or cuda:N, got '" + device + "'");
}

Tokenizer load_model_tokenizer(const std::filesystem::path& directory, const ModelConfig& config) {
  Tokenizer tokenizer = Tokenizer::from_directory(directory);
  if (tokenizer.vocab_size() > static_cast<size_t>(config.V)) {
    throw Error(cat(directory.string(), ": the tokenizer has ", tokenizer.vocab_size(),
                    " tokens but config.json's vocab_size is ", config.V,
                    ": the tokenizer files do not belong to this model"));
  }
  return tokenizer;
}

void require_file(const std::filesystem::path& path, const std::string& flag) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw Error(cat(flag, " ", path.string(), ": no such file"));
  if (std::filesystem::is_directory(path, ec)) {
    throw Error(cat(flag, " ", path.string(), ": is a directory, expected a file"));
  }
}

void StdoutBuffer::maybe_flush() {
  if (text.size() < (1u << 20)) return;
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) {
    throw Error("cannot write to standard output");
  }
  text.clear();
}

void StdoutBuffer::finish() {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    throw Error("cannot write to standard output");
  }
  text.clear();
}

void append_float(std::string& out, float value) {
  if (!std::isfinite(value)) {  // JSON has no NaN/Infinity; null is the honest spelling
    out += "null";
    return;
  }
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void append_json_string(std::string& out, const std::string& text) {
  out += '"';
  for (unsigned char ch : text) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (ch < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", ch);
          out += escape;
        } else {
          out += static_cast<char>(ch);
        }
    }
  }
  out += '"';
}

}  // namespace finetune::cli
