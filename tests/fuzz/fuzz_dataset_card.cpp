// libFuzzer target: hub dataset cards (README.md configs) and the glob patterns they declare.
// The entry point is in entry_points.cpp; how to build and run: docs/robustness.md.
#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const finetune::fuzz::EntryPoint run = finetune::fuzz::find_target("dataset_card");
  run(data, size);
  return 0;
}
