// BPE and vocab.json + merges.txt files that are wrong in some way: each must give one
// finetune::Error naming the file and the key or line (DESIGN.md principle 7), and the options
// we refuse on purpose (dropout) must be refused with their path. The ids of the options HF
// accepts are checked against HF in bpe_options_test.cpp.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>

#include "core/error.h"
#include "io/file.h"
#include "io/json.h"
#include "tokenizer_test_util.h"

namespace finetune::testing {
namespace {

#define EXPECT_HAS(message, part) EXPECT_NE((message).find(part), std::string::npos) << (message)

// A tokenizer.json with a tiny BPE model.
Json bpe_doc(const Json& model_fields) {
  Json model = {{"type", "BPE"},
                {"vocab", {{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"abc", 4}}},
                {"merges", Json::array({"a b", "ab c"})}};
  for (auto it = model_fields.begin(); it != model_fields.end(); ++it) model[it.key()] = it.value();
  return {{"model", model}, {"pre_tokenizer", {{"type", "WhitespaceSplit"}}}};
}

std::string load_error(const Json& model_fields) {
  return error_of([&] { Tokenizer::from_json(bpe_doc(model_fields), "my/tokenizer.json"); });
}

TEST(Bpe, LoadsAndMerges) {
  Tokenizer tokenizer = Tokenizer::from_json(bpe_doc(Json::object()), "my/tokenizer.json");
  EXPECT_EQ(tokenizer.encode("abc ab cab").ids, (std::vector<int32_t>{4, 3, 2, 3}));
}

TEST(Bpe, MergeNamingATokenNotInTheVocabularyIsNamed) {
  std::string message = load_error({{"merges", {"a b", "a d"}}});
  EXPECT_HAS(message, "my/tokenizer.json: model.merges[1]: 'd' is not in model.vocab");
  message = load_error({{"merges", Json::array({Json::array({"q", "b"})})}});
  EXPECT_HAS(message, "my/tokenizer.json: model.merges[0]: 'q' is not in model.vocab");
}

TEST(Bpe, MergeWhoseResultIsNotInTheVocabularyIsNamed) {
  std::string message = load_error({{"merges", {"a b", "ab c", "b a"}}});
  EXPECT_HAS(message, "my/tokenizer.json: model.merges[2]: 'b' + 'a' = 'ba' is not in model.vocab");
}

TEST(Bpe, VersionStringsKeepTheJsonIndexInMessages) {
  // "#version" strings take no rank, but the message names the element of the JSON array.
  std::string message = load_error({{"merges", {"#version: 0.2", "a b", "a d"}}});
  EXPECT_HAS(message, "model.merges[2]: 'd' is not in model.vocab");
}

TEST(Bpe, MalformedMergesAreNamed) {
  EXPECT_HAS(load_error({{"merges", {"a b c"}}}),
             "my/tokenizer.json: model.merges[0]: expected \"left right\"");
  EXPECT_HAS(load_error({{"merges", {"ab"}}}), "model.merges[0]: expected \"left right\"");
  EXPECT_HAS(load_error({{"merges", {"a  b"}}}), "model.merges[0]");
  EXPECT_HAS(load_error({{"merges", Json::array({Json::array({"a", "b", "c"})})}}),
             "model.merges[0]: expected a [left, right]");
  EXPECT_HAS(load_error({{"merges", Json::array({"a b", Json::array({"ab", "c"})})}}),
             "model.merges[1]");
  EXPECT_HAS(load_error({{"merges", Json::array({Json::array({"a", "b"}), "ab c"})}}),
             "model.merges[1]");
  EXPECT_HAS(load_error({{"merges", 7}}), "my/tokenizer.json: model.merges: expected an array");
  EXPECT_HAS(load_error({{"merges", nullptr}}),
             "my/tokenizer.json: model: a BPE model needs 'merges'");
}

TEST(Bpe, MalformedVocabularyIsNamed) {
  EXPECT_HAS(load_error({{"vocab", Json::array({"a"})}}),
             "my/tokenizer.json: model.vocab: expected an object");
  EXPECT_HAS(load_error({{"vocab", {{"a", -1}}}, {"merges", Json::array()}}), "model.vocab['a']");
  EXPECT_HAS(load_error({{"vocab", nullptr}}), "a BPE model needs 'vocab'");
}

TEST(Bpe, DropoutIsRefusedWithItsPath) {
  std::string message = load_error({{"dropout", 0.1}});
  EXPECT_HAS(message, "my/tokenizer.json: model.dropout");
  EXPECT_HAS(message, "not supported");
  EXPECT_HAS(load_error({{"dropout", 1}}), "model.dropout");
  EXPECT_HAS(load_error({{"dropout", 1.5}}), "model.dropout: must be between 0 and 1");
  EXPECT_HAS(load_error({{"dropout", "0.1"}}), "model.dropout: expected a number");
  // null and 0 mean no dropout, as in HF.
  EXPECT_NO_THROW(Tokenizer::from_json(bpe_doc({{"dropout", nullptr}}), "t.json"));
  EXPECT_NO_THROW(Tokenizer::from_json(bpe_doc({{"dropout", 0.0}}), "t.json"));
}

TEST(Bpe, OptionsOfTheWrongTypeAreNamed) {
  EXPECT_HAS(load_error({{"unk_token", 3}}), "unk_token");
  EXPECT_HAS(load_error({{"fuse_unk", "yes"}}), "fuse_unk");
  EXPECT_HAS(load_error({{"byte_fallback", 1}}), "byte_fallback");
  EXPECT_HAS(load_error({{"continuing_subword_prefix", 2}}), "continuing_subword_prefix");
}

TEST(Bpe, PrefixThatCannotBeCutOffTheRightTokenIsNamed) {
  // tokenizers panics on this file (it slices "b"[2..]).
  std::string message = load_error({{"continuing_subword_prefix", "##"}});
  EXPECT_HAS(message,
             "my/tokenizer.json: model.merges[0]: cannot cut continuing_subword_prefix '##'");
}

TEST(Bpe, MissingUnknownTokenFailsOnlyTheWordThatNeedsIt) {
  Tokenizer tokenizer =
      Tokenizer::from_json(bpe_doc({{"unk_token", "<unk>"}}), "my/tokenizer.json");
  EXPECT_EQ(tokenizer.encode("abc").ids, (std::vector<int32_t>{4}));
  std::string message = error_of([&] { tokenizer.encode("axb"); });
  EXPECT_HAS(message, "my/tokenizer.json: model.unk_token: '<unk>' is not in the vocabulary");
}

TEST(Bpe, TwoModelsDoNotShareCachedWords) {
  // The per-thread word cache is keyed by model: the same word through two vocabularies.
  Tokenizer first = Tokenizer::from_json(bpe_doc(Json::object()), "one.json");
  Tokenizer second = Tokenizer::from_json(bpe_doc({{"merges", Json::array()}}), "two.json");
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(first.encode("abc").ids, (std::vector<int32_t>{4}));
    EXPECT_EQ(second.encode("abc").ids, (std::vector<int32_t>{0, 1, 2}));
  }
}

TEST(Bpe, ByteLevelPreTokenizerNeedsAddPrefixSpace) {
  Json doc = bpe_doc(Json::object());
  doc["pre_tokenizer"] = {{"type", "ByteLevel"}, {"trim_offsets", true}};
  std::string message = error_of([&] { Tokenizer::from_json(doc, "my/tokenizer.json"); });
  EXPECT_HAS(message, "my/tokenizer.json: pre_tokenizer");
  EXPECT_HAS(message, "add_prefix_space");
  doc["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", "no"}};
  EXPECT_HAS(error_of([&] { Tokenizer::from_json(doc, "my/tokenizer.json"); }), "use_regex");
}

