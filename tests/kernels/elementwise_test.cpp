// Tests of add_forward: the float sum is correctly rounded in every backend, so cpu:: equals
// ref:: bit for bit, including in place (out aliasing a or b) and on the parallel path.
#include "kernels/elementwise.h"

#include <gtest/gtest.h>

#include <vector>

#include "kernel_test_util.h"

namespace finetune::kernels {
namespace {

using testing::shape;
using testing::uniform;

TEST(Elementwise, AddCpuEqualsRef) {
  for (long N : {1L, 7L, 1003L, 40000L + 3}) {
    SCOPED_TRACE(shape("N", N));
    const auto a = uniform(N, 1), b = uniform(N, 2, -1e-3f, 1e-3f);
    std::vector<float> want(N), got(N, NAN);
    ref::add_forward(Exec::cpu(), want.data(), a.data(), b.data(), N);
    cpu::add_forward(Exec::cpu(), got.data(), a.data(), b.data(), N);
    EXPECT_EQ(got, want);
    for (long i = 0; i < N; ++i) ASSERT_EQ(want[i], a[i] + b[i]);
    std::vector<float> in_a = a, in_b = b;
    cpu::add_forward(Exec::cpu(), in_a.data(), in_a.data(), b.data(), N);
    cpu::add_forward(Exec::cpu(), in_b.data(), a.data(), in_b.data(), N);
    EXPECT_EQ(in_a, want);
    EXPECT_EQ(in_b, want);
  }
}

}  // namespace
}  // namespace finetune::kernels
