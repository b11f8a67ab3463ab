// Batches with dynamic padding: the encodings of one batch padded to the longest among them.
//
// The tutorial pads each batch to its own longest sequence (DataCollatorWithPadding), not to a
// global maximum: tweets average ~22 tokens, so padding to 512 would waste >95% of the work.
// A BatchBuilder owns buffers sized once for (max_batch, max_tokens); building a batch only fills
// them, so the training loop allocates nothing per step (DESIGN.md principle 3).
//
// Dimension legend: B sequences in the batch, T tokens (the longest sequence in the batch).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace finetune {

// A read-only view of one padded batch; pointers stay valid until the builder builds again.
struct BatchView {
  int B = 0;
  int T = 0;
  const int32_t* input_ids = nullptr;       // [B, T], padding = the tokenizer's pad id
  const int32_t* token_type_ids = nullptr;  // [B, T], padding = 0
  const int32_t* attention_mask = nullptr;  // [B, T], 1 = real token, 0 = padding
  const int32_t* labels = nullptr;          // [B] or null when the batch has no labels
};

class BatchBuilder {
 public:
  BatchBuilder(int max_batch, int max_tokens, int32_t pad_id);

  // Pads `encodings` (at most max_batch, each at most max_tokens long) on the right to the
  // longest of them, or to `pad_to` tokens when that is longer (fixed shapes for CUDA graphs;
  // the extra positions are padding like any other). `labels` is empty or one per encoding.
  BatchView build(std::span<const Encoding* const> encodings, std::span<const int32_t> labels = {},
                  int pad_to = 0);

  int max_batch() const { return max_batch_; }
  int max_tokens() const { return max_tokens_; }

 private:
  int max_batch_;
  int max_tokens_;
  int32_t pad_id_;
  std::vector<int32_t> input_ids_, token_type_ids_, attention_mask_, labels_;
};

}  // namespace finetune
