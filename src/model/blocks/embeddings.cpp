// The embeddings block's parameters, forward and backward (see embeddings.h).
#include "model/blocks/embeddings.h"

#include "model/blocks/param_visit.h"
#include "ops/ops.h"

namespace finetune::blocks {

int max_tokens_for(const EmbeddingsSpec& spec, int P, int pad_token_id) {
  // RoBERTa's largest position id is pad + T, so T may be at most P - pad - 1.
  return spec.positions == PositionIds::FromPaddingIdx ? P - pad_token_id - 1 : P;
}

EmbeddingParams embeddings_shapes(const ModelConfig& config, const EmbeddingsSpec& spec) {
  const int64_t V = config.V, P = config.P, TV = config.TV, C = config.C, E = config.E;
  auto matrix = [](int64_t rows, int64_t cols) {
    return Tensor(nullptr, DType::F32, {rows, cols});
  };
  EmbeddingParams p;
  p.word = matrix(V, E);
  if (spec.positions != PositionIds::None) p.position = matrix(P, E);
  if (spec.token_types) p.token_type = matrix(TV, E);
  p.norm = norm_shape(E, config.norm_bias);
  if (E != C) p.project = linear_shape(C, E);
  return p;
}

void visit_embeddings(const std::string& prefix, EmbeddingParams& p, EmbeddingParams* g,
                      const ParameterVisitor& fn) {
  const ParamGroup group = ParamGroup::Encoder;
  const std::string e = prefix + "embeddings.";
  fn(e + "word_embeddings.weight", p.word, g ? &g->word : nullptr, group);
  fn(e + "position_embeddings.weight", p.position, g ? &g->position : nullptr, group);
  // Declared tables have a shape (ndim > 0) even before memory is bound (data == nullptr).
  if (p.token_type.ndim > 0) {
    fn(e + "token_type_embeddings.weight", p.token_type, g ? &g->token_type : nullptr, group);
  }
  visit_norm(fn, e + "LayerNorm", p.norm, g ? &g->norm : nullptr, group);
  if (p.project.weight.ndim > 0) {
    visit_linear(fn, prefix + "embeddings_project", p.project, g ? &g->project : nullptr, group);
  }
}

void embeddings_forward(const Exec& ex, EmbeddingsActivations& a, const Tensor& input_ids,
                        const Tensor& token_type_ids, const EmbeddingParams& p,
                        const ModelConfig& config, const EmbeddingsSpec& spec,
                        const kernels::DropoutSpec& dropout) {
  const Tensor none;
  if (spec.positions == PositionIds::FromPaddingIdx) {
    ops::position_ids_from_input_ids(ex, a.position_ids, input_ids, config.pad_token_id, config.P);
  }
  ops::embedding(ex, a.sum, input_ids, spec.token_types ? token_type_ids : none, a.position_ids,
                 p.word, p.position, spec.token_types ? p.token_type : none);
  ops::layernorm(ex, a.normed, a.mean, a.rstd, a.sum, p.norm.weight, p.norm.bias,
                 config.layer_norm_eps);
  if (dropout.active()) ops::dropout(ex, a.normed, a.normed, dropout);
  if (!p.project.weight.empty()) ops::linear(ex, a.out, a.normed, p.project.weight, p.project.bias);
}

void embeddings_backward(const Exec& ex, EmbeddingParams& g, EmbeddingsGradScratch& s,
                         const Tensor& d_out, const EmbeddingsActivations& a,
                         const Tensor& input_ids, const Tensor& token_type_ids,
                         const EmbeddingParams& p, const EmbeddingsSpec& spec,
                         const kernels::DropoutSpec& dropout) {
  const Tensor none;
  const Tensor* d_normed = &d_out;
  if (!p.project.weight.empty()) {
    ops::linear_backward(ex, s.d_normed, g.project.weight, g.project.bias, d_out, a.normed,
                         p.project.weight);
    d_normed = &s.d_normed;
  }
  if (dropout.active()) ops::dropout_backward(ex, *d_normed, *d_normed, dropout);
  ops::layernorm_backward(ex, s.d_sum, g.norm.weight, g.norm.bias, *d_normed, a.sum, p.norm.weight,
                          a.mean, a.rstd);
  ops::embedding_backward(ex, g.word, g.position, spec.token_types ? g.token_type : none, s.d_sum,
                          input_ids, spec.token_types ? token_type_ids : none, a.position_ids);
}

}  // namespace finetune::blocks
