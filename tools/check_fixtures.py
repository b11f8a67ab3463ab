#!/usr/bin/env python3
"""Re-derives every committed reference file from its fixture directory and reports the drift.

tools/make_reference.py, tools/make_family_fixtures.py (RoBERTa, XLM-RoBERTa, CamemBERT,
ELECTRA) and tools/make_family_fixtures_ii.py (ModernBERT) write tests/fixtures/<checkpoint>/ and tests/fixtures/reference/<checkpoint>.*.
This script trusts nothing they wrote except the texts (and pairs) in each reference .json: it
reloads the checkpoint with the `transformers` Auto classes, re-tokenizes with AutoTokenizer,
reruns the model, and prints the max abs difference of every stored tensor. It also checks
that the plain vocab.txt (read by a vocab.txt-only WordPiece tokenizer) gives the same ids as
tokenizer.json, since the C++ tokenizer may load either. For the family fixtures it also
re-derives the pair batch and outputs (pair_*), the RoBERTa position ids with transformers' own
create_position_ids_from_input_ids, what loading a base or pretraining checkpoint for
classification reports (loading_as_classifier), and that the tokenizer files are still the
bytes of the tokenizer fixture they were copied from.

Run it after regenerating, or after upgrading torch/transformers, to see whether the committed
numbers still hold. Exit status 1 if any tensor differs by more than the tolerance below.

Usage:  python tools/check_fixtures.py [--fixtures tests/fixtures] [--minilm DIR]
"""

from __future__ import annotations

import argparse
import json
import math
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

PRODUCERS = {"tools/make_reference.py", "tools/make_family_fixtures.py",
             "tools/make_family_fixtures_ii.py"}


def auto_class(model_class: str):
    if model_class.endswith("ForSequenceClassification"):
        return transformers.AutoModelForSequenceClassification
    if model_class.endswith("ForMaskedLM"):
        return transformers.AutoModelForMaskedLM
    return transformers.AutoModel


def encode(directory: Path, texts: list[str], max_length: int | None,
           pairs: list[str] | None = None) -> dict[str, torch.Tensor]:
    tok = transformers.AutoTokenizer.from_pretrained(str(directory))
    kwargs = {"truncation": True, "max_length": max_length} if max_length else {}
    args = (texts,) if pairs is None else (texts, pairs)
    enc = tok(*args, padding=True, return_tensors="pt", **kwargs)
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
    if model.config.model_type != "distilbert":
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


