// Where tests find their inputs: the repository (fixtures committed under tests/), the shared
// read-only data beside it (../shared: emotion splits, tokenizer files), the packaged real model
// fetched by scripts/fetch-model.sh, and the `finetune` executable for CLI tests.
#pragma once

#include <filesystem>
#include <string>

namespace finetune::testing {

std::filesystem::path repo_root();
std::filesystem::path shared_dir();     // <repo>/../shared
std::filesystem::path fixtures_dir();   // <repo>/tests/fixtures
std::filesystem::path test_data_dir();  // <repo>/tests/data
// The packaged all-MiniLM-L6-v2 directory ($FINETUNE_MINILM_DIR, else
// <repo>/models/all-MiniLM-L6-v2).
std::filesystem::path minilm_dir();
std::filesystem::path finetune_binary();

// A fresh empty directory under the system temp dir, removed by the caller (or left for
// inspection when a test fails).
std::filesystem::path make_temp_dir(const std::string& label);

// Runs a shell command, capturing stdout and stderr separately.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult run_command(const std::string& command);

// A path in single quotes for the shell (test paths never contain a single quote).
std::string shell_quote(const std::filesystem::path& path);
// Runs the `finetune` executable with `args` (quote paths with shell_quote).
CommandResult run_finetune(const std::string& args);

}  // namespace finetune::testing
