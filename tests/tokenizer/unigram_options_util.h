// Helpers of the Unigram, Metaspace and Precompiled tests: the HF answers of
// tests/data/tokenizer/unigram_options.json (tools/make_unigram_option_goldens.py), an
// expect-an-Error helper, and the nmt_nfkc charsmap of the XLM-R fixture.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "core/error.h"
#include "io/json.h"
#include "tokenizer_test_util.h"

namespace finetune::testing {

inline const Json& unigram_options() {
  static const Json document = parse_json_file(golden_dir() / "unigram_options.json");
  return document;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The base64 precompiled_charsmap (SentencePiece's nmt_nfkc) of the file the goldens name.
inline const std::string& nmt_nfkc_base64() {
  static const std::string text = [] {
    const Json& from = unigram_options()["precompiled"]["charsmap_from"];
    Json document = parse_json_file(repo_root() / from.get<std::string>());
    return document["normalizer"]["precompiled_charsmap"].get<std::string>();
  }();
  return text;
}

// Encodes `text` with a tokenizer; the ids, or "error: <message>".
inline std::string ids_or_error(const Tokenizer& tokenizer, const std::string& text) {
  try {
    return join(tokenizer.encode(text).ids);
  } catch (const Error& e) {
    return std::string("error: ") + e.what();
  }
}

// Runs every encode case of the goldens whose name passes `select`: the case's tokenizer.json
// document through Tokenizer::from_json, each input through encode, against HF's ids. Where HF
// raised, we must raise an Error naming `error_key` ("model.unk_id").
template <typename Select>
void check_encode_cases(Select&& select, const std::string& error_key) {
  size_t cases = 0;
  for (const Json& c : unigram_options()["encode_cases"]) {
    const std::string name = c["name"].get<std::string>();
    if (!select(name)) continue;
    ++cases;
    SCOPED_TRACE(name);
    Tokenizer tokenizer = Tokenizer::from_json(c["tokenizer"], "tokenizer.json");
    for (size_t i = 0; i < c["inputs"].size(); ++i) {
      const std::string input = c["inputs"][i].get<std::string>();
      const Json& expected = c["expected"][i];
      const std::string got = ids_or_error(tokenizer, input);
      if (expected.contains("error")) {
        EXPECT_TRUE(contains(got, "error: tokenizer.json: " + error_key))
            << name << " '" << escaped(input) << "': HF raised " << expected["error"]
            << ", we gave " << got;
      } else {
        EXPECT_EQ(got, join(expected["ids"].get<std::vector<int32_t>>()))
            << name << " '" << escaped(input) << "'";
      }
    }
  }
  EXPECT_GT(cases, 0u);
}

}  // namespace finetune::testing
