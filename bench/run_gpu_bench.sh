#!/usr/bin/env bash
# The GPU training benchmark of issue 5: `finetune train --device cuda` side by side with PyTorch
# + transformers on the same GPU, in one call, on the tutorial job (DistilBERT-base shape with
# random weights, emotion train split, batch 8, dynamic padding, AdamW, linear schedule).
#
# Runs on the GPU machine from the repository root, after tools/gpu_check.sh has built
# build-gpu/finetune (it reuses that script's unpacked libraries in /tmp/finetune-deps and its
# ../shared link, and makes them itself if they are missing). Needs python3 with torch and
# transformers there; the Trainer row also needs `accelerate` (if python3 lacks it, wheels in
# .deps/pywheels/ are unpacked into /tmp/finetune-pydeps and put on PYTHONPATH).
#
# What it measures, per row (details in bench/README.md):
#   PyTorch, one process per variant (bench/train_gpu_torch.py --variant V): fp32 (TF32 off),
#     tf32, bf16 autocast, torch.compile + bf16, the HF Trainer (bf16); $STEPS timed steps after
#     $WARMUP warm-up steps, timed inside the process with cuda synchronisation.
#   finetune, per --precision (bf16, fp32; bf16+x adds --experimental-gpu-speedups): two whole runs of S1 and S2 steps
#     (`--limit 8*S --epochs 1`); ms/step = (wall(S2) - wall(S1)) / (S2 - S1), so process start,
#     CUDA context, loading and tokenization cancel out, as the PyTorch warm-up does.
#   Peak GPU memory: nvidia-smi memory.used polled every ~50 ms during each process, minus the
#     idle value just before it (for every row, so rows compare like with like: this includes
#     the CUDA context and, for PyTorch, its caching allocator's reserve). PyTorch rows also give
#     torch.cuda.max_memory_allocated. finetune does not report its GPU memory yet; if its
#     output ever has a line "peak GPU memory N MB", that number is shown beside the polled one.
#
# The whole script is held to a time budget (BUDGET_S, default 180 s): every step runs under
# `timeout`, a step that fails or times out gives a row saying so and the script goes on, and
# steps that no longer fit in the budget are skipped with a row saying so. torch.compile runs
# last since it is the slowest to start (its compile time is reported apart, not in ms/step).
#
# Output: the Markdown table is printed and written to ${OUT:-/tmp}/gpu_bench.md; the logs of
# every step are packed into ${OUT:-/tmp}/gpu_bench_logs.tar.gz.
#
#   bench/run_gpu_bench.sh                 on the GPU machine
#   DRY_RUN=1 bench/run_gpu_bench.sh       here, on the CPU: tiny step counts, --device cpu,
#                                          build/finetune, no nvidia-smi; checks the plumbing
# Settings (environment): STEPS, WARMUP (PyTorch timed and warm-up steps: 200, 20), S1, S2
# (finetune runs: 100, 600), VARIANTS (PyTorch variants, in run order), PRECISIONS (finetune;
# "bf16+x" is bf16 with --experimental-gpu-speedups),
# BUDGET_S, FINETUNE (the binary), PYTHON (python3), MODELS ("distilbert"; add "minilm" for
# all-MiniLM-L6-v2 from MINILM_DIR, default models/all-MiniLM-L6-v2-bf16 as gpu_check.sh unpacks
# it), GPU_INDEX.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
repo=$PWD
out="${OUT:-/tmp}"
work="$out/gpu_bench_logs"
rm -rf "$work"
mkdir -p "$work"
table="$out/gpu_bench.md"
started=$(date +%s)
python="${PYTHON:-python3}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

if [ "${DRY_RUN:-0}" = 1 ]; then
  device=cpu
  binary="${FINETUNE:-build/finetune}"
  warmup="${WARMUP:-2}" steps="${STEPS:-3}" s1="${S1:-2}" s2="${S2:-4}"
  budget="${BUDGET_S:-1200}"
  # torch.compile on a 2-core CPU takes minutes: only when asked for (VARIANTS=...).
  variants="${VARIANTS:-bf16 tf32 fp32 trainer}"
