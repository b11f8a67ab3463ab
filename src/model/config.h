// Model configuration: config.json as Hugging Face writes it, per family, and the one normalized
// shape the rest of the code uses.
//
// Each family reads its own field names with transformers' defaults in its own file
// (families/*.cpp: BertConfig's hidden_size, num_hidden_layers, ...; DistilBertConfig's dim,
// n_layers, ...; ElectraConfig's embedding_size), so reading config.json is a plain mapping that
// a reader can check against the family's configuration_*.py. Everything downstream sees only
// `ModelConfig`, whose field names follow the dimension legend (C hidden, E embedding width,
// L layers, NH heads, FF intermediate, V vocab, P positions, TV token types, K labels).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "io/json.h"
#include "kernels/activation.h"

namespace finetune {

// The model families finetune implements (one file each in families/, docs/families.md).
enum class Family { Bert, DistilBert, Roberta, XlmRoberta, Camembert, Electra, ModernBert };

// How the classification head reads the sequence: the first token ([CLS], <s>) or the mean of the
// real tokens (ModernBERT's classifier_pooling "mean").
enum class HeadPooling { FirstToken, Mean };

// One layer's attention variant: a sliding window (0: full attention) and rotary positions
// (rope_theta 0: none). ModernBERT's local and global layers.
struct LayerAttention {
  int window = 0;         // query i sees keys with |i - j| <= window
  double rope_theta = 0;  // RoPE base of the layer's rotary embedding
};

const char* family_name(Family family);  // the model_type: "bert", "xlm-roberta", ...

// The normalized configuration the model code uses.
struct ModelConfig {
  Family family = Family::Bert;
  std::string architecture;  // architectures[0] of config.json, "" when absent

  int V = 0;   // vocab_size
  int C = 0;   // hidden size
  int E = 0;   // embedding width: ELECTRA's embedding_size, the hidden size C elsewhere
  int L = 0;   // layers
  int NH = 0;  // attention heads
  int FF = 0;  // intermediate (feed-forward) size
  int P = 0;   // max_position_embeddings
  int TV = 0;  // token type vocabulary (0: the family has no token types)
  // The longest sequence the position table serves: P for absolute positions, P - pad - 1 for
  // RoBERTa's positions counted from padding_idx (514 rows serve 512 tokens).
  int max_tokens = 0;
  int HS() const { return C / NH; }
  int K() const { return static_cast<int>(labels.size()); }

  double layer_norm_eps = 1e-12;
  kernels::Activation activation = kernels::Activation::GeluErf;
  std::string activation_name = "gelu";  // as written in config.json
  // Dropout per site (BERT's hidden_dropout_prob is the first three).
  double embedding_dropout = 0.1;         // after the embeddings' LayerNorm
  double attention_output_dropout = 0.1;  // after the attention's output projection
  double feed_forward_dropout = 0.1;      // the feed-forward block's (where: its FeedForwardKind)
  double attention_dropout = 0.1;         // attention probabilities
  double classifier_dropout = 0.1;  // the classification head's dropout (both, where it has two)
  double initializer_range = 0.02;
  int pad_token_id = 0;

  // Architecture variants read from config.json by the families that have them (ModernBERT);
  // the defaults are the BERT-shaped layout.
  std::vector<LayerAttention> layer_attention;  // per layer; empty: all full, no rotary
  bool attention_bias = true;   // biases of the q/k/v and attention output projections
  bool mlp_bias = true;         // biases of the feed-forward projections
  bool norm_bias = true;        // LayerNorm biases
  bool head_dense_bias = true;  // the head's dense layer's bias
  HeadPooling head_pooling = HeadPooling::FirstToken;
  // The head's activation when config.json chooses it (ModernBERT's classifier_activation);
  // unset: the family's (ClassificationHeadSpec::activation).
  bool head_activation_from_config = false;
  kernels::Activation head_activation = kernels::Activation::Tanh;
  // The attention variant of layer l.
  LayerAttention attention_of(int l) const {
    return l < static_cast<int>(layer_attention.size()) ? layer_attention[l] : LayerAttention{};
  }

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
