#!/usr/bin/env python3
"""Runs the CPU benchmarks side by side with their Python peers and prints a Markdown table.

Every speed claim is a ratio against the peer measured in the same run on the same machine
(DESIGN.md). This script runs, in this order:
  1. tokenizer throughput on the emotion train split: build/bench/bench_tokenizer vs
     bench/tokenizer_hf.py (HF `tokenizers`, single thread);
  2. predict throughput: build/bench/bench_predict vs bench/predict_torch.py (PyTorch +
     transformers), same model, input lines, batch size and thread count; finetune both in the
     peer's consecutive-batch order and in its own length-sorted order.
Models: all-MiniLM-L6-v2 (models/, scripts/fetch-model.sh) and a random-init DistilBERT-base
(bench/make_random_checkpoint.py; speed does not depend on weight values).

Run from the repository root with the reference virtual environment:
  ~/venv/bin/python bench/run_cpu_bench.py [--threads 2] [--batch-size 32] [--limit 500]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def run_json(command: list[str], env: dict | None = None) -> list[dict]:
    """Runs a benchmark program and returns the JSON objects it printed, one per line."""
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True,
                            env={**os.environ, **(env or {})})
    if result.returncode != 0:
        sys.exit(f"run_cpu_bench: {' '.join(command)} failed:\n{result.stderr}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--limit", type=int, default=500, help="predict: first N validation lines")
    parser.add_argument("--repeat", type=int, default=10, help="tokenizer: best of N passes")
    parser.add_argument("--build", default=str(REPO / "build"))
    args = parser.parse_args()
    python = sys.executable
    bench = pathlib.Path(args.build) / "bench"

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    print(f"Machine: {machine()}; commit {commit}\n")

    # 1. Tokenizer.
    train = SHARED / "data/emotion/train.txt"
    ours = run_json([str(bench / "bench_tokenizer"), "--input", str(train), "--repeat", str(args.repeat)])
    peers = run_json([python, "bench/tokenizer_hf.py", "--input", str(train), "--repeat", str(args.repeat)])
    print("| tokenizer (emotion train, 16,000 lines, 1 thread) | lines/s | MB/s | vs HF encode |")
    print("|---|---|---|---|")
    base = next(p for p in peers if p["mode"] == "encode")["lines_per_s"]
    for r in ours + peers:
        print(f"| {r['impl']} {r['mode']} | {r['lines_per_s']:,.0f} | {r['mb_per_s']:.2f} | "
              f"{r['lines_per_s'] / base:.2f}x |")
    print()

    # 2. Predict.
    random_dir = REPO / ".cache/bench/distilbert-base-random"
    subprocess.run([python, "bench/make_random_checkpoint.py", "--out", str(random_dir)], cwd=REPO,
                   check=True, capture_output=True)
    models = [("all-MiniLM-L6-v2", REPO / "models/all-MiniLM-L6-v2"),
              ("DistilBERT-base (random init)", random_dir)]
    validation = SHARED / "data/emotion/validation.txt"
    common = ["--input", str(validation), "--batch-size", str(args.batch_size),
              "--threads", str(args.threads), "--limit", str(args.limit)]
    print(f"| predict ({args.limit} validation lines, batch {args.batch_size}, {args.threads} threads) "
          "| lines/s | tokenize s | model s | vs PyTorch |")
    print("|---|---|---|---|---|")
    for label, path in models:
        if not (path / "model.safetensors").exists():
            print(f"| {label}: missing {path} | | | | |")
            continue
        peer = run_json([python, "bench/predict_torch.py", "--model", str(path), *common])[0]
        rows = [(f"PyTorch {peer['torch']} + transformers {peer['transformers']}", peer)]
        for order in ("file", "sorted"):
            r = run_json([str(bench / "bench_predict"), "--model", str(path), "--order", order, *common])[0]
            rows.append((f"finetune ({'consecutive batches' if order == 'file' else 'length-sorted batches'})", r))
        for name, r in rows:
            print(f"| {label}: {name} | {r['lines_per_s']:,.1f} | {r['tokenize_seconds']:.3f} | "
                  f"{r['model_seconds']:.2f} | {r['lines_per_s'] / peer['lines_per_s']:.2f}x |")
    print()


if __name__ == "__main__":
    main()
