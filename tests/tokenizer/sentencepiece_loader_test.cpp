// The SentencePiece loader (src/tokenizer/loaders/sentencepiece.cpp) against transformers.
//
// tests/data/tokenizer/spm_pipelines.json (tools/make_spm_pipeline_goldens.py) holds, for each
// case, a SentencePiece model (a fixture, optionally edited), the files beside it and the
// tokenizer.json document transformers 5.24's AutoTokenizer built from them (to_str(), with
// the vocabulary and charsmap summarized by digests), or the fact that transformers raised. Each
// case's directory is recreated here, and sentencepiece_tokenizer_json() must produce the same
// document, or an Error where transformers raised. The encodings themselves are checked by
// fixture_golden_test.cpp once the Unigram, Metaspace and Precompiled components exist.
//
// Then hostile model files and configurations: each must be one Error naming the file (and the
// key), never a crash or a silently wrong tokenizer.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "core/error.h"
#include "io/file.h"
#include "io/json.h"
#include "io/sha256.h"
#include "tokenizer/loaders/sentencepiece.h"
#include "tokenizer/loaders/sentencepiece_model.pb.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer_test_util.h"

namespace finetune::testing {
namespace {

namespace fs = std::filesystem;
namespace spm = finetune::sentencepiece;

const Json& goldens() {
  static const Json document = parse_json_file(golden_dir() / "spm_pipelines.json");
  return document;
}

fs::path tokenizer_fixture(const std::string& name) {
  return fixtures_dir() / "tokenizers" / name;
}

void write_bytes(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

spm::ModelProto read_proto(const fs::path& path) {
  spm::ModelProto proto;
  EXPECT_TRUE(proto.ParseFromString(read_file(path))) << path;
  return proto;
}

// The golden's "model_edits", applied as the script applies them with SentencePiece's schema.
std::string edited_model(const fs::path& source, const Json& edits) {
  spm::ModelProto proto = read_proto(source);
  if (edits.contains("model_type")) {
    proto.mutable_trainer_spec()->set_model_type(
        static_cast<spm::TrainerSpec::ModelType>(edits["model_type"].get<int>()));
  }
  if (edits.contains("precompiled_charsmap")) {
    proto.mutable_normalizer_spec()->set_precompiled_charsmap(
        edits["precompiled_charsmap"].get<std::string>());
  }
  if (edits.contains("piece_types")) {
    for (auto it = edits["piece_types"].begin(); it != edits["piece_types"].end(); ++it) {
      proto.mutable_pieces(std::stoi(it.key()))
          ->set_type(static_cast<spm::ModelProto::SentencePiece::Type>(it.value().get<int>()));
    }
  }
  return proto.SerializeAsString();
}

// The script's summary: Unigram vocabularies and charsmaps replaced by their digests.
Json summarize(const Json& node) {
  if (node.is_object()) {
    Json out = Json::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it.key() == "vocab" && node.value("type", "") == "Unigram") {
        Sha256 digest;
        for (const Json& entry : it.value()) {
          const std::string piece = entry[0].get<std::string>();
          const double score = entry[1].get<double>();
          uint64_t bits;
          std::memcpy(&bits, &score, sizeof bits);
          unsigned char le[8];
          for (int k = 0; k < 8; ++k) le[k] = static_cast<unsigned char>(bits >> (8 * k));
          digest.update(piece.data(), piece.size());
          digest.update("\0", 1);
          digest.update(le, 8);
        }
        const Json& vocab = it.value();
        Json head = Json::array(), tail = Json::array();
        for (size_t i = 0; i < std::min<size_t>(6, vocab.size()); ++i) head.push_back(vocab[i]);
        for (size_t i = vocab.size() >= 2 ? vocab.size() - 2 : 0; i < vocab.size(); ++i)
          tail.push_back(vocab[i]);
        out[it.key()] = {{"entries", vocab.size()},
                         {"sha256", digest.finish_hex()},
                         {"head", head},
                         {"tail", tail}};
      } else if (it.key() == "precompiled_charsmap" && it.value().is_string()) {
        const std::string text = it.value().get<std::string>();
        out[it.key()] = {{"base64_chars", text.size()}, {"sha256", sha256_hex(text)}};
      } else {
        out[it.key()] = summarize(it.value());
      }
    }
    return out;
  }
  if (node.is_array()) {
    Json out = Json::array();
    for (const Json& item : node) out.push_back(summarize(item));
    return out;
  }
  return node;
}

// A case's directory: its model (edited) and files. Returns the model path.
fs::path materialize(const Json& spec, const fs::path& dir) {
  const fs::path source = repo_root() / spec["model"].get<std::string>();
  const fs::path model = dir / spec["model_file"].get<std::string>();
  if (spec.contains("model_edits")) {
    write_bytes(model, edited_model(source, spec["model_edits"]));
  } else {
    fs::copy_file(source, model);
  }
  for (auto it = spec["files"].begin(); it != spec["files"].end(); ++it) {
    write_bytes(dir / it.key(), it.value().get<std::string>());
  }
  return model;
}

fs::path config_of(const fs::path& dir) {
  return fs::is_regular_file(dir / "tokenizer_config.json") ? dir / "tokenizer_config.json"
                                                            : fs::path();
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const Json& c : goldens()["cases"]) names.push_back(c["name"].get<std::string>());
  return names;
}

