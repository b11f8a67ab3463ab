// libFuzzer target: the streaming line reader of predict/tokenize (first byte: the line limit).
// The entry point is in entry_points.cpp; how to build and run: docs/robustness.md.
#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const finetune::fuzz::EntryPoint run = finetune::fuzz::find_target("text_lines");
  run(data, size);
  return 0;
}
