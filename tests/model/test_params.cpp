// Parameter layout: one flat buffer, every HF key once, counts equal to transformers' models,
// and the fused query/key/value views.
#include <gtest/gtest.h>

#include <set>

#include "model/config.h"
#include "model/params.h"
#include "test_paths.h"

namespace finetune {
namespace {

ModelConfig shared_config(const std::string& name, int labels) {
  ModelConfig c = load_model_config(testing::shared_dir() / "models" / name / "config.json");
  std::vector<std::string> names;
  for (int i = 0; i < labels; ++i) names.push_back("L" + std::to_string(i));
  set_labels(c, names);
  return c;
}

// Totals and key counts of transformers' ForSequenceClassification models with 6 labels, as
// counted by `sum(p.numel() for p in model.parameters())` (transformers 5.24).
TEST(Parameters, CountsMatchTransformers) {
  EXPECT_EQ(parameter_count(shared_config("distilbert-base-uncased", 6)), 66958086);
  EXPECT_EQ(parameter_count(shared_config("bert-base-uncased", 6)), 109486854);
}

// The hub checkpoints' shapes (their config.json fields that differ from the class defaults),
// counted by transformers 5.24 from the same configs with 6 labels: totals and
// len(named_parameters()). ELECTRA-small has embeddings of width 128 and embeddings_project.
TEST(Parameters, NewFamilyCountsMatchTransformers) {
  struct Shape {
    const char* config;
    int64_t total;
    int keys;
  };
  const Shape shapes[] = {
      {R"({"model_type": "roberta", "vocab_size": 50265, "max_position_embeddings": 514,
           "type_vocab_size": 1, "layer_norm_eps": 1e-5})",
       124650246, 201},
      {R"({"model_type": "xlm-roberta", "vocab_size": 250002, "max_position_embeddings": 514,
           "type_vocab_size": 1, "layer_norm_eps": 1e-5})",
       278048262, 201},
      {R"({"model_type": "electra", "embedding_size": 768, "hidden_size": 768, "num_attention_heads": 12,
           "intermediate_size": 3072})",
       109486854, 201},
      {R"({"model_type": "electra"})", 13550342, 203},
  };
  for (const Shape& shape : shapes) {
    ModelConfig c = parse_model_config(Json::parse(shape.config), "config.json");
    set_labels(c, {"a", "b", "c", "d", "e", "f"});
    EXPECT_EQ(parameter_count(c), shape.total) << shape.config;
    ModelParams params = make_parameter_shapes(c);
    std::set<std::string> keys;
    int count = 0;
    for_each_parameter(c, params, nullptr,
                       [&](const std::string& key, Tensor&, Tensor*, ParamGroup) {
                         keys.insert(key);
                         ++count;
                       });
    EXPECT_EQ(count, shape.keys) << shape.config;
    EXPECT_EQ(static_cast<int>(keys.size()), count) << shape.config;
    EXPECT_TRUE(keys.count("classifier.out_proj.weight")) << shape.config;
  }
}

TEST(Parameters, KeysAreUniqueAndFollowHuggingFaceNames) {
  for (const char* name : {"distilbert-base-uncased", "bert-base-uncased"}) {
    ModelConfig c = shared_config(name, 6);
    ModelParams shapes = make_parameter_shapes(c);
    std::set<std::string> keys;
    int count = 0;
    for_each_parameter(c, shapes, nullptr,
                       [&](const std::string& key, Tensor&, Tensor*, ParamGroup) {
                         keys.insert(key);
                         ++count;
                       });
    EXPECT_EQ(static_cast<int>(keys.size()), count) << name;
    EXPECT_EQ(count, c.family == Family::Bert ? 201 : 104) << name;  // named_parameters() length
    EXPECT_TRUE(keys.count("classifier.weight"));
  }
  ModelConfig d = shared_config("distilbert-base-uncased", 6);
  ModelParams shapes = make_parameter_shapes(d);
  std::set<std::string> keys;
  for_each_parameter(d, shapes, nullptr, [&](const std::string& key, Tensor&, Tensor*, ParamGroup) {
    keys.insert(key);
  });
  EXPECT_TRUE(keys.count("distilbert.transformer.layer.0.attention.q_lin.weight"));
  EXPECT_TRUE(keys.count("distilbert.transformer.layer.5.output_layer_norm.bias"));
  EXPECT_TRUE(keys.count("pre_classifier.weight"));
}

TEST(Parameters, StoreIsOneContiguousBufferWithFusedQkv) {
  ModelConfig c = shared_config("bert-base-uncased", 3);
  c.L = 2;  // keep the test light
  ParameterStore store(c);
  // Decayed parameters first, then biases and LayerNorm weights, each in visiting order.
  const float* expected = store.data();
  for (bool decayed : {true, false}) {
    for_each_parameter(c, store.params(), nullptr,
                       [&](const std::string& key, Tensor& t, Tensor*, ParamGroup) {
                         if (is_weight_decayed(key) != decayed) return;
                         EXPECT_EQ(t.f32(), expected) << key;
                         expected += t.numel();
                       });
    if (decayed) {
      EXPECT_EQ(expected, store.data() + store.decayed_count());
    }
  }
  EXPECT_EQ(expected, store.data() + store.count());
  EXPECT_TRUE(is_weight_decayed("bert.embeddings.word_embeddings.weight"));
  EXPECT_TRUE(is_weight_decayed("classifier.weight"));
  EXPECT_FALSE(is_weight_decayed("classifier.bias"));
  EXPECT_FALSE(is_weight_decayed("bert.embeddings.LayerNorm.weight"));
  EXPECT_FALSE(is_weight_decayed("distilbert.transformer.layer.0.sa_layer_norm.weight"));
  const EncoderLayerParams& layer = store.params().layers[1];
  EXPECT_EQ(layer.qkv_weight.dim(0), 3 * c.C);
  EXPECT_EQ(layer.qkv_weight.f32(), layer.query.weight.f32());
  EXPECT_EQ(layer.qkv_weight.f32() + 2 * c.C * c.C, layer.value.weight.f32());
  EXPECT_EQ(layer.qkv_bias.f32() + c.C, layer.key.bias.f32());
}

}  // namespace
}  // namespace finetune
