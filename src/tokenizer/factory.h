// The factory: pipeline components from their tokenizer.json objects.
//
// Each `build_*` takes the JSON object of one component, with a JsonView whose where() names
// the file and the JSON path ("tokenizer.json: normalizer.normalizers[2]"), and returns the
// component named by its "type" (the HF class name). A type or an option value we do not
// implement is an Error naming that path and type; nothing is silently ignored. Options that
// only change offsets or decoding (trim_offsets, ByteLevel's post-processing) are accepted, as
// they cannot change ids.
//
// Component files that need more than a few lines of parsing have their own builder
// (declared next to the component, e.g. models/bpe.h); this file dispatches on "type".
#pragma once

#include <memory>
#include <string>

#include "io/json.h"
#include "tokenizer/pipeline.h"
#include "tokenizer/post_processors/template_processing.h"
#include "tokenizer/token_table.h"

namespace finetune {

std::unique_ptr<Normalizer> build_normalizer(const JsonView& node);
std::unique_ptr<PreTokenizer> build_pre_tokenizer(const JsonView& node);
std::unique_ptr<Model> build_model(const JsonView& node);
TemplateProcessing build_post_processor(const JsonView& node);

// Helpers shared by the builders.
// The "type" of a component object (an Error naming the path when absent or not a string).
std::string component_type(const JsonView& node);
[[noreturn]] void unsupported_type(const JsonView& node, const std::string& type, const std::string& supported);
// A token id: an integer from 0 to 2^31-1 (an Error naming `where` otherwise).
int32_t read_token_id(const Json& value, const std::string& where);
// node[key] as a JsonView (required; must be an object).
JsonView child_object(const JsonView& node, const std::string& key);
// The elements of the array node[key], each as a JsonView named "<where>.key[i]".
std::vector<JsonView> child_array(const JsonView& node, const std::string& key);
// A {"String": s} / {"Regex": r} pattern: sets exactly one of `literal` / `regex`.
struct PatternSpec {
  bool is_regex = false;
  std::string text;
};
PatternSpec read_pattern(const JsonView& node, const std::string& key);
// The {"token": id} map node["vocab"] of a WordPiece, WordLevel or BPE model.
TokenTable read_vocab_map(const JsonView& node);

}  // namespace finetune
