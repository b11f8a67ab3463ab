// The ByteLevel pre-tokenizer's two paths must split alike: the hand-written GPT-2 matcher for
// ASCII pieces against Oniguruma running the pattern (what HF runs), on every ASCII string of up
// to two characters, every string of up to five over the characters that steer the pattern, and
// many random ones. Also GPT-2's byte -> character table at its seams. (The ids of whole
// ByteLevel tokenizers are checked against HF in bpe_options_test.cpp and the fixture goldens.)
#include <gtest/gtest.h>

#include <random>

#include "tokenizer/pre_tokenizers/byte_level.h"
#include "tokenizer_test_util.h"

namespace finetune::testing {
namespace {

using Pieces = std::vector<std::pair<size_t, size_t>>;

void expect_same_split(const Gpt2Splitter& splitter, const std::string& text, size_t& failures) {
  Pieces fast, reference;
  splitter.split(text, fast);
  splitter.split_with_regex(text, reference);
  if (fast != reference && ++failures <= 10) {
    std::string got, want;
    for (auto [b, e] : fast) got += "[" + escaped(text.substr(b, e - b)) + "]";
    for (auto [b, e] : reference) want += "[" + escaped(text.substr(b, e - b)) + "]";
    ADD_FAILURE() << escaped(text) << "\n  fast      " << got << "\n  oniguruma " << want;
  }
}

TEST(ByteLevel, AsciiMatcherSplitsLikeOnigurumaOnAllShortStrings) {
  const Gpt2Splitter splitter;
  size_t failures = 0;
  std::string text;
  for (int a = 0; a < 128; ++a) {
    text.assign(1, static_cast<char>(a));
    expect_same_split(splitter, text, failures);
    for (int b = 0; b < 128; ++b) {
      text.assign({static_cast<char>(a), static_cast<char>(b)});
      expect_same_split(splitter, text, failures);
    }
  }
  EXPECT_EQ(failures, 0u);
}

TEST(ByteLevel, AsciiMatcherSplitsLikeOnigurumaOnEveryShortMixOfSteeringCharacters) {
  const Gpt2Splitter splitter;
  // The contraction letters, each class (letter, digit, other, several kinds of whitespace).
  const std::string alphabet = "' srtvmldA9!\t\n\x0b\x1c";
  size_t failures = 0;
  std::string text;
  for (size_t length = 1; length <= 5; ++length) {
    std::vector<size_t> digits(length, 0);
    while (true) {
      text.clear();
      for (size_t d : digits) text.push_back(alphabet[d]);
      expect_same_split(splitter, text, failures);
      size_t k = 0;
      while (k < length && ++digits[k] == alphabet.size()) digits[k++] = 0;
      if (k == length) break;
    }
  }
  EXPECT_EQ(failures, 0u);
}

TEST(ByteLevel, AsciiMatcherSplitsLikeOnigurumaOnRandomText) {
  const Gpt2Splitter splitter;
  std::mt19937 rng(20240611);
  const std::vector<std::string> pieces = {
      "'s", "'t", "'re",  "'ve", "'m", "'ll", "'d", "'", "word", "A",    " ", "  ",
      "\t", "\n", "\r\n", "123", "4",  "!",   "?!", ".", "\x01", "\x7f", "_", "-"};
  size_t failures = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const int count = 1 + static_cast<int>(rng() % 20);
    for (int k = 0; k < count; ++k) text += pieces[rng() % pieces.size()];
    expect_same_split(splitter, text, failures);
  }
  EXPECT_EQ(failures, 0u);
}

TEST(ByteLevel, NonAsciiTextGoesThroughOniguruma) {
  const Gpt2Splitter splitter;
  Pieces pieces;
  const std::string text = "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87  x";  // "café 中文  x"
  splitter.split(text, pieces);
  EXPECT_EQ(pieces, (Pieces{{0, 5}, {5, 12}, {12, 13}, {13, 15}}));
}

TEST(ByteLevel, BytesToUnicodeSeams) {
  auto mapped = [](std::string bytes) {
    std::string out;
    append_byte_level(bytes, out);
    return out;
  };
  EXPECT_EQ(mapped(" "), "\xc4\xa0");                   // U+0120 'Ġ'
  EXPECT_EQ(mapped("\n"), "\xc4\x8a");                  // U+010A 'Ċ'
  EXPECT_EQ(mapped(std::string(1, '\0')), "\xc4\x80");  // U+0100
  EXPECT_EQ(mapped("!~A"), "!~A");                      // 0x21..0x7E stand for themselves
  EXPECT_EQ(mapped("\x7f"), "\xc4\xa1");                // U+0121, after the 33 bytes 0x00..0x20
  EXPECT_EQ(mapped("\xa0"), "\xc5\x82");                // U+0142, the last of 0x80..0xA0
  EXPECT_EQ(mapped("\xa1\xac\xae\xff"), "\xc2\xa1\xc2\xac\xc2\xae\xc3\xbf");  // themselves
  EXPECT_EQ(mapped("\xad"), "\xc5\x83");  // U+0143, the last one
}

TEST(ByteLevel, AddPrefixSpaceAppliesToEveryPiece) {
  const ByteLevel pre_tokenizer(/*add_prefix_space=*/true, /*use_regex=*/false);
  Words in, out;
  in.add("a", true);
  in.add(" b", false);
  in.add("c d", false);
  pre_tokenizer.pre_tokenize(in, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0],
            "\xc4\xa0"
            "a");
  EXPECT_EQ(out[1],
            "\xc4\xa0"
            "b");
  EXPECT_EQ(out[2],
            "\xc4\xa0"
            "c\xc4\xa0"
            "d");
}

}  // namespace
}  // namespace finetune::testing
