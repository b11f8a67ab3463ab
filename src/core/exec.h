// Exec: where a kernel runs. Every kernel function takes it first (DESIGN.md: identical
// signatures for ref::, cpu:: and cuda::). CPU kernels only read the device; CUDA kernels find
// their stream, cuBLASLt handle and workspace in the CudaContext it points to. The type is
// opaque here so that no header outside src/kernels/cuda/ sees a CUDA type.
#pragma once

#include "core/tensor.h"

namespace finetune {

struct CudaContext;  // defined by the CUDA backend

struct Exec {
  Device device = Device::CPU;
  CudaContext* cuda = nullptr;  // set when device == Device::CUDA

  static Exec cpu() { return Exec{}; }
};

}  // namespace finetune
