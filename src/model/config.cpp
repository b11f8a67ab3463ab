// Parsing config.json: the field readers the family files use, the dispatch on model_type, and
// what all families share (architectures, labels, the range of pad_token_id).
#include "model/config.h"

#include <algorithm>

#include "core/error.h"
#include "model/config_fields.h"
#include "model/family.h"

namespace finetune {

int positive_int_field(const JsonView& json, const std::string& key, int fallback) {
  int64_t value = json.get_int_or(key, fallback);
  if (value <= 0 || value > (1 << 30))
    json.fail(key, cat("expected a positive integer, got ", value));
  return static_cast<int>(value);
}

double probability_field(const JsonView& json, const std::string& key, double fallback) {
  double value = json.get_number_or(key, fallback);
  if (!(value >= 0.0 && value < 1.0))
    json.fail(key, cat("expected a probability in [0, 1), got ", value));
  return value;
}

double positive_number_field(const JsonView& json, const std::string& key, double fallback) {
  double value = json.get_number_or(key, fallback);
  if (!(value > 0)) json.fail(key, cat("expected a positive number, got ", value));
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
  json.fail(
      key,
      cat("activation '", name,
          "' is not supported (supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu)"));
}

void require_divisible(const JsonView& json, const std::string& key, int hidden,
                       const std::string& heads_key, int heads) {
  if (hidden % heads != 0)
    json.fail(key, cat(hidden, " is not a multiple of ", heads_key, " ", heads));
}

namespace {

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
    bool numeric =
        !key.empty() && key.size() < 10 &&
        std::all_of(key.begin(), key.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (numeric) id = std::stoul(key);
    if (!numeric || id >= count || seen[id]) {
      json.fail("id2label", cat("ids must be 0..", count - 1, " each once; got '", key, "'"));
    }
    if (!it.value().is_string()) {
      json.fail("id2label",
                cat("label ", key, " must be a string, got ", json_type_phrase(it.value())));
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

ModelConfig parse_model_config(const Json& document, const std::string& origin) {
  JsonView json(document, origin);
  json.expect_object("a model configuration");
  if (!json.has("model_type")) {
    json.fail("model_type",
              cat("missing (finetune supports model_type ", supported_model_types(), ")"));
  }
  const std::string model_type = json.get_string("model_type");
  const FamilySpec* family = find_family(model_type);
  if (family == nullptr) {
    json.fail("model_type", cat("'", model_type,
                                "' is not supported (supported: ", supported_model_types(), ")"));
  }
  ModelConfig config = family->parse_config(json);
  config.family = family->family;

  if (json.has("architectures")) {
    const Json& archs = json.at("architectures").raw();
    if (!archs.is_array() || (!archs.empty() && !archs[0].is_string())) {
      json.fail("architectures", "expected a list of class names");
    }
    if (!archs.empty()) config.architecture = archs[0].get<std::string>();
  }

  if (config.pad_token_id < 0 || config.pad_token_id >= config.V) {
    json.fail("pad_token_id",
              cat(config.pad_token_id, " is outside the vocabulary of ", config.V, " tokens"));
  }
  if (config.max_tokens <= 0) {
    json.fail("max_position_embeddings",
              cat(config.P, " positions leave no room for a token (pad_token_id ",
                  config.pad_token_id, ")"));
  }

  if (json.has("id2label")) {
    config.labels = parse_labels(json);
    config.labels_from_config = true;
  } else {
    int64_t num_labels = json.get_int_or("num_labels", 2);
    if (num_labels <= 0 || num_labels > 100000)
      json.fail("num_labels", "expected a positive integer");
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
