// The Unigram model (src/tokenizer/models/unigram.h) beyond what the XLM-R and ALBERT fixtures
// exercise: byte_fallback, fused unknown runs, a missing unk_id, ties, repeated pieces, positive
// scores, against HF tokenizers' answers (tests/data/tokenizer/unigram_options.json, written by
// tools/make_unigram_option_goldens.py); the double-array trie against a brute-force search on a
// large random vocabulary; and every malformed model object giving an Error that names the key.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>

#include "tokenizer/models/unigram.h"
#include "tokenizer/utf8.h"
#include "unigram_options_util.h"

namespace finetune::testing {
namespace {

TEST(Unigram, OptionCasesMatchHf) {
  check_encode_cases([](const std::string& name) { return !contains(name, "metaspace"); },
                     "model.unk_id");
}

Json tokenizer_with_model(const Json& model) {
  return Json{{"version", "1.0"}, {"added_tokens", Json::array()}, {"model", model}};
}

Json small_model() {
  return Json{{"type", "Unigram"},
              {"unk_id", 0},
              {"vocab", Json::array({Json::array({"<unk>", 0.0}), Json::array({"a", -1.0}),
                                     Json::array({"b", -2.0})})}};
}

TEST(Unigram, RepeatedPiecesCountInTheVocabularySizeAndTheLaterIdWins) {
  Json model = small_model();
  model["vocab"].push_back(Json::array({"a", -0.5}));
  JsonView view(model, "tokenizer.json: model");
  auto unigram = build_unigram(view);
  EXPECT_EQ(unigram->vocab_size(), 4u);  // HF get_vocab_size: vocab.len()
  EXPECT_EQ(unigram->token_to_id("a"), 3);
  std::vector<int32_t> ids;
  unigram->tokenize("ab", ids);
  EXPECT_EQ(ids, (std::vector<int32_t>{3, 2}));
  std::vector<std::string> tokens;
  unigram->for_each_token([&](std::string_view token, int32_t id) {
    if (static_cast<size_t>(id) >= tokens.size()) tokens.resize(static_cast<size_t>(id) + 1);
    tokens[static_cast<size_t>(id)] = std::string(token);
  });
  EXPECT_EQ(tokens, (std::vector<std::string>{"<unk>", "a", "b", "a"}));  // id_to_token of both ids
}

TEST(Unigram, IntegerScoresAreNumbers) {
  Json model = small_model();
  model["vocab"][1][1] = -1;
  auto unigram = build_unigram(JsonView(model, "tokenizer.json: model"));
  std::vector<int32_t> ids;
  unigram->tokenize("ab", ids);
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 2}));
}

// --- malformed model objects -------------------------------------------------------------------

std::string load_error(const Json& model) {
  return error_of([&] { Tokenizer::from_json(tokenizer_with_model(model), "tokenizer.json"); });
}

TEST(UnigramErrors, UnkIdOutsideTheVocabularyNamesTheKey) {
  Json model = small_model();
  model["unk_id"] = 3;
  std::string message = load_error(model);
  EXPECT_TRUE(contains(message, "tokenizer.json: model.unk_id: 3")) << message;
  EXPECT_TRUE(contains(message, "3 pieces")) << message;
}

TEST(UnigramErrors, NegativeOrNonIntegerUnkIdNamesTheKey) {
  for (const Json& bad : {Json(-1), Json("0"), Json(1.5), Json(true)}) {
    Json model = small_model();
    model["unk_id"] = bad;
    std::string message = load_error(model);
    EXPECT_TRUE(contains(message, "tokenizer.json: model.unk_id")) << bad.dump() << ": " << message;
  }
}

TEST(UnigramErrors, EmptyVocabularyWithUnkIdIsRefused) {
  Json model = small_model();
  model["vocab"] = Json::array();
  std::string message = load_error(model);
  EXPECT_TRUE(contains(message, "tokenizer.json: model.unk_id")) << message;
  EXPECT_TRUE(contains(message, "empty")) << message;
}

