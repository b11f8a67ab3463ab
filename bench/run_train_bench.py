#!/usr/bin/env python3
"""Training speed and memory of `finetune train` beside a PyTorch + transformers loop.

Same machine, same run, same data (emotion train split, shuffled), same batch size (8, dynamic
padding), same thread count, same model: all-MiniLM-L6-v2, a random-init DistilBERT-base and a random-init
RoBERTa-base (bench/make_random_checkpoint.py; --models picks some). Reports ms per optimizer step, steps per second and peak
resident memory (RSS) of each process, and the ratio.

How each side is timed:
  - PyTorch: bench/train_torch.py times its steps itself after 5 untimed warm-up steps.
  - finetune: the binary runs twice, for S1 and S2 steps (`--limit 8*S --epochs 1`); the
    difference of the wall times over S2 - S1 steps cancels everything that is not a step
    (process start, loading, tokenization, the first steps' page faults), like the peer's
    warm-up does. Peak RSS is the larger run's, from wait4().

  ~/venv/bin/python bench/run_train_bench.py [--threads 2] [--steps 60]
                                             [--models minilm,distilbert-base,roberta-base,modernbert-base]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def run_with_rss(command: list[str]) -> tuple[float, float, str]:
    """Runs a command, returning (wall seconds, the child's peak RSS in MB, its stdout)."""
    out_path = REPO / ".cache" / "bench_stdout.txt"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with open(out_path, "w") as out_file:
        start = time.perf_counter()
        pid = os.posix_spawn(command[0], command, os.environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, out_file.fileno(), 1),
            (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0)])
        _, status, usage = os.wait4(pid, 0)
        seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"run_train_bench: {' '.join(command)} exited with {os.waitstatus_to_exitcode(status)}")
    return seconds, usage.ru_maxrss / 1024.0, out_path.read_text()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--steps", type=int, default=60, help="timed steps per side")
    parser.add_argument("--build", default=str(REPO / "build"))
    parser.add_argument("--models", default="minilm,distilbert-base,roberta-base",
                        help="comma-separated: minilm, distilbert-base, roberta-base, modernbert-base")
    args = parser.parse_args()
    python = sys.executable
    binary = str(pathlib.Path(args.build) / "finetune")
    train = str(SHARED / "data/emotion/train.txt")
    available = {"minilm": ("all-MiniLM-L6-v2", REPO / "models/all-MiniLM-L6-v2", None),
                 "distilbert-base": ("DistilBERT-base (random init)", REPO / ".cache/bench/distilbert-base-random",
                                     "distilbert"),
                 "roberta-base": ("RoBERTa-base (random init)", REPO / ".cache/bench/roberta-base-random", "roberta"),
                 "modernbert-base": ("ModernBERT-base (random init)",
                                     REPO / ".cache/bench/modernbert-base-random", "modernbert")}
    models = []
    for key in args.models.split(","):
        if key not in available:
            sys.exit(f"run_train_bench: unknown model '{key}' (known: {', '.join(available)})")
        label, path, family = available[key]
        if family:
            subprocess.run([python, "bench/make_random_checkpoint.py", "--family", family, "--out", str(path)],
                           cwd=REPO, check=True, capture_output=True)
        models.append((label, path))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    print(f"commit {commit}, {args.threads} threads, batch 8, emotion train (shuffled)\n")
    print("| model | implementation | ms/step | steps/s | peak RSS MB | speed vs PyTorch | memory vs PyTorch |")
    print("|---|---|---|---|---|---|---|")
    for label, path in models:
        peer_seconds, peer_rss, peer_out = run_with_rss(
            [python, "bench/train_torch.py", "--model", str(path), "--train", train, "--batch-size", "8",
             "--steps", str(args.steps), "--threads", str(args.threads)])
        peer = json.loads(peer_out.strip().splitlines()[-1])
        short, long = 10, 10 + args.steps
        runs = {}
        for steps in (short, long):
            runs[steps] = run_with_rss(
                [binary, "train", "--model", str(path), "--train", train, "--limit", str(8 * steps), "--epochs", "1",
                 "--batch-size", "8", "--threads", str(args.threads), "--lr", "5e-5"])
        ms = 1000.0 * (runs[long][0] - runs[short][0]) / (long - short)
        rss = runs[long][1]
        print(f"| {label} | PyTorch {peer['torch']} + transformers {peer['transformers']} ({peer.get('optimizer_impl', '')} AdamW) "
              f"| {peer['ms_per_step']:.1f} | {1000.0 / peer['ms_per_step']:.2f} | {peer['peak_rss_mb']:.0f} | 1.00x | 1.00x |")
        print(f"| {label} | finetune | {ms:.1f} | {1000.0 / ms:.2f} | {rss:.0f} | {peer['ms_per_step'] / ms:.2f}x | "
              f"{rss / peer['peak_rss_mb']:.2f}x |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
