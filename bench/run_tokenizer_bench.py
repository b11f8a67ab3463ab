#!/usr/bin/env python3
"""Tokenizer throughput for every tokenizer type, finetune beside HF `tokenizers`, one thread.

For each tokenizer directory below, runs build/bench/bench_tokenizer and bench/tokenizer_hf.py
(HF `tokenizers`, RAYON_NUM_THREADS=1) on the emotion train split (16,000 lines), best of N
passes each, one after the other on the same machine, and prints the Markdown table of
bench/RESULTS.md. The directories are the WordPiece tokenizer of bert-base-uncased (../shared)
and the trained fixtures of tools/make_tokenizer_fixtures.py, one per pipeline kind:
  roberta-bpe       ByteLevel (GPT-2 regex) + BPE + RobertaProcessing
  modernbert-bpe    NFC + Split(GPT-2 regex) + ByteLevel + BPE + TemplateProcessing
  xlmr-unigram      Precompiled + WhitespaceSplit + Metaspace + Unigram
  albert-unigram    Replace, NFKD, StripAccents, Lowercase, Precompiled + Metaspace + Unigram
  deberta-v3-spm    from spm.model: Replace, NFC, Strip + Metaspace + Unigram
  camembert-spm     from sentencepiece.bpe.model: Precompiled + WhitespaceSplit + Metaspace + Unigram
Both sides produce the same ids on every line (tests/tokenizer/fixture_golden_test.cpp).

  ~/venv/bin/python bench/run_tokenizer_bench.py [--repeat 10] [--build build]
"""

from __future__ import annotations

import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from run_cpu_bench import REPO, SHARED, machine, run_json  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "tokenizers"
TOKENIZERS = [
    ("WordPiece (bert-base-uncased)", SHARED / "models" / "bert-base-uncased"),
    ("byte-level BPE (roberta-bpe)", FIXTURES / "roberta-bpe"),
    ("byte-level BPE, Split + NFC (modernbert-bpe)", FIXTURES / "modernbert-bpe"),
    ("Unigram, Precompiled (xlmr-unigram)", FIXTURES / "xlmr-unigram"),
    ("Unigram, NFKD + Precompiled (albert-unigram)", FIXTURES / "albert-unigram"),
    ("Unigram from spm.model (deberta-v3-spm)", FIXTURES / "deberta-v3-spm"),
    ("Unigram from sentencepiece.bpe.model (camembert-spm)", FIXTURES / "camembert-spm"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--build", default=str(REPO / "build"))
    args = parser.parse_args()
    train = SHARED / "data" / "emotion" / "train.txt"
    bench = pathlib.Path(args.build) / "bench" / "bench_tokenizer"
    print(f"Machine: {machine()}\n")
    print("| tokenizer | finetune lines/s | HF encode lines/s | HF encode_batch lines/s | vs HF encode |")
    print("|---|---|---|---|---|")
    for name, directory in TOKENIZERS:
        ours = run_json([str(bench), "--model", str(directory), "--input", str(train), "--repeat", str(args.repeat)])
        peers = run_json([sys.executable, "bench/tokenizer_hf.py", "--model", str(directory), "--input", str(train),
                          "--repeat", str(args.repeat)])
        mine = ours[0]["lines_per_s"]
        hf = {p["mode"]: p["lines_per_s"] for p in peers}
        if ours[0]["tokens"] != peers[0]["tokens"]:
            sys.exit(f"{name}: token counts differ (finetune {ours[0]['tokens']}, HF {peers[0]['tokens']})")
        print(f"| {name} | {mine:,} | {hf['encode']:,} | {hf['encode_batch']:,} | {mine / hf['encode']:.1f}x |",
              flush=True)


if __name__ == "__main__":
    main()
