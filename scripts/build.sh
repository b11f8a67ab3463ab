#!/usr/bin/env bash
# Configures and builds finetune in ./build (Release). Extra arguments go to CMake's configure
# step, e.g. scripts/build.sh -DFINETUNE_NATIVE=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${FINETUNE_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
