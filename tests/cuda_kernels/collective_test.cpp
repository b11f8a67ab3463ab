// The NCCL binding of kernels/collective.h on one GPU: a group of one (the only group a
// single-GPU machine can form; NCCL refuses two ranks on one device) goes through the whole
// path a multi-GPU run takes (unique id, ncclCommInitRank, ncclAllReduce on the context's
// stream) and must leave the values unchanged. Multi-GPU sums are checked end to end by
// tools/gpu_check.sh on machines with two or more GPUs. Skips without a GPU or without NCCL.
#include <gtest/gtest.h>

#include <vector>

#include "cuda_test_util.h"
#include "kernels/collective.h"

namespace finetune::kernels {
namespace {

using cudatest::CudaKernelTest;
using cudatest::DeviceBuffer;

class CudaCollective : public CudaKernelTest {};

TEST_F(CudaCollective, NcclGroupOfOneSumsToTheSameValues) {
  if (!cuda::built_with_nccl()) GTEST_SKIP() << "this build has no NCCL";
  std::vector<float> values(100003);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 97) * 0.25f - 3.0f;
  DeviceBuffer<float> buffer(values);
  const Exec ex = exec();
  cuda::NcclHandle* handle = cuda::nccl_init(ex, cuda::nccl_unique_id(), /*rank=*/0, /*size=*/1);
  cuda::nccl_allreduce_sum(ex, handle, buffer.get(), values.size());
  EXPECT_EQ(buffer.download(), values);
  cuda::nccl_destroy(handle);
}

}  // namespace
}  // namespace finetune::kernels
