// Builds without NCCL: multi-process GPU runs sum gradients through host memory and MPI instead
// (train/distributed_mpi.cpp); these functions are never reached when built_with_nccl() is false.
#include "core/error.h"
#include "kernels/collective.h"

namespace finetune::kernels::cuda {

struct NcclHandle {};

bool built_with_nccl() { return false; }

std::vector<uint8_t> nccl_unique_id() { throw Error("this build of finetune has no NCCL support"); }

NcclHandle* nccl_init(const Exec&, const std::vector<uint8_t>&, int, int) {
  throw Error("this build of finetune has no NCCL support");
}

void nccl_allreduce_sum(const Exec&, NcclHandle*, float*, size_t) {
  throw Error("this build of finetune has no NCCL support");
}

void nccl_destroy(NcclHandle*) {}

}  // namespace finetune::kernels::cuda