const Json& case_named(const std::string& name) {
  for (const Json& c : goldens()["cases"]) {
    if (c["name"] == name) return c;
  }
  throw std::runtime_error("no case " + name);
}

class SpmPipelineGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(SpmPipelineGolden, DocumentEqualsTransformers) {
  const Json& spec = case_named(GetParam());
  const fs::path dir = make_temp_dir("spm-case");
  const fs::path model = materialize(spec, dir);
  if (spec.contains("error")) {
    // transformers raised; we must refuse too, with an Error that names a file.
    try {
      sentencepiece_tokenizer_json(model, config_of(dir));
      ADD_FAILURE() << "transformers raised (" << spec["error"].get<std::string>()
                    << ") but the loader did not";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(dir.string()), std::string::npos) << e.what();
    }
  } else {
    Json actual = summarize(sentencepiece_tokenizer_json(model, config_of(dir)));
    const Json& expected = spec["expected"];
    // Only the differences are printed: the documents are long.
    EXPECT_TRUE(actual == expected)
        << "differences (JSON patch from transformers' document to ours): "
        << Json::diff(expected, actual).dump(1);
  }
  fs::remove_all(dir);
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name;
  for (char c : info.param) name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return name + "_" + std::to_string(info.index);
}

INSTANTIATE_TEST_SUITE_P(Cases, SpmPipelineGolden, ::testing::ValuesIn(case_names()), test_name);

TEST(SpmPipelineGolden, CoversTheFixturesAndWasMadeByThePinnedVersions) {
  EXPECT_EQ(goldens()["versions"]["transformers"], "5.24.0");
  EXPECT_EQ(goldens()["versions"]["tokenizers"], "0.23.3");
  for (const char* name :
       {"xlmr-unigram-spm", "deberta-v3-spm", "camembert-spm", "albert-unigram spiece.model"}) {
    EXPECT_NO_THROW(case_named(name)) << name;
  }
}

// The fixtures' directories as they are (no copy): the same document as the golden's, and the
// same pipeline (minus the vocabulary) as manifest.json recorded when the fixtures were made.
TEST(SentencePieceLoader, FixtureDirectoriesMatchGoldenAndManifest) {
  const Json manifest = parse_json_file(tokenizer_fixture("manifest.json"));
  for (const char* name : {"xlmr-unigram-spm", "deberta-v3-spm", "camembert-spm"}) {
    SCOPED_TRACE(name);
    const fs::path dir = tokenizer_fixture(name);
    fs::path model;
    for (const char* file : {"spm.model", "sentencepiece.bpe.model", "spiece.model"}) {
      if (fs::is_regular_file(dir / file)) model = dir / file;
    }
    Json document = sentencepiece_tokenizer_json(model, dir / "tokenizer_config.json");
    EXPECT_TRUE(summarize(document) == case_named(name)["expected"]);
    const Json& recorded = manifest["fixtures"][name]["pipeline"];
    EXPECT_EQ(document["added_tokens"], recorded["added_tokens"]);
    for (const char* part : {"pre_tokenizer", "post_processor", "decoder"})
      EXPECT_EQ(document[part], recorded["json"][part]) << part;
    EXPECT_EQ(document["model"]["unk_id"], recorded["json"]["model"]["unk_id"]);
    EXPECT_EQ(cat("<", document["model"]["vocab"].size(), " entries>"),
              recorded["json"]["model"]["vocab"]);
  }
}

