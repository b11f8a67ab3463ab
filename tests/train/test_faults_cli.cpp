// Faults during `finetune train`, end to end with the real binary (docs/robustness.md): SIGTERM
// behaves like Ctrl-C; `kill -9` at random moments while checkpoints are being written never
// leaves a half-written or unloadable --output; a non-finite gradient stops the run naming the
// step and the parameter and keeps the previous checkpoint; a full disk is one clear error that
// leaves the previous checkpoint intact; absurd sizes and numbers are usage errors.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <random>
#include <set>

#include "core/timer.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "kernels/device.h"
#include "safetensors_test_util.h"
#include "test_paths.h"

namespace finetune {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every file of a directory with its bytes (to show that a checkpoint did not change at all).
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(dir))
    files[entry.path().filename().string()] = read_bytes(entry.path());
  return files;
}

// What a complete training output holds; anything else under --output (a temporary file, a
// missing piece) is a half-written checkpoint.
const std::set<std::string> kCheckpointFiles = {
    "config.json",        "model.safetensors",          "tokenizer.json", "tokenizer_config.json",
    "trainer_state.json", "training_state.safetensors", "vocab.txt"};

// Checks that `dir` is one complete, loadable checkpoint and returns its global step.
int64_t check_complete_checkpoint(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    names.insert(entry.path().filename().string());
  EXPECT_EQ(names, kCheckpointFiles) << dir;
  Json state = parse_json_file(dir / "trainer_state.json");
  SafetensorsFile weights(dir / "model.safetensors");
  int64_t parameters = 0;
  for (const auto& info : weights.tensors()) {
    std::vector<float> values(static_cast<size_t>(info.numel()));
    weights.read_as_f32(info, values.data(), info.numel());
    parameters += info.numel();
  }
  SafetensorsFile training(dir / "training_state.safetensors");
  const StTensorInfo* exp_avg = training.find("exp_avg");
  EXPECT_NE(exp_avg, nullptr);
  if (exp_avg != nullptr) {
    EXPECT_EQ(exp_avg->numel(), parameters);
  }
  Json config = parse_json_file(dir / "config.json");
  EXPECT_TRUE(config.contains("id2label"));
  return state["global_step"].get<int64_t>();
}

class FaultsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir("faults-cli");
    std::ofstream(dir_ / "small.txt")
        << "i feel fine;joy\ni feel sad;sadness\ni am happy;joy\ni am down;sadness\n"
           "i love my school;joy\ni feel low;sadness\ni feel great;joy\ni cry;sadness\n";
  }
  void TearDown() override {
    if (!::testing::Test::HasFailure()) fs::remove_all(dir_);
  }

  void expect_usage_error(const std::string& args, const std::string& needle) {
    CommandResult r = testing::run_finetune(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos)
        << args << ": expected '" << needle << "' in:\n"
        << r.err;
    EXPECT_EQ(r.err.find("bad_alloc"), std::string::npos) << r.err;
  }

  std::string tiny_train(const fs::path& model, const fs::path& output) {
    return "train --model " + testing::shell_quote(model) + " --train " +
           testing::shell_quote(dir_ / "small.txt") + " --max-length 16 --output " +
           testing::shell_quote(output);
  }

  // tiny-bert with the word embedding of "school" (id 94) set to +inf.
  fs::path poisoned_model() {
    const fs::path poisoned = dir_ / "poisoned";
    fs::copy(testing::fixtures_dir() / "tiny-bert", poisoned);
    SafetensorsFile st(poisoned / "model.safetensors");
    std::vector<std::vector<float>> data = testing::read_all_f32(st);
    std::vector<StTensorToWrite> tensors;
    size_t i = 0;
    for (const auto& info : st.tensors()) {
      if (info.name == "bert.embeddings.word_embeddings.weight") {
        const int64_t C = info.shape[1], school = 94;  // line 95 of vocab.txt
        for (int64_t c = 0; c < C; ++c) data[i][school * C + c] = INFINITY;
      }
      tensors.push_back({info.name, StDType::F32, info.shape, data[i].data()});
      ++i;
    }
    fs::remove(poisoned / "model.safetensors");
    write_safetensors(poisoned / "model.safetensors", tensors, {{"format", "pt"}});
    return poisoned;
  }

  fs::path dir_;
};

