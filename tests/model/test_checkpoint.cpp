// Checkpoint loading beyond the fixtures as saved: sharded checkpoints, legacy LayerNorm names
// (gamma/beta), tensors missing, duplicated or of the wrong dtype, and save/load round trips
// that keep transformers' key set.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <set>

#include "core/log.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "model/model.h"
#include "test_paths.h"

namespace finetune {
namespace {

namespace fs = std::filesystem;

// All tensors of a safetensors file, copied so they can be rewritten under other names.
struct OwnedTensor {
  std::string name;
  StDType dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

std::vector<OwnedTensor> read_all(const fs::path& path) {
  SafetensorsFile file(path);
  std::vector<OwnedTensor> out;
  for (const auto& info : file.tensors()) {
    const uint8_t* begin = file.bytes(info);
    out.push_back({info.name, info.dtype, info.shape,
                   std::vector<uint8_t>(begin, begin + (info.end - info.begin))});
  }
  return out;
}

void write_all(const fs::path& path, const std::vector<OwnedTensor>& tensors) {
  std::vector<StTensorToWrite> list;
  for (const auto& t : tensors) list.push_back({t.name, t.dtype, t.shape, t.bytes.data()});
  write_safetensors(path, list, {{"format", "pt"}});
}

// Copies a fixture's non-weight files into a fresh directory.
fs::path copy_without_weights(const std::string& fixture, const fs::path& dir) {
  fs::path target = dir / fixture;
  fs::create_directories(target);
  for (const auto& entry : fs::directory_iterator(testing::fixtures_dir() / fixture)) {
    if (entry.path().filename() != "model.safetensors")
      fs::copy(entry.path(), target / entry.path().filename());
  }
  return target;
}

std::vector<float> all_parameters(Model& model) {
  return std::vector<float>(model.store.data(), model.store.data() + model.store.count());
}

std::string load_error(const fs::path& dir) {
  try {
    load_model(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir("checkpoint");
    previous_ = set_log_sink([this](LogLevel, const std::string& m) { log_ += m + "\n"; });
  }
  void TearDown() override {
    set_log_sink(previous_);
    fs::remove_all(dir_);
  }
  fs::path dir_;
  std::string log_;
  LogSink previous_;
};

TEST_F(CheckpointTest, ShardedCheckpointLoadsLikeOneFile) {
  Model whole = load_model(testing::fixtures_dir() / "tiny-bert");
  auto tensors = read_all(testing::fixtures_dir() / "tiny-bert/model.safetensors");
  fs::path dir = copy_without_weights("tiny-bert", dir_);
  std::vector<OwnedTensor> first(tensors.begin(), tensors.begin() + tensors.size() / 2);
  std::vector<OwnedTensor> second(tensors.begin() + tensors.size() / 2, tensors.end());
  write_all(dir / "model-00001-of-00002.safetensors", first);
  write_all(dir / "model-00002-of-00002.safetensors", second);
  Json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", Json::object()}};
  for (const auto& t : first) index["weight_map"][t.name] = "model-00001-of-00002.safetensors";
  for (const auto& t : second) index["weight_map"][t.name] = "model-00002-of-00002.safetensors";
  std::ofstream(dir / "model.safetensors.index.json") << index.dump();

  Model sharded = load_model(dir);
  EXPECT_EQ(all_parameters(sharded), all_parameters(whole));
}

TEST_F(CheckpointTest, ShardIndexRefusesPathsOutsideTheDirectory) {
  fs::path dir = copy_without_weights("tiny-bert", dir_);
  std::ofstream(dir / "model.safetensors.index.json")
      << R"({"weight_map": {"classifier.weight": "../elsewhere.safetensors"}})";
  EXPECT_NE(load_error(dir).find("plain file name"), std::string::npos) << load_error(dir);
}

TEST_F(CheckpointTest, LegacyGammaBetaNamesLoad) {
  Model modern = load_model(testing::fixtures_dir() / "tiny-bert");
  auto tensors = read_all(testing::fixtures_dir() / "tiny-bert/model.safetensors");
  int renamed = 0;
  for (auto& t : tensors) {
    for (auto [from, to] :
         {std::pair{"LayerNorm.weight", "LayerNorm.gamma"}, {"LayerNorm.bias", "LayerNorm.beta"}}) {
      size_t at = t.name.find(from);
      if (at != std::string::npos) {
        t.name.replace(at, std::string(from).size(), to);
        ++renamed;
      }
    }
  }
  ASSERT_EQ(renamed, 2 * (1 + 2 * 2));  // embeddings + two per layer, weight and bias
  fs::path dir = copy_without_weights("tiny-bert", dir_);
  write_all(dir / "model.safetensors", tensors);
  Model legacy = load_model(dir);
  EXPECT_EQ(all_parameters(legacy), all_parameters(modern));
  EXPECT_EQ(log_.find("ignored"), std::string::npos) << log_;
}

TEST_F(CheckpointTest, MissingEncoderTensorIsNamed) {
  auto tensors = read_all(testing::fixtures_dir() / "tiny-distilbert/model.safetensors");
  std::erase_if(tensors, [](const OwnedTensor& t) {
    return t.name == "distilbert.transformer.layer.1.ffn.lin2.weight";
  });
  fs::path dir = copy_without_weights("tiny-distilbert", dir_);
  write_all(dir / "model.safetensors", tensors);
  std::string message = load_error(dir);
  EXPECT_NE(message.find("missing 1 tensor"), std::string::npos) << message;
  EXPECT_NE(message.find("distilbert.transformer.layer.1.ffn.lin2.weight"), std::string::npos)
      << message;
}

// Checkpoints that do not fit their family's shapes or keys: one error naming the tensor.
TEST_F(CheckpointTest, ANewFamilysMismatchedTensorIsNamed) {
  // ELECTRA declared with embeddings as wide as the hidden size: the tables are 8 wide.
  fs::path electra = copy_without_weights("tiny-electra", dir_);
  fs::copy_file(testing::fixtures_dir() / "tiny-electra/model.safetensors",
                electra / "model.safetensors");
  Json config = parse_json_file(electra / "config.json");
  config["embedding_size"] = 16;
  std::ofstream(electra / "config.json", std::ios::trunc) << config.dump(2);
  std::string message = load_error(electra);
  EXPECT_NE(
      message.find(
          "'electra.embeddings.word_embeddings.weight' has shape [415, 8] but the configuration "
          "implies [415, 16]"),
      std::string::npos)
      << message;

  // RoBERTa without its position table.
  auto tensors = read_all(testing::fixtures_dir() / "tiny-roberta/model.safetensors");
  std::erase_if(tensors, [](const OwnedTensor& t) {
    return t.name == "roberta.embeddings.position_embeddings.weight";
  });
  fs::path roberta = copy_without_weights("tiny-roberta", dir_);
  write_all(roberta / "model.safetensors", tensors);
  message = load_error(roberta);
  EXPECT_NE(message.find("missing 1 tensor(s) that a roberta model with this config.json needs: "
                         "roberta.embeddings.position_embeddings.weight"),
            std::string::npos)
      << message;
}

TEST_F(CheckpointTest, TensorInTwoShardsIsRefused) {
  auto tensors = read_all(testing::fixtures_dir() / "tiny-bert/model.safetensors");
  fs::path dir = copy_without_weights("tiny-bert", dir_);
  write_all(dir / "a.safetensors", tensors);
  write_all(dir / "b.safetensors", {tensors[0]});
  Json index = {{"weight_map", Json::object()}};
  for (const auto& t : tensors) index["weight_map"][t.name] = "a.safetensors";
  index["weight_map"]["extra"] = "b.safetensors";
  std::ofstream(dir / "model.safetensors.index.json") << index.dump();
  std::string message = load_error(dir);
  EXPECT_NE(message.find("appears in both"), std::string::npos) << message;
}

TEST_F(CheckpointTest, IntegerParameterIsRefused) {
  auto tensors = read_all(testing::fixtures_dir() / "tiny-bert/model.safetensors");
  for (auto& t : tensors) {
    if (t.name == "classifier.bias") t.dtype = StDType::I32;  // same byte size as F32
  }
  fs::path dir = copy_without_weights("tiny-bert", dir_);
  write_all(dir / "model.safetensors", tensors);
  std::string message = load_error(dir);
  EXPECT_NE(message.find("'classifier.bias' has dtype I32"), std::string::npos) << message;
}

TEST_F(CheckpointTest, PositionIdsBufferIsIgnoredQuietly) {
  auto tensors = read_all(testing::fixtures_dir() / "tiny-bert-base/model.safetensors");
  std::vector<int64_t> positions(48);
  for (int i = 0; i < 48; ++i) positions[i] = i;
  OwnedTensor ids{"embeddings.position_ids", StDType::I64, {1, 48}, {}};
  ids.bytes.resize(48 * 8);
  std::memcpy(ids.bytes.data(), positions.data(), ids.bytes.size());
  tensors.push_back(ids);
  fs::path dir = copy_without_weights("tiny-bert-base", dir_);
  write_all(dir / "model.safetensors", tensors);
  Model model = load_model(dir);
  EXPECT_TRUE(model.load_report.ignored.empty());
}

TEST_F(CheckpointTest, SaveThenLoadGivesTheSameModelAndTransformersKeys) {
  for (std::string name : {"tiny-bert", "tiny-distilbert", "tiny-bert-mlm"}) {
    Model model = load_model(testing::fixtures_dir() / name, /*seed=*/7);
    fs::path dir = copy_without_weights(name, dir_);
    std::ofstream(dir / "config.json", std::ios::trunc) << config_to_json(model.config).dump(2);
    save_weights(dir / "model.safetensors", model.config, model.params());
    Model again = load_model(dir);
    EXPECT_EQ(all_parameters(again), all_parameters(model)) << name;
    EXPECT_TRUE(again.load_report.fresh.empty()) << name;
    EXPECT_TRUE(again.load_report.ignored.empty()) << name;
    if (name != "tiny-bert-mlm") {  // a classification fixture: the same keys as transformers wrote
      std::set<std::string> ours, theirs;
      SafetensorsFile saved(dir / "model.safetensors");
      SafetensorsFile original(testing::fixtures_dir() / name / "model.safetensors");
      for (const auto& t : saved.tensors()) ours.insert(t.name);
      for (const auto& t : original.tensors()) theirs.insert(t.name);
      EXPECT_EQ(ours, theirs) << name;
    }
  }
}

TEST_F(CheckpointTest, FreshHeadIsSeededAndScaledLikeTransformers) {
  Model a = load_model(testing::fixtures_dir() / "tiny-distilbert-base", 1);
  Model b = load_model(testing::fixtures_dir() / "tiny-distilbert-base", 1);
  Model c = load_model(testing::fixtures_dir() / "tiny-distilbert-base", 2);
  EXPECT_EQ(all_parameters(a), all_parameters(b));
  EXPECT_NE(all_parameters(a), all_parameters(c));
  const Tensor& w = a.params().head.out.weight;
  double sum = 0, squares = 0;
  for (int64_t i = 0; i < w.numel(); ++i) {
    sum += w.f32()[i];
    squares += double(w.f32()[i]) * w.f32()[i];
  }
  double n = static_cast<double>(w.numel());
  double std_dev = std::sqrt(squares / n - (sum / n) * (sum / n));
  // normal(0, 0.02) over 2 x 36 draws: the sample std lies within 0.02 +- 25% with near certainty.
  EXPECT_NEAR(std_dev, a.config.initializer_range, 0.005);
  for (int64_t i = 0; i < a.params().head.out.bias.numel(); ++i) {
    EXPECT_EQ(a.params().head.out.bias.f32()[i], 0.0f);
  }
}

}  // namespace
}  // namespace finetune
