// `finetune train` and `finetune eval` end to end: resuming after an interruption gives the same
// run, the saved directory reloads with the same predictions, eval reports, and each kind of bad
// input fails with one clear message before any training.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "io/json.h"
#include "io/safetensors.h"
#include "safetensors_test_util.h"
#include "test_paths.h"

namespace finetune {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;

const fs::path& emotion_train() {
  static const fs::path path = testing::shared_dir() / "data/emotion/train.txt";
  return path;
}

std::vector<Json> log_lines(const fs::path& path) {
  std::vector<Json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(Json::parse(line));
  return lines;
}

// Every tensor of a saved model, as floats.
std::vector<std::vector<float>> all_weights(const fs::path& file) {
  return testing::read_all_f32(SafetensorsFile(file));
}

class TrainCliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("train-cli"); }
  void TearDown() override { fs::remove_all(dir_); }

  // A small shuffled run with dropout, so that resuming must restore the data order, the
  // dropout streams and Adam's state to come out the same.
  std::string run_args(const fs::path& output, const fs::path& log) {
    return "train --model " + testing::shell_quote(testing::fixtures_dir() / "tiny-bert") +
           " --train " + testing::shell_quote(emotion_train()) +
           " --limit 40 --batch-size 4 --epochs 2 --lr 1e-3 --dropout 0.1 --seed 7 --max-length 24 "
           "--output " +
           testing::shell_quote(output) + " --log " + testing::shell_quote(log);
  }

  void expect_clean_error(const std::string& args, const std::string& needle, int exit_code = 1) {
    CommandResult r = testing::run_finetune(args);
    EXPECT_EQ(r.exit_code, exit_code) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("finetune: error: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "' in:\n"
                                                     << r.err;
    EXPECT_EQ(r.out.find("Epoch 1/"), std::string::npos) << "training must not start:\n" << r.out;
  }

  fs::path dir_;
};

TEST_F(TrainCliTest, ResumedRunEqualsUninterruptedRun) {
  CommandResult full = testing::run_finetune(run_args(dir_ / "full", dir_ / "full.log"));
  ASSERT_EQ(full.exit_code, 0) << full.err;

  // Stop mid-epoch (10 steps per epoch), then resume.
  CommandResult first =
      testing::run_finetune(run_args(dir_ / "split", dir_ / "split.log") + " --stop-after-steps 6");
  ASSERT_EQ(first.exit_code, 130) << first.err;
  EXPECT_NE(first.err.find("--resume"), std::string::npos) << first.err;
  CommandResult second = testing::run_finetune(run_args(dir_ / "split", dir_ / "split.log") +
                                               " --resume " + testing::shell_quote(dir_ / "split"));
  ASSERT_EQ(second.exit_code, 0) << second.err;

  std::vector<Json> a = log_lines(dir_ / "full.log"), b = log_lines(dir_ / "split.log");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].dump(), b[i].dump()) << "log line " << i + 1;
  EXPECT_EQ(all_weights(dir_ / "full/model.safetensors"),
            all_weights(dir_ / "split/model.safetensors"));

  // A finished run resumed again has nothing to do.
  CommandResult again = testing::run_finetune(run_args(dir_ / "split", dir_ / "split.log") +
                                              " --resume " + testing::shell_quote(dir_ / "split"));
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("nothing to do"), std::string::npos) << again.err;
}

TEST_F(TrainCliTest, CtrlCStopsAfterTheStepAndSavesAResumableState) {
  // Interrupted as soon as the first epoch's checkpoint exists, with 19 epochs still to go.
  std::string args =
      "train --model " + testing::shell_quote(testing::fixtures_dir() / "tiny-distilbert") +
      " --train " + testing::shell_quote(emotion_train()) +
      " --limit 100 --epochs 20 --max-length 16 --output " + testing::shell_quote(dir_ / "out");
  std::string script = testing::shell_quote(testing::finetune_binary()) + " " + args +
                       " & pid=$!; while [ ! -f " +
                       testing::shell_quote(dir_ / "out/trainer_state.json") +
                       " ]; do sleep 0.02; done; kill -INT $pid; wait $pid";
  CommandResult r = testing::run_command(script);
  ASSERT_EQ(r.exit_code, 130) << r.err;
  EXPECT_NE(r.err.find("interrupted after"), std::string::npos) << r.err;
  Json state = parse_json_file(dir_ / "out/trainer_state.json");
  EXPECT_FALSE(state["complete"].get<bool>());
  EXPECT_GT(state["global_step"].get<int64_t>(), 0);
  // And it continues from there to the end.
  CommandResult resumed =
      testing::run_finetune(args + " --resume " + testing::shell_quote(dir_ / "out"));
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_TRUE(parse_json_file(dir_ / "out/trainer_state.json")["complete"].get<bool>());
}

