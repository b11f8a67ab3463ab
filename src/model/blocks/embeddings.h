// The embeddings block: token ids to the encoder's input, with its forward and backward.
//
//   sum    = word[ids] + position[position ids] (+ token_type[type ids])      [B, T, E]
//   normed = dropout(LayerNorm(sum))                                           [B, T, E]
//   out    = normed Wp^T + bp   (ELECTRA's embeddings_project, only if E != C) [B, T, C]
//
// Source of truth: transformers' BertEmbeddings, DistilBERT's Embeddings, RobertaEmbeddings and
// ElectraEmbeddings (+ ElectraModel.embeddings_project). The variants a family chooses:
//   - positions: absolute 0..T-1, or counted from padding_idx as RoBERTa's
//     create_position_ids_from_input_ids does (kernels/embedding.h);
//   - whether the family has token types (DistilBERT has none; RoBERTa has a one-row table);
//   - the embedding width E (ModelConfig::E): a projection to C follows when E != C;
//   - no position table at all (ModernBertEmbeddings: tok_embeddings -> norm -> drop), with the
//     LayerNorm's bias per ModelConfig::norm_bias.
//
// Dimension legend: B batch, T tokens, C hidden, E embedding width, V vocab, P positions,
// TV token types.
#pragma once

#include <string>

#include "core/exec.h"
#include "kernels/dropout.h"
#include "model/config.h"
#include "model/params.h"

namespace finetune::blocks {

enum class PositionIds {
  Absolute,        // 0..T-1 (BERT, DistilBERT, ELECTRA)
  FromPaddingIdx,  // pad + 1, pad + 2, ... for real tokens, pad for padding (RoBERTa family)
  None,            // no position table: the attention rotates q and k instead (ModernBERT)
};

struct EmbeddingsSpec {
  PositionIds positions = PositionIds::Absolute;
  bool token_types = true;  // the family has token_type_embeddings
};

// The longest sequence a position table of P rows serves (ModelConfig::max_tokens).
int max_tokens_for(const EmbeddingsSpec& spec, int P, int pad_token_id);

// Shapes (no memory) for a configuration.
EmbeddingParams embeddings_shapes(const ModelConfig& config, const EmbeddingsSpec& spec);

// Visits `<prefix>embeddings.{word,position,token_type}_embeddings.weight`,
// `<prefix>embeddings.LayerNorm.{weight,bias}`, then `<prefix>embeddings_project.*` when there
// is a projection: the names every family here uses.
void visit_embeddings(const std::string& prefix, EmbeddingParams& params, EmbeddingParams* grads,
                      const ParameterVisitor& fn);

struct EmbeddingsActivations {
  Tensor position_ids;  // [B, T] I32 (FromPaddingIdx; empty for absolute positions)
  Tensor sum;           // [B, T, E] before the LayerNorm
  Tensor mean;          // [B*T] (training)
  Tensor rstd;          // [B*T] (training)
  Tensor normed;        // [B, T, E] after LayerNorm and dropout; the same memory as `out` when
                        // there is no projection
  Tensor out;           // [B, T, C] the encoder's input
};

// Gradient buffers of the backward pass ([B, T, E]; d_normed may be the gradient of `out`
// itself when there is no projection).
struct EmbeddingsGradScratch {
  Tensor d_normed;
  Tensor d_sum;
};

// token_type_ids are ignored by families without token types.
void embeddings_forward(const Exec& ex, EmbeddingsActivations& acts, const Tensor& input_ids,
                        const Tensor& token_type_ids, const EmbeddingParams& params,
                        const ModelConfig& config, const EmbeddingsSpec& spec,
                        const kernels::DropoutSpec& dropout);

// Accumulates the tables', LayerNorm's and projection's gradients from d_out (the gradient of
// acts.out, which may be overwritten).
void embeddings_backward(const Exec& ex, EmbeddingParams& grads, EmbeddingsGradScratch& scratch,
                         const Tensor& d_out, const EmbeddingsActivations& acts,
                         const Tensor& input_ids, const Tensor& token_type_ids,
                         const EmbeddingParams& params, const EmbeddingsSpec& spec,
                         const kernels::DropoutSpec& dropout);

}  // namespace finetune::blocks
