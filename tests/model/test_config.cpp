// config.json parsing: HF field names and defaults per family, labels, and one clear error per
// kind of bad configuration.
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "model/config.h"
#include "test_paths.h"

namespace finetune {
namespace {

std::string error_of(const std::string& json_text) {
  try {
    parse_model_config(Json::parse(json_text), "config.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelConfig, ReadsSharedDistilBertConfig) {
  ModelConfig c =
      load_model_config(testing::shared_dir() / "models/distilbert-base-uncased/config.json");
  EXPECT_EQ(c.family, Family::DistilBert);
  EXPECT_EQ(c.C, 768);
  EXPECT_EQ(c.L, 6);
  EXPECT_EQ(c.NH, 12);
  EXPECT_EQ(c.FF, 3072);
  EXPECT_EQ(c.V, 30522);
  EXPECT_EQ(c.P, 512);
  EXPECT_EQ(c.TV, 0);
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-12);
  EXPECT_DOUBLE_EQ(c.classifier_dropout, 0.2);  // seq_classif_dropout
  EXPECT_EQ(c.architecture, "DistilBertForMaskedLM");
  // No id2label: transformers' default of two labels.
  EXPECT_EQ(c.labels, (std::vector<std::string>{"LABEL_0", "LABEL_1"}));
  EXPECT_FALSE(c.labels_from_config);
}

TEST(ModelConfig, ReadsSharedBertConfig) {
  ModelConfig c = load_model_config(testing::shared_dir() / "models/bert-base-uncased/config.json");
  EXPECT_EQ(c.family, Family::Bert);
  EXPECT_EQ(c.C, 768);
  EXPECT_EQ(c.L, 12);
  EXPECT_EQ(c.TV, 2);
  EXPECT_DOUBLE_EQ(c.classifier_dropout, 0.1);  // classifier_dropout absent: hidden_dropout_prob
  EXPECT_EQ(c.activation, kernels::Activation::GeluErf);
}

TEST(ModelConfig, DefaultsFollowTransformers) {
  ModelConfig c = parse_model_config(Json::parse(R"({"model_type": "bert"})"), "config.json");
  EXPECT_EQ(c.C, 768);
  EXPECT_EQ(c.L, 12);
  EXPECT_EQ(c.FF, 3072);
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-12);
  ModelConfig d = parse_model_config(Json::parse(R"({"model_type": "distilbert"})"), "config.json");
  EXPECT_EQ(d.L, 6);
  EXPECT_DOUBLE_EQ(d.classifier_dropout, 0.2);
}

// RobertaConfig / XLMRobertaConfig / CamembertConfig / ElectraConfig defaults (transformers
// 5.24), and what the fixtures' config.json override.
TEST(ModelConfig, NewFamiliesReadTheirFieldsAndDefaults) {
  ModelConfig r = parse_model_config(Json::parse(R"({"model_type": "roberta"})"), "config.json");
  EXPECT_EQ(r.family, Family::Roberta);
  EXPECT_EQ(r.V, 50265);
  EXPECT_EQ(r.pad_token_id, 1);
  EXPECT_EQ(r.TV, 2);
  EXPECT_DOUBLE_EQ(r.layer_norm_eps, 1e-12);  // the class default; checkpoints say 1e-5
  EXPECT_EQ(r.max_tokens, 512 - 2);           // positions start at pad + 1
  ModelConfig x =
      parse_model_config(Json::parse(R"({"model_type": "xlm-roberta"})"), "config.json");
  EXPECT_EQ(x.family, Family::XlmRoberta);
  EXPECT_EQ(x.V, 30522);
  ModelConfig fixture = load_model_config(testing::fixtures_dir() / "tiny-roberta/config.json");
  EXPECT_DOUBLE_EQ(fixture.layer_norm_eps, 1e-5);
  EXPECT_EQ(fixture.P, 34);
  EXPECT_EQ(fixture.max_tokens, 32);
  EXPECT_EQ(fixture.TV, 1);
  ModelConfig camembert = load_model_config(testing::fixtures_dir() / "tiny-camembert/config.json");
  EXPECT_EQ(camembert.family, Family::Camembert);

  ModelConfig e = parse_model_config(Json::parse(R"({"model_type": "electra"})"), "config.json");
  EXPECT_EQ(e.family, Family::Electra);
  EXPECT_EQ(e.C, 256);
  EXPECT_EQ(e.E, 128);
  EXPECT_EQ(e.NH, 4);
  EXPECT_EQ(e.FF, 1024);
  EXPECT_EQ(e.max_tokens, 512);
  ModelConfig same =
      load_model_config(testing::fixtures_dir() / "tiny-electra-same-width/config.json");
  EXPECT_EQ(same.E, same.C);
  EXPECT_EQ(same.activation, kernels::Activation::GeluTanh);  // gelu_new in the encoder only

  // Saving keeps the family's names.
  set_labels(r, {"a", "b"});
  Json out = config_to_json(r);
  EXPECT_EQ(out["model_type"], "roberta");
  EXPECT_EQ(out["architectures"][0], "RobertaForSequenceClassification");
  set_labels(x, {"a", "b"});
  EXPECT_EQ(config_to_json(x)["architectures"][0], "XLMRobertaForSequenceClassification");

  EXPECT_NE(error_of(R"({"model_type": "electra", "embedding_size": 0})").find("'embedding_size'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"model_type": "roberta", "max_position_embeddings": 2})")
                .find("'max_position_embeddings'"),
            std::string::npos);
}

TEST(ModelConfig, LabelsFromId2Label) {
  ModelConfig c = parse_model_config(
      Json::parse(R"({"model_type": "bert", "id2label": {"1": "joy", "0": "sadness", "2": "love"},
                      "classifier_dropout": 0.3, "layer_norm_eps": 1e-6, "hidden_act": "gelu_new"})"),
      "config.json");
  EXPECT_EQ(c.labels, (std::vector<std::string>{"sadness", "joy", "love"}));
  EXPECT_DOUBLE_EQ(c.classifier_dropout, 0.3);
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-6);
  EXPECT_EQ(c.activation, kernels::Activation::GeluTanh);
}

