// libFuzzer target: pytorch_model.bin zip archives: the zip reader, data.pkl, storages, CRCs and
// every tensor read back.
// The entry point is in entry_points.cpp; how to build and run: docs/robustness.md.
#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const finetune::fuzz::EntryPoint run = finetune::fuzz::find_target("torch_checkpoint");
  run(data, size);
  return 0;
}
