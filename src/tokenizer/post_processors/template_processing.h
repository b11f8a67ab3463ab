// The post-processor: special tokens and type ids around the encoded text.
//
// Every HF post-processor that changes ids is a template (tokenizers/src/processors/):
//   TemplateProcessing  the templates as written, e.g. "[CLS]:0 $A:0 [SEP]:0" and
//                       "[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1";
//   BertProcessing      [CLS] $A [SEP] / [CLS] $A [SEP] $B:1 [SEP]:1;
//   RobertaProcessing   <s> $A </s> / <s> $A </s> </s> $B </s>, every type id 0 (RoBERTa has one
//                       token type; tokenizers 0.23 gives 0 throughout, checked by the goldens);
//   ByteLevel           no ids of its own (it only trims offsets);
//   Sequence            its members in order, of which at most one adds tokens.
// So one class holds the two templates; the loaders build it from each of those forms.
#pragma once

#include <cstdint>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace finetune {

// One element of a template: a sequence ($A, or $B in the pair template) or special tokens (one
// template entry may stand for several ids), with its type id.
struct TemplatePiece {
  bool is_sequence = false;
  std::vector<int32_t> ids;
  int32_t type_id = 0;
  int sequence = 0;  // for a sequence piece: 0 is $A, 1 is $B
};

class TemplateProcessing {
 public:
  TemplateProcessing() = default;  // no post-processor: nothing added
  TemplateProcessing(std::vector<TemplatePiece> single, std::vector<TemplatePiece> pair);

  static TemplateProcessing bert(int32_t cls, int32_t sep);
  static TemplateProcessing roberta(int32_t cls, int32_t sep);

  bool has_single() const { return !single_.empty(); }
  bool has_pair() const { return !pair_.empty(); }
  // Special tokens added to one sequence / to a pair.
  size_t added_tokens(bool pair) const { return pair ? pair_added_ : single_added_; }

  // The encoding of `a` (and `b` when not null). Without a template, a alone (types 0) or a then
  // b (types 0 and 1), as HF's default post-processing does.
  Encoding apply(const std::vector<int32_t>& a, const std::vector<int32_t>* b) const;

 private:
  std::vector<TemplatePiece> single_;
  std::vector<TemplatePiece> pair_;
  size_t single_added_ = 0;
  size_t pair_added_ = 0;
};

}  // namespace finetune
