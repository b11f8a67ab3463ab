// The sequence-classification head, forward and backward:
//   x      = hidden[:, 0]                           [B, C]  ([CLS] / <s>)
//            or the mean of the real tokens' hidden states (ModernBERT's "mean" pooling)
//   x      = dropout(x)                             (RoBERTa, ELECTRA: dropout_on_input)
//   pooled = act(x Wd^T + bd)                       [B, C]  (BERT's pooler_output)
//   pooled = LayerNorm(pooled)                      (ModernBERT's head.norm, where HeadParams has it)
//   logits = dropout(pooled) Wo^T + bo              [B, K]
//
// Source of truth, per family: BertPooler (tanh) + BertForSequenceClassification's dropout and
// classifier; DistilBertForSequenceClassification's pre_classifier (ReLU) + dropout +
// classifier; RobertaClassificationHead (dropout, dense, tanh, dropout, out_proj);
// ElectraClassificationHead (the same with GELU, always the exact erf form);
// ModernBertPredictionHead (dense, classifier_activation, norm) after ModernBERT's
// classifier_pooling. Every dropout of the head uses ModelConfig::classifier_dropout. The pooling,
// and the activation where config.json names it, are ModelConfig's (head_pooling,
// head_activation_from_config); the dense bias and the norm are present per HeadParams.
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

// A family's full names of the two linear layers ("bert.pooler.dense", "classifier"), and of the
// norm between them where there is one ("head.norm"; null: none).
struct ClassificationHeadKeys {
  const char* dense;
  const char* out;
  const char* norm = nullptr;
};

HeadParams classification_head_shapes(const ModelConfig& config);

void visit_classification_head(const ClassificationHeadKeys& keys, HeadParams& params,
                               HeadParams* grads, const ParameterVisitor& fn);

struct ClassificationHeadActivations {
  Tensor first;      // [B, C] the pooled hidden state (after the input dropout, if any)
  Tensor dense;      // [B, C] before the activation
  Tensor activated;  // [B, C] after it (and, after the forward pass, its dropout unless normed)
  Tensor normed;     // [B, C] head.norm(activated) (and then its dropout); empty without a norm
  Tensor norm_mean;  // [B] (training, with a norm)
  Tensor norm_rstd;  // [B] (training, with a norm)
  Tensor logits;     // [B, K]
  // Training only.
  Tensor d_dense;  // [B, C]
  Tensor d_first;  // [B, C]

  // The head's output before its dropout: BERT's pooler_output (normed when there is a norm).
  const Tensor& pooled() const { return normed.ndim > 0 ? normed : activated; }
};

// The head's activation: config.json's (ModernBERT's classifier_activation) or the family's.
kernels::Activation head_activation(const ModelConfig& config, const ClassificationHeadSpec& spec);

// The head's two dropout sites for one micro-step.
struct ClassificationHeadDropout {
  kernels::DropoutSpec input;   // before the dense layer (inactive unless dropout_on_input)
  kernels::DropoutSpec output;  // before the output projection
};

// acts.pooled() is valid until the output dropout runs in place, i.e. only in eval mode or with
// that dropout inactive. `mask` [B, T] is read by mean pooling.
void classification_head_forward(const Exec& ex, ClassificationHeadActivations& acts,
                                 const Tensor& hidden, const Tensor& mask, const HeadParams& params,
                                 const ModelConfig& config, const ClassificationHeadSpec& spec,
                                 const ClassificationHeadDropout& dropout);

// d_hidden [B, T, C] is assigned from d_logits (zero except token 0 with first-token pooling);
// parameter gradients accumulate.
void classification_head_backward(const Exec& ex, const Tensor& d_hidden, HeadParams& grads,
                                  const Tensor& d_logits, ClassificationHeadActivations& acts,
                                  const Tensor& mask, const HeadParams& params,
                                  const ModelConfig& config, const ClassificationHeadSpec& spec,
                                  const ClassificationHeadDropout& dropout);

}  // namespace finetune::blocks