// Through Tokenizer::from_directory: the added tokens keep their ids and the pad token is the
// configured one. Until the Unigram / Metaspace / Precompiled components exist the factory
// refuses the document, and the test says so.
TEST(SentencePieceLoader, FromDirectoryKeepsTheIds) {
  const Json manifest = parse_json_file(tokenizer_fixture("manifest.json"));
  for (const char* name : {"xlmr-unigram-spm", "deberta-v3-spm", "camembert-spm"}) {
    SCOPED_TRACE(name);
    std::optional<Tokenizer> tokenizer;
    try {
      tokenizer.emplace(Tokenizer::from_directory(tokenizer_fixture(name)));
    } catch (const Error& e) {
      const std::string message = e.what();
      if (message.find("is not supported (supported:") != std::string::npos) {
        GTEST_SKIP() << "the factory does not build this pipeline yet: " << message;
      }
      FAIL() << message;
    }
    for (const Json& token : manifest["fixtures"][name]["pipeline"]["added_tokens"]) {
      EXPECT_EQ(tokenizer->token_to_id(token["content"].get<std::string>()),
                token["id"].get<int32_t>());
    }
    EXPECT_EQ(tokenizer->pad_id(),
              manifest["fixtures"][name]["special_tokens"]["pad_token"][1].get<int32_t>());
  }
}

// ---------------------------------------------------------------------------------------------
// Hostile files.

// The message of the Error the loader throws for `model` (+ config), or a test failure.
std::string error_of(const fs::path& model, const fs::path& config = fs::path()) {
  return finetune::testing::error_of([&] { sentencepiece_tokenizer_json(model, config); });
}

void expect_contains(const std::string& message, const std::string& part) {
  EXPECT_NE(message.find(part), std::string::npos)
      << "message: " << message << "\nexpected to contain: " << part;
}

class SentencePieceHostile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("spm-hostile");
    source_ = tokenizer_fixture("deberta-v3-spm") / "spm.model";
    model_ = dir_ / "spm.model";
    config_ = dir_ / "tokenizer_config.json";
    write_bytes(config_, R"({"tokenizer_class": "DebertaV2Tokenizer"})");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write_model(const spm::ModelProto& proto) { write_bytes(model_, proto.SerializeAsString()); }

  fs::path dir_, source_, model_, config_;
};

TEST_F(SentencePieceHostile, NotAProtobufFile) {
  for (std::string bytes :
       {std::string("this is a text file, not a model\n"), std::string(R"({"pieces": []})"),
        std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16), std::string(64, '\xff')}) {
    write_bytes(model_, bytes);
    std::string message = error_of(model_, config_);
    expect_contains(message, model_.string() + ": not a SentencePiece model");
  }
}

TEST_F(SentencePieceHostile, EmptyFile) {
  write_bytes(model_, "");
  expect_contains(error_of(model_, config_),
                  model_.string() + ": the SentencePiece model file is empty");
}

TEST_F(SentencePieceHostile, TruncatedFile) {
  const std::string bytes = read_file(source_);
  for (size_t keep : {size_t{1}, size_t{7}, size_t{100}, bytes.size() / 2, bytes.size() - 300,
                      bytes.size() - 1}) {
    SCOPED_TRACE(keep);
    write_bytes(model_, std::string_view(bytes).substr(0, keep));
    std::string message = error_of(model_, config_);
    expect_contains(message, model_.string() + ": ");
    EXPECT_TRUE(message.find("truncated") != std::string::npos ||
                message.find("not a SentencePiece model") != std::string::npos)
        << message;
  }
  // Cut exactly between two pieces: valid protobuf, but no trainer_spec / normalizer_spec.
  spm::ModelProto proto = read_proto(source_);
  proto.clear_trainer_spec();
  proto.clear_normalizer_spec();
  proto.mutable_pieces()->DeleteSubrange(100, proto.pieces_size() - 100);
  write_model(proto);
  expect_contains(error_of(model_, config_),
                  model_.string() +
                      ": the SentencePiece model is truncated or incomplete: it has 100 pieces but "
                      "no trainer_spec");
}

