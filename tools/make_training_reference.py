#!/usr/bin/env python3
"""Writes the committed training references that `finetune train`'s tests compare against.

DESIGN.md principle 6 asks that training be checked against PyTorch + `transformers`: the loss
and every parameter gradient of one step, and an N-step optimizer trajectory. This script runs
that training in PyTorch with exactly the semantics `finetune train` promises (listed below)
and writes small files into tests/fixtures/reference/ (about 0.55 MB in all):

  train_step0_tiny-distilbert.safetensors   one batch of 8 emotion texts through the tiny
  train_step0_tiny-bert.safetensors         classifiers in train mode (dropout 0): inputs,
  train_step0_<model>.json                  labels, logits, loss and grad.<HF key> for EVERY
                                            parameter (the gradient of the mean loss)
  train_traj_A.json  train_traj_A_final.safetensors
  train_traj_B.json  train_traj_B_final.safetensors
                                            16 optimizer steps each: the `finetune train`
                                            arguments, one record per step as the --log line
                                            is written (+ grad norm), all final parameters

Run A: tiny-distilbert, AdamW with decoupled weight decay (two parameter groups), linear
schedule with 3 warm-up steps, gradient clipping at 1.0, batch 4, 2 epochs.
Run B: tiny-bert, Adam without weight decay, constant schedule, batch 4 with 2 accumulated
micro-batches per optimizer step, 4 epochs.

The semantics reproduced (and why each choice, when PyTorch offers several):
  * data: `text;label` lines split on the LAST ';'; --limit N keeps the first N lines; label
    names map through the checkpoint's config.json label2id.
  * tokenization: the checkpoint's own AutoTokenizer, truncation to --max-length, no padding;
    each batch is then padded on the right to its own longest row (dynamic padding, [PAD] id
    from the tokenizer), attention_mask 1/0, token_type_ids 0 for BERT (DistilBERT takes none).
  * --no-shuffle: consecutive examples in file order; the last partial batch is kept.
  * model: AutoModelForSequenceClassification, eager attention, fp32, train() mode with every
    dropout probability set to 0 through from_pretrained's config overrides.
  * loss: cross-entropy; an optimizer step's gradient is that of (sum of per-example losses of
    ALL its examples) / (their number). With accumulation each micro-batch backpropagates
    sum(CE)/N_step, so the accumulated gradient equals one big batch's (up to fp32 summation
    order). The logged loss is that mean. The accumulation groups never cross an epoch end;
    the last group of an epoch may be shorter.
  * optimizer: torch.optim.AdamW / Adam, betas (0.9, 0.999), eps 1e-8, foreach=False (the
    single-tensor path, whose arithmetic is easy to mirror), two parameter groups as the HF
    Trainer makes them: weight decay for everything except biases and LayerNorm weights.
  * schedule: transformers.get_linear_schedule_with_warmup / get_constant_schedule(_with_
    warmup), stepped once after every optimizer step (LambdaLR): step k (0-based) uses
    base_lr * factor(k), so with warm-up the FIRST step has lr 0 (its moments still update).
  * clipping: torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm, foreach=False).

Determinism: one thread, torch.use_deterministic_algorithms(True), no random draw at all (no
shuffling, dropout 0, the checkpoints already hold a classifier head). A rerun with the same
versions rewrites byte-identical files; --check reruns everything in memory and compares
against the files on disk instead of writing.

Usage:  python tools/make_training_reference.py [--out tests/fixtures] [--shared ../shared]
                                                [--check]
"""

from __future__ import annotations

import argparse
import json
import re
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy
import safetensors
import safetensors.torch
import tokenizers
import torch
import transformers
from torch import nn
from torch.nn import functional as F

REPO = Path(__file__).resolve().parent.parent

# Everything here is deterministic without a seed (see the docstring); the seed is still set
# so that an accidental random draw (a newly initialised head, say) is at least reproducible.
TORCH_SEED = 0

STEP0_EXAMPLES = 8
MAX_LENGTH = 32
BETAS = (0.9, 0.999)
EPS = 1e-8