TEST(ModelConfig, SavedJsonCarriesLabelsAndArchitecture) {
  ModelConfig c =
      parse_model_config(Json::parse(R"({"model_type": "distilbert", "custom": 5})"), "x");
  set_labels(c, {"a", "b", "c"});
  Json out = config_to_json(c);
  EXPECT_EQ(out["architectures"][0], "DistilBertForSequenceClassification");
  EXPECT_EQ(out["id2label"]["2"], "c");
  EXPECT_EQ(out["label2id"]["b"], 1);
  EXPECT_EQ(out["custom"], 5);  // fields finetune does not interpret survive
  // Reading it back gives the same labels.
  EXPECT_EQ(parse_model_config(out, "saved").labels, c.labels);
}

TEST(ModelConfig, ErrorsNameTheKey) {
  EXPECT_NE(error_of(R"({"hidden_size": 8})").find("key 'model_type': missing"), std::string::npos);
  EXPECT_NE(error_of(R"({"model_type": "gpt2"})")
                .find("'gpt2' is not supported (supported: bert, distilbert, "
                      "roberta, xlm-roberta, camembert, electra, modernbert)"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"model_type": "bert", "hidden_size": 30, "num_attention_heads": 4})")
                .find("'hidden_size': 30 is not a multiple of num_attention_heads 4"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"model_type": "bert", "hidden_act": "swish"})").find("'hidden_act'"),
            std::string::npos);
  EXPECT_NE(
      error_of(R"({"model_type": "bert", "num_hidden_layers": -1})").find("'num_hidden_layers'"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"model_type": "bert", "num_hidden_layers": "six"})")
                .find("expected an integer, got a string"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"model_type": "bert", "position_embedding_type": "relative_key"})")
                .find("'position_embedding_type'"),
            std::string::npos);
  EXPECT_NE(
      error_of(R"({"model_type": "bert", "id2label": {"0": "a", "2": "b"}})").find("'id2label'"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"model_type": "distilbert", "dropout": 1.5})").find("'dropout'"),
            std::string::npos);
  EXPECT_NE(
      error_of(R"({"model_type": "bert", "id2label": {"0": "a", "1": "a"}})").find("same name 'a'"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"model_type": "bert", "vocab_size": 10, "pad_token_id": 10})")
                .find("'pad_token_id'"),
            std::string::npos);
  EXPECT_NE(error_of(R"([1, 2])").find("expected a model configuration"), std::string::npos);
}

TEST(ModelConfig, InvalidJsonFileNamesLineAndColumn) {
  auto dir = testing::make_temp_dir("config");
  {
    std::ofstream out(dir / "config.json");
    out << "{\n  \"model_type\": \"bert\",\n  \"hidden_size\": 768,,\n}";
  }
  try {
    load_model_config(dir / "config.json");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("config.json: invalid JSON at line 3"), std::string::npos) << message;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace finetune
