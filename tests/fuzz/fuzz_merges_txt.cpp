// libFuzzer target: merges.txt files beside a fixed vocab.json (RobertaTokenizer's legacy files), loaded and used to encode sample texts.
// The entry point is in entry_points.cpp; how to build and run: docs/robustness.md.
#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const finetune::fuzz::EntryPoint run = finetune::fuzz::find_target("merges_txt");
  run(data, size);
  return 0;
}