// ---------------------------------------------------------------------------------------------
// vocab.json + merges.txt

class LegacyFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("bpe-hostile");
    vocab_ =
        R"({"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": 4, "a": 5, "b": 6, "ab": 7, "\u0120": 8})";
    merges_ = "#version: 0.2\na b\n";
    config_ = R"({"tokenizer_class": "RobertaTokenizer"})";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string load_error() {
    write();
    return error_of([&] { Tokenizer::from_directory(dir_); });
  }
  void write() {
    write_file_atomic(dir_ / "vocab.json", vocab_);
    write_file_atomic(dir_ / "merges.txt", merges_);
    if (!config_.empty()) write_file_atomic(dir_ / "tokenizer_config.json", config_);
  }
  std::string path(const char* name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
  std::string vocab_, merges_, config_;
};

TEST_F(LegacyFiles, LoadsAsRoberta) {
  write();
  Tokenizer tokenizer = Tokenizer::from_directory(dir_);
  EXPECT_EQ(tokenizer.encode("ab").ids, (std::vector<int32_t>{0, 7, 2}));
  EXPECT_EQ(tokenizer.encode("ab a").ids, (std::vector<int32_t>{0, 7, 8, 5, 2}));
}

TEST_F(LegacyFiles, BadMergeLinesNameTheLine) {
  merges_ = "#version: 0.2\na b\nab a b\n";
  EXPECT_HAS(
      load_error(),
      path("merges.txt") + ":3: expected a merge, two tokens separated by one space, got 'ab a b'");
  merges_ = "#version: 0.2\na b\n\nab a\n";
  EXPECT_HAS(load_error(), path("merges.txt") + ":3:");
  merges_ = "a b\nq a\n";
  EXPECT_HAS(load_error(), path("merges.txt") + ":2: 'q' is not in " + path("vocab.json"));
  merges_ = "a b\nb a\n";
  EXPECT_HAS(load_error(),
             path("merges.txt") + ":2: 'b' + 'a' = 'ba' is not in " + path("vocab.json"));
  merges_ = "a b\n\xff\xfe b\n";
  EXPECT_HAS(load_error(), path("merges.txt") + ":2: invalid UTF-8");
}