# Dropout knobs of each config class; `--dropout 0` sets every one of them.
DROPOUT_FIELDS = {
    "bert": ["hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout"],
    "distilbert": ["dropout", "attention_dropout", "seq_classif_dropout"],
    # tools/make_family_fixtures.py's families: the same three knobs as BERT.
    "roberta": ["hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout"],
    "xlm-roberta": ["hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout"],
    "camembert": ["hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout"],
    "electra": ["hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout"],
    # tools/make_family_fixtures_ii.py's.
    "modernbert": ["embedding_dropout", "attention_dropout", "mlp_dropout", "classifier_dropout"],
}


@dataclass
class Run:
    """One training run: the `finetune train` flags and what they mean here."""
    name: str
    model: str                      # fixture directory name under --out
    limit: int
    batch_size: int
    epochs: int
    optimizer: str                  # "adamw" | "adam"
    lr: float
    schedule: str                   # "linear" | "constant"
    warmup_steps: int = 0
    weight_decay: float = 0.0
    max_grad_norm: float = 0.0      # 0: no clipping
    accumulation: int = 1
    extra_flags: list[str] = field(default_factory=list)

    def flags(self, train_file: str) -> list[str]:
        """The exact `finetune train` arguments (paths relative to the repository root)."""
        args = ["--model", f"tests/fixtures/{self.model}", "--train", train_file,
                "--limit", str(self.limit), "--batch-size", str(self.batch_size)]
        if self.accumulation != 1:
            args += ["--gradient-accumulation-steps", str(self.accumulation)]
        args += ["--epochs", str(self.epochs), "--no-shuffle", "--optimizer", self.optimizer,
                 "--lr", format_float(self.lr)]
        if self.weight_decay:
            args += ["--weight-decay", format_float(self.weight_decay)]
        args += ["--schedule", self.schedule]
        if self.warmup_steps:
            args += ["--warmup-steps", str(self.warmup_steps)]
        if self.max_grad_norm:
            args += ["--max-grad-norm", format_float(self.max_grad_norm)]
        args += ["--dropout", "0", "--max-length", str(MAX_LENGTH)] + self.extra_flags
        return args


RUNS = [
    Run(name="A", model="tiny-distilbert", limit=32, batch_size=4, epochs=2, optimizer="adamw",
        lr=1e-3, weight_decay=0.01, schedule="linear", warmup_steps=3, max_grad_norm=1.0),
    Run(name="B", model="tiny-bert", limit=32, batch_size=4, accumulation=2, epochs=4,
        optimizer="adam", lr=5e-4, schedule="constant"),
]


# ----------------------------------------------------------------------------------------------
# Environment and small helpers


def format_float(x: float) -> str:
    """1e-3 -> "1e-3", 0.01 -> "0.01", 1.0 -> "1.0": how a person types the flag."""
    text = repr(x)
    return text.replace("e-0", "e-") if "e" in text else text


def versions() -> dict:
    """Versions of everything that can change the numbers; stored in every .json."""
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "safetensors": safetensors.__version__,
        "numpy": numpy.__version__,
    }


def make_deterministic() -> None:
    # One thread: a multi-threaded GEMM may split reductions differently on another machine.
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(TORCH_SEED)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def rel(path: Path) -> str:
    path = path.resolve()
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def json_text(obj: dict) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def safetensors_bytes(tensors: dict[str, torch.Tensor]) -> bytes:
    # One metadata entry only: safetensors writes metadata in hash-map order, so a second
    # entry could make reruns differ byte-wise. The .json beside names the producer.
    return safetensors.torch.save(
        {k: v.detach().clone().contiguous() for k, v in tensors.items()}, metadata={"format": "pt"})


class Writer:
    """Writes files, or (with --check) compares them with what is on disk."""

    def __init__(self, check: bool):
        self.check = check
        self.mismatches: list[str] = []
        self.written: list[Path] = []

    def put(self, path: Path, data: bytes) -> None:
        self.written.append(path)
        if self.check:
            if not path.exists() or path.read_bytes() != data:
                self.mismatches.append(rel(path))
        else:
            path.write_bytes(data)


