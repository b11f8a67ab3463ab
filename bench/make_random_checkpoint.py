#!/usr/bin/env python3
"""Writes a randomly initialised DistilBERT-base classifier for speed benchmarks.

The tutorial's model is distilbert-base-uncased, whose weights are not on this machine (the hub
is unreachable); speed does not depend on the weight values, so benchmarks use the real
architecture (../shared/models/distilbert-base-uncased/config.json, 6 emotion labels) with
transformers' own random initialisation (seeded), saved with its tokenizer files as a Hugging
Face directory that both finetune and the PyTorch peer load.

Usage: python bench/make_random_checkpoint.py [--out .cache/bench/distilbert-base-random]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import sys

# Local files only: with no network, a hub look-up would only fail slowly.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
import transformers  # noqa: E402

LABELS = ["sadness", "joy", "love", "anger", "fear", "surprise"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    repo = pathlib.Path(__file__).resolve().parent.parent
    parser.add_argument("--out", default=str(repo / ".cache/bench/distilbert-base-random"))
    parser.add_argument("--source", default=str(repo.parent / "shared/models/distilbert-base-uncased"))
    parser.add_argument("--seed", type=int, default=0, help="seed of the random initialisation")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    if (out / "model.safetensors").exists():
        print(f"make_random_checkpoint: {out} already present")
        return
    if not (pathlib.Path(args.source) / "config.json").is_file():
        sys.exit(f"make_random_checkpoint: no config.json in {args.source} (--source)")
    torch.manual_seed(args.seed)
    transformers.utils.logging.disable_progress_bar()
    config = transformers.AutoConfig.from_pretrained(
        args.source, id2label=dict(enumerate(LABELS)), label2id={n: i for i, n in enumerate(LABELS)})
    model = transformers.AutoModelForSequenceClassification.from_config(config)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    for name in ("tokenizer.json", "vocab.txt", "tokenizer_config.json"):
        source = pathlib.Path(args.source) / name
        if source.exists():
            shutil.copyfile(source, out / name)  # contents only: ../shared is read-only
    print(f"make_random_checkpoint: wrote {out}")


if __name__ == "__main__":
    main()
