#!/usr/bin/env python3
"""Peer of bench/bench_tokenizer.cpp: Hugging Face `tokenizers` throughput, single thread.

Encodes every line of the input (the text before the last ';' of `text;label` lines, like the
C++ bench) with the model's tokenizer, best of N passes, and prints one JSON line per mode. The
tokenizer is the directory's tokenizer.json, or, for a directory without one (a SentencePiece
model or vocab.json + merges.txt), the Rust tokenizer that transformers.AutoTokenizer builds from
those files (`backend_tokenizer`): the same object finetune's goldens are made with.
  encode        Tokenizer.encode(text) in a Python loop (what a per-example pipeline does);
  encode_batch  Tokenizer.encode_batch(texts) with RAYON_NUM_THREADS=1, so the Rust side runs on
                one thread too (its per-call Python overhead is amortised over the batch).
Truncation and padding stored in tokenizer.json are disabled, as in finetune.

  python bench/tokenizer_hf.py [--model DIR] [--input FILE] [--repeat N] [--max-length N]
"""

import os

# Single thread for the Rust side; must be set before `tokenizers` is imported.
os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import tokenizers  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="../shared/models/bert-base-uncased")
    parser.add_argument("--input", default="../shared/data/emotion/train.txt")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--max-length", type=int, default=0)
    args = parser.parse_args()

    start = time.perf_counter()
    if (Path(args.model) / "tokenizer.json").is_file():
        tok = Tokenizer.from_file(str(Path(args.model) / "tokenizer.json"))
    else:
        from transformers import AutoTokenizer
        tok = AutoTokenizer.from_pretrained(args.model).backend_tokenizer
    load_s = time.perf_counter() - start
    tok.no_padding()
    tok.no_truncation()
    if args.max_length:
        tok.enable_truncation(max_length=args.max_length)

    lines = Path(args.input).read_bytes().decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    texts = [line.rsplit(";", 1)[0] for line in lines]
    size = sum(len(t.encode("utf-8")) for t in texts)

    def report(mode, best, tokens):
        print(json.dumps({
            "bench": "tokenizer", "impl": f"hf-tokenizers-{tokenizers.__version__}",
            "mode": mode, "threads": 1, "lines": len(texts), "bytes": size, "tokens": tokens,
            "repeat": args.repeat, "best_s": round(best, 6),
            "lines_per_s": round(len(texts) / best), "mb_per_s": round(size / best / 1e6, 2),
            "load_s": round(load_s, 4)}))

    best, tokens = float("inf"), 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        tokens = sum(len(tok.encode(t).ids) for t in texts)
        best = min(best, time.perf_counter() - start)
    report("encode", best, tokens)

    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        encodings = tok.encode_batch(texts)
        best = min(best, time.perf_counter() - start)
    report("encode_batch", best, sum(len(e.ids) for e in encodings))


if __name__ == "__main__":
    main()
