// Model configuration: config.json as Hugging Face writes it, per family, and the one normalized
// shape the rest of the code uses.
//
// Each family keeps its own field names (BertConfig: hidden_size, num_hidden_layers, ...;
// DistilBertConfig: dim, n_layers, ...) with transformers' defaults, so reading and writing
// config.json is a plain mapping that a reader can check against the transformers source
// (models/bert/configuration_bert.py, models/distilbert/configuration_distilbert.py). Everything
// downstream sees only `ModelConfig`, whose field names follow the dimension legend
// (C hidden, L layers, NH heads, FF intermediate, V vocab, P positions, TV token types, K labels).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "io/json.h"
#include "kernels/activation.h"

namespace finetune {

enum class Family { Bert, DistilBert };

const char* family_name(Family family);  // "bert", "distilbert" (the model_type)

// configuration_bert.py, with transformers' defaults.
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

// configuration_distilbert.py, with transformers' defaults.
struct DistilBertConfig {
  int vocab_size = 30522;
  int max_position_embeddings = 512;
  bool sinusoidal_pos_embds = false;
  int n_layers = 6;
  int n_heads = 12;
  int dim = 768;
  int hidden_dim = 3072;
  double dropout = 0.1;
  double attention_dropout = 0.1;
  std::string activation = "gelu";
  double initializer_range = 0.02;
  double seq_classif_dropout = 0.2;
  int pad_token_id = 0;
};

// DistilBERT's LayerNorms are built with a fixed eps (modeling_distilbert.py: eps=1e-12).
constexpr double kDistilBertLayerNormEps = 1e-12;

// The normalized configuration the model code uses.
struct ModelConfig {
  Family family = Family::Bert;
  std::string architecture;  // architectures[0] of config.json, "" when absent

  int V = 0;   // vocab_size
  int C = 0;   // hidden size
  int L = 0;   // layers
  int NH = 0;  // attention heads
  int FF = 0;  // intermediate (feed-forward) size
  int P = 0;   // max_position_embeddings
  int TV = 0;  // token type vocabulary (0: the family has no token types)
  int HS() const { return C / NH; }
  int K() const { return static_cast<int>(labels.size()); }

  double layer_norm_eps = 1e-12;
  kernels::Activation activation = kernels::Activation::GeluErf;
  std::string activation_name = "gelu";  // as written in config.json
  double hidden_dropout = 0.1;      // embeddings, attention output, feed-forward output
  double attention_dropout = 0.1;   // attention probabilities
  double classifier_dropout = 0.1;  // before the classifier
  double initializer_range = 0.02;
  int pad_token_id = 0;

  // Label names in id order (id2label). transformers' default when config.json has none is two
  // labels LABEL_0 and LABEL_1; `labels_from_config` says whether the names came from the file.
  std::vector<std::string> labels;
  bool labels_from_config = false;

  // The parsed config.json, kept so that saving preserves fields finetune does not interpret.
  Json raw;
};

// Parses and validates `config.json`. Errors name the file and the key.
ModelConfig load_model_config(const std::filesystem::path& config_json);
ModelConfig parse_model_config(const Json& document, const std::string& origin);

// Sets the label names (id order): used when a dataset defines labels and the config does not.
void set_labels(ModelConfig& config, std::vector<std::string> labels);

// config.json content for the model as finetune will save it: the original fields, updated with
// `architectures` (the ForSequenceClassification class), id2label/label2id and the sizes.
Json config_to_json(const ModelConfig& config);

// The transformers class for sequence classification of this family.
const char* classification_architecture(Family family);

}  // namespace finetune
