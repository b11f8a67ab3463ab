// Shared command-line helpers.
#include "cli/common.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "hub/client.h"
#include "hub/model.h"
#include "kernels/cpu/threads.h"
#include "kernels/device.h"

namespace finetune::cli {

OptionSpec device_option() {
  return {"--device", "cpu|cuda[:N]", "where to compute", "cpu"};
}

// More threads than this is a mistake (OpenMP would try to start them all).
constexpr long long kMaxThreads = 1024;

OptionSpec threads_option() {
  return {"--threads", "N", "CPU threads for compute (0: one per core)", "0"};
}

OptionSpec revision_option() {
  return {"--revision", "REV", "branch, tag or commit of a hub --model", "main"};
}

HubClient& hub_client() {
  static HubClient client(HubSettings::from_environment());
  return client;
}

std::filesystem::path model_directory(const ParsedOptions& options, bool weights) {
  const std::string argument = options.get_string("--model");
  if (!refers_to_hub(argument)) {
    if (options.has("--revision")) {
      throw UsageError(cat("--revision selects a version of a hub model, but --model ", argument, " is a local path"));
    }
    return argument;
  }
  try {
    return fetch_hub_model(hub_client(), argument, options.get_string("--revision"), weights).directory;
  } catch (const Error& e) {
    throw Error(cat("--model ", argument, ": no such local directory; as a Hugging Face hub model: ", e.what()));
  }
}

void apply_threads(const ParsedOptions& options) {
  kernels::cpu::set_num_threads(static_cast<int>(options.get_int("--threads", 0, kMaxThreads)));
}

DeviceSession::DeviceSession(const ParsedOptions& options, int default_gpu) {
  const std::string device = options.get_string("--device");
  // --precision: fp32 or bf16; by default bf16 on the GPU (it reaches fp32's accuracy on the
  // reference job, bench/gpu_check/README.md) and fp32 on the CPU (which has no bf16 path).
  std::string precision;
  for (const auto& spec : options.specs()) {
    if (spec.name == "--precision") precision = options.get("--precision").value_or("");
  }
  if (!precision.empty() && precision != "fp32" && precision != "bf16") {
    throw UsageError("--precision: expected fp32 or bf16, got '" + precision + "'");
  }
  if (device == "cpu") {
    if (precision == "bf16") throw UsageError("--precision bf16 needs --device cuda; the CPU computes in fp32");
    return;
  }
  if (precision.empty()) precision = "bf16";
  if (device != "cuda" && device.rfind("cuda:", 0) != 0) {
    throw UsageError("--device: expected cpu, cuda or cuda:N, got '" + device + "'");
  }
  if (!kernels::cuda::built_with_cuda()) {
    throw Error("--device " + device + ": this build of finetune has no CUDA support (built without CUDA); "
                "use --device cpu or rebuild with nvcc available");
  }
  int index = default_gpu;
  if (device.size() > 5) {
    const std::string number = device.substr(5);
    if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos || number.size() > 4) {
      throw UsageError("--device: expected cuda:N with N a device number, got '" + device + "'");
    }
    index = std::stoi(number);
  }
  const int count = kernels::cuda::device_count();
  if (index >= count) {
    throw Error(cat("--device ", device, ": ", count == 0 ? std::string("no CUDA device is available")
                                                          : cat("only ", count, " CUDA device(s) are available")));
  }
  ex_.device = Device::CUDA;
  ex_.cuda = kernels::cuda::create_context(index);
  ex_.precision = precision == "bf16" ? Precision::Bf16 : Precision::Fp32;
}

DeviceSession::~DeviceSession() {
  if (ex_.cuda == nullptr) return;
  try {  // a context broken by an error being reported must not end the process first
    kernels::cuda::destroy_context(ex_.cuda);
  } catch (const std::exception&) {
  }
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
