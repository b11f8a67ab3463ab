// BatchBuilder: right-padding into preallocated buffers.
#include "data/batch.h"

#include <algorithm>

#include "core/error.h"

namespace finetune {

BatchBuilder::BatchBuilder(int max_batch, int max_tokens, int32_t pad_id)
    : max_batch_(max_batch), max_tokens_(max_tokens), pad_id_(pad_id) {
  FT_CHECK(max_batch > 0 && max_tokens > 0, "batch capacity ", max_batch, " x ", max_tokens);
  size_t cells = static_cast<size_t>(max_batch) * static_cast<size_t>(max_tokens);
  input_ids_.resize(cells);
  token_type_ids_.resize(cells);
  attention_mask_.resize(cells);
  labels_.resize(static_cast<size_t>(max_batch));
}

BatchView BatchBuilder::build(std::span<const Encoding* const> encodings, std::span<const int32_t> labels,
                              int pad_to) {
  FT_CHECK(!encodings.empty() && static_cast<int>(encodings.size()) <= max_batch_, "batch of ",
           encodings.size(), " sequences, capacity ", max_batch_);
  FT_CHECK(labels.empty() || labels.size() == encodings.size(), "labels for ", labels.size(),
           " of ", encodings.size(), " sequences");
  size_t longest = static_cast<size_t>(std::max(1, pad_to));
  for (const Encoding* e : encodings) longest = std::max(longest, e->ids.size());
  FT_CHECK(static_cast<int>(longest) <= max_tokens_, "sequence of ", longest, " tokens, capacity ",
           max_tokens_);

  BatchView view;
  view.B = static_cast<int>(encodings.size());
  view.T = static_cast<int>(longest);
  for (int b = 0; b < view.B; ++b) {
    const Encoding& e = *encodings[b];
    size_t row = static_cast<size_t>(b) * longest;
    size_t n = e.ids.size();
    std::copy(e.ids.begin(), e.ids.end(), input_ids_.begin() + row);
    std::copy(e.type_ids.begin(), e.type_ids.end(), token_type_ids_.begin() + row);
    std::copy(e.attention_mask.begin(), e.attention_mask.end(), attention_mask_.begin() + row);
    std::fill(input_ids_.begin() + row + n, input_ids_.begin() + row + longest, pad_id_);
    std::fill(token_type_ids_.begin() + row + n, token_type_ids_.begin() + row + longest, 0);
    std::fill(attention_mask_.begin() + row + n, attention_mask_.begin() + row + longest, 0);
  }
  view.input_ids = input_ids_.data();
  view.token_type_ids = token_type_ids_.data();
  view.attention_mask = attention_mask_.data();
  if (!labels.empty()) {
    std::copy(labels.begin(), labels.end(), labels_.begin());
    view.labels = labels_.data();
  }
  return view;
}

}  // namespace finetune