TEST_F(LegacyFiles, CrlfAndVersionLinesAnywhereAreAccepted) {
  merges_ = "#version: 0.2\r\n#version: again\r\na b\r\n";
  write();
  EXPECT_EQ(Tokenizer::from_directory(dir_).encode("ab").ids, (std::vector<int32_t>{0, 7, 2}));
}

TEST_F(LegacyFiles, BadVocabularyIsNamed) {
  vocab_ = "[1, 2]";
  EXPECT_HAS(load_error(),
             path("vocab.json") + ": expected a JSON object (token -> id), got an array");
  vocab_ = R"({"a": 0, "b": -1})";
  EXPECT_HAS(load_error(), path("vocab.json") + ": 'b': expected a token id");
  vocab_ = R"({"a": 0, "b": 1.5})";
  EXPECT_HAS(load_error(), path("vocab.json") + ": 'b'");
  vocab_ = "{\"a\": 0,\n \"b\": }";
  std::string message = load_error();
  EXPECT_HAS(message, path("vocab.json"));
  EXPECT_HAS(message, "line 2");
}

TEST_F(LegacyFiles, UnsupportedClassIsNamed) {
  config_ = R"({"tokenizer_class": "FooTokenizer"})";
  std::string message = load_error();
  EXPECT_HAS(message,
             path("tokenizer_config.json") + ": tokenizer_class 'FooTokenizer' is not supported");
  EXPECT_HAS(message, "RobertaTokenizer");
}

TEST_F(LegacyFiles, WithoutAClassTheModelTypeDecides) {
  config_ = "{}";
  EXPECT_HAS(load_error(), "names no tokenizer_class");
  write_file_atomic(dir_ / "config.json", R"({"model_type": "t5"})");
  EXPECT_HAS(load_error(), path("config.json") + ": model_type 't5'");
  write_file_atomic(dir_ / "config.json", R"({"model_type": "roberta"})");
  write();
  EXPECT_EQ(Tokenizer::from_directory(dir_).encode("ab").ids, (std::vector<int32_t>{0, 7, 2}));
  write_file_atomic(dir_ / "config.json", R"({"model_type": "gpt2"})");
  EXPECT_EQ(Tokenizer::from_directory(dir_).encode("ab").ids, (std::vector<int32_t>{7}));
}

TEST_F(LegacyFiles, RobertaWithoutSepOrClsIsNamed) {
  config_ = R"({"tokenizer_class": "RobertaTokenizer", "sep_token": null})";
  EXPECT_HAS(load_error(), path("tokenizer_config.json") +
                               ": RobertaTokenizer needs a cls_token and a sep_token");
}

}  // namespace
}  // namespace finetune::testing
