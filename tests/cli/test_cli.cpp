// The `finetune` executable end to end: tokenize and predict against the transformers
// references, the output formats of the DESIGN.md contract, help, and one clear error with a
// non-zero exit (never a crash) for each kind of bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>

#include "error_bounds.h"
#include "io/json.h"
#include "kernels/device.h"
#include "reference.h"
#include "test_paths.h"

namespace finetune {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The reference texts of a fixture, one per line, in a temporary input file.
fs::path write_reference_texts(const fs::path& dir, const std::string& name) {
  Json meta = parse_json_file(testing::fixtures_dir() / "reference" / (name + ".json"));
  fs::path path = dir / "texts.txt";
  std::ofstream out(path);
  for (const auto& text : meta["texts"]) out << text.get<std::string>() << "\n";
  return path;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("cli"); }
  void TearDown() override { fs::remove_all(dir_); }

  // A copy of a fixture model directory that a test may damage.
  fs::path copy_fixture(const std::string& name) {
    fs::path target = dir_ / name;
    fs::copy(testing::fixtures_dir() / name, target, fs::copy_options::recursive);
    return target;
  }

  // Runs a command expected to fail on bad input: exit status 1 or 2 (not a signal, not a bug),
  // nothing on stdout, one "finetune: error:" line containing `needle`.
  void expect_clean_error(const std::string& args, const std::string& needle) {
    CommandResult r = testing::run_finetune(args);
    EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 2) << args << "\nexit " << r.exit_code << "\n"
                                                      << r.err;
    EXPECT_EQ(r.err.rfind("finetune: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "' in:\n"
                                                     << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }

  fs::path dir_;
};

TEST_F(CliTest, TokenizeMatchesTransformersIds) {
  for (std::string name : {"tiny-bert", "tiny-distilbert", "tiny-roberta", "tiny-xlm-roberta",
                           "tiny-camembert", "tiny-electra", "tiny-modernbert",
                           "tiny-modernbert-mean"}) {
    fs::path texts = write_reference_texts(dir_, name);
    CommandResult r = testing::run_finetune(
        "tokenize --model " + testing::shell_quote(testing::fixtures_dir() / name) + " --input " +
        testing::shell_quote(texts) + " --max-length 32");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    testing::Reference ref(name);
    std::vector<int32_t> ids = ref.ints("input_ids"), mask = ref.ints("attention_mask"),
                         types = ref.ints("token_type_ids");
    const size_t T = static_cast<size_t>(ref.shape("input_ids")[1]);
    // transformers' model_input_names: BertTokenizer and ElectraTokenizer return token_type_ids,
    // the fixtures' DistilBERT, RoBERTa, XLM-R and CamemBERT tokenizers do not.
    const bool with_types = name == "tiny-bert" || name == "tiny-electra";
    auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), static_cast<size_t>(ref.shape("input_ids")[0]));
    for (size_t b = 0; b < lines.size(); ++b) {
      Json row = Json::parse(lines[b]);
      ASSERT_EQ(row.size(), with_types ? 3u : 2u)
          << "exactly input_ids, " << (with_types ? "token_type_ids, " : "")
          << "attention_mask: " << lines[b];
      std::vector<int32_t> want_ids, want_types, want_mask;
      for (size_t t = 0; t < T && mask[b * T + t] == 1; ++t) {
        want_ids.push_back(ids[b * T + t]);
        want_types.push_back(types[b * T + t]);
        want_mask.push_back(1);
      }
      EXPECT_EQ(row["input_ids"].get<std::vector<int32_t>>(), want_ids) << name << " text " << b;
      if (with_types) {
        EXPECT_EQ(row["token_type_ids"].get<std::vector<int32_t>>(), want_types)
            << name << " text " << b;
      }
      EXPECT_EQ(row["attention_mask"].get<std::vector<int32_t>>(), want_mask)
          << name << " text " << b;
    }
  }
}