# ----------------------------------------------------------------------------------------------
# Data: examples, tokenization, dynamic padding


def read_examples(path: Path, limit: int | None) -> list[tuple[str, str]]:
    """(text, label name) for the first `limit` lines; split on the last ';' as finetune does."""
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last line
    rows = []
    for number, line in enumerate(lines[:limit] if limit else lines, start=1):
        text, sep, label = line.rpartition(";")
        if not sep:
            raise SystemExit(f"{path}:{number}: no ';' separating text and label")
        rows.append((text, label))
    return rows


class Encoded:
    """The tokenized examples of one run, and dynamic padding of any subset of them."""

    def __init__(self, directory: Path, rows: list[tuple[str, str]], label2id: dict[str, int]):
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(directory))
        self.pad_id = tokenizer.pad_token_id
        # Tokenize up front, unpadded: each example keeps its own length.
        enc = tokenizer([t for t, _ in rows], truncation=True, max_length=MAX_LENGTH)
        self.ids = enc["input_ids"]
        self.labels = [label2id[name] for _, name in rows]

    def batch(self, indices: list[int]) -> dict[str, torch.Tensor]:
        """Examples `indices` padded on the right to their longest row."""
        width = max(len(self.ids[i]) for i in indices)
        ids = torch.full((len(indices), width), self.pad_id, dtype=torch.int64)
        mask = torch.zeros((len(indices), width), dtype=torch.int64)
        for row, i in enumerate(indices):
            ids[row, : len(self.ids[i])] = torch.tensor(self.ids[i])
            mask[row, : len(self.ids[i])] = 1
        return {"input_ids": ids, "attention_mask": mask,
                "token_type_ids": torch.zeros_like(ids),
                "labels": torch.tensor([self.labels[i] for i in indices], dtype=torch.int64)}