TEST_F(SentencePieceHostile, NoUnknownPiece) {
  spm::ModelProto proto = read_proto(source_);
  const int unk = proto.trainer_spec().unk_id();
  ASSERT_EQ(proto.pieces(unk).type(), spm::ModelProto::SentencePiece::UNKNOWN);
  proto.mutable_pieces()->DeleteSubrange(unk, 1);  // the piece list without the unk piece
  write_model(proto);
  expect_contains(error_of(model_, config_),
                  model_.string() + ": the SentencePiece model has no unknown piece");

  proto = read_proto(source_);
  proto.mutable_pieces(unk)->set_type(spm::ModelProto::SentencePiece::NORMAL);
  write_model(proto);
  expect_contains(error_of(model_, config_),
                  model_.string() + ": the SentencePiece model has no unknown piece");
}

TEST_F(SentencePieceHostile, UnknownPieceDisagreesWithTrainerSpec) {
  spm::ModelProto proto = read_proto(source_);
  proto.mutable_trainer_spec()->set_unk_id(7);
  write_model(proto);
  expect_contains(error_of(model_, config_),
                  model_.string() + ": trainer_spec.unk_id is 7 (piece '");

  proto.mutable_trainer_spec()->set_unk_id(99999);
  write_model(proto);
  expect_contains(error_of(model_, config_), "trainer_spec.unk_id is 99999 (outside the pieces)");

  proto = read_proto(source_);
  proto.mutable_pieces(9)->set_type(spm::ModelProto::SentencePiece::UNKNOWN);
  write_model(proto);
  expect_contains(error_of(model_, config_),
                  model_.string() + ": the SentencePiece model has 2 pieces of type UNKNOWN");
}

TEST_F(SentencePieceHostile, NoPiecesOrBadPieces) {
  spm::ModelProto proto = read_proto(source_);
  proto.clear_pieces();
  write_model(proto);
  expect_contains(error_of(model_, config_),
                  model_.string() + ": not a SentencePiece model: it has no pieces");

  proto = read_proto(source_);
  proto.mutable_pieces(12)->set_piece("");
  write_model(proto);
  expect_contains(error_of(model_, config_), model_.string() + ": piece 12 is empty");

  proto = read_proto(source_);
  proto.mutable_pieces(13)->set_piece("ab\xC3(");
  write_model(proto);
  expect_contains(error_of(model_, config_),
                  model_.string() + ": piece 13 is not valid UTF-8 (byte 3)");
}

TEST_F(SentencePieceHostile, UnknownOrMissingClass) {
  fs::copy_file(source_, model_);
  write_bytes(config_, R"({"tokenizer_class": "T5Tokenizer"})");
  std::string message = error_of(model_, config_);
  expect_contains(message,
                  config_.string() + ": key 'tokenizer_class': 'T5Tokenizer' is not supported");
  expect_contains(message, "DebertaV2Tokenizer");

  write_bytes(config_, R"({"tokenizer_class": 42})");
  expect_contains(error_of(model_, config_),
                  config_.string() + ": key 'tokenizer_class': expected a string");

  write_bytes(config_, R"({"do_lower_case": false})");
  message = error_of(model_, config_);
  expect_contains(message, model_.string() + ": cannot tell which tokenizer class");
  expect_contains(message, config_.string() + " has no tokenizer_class");
  expect_contains(error_of(model_), "there is no tokenizer_config.json");

  write_bytes(dir_ / "config.json", R"({"model_type": "t5"})");
  expect_contains(
      error_of(model_, config_),
      (dir_ / "config.json").string() + ": key 'model_type': model_type 't5' is not supported");
  write_bytes(dir_ / "config.json", R"({"model_type": "deberta-v2"})");
  EXPECT_NO_THROW(sentencepiece_tokenizer_json(model_, config_));
}

