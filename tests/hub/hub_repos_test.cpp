// Hub models and datasets by name, through the mirror: which files a model fetches (and which
// it does not), loading the fetched snapshot, and reading dataset splits resolved by each rule
// (card configs, the Parquet export branch, file names), shards joined in order, --limit across
// shards, ClassLabel names, and the same results offline.
#include <gtest/gtest.h>

#include <cstring>

#include "core/log.h"
#include "hub/client.h"
#include "hub/dataset.h"
#include "hub/model.h"
#include "hub_mirror.h"
#include "io/file.h"
#include "model/model.h"
#include "test_paths.h"
#include "tokenizer/tokenizer.h"

namespace finetune {
namespace {

namespace fs = std::filesystem;
using testing::HubMirror;
using testing::MirrorFile;

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

class HubReposTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::add_standard_repos(mirror_);
    cache_ = testing::make_temp_dir("hub-repos");
    previous_sink_ = set_log_sink([](LogLevel, const std::string&) {});
  }
  void TearDown() override {
    set_log_sink(previous_sink_);
    fs::remove_all(cache_);
  }
  HubClient client(bool offline = false) const {
    HubSettings s;
    s.endpoint = mirror_.endpoint();
    s.cache = cache_;
    s.offline = offline;
    s.progress = false;
    s.retry_delay = std::chrono::milliseconds(1);
    return HubClient(s);
  }
  std::vector<std::string> fetched_paths() const {
    std::vector<std::string> paths;
    for (const auto& r : mirror_.requests()) {
      if (r.method == "HEAD")
        paths.push_back(r.path.substr(r.path.find("/resolve/") + 50));  // after the commit
    }
    return paths;
  }

  HubMirror mirror_;
  fs::path cache_;
  LogSink previous_sink_;
};

TEST_F(HubReposTest, AModelFetchesConfigWeightsAndTokenizerOnly) {
  HubClient hub = client();
  HubModel model = fetch_hub_model(hub, "org/tiny-distilbert", "main");
  EXPECT_EQ(model.files,
            (std::vector<std::string>{"config.json", "model.safetensors", "tokenizer.json",
                                      "tokenizer_config.json", "vocab.txt"}));
  EXPECT_EQ(fetched_paths(), model.files);  // README.md and .gitattributes stay on the hub
  Model loaded = load_model(model.directory, 3);
  Model fixture = load_model(testing::fixtures_dir() / "tiny-distilbert", 3);
  ASSERT_EQ(loaded.store.count(), fixture.store.count());
  EXPECT_EQ(std::memcmp(loaded.store.flat().data, fixture.store.flat().data,
                        static_cast<size_t>(fixture.store.count()) * 4),
            0);

  // Only the tokenizer side, for `finetune tokenize`.
  fs::remove_all(cache_);
  mirror_.clear_requests();
  HubModel light = fetch_hub_model(hub, "org/tiny-distilbert", "main", /*weights=*/false);
  EXPECT_EQ(light.files, (std::vector<std::string>{"config.json", "tokenizer.json",
                                                   "tokenizer_config.json", "vocab.txt"}));
}

// RoBERTa's vocab.json + merges.txt and CamemBERT's sentencepiece.bpe.model, in repositories
// without a tokenizer.json: fetched, and the model and tokenizer load from the snapshot.
TEST_F(HubReposTest, LegacyTokenizerFilesAreFetched) {
  HubClient hub = client();
  HubModel roberta = fetch_hub_model(hub, "org/tiny-roberta", "main");
  EXPECT_EQ(roberta.files,
            (std::vector<std::string>{"config.json", "model.safetensors", "tokenizer_config.json",
                                      "vocab.json", "merges.txt"}));
  HubModel camembert = fetch_hub_model(hub, "org/tiny-camembert", "main");
  EXPECT_EQ(camembert.files,
            (std::vector<std::string>{"config.json", "model.safetensors", "tokenizer_config.json",
                                      "sentencepiece.bpe.model"}));
  for (const HubModel* m : {&roberta, &camembert}) {
    Model model = load_model(m->directory, 1);
    Tokenizer tokenizer = Tokenizer::from_directory(m->directory);
    EXPECT_FALSE(tokenizer.encode("i feel fine", 0).ids.empty());
    EXPECT_EQ(model.load_report.fresh.size(), 0u);
  }
}

