// Every path of the command line for the RoBERTa, XLM-RoBERTa, CamemBERT and ELECTRA families,
// on their tiny fixtures: `train` (with dropout, so the heads' extra dropout sites run) writes a
// directory with the family's ForSequenceClassification keys, exactly those of the fixture
// transformers wrote, plus its config and tokenizer files; `predict` (texts and pairs), `eval`
// and `tokenize` run on it; an interrupted run resumes to the uninterrupted run's weights.
// Base and pretraining checkpoints train through a fresh head into the same key set.
//
// That transformers loads such a directory with no missing or unexpected keys and predicts the
// same probabilities is checked by tools/check_checkpoint.py (Python, outside the suite): the
// key-set comparison here is the part of it that needs no Python.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "io/json.h"
#include "io/safetensors.h"
#include "safetensors_test_util.h"
#include "test_paths.h"

namespace finetune {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;

struct FamilyCase {
  std::string fixture;       // tests/fixtures/<fixture>
  std::string classifier;    // the ForSequenceClassification fixture with the same keys
  std::string architecture;  // what the saved config.json names
  std::string model_type;
  bool token_type_ids;  // whether `tokenize` prints them (transformers' model_input_names)
};

void PrintTo(const FamilyCase& c, std::ostream* os) {
  *os << c.fixture;
}

std::vector<FamilyCase> family_cases() {
  return {
      {"tiny-roberta", "tiny-roberta", "RobertaForSequenceClassification", "roberta", false},
      {"tiny-xlm-roberta", "tiny-xlm-roberta", "XLMRobertaForSequenceClassification", "xlm-roberta",
       false},
      {"tiny-camembert", "tiny-camembert", "CamembertForSequenceClassification", "camembert",
       false},
      {"tiny-electra", "tiny-electra", "ElectraForSequenceClassification", "electra", true},
      {"tiny-electra-same-width", "tiny-electra-same-width", "ElectraForSequenceClassification",
       "electra", true},
      {"tiny-roberta-base", "tiny-roberta", "RobertaForSequenceClassification", "roberta", false},
      {"tiny-roberta-mlm", "tiny-roberta", "RobertaForSequenceClassification", "roberta", false},
      {"tiny-electra-discriminator", "tiny-electra", "ElectraForSequenceClassification", "electra",
       true},
      {"tiny-modernbert", "tiny-modernbert", "ModernBertForSequenceClassification", "modernbert",
       false},
      {"tiny-modernbert-mean", "tiny-modernbert-mean", "ModernBertForSequenceClassification",
       "modernbert", false},
      {"tiny-modernbert-base", "tiny-modernbert", "ModernBertForSequenceClassification",
       "modernbert", false},
      {"tiny-modernbert-mlm", "tiny-modernbert", "ModernBertForSequenceClassification",
       "modernbert", false},
  };
}

std::map<std::string, std::vector<int64_t>> keys_and_shapes(const fs::path& file) {
  SafetensorsFile st(file);
  std::map<std::string, std::vector<int64_t>> out;
  for (const auto& info : st.tensors()) out[info.name] = info.shape;
  return out;
}

// Every tensor of a saved model, as floats.
std::vector<std::vector<float>> all_weights(const fs::path& file) {
  return testing::read_all_f32(SafetensorsFile(file));
}

class FamilyCliTest : public ::testing::TestWithParam<FamilyCase> {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("family-cli"); }
  void TearDown() override { fs::remove_all(dir_); }

  std::string train_args(const fs::path& output) const {
    return "train --model " + testing::shell_quote(testing::fixtures_dir() / GetParam().fixture) +
           " --train " + testing::shell_quote(testing::shared_dir() / "data/emotion/train.txt") +
           " --limit 24 --batch-size 4 --epochs 2 --lr 1e-3 --dropout 0.1 --seed 3 --max-length 24 "
           "--output " +
           testing::shell_quote(output);
  }

  fs::path dir_;
};

