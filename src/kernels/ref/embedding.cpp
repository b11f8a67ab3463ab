// Reference embedding sum and its backward: the float oracle for cpu:: and cuda::, thin wrappers
// over ref/embedding_math.h, where the math and its source of truth (transformers'
// BertEmbeddings, DistilBERT's Embeddings) are written out.
//
// Dimension legend: B batch, T tokens, C hidden, V vocabulary, P max positions, TV token types.
#include "kernels/embedding.h"

#include <cstdint>

#include "kernels/ref/embedding_math.h"

namespace finetune::kernels::ref {

void position_ids_from_input_ids(const Exec& ex,
                                 int32_t* position_ids,     // [B, T]
                                 const int32_t* input_ids,  // [B, T]
                                 int pad, int B, int T) {
  math::position_ids_from_input_ids(position_ids, input_ids, pad, B, T);
}

void embedding_forward(const Exec& ex,
                       float* out,                     // [B, T, C]
                       const int32_t* input_ids,       // [B, T]
                       const int32_t* token_type_ids,  // [B, T] or null
                       const int32_t* position_ids,    // [B, T] or null
                       const float* word,              // [V, C]
                       const float* position,          // [P, C]
                       const float* token_type,        // [TV, C] or null
                       int B, int T, int C) {
  math::embedding_forward(out, input_ids, token_type_ids, position_ids, word, position, token_type,
                          B, T, C);
}

void embedding_backward(const Exec& ex,
                        float* dword,                   // [V, C]
                        float* dposition,               // [P, C]
                        float* dtoken_type,             // [TV, C] or null
                        const float* dout,              // [B, T, C]
                        const int32_t* input_ids,       // [B, T]
                        const int32_t* token_type_ids,  // [B, T] or null
                        const int32_t* position_ids,    // [B, T] or null
                        int B, int T, int C) {
  math::embedding_backward(dword, dposition, dtoken_type, dout, input_ids, token_type_ids,
                           position_ids, B, T, C);
}

}  // namespace finetune::kernels::ref
