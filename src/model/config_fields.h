// Reading config.json fields the way the family files need them: typed, range-checked, with the
// family's default when absent, and errors that name the file and the key.
//
// Each family's parse function (families/*.cpp) reads its transformers configuration class
// field by field with these, then fills the normalized ModelConfig; parse_model_config
// (config.cpp) picks the family by model_type and reads what all families share (architectures,
// labels, pad_token_id's range).
#pragma once

#include <string>

#include "io/json.h"
#include "kernels/activation.h"

namespace finetune {

// A positive integer (at most 2^30), or `fallback` when absent.
int positive_int_field(const JsonView& json, const std::string& key, int fallback);

// A probability in [0, 1), or `fallback` when absent.
double probability_field(const JsonView& json, const std::string& key, double fallback);

// A positive number (LayerNorm's eps), or `fallback` when absent.
double positive_number_field(const JsonView& json, const std::string& key, double fallback);

// transformers.activations.ACT2FN names finetune implements; `key` names the field in errors.
kernels::Activation parse_activation(const JsonView& json, const std::string& key,
                                     const std::string& name);

// Fails on `key` unless hidden is a multiple of heads (attention heads split the hidden size).
void require_divisible(const JsonView& json, const std::string& key, int hidden,
                       const std::string& heads_key, int heads);

}  // namespace finetune