def model_inputs(model: nn.Module, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """DistilBERT's forward takes no token_type_ids; every other family gets the batch's
    (explicit zeros for single texts, the same as passing none)."""
    names = ["input_ids", "attention_mask"]
    if model.config.model_type != "distilbert":
        names.append("token_type_ids")
    return {k: batch[k] for k in names}


# ----------------------------------------------------------------------------------------------
# Model, parameter groups, optimizer, schedule


def load_model(directory: Path, dtype: torch.dtype = torch.float32,
               attn: str = "eager") -> nn.Module:
    """The fixture classifier in train mode, fp32, eager attention, every dropout 0.

    (dtype and attn are varied only to estimate rounding sensitivity.)
    """
    config = transformers.AutoConfig.from_pretrained(str(directory))
    overrides = {name: 0.0 for name in DROPOUT_FIELDS[config.model_type]}
    model, info = transformers.AutoModelForSequenceClassification.from_pretrained(
        str(directory), attn_implementation=attn, dtype=dtype,
        output_loading_info=True, **overrides)
    problems = {k: v for k, v in info.items() if v}
    if problems:  # a freshly initialised head would make the reference depend on a seed
        raise SystemExit(f"{directory}: loading reported {problems}")
    for name in overrides:
        assert getattr(model.config, name) == 0.0, name
    # Every nn.Dropout module must see p == 0 (DistilBERT's attention dropout is one).
    assert all(m.p == 0.0 for m in model.modules() if isinstance(m, nn.Dropout))
    return model.train()


def shared_parameters(model: nn.Module) -> list[list[str]]:
    """Groups of parameter names that share storage (tied weights); [] when nothing is tied."""
    by_storage: dict[int, list[str]] = {}
    for name, p in model.named_parameters(remove_duplicate=False):
        by_storage.setdefault(p.untyped_storage().data_ptr(), []).append(name)
    return [names for names in by_storage.values() if len(names) > 1]


NO_DECAY_PATTERNS = [re.compile(p) for p in
                     (r"bias", r"layernorm", r"rmsnorm", r"(?:^|\.)norm(?:$|\.)", r"_norm(?:$|\.)")]


def decays(name: str) -> bool:
    """The HF Trainer's rule (Trainer.get_decay_parameter_names): no weight decay for a name
    matching its patterns (lower-cased: biases, LayerNorm / norm weights) nor for nn.LayerNorm
    parameters, which every family here names so that the patterns catch them."""
    return not any(p.search(name.lower()) for p in NO_DECAY_PATTERNS)


def make_optimizer(model: nn.Module, run: Run) -> tuple[torch.optim.Optimizer, dict]:
    named = list(model.named_parameters())
    # The Trainer's own list (it reads nothing of the Trainer instance) must agree with decays().
    trainer_decayed = set(transformers.Trainer.get_decay_parameter_names(None, model))
    assert trainer_decayed == {n for n, _ in named if decays(n)}, trainer_decayed
    groups = [
        {"params": [p for n, p in named if decays(n)], "weight_decay": run.weight_decay},
        {"params": [p for n, p in named if not decays(n)], "weight_decay": 0.0},
    ]
    cls = {"adamw": torch.optim.AdamW, "adam": torch.optim.Adam}[run.optimizer]
    optimizer = cls(groups, lr=run.lr, betas=BETAS, eps=EPS, foreach=False)
    listing = {"weight_decay": [n for n, _ in named if decays(n)],
               "no_weight_decay": [n for n, _ in named if not decays(n)]}
    return optimizer, listing


def make_scheduler(optimizer: torch.optim.Optimizer, run: Run, total_steps: int):
    if run.schedule == "linear":
        return transformers.get_linear_schedule_with_warmup(optimizer, run.warmup_steps,
                                                            total_steps)
    if run.warmup_steps:
        return transformers.get_constant_schedule_with_warmup(optimizer, run.warmup_steps)
    return transformers.get_constant_schedule(optimizer)


# ----------------------------------------------------------------------------------------------
# a) Step-0 gradients


def step0(directory: Path, batch: dict[str, torch.Tensor],
          dtype: torch.dtype = torch.float32) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """One forward + backward of the mean loss from zeroed grads: (model, logits, loss)."""
    model = load_model(directory, dtype)
    model.zero_grad(set_to_none=True)
    output = model(**model_inputs(model, batch), labels=batch["labels"])
    loss = F.cross_entropy(output.logits, batch["labels"])  # mean over the batch
    # The model's own loss (CrossEntropyLoss, single_label_classification) must be the same.
    assert torch.equal(loss, output.loss), (loss.item(), output.loss.item())
    loss.backward()
    return model, output.logits.detach(), loss.detach()


def make_step0(out: Path, shared: Path, model_name: str, writer: Writer,
               extra: dict | None = None) -> dict:
    """train_step0_<model_name>.*: the first STEP0_EXAMPLES lines of train.txt as one batch."""
    directory = out / model_name
    rows = read_examples(shared / "data/emotion/train.txt", STEP0_EXAMPLES)
    label2id = transformers.AutoConfig.from_pretrained(str(directory)).label2id
    data = Encoded(directory, rows, label2id)
    batch = data.batch(list(range(STEP0_EXAMPLES)))
    text_info = {
        "text_source": "../shared/data/emotion/train.txt",
        "text_lines": list(range(1, STEP0_EXAMPLES + 1)),
        "texts": [t for t, _ in rows],
        "label_names": [n for _, n in rows],
    }
    return write_step0(out, directory, f"train_step0_{model_name}", batch, text_info, writer,
                       extra)


def write_step0(out: Path, directory: Path, ref_name: str, batch: dict[str, torch.Tensor],
                text_info: dict, writer: Writer, extra: dict | None = None) -> dict:
    """Runs step 0 on `batch` (fp32 and float64) and writes reference/<ref_name>.{safetensors,json}.

    text_info: the .json keys that say where the batch came from (placed after model_class);
    extra: keys added to (or replacing values of) the .json, for other drivers of this code.
    """
    model, logits, loss = step0(directory, batch)

    # The same step in float64: how far fp32 rounding alone moves each gradient. Measured
    # relative to each tensor's largest |gradient|, which is what an fp32 test can promise.
    model64, logits64, loss64 = step0(directory, batch, torch.float64)
    exact = dict(model64.named_parameters())
    rel_diff = {}
    for name, p in model.named_parameters():
        g64 = exact[name].grad
        rel_diff[name] = float((p.grad.double() - g64).abs().max() / g64.abs().max())
    fp64 = {
        "loss_float64": loss64.item(),
        "max_abs_logit_diff": float((logits.double() - logits64).abs().max()),
        "max_grad_rel_diff_except_key_bias": max(v for k, v in rel_diff.items()
                                                 if not is_key_bias(k)),
        "worst_parameter_except_key_bias": max((k for k in rel_diff if not is_key_bias(k)),
                                               key=rel_diff.get),
        # None for a fused q/k/v projection (ModernBERT's Wqkv) or no biases.
        "key_bias_max_abs_grad_float32": max((float(p.grad.abs().max())
                                              for k, p in model.named_parameters()
                                             if is_key_bias(k)), default=None),
        "key_bias_max_abs_grad_float64": max((float(exact[k].grad.abs().max())
                                              for k in exact if is_key_bias(k)), default=None),
    }

    tensors = dict(batch)
    tensors["logits"] = logits.float()
    tensors["loss"] = loss.float()  # shape []
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name
        tensors[f"grad.{name}"] = p.grad.float()
    writer.put(out / "reference" / f"{ref_name}.safetensors", safetensors_bytes(tensors))

    grads = [p.grad for p in model.parameters()]
    info = {
        "producer": "tools/make_training_reference.py",
        "model_dir": rel(directory),
        "model_class": type(model).__name__,
        **text_info,
        "max_length": MAX_LENGTH,
        "padding": "right, to the longest row of the batch; token_type_ids all 0 (DistilBERT's "
                   "forward takes none)",
        "mode": "model.train() with every dropout probability 0 "
                + str(DROPOUT_FIELDS[model.config.model_type]),
        "attn_implementation": "eager",
        "dtype": "float32",
        "loss": loss.item(),
        "loss_definition": "torch.nn.functional.cross_entropy(logits, labels), mean over the "
                           "8 examples (equal to the model's own loss with labels=)",
        "grad_definition": "grad.<name> = d loss / d parameter for every name of "
                           "model.named_parameters(), after one backward from zeroed grads",
        "grad_global_norm": float(torch.nn.utils.get_total_norm(grads, 2.0, foreach=False)),
        "parameters": len(grads),
        "parameter_elements": sum(g.numel() for g in grads),
        "shared_parameters": shared_parameters(model),
        "all_zero_grads": [n for n, p in model.named_parameters() if not p.grad.any()],
        "float64_comparison": fp64,
        "tolerance_note": "grad_rel_diff = max|g32 - g64| / max|g64| per tensor. Key-bias "
                          "gradients are mathematically 0 (softmax shift invariance): the "
                          "stored values are fp32 rounding noise; compare them against an "
                          "absolute bound (e.g. 1e-6), not relatively.",
        "seeds": {"torch.manual_seed": TORCH_SEED, "used_by": "nothing (no random draw)"},
        "deterministic": "torch.set_num_threads(1), torch.use_deterministic_algorithms(True)",
        "versions": versions(),
        "tensors": {k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape)}
                    for k, v in tensors.items() if not k.startswith("grad.")},
        "grad_tensors": "grad.<name> (F32, the parameter's shape) for each of the "
                        f"{len(grads)} names of model.named_parameters()",
        "note": ("shared_parameters is empty: the sequence classifiers tie nothing "
                 "(tie_word_embeddings only concerns a masked-LM decoder, absent here), so "
                 "every parameter has its own gradient. Word-embedding rows of unused tokens, "
                 "position rows beyond the batch width and token type 1 get zero gradient."),
    }
    info.update(extra or {})
    writer.put(out / "reference" / f"{ref_name}.json", json_text(info).encode("utf-8"))
    return info