TEST(UnigramErrors, MissingUnkIdFailsTheEncodeThatNeedsItNamingTheKey) {
  // HF accepts "unk_id": null (and no key) and fails only when a character is unknown.
  for (bool as_null : {true, false}) {
    Json model = small_model();
    if (as_null) {
      model["unk_id"] = nullptr;
    } else {
      model.erase("unk_id");
    }
    Tokenizer tokenizer = Tokenizer::from_json(tokenizer_with_model(model), "tokenizer.json");
    EXPECT_EQ(tokenizer.encode("abba").ids, (std::vector<int32_t>{1, 2, 2, 1}));
    std::string message = error_of([&] { tokenizer.encode("abc"); });
    EXPECT_TRUE(contains(message, "tokenizer.json: model.unk_id")) << message;
    EXPECT_TRUE(contains(message, "U+0063")) << message;
  }
}

TEST(UnigramErrors, ScoreThatIsNotANumberNamesTheEntry) {
  for (const Json& bad : {Json("x"), Json(nullptr), Json(true), Json::array({1.0})}) {
    Json model = small_model();
    model["vocab"][2][1] = bad;
    std::string message = load_error(model);
    EXPECT_TRUE(contains(message, "tokenizer.json: model.vocab[2][1]"))
        << bad.dump() << ": " << message;
    EXPECT_TRUE(contains(message, "score")) << message;
  }
}

TEST(UnigramErrors, MalformedEntriesNameTheEntry) {
  const Json entries[] = {Json("a"), Json::array({"a"}), Json::array({"a", -1.0, 2}),
                          Json::object()};
  for (const Json& bad : entries) {
    Json model = small_model();
    model["vocab"][1] = bad;
    std::string message = load_error(model);
    EXPECT_TRUE(contains(message, "tokenizer.json: model.vocab[1]"))
        << bad.dump() << ": " << message;
  }
  Json model = small_model();
  model["vocab"][1][0] = 5;
  std::string message = load_error(model);
  EXPECT_TRUE(contains(message, "tokenizer.json: model.vocab[1][0]")) << message;
}

TEST(UnigramErrors, VocabularyThatIsNotAListNamesTheKey) {
  Json model = small_model();
  model["vocab"] = Json{{"a", 0}};
  model["type"] = "Unigram";
  std::string message = load_error(model);
  EXPECT_TRUE(contains(message, "tokenizer.json: model.vocab")) << message;
  model.erase("vocab");
  message = load_error(model);
  EXPECT_TRUE(contains(message, "vocab")) << message;
}

// --- the trie -----------------------------------------------------------------------------------

