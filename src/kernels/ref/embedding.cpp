// Reference embedding sum: the readable specification and the oracle for cpu:: and cuda::.
//
// Source of truth: transformers' BertEmbeddings.forward (inputs_embeds + token_type_embeddings,
// then += position_embeddings for the "absolute" position type) and DistilBERT's
// Embeddings.forward (input_embeds + position_embeddings). Position ids are 0..T-1, the
// default both modules use when none are passed. When the model has token types but the caller
// passes no ids, BertEmbeddings uses its all-zero `token_type_ids` buffer, i.e. row 0 of the
// token-type table for every token; this kernel does the same.
//
// The three rows are summed in double and rounded once, so this oracle is the correctly rounded
// sum; PyTorch's float order (word + type) + position can differ from it by one ulp.
//
// Dimension legend: B batch, T tokens, C hidden, V vocabulary, P max positions, TV token types.
#include "kernels/embedding.h"

#include <cstdint>

#include "core/error.h"

namespace finetune::kernels::ref {

void embedding_forward(const Exec& ex,
                       float* out,                     // [B, T, C]
                       const int32_t* input_ids,       // [B, T]
                       const int32_t* token_type_ids,  // [B, T] or null
                       const float* word,              // [V, C]
                       const float* position,          // [P, C], P >= T
                       const float* token_type,        // [TV, C] or null
                       int B, int T, int C) {
  FT_CHECK(token_type_ids == nullptr || token_type != nullptr,
           "embedding_forward: token_type_ids given but the model has no token-type table");
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t < T; ++t) {
      const int64_t row = b * T + t;
      const float* w = word + static_cast<int64_t>(input_ids[row]) * C;  // [C]
      const float* p = position + t * C;                                 // [C]
      const float* tt = nullptr;                                         // [C] or null
      if (token_type) {
        const int64_t type = token_type_ids ? token_type_ids[row] : 0;
        tt = token_type + type * C;
      }
      for (int64_t c = 0; c < C; ++c) {
        double acc = static_cast<double>(w[c]) + p[c];
        if (tt) acc += tt[c];
        out[row * C + c] = static_cast<float>(acc);
      }
    }
  }
}

}  // namespace finetune::kernels::ref
