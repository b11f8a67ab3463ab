// Reading the BERT-shaped configuration fields (see bert_config.h).
#include "model/families/bert_config.h"

#include "model/config_fields.h"

namespace finetune {

BertConfig read_bert_fields(const JsonView& json, BertConfig c) {
  c.vocab_size = positive_int_field(json, "vocab_size", c.vocab_size);
  c.hidden_size = positive_int_field(json, "hidden_size", c.hidden_size);
  c.num_hidden_layers = positive_int_field(json, "num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = positive_int_field(json, "num_attention_heads", c.num_attention_heads);
  c.intermediate_size = positive_int_field(json, "intermediate_size", c.intermediate_size);
  c.hidden_act = json.get_string_or("hidden_act", c.hidden_act);
  c.hidden_dropout_prob = probability_field(json, "hidden_dropout_prob", c.hidden_dropout_prob);
  c.attention_probs_dropout_prob =
      probability_field(json, "attention_probs_dropout_prob", c.attention_probs_dropout_prob);
  c.max_position_embeddings =
      positive_int_field(json, "max_position_embeddings", c.max_position_embeddings);
  c.type_vocab_size = positive_int_field(json, "type_vocab_size", c.type_vocab_size);
  c.initializer_range = json.get_number_or("initializer_range", c.initializer_range);
  c.layer_norm_eps = positive_number_field(json, "layer_norm_eps", c.layer_norm_eps);
  c.pad_token_id = static_cast<int>(json.get_int_or("pad_token_id", c.pad_token_id));
  c.position_embedding_type =
      json.get_string_or("position_embedding_type", c.position_embedding_type);
  if (json.has("classifier_dropout"))
    c.classifier_dropout = probability_field(json, "classifier_dropout", 0);
  return c;
}

ModelConfig normalize_bert_fields(const BertConfig& c, const JsonView& json, Family family) {
  if (c.position_embedding_type != "absolute") {
    json.fail("position_embedding_type",
              cat("'", c.position_embedding_type, "' is not supported (supported: absolute)"));
  }
  require_divisible(json, "hidden_size", c.hidden_size, "num_attention_heads",
                    c.num_attention_heads);
  ModelConfig m;
  m.family = family;
  m.V = c.vocab_size;
  m.C = c.hidden_size;
  m.E = c.hidden_size;
  m.L = c.num_hidden_layers;
  m.NH = c.num_attention_heads;
  m.FF = c.intermediate_size;
  m.P = c.max_position_embeddings;
  m.TV = c.type_vocab_size;
  m.max_tokens = c.max_position_embeddings;
  m.layer_norm_eps = c.layer_norm_eps;
  m.activation = parse_activation(json, "hidden_act", c.hidden_act);
  m.activation_name = c.hidden_act;
  // hidden_dropout_prob: the embeddings, the attention output and the feed-forward output.
  m.embedding_dropout = m.attention_output_dropout = m.feed_forward_dropout = c.hidden_dropout_prob;
  m.attention_dropout = c.attention_probs_dropout_prob;
  // BertForSequenceClassification and its descendants: classifier_dropout if set, else hidden's.
  m.classifier_dropout = c.classifier_dropout >= 0 ? c.classifier_dropout : c.hidden_dropout_prob;
  m.initializer_range = c.initializer_range;
  m.pad_token_id = c.pad_token_id;
  return m;
}

}  // namespace finetune
