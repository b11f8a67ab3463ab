#!/usr/bin/env bash
# The GPU device check: on a machine with an NVIDIA GPU, CMake, nvcc and PyTorch but no package
# registry, build finetune with CUDA, run the CUDA tests, fine-tune all-MiniLM-L6-v2 on the
# emotion tweets on the GPU in fp32 and bf16, and print a summary table.
#
# Prepare here first:  tools/fetch_gpu_deps.sh     (Debian packages, a copy of ../shared, the model)
# Then run it there from the repository root, with `.deps` carried along. Logs and the table go
# to $OUT (default /tmp/gpu_check); the table is also printed.
#
#   tools/gpu_check.sh [--quick]    --quick: 1 epoch per precision instead of 5
#   TRAIN_PRECISIONS="bf16" tools/gpu_check.sh     fine-tune in these precisions (default fp32 bf16)
#   TRAIN_PRECISIONS="" tools/gpu_check.sh         build and tests only, no fine-tune
#   TRAIN_FLAGS="--experimental-gpu-speedups" ...  extra flags for the fine-tunes
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
out="${OUT:-/tmp/gpu_check}"
mkdir -p "$out"
epochs=5
[ "${1:-}" = "--quick" ] && epochs=1
summary="$out/summary.md"
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }
started=$(date +%s)

# 1. Dependencies: unpack the carried .deb files into a private prefix (never over /).
prefix=/tmp/finetune-deps
if [ ! -d "$prefix/usr" ]; then
  mkdir -p "$prefix"
  for deb in .deps/debs/*.deb; do dpkg -x "$deb" "$prefix"; done
fi
libdir="$prefix/usr/lib/x86_64-linux-gnu"
export LD_LIBRARY_PATH="$libdir:$libdir/openblas-openmp:${LD_LIBRARY_PATH:-}"
# The tests read ../shared; this machine only has the carried copy.
[ -d ../shared ] || ln -s "$repo/.deps/shared" ../shared
# The model, carried in bf16 and gzipped.
model=models/all-MiniLM-L6-v2-bf16
if [ -f .deps/minilm/model.safetensors.gz ] && [ ! -f "$model/model.safetensors" ]; then
  mkdir -p "$model"
  cp .deps/minilm/*.json .deps/minilm/vocab.txt "$model/" 2>/dev/null
  cp -r .deps/minilm/1_Pooling "$model/" 2>/dev/null
  gunzip -c .deps/minilm/model.safetensors.gz >"$model/model.safetensors"
fi

gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "unknown")
note "# finetune GPU check"
note ""
note "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
note "- GPU: ${gpu:-none found}"
note "- commit: $commit (working tree as carried)"
note "- nvcc: $(nvcc --version | tail -1)"
note "- host: $(nproc) cores, $(uname -r)"
note ""

# 2. Build with CUDA.
build=build-gpu
if cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DFINETUNE_CUDA=ON -DCMAKE_PREFIX_PATH="$prefix/usr" \
     >"$out/configure.log" 2>&1 && cmake --build "$build" -j "$(nproc)" >"$out/build.log" 2>&1; then
  note "| step | result |"
  note "|---|---|"
  note "| build (CUDA, sm_90) | ok, $(( $(date +%s) - started )) s |"
else
  note "| step | result |"
  note "|---|---|"
  note "| build (CUDA, sm_90) | FAILED (see build.log) |"
  tail -40 "$out/build.log" "$out/configure.log"
  exit 1
fi

# 3. CUDA tests (kernels against ref; the model against PyTorch and the CPU path).
for suite in cuda_kernels cuda; do
  binary="$build/tests/finetune_${suite}_tests"
  "$binary" --gtest_output=json:"$out/${suite}_tests.json" >"$out/${suite}_tests.log" 2>&1
  status=$?
  passed=$(grep -c '^\[       OK \]' "$out/${suite}_tests.log")
  failed=$(grep -c '^\[  FAILED  \].*(' "$out/${suite}_tests.log")
  skipped=$(grep -c '^\[  SKIPPED \].*(' "$out/${suite}_tests.log")
  note "| tests: finetune_${suite}_tests | exit $status: $passed passed, $failed failed, $skipped skipped |"
  grep -E '^\[  FAILED  \]|Failure|trajectory \]' "$out/${suite}_tests.log" | head -40
done
# The GPU cases of the CLI suites (training faults on the device).
"$build/tests/finetune_train_tests" --gtest_filter='*Gpu*' >"$out/train_gpu_tests.log" 2>&1
status=$?
note "| tests: finetune_train_tests *Gpu* | exit $status: $(grep -c '^\[       OK \]' "$out/train_gpu_tests.log") passed, $(grep -c '^\[  FAILED  \].*(' "$out/train_gpu_tests.log") failed, $(grep -c '^\[  SKIPPED \].*(' "$out/train_gpu_tests.log") skipped |"

# 3b. Where a DistilBERT-base step's time goes on this GPU (bench/bench_train_step.cpp): zero-grad,
# forward + backward eager and replayed from a CUDA graph (with and without the bf16 weight copy),
# Adam dense and skipping untouched embedding rows. Random weights (bench/make_random_checkpoint.py,
# as the speed benchmark uses), 48 tokens per sequence (the emotion batches' typical bucket).
random_model=.cache/bench/distilbert-base-random
[ -f "$random_model/model.safetensors" ] || python3 bench/make_random_checkpoint.py --out "$random_model" \
  >"$out/make_random_checkpoint.log" 2>&1
if [ -f "$random_model/model.safetensors" ] && [ -x "$build/bench/bench_train_step" ]; then
  for precision in bf16 fp32; do
    line=$(timeout 120 "$build/bench/bench_train_step" --device cuda --precision "$precision" \
      --model "$random_model" --tokens 48 --steps 30 2>"$out/bench_train_step_$precision.err")
    echo "$line" >"$out/bench_train_step_$precision.json"
    note "| step breakdown, DistilBERT-base $precision, 8 x 48 tokens (ms) | $(python3 - "$line" <<'PY'
import json, sys
try:
    r = json.loads(sys.argv[1])
except ValueError:
    print("failed (see bench_train_step_*.err)")
    sys.exit()
print("; ".join(f"{k[:-3]} {v:.3f}" for k, v in r.items() if k.endswith("_ms") and v >= 0))
PY
) |"
  done
else
  note "| step breakdown | skipped: no $random_model or bench_train_step |"
fi

# 3c. Per-kernel GPU time of real training steps, where Nsight Systems is installed: 400 steps of
# DistilBERT-base bf16 with the experimental speedups; the kernel summary's top lines go to
# the summary (the whole report is in the logs).
nsys_bin=$(command -v nsys || ls /usr/local/cuda/bin/nsys /opt/nvidia/nsight-systems/*/bin/nsys 2>/dev/null | head -1)
if [ -n "$nsys_bin" ] && [ -f "$random_model/model.safetensors" ]; then
  timeout 150 "$nsys_bin" profile --trace=cuda --cuda-graph-trace=node --sample=none --cpuctxsw=none -o "$out/train_profile" --force-overwrite true \
    "$build/finetune" train --device cuda --precision bf16 --experimental-gpu-speedups --model "$random_model" \
    --train ../shared/data/emotion/train.txt --limit 3200 --epochs 1 --batch-size 8 >"$out/nsys_run.log" 2>&1
  # (The report is cuda_gpu_kern_sum since 2023; older Nsight Systems call it gpukernsum.)
  for report in cuda_gpu_kern_sum gpukernsum; do
    timeout 120 "$nsys_bin" stats --report "$report" --format csv --output "$out/kernels" \
      "$out/train_profile.nsys-rep" >>"$out/nsys_stats.log" 2>&1
    kernels_csv=$(ls "$out"/kernels*.csv 2>/dev/null | head -1)
    [ -n "$kernels_csv" ] && break
  done
  if [ -n "$kernels_csv" ]; then
    note ""
    note "Kernel time over 400 training steps (nsys; share of GPU time, total ms, calls, kernel):"
    note ""
    python3 - "$kernels_csv" <<'PY' | tee -a "$summary"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
