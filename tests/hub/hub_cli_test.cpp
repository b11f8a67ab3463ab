// The `finetune` executable with hub names, against the mirror this test process runs: training
// from an empty cache and again offline (no request) and online (no download), `download`,
// predict/eval/tokenize by name, and one clear error (exit 1 or 2, nothing on stdout, never the
// token) for each way a hub name can fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "hub_mirror.h"
#include "io/file.h"
#include "test_paths.h"

namespace finetune {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;

class HubCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::add_standard_repos(mirror_);
    dir_ = testing::make_temp_dir("hub-cli");
    cache_ = dir_ / "hub";
    input_ = dir_ / "texts.txt";
    std::ofstream(input_) << "i feel wonderful today\ni am so scared of the dark\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs finetune with the hub settings pointed at the mirror and a private cache; variables
  // the caller's environment may have set are cleared first.
  CommandResult finetune(const std::string& args, const std::string& env = "") {
    const std::string command =
        "env -u HF_TOKEN -u HUGGING_FACE_HUB_TOKEN -u HF_HOME -u HF_TOKEN_PATH -u HF_HUB_OFFLINE "
        "-u TRANSFORMERS_OFFLINE HF_ENDPOINT=" +
        mirror_.endpoint() + " HF_HUB_CACHE=" + testing::shell_quote(cache_) + " " + env + " " +
        testing::shell_quote(testing::finetune_binary()) + " " + args;
    return testing::run_command(command);
  }
  void expect_clean_error(const CommandResult& r, const std::string& needle) {
    EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 2) << "exit " << r.exit_code << "\n" << r.err;
    EXPECT_NE(r.err.find("finetune: error: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "' in:\n"
                                                     << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }

  testing::HubMirror mirror_;
  fs::path dir_, cache_, input_;
};

const std::string kTrainArgs =
    "train --model org/tiny-distilbert --train org/emotion --validation org/emotion --epochs 1 "
    "--limit 64 "
    "--batch-size 16 --threads 1";

TEST_F(HubCliTest, TrainsByNameFromAnEmptyCacheThenOfflineWithoutARequest) {
  CommandResult first = finetune(kTrainArgs + " --output " + testing::shell_quote(dir_ / "run1"));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("train: 64 examples, global batch 16 (one process), 4 steps per epoch, "
                           "validation: 64 examples"),
            std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find("from config.json id2label"), std::string::npos) << first.out;
  EXPECT_NE(first.err.find("downloaded org/emotion/split/train-00000-of-00001.parquet"),
            std::string::npos)
      << first.err;
  EXPECT_TRUE(fs::exists(dir_ / "run1" / "model.safetensors"));
  EXPECT_FALSE(
      fs::is_symlink(dir_ / "run1" / "vocab.txt"));  // tokenizer files are copied, not linked
  const size_t downloads = mirror_.count("/cdn/");
  EXPECT_EQ(downloads, 3u);  // the weights and the two Parquet splits

  mirror_.clear_requests();
  CommandResult offline =
      finetune(kTrainArgs + " --output " + testing::shell_quote(dir_ / "run2"), "HF_HUB_OFFLINE=1");
  ASSERT_EQ(offline.exit_code, 0) << offline.err;
  EXPECT_EQ(mirror_.request_count(), 0u);
  EXPECT_EQ(read_file(dir_ / "run1" / "model.safetensors"),
            read_file(dir_ / "run2" / "model.safetensors"));

  // Online again: each branch is looked up once (the dataset is named twice but asked once),
  // nothing is listed or downloaded.
  CommandResult again = finetune(kTrainArgs);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(mirror_.count("/api/models/org/tiny-distilbert/revision/main"), 1u);
  EXPECT_EQ(mirror_.count("/api/datasets/org/emotion/revision/main"), 1u);
  EXPECT_EQ(mirror_.request_count(), 2u);
  EXPECT_EQ(mirror_.count("/resolve/") + mirror_.count("/cdn/") + mirror_.count("/tree/"), 0u);
}