# ----------------------------------------------------------------------------------------------
# b) Trajectories


def plan_steps(num_examples: int, run: Run) -> list[tuple[int, list[list[int]]]]:
    """(epoch from 1, micro-batches of example indices) for every optimizer step, in order.

    --no-shuffle: micro-batch j of an epoch is examples [j*B, (j+1)*B) (the last may be
    shorter); A consecutive micro-batches make one optimizer step; groups stop at the epoch's
    end, so the last step of an epoch may have fewer micro-batches.
    """
    micro = [list(range(s, min(s + run.batch_size, num_examples)))
             for s in range(0, num_examples, run.batch_size)]
    groups = [micro[s : s + run.accumulation] for s in range(0, len(micro), run.accumulation)]
    return [(epoch, g) for epoch in range(1, run.epochs + 1) for g in groups]


def train(directory: Path, rows: list[tuple[str, str]], run: Run,
          dtype: torch.dtype = torch.float32, attn: str = "eager", on_epoch_end=None) -> dict:
    """Runs all optimizer steps of `run`; returns the per-step records and final parameters.

    on_epoch_end(model, epoch), when given, runs after each epoch's last step (as `finetune
    train --validation` evaluates); what it returns is collected in result["evaluations"].

    dtype/attn other than float32/eager only serve the sensitivity estimate (see
    `sensitivity`); the reference itself is always float32 + eager.
    """
    model = load_model(directory, dtype, attn)
    data = Encoded(directory, rows, model.config.label2id)
    plan = plan_steps(len(rows), run)
    optimizer, groups = make_optimizer(model, run)
    scheduler = make_scheduler(optimizer, run, len(plan))

    records = []
    batches = []
    evaluations = []
    for k, (epoch, micro_batches) in enumerate(plan):
        lr = optimizer.param_groups[0]["lr"]  # what this step's optimizer.step() uses
        n_step = sum(len(mb) for mb in micro_batches)
        optimizer.zero_grad(set_to_none=True)
        loss_sum = 0.0
        correct = 0
        widths = []
        for mb in micro_batches:
            batch = data.batch(mb)
            widths.append(int(batch["input_ids"].shape[1]))
            logits = model(**model_inputs(model, batch)).logits
            per_example = F.cross_entropy(logits, batch["labels"], reduction="sum")
            (per_example / n_step).backward()  # gradient of the step's mean loss
            loss_sum += per_example.item()
            correct += int((logits.argmax(dim=-1) == batch["labels"]).sum())
        # The step's mean loss: a fp32 sum per micro-batch, the micro-batch sums added in
        # double and divided by the number of examples.
        loss = loss_sum / n_step
        params = list(model.parameters())
        if run.max_grad_norm:
            norm = torch.nn.utils.clip_grad_norm_(params, run.max_grad_norm, foreach=False)
        else:
            norm = torch.nn.utils.get_total_norm([p.grad for p in params], 2.0, foreach=False)
        optimizer.step()
        scheduler.step()
        records.append({"step": k + 1, "epoch": epoch, "loss": loss,
                        "accuracy": correct / n_step, "lr": lr, "grad_norm": norm.item()})
        batches.append({"step": k + 1,
                        "examples": [[mb[0], mb[-1] + 1] for mb in micro_batches],
                        "padded_widths": widths})
        if on_epoch_end and (k + 1 == len(plan) or plan[k + 1][0] != epoch):
            evaluations.append(on_epoch_end(model, epoch))
    return {"records": records, "batches": batches, "groups": groups, "evaluations": evaluations,
            "optimizer": type(optimizer).__name__,
            "final": {name: p.detach().clone() for name, p in model.named_parameters()}}