TEST_F(TrainCliTest, ResumeWithOtherOptionsIsRefused) {
  ASSERT_EQ(testing::run_finetune(run_args(dir_ / "run", dir_ / "log") + " --stop-after-steps 3")
                .exit_code,
            130);
  std::string args = run_args(dir_ / "run", dir_ / "log");
  args.replace(args.find("--lr 1e-3"), 9, "--lr 2e-3");
  expect_clean_error(args + " --resume " + testing::shell_quote(dir_ / "run"), "--lr was '1e-3'");
}

TEST_F(TrainCliTest, SavedModelPredictsAndEvaluates) {
  ASSERT_EQ(testing::run_finetune(run_args(dir_ / "out", dir_ / "log")).exit_code, 0);
  Json config = parse_json_file(dir_ / "out/config.json");
  EXPECT_EQ(config["architectures"][0], "BertForSequenceClassification");
  EXPECT_EQ(config["id2label"]["5"], "surprise");
  EXPECT_EQ(config["label2id"]["joy"], 1);
  for (const char* file : {"tokenizer.json", "vocab.txt", "tokenizer_config.json"}) {
    EXPECT_TRUE(fs::exists(dir_ / "out" / file)) << file;
  }

  CommandResult eval = testing::run_finetune(
      "eval --json --model " + testing::shell_quote(dir_ / "out") + " --data " +
      testing::shell_quote(testing::shared_dir() / "data/emotion/validation.parquet") +
      " --limit 50");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  Json report = Json::parse(eval.out);
  EXPECT_EQ(report["examples"], 50);
  EXPECT_EQ(report["labels"].size(), 6u);
  int64_t total = 0;
  for (const auto& row : report["confusion_matrix"])
    for (const auto& cell : row) total += cell.get<int64_t>();
  EXPECT_EQ(total, 50);

  CommandResult text = testing::run_finetune(
      "eval --model " + testing::shell_quote(dir_ / "out") + " --data " +
      testing::shell_quote(testing::shared_dir() / "data/emotion/validation.txt") + " --limit 50");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("macro-F1"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("confusion matrix"), std::string::npos) << text.out;
  // The same 50 examples read from Parquet and from text give the same report.
  CommandResult text_json = testing::run_finetune(
      "eval --json --model " + testing::shell_quote(dir_ / "out") + " --data " +
      testing::shell_quote(testing::shared_dir() / "data/emotion/validation.txt") + " --limit 50");
  EXPECT_EQ(Json::parse(text_json.out), report);
}

TEST_F(TrainCliTest, BadInputFailsBeforeTraining) {
  const std::string model =
      " --model " + testing::shell_quote(testing::fixtures_dir() / "tiny-distilbert");
  auto write = [&](const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
    return dir_ / name;
  };
  fs::path no_label = write("no_label.txt", "i feel fine;joy\nthis line has no label\n");
  expect_clean_error("train" + model + " --train " + testing::shell_quote(no_label),
                     "no_label.txt:2");
  fs::path unknown = write("unknown.txt", "i feel fine;joy\ni feel odd;bewildered\n");
  expect_clean_error("train" + model + " --train " + testing::shell_quote(unknown), "bewildered");
  fs::path empty = write("empty.txt", "");
  expect_clean_error("train" + model + " --train " + testing::shell_quote(empty), "empty.txt");
  fs::path good = write("good.txt", "i feel fine;joy\ni feel sad;sadness\n");
  expect_clean_error("train" + model + " --train " + testing::shell_quote(good) + " --batch-size 0",
                     "--batch-size", 2);
  expect_clean_error("train" + model + " --train " + testing::shell_quote(good) + " --epochs -1",
                     "--epochs", 2);
  expect_clean_error("train" + model + " --train " + testing::shell_quote(good) + " --lr fast",
                     "--lr", 2);
  expect_clean_error("train" + model + " --train " + testing::shell_quote(good) + " --frobnicate",
                     "unknown option '--frobnicate'", 2);
  // An output directory that cannot be written is found before training starts.
  fs::path blocker = write("blocker", "a file, not a directory");
  expect_clean_error("train" + model + " --train " + testing::shell_quote(good) + " --output " +
                         testing::shell_quote(blocker / "out"),
                     "blocker");
  // A directory of someone else's files is not overwritten.
  fs::create_directories(dir_ / "mine");
  write("mine/notes.txt", "precious");
  expect_clean_error("train" + model + " --train " + testing::shell_quote(good) + " --output " +
                         testing::shell_quote(dir_ / "mine"),
                     "not a finetune training output");
  EXPECT_TRUE(fs::exists(dir_ / "mine/notes.txt"));
  // A damaged Parquet file.
  fs::path parquet = dir_ / "broken.parquet";
  fs::copy_file(testing::shared_dir() / "data/emotion/validation.parquet", parquet);
  fs::resize_file(parquet, fs::file_size(parquet) - 100);
  expect_clean_error("train" + model + " --train " + testing::shell_quote(parquet),
                     "broken.parquet");
}

}  // namespace
}  // namespace finetune
