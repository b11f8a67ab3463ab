// Parsing config.json per family and normalizing it into ModelConfig.
#include "model/config.h"

#include <algorithm>

#include "core/error.h"

namespace finetune {
namespace {

// Reads a positive integer field, keeping the default when absent.
int positive_int(const JsonView& json, const std::string& key, int fallback) {
  int64_t value = json.get_int_or(key, fallback);
  if (value <= 0 || value > (1 << 30)) json.fail(key, cat("expected a positive integer, got ", value));
  return static_cast<int>(value);
}

double probability(const JsonView& json, const std::string& key, double fallback) {
  double value = json.get_number_or(key, fallback);
  if (!(value >= 0.0 && value < 1.0)) json.fail(key, cat("expected a probability in [0, 1), got ", value));
  return value;
}

kernels::Activation parse_activation(const JsonView& json, const std::string& key,
                                     const std::string& name) {
  // transformers.activations.ACT2FN names; gelu_new, gelu_fast and gelu_pytorch_tanh are the
  // same tanh approximation written three ways.
  if (name == "gelu") return kernels::Activation::GeluErf;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") {
    return kernels::Activation::GeluTanh;
  }
  if (name == "relu") return kernels::Activation::Relu;
  json.fail(key, cat("activation '", name,
                     "' is not supported (supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu)"));
}

BertConfig parse_bert(const JsonView& json) {
  BertConfig c;
  c.vocab_size = positive_int(json, "vocab_size", c.vocab_size);
  c.hidden_size = positive_int(json, "hidden_size", c.hidden_size);
  c.num_hidden_layers = positive_int(json, "num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = positive_int(json, "num_attention_heads", c.num_attention_heads);
  c.intermediate_size = positive_int(json, "intermediate_size", c.intermediate_size);
  c.hidden_act = json.get_string_or("hidden_act", c.hidden_act);
  c.hidden_dropout_prob = probability(json, "hidden_dropout_prob", c.hidden_dropout_prob);
  c.attention_probs_dropout_prob =
      probability(json, "attention_probs_dropout_prob", c.attention_probs_dropout_prob);
  c.max_position_embeddings = positive_int(json, "max_position_embeddings", c.max_position_embeddings);
  c.type_vocab_size = positive_int(json, "type_vocab_size", c.type_vocab_size);
  c.initializer_range = json.get_number_or("initializer_range", c.initializer_range);
  c.layer_norm_eps = json.get_number_or("layer_norm_eps", c.layer_norm_eps);
  c.pad_token_id = static_cast<int>(json.get_int_or("pad_token_id", c.pad_token_id));
  c.position_embedding_type = json.get_string_or("position_embedding_type", c.position_embedding_type);
  if (json.has("classifier_dropout")) c.classifier_dropout = probability(json, "classifier_dropout", 0);
  return c;
}

DistilBertConfig parse_distilbert(const JsonView& json) {
  DistilBertConfig c;
  c.vocab_size = positive_int(json, "vocab_size", c.vocab_size);
  c.max_position_embeddings = positive_int(json, "max_position_embeddings", c.max_position_embeddings);
  c.sinusoidal_pos_embds = json.get_bool_or("sinusoidal_pos_embds", c.sinusoidal_pos_embds);
  c.n_layers = positive_int(json, "n_layers", c.n_layers);
  c.n_heads = positive_int(json, "n_heads", c.n_heads);
  c.dim = positive_int(json, "dim", c.dim);
  c.hidden_dim = positive_int(json, "hidden_dim", c.hidden_dim);
  c.dropout = probability(json, "dropout", c.dropout);
  c.attention_dropout = probability(json, "attention_dropout", c.attention_dropout);
  c.activation = json.get_string_or("activation", c.activation);
  c.initializer_range = json.get_number_or("initializer_range", c.initializer_range);
  c.seq_classif_dropout = probability(json, "seq_classif_dropout", c.seq_classif_dropout);
  c.pad_token_id = static_cast<int>(json.get_int_or("pad_token_id", c.pad_token_id));
  return c;
}

ModelConfig normalize(const BertConfig& c, const JsonView& json) {
  if (c.position_embedding_type != "absolute") {
    json.fail("position_embedding_type", cat("'", c.position_embedding_type,
                                             "' is not supported (supported: absolute)"));
  }
  if (c.hidden_size % c.num_attention_heads != 0) {
    json.fail("hidden_size", cat(c.hidden_size, " is not a multiple of num_attention_heads ",
                                 c.num_attention_heads));
  }
  if (!(c.layer_norm_eps > 0)) json.fail("layer_norm_eps", "expected a positive number");
  ModelConfig m;
  m.family = Family::Bert;
  m.V = c.vocab_size;
  m.C = c.hidden_size;
  m.L = c.num_hidden_layers;
  m.NH = c.num_attention_heads;
  m.FF = c.intermediate_size;
  m.P = c.max_position_embeddings;
  m.TV = c.type_vocab_size;
  m.layer_norm_eps = c.layer_norm_eps;
  m.activation = parse_activation(json, "hidden_act", c.hidden_act);
  m.activation_name = c.hidden_act;
  m.hidden_dropout = c.hidden_dropout_prob;
  m.attention_dropout = c.attention_probs_dropout_prob;
  // modeling_bert.py BertForSequenceClassification: classifier_dropout if set, else hidden's.
  m.classifier_dropout = c.classifier_dropout >= 0 ? c.classifier_dropout : c.hidden_dropout_prob;
  m.initializer_range = c.initializer_range;
  m.pad_token_id = c.pad_token_id;
  return m;
}

ModelConfig normalize(const DistilBertConfig& c, const JsonView& json) {
  if (c.dim % c.n_heads != 0) {
    json.fail("dim", cat(c.dim, " is not a multiple of n_heads ", c.n_heads));
  }
  ModelConfig m;
  m.family = Family::DistilBert;
  m.V = c.vocab_size;
  m.C = c.dim;
  m.L = c.n_layers;
  m.NH = c.n_heads;
  m.FF = c.hidden_dim;
  m.P = c.max_position_embeddings;
  m.TV = 0;
  m.layer_norm_eps = kDistilBertLayerNormEps;
  m.activation = parse_activation(json, "activation", c.activation);
  m.activation_name = c.activation;
  m.hidden_dropout = c.dropout;
  m.attention_dropout = c.attention_dropout;
  m.classifier_dropout = c.seq_classif_dropout;
  m.initializer_range = c.initializer_range;
  m.pad_token_id = c.pad_token_id;
  return m;
}

// id2label: {"0": "sadness", "1": "joy", ...} with ids exactly 0..K-1.
std::vector<std::string> parse_labels(const JsonView& json) {
  JsonView id2label = json.at("id2label");
  if (!id2label.is_object()) json.fail("id2label", "expected an object mapping ids to names");
  size_t count = id2label.raw().size();
  if (count == 0) json.fail("id2label", "is empty");
  std::vector<std::string> labels(count);
  std::vector<bool> seen(count, false);
  for (auto it = id2label.raw().begin(); it != id2label.raw().end(); ++it) {
    const std::string& key = it.key();
    size_t id = 0;
    bool numeric = !key.empty() && key.size() < 10 &&
                   std::all_of(key.begin(), key.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (numeric) id = std::stoul(key);
    if (!numeric || id >= count || seen[id]) {
      json.fail("id2label", cat("ids must be 0..", count - 1, " each once; got '", key, "'"));
    }
    if (!it.value().is_string()) {
      json.fail("id2label", cat("label ", key, " must be a string, got ", json_type_phrase(it.value())));
    }
    seen[id] = true;
    labels[id] = it.value().get<std::string>();
  }
  // Dataset labels map to ids by name, so two ids may not share one.
  for (size_t i = 0; i < count; ++i) {
    for (size_t j = i + 1; j < count; ++j) {
      if (labels[i] == labels[j]) {
        json.fail("id2label", cat("ids ", i, " and ", j, " have the same name '", labels[i], "'"));
      }
    }
  }
  return labels;
}

}  // namespace

const char* family_name(Family family) { return family == Family::Bert ? "bert" : "distilbert"; }

const char* classification_architecture(Family family) {
  return family == Family::Bert ? "BertForSequenceClassification"
                                : "DistilBertForSequenceClassification";
}

ModelConfig parse_model_config(const Json& document, const std::string& origin) {
  JsonView json(document, origin);
  json.expect_object("a model configuration");
  if (!json.has("model_type")) {
    json.fail("model_type", "missing (finetune supports model_type 'bert' and 'distilbert')");
  }
  std::string model_type = json.get_string("model_type");
  ModelConfig config;
  if (model_type == "bert") {
    config = normalize(parse_bert(json), json);
  } else if (model_type == "distilbert") {
    config = normalize(parse_distilbert(json), json);
  } else {
    json.fail("model_type", cat("'", model_type, "' is not supported (supported: bert, distilbert)"));
  }

  if (json.has("architectures")) {
    const Json& archs = json.at("architectures").raw();
    if (!archs.is_array() || (!archs.empty() && !archs[0].is_string())) {
      json.fail("architectures", "expected a list of class names");
    }
    if (!archs.empty()) config.architecture = archs[0].get<std::string>();
  }

  if (config.pad_token_id < 0 || config.pad_token_id >= config.V) {
    json.fail("pad_token_id", cat(config.pad_token_id, " is outside the vocabulary of ", config.V, " tokens"));
  }

  if (json.has("id2label")) {
    config.labels = parse_labels(json);
    config.labels_from_config = true;
  } else {
    int64_t num_labels = json.get_int_or("num_labels", 2);
    if (num_labels <= 0 || num_labels > 100000) json.fail("num_labels", "expected a positive integer");
    for (int64_t i = 0; i < num_labels; ++i) config.labels.push_back(cat("LABEL_", i));
  }
  config.raw = document;
  return config;
}

ModelConfig load_model_config(const std::filesystem::path& config_json) {
  return parse_model_config(parse_json_file(config_json), config_json.string());
}

void set_labels(ModelConfig& config, std::vector<std::string> labels) {
  FT_CHECK(!labels.empty(), "a classifier needs at least one label");
  config.labels = std::move(labels);
  config.labels_from_config = true;
}

Json config_to_json(const ModelConfig& config) {
  Json out = config.raw.is_object() ? config.raw : Json::object();
  out["model_type"] = family_name(config.family);
  out["architectures"] = Json::array({classification_architecture(config.family)});
  Json id2label = Json::object(), label2id = Json::object();
  for (int i = 0; i < config.K(); ++i) {
    id2label[std::to_string(i)] = config.labels[i];
    label2id[config.labels[i]] = i;
  }
  out["id2label"] = id2label;
  out["label2id"] = label2id;
  out.erase("num_labels");  // implied by id2label; transformers does not write it either
  return out;
}

}  // namespace finetune