def is_key_bias(name: str) -> bool:
    """Biases of the attention keys: their gradient is mathematically zero (see sensitivity)."""
    return name.endswith(("k_lin.bias", "attention.self.key.bias"))


def sensitivity(reference: dict, other: dict) -> dict:
    """How far a differently-rounded but equally correct run lands from the reference.

    The C++ trainer sums in other orders than PyTorch, so its trajectory can only match to
    the spread that rounding alone produces; these numbers tell its tests what tolerance is
    honest. Adam divides by sqrt(v), so a gradient that is pure rounding noise still moves
    its parameter by ~lr per step: the attention key biases are such parameters (adding a
    constant to every key shifts each softmax row by a constant, so d loss / d key bias = 0
    exactly), and their final values are therefore reported separately.
    """
    steps = zip(reference["records"], other["records"])
    pairs = [(reference["final"][k].double(), other["final"][k].double())
             for k in reference["final"]]
    names = list(reference["final"])
    return {
        "max_abs_loss_diff": max(abs(a["loss"] - b["loss"]) for a, b in steps),
        "max_rel_grad_norm_diff": max(abs(a["grad_norm"] - b["grad_norm"]) / b["grad_norm"]
                                      for a, b in zip(reference["records"],
                                                      other["records"])),
        "accuracy_equal": all(a["accuracy"] == b["accuracy"]
                              for a, b in zip(reference["records"], other["records"])),
        "max_abs_final_param_diff_except_key_bias": max(
            float((a - b).abs().max()) for n, (a, b) in zip(names, pairs) if not is_key_bias(n)),
        "max_abs_final_key_bias_diff": max(  # None without a separate key bias
            (float((a - b).abs().max()) for n, (a, b) in zip(names, pairs) if is_key_bias(n)),
            default=None),
    }


