#!/usr/bin/env bash
# Runs the numerical test binaries (kernels, model, train) again under an OpenBLAS kernel set
# other than the one this CPU gets by default (docs/numerics.md, "Portability"). The model-level
# bounds are derived to hold for any correct fp32 summation order; running a second, different
# set of sgemm kernels in CI makes a tolerance that was fitted to one kernel fail here, not later
# on someone else's machine. Debian's OpenBLAS is built with DYNAMIC_ARCH, so OPENBLAS_CORETYPE
# picks the kernels at load time.
#
# Usage: scripts/test-other-blas-kernels.sh [CORETYPE]   (default: chosen from this CPU)
# Needs a build in ${FINETUNE_BUILD_DIR:-build} (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${FINETUNE_BUILD_DIR:-build}"

# The kernel set OpenBLAS picks by itself here (it prints "Core: NAME" at load with
# OPENBLAS_VERBOSE=2), asked of a test binary that links it.
probe="$build/tests/finetune_kernels_tests"
default_core="$(env -u OPENBLAS_CORETYPE OPENBLAS_VERBOSE=2 "$probe" --gtest_list_tests 2>&1 |
  sed -n 's/^Core: *//p' | head -n 1)"
if [ $# -ge 1 ]; then
  core="$1"
else
  # Another family than the default that this CPU can run: the AVX2 Haswell kernels where the
  # default is an AVX-512 set, the AVX-512 SkylakeX kernels where the default is AVX2 and the
  # CPU has AVX-512, else the AVX Sandybridge kernels.
  case "${default_core,,}" in
    skylakex | cooperlake | sapphirerapids) core=Haswell ;;
    *) if grep -qw avx512f /proc/cpuinfo; then core=SkylakeX; else core=Sandybridge; fi ;;
  esac
fi
echo "test-other-blas-kernels: OpenBLAS default kernels here: ${default_core:-unknown}; running the numerical tests with OPENBLAS_CORETYPE=$core"

status=0
for suite in kernels model train; do
  binary="$build/tests/finetune_${suite}_tests"
  chosen="$(OPENBLAS_CORETYPE="$core" OPENBLAS_VERBOSE=2 "$binary" --gtest_list_tests 2>&1 |
    sed -n 's/^Core: *//p' | head -n 1)"
  if [ "${chosen,,}" != "${core,,}" ]; then
    echo "test-other-blas-kernels: OpenBLAS did not switch to $core (it reports '${chosen:-nothing}')" >&2
    exit 1
  fi
  # Run from the repository root like ctest does (the tests find fixtures and ../shared there).
  OPENBLAS_CORETYPE="$core" "$binary" --gtest_brief=1 || status=1
done
exit $status