else
  device=cuda
  binary="${FINETUNE:-build-gpu/finetune}"
  warmup="${WARMUP:-20}" steps="${STEPS:-200}" s1="${S1:-100}" s2="${S2:-600}"
  budget="${BUDGET_S:-180}"
  variants="${VARIANTS:-bf16 tf32 fp32 trainer compile}"
fi
precisions="${PRECISIONS:-bf16 fp32}"
models="${MODELS:-distilbert}"
gpu_index="${GPU_INDEX:-0}"
train=../shared/data/emotion/train.txt
rows="$work/rows.jsonl"  # one JSON object per table row, written as each step finishes
: >"$rows"
log() { echo "[run_gpu_bench $(( $(date +%s) - started ))s] $*" >&2; }

# --- Environment, as tools/gpu_check.sh sets it up ---------------------------------------------
[ -d ../shared ] || { [ -d .deps/shared ] && ln -s "$repo/.deps/shared" ../shared; }
prefix=/tmp/finetune-deps
if [ "$device" = cuda ] && [ ! -d "$prefix/usr" ] && ls .deps/debs/*.deb >/dev/null 2>&1; then
  mkdir -p "$prefix"
  for deb in .deps/debs/*.deb; do dpkg -x "$deb" "$prefix"; done
fi
if [ -d "$prefix/usr" ]; then
  libdir="$prefix/usr/lib/x86_64-linux-gnu"
  export LD_LIBRARY_PATH="$libdir:$libdir/openblas-openmp:${LD_LIBRARY_PATH:-}"
fi
if ! "$python" -c "import accelerate" >/dev/null 2>&1 && ls .deps/pywheels/*.whl >/dev/null 2>&1; then
  # Wheels are zip files; unpacked side by side they import like installed packages.
  "$python" - .deps/pywheels /tmp/finetune-pydeps <<'PY'
import pathlib, sys, zipfile
for wheel in sorted(pathlib.Path(sys.argv[1]).glob("*.whl")):
    zipfile.ZipFile(wheel).extractall(sys.argv[2])
PY
  export PYTHONPATH="/tmp/finetune-pydeps${PYTHONPATH:+:$PYTHONPATH}"
fi
smi=0  # SMI=1 forces polling (to test it with a stand-in nvidia-smi on PATH), SMI=0 turns it off
if [ "${SMI:-}" = 1 ] || { [ "${SMI:-}" != 0 ] && [ "$device" = cuda ] && command -v nvidia-smi >/dev/null 2>&1; }; then
  smi=1
fi
gpu_used() {  # MiB in use on the GPU now
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i "$gpu_index" 2>/dev/null | head -1 | tr -dc 0-9
}
# poll_gpu FILE: one gpu_used sample per line, every ~50 ms, until killed. A loop of short
# nvidia-smi calls rather than `nvidia-smi -lms 50`, whose output to a file may sit in a stdio
# buffer when it is killed.
poll_gpu() {
  while :; do
    gpu_used
    echo
    sleep 0.05
  done >"$1"
}

# --- Helpers -------------------------------------------------------------------------------------
remaining() { echo $(( budget - ($(date +%s) - started) )); }

# run_step NAME LIMIT COMMAND...: runs COMMAND under `timeout` (LIMIT seconds, capped by what is
# left of the budget), stdout to $work/NAME.out, stderr to $work/NAME.err, polling nvidia-smi.
# Sets: rc (124: timed out; 125: skipped, no budget left), wall (seconds), smi_peak (MiB above
# idle, empty without nvidia-smi), why (a short reason when rc != 0).
run_step() {
  local name=$1 limit=$2
  shift 2
  local left
  left=$(remaining)
  rc=0 wall="" smi_peak="" why=""
  if [ "$left" -lt 10 ]; then
    rc=125 why="skipped: over the time budget (BUDGET_S=$budget)"
    log "$name: $why"
    return
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  local poll="" base=0
  if [ "$smi" = 1 ]; then
    base=$(gpu_used)
    poll_gpu "$work/$name.smi" &
    poll=$!
  fi
  log "$name (limit ${limit}s): $*"
  local t0 t1
  t0=$(date +%s.%N)
  timeout -k 5 "$limit" "$@" >"$work/$name.out" 2>"$work/$name.err"
  rc=$?
  t1=$(date +%s.%N)
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
  if [ -n "$poll" ]; then
    kill "$poll" 2>/dev/null
    wait "$poll" 2>/dev/null
    local peak
    peak=$(grep -E '^[0-9]+$' "$work/$name.smi" | sort -n | tail -1)
    [ -n "$peak" ] && [ -n "$base" ] && smi_peak=$(( peak - base ))
  fi
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    why="timed out after ${limit}s"
  elif [ "$rc" != 0 ]; then
    # The first line naming an error (finetune's one-line message, a Python exception), else the last.
    local line
    line=$(grep -m1 -E 'error|Error' "$work/$name.err")
    [ -n "$line" ] || line=$(grep -v '^\s*$' "$work/$name.err" | tail -1)
    why="failed, exit $rc: $(echo "$line" | cut -c1-200)"
  fi
  log "$name: exit $rc, ${wall}s${smi_peak:+, GPU +${smi_peak} MiB}"
}

# add_row JSON: appends one row (the Python below fills in what the shell cannot).
add_row() { echo "$1" >>"$rows"; }

# --- Models --------------------------------------------------------------------------------------
declare -A model_dir model_label
model_dir[distilbert]=.cache/bench/distilbert-base-random
model_label[distilbert]="DistilBERT-base (random init)"
model_dir[minilm]="${MINILM_DIR:-models/all-MiniLM-L6-v2-bf16}"
model_label[minilm]="all-MiniLM-L6-v2 (bf16 weights)"
if [[ " $models " == *" distilbert "* ]]; then
  run_step make_checkpoint 120 "$python" bench/make_random_checkpoint.py --out "${model_dir[distilbert]}"
  [ "$rc" = 0 ] || log "make_random_checkpoint: $why"
fi

gpu_name=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader -i "$gpu_index" 2>/dev/null | head -1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "unknown (no .git)")

# --- The runs ------------------------------------------------------------------------------------
torch_variant() {  # MODEL VARIANT
  local key=$1 variant=$2 dir=${model_dir[$1]} limit=90
  [ "$variant" = compile ] && limit=400  # capped by the budget anyway
  [ "$variant" = trainer ] && limit=120
  if [ ! -f "$dir/model.safetensors" ]; then
    add_row "{\"model\": \"${model_label[$key]}\", \"impl\": \"pytorch\", \"variant\": \"$variant\", \"error\": \"no model in $dir\"}"
    return
  fi
  if [ "$variant" = compile ] && [ "$(remaining)" -lt 45 ]; then
    # Compiling alone takes tens of seconds: not worth starting with less left.
    add_row "{\"model\": \"${model_label[$key]}\", \"impl\": \"pytorch\", \"variant\": \"compile\", \"error\": \"skipped: $(remaining) s left of the time budget (BUDGET_S=$budget), compile needs more\"}"
    return
  fi
  run_step "torch_${key}_${variant}" "$limit" "$python" bench/train_gpu_torch.py --variant "$variant" \
    --model "$dir" --train "$train" --device "$device" --steps "$steps" --warmup-steps "$warmup"
  "$python" - "$work/torch_${key}_${variant}.out" "$rc" "$why" "$smi_peak" "${model_label[$key]}" "$variant" >>"$rows" <<'PY'
import json, sys
path, rc, why, smi, label, variant = sys.argv[1:7]
row = None
try:
    for line in open(path, encoding="utf-8", errors="replace"):
        if line.startswith('{"variant"'):
            row = json.loads(line)
except OSError:
    pass
row = row or {"variant": variant}
if rc != "0" and "error" not in row:
    row["error"] = why
row.update({"model": label, "impl": "pytorch", "smi_peak_mb": int(smi) if smi else None})
print(json.dumps(row))
PY
}

finetune_precision() {  # MODEL PRECISION[+x]   (+x: with --experimental-gpu-speedups)
  local key=$1 variant=$2 precision=${2%+x} dir=${model_dir[$1]} s wall_short="" wall_long="" smi_long="" err=""
  local label=${model_label[$key]}
  local common=(train --device "$device" --precision "$precision" --model "$dir" --train "$train"
                --batch-size 8 --epochs 1 --lr 5e-5)
  [ "$variant" != "$precision" ] && common+=(--experimental-gpu-speedups)
  if [ ! -x "$binary" ]; then
    err="no binary $binary (build it first: tools/gpu_check.sh)"
  elif [ ! -f "$dir/model.safetensors" ]; then
    err="no model in $dir"
  else
    # The long run first: any one-off cost of a first run (file cache, module loading) then
    # makes finetune look slower, never faster.
    for s in "$s2" "$s1"; do
      run_step "finetune_${key}_${variant}_${s}" 60 "$binary" "${common[@]}" --limit $(( 8 * s ))
      if [ "$rc" != 0 ]; then err=$why; break; fi
      if [ "$s" = "$s2" ]; then wall_long=$wall smi_long=$smi_peak; else wall_short=$wall; fi
    done
  fi
  "$python" - "$rows" "$label" "$variant" "$err" "$wall_short" "$wall_long" "$s1" "$s2" \
    "$smi_long" "$work/finetune_${key}_${variant}_${s2}.out" <<'PY'
import json, re, sys
rows, label, variant, err, short, long, s1, s2, smi, out = sys.argv[1:11]
row = {"model": label, "impl": "finetune", "variant": variant}
if err:
    row["error"] = err
elif float(long) <= float(short):
    row["error"] = (f"the {s2}-step run ({float(long):.2f} s) was not slower than the {s1}-step run "
                    f"({float(short):.2f} s): raise S2")
else:
    ms = 1000.0 * (float(long) - float(short)) / (int(s2) - int(s1))
    row.update({"ms_per_step": round(ms, 3), "samples_per_s": round(8000.0 / ms, 1),
                "epoch_seconds": round(ms * 2000 / 1000.0, 2), "wall_s1": float(short),
                "wall_s2": float(long), "steps": f"{s2} - {s1}",
                "smi_peak_mb": int(smi) if smi else None})
    try:
        found = re.findall(r"peak GPU memory ([0-9.]+) MB", open(out, errors="replace").read())
        if found:
            row["own_peak_gpu_mb"] = float(found[-1])
    except OSError:
        pass
with open(rows, "a") as f:
    f.write(json.dumps(row) + "\n")
PY
}

for key in $models; do
  # The fastest eager variant (usually bf16) first, then finetune, then the rest: what matters
  # most for the ratio runs first if the budget runs out.
  first=${variants%% *}
  torch_variant "$key" "$first"
  for precision in $precisions; do finetune_precision "$key" "$precision"; done
  for variant in ${variants#"$first"}; do torch_variant "$key" "$variant"; done
done

# --- The table -----------------------------------------------------------------------------------
"$python" - "$rows" "$table" "$device" "${gpu_name:-none (nvidia-smi not found)}" "$commit" \
  "$steps" "$warmup" "$s1" "$s2" "$budget" "$(( $(date +%s) - started ))" <<'PY'
import json, sys
rows_path, table, device, gpu, commit, steps, warmup, s1, s2, budget, elapsed = sys.argv[1:12]
rows = [json.loads(l) for l in open(rows_path) if l.strip()]
order = {"fp32": 0, "tf32": 1, "bf16": 2, "compile": 3, "trainer": 4}
names = {"fp32": "PyTorch eager, fused AdamW", "tf32": "PyTorch eager, fused AdamW",
         "bf16": "PyTorch eager + autocast, fused AdamW",
         "compile": "PyTorch torch.compile + autocast, fused AdamW",
         "trainer": "HF Trainer (bf16=True, adamw_torch_fused)"}
precision = {"fp32": "fp32 (TF32 off)", "tf32": "TF32", "bf16": "bf16 autocast",
             "compile": "bf16 autocast", "trainer": "bf16 autocast"}
versions = next((r for r in rows if r.get("torch")), {})
title = "GPU training speed: finetune vs PyTorch"
if device != "cuda":
    title += " - DRY RUN on the CPU (checks the plumbing; the numbers mean nothing)"
lines = [f"# {title}", "",
         f"- GPU: {gpu}",
         f"- commit: {commit}; PyTorch {versions.get('torch', '?')} (CUDA {versions.get('cuda', '?')}), "
         f"transformers {versions.get('transformers', '?')}, Python {versions.get('python', '?')}",
         f"- job: emotion train split, batch 8, dynamic padding, shuffled, AdamW lr 5e-5, linear schedule; "
         f"PyTorch: {steps} timed steps after {warmup} warm-up steps; finetune: runs of {s2} and {s1} steps, "
         f"ms/step from the difference",
         "- epoch s = ms/step x 2,000 steps (16,000 examples at batch 8); peak GPU MB = nvidia-smi memory.used "
         "polled every ~50 ms minus the idle value before the process (CUDA context and allocator reserve "
         "included); torch MB = torch.cuda.max_memory_allocated", ""]
models = []
for r in rows:
    if r["model"] not in models:
        models.append(r["model"])
for model in models:
    group = [r for r in rows if r["model"] == model]
    timed = [r for r in group if r["impl"] == "pytorch" and "error" not in r and r.get("ms_per_step")]
    fastest = min(timed, key=lambda r: r["ms_per_step"]) if timed else None
    lines += [f"## {model}", ""]
    if fastest:
        lines += [f"Fastest PyTorch variant: {fastest['variant']}, {fastest['ms_per_step']:.2f} ms/step.", ""]
    lines += ["| implementation | precision | ms/step | samples/s | epoch s | peak GPU MB | torch MB "
              "| speed vs fastest PyTorch | notes |", "|---|---|---|---|---|---|---|---|---|"]
    group.sort(key=lambda r: (r["impl"] != "pytorch", order.get(r["variant"], 9), r["variant"]))
    for r in group:
        if r["impl"] == "pytorch":
            name, prec = names.get(r["variant"], r["variant"]), precision.get(r["variant"], "")
        elif r["variant"].endswith("+x"):
            name, prec = "finetune --experimental-gpu-speedups", r["variant"][:-2]
        else:
            name, prec = "finetune", r["variant"]
        if "error" in r:
            lines.append(f"| {name} | {prec} | - | - | - | - | - | - | {r['error'].replace('|', '/')} |")
            continue
        notes = []
        if r.get("compile_seconds") is not None:
            notes.append(f"compile {r['compile_seconds']:.1f} s (not timed)")
        if r.get("graphs_compiled_during_timing"):
            notes.append(f"{r['graphs_compiled_during_timing']} recompiles while timed")
        if r.get("max_grad_norm"):
            notes.append(f"clips grad norm to {r['max_grad_norm']:g}")
        if r.get("mean_tokens_per_batch"):
            notes.append(f"{r['mean_tokens_per_batch']:.0f} padded tokens/batch")
        if r.get("own_peak_gpu_mb"):
            notes.append(f"own peak GPU {r['own_peak_gpu_mb']:.0f} MB")
        if r["impl"] == "finetune":
            notes.append(f"runs {r['wall_s2']:.2f} s / {r['wall_s1']:.2f} s")
        smi = f"{r['smi_peak_mb']}" if r.get("smi_peak_mb") is not None else "-"
        own = f"{r['peak_gpu_mem_mb']:.0f}" if r.get("peak_gpu_mem_mb") is not None else "-"
        ratio = f"{fastest['ms_per_step'] / r['ms_per_step']:.2f}x" if fastest else "-"
        lines.append(f"| {name} | {prec} | {r['ms_per_step']:.2f} | {r['samples_per_s']:.0f} "
                     f"| {r['epoch_seconds']:.1f} | {smi} | {own} | {ratio} | {'; '.join(notes)} |")
    lines.append("")
lines.append(f"Total {elapsed} s (budget {budget} s).")
text = "\n".join(lines) + "\n"
open(table, "w").write(text)
print(text, end="")
PY

(cd "$out" && tar -czf gpu_bench_logs.tar.gz gpu_bench_logs && rm -rf gpu_bench_logs)