def make_trajectory(out: Path, shared: Path, run: Run, writer: Writer,
                    extra: dict | None = None) -> dict:
    """train_traj_<run.name>.json + _final.safetensors; `extra` as in write_step0."""
    directory = out / run.model
    train_file = shared / "data/emotion/train.txt"
    rows = read_examples(train_file, run.limit)
    result = train(directory, rows, run)
    records = result["records"]
    plan = plan_steps(len(rows), run)
    spread = {
        "float64_eager": sensitivity(result, train(directory, rows, run, torch.float64)),
        "float32_sdpa": sensitivity(result, train(directory, rows, run, attn="sdpa")),
    }

    final = {name: p.float() for name, p in result["final"].items()}
    model_class = transformers.AutoConfig.from_pretrained(str(directory)).architectures[0]
    writer.put(out / "reference" / f"train_traj_{run.name}_final.safetensors",
               safetensors_bytes(final))
    factors = [r["lr"] / run.lr for r in records]
    info = {
        "producer": "tools/make_training_reference.py",
        "run": run.name,
        "finetune_train_args": run.flags("../shared/data/emotion/train.txt"),
        "args_note": "paths relative to the repository root; add --log FILE and --output DIR",
        "model_dir": rel(directory),
        "model_class": model_class,
        "examples": len(rows),
        "optimizer_steps": len(plan),
        "steps": records,
        "batches": result["batches"],
        "lr_factors": factors,
        "parameter_groups": result["groups"],
        "final_parameters_file": f"train_traj_{run.name}_final.safetensors",
        "sensitivity": {
            "what": "the same run in float64 (eager) and in float32 with SDPA attention, "
                    "compared with this reference: the spread rounding alone produces, i.e. "
                    "the tolerance a correct fp32 reimplementation can be held to",
            **spread,
            "key_bias_note": "attention key biases get a gradient that is mathematically 0 "
                             "(softmax is shift-invariant per row), so fp32 gives rounding "
                             "noise (~1e-8) which Adam normalises into real updates of up to "
                             "about lr per step. Their final values are NOT reproducible by "
                             "another implementation; compare them loosely (|diff| <= 2 * sum "
                             "of the steps' lr) or skip them. They do not affect any loss.",
        },
        "pytorch": {
            "model": "AutoModelForSequenceClassification.from_pretrained(dir, "
                     "attn_implementation='eager', dtype=float32, <dropout fields>=0).train()",
            "optimizer": f"torch.optim.{result['optimizer']}(groups, lr={run.lr}, "
                         f"betas={BETAS}, eps={EPS}, foreach=False); groups: "
                         f"weight_decay={run.weight_decay} except biases and LayerNorm "
                         "weights (0)",
            "schedule": {"linear": "transformers.get_linear_schedule_with_warmup(optimizer, "
                                   f"{run.warmup_steps}, {len(plan)})",
                         "constant": "transformers.get_constant_schedule"
                                     + ("_with_warmup" if run.warmup_steps else "")
                                     + "(optimizer)"}[run.schedule]
                        + "; scheduler.step() after every optimizer.step()",
            "clipping": (f"torch.nn.utils.clip_grad_norm_(model.parameters(), "
                         f"{run.max_grad_norm}, foreach=False)" if run.max_grad_norm
                         else "none"),
        },
        "notes": [
            "step k (1-based) uses lr = base_lr * factor(k-1) (LambdaLR): with warm-up W the "
            "first step has lr 0 and changes no parameter, but Adam's moments and step count "
            "still advance.",
            "loss and accuracy are over all examples of the step (all its micro-batches), "
            "computed before the update. loss = (sum over micro-batches of the fp32 sum of "
            "per-example cross-entropies) / examples; each micro-batch backpropagates its sum "
            "/ examples-of-the-step, so the gradient is that of the step's mean loss.",
            "accumulation groups do not cross an epoch end; the last group of an epoch may "
            "hold fewer micro-batches (not the case here: 8 micro-batches per epoch).",
            "grad_norm: the global L2 norm of all parameter gradients before clipping, as "
            "torch computes it: the fp32 norm of the stacked per-tensor fp32 L2 norms.",
            "clipping (when on) multiplies every gradient by min(1, max_norm / (grad_norm + "
            "1e-6)), computed in fp32, also when grad_norm <= max_norm (then a factor 1).",
            "AdamW (torch, single-tensor): param *= 1 - lr*wd; m = lerp(m, g, 1-beta1); "
            "v = beta2*v + (1-beta2)*g*g; param -= (lr / (1-beta1^t)) * m / "
            "(sqrt(v) / sqrt(1-beta2^t) + eps). Adam with weight_decay 0 is the same update "
            "without the first factor (with wd > 0 it adds wd*param to g instead).",
            "batches[].examples: [begin, end) example ranges (0-based, file order) of each "
            "micro-batch; padded_widths: each micro-batch's padded length.",
        ],
        "seeds": {"torch.manual_seed": TORCH_SEED,
                  "used_by": "nothing (no shuffling, dropout 0, no new weights)"},
        "deterministic": "torch.set_num_threads(1), torch.use_deterministic_algorithms(True)",
        "versions": versions(),
    }
    info.update(extra or {})
    writer.put(out / "reference" / f"train_traj_{run.name}.json", json_text(info).encode())
    return info


