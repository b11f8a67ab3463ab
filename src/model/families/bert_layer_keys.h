// BertLayer's submodule names, which RoBERTa, XLM-RoBERTa, CamemBERT and ELECTRA reuse (their
// layers are BertLayer under another prefix).
#pragma once

#include "model/blocks/encoder_layer.h"

namespace finetune {

inline constexpr blocks::EncoderLayerKeys kBertLayerKeys = {
    {"attention.self.query", "attention.self.key", "attention.self.value",
     "attention.output.dense"},
    "attention.output.LayerNorm",
    {"intermediate.dense", "output.dense"},
    "output.LayerNorm",
};

}  // namespace finetune
