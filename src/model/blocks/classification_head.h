// The sequence-classification head on the first token, forward and backward:
//   x      = hidden[:, 0]                           [B, C]  ([CLS] / <s>)
//   x      = dropout(x)                             (RoBERTa, ELECTRA: dropout_on_input)
//   pooled = act(x Wd^T + bd)                       [B, C]  (BERT's pooler_output)
//   logits = dropout(pooled) Wo^T + bo              [B, K]
//
// Source of truth, per family: BertPooler (tanh) + BertForSequenceClassification's dropout and
// classifier; DistilBertForSequenceClassification's pre_classifier (ReLU) + dropout +
// classifier; RobertaClassificationHead (dropout, dense, tanh, dropout, out_proj);
// ElectraClassificationHead (the same with GELU, always the exact erf form). Every dropout of
// the head uses ModelConfig::classifier_dropout.
//
// Dimension legend: B batch, T tokens, C hidden, K labels.
#pragma once

#include <string>

#include "core/exec.h"
#include "kernels/activation.h"
#include "kernels/dropout.h"
#include "model/config.h"
#include "model/params.h"

namespace finetune::blocks {

struct ClassificationHeadSpec {
  kernels::Activation activation = kernels::Activation::Tanh;
  bool dropout_on_input = false;  // dropout before the dense layer too (RoBERTa, ELECTRA)
};

// A family's full names of the two linear layers ("bert.pooler.dense", "classifier").
struct ClassificationHeadKeys {
  const char* dense;
  const char* out;
};

HeadParams classification_head_shapes(const ModelConfig& config);

void visit_classification_head(const ClassificationHeadKeys& keys, HeadParams& params,
                               HeadParams* grads, const ParameterVisitor& fn);

struct ClassificationHeadActivations {
  Tensor first;      // [B, C] hidden state of token 0 (after the input dropout, if any)
  Tensor dense;      // [B, C] before the activation
  Tensor activated;  // [B, C] after it (and, after the forward pass, its dropout)
  Tensor logits;     // [B, K]
  // Training only.
  Tensor d_dense;  // [B, C]
  Tensor d_first;  // [B, C]
};

// The head's two dropout sites for one micro-step.
struct ClassificationHeadDropout {
  kernels::DropoutSpec input;   // before the dense layer (inactive unless dropout_on_input)
  kernels::DropoutSpec output;  // before the output projection
};

// Returns `pooled`: the activation before its dropout (BERT's pooler_output), valid until the
// dropout runs in place, i.e. only in eval mode or with the output dropout inactive.
void classification_head_forward(const Exec& ex, ClassificationHeadActivations& acts,
                                 const Tensor& hidden, const HeadParams& params,
                                 const ClassificationHeadSpec& spec,
                                 const ClassificationHeadDropout& dropout);

// d_hidden [B, T, C] is assigned (zero except token 0) from d_logits; parameter gradients
// accumulate.
void classification_head_backward(const Exec& ex, const Tensor& d_hidden, HeadParams& grads,
                                  const Tensor& d_logits, ClassificationHeadActivations& acts,
                                  const HeadParams& params, const ClassificationHeadSpec& spec,
                                  const ClassificationHeadDropout& dropout);

}  // namespace finetune::blocks