std::string random_piece(std::mt19937& rng) {
  // Mostly short pieces over a small alphabet (many shared prefixes), with some multi-byte
  // characters and a few long pieces.
  static const std::vector<std::string> alphabet = {
      "a", "b", "c", "d", "e", "\xe2\x96\x81", "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "z"};
  std::uniform_int_distribution<int> length(1, 8), pick(0, static_cast<int>(alphabet.size()) - 1);
  std::string piece;
  const int n = rng() % 50 == 0 ? 30 : length(rng);
  for (int i = 0; i < n; ++i) piece += alphabet[static_cast<size_t>(pick(rng))];
  return piece;
}

TEST(PieceTrie, PrefixSearchEqualsBruteForceOnALargeVocabulary) {
  std::mt19937 rng(20240601);
  std::map<std::string, int32_t> keys;
  while (keys.size() < 200000) keys.emplace(random_piece(rng), static_cast<int32_t>(keys.size()));
  // Every byte value as a one-byte key too (the root's widest fan-out).
  for (int b = 1; b < 256; ++b)
    keys.emplace(std::string(1, static_cast<char>(b)), static_cast<int32_t>(keys.size()));
  std::vector<std::pair<std::string_view, int32_t>> list(keys.begin(), keys.end());
  std::shuffle(list.begin(), list.end(), rng);

  const auto start = std::chrono::steady_clock::now();
  PieceTrie trie;
  trie.build(list);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  size_t total_bytes = 0;
  for (const auto& [key, id] : keys) total_bytes += key.size();
  // The double array should be about as many units as trie nodes (at most one per key byte).
  EXPECT_LT(trie.unit_count(), total_bytes * 2 + 1024) << "trie too sparse";
  EXPECT_LT(seconds, 5.0) << "trie build too slow";

  for (const auto& [key, id] : keys) ASSERT_EQ(trie.find(key), id) << escaped(key);
  EXPECT_EQ(trie.find("not a key \x01"), PieceTrie::kNone);
  size_t max_length = 0;
  for (const auto& [key, id] : keys) max_length = std::max(max_length, key.size());
  for (int t = 0; t < 2000; ++t) {
    std::string text = random_piece(rng) + random_piece(rng) + random_piece(rng);
    for (size_t begin = 0; begin < text.size(); ++begin) {
      std::vector<std::pair<size_t, int32_t>> got, want;
      trie.for_each_prefix(text.data() + begin, text.size() - begin,
                           [&](size_t length, int32_t value) { got.emplace_back(length, value); });
      for (size_t length = 1; begin + length <= text.size() && length <= max_length; ++length) {
        auto it = keys.find(text.substr(begin, length));
        if (it != keys.end()) want.emplace_back(length, it->second);
      }
      ASSERT_EQ(got, want) << escaped(text) << " at " << begin;
    }
  }
}

TEST(PieceTrie, EmptyTrieFindsNothing) {
  PieceTrie trie;
  trie.build({});
  EXPECT_EQ(trie.find("a"), PieceTrie::kNone);
  size_t calls = 0;
  trie.for_each_prefix("abc", 3, [&](size_t, int32_t) { ++calls; });
  EXPECT_EQ(calls, 0u);
}

// The Viterbi search against a plain dynamic program over all substrings, on a random
// vocabulary with random scores: same ids (ties are rare with random doubles; HF's order is
// covered by the "ties" golden case).
TEST(Unigram, ViterbiEqualsAPlainDynamicProgram) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> score(-12.0, -0.5);
  Json vocab = Json::array({Json::array({"<unk>", 0.0})});
  std::set<std::string> seen = {"<unk>"};
  std::vector<std::pair<std::string, double>> pieces = {{"<unk>", 0.0}};
  while (pieces.size() < 3000) {
    std::string p = random_piece(rng);
    if (p.size() > 12 || !seen.insert(p).second) continue;
    pieces.emplace_back(p, score(rng));
  }
  // Leave some characters unknown: drop the single characters "d" and U+4E2D.
  pieces.erase(
      std::remove_if(pieces.begin(), pieces.end(),
                     [](const auto& p) { return p.first == "d" || p.first == "\xe4\xb8\xad"; }),
      pieces.end());
  std::vector<Unigram::Piece> list;
  std::map<std::string, std::pair<int32_t, double>> by_text;
  double min_score = 0.0;
  for (size_t i = 0; i < pieces.size(); ++i) {
    list.push_back({pieces[i].first, pieces[i].second});
    by_text[pieces[i].first] = {static_cast<int32_t>(i), pieces[i].second};
    min_score = std::min(min_score, pieces[i].second);
  }
  Unigram unigram(list, 0, false, "test: model");

  for (int t = 0; t < 3000; ++t) {
    const std::string text = random_piece(rng) + random_piece(rng);
    // Character boundaries.
    std::vector<size_t> bounds = {0};
    for (size_t i = 0; i < text.size();) {
      i += utf8::sequence_length(static_cast<unsigned char>(text[i]));
      bounds.push_back(i);
    }
    const size_t n = bounds.size();
    std::vector<double> best(n, -1e300);
    std::vector<size_t> from(n, 0);
    std::vector<int32_t> id(n, -1);
    best[0] = 0.0;
    for (size_t a = 0; a + 1 < n; ++a) {
      bool single = false;
      for (size_t b = a + 1; b < n; ++b) {
        auto it = by_text.find(text.substr(bounds[a], bounds[b] - bounds[a]));
        if (it == by_text.end()) continue;
        if (b == a + 1) single = true;
        const double candidate = best[a] + it->second.second;
        if (id[b] < 0 || candidate > best[b])
          best[b] = candidate, from[b] = a, id[b] = it->second.first;
      }
      if (!single) {
        const double candidate = best[a] + min_score - 10.0;
        if (id[a + 1] < 0 || candidate > best[a + 1])
          best[a + 1] = candidate, from[a + 1] = a, id[a + 1] = 0;
      }
    }
    std::vector<int32_t> want;
    for (size_t b = n - 1; b > 0; b = from[b]) {
      if (!(id[b] == 0 && !want.empty() && want.back() == 0))
        want.push_back(id[b]);  // fuse unknowns
    }
    std::reverse(want.begin(), want.end());
    std::vector<int32_t> got;
    unigram.tokenize(text, got);
    ASSERT_EQ(got, want) << escaped(text);
  }
}

}  // namespace
}  // namespace finetune::testing
