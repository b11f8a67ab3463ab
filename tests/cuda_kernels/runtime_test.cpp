// Tests of the device runtime (kernels/device.h): discovery, contexts, memory, copies, events,
// and the error tiers. In a build without CUDA (or on a machine without a GPU) the stub's
// behaviour is checked instead: device_count() is 0 and the rest throws a user-facing Error.
#include "kernels/device.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "cuda_test_util.h"

namespace finetune::kernels {
namespace {

using cudatest::CudaKernelTest;
using cudatest::DeviceBuffer;

// Without CUDA support every runtime function but the two queries throws an Error that says what
// to do; null handles are accepted by the destroy/free functions (cleanup paths never throw).
TEST(CudaRuntimeStub, WithoutCudaSupportDeviceCountIsZeroAndTheRestThrows) {
  if (cuda::built_with_cuda()) GTEST_SKIP() << "this build has the CUDA backend";
  EXPECT_EQ(cuda::device_count(), 0);
  EXPECT_THROW(cuda::create_context(0), Error);
  EXPECT_THROW(cuda::describe_device(0), Error);
  EXPECT_THROW(cuda::device_alloc(16), Error);
  EXPECT_THROW(cuda::host_alloc_pinned(16), Error);
  EXPECT_THROW(cuda::create_event(), Error);
  EXPECT_THROW(cuda::set_bf16_weights(Exec{}, nullptr, nullptr, 0), Error);
  EXPECT_NO_THROW(cuda::destroy_context(nullptr));
  EXPECT_NO_THROW(cuda::device_free(nullptr));
  try {
    cuda::create_context(0);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--device cpu"), std::string::npos) << e.what();
  }
}

// A CUDA build on a machine without a GPU (this project's build machines) reports 0 devices
// instead of throwing.
TEST(CudaRuntime, DeviceCountNeverThrows) {
  EXPECT_GE(cuda::device_count(), 0);
}

class CudaRuntimeTest : public CudaKernelTest {};

TEST_F(CudaRuntimeTest, DescribesDeviceAndRejectsBadIndex) {
  const std::string text = cuda::describe_device(0);
  std::printf("    device 0: %s\n", text.c_str());
  EXPECT_NE(text.find("compute capability"), std::string::npos) << text;
  EXPECT_THROW(cuda::describe_device(cuda::device_count()), Error);
  EXPECT_THROW(cuda::create_context(-1), Error);
}

TEST_F(CudaRuntimeTest, CopiesRoundTripThroughDeviceAndPinnedMemory) {
  const Exec ex = exec();
  const std::vector<float> host = cudatest::uniform(1000, 1);
  auto* pinned = static_cast<float*>(cuda::host_alloc_pinned(sizeof(float) * host.size()));
  std::copy(host.begin(), host.end(), pinned);
  DeviceBuffer<float> a(host.size()), b(host.size());
  cuda::copy_to_device(ex, a.get(), pinned, a.bytes());
  cuda::copy_on_device(ex, b.get(), a.get(), a.bytes());
  std::fill(pinned, pinned + host.size(), 0.0f);
  cuda::copy_to_host(ex, pinned, b.get(), b.bytes());
  cuda::synchronize(ex);
  EXPECT_EQ(std::vector<float>(pinned, pinned + host.size()), host);
  cuda::fill_zero(ex, b.get(), b.bytes());
  EXPECT_EQ(b.download(), std::vector<float>(host.size(), 0.0f));
  cuda::host_free_pinned(pinned);
}

TEST_F(CudaRuntimeTest, EventsWaitForQueuedWork) {
  const Exec ex = exec();
  DeviceBuffer<float> a(std::vector<float>(1 << 20, 1.0f));
  auto* pinned = static_cast<float*>(cuda::host_alloc_pinned(sizeof(float) << 20));
  cuda::EventHandle* event = cuda::create_event();
  cuda::fill_zero(ex, a.get(), a.bytes());
  cuda::copy_to_host(ex, pinned, a.get(), a.bytes());
  cuda::record_event(ex, event);
  cuda::wait_event(event);
  EXPECT_EQ(pinned[0], 0.0f);
  EXPECT_EQ(pinned[(1 << 20) - 1], 0.0f);
  cuda::destroy_event(event);
  cuda::host_free_pinned(pinned);
}

// An allocation larger than any GPU's memory is an environment error (Error, naming the size),
// not a crash or an InternalError.
TEST_F(CudaRuntimeTest, OutOfMemoryIsAnError) {
  try {
    void* p = cuda::device_alloc(size_t{1} << 50);
    cuda::device_free(p);
    ADD_FAILURE() << "a 1 PiB allocation succeeded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("GPU memory"), std::string::npos) << e.what();
  }
}

// A second context on the same device is independent and can be destroyed while the shared one
// stays usable.
TEST_F(CudaRuntimeTest, ContextsAreIndependent) {
  CudaContext* other = cuda::create_context(0);
  Exec ex2;
  ex2.device = Device::CUDA;
  ex2.cuda = other;
  DeviceBuffer<float> a(std::vector<float>(64, 2.0f));
  cuda::fill_zero(ex2, a.get(), a.bytes());
  cuda::synchronize(ex2);
  cuda::destroy_context(other);
  EXPECT_EQ(a.download(), std::vector<float>(64, 0.0f));
}

}  // namespace
}  // namespace finetune::kernels