try:
    for r in rows[:25]:
        print(f"    {float(r['Time (%)']):5.1f}%  {float(r['Total Time (ns)']) / 1e6:9.2f} ms  {int(r['Instances']):7d}  {r['Name'][:110]}")
except (KeyError, ValueError):  # another column layout: the first lines as they are
    for line in open(sys.argv[1]).read().splitlines()[:26]:
        print("    " + line[:200])
PY
    note ""
  else
    note "| nsys profile | failed (see nsys_run.log, nsys_stats.log) |"
  fi
  rm -f "$out/train_profile.sqlite" "$out/train_profile.nsys-rep"  # large; the CSV stays
else
  note "| nsys profile | skipped: nsys not found |"
fi

# 4. Fine-tune all-MiniLM-L6-v2 on the emotion train split, validating each epoch, per precision
# (TRAIN_FLAGS: more `finetune train` flags, e.g. --experimental-gpu-speedups).
precisions=${TRAIN_PRECISIONS-fp32 bf16}
if [ -z "$precisions" ]; then
  note "| MiniLM fine-tune | not asked for (TRAIN_PRECISIONS empty) |"
elif [ -f "$model/model.safetensors" ]; then
  for precision in $precisions; do
    run="$out/minilm_${precision}"
    t0=$(date +%s.%N)
    "$build/finetune" train --device cuda --precision "$precision" --model "$model" \
      --train ../shared/data/emotion/train.txt --validation ../shared/data/emotion/validation.txt \
      --epochs "$epochs" --batch-size 8 --lr 1e-4 --output "/tmp/minilm_${precision}" --log "$run.jsonl" \
      ${TRAIN_FLAGS:-} >"$run.out" 2>&1
    status=$?
    t1=$(date +%s.%N)
    accuracies=$(grep val_accuracy "$run.jsonl" | python3 -c "import sys, json; print(' '.join('%.4f' % json.loads(l)['val_accuracy'] for l in sys.stdin))")
    f1=$(grep val_accuracy "$run.jsonl" | tail -1 | python3 -c "import sys, json; print('%.4f' % json.loads(sys.stdin.read())['val_macro_f1'])" 2>/dev/null)
    note "| MiniLM $epochs epochs, --precision $precision ${TRAIN_FLAGS:-} | exit $status, $(python3 -c "print('%.1f' % ($t1 - $t0))") s, val accuracy per epoch: $accuracies, final macro-F1: $f1 |"
    tail -3 "$run.out"
  done
  # The GPU checkpoint on the CPU: same labels.
  head -200 ../shared/data/emotion/validation.txt | sed 's/;[a-z]*$//' >"$out/texts.txt"
  trained=$(ls -d /tmp/minilm_fp32 /tmp/minilm_bf16 2>/dev/null | head -1)
  "$build/finetune" predict --json --model "$trained" --input "$out/texts.txt" >"$out/cpu.jsonl" 2>/dev/null
  "$build/finetune" predict --json --device cuda --precision fp32 --model "$trained" --input "$out/texts.txt" >"$out/gpu.jsonl" 2>/dev/null
  same=$(python3 - "$out/cpu.jsonl" "$out/gpu.jsonl" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
labels = sum(x["label"] == y["label"] for x, y in zip(a, b))
diff = max((abs(p - q) for x, y in zip(a, b) for p, q in zip(x["probs"], y["probs"])), default=float("nan"))
print(f"{labels}/{len(a)} labels equal, max probability difference {diff:.2e}")
PY
)
  note "| GPU-trained checkpoint predicted on CPU vs GPU | $same |"
