// libFuzzer target: config.json parsed by parse_model_config, its parameter count and its re-
// serialisation.
// The entry point is in entry_points.cpp; how to build and run: docs/robustness.md.
#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const finetune::fuzz::EntryPoint run = finetune::fuzz::find_target("config");
  run(data, size);
  return 0;
}
