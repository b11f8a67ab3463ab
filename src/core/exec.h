// Exec: where and how a kernel runs. Every kernel function takes it first (DESIGN.md: identical
// signatures for ref::, cpu:: and cuda::). CPU kernels only read the device; CUDA kernels find
// their stream, cuBLASLt handle and workspace in the CudaContext it points to, and read the
// precision of their matrix products. The context type is opaque here so that no header outside
// src/kernels/cuda/ sees a CUDA type.
#pragma once

#include "core/tensor.h"

namespace finetune {

struct CudaContext;  // defined by the CUDA backend (src/kernels/cuda/context.h)

// Compute precision of matrix products. Fp32 is exact mode (no TF32); Bf16 rounds the inputs of
// every matrix product to bf16 and accumulates in fp32, as tensor cores do. Everything else
// (master weights, optimizer state, LayerNorm, softmax, loss) stays fp32 in both.
enum class Precision { Fp32, Bf16 };

struct Exec {
  Device device = Device::CPU;
  CudaContext* cuda = nullptr;  // set when device == Device::CUDA
  Precision precision = Precision::Fp32;

  static Exec cpu() { return Exec{}; }
};

}  // namespace finetune
