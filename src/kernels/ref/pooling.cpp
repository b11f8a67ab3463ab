// Reference first-token pooling: the readable specification and the oracle for cpu:: and cuda::.
//
// Source of truth: BertPooler takes hidden_states[:, 0] before its dense layer; DistilBERT's
// DistilBertForSequenceClassification takes hidden_state[:, 0] before pre_classifier. Both read
// the [CLS] token, which the tokenizer always puts first.
//
// Dimension legend: B batch, T tokens, C hidden.
#include "kernels/pooling.h"

#include <cstdint>

namespace finetune::kernels::ref {

void first_token_forward(const Exec& ex,
                         float* out,       // [B, C]
                         const float* in,  // [B, T, C]
                         int B, int T, int C) {
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t c = 0; c < C; ++c) out[b * C + c] = in[b * T * C + c];
  }
}

}  // namespace finetune::kernels::ref
