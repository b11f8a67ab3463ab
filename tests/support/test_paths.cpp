// Implementation of the test path helpers and a small command runner for CLI tests.
#include "test_paths.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace finetune::testing {

std::filesystem::path repo_root() {
  return FINETUNE_SOURCE_DIR;
}
std::filesystem::path shared_dir() {
  return repo_root() / ".." / "shared";
}
std::filesystem::path fixtures_dir() {
  return repo_root() / "tests" / "fixtures";
}
std::filesystem::path test_data_dir() {
  return repo_root() / "tests" / "data";
}

std::filesystem::path minilm_dir() {
  if (const char* env = std::getenv("FINETUNE_MINILM_DIR")) return env;
  return repo_root() / "models" / "all-MiniLM-L6-v2";
}

std::filesystem::path finetune_binary() {
  return FINETUNE_BINARY;
}

std::filesystem::path make_temp_dir(const std::string& label) {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::temp_directory_path() /
             ("finetune-test-" + label + "-" + std::to_string(::getpid()) + "-" +
              std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

namespace {
std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}
}  // namespace

CommandResult run_command(const std::string& command) {
  auto dir = make_temp_dir("cmd");
  auto out_path = dir / "stdout", err_path = dir / "stderr";
  std::string full = "(" + command + ") >'" + out_path.string() + "' 2>'" + err_path.string() + "'";
  int status = std::system(full.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  std::filesystem::remove_all(dir);
  return result;
}

std::string shell_quote(const std::filesystem::path& path) {
  std::string text = "'";  // built in steps: GCC 12 warns (-Wrestrict, falsely) on "'" + s + "'"
  text += path.string();
  text += "'";
  return text;
}

CommandResult run_finetune(const std::string& args) {
  return run_command(shell_quote(finetune_binary()) + " " + args);
}

}  // namespace finetune::testing
