// libFuzzer target: tokenizer.json Unigram model objects (in a fixed document with Metaspace), then used to encode sample texts.
// The entry point is in entry_points.cpp; how to build and run: docs/robustness.md.
#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const finetune::fuzz::EntryPoint run = finetune::fuzz::find_target("unigram_model");
  run(data, size);
  return 0;
}
