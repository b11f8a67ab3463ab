#!/usr/bin/env bash
# The one device command for GPU speed work (issue 5): on the lent GPU machine, with `.deps`
# carried (tools/fetch_gpu_deps.sh prepares it), from the repository root:
#
#   OUT=$OUT tools/gpu_issue5.sh
#
# 1. tools/gpu_check.sh: build with CUDA, every CUDA test (the bit-equality tests of
#    --experimental-gpu-speedups among them), the DistilBERT step breakdown, the nsys kernel
#    summary where nsys exists, and the 5-epoch all-MiniLM-L6-v2 accuracy run in bf16 with the
#    speedups (TRAIN_FLAGS);
# 2. bench/run_gpu_bench.sh: finetune bf16 with and without the speedups and fp32, beside the
#    PyTorch peers (TF32, bf16 autocast, fp32, HF Trainer, torch.compile), in the same run.
# Then it prints both summaries. About 7-8 minutes of device time after the machine has started
# (build ~1 min, tests and runs ~2.5 min, benchmark BUDGET_S, default 250 s); the whole thing
# stays under the device tool's 600 s per call.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out="${OUT:-/tmp/gpu_issue5}"
mkdir -p "$out/check"
TRAIN_PRECISIONS="${TRAIN_PRECISIONS-bf16}" TRAIN_FLAGS="${TRAIN_FLAGS---experimental-gpu-speedups}" \
  OUT="$out/check" timeout 330 tools/gpu_check.sh >"$out/check.txt" 2>&1
echo "gpu_check.sh: exit $?"
OUT="$out" BUDGET_S="${BUDGET_S:-250}" WARMUP="${WARMUP:-40}" \
  VARIANTS="${VARIANTS:-tf32 bf16 fp32 trainer compile}" PRECISIONS="${PRECISIONS:-bf16+x bf16 fp32}" \
  bench/run_gpu_bench.sh >"$out/bench.txt" 2>"$out/bench.err"
echo "run_gpu_bench.sh: exit $?"
cat "$out/check/summary.md" 2>/dev/null || tail -40 "$out/check.txt"
cat "$out/gpu_bench.md" 2>/dev/null || tail -20 "$out/bench.err"