# ----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "tests/fixtures",
                        help="fixture root holding tiny-distilbert/, tiny-bert/, reference/")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared",
                        help="shared read-only data (data/emotion/train.txt)")
    parser.add_argument("--check", action="store_true",
                        help="compare with the files on disk instead of writing (exit 1 if any "
                             "differs)")
    args = parser.parse_args()
    make_deterministic()
    out = args.out.resolve()
    writer = Writer(args.check)

    for model_name in ["tiny-distilbert", "tiny-bert"]:
        info = make_step0(out, args.shared, model_name, writer)
        print(f"step0 {model_name:16s} loss {info['loss']:.6f}  grad norm "
              f"{info['grad_global_norm']:.6f}  shared params {info['shared_parameters']}")
    for run in RUNS:
        info = make_trajectory(out, args.shared, run, writer)
        steps = info["steps"]
        print(f"run {run.name} ({run.model}): {len(steps)} steps")
        for r in steps:
            print(f"  step {r['step']:2d} epoch {r['epoch']} lr {r['lr']:.6g} loss "
                  f"{r['loss']:.6f} acc {r['accuracy']:.3f} grad norm {r['grad_norm']:.5f}")

    total = sum(p.stat().st_size for p in writer.written if p.exists())
    if args.check:
        if writer.mismatches:
            print("make_training_reference: differs from disk: " + ", ".join(writer.mismatches))
            return 1
        print(f"make_training_reference: all {len(writer.written)} files identical")
        return 0
    print(f"make_training_reference: wrote {len(writer.written)} files, {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