else
  note "| MiniLM fine-tune | skipped: no model carried (tools/fetch_gpu_deps.sh) |"
fi

# 5. Data parallel over NCCL (docs/distributed.md): one process per GPU. NCCL cannot put two
# processes on one GPU, so this needs two GPUs and an MPI build (the NCCL binding itself is
# tested on one GPU by CudaCollective in step 3). Two processes of batch 4 must log the same
# losses as one process of batch 8.
gpus=$(nvidia-smi -L 2>/dev/null | wc -l)
if [ "$gpus" -ge 2 ] && command -v mpirun >/dev/null && grep -q "FINETUNE_MPI:BOOL=ON" "$build/CMakeCache.txt"; then
  common=(train --device cuda --precision fp32 --model tests/fixtures/tiny-bert --dropout 0
          --train ../shared/data/emotion/train.txt --limit 400 --epochs 1 --lr 1e-3 --no-cuda-graphs)
  "$build/finetune" "${common[@]}" --batch-size 8 --log "$out/dp_one.jsonl" >"$out/dp_one.out" 2>&1
  mpirun --allow-run-as-root -np 2 "$build/finetune" "${common[@]}" --batch-size 4 --log "$out/dp_two.jsonl" \
    >"$out/dp_two.out" 2>&1
  status=$?
  worst=$(python3 - "$out/dp_one.jsonl" "$out/dp_two.jsonl" <<'PY'
import json, sys
a = [json.loads(l)["loss"] for l in open(sys.argv[1]) if '"loss"' in l]
b = [json.loads(l)["loss"] for l in open(sys.argv[2]) if '"loss"' in l]
print(f"{len(b)}/{len(a)} steps, largest loss difference {max(abs(x - y) for x, y in zip(a, b)):.2e}" if a and len(a) == len(b) else "step counts differ")
PY
)
  note "| NCCL: 2 GPUs x batch 4 vs 1 GPU x batch 8 | exit $status, $worst, $(grep -o 'processes: .*' "$out/dp_two.out") |"
else
  note "| NCCL data parallel | skipped: needs 2 GPUs, mpirun and an MPI build ($gpus GPU(s)) |"
fi
note ""
note "total $(( $(date +%s) - started )) s"
# The device tool returns at most 8 files: the summary, and every log in one archive.
(cd "$out" && tar -czf logs.tar.gz --exclude=logs.tar.gz --exclude=summary.md --exclude='gpu_bench*' ./* && \
  find . -maxdepth 1 -type f ! -name logs.tar.gz ! -name summary.md ! -name 'gpu_bench*' -delete)
cat "$summary"