@torch.no_grad()
def independent_logits(directory: Path, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """Logits of a RoBERTa-like or ELECTRA classifier computed in float64 from the checkpoint's
    tensors alone, as tools/make_family_fixtures.py's docstring describes the arithmetic (no
    transformers module is used): a check of those facts, for the C++ implementers."""
    config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    w = {k: v.double() for k, v in safetensors.torch.load_file(
        str(directory / "model.safetensors")).items()}
    family = config["model_type"]
    base = "electra." if family == "electra" else "roberta."  # XLM-R/CamemBERT too
    eps = config["layer_norm_eps"]
    act = {"gelu": lambda x: torch.nn.functional.gelu(x),
           "gelu_new": lambda x: torch.nn.functional.gelu(x, approximate="tanh")}
    ids, mask, types = inputs["input_ids"], inputs["attention_mask"], inputs["token_type_ids"]

    def linear(x, name):
        return x @ w[name + ".weight"].T + w[name + ".bias"]

    def norm(x, name):
        return torch.nn.functional.layer_norm(x, x.shape[-1:], w[name + ".weight"],
                                              w[name + ".bias"], eps)

    if family == "electra":  # absolute positions
        positions = torch.arange(ids.shape[1]).expand_as(ids)
    else:  # cumsum of (ids != pad), times it, plus pad
        pad = config["pad_token_id"]
        real = (ids != pad).long()
        positions = torch.cumsum(real, dim=1) * real + pad
    e = base + "embeddings."
    x = (w[e + "word_embeddings.weight"][ids] + w[e + "token_type_embeddings.weight"][types]
         + w[e + "position_embeddings.weight"][positions])
    x = norm(x, e + "LayerNorm")
    if base + "embeddings_project.weight" in w:
        x = linear(x, base + "embeddings_project")
    heads = config["num_attention_heads"]
    B, T, H = x.shape
    for i in range(config["num_hidden_layers"]):
        p = f"{base}encoder.layer.{i}."
        q, k, v = (linear(x, p + f"attention.self.{n}").view(B, T, heads, -1).transpose(1, 2)
                   for n in ("query", "key", "value"))
        scores = q @ k.transpose(-1, -2) / math.sqrt(H // heads)
        scores = scores.masked_fill(mask[:, None, None, :] == 0, -math.inf)
        ctx = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, H)
        x = norm(linear(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        h = act[config["hidden_act"]](linear(x, p + "intermediate.dense"))
        x = norm(linear(h, p + "output.dense") + x, p + "output.LayerNorm")
    first = linear(x[:, 0], "classifier.dense")  # <s> / [CLS]
    first = torch.nn.functional.gelu(first) if family == "electra" else torch.tanh(first)
    return linear(first, "classifier.out_proj")


@torch.no_grad()
def independent_modernbert_logits(directory: Path, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """Logits of a ModernBERT classifier in float64 from the checkpoint's tensors alone, as
    tools/make_family_fixtures_ii.py's docstring describes the arithmetic (no transformers module
    is used). Reads the legacy config keys too."""
    config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    w = {k: v.double() for k, v in safetensors.torch.load_file(
        str(directory / "model.safetensors")).items()}
    eps = config.get("norm_eps", 1e-5)
    act = {"gelu": lambda x: torch.nn.functional.gelu(x),
           "gelu_new": lambda x: torch.nn.functional.gelu(x, approximate="tanh")}
    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    L, heads = config["num_hidden_layers"], config["num_attention_heads"]
    if "layer_types" in config:
        global_layer = [t == "full_attention" for t in config["layer_types"]]
    else:
        global_layer = [i % config["global_attn_every_n_layers"] == 0 for i in range(L)]
    if "rope_parameters" in config:
        theta = {True: config["rope_parameters"]["full_attention"]["rope_theta"],
                 False: config["rope_parameters"]["sliding_attention"]["rope_theta"]}
    else:
        theta = {True: config["global_rope_theta"], False: config["local_rope_theta"]}
    window = config["local_attention"] // 2

    def linear(x, name):
        bias = w.get(name + ".bias")
        return x @ w[name + ".weight"].T + (bias if bias is not None else 0)

    def norm(x, name):
        return torch.nn.functional.layer_norm(x, x.shape[-1:], w[name + ".weight"],
                                              w.get(name + ".bias"), eps)

    B, T = ids.shape
    x = norm(w["model.embeddings.tok_embeddings.weight"][ids], "model.embeddings.norm")
    C = x.shape[-1]
    HS = C // heads
    t = torch.arange(T, dtype=torch.float32)
    distance = (t[:, None] - t[None, :]).abs()
    for i in range(L):
        p = f"model.layers.{i}."
        h = norm(x, p + "attn_norm") if p + "attn_norm.weight" in w else x
        q, k, v = (part.view(B, T, heads, HS).transpose(1, 2)
                   for part in linear(h, p + "attn.Wqkv").split(C, dim=-1))
        # RoPE: float32 angles t * theta^(-2j/HS) (as transformers computes them), rotate_half.
        inv = 1.0 / (theta[global_layer[i]] ** (torch.arange(0, HS, 2, dtype=torch.float) / HS))
        angle = torch.cat([t[:, None] * inv] * 2, dim=-1)
        cos, sin = angle.cos().double(), angle.sin().double()

        def rotate(y):
            return y * cos + torch.cat([-y[..., HS // 2:], y[..., : HS // 2]], dim=-1) * sin

        q, k = rotate(q), rotate(k)
        allowed = (mask[:, None, None, :] != 0)
        if not global_layer[i]:
            allowed = allowed & (distance <= window)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(HS)
        scores = scores.masked_fill(~allowed, -math.inf)
        probs = scores.softmax(-1)
        # A row with no allowed key (padding far from every real token) is uniform.
        none = ~allowed.any(-1, keepdim=True)
        probs = torch.where(none, torch.full_like(probs, 1.0 / T), probs)
        ctx = (probs @ v).transpose(1, 2).reshape(B, T, C)
        x = x + linear(ctx, p + "attn.Wo")
        up, gate = linear(norm(x, p + "mlp_norm"), p + "mlp.Wi").chunk(2, dim=-1)
        x = x + linear(act[config.get("hidden_activation", "gelu")](up) * gate, p + "mlp.Wo")
    x = norm(x, "model.final_norm")
    if config.get("classifier_pooling", "cls") == "mean":
        m = mask[..., None].double()
        pooled = (x * m).sum(1) / m.sum(1)
    else:
        pooled = x[:, 0]
    pooled = norm(act[config.get("classifier_activation", "gelu")](linear(pooled, "head.dense")),
                  "head.norm")
    return linear(pooled, "classifier")


def check(json_path: Path, minilm: Path) -> bool:
    info = json.loads(json_path.read_text(encoding="utf-8"))
    name = json_path.stem
    directory = REPO / info["model_dir"]
    if name == "minilm" and not (directory / "model.safetensors").exists():
        directory = minilm
    if not (directory / "model.safetensors").exists():
        print(f"{name:26s} SKIP ({directory} absent; scripts/fetch-model.sh fetches MiniLM)")
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
    if "pairs" in info:
        pair = encode(directory, [a for a, _ in info["pairs"]], max_length,
                      [b for _, b in info["pairs"]])
        out = rerun(model, pair)
        fresh.update({f"pair_{k}": v for k, v in pair.items()})
        fresh["pair_logits"] = out["logits"]
        fresh["pair_last_hidden_state"] = out["last_hidden_state"]
    embeddings = model.base_model.embeddings
    if hasattr(embeddings, "create_position_ids_from_input_ids"):  # RoBERTa-like
        for prefix in ("", "pair_"):
            if f"{prefix}input_ids" in fresh:
                fresh[f"{prefix}position_ids"] = embeddings.create_position_ids_from_input_ids(
                    fresh[f"{prefix}input_ids"], embeddings.padding_idx)

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
    if info.get("producer") in ("tools/make_family_fixtures.py",
                                "tools/make_family_fixtures_ii.py") and "logits" in stored:
        worst = 0.0
        for prefix in ("", "pair_"):
            if f"{prefix}logits" in stored:
                want = stored[f"{prefix}logits"].double()
                independent = (independent_modernbert_logits
                               if info["config"]["model_type"] == "modernbert"
                               else independent_logits)
                got = independent(directory, {k: fresh[prefix + k] for k in (
                    "input_ids", "attention_mask", "token_type_ids")})
                worst = max(worst, float((got - want).abs().max()) / max(1.0, float(
                    want.abs().max())))
        bad = worst > RELATIVE_TOLERANCE
        report.append(f"independent float64 logits {worst:.2g}" + (" FAIL" if bad else ""))
        ok &= not bad
    if "loading_as_classifier" in info:
        # The fresh head's keys do not depend on num_labels, so the default will do.
        _, loading = transformers.AutoModelForSequenceClassification.from_pretrained(
            str(directory), output_loading_info=True)
        same = all(sorted(loading[k]) == v for k, v in info["loading_as_classifier"].items())
        report.append("loading as classifier " + ("same" if same else "DIFFERS"))
        ok &= same
    if "tokenizer" in info and "copied_from" in info["tokenizer"]:
        source = REPO / info["tokenizer"]["copied_from"]
        same = all((source / f).read_bytes() == (directory / f).read_bytes()
                   for f in info["tokenizer"]["files"])
        report.append("tokenizer files " + ("same" if same else "DIFFER"))
        ok &= same
    print(f"{name:26s} {'OK  ' if ok else 'FAIL'} max abs diff: {', '.join(report)}")
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
        if info.get("producer") not in PRODUCERS:
            continue  # another tool's fixture
        ok &= check(json_path, args.minilm.resolve())
    print("check_fixtures: " + ("all reproduced" if ok else "MISMATCH (see FAIL above)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
