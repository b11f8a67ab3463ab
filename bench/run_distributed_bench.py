#!/usr/bin/env python3
"""Data-parallel training on one machine: 1 process x T threads against P processes x T/P threads.

Both sides train the same model on the same data with the same global batch (8 examples per
optimizer step: one process of batch 8, or P processes of batch 8/P each, launched with
`mpirun`), so they take the same steps (tests/distributed checks that) and only the speed
differs. The question it answers: on a machine with C cores, is it faster to give one process
all C threads, or to run one process per core and sum gradients over MPI?

Timing, as bench/run_train_bench.py: each configuration runs twice, for S1 and S2 steps
(`--limit 8*S --epochs 1`), and (wall(S2) - wall(S1)) / (S2 - S1) is its time per step;
process start, mpirun, loading and tokenization cancel out. Every configuration is measured
`--repeats` times, interleaved, and the fastest is kept (the machine may be shared).

Needs only the Python standard library, the built binary and Open MPI's `mpirun`.

  python3 bench/run_distributed_bench.py [--cores 2] [--steps 40] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def wall_seconds(command: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"run_distributed_bench: {' '.join(command)} exited with {result.returncode}:\n{result.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cores", type=int, default=os.cpu_count(), help="threads x processes of every row")
    parser.add_argument("--steps", type=int, default=40, help="timed steps per configuration")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--build", default=str(REPO / "build"))
    args = parser.parse_args()
    binary = str(pathlib.Path(args.build) / "finetune")
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        sys.exit("run_distributed_bench: mpirun not found (apt-get install openmpi-bin)")
    train = str(SHARED / "data/emotion/train.txt")
    models = [("all-MiniLM-L6-v2", REPO / "models/all-MiniLM-L6-v2")]
    random_dir = REPO / ".cache/bench/distilbert-base-random"
    if (random_dir / "model.safetensors").exists():  # written by bench/run_train_bench.py
        models.append(("DistilBERT-base (random init)", random_dir))

    # (label, processes, threads per process); the global batch is always 8.
    configurations = [(f"1 process x {args.cores} threads", 1, args.cores)]
    processes = 2
    while processes <= args.cores and 8 % processes == 0:
        configurations.append((f"{processes} processes x {args.cores // processes} thread"
                               f"{'s' if args.cores // processes > 1 else ''}", processes, args.cores // processes))
        processes *= 2
    configurations.append(("1 process x 1 thread (scaling baseline)", 1, 1))

    def command(path: pathlib.Path, processes: int, threads: int, steps: int) -> list[str]:
        run = [binary, "train", "--model", str(path), "--train", train, "--limit", str(8 * steps), "--epochs", "1",
               "--batch-size", str(8 // processes), "--threads", str(threads), "--lr", "5e-5"]
        if processes == 1:
            return run
        # One core per process (Open MPI's default binding), more processes than cores refused.
        return [mpirun, "--allow-run-as-root", "-np", str(processes), "--bind-to", "core"] + run

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    mpi_version = subprocess.run([mpirun, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    print(f"commit {commit}, {args.cores} cores, global batch 8, emotion train (shuffled), {mpi_version}\n")
    print("| model | configuration | ms/step | steps/s | vs 1 process |")
    print("|---|---|---|---|---|")
    short, long = 10, 10 + args.steps
    for label, path in models:
        best: dict[str, float] = {}
        for _ in range(args.repeats):
            for name, processes, threads in configurations:
                seconds = {s: wall_seconds(command(path, processes, threads, s)) for s in (short, long)}
                ms = 1000.0 * (seconds[long] - seconds[short]) / (long - short)
                best[name] = min(best.get(name, float("inf")), ms)
        baseline = best[configurations[0][0]]
        for name, _, _ in configurations:
            ms = best[name]
            print(f"| {label} | {name} | {ms:.1f} | {1000.0 / ms:.2f} | {baseline / ms:.2f}x |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
