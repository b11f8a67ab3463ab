// The override tables of hf_unicode_overrides.cpp (see there for why each exists).
#pragma once

#include <vector>

namespace finetune::hf_unicode {

struct CodePointRange {
  char32_t first;
  char32_t last;  // inclusive
};

struct LowercasePair {
  char32_t code_point;
  char32_t lowercase;
};

extern const std::vector<CodePointRange> kNotControl;
extern const std::vector<CodePointRange> kPunctuationAdd;
extern const std::vector<CodePointRange> kPunctuationRemove;
extern const std::vector<CodePointRange> kNonspacingMarkAdd;
extern const std::vector<CodePointRange> kNonspacingMarkRemove;
extern const std::vector<CodePointRange> kNoDecomposition;
extern const std::vector<CodePointRange> kCombiningMarkAdd;
extern const std::vector<CodePointRange> kCombiningMarkRemove;
extern const std::vector<LowercasePair> kLowercaseAdd;

}  // namespace finetune::hf_unicode
