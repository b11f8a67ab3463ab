// NCCL all-reduce for multi-process GPU training (train/distributed.h): the collective runs on the
// context's CUDA stream, in order with the backward pass that produced the gradients. No CUDA or
// NCCL type appears here; builds without NCCL (CPU builds, or CUDA builds where the toolkit has no
// NCCL) get kernels/collective_stub.cpp, where built_with_nccl() is false.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/exec.h"

namespace finetune::kernels::cuda {

bool built_with_nccl();

struct NcclHandle;
// A new NCCL unique id (rank 0 creates it and broadcasts the bytes to the others).
std::vector<uint8_t> nccl_unique_id();
// Joins the group `id` as `rank` of `size` on ex's device.
NcclHandle* nccl_init(const Exec& ex, const std::vector<uint8_t>& id, int rank, int size);
// data[count] = sum over the group, in place, asynchronous on ex's stream.
void nccl_allreduce_sum(const Exec& ex, NcclHandle* handle, float* data, size_t count);
void nccl_destroy(NcclHandle* handle);

}  // namespace finetune::kernels::cuda
