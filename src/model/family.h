// What differs between model families, in one place: checkpoint key names, whether token types
// exist, and the activation of the classification head's first layer. Everything else (the
// encoder layer, the forward pass, loading and saving) is shared and reads a FamilySpec.
//
// One file per family implements its spec: bert.cpp (BertForSequenceClassification) and
// distilbert.cpp (DistilBertForSequenceClassification).
#pragma once

#include <string>

#include "kernels/activation.h"
#include "model/config.h"
#include "model/params.h"

namespace finetune {

struct FamilySpec {
  Family family;
  // Prefix of the encoder's keys in a ForSequenceClassification checkpoint ("bert.",
  // "distilbert."). Base-model checkpoints (BertModel, DistilBertModel, sentence-transformers)
  // store the same keys without it, as transformers' base_model_prefix logic expects.
  std::string base_prefix;
  bool has_token_types;
  // BERT applies dropout to the attention output projection (BertSelfOutput); DistilBERT's
  // MultiHeadSelfAttention does not.
  bool attention_output_dropout;
  // BERT's pooler uses tanh; DistilBERT's pre_classifier is followed by ReLU.
  kernels::Activation head_activation;
  // Visits every parameter with its ForSequenceClassification key, in layout order.
  void (*visit)(const ModelConfig& config, ModelParams& params, ModelParams* grads,
                const ParameterVisitor& fn);
  // Checkpoint tensors that are buffers, not parameters, and are ignored without notice
  // (e.g. BERT's embeddings.position_ids), given relative to the base prefix.
  const char* const* ignored_buffers;
};

const FamilySpec& bert_family();
const FamilySpec& distilbert_family();
const FamilySpec& family_spec(Family family);

}  // namespace finetune
