#!/usr/bin/env python3
"""PyTorch + `transformers` peer of `finetune predict`, for the predict benchmark.

Every speed claim of the project is a ratio against PyTorch measured on the same machine
(DESIGN.md, performance plan). This script does what `finetune predict` does, the way a
`transformers` user would: AutoTokenizer + AutoModelForSequenceClassification in eval mode on
the CPU, the input file's lines in consecutive batches, each batch padded to its own longest
line (dynamic padding), softmax and argmax per line. A base checkpoint (no classifier in the
file) gets a freshly initialised head, which costs the same as a trained one.

As `finetune predict` does, every line of --input is one text (split on "\\n" only), so a
`text;label` file is read with the label suffix as part of the text; both sides see the same
input. One untimed warm-up batch runs first. Time is measured separately for tokenization
and for the model (forward + softmax + argmax); `seconds` is their sum. Prints one JSON line.

Usage:  python bench/predict_torch.py --model DIR --input FILE [--batch-size 32]
                                      [--threads 2] [--max-length N] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch
import transformers


def read_lines(path: str, limit: int | None) -> list[str]:
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the file's final newline ends the last line; it is not an empty line
    return lines[:limit] if limit else lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="Hugging Face model directory")
    parser.add_argument("--input", required=True, help="UTF-8 text, one example per line")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--max-length", type=int, default=None,
                        help="truncate to N tokens (default: the tokenizer's model_max_length, "
                             "at most max_position_embeddings)")
    parser.add_argument("--limit", type=int, default=None, help="use the first N lines only")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()  # the fresh-head warning is expected
    transformers.utils.logging.disable_progress_bar()

    lines = read_lines(args.input, args.limit)
    if not lines:
        print("predict_torch: no input lines", file=sys.stderr)
        return 1
    tokenizer = transformers.AutoTokenizer.from_pretrained(args.model)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(
        args.model, dtype=torch.float32).eval()
    max_length = args.max_length or min(tokenizer.model_max_length,
                                        model.config.max_position_embeddings)

    def run_batch(batch: list[str]) -> tuple[float, float]:
        """Predicts one batch; returns (tokenize seconds, model seconds)."""
        t0 = time.perf_counter()
        enc = tokenizer(batch, padding=True, truncation=True, max_length=max_length,
                        return_tensors="pt")
        t1 = time.perf_counter()
        with torch.inference_mode():
            probs = torch.softmax(model(**enc).logits, dim=-1)
            probs.argmax(dim=-1)
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1

    run_batch(lines[: args.batch_size])  # warm-up: first-call allocations, thread pool start

    tokenize_seconds = model_seconds = 0.0
    for start in range(0, len(lines), args.batch_size):
        tok_s, model_s = run_batch(lines[start : start + args.batch_size])
        tokenize_seconds += tok_s
        model_seconds += model_s
    seconds = tokenize_seconds + model_seconds

    print(json.dumps({
        "impl": "pytorch",
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "threads": args.threads,
        "batch_size": args.batch_size,
        "max_length": max_length,
        "lines": len(lines),
        "seconds": round(seconds, 4),
        "lines_per_s": round(len(lines) / seconds, 2),
        "tokenize_seconds": round(tokenize_seconds, 4),
        "model_seconds": round(model_seconds, 4),
        "model": args.model,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
