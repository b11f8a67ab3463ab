// Resources and hostile files through the real binary (docs/robustness.md): 10 MB lines in
// predict input and in every text dataset format, a line over the 16 MiB limit, predict on a
// large input with bounded peak memory, and checkpoint tensor names that look like paths.
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <fstream>

#include "core/timer.h"
#include "io/safetensors.h"
#include "safetensors_test_util.h"
#include "test_paths.h"

extern char** environ;

namespace finetune {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;

// Runs a shell command and returns its peak resident memory in MB (wait4's ru_maxrss), or -1.
double peak_rss_mb(const std::string& command, int* exit_code) {
  pid_t pid = 0;
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0)
    return -1;
  int status = 0;
  struct rusage usage {};
  if (wait4(pid, &status, 0, &usage) != pid) return -1;
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

class HostileCliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("hostile-cli"); }
  void TearDown() override {
    if (!::testing::Test::HasFailure()) fs::remove_all(dir_);
  }
  fs::path dir_;
  const fs::path model_ = testing::fixtures_dir() / "tiny-bert";
};

// "i feel " repeated to `bytes` bytes: a 10 MB text of ordinary words.
std::string long_text(size_t bytes) {
  std::string text;
  text.reserve(bytes + 8);
  while (text.size() < bytes) text += "i feel ";
  text.resize(bytes);
  return text;
}

TEST_F(HostileCliTest, TenMegabyteLinesAreTruncatedLikeAnyLongText) {
  const std::string big = long_text(10u << 20);
  {
    std::ofstream(dir_ / "in.txt") << "short\n" << big << "\nlast\n";
    std::ofstream(dir_ / "train.txt") << "i feel fine;joy\n"
                                      << big << ";sadness\ni am sad;sadness\n";
    std::ofstream(dir_ / "train.csv")
        << "text,label\ni feel fine,joy\n\"" << big << "\",sadness\ni am sad,sadness\n";
    std::ofstream(dir_ / "train.jsonl")
        << "{\"text\": \"i feel fine\", \"label\": \"joy\"}\n{\"text\": \"" << big
        << "\", \"label\": \"sadness\"}\n{\"text\": \"i am sad\", \"label\": \"sadness\"}\n";
  }
  Timer timer;
  CommandResult predict =
      testing::run_finetune("predict --model " + testing::shell_quote(model_) + " --input " +
                            testing::shell_quote(dir_ / "in.txt"));
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  EXPECT_EQ(std::count(predict.out.begin(), predict.out.end(), '\n'), 3)
      << predict.out.substr(0, 500);
  EXPECT_NE(predict.err.find("1 of 3 texts were truncated"), std::string::npos) << predict.err;
  std::printf("predict with a 10 MB line: %.2f s\n", timer.seconds());
  for (const char* name : {"train.txt", "train.csv", "train.jsonl"}) {
    Timer t;
    CommandResult train =
        testing::run_finetune("train --model " + testing::shell_quote(model_) + " --train " +
                              testing::shell_quote(dir_ / name) + " --epochs 1 --max-length 16");
    EXPECT_EQ(train.exit_code, 0) << name << "\n" << train.err;
    std::printf("train on %s with a 10 MB example: %.2f s\n", name, t.seconds());
  }
}

TEST_F(HostileCliTest, ALineOverTheStreamingLimitIsRefusedWithItsLineNumber) {
  // predict and tokenize stream their input and refuse a line over 16 MiB (text_lines.h); a
  // dataset is held in memory whole anyway, so its long example is truncated like any other.
  const std::string huge = long_text((16u << 20) + 100);
  {
    std::ofstream(dir_ / "in.txt") << "short\n" << huge << "\n";
    std::ofstream(dir_ / "train.txt") << "i feel fine;joy\n" << huge << ";sadness\n";
  }
  CommandResult predict =
      testing::run_finetune("predict --model " + testing::shell_quote(model_) + " --input " +
                            testing::shell_quote(dir_ / "in.txt"));
  EXPECT_EQ(predict.exit_code, 1) << predict.err;
  EXPECT_NE(predict.err.find("in.txt:2: line longer than"), std::string::npos) << predict.err;
  CommandResult tokenize =
      testing::run_finetune("tokenize --model " + testing::shell_quote(model_) + " --input " +
                            testing::shell_quote(dir_ / "in.txt"));
  EXPECT_EQ(tokenize.exit_code, 1) << tokenize.err;
  EXPECT_NE(tokenize.err.find("in.txt:2: line longer than"), std::string::npos) << tokenize.err;
  CommandResult train =
      testing::run_finetune("train --model " + testing::shell_quote(model_) + " --train " +
                            testing::shell_quote(dir_ / "train.txt") + " --epochs 1");
  EXPECT_EQ(train.exit_code, 0) << train.err;
  EXPECT_NE(train.err.find("1 of 2 texts were truncated"), std::string::npos) << train.err;
}