TEST_F(HubCliTest, DownloadThenUseByNameOffline) {
  CommandResult r = finetune("download org/tiny-bert-bin");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string snapshot = r.out.substr(0, r.out.find('\n'));
  EXPECT_EQ(fs::path(snapshot).parent_path().parent_path(), cache_ / "models--org--tiny-bert-bin");
  EXPECT_TRUE(fs::exists(fs::path(snapshot) / "pytorch_model.bin"));

  // The .bin checkpoint predicts exactly as its safetensors twin.
  CommandResult hubbed = finetune("predict --json --threads 1 --model org/tiny-bert-bin --input " +
                                      testing::shell_quote(input_),
                                  "HF_HUB_OFFLINE=1");
  CommandResult local = finetune("predict --json --threads 1 --model " +
                                 testing::shell_quote(testing::fixtures_dir() / "tiny-bert") +
                                 " --input " + testing::shell_quote(input_));
  ASSERT_EQ(hubbed.exit_code, 0) << hubbed.err;
  ASSERT_EQ(local.exit_code, 0) << local.err;
  EXPECT_EQ(hubbed.out, local.out);

  // --include downloads only what matches; datasets with --dataset.
  CommandResult readme = finetune("download org/emotion --dataset --include '*.md'");
  ASSERT_EQ(readme.exit_code, 0) << readme.err;
  const fs::path dataset_snapshot = readme.out.substr(0, readme.out.find('\n'));
  EXPECT_TRUE(fs::exists(dataset_snapshot / "README.md"));
  EXPECT_FALSE(fs::exists(dataset_snapshot / "split"));
  expect_clean_error(finetune("download org/emotion --dataset --include '*.arrow'"),
                     "no file matching --include");
  expect_clean_error(finetune("download"), "missing REPO");
}

TEST_F(HubCliTest, EvalAndTokenizeByName) {
  CommandResult eval =
      finetune("eval --model org/tiny-distilbert --data org/emotion --limit 50 --json --threads 1");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_NE(eval.out.find("\"examples\":50"), std::string::npos) << eval.out;
  EXPECT_NE(eval.err.find("validation-00000-of-00001.parquet"),
            std::string::npos);  // the default --split

  mirror_.clear_requests();
  fs::remove_all(cache_);
  CommandResult tokens =
      finetune("tokenize --model org/tiny-distilbert --input " + testing::shell_quote(input_));
  ASSERT_EQ(tokens.exit_code, 0) << tokens.err;
  EXPECT_EQ(std::count(tokens.out.begin(), tokens.out.end(), '\n'), 2);
  EXPECT_EQ(mirror_.count("model.safetensors"), 0u);  // tokenize needs no weights
}

TEST_F(HubCliTest, EveryHubFailureIsOneClearError) {
  expect_clean_error(finetune("predict --model org/nope --input " + testing::shell_quote(input_)),
                     "--model org/nope: no such local directory; as a Hugging Face hub model: "
                     "model 'org/nope' was "
                     "not found");
  expect_clean_error(finetune(kTrainArgs + " --revision v404"), "has no revision 'v404'");
  expect_clean_error(finetune("eval --model org/tiny-distilbert --data org/emotion --split test"),
                     "has no split 'test'; its splits: train, validation");
  expect_clean_error(finetune("eval --model org/tiny-distilbert --data org/emotion "
                              "--dataset-config unsplit --split train"),
                     "matches no data file");
  expect_clean_error(finetune("train --model org/tiny-distilbert --train " +
                              testing::shell_quote(dir_ / "missing.csv")),
                     "missing.csv: no such file");
  fs::remove_all(cache_);  // the commands above cached org/tiny-distilbert
  expect_clean_error(
      finetune("predict --model org/tiny-distilbert --input " + testing::shell_quote(input_),
               "HF_HUB_OFFLINE=1"),
      "HF_HUB_OFFLINE");
  expect_clean_error(
      finetune("predict --model " + testing::shell_quote(testing::fixtures_dir() / "tiny-bert") +
               " --revision v1 --input " + testing::shell_quote(input_)),
      "--revision selects a version of a hub model");

  // A private repository: without a token, the message asks for one; with a wrong one, it says
  // so without printing it; with the right one, it works.
  mirror_.add_commit(false, "org/private",
                     testing::mirror_files_from_directory(testing::fixtures_dir() / "tiny-bert"));
  mirror_.set_private(false, "org/private", "hf_correct_horse");
  expect_clean_error(
      finetune("predict --model org/private --input " + testing::shell_quote(input_)),
      "set HF_TOKEN");
  CommandResult wrong =
      finetune("predict --model org/private --input " + testing::shell_quote(input_),
               "HF_TOKEN=hf_battery_staple");
  expect_clean_error(wrong, "refused the token in HF_TOKEN");
  EXPECT_EQ(wrong.err.find("hf_battery_staple"), std::string::npos);
  CommandResult right =
      finetune("predict --model org/private --input " + testing::shell_quote(input_),
               "HF_TOKEN=hf_correct_horse");
  EXPECT_EQ(right.exit_code, 0) << right.err;
  EXPECT_EQ(right.err.find("hf_correct_horse"), std::string::npos);
  for (const auto& req : mirror_.requests()) {
    if (req.path.rfind("/cdn/", 0) == 0) {
      EXPECT_FALSE(req.authorization);
    }
  }
}

}  // namespace
}  // namespace finetune
