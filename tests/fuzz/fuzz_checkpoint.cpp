// libFuzzer target: model.safetensors loaded into a small BERT by load_weights: key matching,
// prefixes, legacy names, shape and dtype checks, fresh heads.
// The entry point is in entry_points.cpp; how to build and run: docs/robustness.md.
#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const finetune::fuzz::EntryPoint run = finetune::fuzz::find_target("checkpoint");
  run(data, size);
  return 0;
}
