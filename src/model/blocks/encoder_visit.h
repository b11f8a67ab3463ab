// The key layout most families share: `<prefix>embeddings.*` (embeddings.h), then
// `<prefix><layers><i>.*` for every layer (encoder_layer.h), then the head's two linear layers
// (classification_head.h). A family whose checkpoint has more (DeBERTa's relative embeddings,
// ModernBERT's final norm) writes its own visitor from the same block visitors.
#pragma once

#include "model/blocks/classification_head.h"
#include "model/blocks/embeddings.h"
#include "model/blocks/encoder_layer.h"
#include "model/config.h"
#include "model/params.h"

namespace finetune::blocks {

struct EncoderKeyNames {
  const char* prefix;  // the base model's prefix: "bert.", "roberta.", ...
  const char* layers;  // layer i is at <prefix><layers><i>.: "encoder.layer.", "transformer.layer."
  EncoderLayerKeys layer;
  ClassificationHeadKeys head;
};

inline void visit_encoder(const EncoderKeyNames& names, const ModelConfig& config, ModelParams& p,
                          ModelParams* g, const ParameterVisitor& fn) {
  visit_embeddings(names.prefix, p.embeddings, g ? &g->embeddings : nullptr, fn);
  for (int i = 0; i < config.L; ++i) {
    visit_encoder_layer(cat(names.prefix, names.layers, i, "."), names.layer, p.layers[i],
                        g ? &g->layers[i] : nullptr, fn);
  }
  visit_classification_head(names.head, p.head, g ? &g->head : nullptr, fn);
}

}  // namespace finetune::blocks
