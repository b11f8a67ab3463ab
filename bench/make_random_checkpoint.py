#!/usr/bin/env python3
"""Writes a randomly initialised DistilBERT-, RoBERTa- or ModernBERT-base classifier for speed
benchmarks.

The tutorial's model is distilbert-base-uncased, whose weights are not on this machine (the hub
is unreachable); speed does not depend on the weight values, so benchmarks use the real
architecture with transformers' own random initialisation (seeded), 6 emotion labels, saved with
tokenizer files as a Hugging Face directory that both finetune and the PyTorch peer load:

  --family distilbert (default)  ../shared/models/distilbert-base-uncased/config.json and its
                                 WordPiece tokenizer;
  --family roberta               roberta-base's shape (hidden 768, 12 layers, 12 heads, FF 3072,
                                 vocab_size 50265, 514 positions, one token type, eps 1e-5,
                                 pad 1; the fields of its hub config.json), with the byte-level
                                 BPE tokenizer fixture tests/fixtures/tokenizers/roberta-bpe.
                                 That tokenizer has 4000 tokens, so tweets come out longer than
                                 with roberta-base's own 50265 (more tokens per step: the
                                 benchmark is, if anything, harder than the real job); the
                                 embedding table still has roberta-base's 50265 rows, so the
                                 optimizer's cost is roberta-base's.
  --family modernbert            answerdotai/ModernBERT-base's shape (hidden 768, 22 layers, 12
                                 heads, FF 1152 GeGLU, vocab_size 50368, local_attention 128 with
                                 a global layer every 3, RoPE 160000 / 10000, no biases, mean
                                 pooling; its hub config.json's fields) with the same BPE
                                 tokenizer fixture and its pad id 1 (ModernBERT's own is 50283;
                                 padding is masked either way, so the speed is the same).

Usage: python bench/make_random_checkpoint.py [--family distilbert|roberta|modernbert] [--out DIR]
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
REPO = pathlib.Path(__file__).resolve().parent.parent

# roberta-base's config.json fields (the rest are RobertaConfig's defaults).
ROBERTA_BASE = dict(vocab_size=50265, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                    intermediate_size=3072, max_position_embeddings=514, type_vocab_size=1,
                    layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2)


# answerdotai/ModernBERT-base's config.json fields (the rest are ModernBertConfig's defaults).
MODERNBERT_BASE = dict(vocab_size=50368, hidden_size=768, num_hidden_layers=22,
                       num_attention_heads=12, intermediate_size=1152, max_position_embeddings=8192,
                       local_attention=128, global_attn_every_n_layers=3, global_rope_theta=160000.0,
                       local_rope_theta=10000.0, norm_eps=1e-5, classifier_pooling="mean",
                       pad_token_id=1, bos_token_id=0, eos_token_id=2, cls_token_id=0,
                       sep_token_id=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--family", choices=["distilbert", "roberta", "modernbert"], default="distilbert")
    parser.add_argument("--out", default=None,
                        help="default: .cache/bench/<family>-base-random")
    parser.add_argument("--source", default=None,
                        help="config.json and tokenizer files to start from (default: per --family)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random initialisation")
    args = parser.parse_args()
    out = pathlib.Path(args.out or REPO / f".cache/bench/{args.family}-base-random")
    if (out / "model.safetensors").exists():
        print(f"make_random_checkpoint: {out} already present")
        return
    labels = dict(id2label=dict(enumerate(LABELS)), label2id={n: i for i, n in enumerate(LABELS)})
    if args.family == "distilbert":
        source = pathlib.Path(args.source or REPO.parent / "shared/models/distilbert-base-uncased")
        if not (source / "config.json").is_file():
            sys.exit(f"make_random_checkpoint: no config.json in {source} (--source)")
        config = transformers.AutoConfig.from_pretrained(source, **labels)
        tokenizer_files = ("tokenizer.json", "vocab.txt", "tokenizer_config.json")
    else:
        source = pathlib.Path(args.source or REPO / "tests/fixtures/tokenizers/roberta-bpe")
        config = (transformers.RobertaConfig(**ROBERTA_BASE, **labels) if args.family == "roberta"
                  else transformers.ModernBertConfig(**MODERNBERT_BASE, **labels))
        tokenizer_files = ("tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json")
    torch.manual_seed(args.seed)
    transformers.utils.logging.disable_progress_bar()
    model = transformers.AutoModelForSequenceClassification.from_config(config)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    for name in tokenizer_files:
        if (source / name).exists():
            shutil.copyfile(source / name, out / name)  # contents only: ../shared is read-only
    print(f"make_random_checkpoint: wrote {out}")


if __name__ == "__main__":
    main()