TEST_P(FamilyCliTest, TrainSavesTheFamilysKeysAndEveryCommandRunsOnIt) {
  const FamilyCase& c = GetParam();
  const fs::path out = dir_ / "out";
  CommandResult train = testing::run_finetune(train_args(out));
  ASSERT_EQ(train.exit_code, 0) << train.err;

  Json config = parse_json_file(out / "config.json");
  EXPECT_EQ(config["architectures"][0], c.architecture);
  EXPECT_EQ(config["model_type"], c.model_type);
  EXPECT_EQ(config["id2label"]["5"], "surprise");
  // The keys transformers' own classifier of this family has, with the same shapes.
  EXPECT_EQ(keys_and_shapes(out / "model.safetensors"),
            keys_and_shapes(testing::fixtures_dir() / c.classifier / "model.safetensors"));
  for (const auto& entry : fs::directory_iterator(testing::fixtures_dir() / c.fixture)) {
    const std::string name = entry.path().filename().string();
    if (name.find("token") != std::string::npos || name == "vocab.json" || name == "merges.txt" ||
        name.find(".model") != std::string::npos || name == "vocab.txt") {
      EXPECT_TRUE(fs::exists(out / name)) << name << " was not copied";
    }
  }

  // The saved directory serves every command.
  const fs::path texts = dir_ / "texts.txt", pairs = dir_ / "pairs.jsonl";
  std::ofstream(texts) << "i feel wonderful today\ni am so angry at everyone\n";
  std::ofstream(pairs)
      << R"({"text": "i feel wonderful today", "text_pair": "what a lovely morning"})"
      << "\n";
  CommandResult predict =
      testing::run_finetune("predict --json --model " + testing::shell_quote(out) + " --input " +
                            testing::shell_quote(texts));
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  EXPECT_NE(predict.out.find("\"probs\": ["), std::string::npos) << predict.out;
  EXPECT_EQ(predict.err.find("fresh"), std::string::npos) << "a trained head must load as it is:\n"
                                                          << predict.err;
  CommandResult pair = testing::run_finetune("predict --json --model " + testing::shell_quote(out) +
                                             " --input " + testing::shell_quote(pairs));
  ASSERT_EQ(pair.exit_code, 0) << pair.err;
  CommandResult eval = testing::run_finetune(
      "eval --json --model " + testing::shell_quote(out) + " --data " +
      testing::shell_quote(testing::shared_dir() / "data/emotion/validation.txt") + " --limit 20");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_EQ(Json::parse(eval.out)["examples"], 20);
  CommandResult tokenize = testing::run_finetune("tokenize --model " + testing::shell_quote(out) +
                                                 " --input " + testing::shell_quote(pairs));
  ASSERT_EQ(tokenize.exit_code, 0) << tokenize.err;
  EXPECT_EQ(tokenize.out.find("token_type_ids") != std::string::npos, c.token_type_ids)
      << tokenize.out;
}

// Stopped mid-run and resumed: the same weights as the run that was never stopped (data order,
// every dropout site and Adam's state restored).
TEST_P(FamilyCliTest, ResumedRunEqualsUninterruptedRun) {
  CommandResult full = testing::run_finetune(train_args(dir_ / "full"));
  ASSERT_EQ(full.exit_code, 0) << full.err;
  CommandResult first = testing::run_finetune(train_args(dir_ / "split") + " --stop-after-steps 4");
  ASSERT_EQ(first.exit_code, 130) << first.err;
  CommandResult second = testing::run_finetune(train_args(dir_ / "split") + " --resume " +
                                               testing::shell_quote(dir_ / "split"));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(all_weights(dir_ / "full/model.safetensors"),
            all_weights(dir_ / "split/model.safetensors"));
}

std::string case_name(const ::testing::TestParamInfo<FamilyCase>& info) {
  std::string name = info.param.fixture.substr(5);
  for (char& ch : name)
    if (ch == '-') ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Families, FamilyCliTest, ::testing::ValuesIn(family_cases()), case_name);

}  // namespace
}  // namespace finetune
