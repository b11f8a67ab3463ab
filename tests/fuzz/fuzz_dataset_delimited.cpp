// libFuzzer target: CSV and TSV datasets (first byte: which, and --limit), labels resolved and
// mapped.
// The entry point is in entry_points.cpp; how to build and run: docs/robustness.md.
#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const finetune::fuzz::EntryPoint run = finetune::fuzz::find_target("dataset_delimited");
  run(data, size);
  return 0;
}