TEST_F(FaultsCliTest, SigtermStopsAfterTheStepAndSavesAResumableState) {
  // As the Ctrl-C test: stopped as soon as the first epoch's checkpoint exists.
  std::string args =
      "train --model " + testing::shell_quote(testing::fixtures_dir() / "tiny-distilbert") +
      " --train " + testing::shell_quote(testing::shared_dir() / "data/emotion/train.txt") +
      " --limit 100 --epochs 20 --max-length 16 --output " + testing::shell_quote(dir_ / "out");
  std::string script = testing::shell_quote(testing::finetune_binary()) + " " + args +
                       " & pid=$!; while [ ! -f " +
                       testing::shell_quote(dir_ / "out/trainer_state.json") +
                       " ]; do sleep 0.02; done; kill -TERM $pid; wait $pid";
  CommandResult r = testing::run_command(script);
  ASSERT_EQ(r.exit_code, 130) << r.err;
  EXPECT_NE(r.err.find("interrupted (SIGTERM) after"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("continue with --resume"), std::string::npos) << r.err;
  const int64_t step = check_complete_checkpoint(dir_ / "out");
  EXPECT_GT(step, 0);
  EXPECT_FALSE(parse_json_file(dir_ / "out/trainer_state.json")["complete"].get<bool>());
  CommandResult resumed =
      testing::run_finetune(args + " --resume " + testing::shell_quote(dir_ / "out"));
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_TRUE(parse_json_file(dir_ / "out/trainer_state.json")["complete"].get<bool>());
}

TEST_F(FaultsCliTest, KillNineWhileCheckpointingNeverLeavesAHalfWrittenCheckpoint) {
  // One optimizer step per epoch and a checkpoint at every epoch's end: the process spends most
  // of its time writing checkpoints, so a kill at a random moment usually lands inside a write.
  // Each round resumes the previous round's output and is killed after a seeded random delay.
  const fs::path out = dir_ / "out";
  const std::string base = "train --model " +
                           testing::shell_quote(testing::fixtures_dir() / "tiny-bert") +
                           " --train " + testing::shell_quote(dir_ / "small.txt") +
                           " --batch-size 8 --epochs 1000000 --max-length 16 --no-shuffle "
                           "--output " +
                           testing::shell_quote(out);
  std::mt19937 rng(20261126);
  std::uniform_int_distribution<int> delay_ms(20, 400);
  Timer timer;
  int64_t last_step = 0;
  int rounds_with_checkpoint = 0, resumes = 0, killed_while_staging = 0;
  for (int round = 0; round < 25 && timer.seconds() < 40; ++round) {
    const bool resume = fs::exists(out / "trainer_state.json");
    resumes += resume;
    const std::string args = base + (resume ? " --resume " + testing::shell_quote(out) : "");
    const int delay = delay_ms(rng);
    CommandResult r =
        testing::run_command(testing::shell_quote(testing::finetune_binary()) + " " + args +
                             " >/dev/null 2>&1 & pid=$!; sleep " + std::to_string(delay / 1000.0) +
                             "; kill -9 $pid; wait $pid");
    EXPECT_EQ(r.exit_code, 137) << "round " << round << ": the run should have been killed\n"
                                << r.err;
    if (!fs::exists(out)) {
      ASSERT_EQ(last_step, 0) << "round " << round << ": a checkpoint existed and is gone";
      continue;
    }
    ++rounds_with_checkpoint;
    killed_while_staging += fs::exists(dir_ / ".out.staging");  // killed inside a checkpoint write
    SCOPED_TRACE(::testing::Message() << "round " << round << ", killed after " << delay << " ms");
    const int64_t step = check_complete_checkpoint(out);
    EXPECT_GE(step, last_step) << "the checkpoint went back in time";
    last_step = step;
    // Nothing half-written is visible under a final name beside it either (a leftover staging
    // directory is hidden and replaced by the next run).
    for (const auto& entry : fs::directory_iterator(dir_)) {
      const std::string name = entry.path().filename().string();
      EXPECT_TRUE(name == "out" || name == "small.txt" || name == ".out.staging" ||
                  name == "out.previous")
          << name;
    }
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_GE(rounds_with_checkpoint, 10) << "too few rounds got as far as a checkpoint";
  EXPECT_GT(resumes, 5);
  // The survivor is usable: it evaluates, and training resumes from it.
  CommandResult eval = testing::run_finetune("eval --model " + testing::shell_quote(out) +
                                             " --data " + testing::shell_quote(dir_ / "small.txt"));
  EXPECT_EQ(eval.exit_code, 0) << eval.err;
  CommandResult more =
      testing::run_finetune(base + " --resume " + testing::shell_quote(out) +
                            " --stop-after-steps " + std::to_string(last_step + 2));
  EXPECT_EQ(more.exit_code, 130) << more.err;
  EXPECT_EQ(check_complete_checkpoint(out), last_step + 2);
  std::printf(
      "kill -9 loop: %d rounds with a checkpoint, %d killed inside a checkpoint write, %d resumed, "
      "last step %lld, %.1f s\n",
      rounds_with_checkpoint, killed_while_staging, resumes, static_cast<long long>(last_step),
      timer.seconds());
}

TEST_F(FaultsCliTest, AKillBetweenTheFallbackRenamesIsRecoveredByTheNextRun) {
  // Where the filesystem cannot exchange two directories, a checkpoint is committed by moving
  // the old one to "<out>.previous" and the new one into place; a kill between the two leaves
  // only out.previous. The next run (resume, or a new run into the same --output) restores it.
  const fs::path out = dir_ / "out";
  const std::string args =
      tiny_train(testing::fixtures_dir() / "tiny-bert", out) + " --batch-size 2 --epochs 2";
  ASSERT_EQ(testing::run_finetune(args + " --stop-after-steps 2").exit_code, 130);
  fs::rename(out, dir_ / "out.previous");
  CommandResult resumed = testing::run_finetune(args + " --resume " + testing::shell_quote(out));
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_FALSE(fs::exists(dir_ / "out.previous"));
  EXPECT_EQ(check_complete_checkpoint(out), 8);

  fs::rename(out, dir_ / "out.previous");
  CommandResult fresh = testing::run_finetune(args);
  EXPECT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_FALSE(fs::exists(dir_ / "out.previous"));
}

TEST_F(FaultsCliTest, NonFiniteGradientStopsNamingStepAndParameterAndKeepsTheCheckpoint) {
  // A good run leaves a checkpoint in out/.
  const fs::path out = dir_ / "out";
  ASSERT_EQ(
      testing::run_finetune(tiny_train(testing::fixtures_dir() / "tiny-bert", out) + " --epochs 1")
          .exit_code,
      0);
  const auto before = snapshot(out);

  // A copy of the model whose embedding of "school" is infinite: the 5th example ("i love my
  // school") poisons step 3 (batches of 2 in file order); steps 1 and 2 are finite.
  const fs::path poisoned = poisoned_model();
  CommandResult r = testing::run_finetune(tiny_train(poisoned, out) +
                                          " --epochs 2 --batch-size 2 --no-shuffle --log " +
                                          testing::shell_quote(dir_ / "log.jsonl"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::printf("%s", r.err.c_str());
  EXPECT_NE(r.err.find("training diverged at step 3 (epoch 1)"), std::string::npos) << r.err;
  EXPECT_NE(
      r.err.find(
          "the first non-finite gradient is of bert.embeddings.word_embeddings.weight (element "),
      std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(out.string() + " keeps the last good checkpoint"), std::string::npos)
      << r.err;
  // Steps 1 and 2 were logged, step 3 never was.
  std::ifstream log(dir_ / "log.jsonl");
  int lines = 0;
  for (std::string line; std::getline(log, line);) ++lines;
  EXPECT_EQ(lines, 2);
  // The previous checkpoint is byte for byte what it was, and still evaluates.
  EXPECT_EQ(snapshot(out), before);
  EXPECT_EQ(testing::run_finetune("eval --model " + testing::shell_quote(out) + " --data " +
                                  testing::shell_quote(dir_ / "small.txt"))
                .exit_code,
            0);
}

TEST_F(FaultsCliTest, NonFiniteGradientOnTheGpu) {
  if (kernels::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const fs::path out = dir_ / "out";
  ASSERT_EQ(testing::run_finetune(tiny_train(testing::fixtures_dir() / "tiny-bert", out) +
                                  " --epochs 1 --device cuda")
                .exit_code,
            0);
  const auto before = snapshot(out);
  const fs::path poisoned = poisoned_model();
  const std::string args =
      tiny_train(poisoned, out) + " --epochs 2 --batch-size 2 --no-shuffle --device cuda";
  // With clipping the norm is read back every step and the gradient scanned when it is not
  // finite; without, the Adam kernel notes the first non-finite gradient as it reads them. Both
  // name the step and the same parameter and element (the first in the flat buffer's order).
  CommandResult clipped = testing::run_finetune(args + " --max-grad-norm 1.0");
  std::printf("%s", clipped.err.c_str());
  EXPECT_EQ(clipped.exit_code, 1) << clipped.err;
  EXPECT_NE(
      clipped.err.find("training diverged at step 3 (epoch 1): the first non-finite gradient is of "
                       "bert.embeddings.word_embeddings.weight"),
      std::string::npos)
      << clipped.err;
  CommandResult plain = testing::run_finetune(args);
  std::printf("%s", plain.err.c_str());
  EXPECT_EQ(plain.exit_code, 1) << plain.err;
  const std::string named =
      "training diverged at step 3 (epoch 1): the first non-finite gradient is of "
      "bert.embeddings.word_embeddings.weight (element ";
  const size_t at = plain.err.find(named);
  ASSERT_NE(at, std::string::npos) << plain.err;
  const size_t clipped_at = clipped.err.find(named);
  ASSERT_NE(clipped_at, std::string::npos) << clipped.err;
  const auto element = [&](const std::string& text, size_t from) {
    const size_t begin = from + named.size();
    return text.substr(begin, text.find(' ', begin) - begin);
  };
  EXPECT_EQ(element(plain.err, at), element(clipped.err, clipped_at));
  EXPECT_EQ(snapshot(out), before);
}

TEST_F(FaultsCliTest, NonFiniteWeightsAreNeverSaved) {
  // An absurd --weight-decay makes the weights infinite in the update itself (the gradient of
  // that step was finite): the epoch-end save refuses them and the previous checkpoint stays.
  const fs::path out = dir_ / "out";
  const std::string args = tiny_train(testing::fixtures_dir() / "tiny-bert", out) + " --epochs 1";
  ASSERT_EQ(testing::run_finetune(args).exit_code, 0);
  const auto before = snapshot(out);
  CommandResult r = testing::run_finetune(args + " --weight-decay 1e300");
  std::printf("%s", r.err.c_str());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(
      r.err.find("training diverged before step 2: the weights are not finite (first: "
                 "bert.embeddings.word_embeddings.weight (element 0 is inf)); nothing was saved (" +
                 out.string() + " keeps the last good checkpoint)"),
      std::string::npos)
      << r.err;
  EXPECT_EQ(snapshot(out), before);
  // Without a previous checkpoint nothing is created.
  CommandResult fresh =
      testing::run_finetune(tiny_train(testing::fixtures_dir() / "tiny-bert", dir_ / "fresh") +
                            " --epochs 1 --weight-decay 1e300");
  EXPECT_EQ(fresh.exit_code, 1) << fresh.err;
  EXPECT_FALSE(fs::exists(dir_ / "fresh"));
}

TEST_F(FaultsCliTest, AnUnwritableLogIsOneClearErrorBeforeTheFirstStep) {
  const std::string train =
      tiny_train(testing::fixtures_dir() / "tiny-bert", dir_ / "out") + " --epochs 1";
  for (const fs::path& log : {dir_ / "missing/dir/log.jsonl", dir_}) {
    CommandResult r = testing::run_finetune(train + " --log " + testing::shell_quote(log));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("finetune: error: --log " + log.string() + ": cannot open for writing: "),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.out.find("Epoch 1/"), std::string::npos) << r.out;
  }
}

TEST_F(FaultsCliTest, AbsurdNumbersAreUsageErrorsNotAllocationFailures) {
  const std::string train = tiny_train(testing::fixtures_dir() / "tiny-bert", dir_ / "out");
  for (const char* value : {"0", "-5", "1000000000000", "99999999999999999999999"})
    expect_usage_error(train + " --batch-size " + value, "--batch-size");
  for (const char* value : {"0", "-1", "1000000000000"})
    expect_usage_error(train + " --epochs " + value, "--epochs");
  for (const char* value : {"nan", "inf", "-1", "0", "1e30", "-inf"})
    expect_usage_error(train + " --lr " + value, "--lr");
  for (const char* value : {"0", "-1", "1000000000000"})
    expect_usage_error(train + " --max-length " + value, "--max-length");
  for (const char* value : {"-1", "100000", "1000000000000"})
    expect_usage_error(train + " --threads " + value, "--threads");
  expect_usage_error(train + " --weight-decay nan", "--weight-decay");
  expect_usage_error(train + " --max-grad-norm inf", "--max-grad-norm");
  expect_usage_error(train + " --max-grad-norm nan", "--max-grad-norm");
  expect_usage_error(train + " --dropout nan", "--dropout");
  expect_usage_error(train + " --gradient-accumulation-steps 1000000000000",
                     "--gradient-accumulation-steps");
  // A batch far larger than the data is handled: memory is planned for the rows that exist.
  CommandResult big = testing::run_finetune(train + " --batch-size 1000000000 --epochs 1");
  EXPECT_EQ(big.exit_code, 0) << big.err;
  EXPECT_NE(big.out.find("1 steps per epoch"), std::string::npos) << big.out;

  fs::path input = dir_ / "in.txt";
  std::ofstream(input) << "hello\nworld\n";
  const std::string predict = "predict --model " +
                              testing::shell_quote(testing::fixtures_dir() / "tiny-bert") +
                              " --input " + testing::shell_quote(input);
  CommandResult huge_batch = testing::run_finetune(predict + " --batch-size 1000000000");
  EXPECT_EQ(huge_batch.exit_code, 0) << huge_batch.err;
  for (const char* value : {"0", "-5", "1000000000000"})
    expect_usage_error(predict + " --batch-size " + value, "--batch-size");
  for (const char* value : {"0", "-1", "1000000000000"})
    expect_usage_error(predict + " --max-length " + value, "--max-length");
  expect_usage_error(predict + " --threads 100000", "--threads");
  expect_usage_error("eval --model " + testing::shell_quote(testing::fixtures_dir() / "tiny-bert") +
                         " --data " + testing::shell_quote(dir_ / "small.txt") +
                         " --batch-size 1000000000000",
                     "--batch-size");
}

TEST_F(FaultsCliTest, FullDiskIsOneClearErrorAndKeepsThePreviousCheckpoint) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
  // The size of one checkpoint, from a run on the ordinary disk.
  const fs::path model = testing::fixtures_dir() / "tiny-bert";
  ASSERT_EQ(testing::run_finetune(tiny_train(model, dir_ / "probe") + " --epochs 1").exit_code, 0);
  uintmax_t checkpoint_bytes = 0;
  for (const auto& entry : fs::directory_iterator(dir_ / "probe"))
    checkpoint_bytes += entry.file_size();

  // A tmpfs with room for one checkpoint and a half: the first epoch's checkpoint fits, the
  // second (staged beside the first) does not.
  const fs::path disk = dir_ / "disk";
  fs::create_directories(disk);
  const std::string options = "size=" + std::to_string(checkpoint_bytes * 3 / 2 / 4096 * 4096);
  if (::mount("tmpfs", disk.c_str(), "tmpfs", 0, options.c_str()) != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  }
  struct Unmount {
    fs::path path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{disk};

  const fs::path out = disk / "out";
  CommandResult first = testing::run_finetune(tiny_train(model, out) + " --epochs 1");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto before = snapshot(out);
  CommandResult second = testing::run_finetune(tiny_train(model, out) + " --epochs 2");
  EXPECT_EQ(second.exit_code, 1) << second.err;
  std::printf("%s", second.err.c_str());
  EXPECT_NE(second.err.find("No space left on device"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find(".out.staging/"), std::string::npos) << "the message names the file:\n"
                                                                 << second.err;
  // One message, not a cascade.
  EXPECT_EQ(std::count(second.err.begin(), second.err.end(), '\n'), 1) << second.err;
  EXPECT_EQ(snapshot(out), before);
  EXPECT_EQ(check_complete_checkpoint(out), 1);
  EXPECT_FALSE(fs::exists(disk / ".out.staging")) << "the failed staging directory is removed";
}

}  // namespace
}  // namespace finetune
