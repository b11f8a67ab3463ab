// Embedding sum: word + position (+ token type) rows, before the embedding LayerNorm.
//
// Source of truth: transformers' BertEmbeddings (word + token_type + absolute position),
// DistilBERT's Embeddings (word + position; no token types) and RobertaEmbeddings (positions
// counted from padding_idx). With null position_ids, positions are 0..T-1 for every sequence, as
// BERT and DistilBERT compute them when none are given (padding is on the right, so real tokens
// always start at position 0); RoBERTa-like families pass the ids of
// position_ids_from_input_ids.
//
// Dimension legend: B batch, T tokens, C hidden, V vocabulary, P max positions, TV token types.
// Ids are assumed in range; the ops layer validates them against V, P and TV.
// A token-type table with null token_type_ids uses row 0 for every token (BertEmbeddings' default
// all-zero token_type_ids); token_type_ids without a table is a bug (FT_CHECK). A null position
// table (and null dposition) means the family has no absolute positions (ModernBERT: rotary).
#pragma once

#include <cstdint>

#include "core/exec.h"

namespace finetune::kernels {

namespace ref {
// RobertaEmbeddings' create_position_ids_from_input_ids: position_ids[b, t] = pad + (number of
// non-pad tokens in input_ids[b, 0..t]) for a non-pad token, and pad for a pad token. Computed
// from the ids, not from the attention mask, as transformers does.
void position_ids_from_input_ids(const Exec& ex,
                                 int32_t* position_ids,     // [B, T]
                                 const int32_t* input_ids,  // [B, T]
                                 int pad, int B, int T);

void embedding_forward(const Exec& ex,
                       float* out,                     // [B, T, C]
                       const int32_t* input_ids,       // [B, T]
                       const int32_t* token_type_ids,  // [B, T] or null (no token types)
                       const int32_t* position_ids,    // [B, T] or null (0..T-1)
                       const float* word,              // [V, C]
                       const float* position,          // [P, C], P > every position id
                       const float* token_type,        // [TV, C] or null
                       int B, int T, int C);

// Accumulates dout into the rows that were read: dword[ids] += dout, dposition[position] += dout,
// dtoken_type[type_ids] += dout (a sparse update of dense gradient tables). A row used several
// times receives the sum. dtoken_type and token_type_ids may be null.
void embedding_backward(const Exec& ex,
                        float* dword,                   // [V, C]
                        float* dposition,               // [P, C]
                        float* dtoken_type,             // [TV, C] or null
                        const float* dout,              // [B, T, C]
                        const int32_t* input_ids,       // [B, T]
                        const int32_t* token_type_ids,  // [B, T] or null
                        const int32_t* position_ids,    // [B, T] or null (0..T-1)
                        int B, int T, int C);
}  // namespace ref

namespace cpu {
decltype(ref::position_ids_from_input_ids) position_ids_from_input_ids;
decltype(ref::embedding_forward) embedding_forward;
decltype(ref::embedding_backward) embedding_backward;
}  // namespace cpu
namespace cuda {
decltype(ref::position_ids_from_input_ids) position_ids_from_input_ids;
decltype(ref::embedding_forward) embedding_forward;
decltype(ref::embedding_backward) embedding_backward;
}  // namespace cuda

}  // namespace finetune::kernels
