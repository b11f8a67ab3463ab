#!/usr/bin/env python3
"""Re-derives every committed reference file from its fixture directory and reports the drift.

tools/make_reference.py writes tests/fixtures/<checkpoint>/ and tests/fixtures/reference/*.
This script trusts nothing it wrote except the texts recorded in each reference .json: it
reloads the checkpoint with the `transformers` Auto classes, re-tokenizes with AutoTokenizer,
reruns the model, and prints the max abs difference of every stored tensor. It also checks
that the plain vocab.txt (read by a vocab.txt-only WordPiece tokenizer) gives the same ids as
tokenizer.json, since the C++ tokenizer may load either.

Run it after regenerating, or after upgrading torch/transformers, to see whether the committed
numbers still hold. Exit status 1 if any tensor differs by more than the tolerance below.

Usage:  python tools/check_fixtures.py [--fixtures tests/fixtures] [--minilm DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import safetensors.torch
import tokenizers
import torch
import transformers

REPO = Path(__file__).resolve().parent.parent

# Integer tensors must match exactly. Float tensors are allowed fp32 rounding noise relative
# to their largest magnitude: another machine or library build may sum in another order.
RELATIVE_TOLERANCE = 1e-5


def auto_class(model_class: str):
    if model_class.endswith("ForSequenceClassification"):
        return transformers.AutoModelForSequenceClassification
    if model_class.endswith("ForMaskedLM"):
        return transformers.AutoModelForMaskedLM
    return transformers.AutoModel


def encode(directory: Path, texts: list[str], max_length: int | None) -> dict[str, torch.Tensor]:
    tok = transformers.AutoTokenizer.from_pretrained(str(directory))
    kwargs = {"truncation": True, "max_length": max_length} if max_length else {}
    enc = tok(texts, padding=True, return_tensors="pt", **kwargs)
    out = {k: enc[k] for k in ("input_ids", "attention_mask")}
    out["token_type_ids"] = enc.get("token_type_ids", torch.zeros_like(enc["input_ids"]))
    return out


def vocab_txt_ids(directory: Path, texts: list[str], max_length: int | None) -> list[list[int]]:
    """Ids from vocab.txt alone (tokenizers' BertWordPieceTokenizer: lowercase, same template)."""
    tok = tokenizers.BertWordPieceTokenizer(str(directory / "vocab.txt"), lowercase=True)
    if max_length:
        tok.enable_truncation(max_length)
    return [e.ids for e in tok.encode_batch(texts)]


@torch.inference_mode()
def rerun(model, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    args = {k: inputs[k] for k in ("input_ids", "attention_mask")}
    if model.config.model_type == "bert":
        args["token_type_ids"] = inputs["token_type_ids"]
    out = model(**args, output_hidden_states=True)
    result = {"last_hidden_state": out.hidden_states[-1]}
    for i, h in enumerate(out.hidden_states[:-1]):
        result[f"hidden_states.{i}"] = h
    if hasattr(out, "logits") and out.logits.shape[-1] == model.config.num_labels:
        result["logits"] = out.logits
    if getattr(out, "pooler_output", None) is not None:
        result["pooler_output"] = out.pooler_output
    elif getattr(getattr(model, "bert", None), "pooler", None) is not None:
        result["pooler_output"] = model.bert(**args).pooler_output
    return result


def check(json_path: Path, minilm: Path) -> bool:
    info = json.loads(json_path.read_text(encoding="utf-8"))
    name = json_path.stem
    directory = REPO / info["model_dir"]
    if name == "minilm" and not (directory / "model.safetensors").exists():
        directory = minilm
    if not (directory / "model.safetensors").exists():
        print(f"{name:22s} SKIP ({directory} absent; scripts/fetch-model.sh fetches MiniLM)")
        return True
    stored = safetensors.torch.load_file(str(json_path.with_suffix(".safetensors")))
    texts, max_length = info["texts"], info["max_length"]

    inputs = encode(directory, texts, max_length)
    model = auto_class(info["model_class"]).from_pretrained(
        str(directory), attn_implementation=info["attn_implementation"], dtype=torch.float32)
    model.eval()
    fresh = dict(inputs)
    fresh.update(rerun(model, inputs))
    if "logits_unpadded" in stored:
        fresh["logits_unpadded"] = torch.cat(
            [rerun(model, encode(directory, [t], max_length))["logits"] for t in texts])

    ok = True
    report = []
    for key, want in stored.items():
        if key not in fresh:
            report.append(f"{key}=MISSING")
            ok = False
            continue
        got = fresh[key]
        if got.shape != want.shape:
            report.append(f"{key}=SHAPE {list(got.shape)} vs {list(want.shape)}")
            ok = False
            continue
        diff = float((got.double() - want.double()).abs().max())
        scale = max(1.0, float(want.double().abs().max()))
        bad = diff > 0 if not want.is_floating_point() else diff > RELATIVE_TOLERANCE * scale
        ok &= not bad
        if want.is_floating_point() or bad:
            report.append(f"{key}={diff:.2g}" + (" FAIL" if bad else ""))

    # vocab.txt and tokenizer.json must agree (compare the unpadded ids of each text).
    mask = stored["attention_mask"].bool()
    want_ids = [row[m].tolist() for row, m in zip(stored["input_ids"], mask)]
    if (directory / "vocab.txt").exists():
        same = vocab_txt_ids(directory, texts, max_length) == want_ids
        report.append("vocab.txt ids " + ("same" if same else "DIFFER"))
        ok &= same
    print(f"{name:22s} {'OK  ' if ok else 'FAIL'} max abs diff: {', '.join(report)}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fixtures", type=Path, default=REPO / "tests/fixtures")
    parser.add_argument("--minilm", type=Path, default=REPO / "models/all-MiniLM-L6-v2")
    args = parser.parse_args()
    torch.set_num_threads(1)  # as make_reference.py, so a rerun on the same machine is exact
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()

    ok = True
    for json_path in sorted((args.fixtures / "reference").glob("*.json")):
        info = json.loads(json_path.read_text(encoding="utf-8"))
        if info.get("producer") != "tools/make_reference.py":
            continue  # another tool's fixture
        ok &= check(json_path, args.minilm.resolve())
    print("check_fixtures: " + ("all reproduced" if ok else "MISMATCH (see FAIL above)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