TEST_F(HubReposTest, PytorchBinAndShardedCheckpointsAreFetchedWhole) {
  HubClient hub = client();
  HubModel bin = fetch_hub_model(hub, "org/tiny-bert-bin", "main");
  EXPECT_EQ(bin.files[1], "pytorch_model.bin");
  Model loaded = load_model(bin.directory, 1);
  Model twin = load_model(testing::fixtures_dir() / "tiny-bert", 1);
  EXPECT_EQ(std::memcmp(loaded.store.flat().data, twin.store.flat().data,
                        static_cast<size_t>(twin.store.count()) * 4),
            0);

  // A sharded safetensors checkpoint: the index and every shard it names.
  std::vector<MirrorFile> files =
      testing::mirror_files_from_directory(testing::fixtures_dir() / "tiny-bert");
  for (auto& f : files) {
    if (f.path == "model.safetensors") f.path = "model-00001-of-00001.safetensors";
  }
  files.push_back({"model.safetensors.index.json",
                   R"({"metadata": {}, "weight_map": {"a": "model-00001-of-00001.safetensors"}})",
                   false});
  files.push_back({"pytorch_model.bin", "never fetched: safetensors come first", true});
  mirror_.add_commit(false, "org/sharded", files);
  HubModel sharded = fetch_hub_model(hub, "org/sharded", "main");
  EXPECT_EQ(sharded.files[1], "model.safetensors.index.json");
  EXPECT_EQ(sharded.files[2], "model-00001-of-00001.safetensors");
  EXPECT_EQ(std::count(sharded.files.begin(), sharded.files.end(), "pytorch_model.bin"), 0);
  EXPECT_NO_THROW(load_model(sharded.directory, 1));
}

TEST_F(HubReposTest, ModelsWithoutConfigOrWeightsAreRefusedByName) {
  mirror_.add_commit(false, "org/onnx-only",
                     {{"config.json", "{}", false}, {"model.onnx", "x", true}});
  mirror_.add_commit(false, "org/no-config", {{"model.safetensors", "x", true}});
  HubClient hub = client();
  EXPECT_NE(error_of([&] {
              fetch_hub_model(hub, "org/onnx-only", "main");
            }).find("has no weights finetune reads"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] { fetch_hub_model(hub, "org/no-config", "main"); }).find("has no config.json"),
      std::string::npos);
}

TEST_F(HubReposTest, RevisionsPinABranchTagOrCommit) {
  const std::string v1 =
      mirror_.add_commit(false, "org/versions", {{"config.json", "{\"v\": 1}", false}}, {"v1"});
  const std::string v2 =
      mirror_.add_commit(false, "org/versions", {{"config.json", "{\"v\": 2}", false}}, {"main"});
  HubClient hub = client();
  const RepoId repo{RepoType::kModel, "org/versions"};
  EXPECT_EQ(read_file(hub.fetch_file(repo, hub.resolve_commit(repo, "v1"), "config.json")),
            "{\"v\": 1}");
  EXPECT_EQ(read_file(hub.fetch_file(repo, hub.resolve_commit(repo, "main"), "config.json")),
            "{\"v\": 2}");
  EXPECT_EQ(hub.resolve_commit(repo, v1), v1);
  EXPECT_EQ(read_file(cache_ / "models--org--versions" / "refs" / "v1"), v1);
  EXPECT_EQ(read_file(cache_ / "models--org--versions" / "refs" / "main"), v2);
}

TEST_F(HubReposTest, EmotionByNameEqualsTheLocalParquetSplits) {
  HubClient hub = client();
  for (const std::string split : {"train", "validation"}) {
    SCOPED_TRACE(split);
    HubDatasetSpec spec;
    spec.repo = "org/emotion";
    spec.split = split;
    Dataset hubbed = read_hub_dataset(hub, spec, {});
    Dataset local =
        read_dataset(testing::shared_dir() / "data" / "emotion" / (split + ".parquet"), {});
    EXPECT_EQ(hubbed.texts, local.texts);
    EXPECT_EQ(hubbed.label_ids, local.label_ids);
    ASSERT_TRUE(hubbed.class_names.has_value());
    EXPECT_EQ(*hubbed.class_names,
              (std::vector<std::string>{"sadness", "joy", "love", "anger", "fear", "surprise"}));
    EXPECT_EQ(hubbed.path.string(), "org/emotion (" + split + " split, config split)");
    EXPECT_NE(hubbed.where(3).find("split/" + split + "-00000-of-00001.parquet: row 3"),
              std::string::npos)
        << hubbed.where(3);
  }
  // Offline: the same rows, no request.
  mirror_.clear_requests();
  HubClient offline = client(true);
  HubDatasetSpec spec;
  spec.repo = "org/emotion";
  spec.split = "validation";
  EXPECT_EQ(read_hub_dataset(offline, spec, {}).size(), 2000u);
  EXPECT_EQ(mirror_.request_count(), 0u);
}

