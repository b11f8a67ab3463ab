// The embedding sum and its backward as templates over the storage type: the readable
// specification behind ref::embedding_*, and (with Real = double) the function whose finite
// differences test the backward pass. Convention (Real storage, arithmetic in double, one rounding
// per stored value): see ref/linear_math.h.
//
// Source of truth: transformers' BertEmbeddings.forward (inputs_embeds + token_type_embeddings,
// then += position_embeddings for the "absolute" position type), DistilBERT's
// Embeddings.forward (input_embeds + position_embeddings) and RobertaEmbeddings.forward (the same
// sum as BERT's, with position ids from create_position_ids_from_input_ids). Without position
// ids, positions are 0..T-1, the default BERT and DistilBERT use when none are passed. When the
// model has token types but the caller passes no ids, BertEmbeddings uses its all-zero
// `token_type_ids` buffer, i.e. row 0 of the token-type table for every token; these functions do
// the same.
//
// Forward: the three rows are summed in double and rounded once (the correctly rounded sum;
// PyTorch's float order (word + type) + position can differ from it by one ulp).
// Backward: the sum is linear in each table, so each token's dout row is added into the rows it
// read (torch.nn.Embedding's backward, a scatter-add). Rows are processed in token order
// (b, t) and every addition is rounded to Real, so a row used several times receives
// ((dout_first + dout_second) + ...) in that order: the float result is exactly defined, and the
// cpu:: kernel, which adds in the same order, reproduces it bit for bit.
//
// Dimension legend: B batch, T tokens, C hidden, V vocabulary, P max positions, TV token types.
#pragma once

#include <cstdint>

#include "core/error.h"

namespace finetune::kernels::ref::math {

// RoBERTa's positions: a running count of the non-pad tokens, offset by pad; pad tokens get pad.
inline void position_ids_from_input_ids(int32_t* position_ids,     // [B, T]
                                        const int32_t* input_ids,  // [B, T]
                                        int pad, int B, int T) {
  for (int64_t b = 0; b < B; ++b) {
    int32_t count = 0;
    for (int64_t t = 0; t < T; ++t) {
      const int64_t row = b * T + t;
      const bool real = input_ids[row] != pad;
      count += real ? 1 : 0;
      position_ids[row] = real ? pad + count : pad;
    }
  }
}

template <typename Real>
void embedding_forward(Real* out,                      // [B, T, C]
                       const int32_t* input_ids,       // [B, T]
                       const int32_t* token_type_ids,  // [B, T] or null
                       const int32_t* position_ids,    // [B, T] or null (0..T-1)
                       const Real* word,               // [V, C]
                       const Real* position,           // [P, C]
                       const Real* token_type,         // [TV, C] or null
                       int B, int T, int C) {
  FT_CHECK(token_type_ids == nullptr || token_type != nullptr,
           "embedding_forward: token_type_ids given but the model has no token-type table");
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t < T; ++t) {
      const int64_t row = b * T + t;
      const Real* w = word + static_cast<int64_t>(input_ids[row]) * C;  // [C]
      const int64_t pos = position_ids ? position_ids[row] : t;
      const Real* p = position ? position + pos * C : nullptr;  // [C] or null (no table)
      const Real* tt = nullptr;                                 // [C] or null
      if (token_type) {
        const int64_t type = token_type_ids ? token_type_ids[row] : 0;
        tt = token_type + type * C;
      }
      for (int64_t c = 0; c < C; ++c) {
        double acc = static_cast<double>(w[c]);
        if (p) acc += p[c];
        if (tt) acc += tt[c];
        out[row * C + c] = static_cast<Real>(acc);
      }
    }
  }
}

// dword[ids] += dout, dposition[position ids, or t] += dout, dtoken_type[type ids] += dout (row 0
// when the ids are null), token rows in order. dtoken_type may be null (no token-type table).
template <typename Real>
void embedding_backward(Real* dword,                    // [V, C]
                        Real* dposition,                // [P, C]
                        Real* dtoken_type,              // [TV, C] or null
                        const Real* dout,               // [B, T, C]
                        const int32_t* input_ids,       // [B, T]
                        const int32_t* token_type_ids,  // [B, T] or null
                        const int32_t* position_ids,    // [B, T] or null (0..T-1)
                        int B, int T, int C) {
  FT_CHECK(token_type_ids == nullptr || dtoken_type != nullptr,
           "embedding_backward: token_type_ids given but the model has no token-type table");
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t < T; ++t) {
      const int64_t row = b * T + t;
      const Real* dy = dout + row * C;                                            // [C]
      Real* w = dword + static_cast<int64_t>(input_ids[row]) * C;                 // [C]
      Real* p = dposition ? dposition + (position_ids ? position_ids[row] : t) * int64_t{C}
                          : nullptr;  // [C] or null (no table)
      Real* tt = nullptr;             // [C] or null
      if (dtoken_type) tt = dtoken_type + (token_type_ids ? token_type_ids[row] : 0) * int64_t{C};
      for (int64_t c = 0; c < C; ++c) {
        w[c] = static_cast<Real>(static_cast<double>(w[c]) + dy[c]);
        if (p) p[c] = static_cast<Real>(static_cast<double>(p[c]) + dy[c]);
        if (tt) tt[c] = static_cast<Real>(static_cast<double>(tt[c]) + dy[c]);
      }
    }
  }
}

}  // namespace finetune::kernels::ref::math
