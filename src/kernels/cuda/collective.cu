// NCCL all-reduce on the context's stream (kernels/collective.h). Compiled only in CUDA builds
// where the toolkit provides NCCL; errors of the environment (a peer gone, a network failure)
// become finetune::Error with NCCL's own message.
#include <nccl.h>

#include <cstring>
#include <memory>

#include "core/error.h"
#include "kernels/collective.h"
#include "kernels/cuda/context.h"

namespace finetune::kernels::cuda {
namespace {

void check_nccl(ncclResult_t status, const char* call) {
  if (status != ncclSuccess) {
    throw Error(cat("NCCL call ", call, " failed: ", ncclGetErrorString(status), " (",
                    ncclGetLastError(nullptr), ")"));
  }
}

}  // namespace

struct NcclHandle {
  ncclComm_t comm = nullptr;
};

bool built_with_nccl() { return true; }

std::vector<uint8_t> nccl_unique_id() {
  ncclUniqueId id;
  check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  std::vector<uint8_t> bytes(sizeof id.internal);
  std::memcpy(bytes.data(), id.internal, bytes.size());
  return bytes;
}

NcclHandle* nccl_init(const Exec& ex, const std::vector<uint8_t>& bytes, int rank, int size) {
  CudaContext& ctx = context(ex, "nccl_init");
  ncclUniqueId id;
  FT_CHECK(bytes.size() == sizeof id.internal, "NCCL unique id of ", bytes.size(), " bytes");
  std::memcpy(id.internal, bytes.data(), bytes.size());
  CUDA_CHECK(cudaSetDevice(ctx.device));
  auto handle = std::make_unique<NcclHandle>();
  check_nccl(ncclCommInitRank(&handle->comm, size, id, rank), "ncclCommInitRank");
  return handle.release();
}

void nccl_allreduce_sum(const Exec& ex, NcclHandle* handle, float* data, size_t count) {
  FT_CHECK(handle != nullptr, "nccl_allreduce_sum without a communicator");
  check_nccl(ncclAllReduce(data, data, count, ncclFloat32, ncclSum, handle->comm,
                           context(ex, "nccl_allreduce_sum").stream),
             "ncclAllReduce");
}

void nccl_destroy(NcclHandle* handle) {
  if (handle == nullptr) return;
  std::unique_ptr<NcclHandle> owned(handle);
  ncclCommDestroy(owned->comm);
}

}  // namespace finetune::kernels::cuda
