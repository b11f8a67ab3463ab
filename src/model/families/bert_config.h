// The BERT-shaped configuration fields: BertConfig's names, which RobertaConfig,
// XLMRobertaConfig, CamembertConfig and ElectraConfig share (each with its own defaults).
//
// Source of truth: transformers/models/bert/configuration_bert.py (and the roberta, xlm_roberta,
// camembert, electra configuration files, whose __init__ take the same fields).
#pragma once

#include <string>

#include "io/json.h"
#include "model/config.h"

namespace finetune {

// configuration_bert.py's fields, with BertConfig's defaults; other families start from a copy
// with their own defaults changed.
struct BertConfig {
  int vocab_size = 30522;
  int hidden_size = 768;
  int num_hidden_layers = 12;
  int num_attention_heads = 12;
  int intermediate_size = 3072;
  std::string hidden_act = "gelu";
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  int max_position_embeddings = 512;
  int type_vocab_size = 2;
  double initializer_range = 0.02;
  double layer_norm_eps = 1e-12;
  int pad_token_id = 0;
  std::string position_embedding_type = "absolute";
  double classifier_dropout = -1;  // null in config.json: hidden_dropout_prob is used
};

// Reads the fields present in config.json over `defaults`.
BertConfig read_bert_fields(const JsonView& json, BertConfig defaults);

// The normalized configuration of a BERT-shaped encoder (E = C; max_tokens = P, absolute
// positions). Refuses what finetune does not implement (relative position_embedding_type).
ModelConfig normalize_bert_fields(const BertConfig& c, const JsonView& json, Family family);

}  // namespace finetune
