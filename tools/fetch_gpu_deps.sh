#!/usr/bin/env bash
# Prepares, here, what tools/gpu_check.sh needs on the GPU machine, which has CMake, nvcc and
# PyTorch but no package registry and no ../shared:
#   .deps/debs     the Debian packages of our build dependencies (apt-get download); gpu_check.sh
#                  unpacks them with `dpkg -x` into a private prefix there, never over /  (~15 MB)
#   .deps/shared   a copy of the ../shared files the tests and runs read (emotion splits,
#                  tokenizer files)                                                      (~4.5 MB)
#   .deps/minilm   all-MiniLM-L6-v2 with its weights stored in bf16 (exactly what the model
#                  computes with in --precision bf16, half the bytes) and gzipped (bf16's exponent
#                  bits compress by a fifth), for the GPU accuracy run (~36 MB; skipped with
#                  --no-model); gpu_check.sh unzips it
# Everything is git-ignored and travels with `carry: [".deps"]`.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(
  libopenblas0-openmp libopenblas-openmp-dev libopenblas-dev libgfortran5 libquadmath0
  nlohmann-json3-dev
  libutf8proc2 libutf8proc-dev
  libonig5 libonig-dev  # Oniguruma: the tokenizer's regexes (Split, Replace, ByteLevel)
  libgtest-dev
  libsnappy1v5 libsnappy-dev
  libzstd1 libzstd-dev
  zlib1g zlib1g-dev
  libssl3 libssl-dev    # libcrypto: SHA-256 of hub downloads (and libzip4 links it)
  libzip4 libzip-dev    # the zip container of pytorch_model.bin (its libbz2: the machine's own)
  libcurl4-openssl-dev  # only curl's headers: the hub client loads libcurl at run time (dlopen)
  # SentencePiece models: protoc (needs libprotoc32 on LD_LIBRARY_PATH, which gpu_check.sh sets)
  # compiles the schema at build time; libprotobuf-lite32 parses the files at run time.
  libprotobuf32 libprotobuf-lite32 libprotobuf-dev libprotoc32 protobuf-compiler
)
mkdir -p .deps/debs
(cd .deps/debs && rm -f ./*.deb && apt-get download "${packages[@]}" >/dev/null 2>&1)
echo "fetch_gpu_deps: $(ls -1 .deps/debs/*.deb | wc -l) packages, $(du -sh .deps/debs | cut -f1)"

rm -rf .deps/shared
mkdir -p .deps/shared/data .deps/shared/models
cp -r ../shared/data/emotion .deps/shared/data/
cp -r ../shared/models/distilbert-base-uncased ../shared/models/bert-base-uncased .deps/shared/models/
chmod -R u+w .deps/shared
echo "fetch_gpu_deps: shared copy $(du -sh .deps/shared | cut -f1)"

if [ "${1:-}" != "--no-model" ]; then
  scripts/fetch-model.sh >/dev/null
  python="${PYTHON:-python3}"
  rm -rf .deps/minilm
  "$python" tools/convert_to_bf16.py models/all-MiniLM-L6-v2 .deps/minilm
  rm -f .deps/minilm/README.md .deps/minilm/data_config.json
  gzip -6 .deps/minilm/model.safetensors
  echo "fetch_gpu_deps: bf16 model $(du -sh .deps/minilm | cut -f1)"
fi
echo "fetch_gpu_deps: total $(du -sh .deps | cut -f1)"
