// Pieces every subcommand shares: the --device and --threads options, loading a model
// directory's tokenizer with its consistency checks, and compact JSON number formatting.
#pragma once

#include <filesystem>
#include <string>

#include "cli/options.h"
#include "core/exec.h"
#include "hub/client.h"
#include "model/config.h"
#include "tokenizer/tokenizer.h"

namespace finetune::cli {

// Option declarations shared by several commands (so they read the same everywhere).
OptionSpec device_option();
OptionSpec threads_option();

// --revision: the branch, tag or commit of a hub --model.
OptionSpec revision_option();

// The model directory --model names: a local directory as given, or, for a hub id ("org/name",
// "name") that is no local path, the snapshot of that model in the Hugging Face hub cache,
// downloaded when missing (--revision, HF_ENDPOINT, HF_HUB_CACHE, HF_HUB_OFFLINE, HF_TOKEN).
// `weights` false fetches only config and tokenizer files.
std::filesystem::path model_directory(const ParsedOptions& options, bool weights = true);

// The hub client of this command, configured from the environment on first use and shared by
// every flag that names a hub repository (so a repository named twice is resolved once).
HubClient& hub_client();

// Applies --threads (0 = one per core) to OpenMP and BLAS.
void apply_threads(const ParsedOptions& options);

// The device a command computes on, from --device ("cpu", "cuda" or "cuda:N") and, where the
// command declares it, --precision ("fp32" or "bf16"); owns the CUDA context for the command's
// lifetime.
class DeviceSession {
 public:
  // `default_gpu`: the device "--device cuda" means (a data-parallel process passes the one its
  // local rank maps to); "cuda:N" always wins.
  explicit DeviceSession(const ParsedOptions& options, int default_gpu = 0);
  ~DeviceSession();
  DeviceSession(const DeviceSession&) = delete;
  DeviceSession& operator=(const DeviceSession&) = delete;

  const Exec& exec() const { return ex_; }
  bool on_gpu() const { return ex_.device == Device::CUDA; }

 private:
  Exec ex_;
};

// Loads the tokenizer of a model directory and checks it fits the model's vocabulary.
Tokenizer load_model_tokenizer(const std::filesystem::path& directory, const ModelConfig& config);

// Checks an --input/--data file exists before heavier work starts.
void require_file(const std::filesystem::path& path, const std::string& flag);

// Output for stdout built in memory and written in large chunks: `maybe_flush` after each record
// writes once a megabyte has gathered, `finish` writes the rest and checks that stdout took it.
class StdoutBuffer {
 public:
  std::string text;
  void maybe_flush();
  void finish();
};

// Appends the shortest decimal text that reads back as the same float (JSON-safe).
void append_float(std::string& out, float value);

// Appends a JSON string literal (quotes and escapes included).
void append_json_string(std::string& out, const std::string& text);

}  // namespace finetune::cli