TEST_F(SentencePieceHostile, BadConfigurationValues) {
  fs::copy_file(source_, model_);
  auto with = [&](const std::string& config_text) {
    write_bytes(config_, config_text);
    return error_of(model_, config_);
  };
  expect_contains(with("{\"tokenizer_class\": \"DebertaV2Tokenizer\""),
                  config_.string() + ": invalid JSON");
  expect_contains(with(R"(["DebertaV2Tokenizer"])"),
                  config_.string() + ": expected a tokenizer configuration");
  expect_contains(with(R"({"tokenizer_class": "DebertaV2Tokenizer", "do_lower_case": "yes"})"),
                  config_.string() + ": key 'do_lower_case': expected true or false");
  expect_contains(with(R"({"tokenizer_class": "DebertaV2Tokenizer", "mask_token": 5})"),
                  config_.string() + ": key 'mask_token': expected a token");
  expect_contains(
      with(R"({"tokenizer_class": "DebertaV2Tokenizer", "mask_token": {"lstrip": true}})"),
      config_.string() + ": key 'mask_token': key 'content': missing");
  expect_contains(
      with(
          R"({"tokenizer_class": "DebertaV2Tokenizer", "added_tokens_decoder": {"x": {"content": "a"}}})"),
      config_.string() + ": added_tokens_decoder: key 'x': expected a token id");
  expect_contains(
      with(R"({"tokenizer_class": "DebertaV2Tokenizer", "added_tokens_decoder": {"5": "a"}})"),
      config_.string() + ": added_tokens_decoder: key '5': expected a token object");
  expect_contains(with(R"({"tokenizer_class": "DebertaV2Tokenizer", "extra_special_tokens": [1]})"),
                  config_.string() + ": extra_special_tokens[0]: expected a token");
  expect_contains(with(R"({"tokenizer_class": "DebertaV2Tokenizer", "extra_special_tokens": "x"})"),
                  config_.string() + ": extra_special_tokens: expected a list of tokens");
  expect_contains(with(R"({"tokenizer_class": "DebertaV2Tokenizer", "sep_token": null})"),
                  config_.string() + ": key 'sep_token': DebertaV2Tokenizer needs this token");
  write_bytes(dir_ / "added_tokens.json", R"({"[MASK]": "128000"})");
  expect_contains(with(R"({"tokenizer_class": "DebertaV2Tokenizer"})"),
                  (dir_ / "added_tokens.json").string() + ": key '[MASK]': expected a token id");
  fs::remove(dir_ / "added_tokens.json");
  write_bytes(dir_ / "special_tokens_map.json", R"({"mask_token": {"lstrip": true}})");
  expect_contains(
      with(R"({"tokenizer_class": "DebertaV2Tokenizer"})"),
      (dir_ / "special_tokens_map.json").string() + ": key 'mask_token': key 'content': missing");
}

TEST_F(SentencePieceHostile, ClassThatCannotUseTheModel) {
  // ALBERT takes its [CLS] / [SEP] ids from the model: XLM-R's has neither.
  fs::copy_file(tokenizer_fixture("xlmr-unigram-spm") / "sentencepiece.bpe.model", model_);
  write_bytes(config_, R"({"tokenizer_class": "AlbertTokenizer"})");
  expect_contains(error_of(model_, config_),
                  model_.string() + " (AlbertTokenizer): cls_token '[CLS]' is not a piece");
  // CamemBERT cannot use a model of another type than Unigram.
  spm::ModelProto proto =
      read_proto(tokenizer_fixture("camembert-spm") / "sentencepiece.bpe.model");
  proto.mutable_trainer_spec()->set_model_type(spm::TrainerSpec::BPE);
  write_model(proto);
  write_bytes(config_, R"({"tokenizer_class": "CamembertTokenizer"})");
  expect_contains(error_of(model_, config_),
                  model_.string() + " (CamembertTokenizer): CamembertTokenizer needs a Unigram");
  // ALBERT's unknown id is always 1: a model with one piece has no id 1.
  proto = read_proto(source_);
  proto.mutable_pieces()->DeleteSubrange(1, proto.pieces_size() - 1);
  proto.mutable_pieces(0)->set_type(spm::ModelProto::SentencePiece::UNKNOWN);
  proto.mutable_pieces(0)->set_piece("[CLS]");
  proto.mutable_trainer_spec()->set_unk_id(0);
  write_model(proto);
  write_bytes(config_, R"({"tokenizer_class": "AlbertTokenizer", "sep_token": "[CLS]"})");
  expect_contains(
      error_of(model_, config_),
      "the unknown token id 1 that AlbertTokenizer uses is outside the vocabulary of 1 pieces");
}

}  // namespace
}  // namespace finetune::testing