TEST_F(HostileCliTest, PredictStreamsALargeInputInBoundedMemory) {
  // The same short lines, 10x more of them (5 vs 49 chunks of 8192 lines): peak memory must not
  // grow with the input. (One thread: on a busy 2-core machine OpenMP's spinning makes this tiny
  // model 20x slower.)
  auto write_input = [&](const fs::path& path, size_t lines) {
    std::ofstream out(path);
    for (size_t i = 0; i < lines; ++i)
      out << "i feel " << (i % 7 ? "happy" : "sad and lonely today") << " " << i % 1000 << "\n";
  };
  write_input(dir_ / "small.txt", 40000);
  write_input(dir_ / "large.txt", 400000);
  int small_exit = -1, large_exit = -1;
  Timer timer;
  const std::string predict =
      testing::shell_quote(testing::finetune_binary()) +
      " predict --json --threads 1 --batch-size 256 --max-length 8 --model " +
      testing::shell_quote(model_) + " --input ";
  const double small = peak_rss_mb(
      predict + testing::shell_quote(dir_ / "small.txt") + " > /dev/null 2>&1", &small_exit);
  const double large = peak_rss_mb(predict + testing::shell_quote(dir_ / "large.txt") + " > " +
                                       testing::shell_quote(dir_ / "out.jsonl") + " 2>/dev/null",
                                   &large_exit);
  ASSERT_EQ(small_exit, 0);
  ASSERT_EQ(large_exit, 0);
  std::printf("predict peak RSS: %.1f MB for %.1f MB of input, %.1f MB for %.1f MB (%.1f s)\n",
              small, fs::file_size(dir_ / "small.txt") / 1e6, large,
              fs::file_size(dir_ / "large.txt") / 1e6, timer.seconds());
  EXPECT_LT(large, small + 16) << "peak memory grows with the input";
  // Every line got its answer.
  std::ifstream out(dir_ / "out.jsonl");
  size_t lines = 0;
  for (std::string line; std::getline(out, line);) ++lines;
  EXPECT_EQ(lines, 400000u);
}

TEST_F(HostileCliTest, CheckpointTensorNamesThatLookLikePathsAreReportedAsUnused) {
  const fs::path model = dir_ / "model";
  fs::copy(model_, model);
  {
    SafetensorsFile st(model / "model.safetensors");
    std::vector<std::vector<float>> data = testing::read_all_f32(st);
    std::vector<StTensorToWrite> tensors;
    size_t i = 0;
    for (const auto& info : st.tensors())
      tensors.push_back({info.name, StDType::F32, info.shape, data[i++].data()});
    std::vector<float> extra = {1, 2, 3};
    for (const char* name : {"../../escape.weight", "/tmp/absolute.weight", "bert/../../x"})
      tensors.push_back({name, StDType::F32, {3}, extra.data()});
    fs::remove(model / "model.safetensors");
    write_safetensors(model / "model.safetensors", tensors, {{"format", "pt"}});
  }
  std::ofstream(dir_ / "in.txt") << "hello\n";
  CommandResult r = testing::run_finetune("predict --model " + testing::shell_quote(model) +
                                          " --input " + testing::shell_quote(dir_ / "in.txt"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("../../escape.weight"), std::string::npos) << "unused tensors are named:\n"
                                                                  << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "escape.weight"));
  EXPECT_FALSE(fs::exists("/tmp/absolute.weight"));
}

}  // namespace
}  // namespace finetune