TEST_F(CliTest, PredictJsonGivesTransformersProbabilities) {
  for (std::string name : {"tiny-bert", "tiny-distilbert", "tiny-roberta", "tiny-xlm-roberta",
                           "tiny-camembert", "tiny-electra", "tiny-modernbert",
                           "tiny-modernbert-mean"}) {
    fs::path texts = write_reference_texts(dir_, name);
    for (std::string batch : {"1", "5", "32"}) {
      CommandResult r = testing::run_finetune(
          "predict --json --model " + testing::shell_quote(testing::fixtures_dir() / name) +
          " --input " + testing::shell_quote(texts) + " --max-length 32 --batch-size " + batch);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      // The exact logits and their fp32 rounding bound (error_bounds.h).
      testing::ErrorBounds bounds(name);
      std::vector<double> logits = bounds.exact("logits");
      std::vector<float> sigma = bounds.sigma("logits");
      Json config = parse_json_file(testing::fixtures_dir() / name / "config.json");
      auto lines = lines_of(r.out);
      ASSERT_EQ(lines.size(), 16u);
      for (size_t b = 0; b < lines.size(); ++b) {
        Json row = Json::parse(lines[b]);
        ASSERT_EQ(row.size(), 2u) << lines[b];
        std::vector<double> probs = row["probs"].get<std::vector<double>>();
        ASSERT_EQ(probs.size(), 6u);
        // softmax of the exact logits, in double
        const double* z = logits.data() + b * 6;
        const float* s = sigma.data() + b * 6;
        double zmax = *std::max_element(z, z + 6), total = 0, expected_dz = 0;
        for (int k = 0; k < 6; ++k) total += std::exp(z[k] - zmax);
        for (int k = 0; k < 6; ++k)
          expected_dz += std::exp(z[k] - zmax) / total * testing::kLambda * s[k];
        size_t best = 0;
        for (int k = 0; k < 6; ++k) {
          double want = std::exp(z[k] - zmax) / total;
          // Logit errors dz (each within its bound) move p_k by at most p_k (|dz_k| + sum_j p_j
          // |dz_j|) to first order; then the float softmax's own rounding (docs/numerics.md).
          double bound = want * (testing::kLambda * s[k] + expected_dz) +
                         (4 + 6 / 2.0 + (zmax - z[k])) * 0x1p-23 * want;
          EXPECT_NEAR(probs[k], want, bound) << name << " text " << b << " label " << k;
          if (z[k] > z[best]) best = k;
        }
        EXPECT_EQ(row["label"], config["id2label"][std::to_string(best)]) << name << " text " << b;
      }
    }
  }
}

