// TemplateProcessing and the BERT / RoBERTa templates (see template_processing.h).
#include "tokenizer/post_processors/template_processing.h"

namespace finetune {

namespace {
size_t count_added(const std::vector<TemplatePiece>& pieces) {
  size_t n = 0;
  for (const TemplatePiece& piece : pieces) {
    if (!piece.is_sequence) n += piece.ids.size();
  }
  return n;
}
}  // namespace

TemplateProcessing::TemplateProcessing(std::vector<TemplatePiece> single, std::vector<TemplatePiece> pair)
    : single_(std::move(single)), pair_(std::move(pair)), single_added_(count_added(single_)),
      pair_added_(count_added(pair_)) {}

TemplateProcessing TemplateProcessing::bert(int32_t cls, int32_t sep) {
  return TemplateProcessing({{false, {cls}, 0}, {true, {}, 0, 0}, {false, {sep}, 0}},
                            {{false, {cls}, 0}, {true, {}, 0, 0}, {false, {sep}, 0}, {true, {}, 1, 1}, {false, {sep}, 1}});
}

TemplateProcessing TemplateProcessing::roberta(int32_t cls, int32_t sep) {
  return TemplateProcessing(
      {{false, {cls}, 0}, {true, {}, 0, 0}, {false, {sep}, 0}},
      {{false, {cls}, 0}, {true, {}, 0, 0}, {false, {sep}, 0}, {false, {sep}, 0}, {true, {}, 0, 1}, {false, {sep}, 0}});
}

Encoding TemplateProcessing::apply(const std::vector<int32_t>& a, const std::vector<int32_t>* b) const {
  Encoding encoding;
  const std::vector<TemplatePiece>& pieces = b ? pair_ : single_;
  if (pieces.empty()) {
    encoding.ids = a;
    encoding.type_ids.assign(a.size(), 0);
    if (b) {
      encoding.ids.insert(encoding.ids.end(), b->begin(), b->end());
      encoding.type_ids.insert(encoding.type_ids.end(), b->size(), 1);
    }
    encoding.attention_mask.assign(encoding.ids.size(), 1);
    return encoding;
  }
  const size_t total = a.size() + (b ? b->size() : 0) + added_tokens(b != nullptr);
  encoding.ids.reserve(total);
  encoding.type_ids.reserve(total);
  for (const TemplatePiece& piece : pieces) {
    const std::vector<int32_t>& source = !piece.is_sequence ? piece.ids : piece.sequence == 0 ? a : *b;
    encoding.ids.insert(encoding.ids.end(), source.begin(), source.end());
    encoding.type_ids.insert(encoding.type_ids.end(), source.size(), piece.type_id);
  }
  encoding.attention_mask.assign(encoding.ids.size(), 1);
  return encoding;
}

}  // namespace finetune