TEST_F(HubReposTest, ShardsAreJoinedInOrderAndLimitStopsEarly) {
  mirror_.add_commit(
      true, "org/shards",
      {{"data/train-00001-of-00002.jsonl", "{\"text\": \"c\", \"label\": \"pos\"}\n", false},
       {"data/train-00000-of-00002.jsonl",
        "{\"text\": \"a\", \"label\": \"neg\"}\n{\"text\": \"b\", \"label\": \"pos\"}\n", false},
       {"data/test-00000-of-00001.jsonl", "{\"text\": \"t\", \"label\": \"neg\"}\n", false}});
  HubClient hub = client();
  HubDatasetSpec spec;
  spec.repo = "org/shards";
  Dataset train = read_hub_dataset(hub, spec, {});
  EXPECT_EQ(train.texts, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(train.label_names, (std::vector<std::string>{"neg", "pos", "pos"}));
  EXPECT_NE(train.where(2).find("train-00001-of-00002.jsonl:1"), std::string::npos)
      << train.where(2);
  EXPECT_NE(train.where(1).find("train-00000-of-00002.jsonl:2"), std::string::npos)
      << train.where(1);

  // --limit 2 is met by the first shard: the second is never downloaded.
  fs::remove_all(cache_);
  mirror_.clear_requests();
  DatasetOptions limited;
  limited.limit = 2;
  EXPECT_EQ(read_hub_dataset(hub, spec, limited).size(), 2u);
  EXPECT_EQ(mirror_.count("train-00001-of-00002"), 0u);
  spec.split = "test";
  EXPECT_EQ(read_hub_dataset(hub, spec, {}).texts, std::vector<std::string>{"t"});
}

TEST_F(HubReposTest, AScriptDatasetIsReadFromItsParquetExport) {
  const fs::path emotion = testing::shared_dir() / "data" / "emotion";
  mirror_.add_commit(
      true, "org/scripted",
      {{"README.md", "# no front matter\n", false}, {"scripted.py", "import datasets\n", false}});
  mirror_.add_commit(
      true, "org/scripted",
      {{"default/train/0000.parquet", read_file(emotion / "validation.parquet"), true},
       {"default/validation/0000.parquet", read_file(emotion / "validation.parquet"), true}},
      {"refs/convert/parquet"});
  HubClient hub = client();
  HubDatasetSpec spec;
  spec.repo = "org/scripted";
  spec.split = "validation";
  Dataset data = read_hub_dataset(hub, spec, {});
  EXPECT_EQ(data.size(), 2000u);
  EXPECT_EQ(data.path.string(), "org/scripted (validation split, config default)");
  // Cached like huggingface_hub caches it: refs/refs/convert/parquet.
  EXPECT_TRUE(
      fs::exists(cache_ / "datasets--org--scripted" / "refs" / "refs" / "convert" / "parquet"));
  mirror_.clear_requests();
  EXPECT_EQ(read_hub_dataset(*std::make_unique<HubClient>(client(true)), spec, {}).size(), 2000u);
  EXPECT_EQ(mirror_.request_count(), 0u);
}

TEST_F(HubReposTest, DatasetErrorsNameTheRepoAndTheChoices) {
  HubClient hub = client();
  HubDatasetSpec spec;
  spec.repo = "org/emotion";
  spec.split = "test";
  EXPECT_NE(error_of([&] {
              read_hub_dataset(hub, spec, {});
            }).find("has no split 'test'; its splits: train, validation"),
            std::string::npos);
  spec.split = "train";
  spec.config = "nope";
  EXPECT_NE(error_of([&] { read_hub_dataset(hub, spec, {}); }).find("no configuration 'nope'"),
            std::string::npos);
  spec.config = "unsplit";  // declared by the card, but the mirror has no unsplit/ files
  EXPECT_NE(error_of([&] { read_hub_dataset(hub, spec, {}); }).find("matches no data file"),
            std::string::npos);
  spec = HubDatasetSpec{};
  spec.repo = "org/missing";
  EXPECT_NE(error_of([&] {
              read_hub_dataset(hub, spec, {});
            }).find("dataset 'org/missing' was not found"),
            std::string::npos);
}

}  // namespace
}  // namespace finetune
