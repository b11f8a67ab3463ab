// The Metaspace pre-tokenizer (src/tokenizer/pre_tokenizers/metaspace.h) against HF tokenizers
// (tests/data/tokenizer/unigram_options.json, tools/make_unigram_option_goldens.py): every
// prepend_scheme with split on and off, other replacements, the legacy add_prefix_space field,
// "first" in whole pipelines (after added tokens, after WhitespaceSplit), and the objects HF
// refuses, each an Error naming the key.
#include <gtest/gtest.h>

#include <map>

#include "tokenizer/factory.h"
#include "tokenizer/pre_tokenizers/metaspace.h"
#include "unigram_options_util.h"

namespace finetune::testing {
namespace {

std::vector<std::string> pieces_of(const PreTokenizer& pre, const std::string& text) {
  // HF's pre_tokenize_str: one piece, the whole text, at offset 0.
  Words in, out;
  in.add(text, true);
  pre.pre_tokenize(in, out);
  std::vector<std::string> pieces;
  for (size_t i = 0; i < out.size(); ++i) pieces.emplace_back(out[i]);
  return pieces;
}

TEST(Metaspace, PreTokenizerCasesMatchHf) {
  size_t cases = 0;
  for (const Json& c : unigram_options()["pre_tokenizer_cases"]) {
    const std::string name = c["name"].get<std::string>();
    ++cases;
    auto pre = build_pre_tokenizer(JsonView(c["pre_tokenizer"], "tokenizer.json: pre_tokenizer"));
    for (size_t i = 0; i < c["inputs"].size(); ++i) {
      const std::string input = c["inputs"][i].get<std::string>();
      EXPECT_EQ(pieces_of(*pre, input), c["expected"][i].get<std::vector<std::string>>())
          << name << " '" << escaped(input) << "'";
    }
  }
  EXPECT_GE(cases, 10u);
}

TEST(Metaspace, EncodeCasesMatchHf) {
  check_encode_cases([](const std::string& name) { return contains(name, "metaspace"); },
                     "model.unk_id");
}

TEST(Metaspace, FirstPrependsOnlyToThePieceAtTheStart) {
  Metaspace first("\xe2\x96\x81", PrependScheme::First, true);
  Words in, out;
  in.add("a b", true);
  in.add("c", false);  // after an added token
  first.pre_tokenize(in, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0],
            "\xe2\x96\x81"
            "a");
  EXPECT_TRUE(out.at_start(0));
  EXPECT_EQ(out[1],
            "\xe2\x96\x81"
            "b");
  EXPECT_FALSE(out.at_start(1));
  EXPECT_EQ(out[2], "c");
  EXPECT_FALSE(out.at_start(2));
}

TEST(Metaspace, SplitFalseKeepsTheRewrittenPieceWhole) {
  Metaspace never("\xe2\x96\x81", PrependScheme::Never, false);
  EXPECT_EQ(pieces_of(never, "a  b "), (std::vector<std::string>{"a\xe2\x96\x81\xe2\x96\x81"
                                                                 "b\xe2\x96\x81"}));
}

TEST(MetaspaceErrors, ObjectsHfRefusesAreErrorsNamingTheKey) {
  // The key each refused object must be blamed on.
  const std::map<std::string, std::string> keys = {
      {"add_prefix_space false without prepend_scheme", "add_prefix_space"},
      {"add_prefix_space false with always", "add_prefix_space"},
      {"no replacement", "replacement"},
      {"two-character replacement", "replacement"},
      {"empty replacement", "replacement"},
      {"capitalised scheme", "prepend_scheme"},
      {"split not a bool", "split"},
  };
  size_t cases = 0;
  for (const Json& c : unigram_options()["pre_tokenizer_errors"]) {
    const std::string name = c["name"].get<std::string>();
    ASSERT_TRUE(keys.count(name)) << "no expected key for '" << name << "'";
    ++cases;
    std::string message = error_of([&] {
      build_pre_tokenizer(JsonView(c["pre_tokenizer"], "tokenizer.json: pre_tokenizer"));
    });
    EXPECT_TRUE(contains(message, "tokenizer.json: pre_tokenizer")) << name << ": " << message;
    EXPECT_TRUE(contains(message, keys.at(name))) << name << ": " << message;
  }
  EXPECT_EQ(cases, keys.size());
}

}  // namespace
}  // namespace finetune::testing