TEST_F(CliTest, PredictHumanOutputShowsLabelConfidenceAndText) {
  fs::path input = dir_ / "in.txt";
  std::ofstream(input) << "i feel happy\ni am so angry\n";
  CommandResult r = testing::run_finetune(
      "predict --model " + testing::shell_quote(testing::fixtures_dir() / "tiny-distilbert") +
      " --input " + testing::shell_quote(input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("i feel happy"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("i am so angry"), std::string::npos) << lines[1];
  std::istringstream first(lines[0]);
  std::string label;
  double confidence = 0;
  first >> label >> confidence;
  EXPECT_TRUE(label == "sadness" || label == "joy" || label == "love" || label == "anger" ||
              label == "fear" || label == "surprise")
      << label;
  EXPECT_GT(confidence, 1.0 / 6);
  EXPECT_LE(confidence, 1.0);
}

TEST_F(CliTest, BaseCheckpointGetsAFreshHeadWithANotice) {
  fs::path input = dir_ / "in.txt";
  std::ofstream(input) << "i feel happy\n";
  CommandResult r = testing::run_finetune(
      "predict --json --model " + testing::shell_quote(testing::fixtures_dir() / "tiny-bert-mlm") +
      " --input " + testing::shell_quote(input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("bert.pooler.dense.weight"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("classifier.weight"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cls.predictions"), std::string::npos)
      << "unused MLM tensors named: " << r.err;
  Json row = Json::parse(lines_of(r.out).at(0));
  EXPECT_EQ(row["probs"].size(), 2u);  // no id2label: transformers' two default labels
  EXPECT_TRUE(row["label"] == "LABEL_0" || row["label"] == "LABEL_1");
}

TEST_F(CliTest, PackagedMiniLMPredicts) {
  fs::path model = testing::minilm_dir();
  if (!fs::exists(model / "model.safetensors")) GTEST_SKIP() << "run scripts/fetch-model.sh";
  CommandResult r =
      testing::run_finetune("predict --model " + testing::shell_quote(model) + " --input " +
                            testing::shell_quote(testing::repo_root() / "examples/texts.txt"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_of(r.out).size(), 6u);
  EXPECT_NE(r.err.find("fresh"), std::string::npos) << r.err;
}

TEST_F(CliTest, HelpAndVersion) {
  CommandResult r = testing::run_finetune("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("predict"), std::string::npos);
  EXPECT_NE(r.out.find("tokenize"), std::string::npos);
  r = testing::run_finetune("predict --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--batch-size N"), std::string::npos);
  EXPECT_NE(r.out.find("--json"), std::string::npos);
  r = testing::run_finetune("tokenize --help");
  EXPECT_NE(r.out.find("--max-length N"), std::string::npos);
  EXPECT_EQ(testing::run_finetune("").exit_code, 2);
  EXPECT_EQ(testing::run_finetune("--version").exit_code, 0);
}

TEST_F(CliTest, UsageMistakesExitTwo) {
  fs::path model = testing::fixtures_dir() / "tiny-bert";
  expect_clean_error("frobnicate", "unknown command 'frobnicate'");
  expect_clean_error("predict --model " + testing::shell_quote(model),
                     "missing required option --input");
  expect_clean_error("predict --model " + testing::shell_quote(model) + " --input x --bogus",
                     "unknown option '--bogus'");
  expect_clean_error(
      "predict --model " + testing::shell_quote(model) + " --input x --batch-size zero",
      "--batch-size");
  EXPECT_EQ(testing::run_finetune("predict --model " + testing::shell_quote(model) +
                                  " --input x --batch-size 0")
                .exit_code,
            2);
}

TEST_F(CliTest, MissingFilesAreNamed) {
  fs::path model = testing::fixtures_dir() / "tiny-bert";
  fs::path input = dir_ / "in.txt";
  std::ofstream(input) << "hello\n";
  expect_clean_error("predict --model " + testing::shell_quote(model) + " --input " +
                         testing::shell_quote(dir_ / "absent.txt"),
                     "absent.txt: no such file");
  expect_clean_error("predict --model " + testing::shell_quote(dir_ / "nomodel") + " --input " +
                         testing::shell_quote(input),
                     "nomodel");
  fs::path no_config = copy_fixture("tiny-bert");
  fs::remove(no_config / "config.json");
  expect_clean_error("predict --model " + testing::shell_quote(no_config) + " --input " +
                         testing::shell_quote(input),
                     "no config.json");
  fs::path no_weights = copy_fixture("tiny-distilbert");
  fs::remove(no_weights / "model.safetensors");
  expect_clean_error("predict --model " + testing::shell_quote(no_weights) + " --input " +
                         testing::shell_quote(input),
                     "model.safetensors");
}

TEST_F(CliTest, MissingTokenizerFilesAreNamed) {
  fs::path model = copy_fixture("tiny-bert");
  fs::remove(model / "tokenizer.json");
  fs::remove(model / "vocab.txt");
  fs::path input = dir_ / "in.txt";
  std::ofstream(input) << "hello\n";
  expect_clean_error(
      "predict --model " + testing::shell_quote(model) + " --input " + testing::shell_quote(input),
      "tokenizer.json");
  expect_clean_error(
      "tokenize --model " + testing::shell_quote(model) + " --input " + testing::shell_quote(input),
      "vocab.txt");
}

TEST_F(CliTest, DamagedCheckpointsAreRefused) {
  fs::path input = dir_ / "in.txt";
  std::ofstream(input) << "hello\n";

  fs::path truncated = copy_fixture("tiny-bert");
  fs::resize_file(truncated / "model.safetensors",
                  fs::file_size(truncated / "model.safetensors") / 2);
  expect_clean_error("predict --model " + testing::shell_quote(truncated) + " --input " +
                         testing::shell_quote(input),
                     "model.safetensors");

  fs::path corrupt = copy_fixture("tiny-distilbert");
  {
    std::fstream f(corrupt / "model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8);
    f.write("#", 1);  // the header's opening brace
  }
  expect_clean_error("predict --model " + testing::shell_quote(corrupt) + " --input " +
                         testing::shell_quote(input),
                     "corrupt safetensors header");

  fs::path empty = copy_fixture("tiny-bert-base");
  std::ofstream(empty / "model.safetensors", std::ios::trunc).close();
  expect_clean_error(
      "predict --model " + testing::shell_quote(empty) + " --input " + testing::shell_quote(input),
      "too short");
}

TEST_F(CliTest, ConfigProblemsNameTheKey) {
  fs::path input = dir_ / "in.txt";
  std::ofstream(input) << "hello\n";
  auto edit_config = [&](const std::string& name, const std::function<void(Json&)>& edit) {
    fs::path model = dir_ / ("edited-" + std::to_string(std::rand()));
    fs::copy(testing::fixtures_dir() / name, model, fs::copy_options::recursive);
    Json config = parse_json_file(model / "config.json");
    edit(config);
    std::ofstream(model / "config.json", std::ios::trunc) << config.dump(2);
    return model;
  };
  // A config that does not match the weights: the tensor and both shapes are named.
  fs::path mismatch = edit_config("tiny-bert", [](Json& c) { c["intermediate_size"] = 48; });
  expect_clean_error("predict --model " + testing::shell_quote(mismatch) + " --input " +
                         testing::shell_quote(input),
                     "'bert.encoder.layer.0.intermediate.dense.weight' has shape [47, 30]");
  fs::path labels = edit_config("tiny-distilbert", [](Json& c) {
    c["id2label"] = {{"0", "a"}, {"1", "b"}};
  });
  expect_clean_error(
      "predict --model " + testing::shell_quote(labels) + " --input " + testing::shell_quote(input),
      "2 labels");
  fs::path gpt2 = edit_config("tiny-bert", [](Json& c) { c["model_type"] = "gpt2"; });
  expect_clean_error(
      "predict --model " + testing::shell_quote(gpt2) + " --input " + testing::shell_quote(input),
      "model_type': 'gpt2' is not supported (supported: bert, distilbert, roberta, xlm-roberta, "
      "camembert, electra, modernbert)");
  // A BERT checkpoint declared as RoBERTa: its keys do not fit the family, named.
  fs::path roberta = edit_config("tiny-bert", [](Json& c) { c["model_type"] = "roberta"; });
  expect_clean_error("predict --model " + testing::shell_quote(roberta) + " --input " +
                         testing::shell_quote(input),
                     "tensor(s) that a roberta model with this config.json needs: "
                     "roberta.embeddings.word_embeddings.weight");
  fs::path broken = copy_fixture("tiny-bert-gelu-tanh");
  std::ofstream(broken / "config.json", std::ios::trunc)
      << "{\"model_type\": \"bert\",\n \"hidden_size\": }";
  expect_clean_error(
      "predict --model " + testing::shell_quote(broken) + " --input " + testing::shell_quote(input),
      "config.json: invalid JSON at line 2");
}

TEST_F(CliTest, InvalidUtf8InputNamesTheLine) {
  fs::path input = dir_ / "in.txt";
  std::ofstream(input, std::ios::binary) << "fine\nalso fine\nbad \xff byte\n";
  fs::path model = testing::fixtures_dir() / "tiny-bert";
  expect_clean_error(
      "predict --model " + testing::shell_quote(model) + " --input " + testing::shell_quote(input),
      ":3");
  expect_clean_error(
      "tokenize --model " + testing::shell_quote(model) + " --input " + testing::shell_quote(input),
      "UTF-8");
}

TEST_F(CliTest, LimitsAreEnforcedWithAClearMessage) {
  fs::path input = dir_ / "in.txt";
  std::ofstream(input) << "hello\n";
  fs::path model = testing::fixtures_dir() / "tiny-bert";
  expect_clean_error("predict --model " + testing::shell_quote(model) + " --input " +
                         testing::shell_quote(input) + " --max-length 100000",
                     "max_position_embeddings");
  // Without a usable GPU: "no CUDA support" in a CPU build, "no CUDA device" in a CUDA build.
  if (kernels::cuda::device_count() == 0) {
    expect_clean_error("predict --model " + testing::shell_quote(model) + " --input " +
                           testing::shell_quote(input) + " --device cuda",
                       kernels::cuda::built_with_cuda() ? "no CUDA device" : "no CUDA support");
  }
  expect_clean_error("predict --model " + testing::shell_quote(model) + " --input " +
                         testing::shell_quote(input) + " --device tpu",
                     "--device");
}

TEST_F(CliTest, LongTextsAreTruncatedToTheModelLimitWithANotice) {
  fs::path input = dir_ / "in.txt";
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += "i feel ";
  std::ofstream(input) << long_text << "\nshort\n";
  CommandResult r = testing::run_finetune(
      "predict --json --model " + testing::shell_quote(testing::fixtures_dir() / "tiny-bert") +
      " --input " + testing::shell_quote(input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_of(r.out).size(), 2u);
  EXPECT_NE(r.err.find("1 of 2 texts were truncated to 48 tokens"), std::string::npos) << r.err;
}

TEST_F(CliTest, EmptyInputGivesEmptyOutput) {
  fs::path input = dir_ / "empty.txt";
  std::ofstream(input).close();
  CommandResult r = testing::run_finetune(
      "predict --model " + testing::shell_quote(testing::fixtures_dir() / "tiny-bert") +
      " --input " + testing::shell_quote(input));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
}

}  // namespace
}  // namespace finetune
