// libFuzzer target: safetensors files (header JSON, dtypes, shapes, offsets), read through
// SafetensorsFile and open_tensor_source, every floating-point tensor read back.
// The entry point is in entry_points.cpp; how to build and run: docs/robustness.md.
#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const finetune::fuzz::EntryPoint run = finetune::fuzz::find_target("safetensors");
  run(data, size);
  return 0;
}
