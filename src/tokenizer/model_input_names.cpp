// transformers' model_input_names for a tokenizer directory (see model_input_names.h).
//
// The two tables were read off transformers 5.24 (the pinned reference): every tokenizer class
// whose model_input_names contains token_type_ids, and the model types whose AutoTokenizer class
// is one of them. Classes absent from the first table return input_ids and attention_mask only.
#include "tokenizer/model_input_names.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "core/error.h"
#include "io/json.h"

namespace finetune {
namespace {

constexpr std::array<std::string_view, 19> kClassesWithTokenTypes = {
    "BertTokenizer",        "CanineTokenizer",       "ConvBertTokenizer",   "DPRContextEncoderTokenizer",
    "DPRQuestionEncoderTokenizer", "DebertaTokenizer", "DebertaV2Tokenizer", "FNetTokenizer",
    "LayoutLMv2Tokenizer",  "MarkupLMTokenizer",     "MobileBertTokenizer", "SqueezeBertTokenizer",
    "TapasTokenizer",       "ElectraTokenizer",      "LayoutLMTokenizer",   "RetriBertTokenizer",
    "RealmTokenizer",       "LxmertTokenizer",       "MegatronBertTokenizer"};

constexpr std::array<std::string_view, 34> kModelTypesWithTokenTypes = {
    "align",     "bark",          "bert",       "blip",    "bros",      "canine",     "chinese_clip",
    "convbert",  "deberta",       "deberta-v2", "distilbert", "dpr",    "electra",    "ernie",
    "flava",     "fnet",          "git",        "grounding-dino", "layoutlm", "layoutlmv2", "markuplm",
    "megatron-bert", "mm-grounding-dino", "mobilebert", "nezha", "nomic_bert", "qdqbert", "realm",
    "retribert", "squeezebert",   "tapas",      "tvp",     "vilt",      "visual_bert"};

template <size_t N>
bool contains(const std::array<std::string_view, N>& table, std::string_view name) {
  return std::find(table.begin(), table.end(), name) != table.end();
}

std::vector<std::string> with_token_types() { return {"input_ids", "token_type_ids", "attention_mask"}; }

}  // namespace

std::vector<std::string> default_model_input_names() { return {"input_ids", "attention_mask"}; }

std::vector<std::string> resolve_model_input_names(const std::filesystem::path& directory) {
  namespace fs = std::filesystem;
  const fs::path tokenizer_config = directory / "tokenizer_config.json";
  if (fs::is_regular_file(tokenizer_config)) {
    Json document = parse_json_file(tokenizer_config);
    JsonView config(document, tokenizer_config.string());
    config.expect_object("a tokenizer configuration");
    if (config.has("model_input_names")) {
      const Json& names = config.raw().at("model_input_names");
      if (!names.is_array() || !std::all_of(names.begin(), names.end(), [](const Json& n) { return n.is_string(); })) {
        throw Error(cat(tokenizer_config.string(), ": model_input_names must be a list of strings, got ", names.dump()));
      }
      std::vector<std::string> result;
      for (const Json& name : names) result.push_back(name.get<std::string>());
      return result;
    }
    if (config.has("tokenizer_class")) {
      std::string name = config.get_string("tokenizer_class");
      if (name.size() > 4 && name.compare(name.size() - 4, 4, "Fast") == 0) name.resize(name.size() - 4);
      return contains(kClassesWithTokenTypes, name) ? with_token_types() : default_model_input_names();
    }
  }
  const fs::path model_config = directory / "config.json";
  if (fs::is_regular_file(model_config)) {
    Json document = parse_json_file(model_config);
    JsonView config(document, model_config.string());
    config.expect_object("a model configuration");
    if (config.has("model_type")) {
      return contains(kModelTypesWithTokenTypes, config.get_string("model_type")) ? with_token_types()
                                                                                 : default_model_input_names();
    }
  }
  return default_model_input_names();
}

}  // namespace finetune
