#!/usr/bin/env python3
"""PyTorch + `transformers` peer of `finetune train`, for the training benchmark.

Every speed claim of the project is a ratio against PyTorch measured on the same machine
(DESIGN.md, performance plan). This script trains the way a `transformers` user writes the
loop by hand: AutoModelForSequenceClassification in train mode (dropout as the model's config
says), AdamW, a linear learning-rate schedule, examples shuffled with a fixed seed, batches of
--batch-size padded to their own longest example (dynamic padding), fp32 on the CPU.

What is timed: only the training steps, after --warmup-steps untimed ones (first-call
allocations, thread-pool start, optimizer state creation). A timed step is everything the
loop does per batch: padding the batch into tensors, forward with the loss, backward,
optimizer step, scheduler step. Tokenization happens once, up front, and is reported apart
(`tokenize_seconds`), as `finetune train` also tokenizes the dataset before training.

The optimizer is torch.optim.AdamW with fused=True when this torch supports it on the CPU
(fastest, torch >= 2.4), else foreach=True; `optimizer_impl` says which ran. Parameters are in
two groups like the HF Trainer's (no weight decay for biases and LayerNorm weights), with
--weight-decay (default 0, the Trainer's default). The linear schedule decays from --lr to 0
over warm-up + timed steps, with no learning-rate warm-up.

Data: `text;label` lines (split on the last ';'); label names map through the checkpoint's
config.json label2id when it names them all, else sorted unique names become the labels (and
the head is created fresh for them). --limit N keeps the first N lines, before shuffling.
The epoch order is a permutation from torch.Generator(seed + epoch); the last partial batch of
an epoch is kept; the data wraps around into further epochs when --steps needs more batches.

Prints one JSON line: impl, versions, threads, batch_size, steps, seconds, steps_per_s,
ms_per_step, peak_rss_mb (getrusage ru_maxrss of this process: Python, torch, model, data),
mean_tokens_per_batch (padded B x T, what the model computes on, over the timed batches),
mean_real_tokens_per_batch, final_loss (loss of the last timed step), model, and the settings.

Usage:  python bench/train_torch.py --model DIR --train FILE [--batch-size 8] [--steps 100]
            [--threads 2] [--lr 5e-5] [--max-length N] [--limit N] [--warmup-steps 5]
            [--seed 42] [--weight-decay 0]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import torch
import transformers


def read_examples(path: str, limit: int | None) -> tuple[list[str], list[str]]:
    """(texts, label names) of the first `limit` `text;label` lines."""
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last line
    if limit:
        lines = lines[:limit]
    texts, labels = [], []
    for number, line in enumerate(lines, start=1):
        text, sep, label = line.rpartition(";")
        if not sep:
            raise SystemExit(f"train_torch: {path}:{number}: no ';' before the label")
        texts.append(text)
        labels.append(label)
    return texts, labels


def load_model(directory: str, names: list[str]):
    """The classifier, with the checkpoint's label map if it covers the data's names."""
    config = transformers.AutoConfig.from_pretrained(directory)
    if set(names) <= set(config.label2id):
        return transformers.AutoModelForSequenceClassification.from_pretrained(
            directory, dtype=torch.float32), config.label2id
    labels = sorted(set(names))
    label2id = {n: i for i, n in enumerate(labels)}
    model = transformers.AutoModelForSequenceClassification.from_pretrained(
        directory, dtype=torch.float32, num_labels=len(labels),
        id2label=dict(enumerate(labels)), label2id=label2id, ignore_mismatched_sizes=True)
    return model, label2id


def make_optimizer(model, lr: float, weight_decay: float) -> tuple[torch.optim.Optimizer, str]:
    """AdamW, fused if this torch can on the CPU, else foreach; two groups like the Trainer."""
    named = list(model.named_parameters())
    no_decay = [p for n, p in named
                if n.endswith(".bias") or "LayerNorm" in n or "layer_norm" in n]
    decay = [p for n, p in named
             if not (n.endswith(".bias") or "LayerNorm" in n or "layer_norm" in n)]
    groups = [{"params": decay, "weight_decay": weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    try:
        return torch.optim.AdamW(groups, lr=lr, fused=True), "fused"
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.AdamW(groups, lr=lr, foreach=True), "foreach"


def batch_order(n: int, batch_size: int, seed: int, count: int) -> list[list[int]]:
    """`count` batches of example indices: per epoch a seeded permutation, cut in batches."""
    batches: list[list[int]] = []
    epoch = 0
    while len(batches) < count:
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch)).tolist()
        batches += [perm[s : s + batch_size] for s in range(0, n, batch_size)]
        epoch += 1
    return batches[:count]


def usable_positions(config) -> int:
    """max_position_embeddings, less pad + 1 for the RoBERTa family (positions start at pad + 1):
    what finetune's --max-length defaults to."""
    if config.model_type in ("roberta", "xlm-roberta", "camembert"):
        return config.max_position_embeddings - config.pad_token_id - 1
    return config.max_position_embeddings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="Hugging Face model directory")
    parser.add_argument("--train", required=True, help="`text;label` file")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=100, help="timed optimizer steps")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-length", type=int, default=None,
                        help="truncate to N tokens (default: every usable position)")
    parser.add_argument("--limit", type=int, default=None, help="use the first N examples")
    parser.add_argument("--warmup-steps", type=int, default=5,
                        help="untimed steps before timing starts (not a learning-rate warm-up)")
    parser.add_argument("--seed", type=int, default=42, help="shuffling and new-head seed")
    parser.add_argument("--weight-decay", type=float, default=0.0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)  # a freshly created head (base checkpoints) is seeded too
    transformers.logging.set_verbosity_error()  # the fresh-head warning is expected
    transformers.utils.logging.disable_progress_bar()

    texts, names = read_examples(args.train, args.limit)
    if not texts:
        print("train_torch: no examples", file=sys.stderr)
        return 1
    model, label2id = load_model(args.model, names)
    model.train()
    tokenizer = transformers.AutoTokenizer.from_pretrained(args.model)
    max_length = args.max_length or usable_positions(model.config)

    start = time.perf_counter()
    ids = tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
    tokenize_seconds = time.perf_counter() - start
    labels = [label2id[n] for n in names]
    pad_id = tokenizer.pad_token_id

    def collate(indices: list[int]) -> dict[str, torch.Tensor]:
        """Right-padded to the batch's longest example (dynamic padding)."""
        width = max(len(ids[i]) for i in indices)
        input_ids = torch.full((len(indices), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(indices), width), dtype=torch.long)
        for row, i in enumerate(indices):
            input_ids[row, : len(ids[i])] = torch.tensor(ids[i])
            mask[row, : len(ids[i])] = 1
        return {"input_ids": input_ids, "attention_mask": mask,
                "labels": torch.tensor([labels[i] for i in indices])}

    total_steps = args.warmup_steps + args.steps
    optimizer, optimizer_impl = make_optimizer(model, args.lr, args.weight_decay)
    scheduler = transformers.get_linear_schedule_with_warmup(optimizer, 0, total_steps)
    order = batch_order(len(texts), args.batch_size, args.seed, total_steps)

    def step(indices: list[int]) -> torch.Tensor:
        batch = collate(indices)
        optimizer.zero_grad(set_to_none=True)
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        scheduler.step()
        return loss.detach()

    for indices in order[: args.warmup_steps]:
        step(indices)
    timed = order[args.warmup_steps :]
    start = time.perf_counter()
    for indices in timed:
        loss = step(indices)
    seconds = time.perf_counter() - start

    padded = [len(b) * max(len(ids[i]) for i in b) for b in timed]
    real = [sum(len(ids[i]) for i in b) for b in timed]
    print(json.dumps({
        "impl": "pytorch",
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "threads": args.threads,
        "batch_size": args.batch_size,
        "steps": args.steps,
        "warmup_steps": args.warmup_steps,
        "seconds": round(seconds, 4),
        "steps_per_s": round(args.steps / seconds, 3),
        "ms_per_step": round(1000 * seconds / args.steps, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "mean_tokens_per_batch": round(sum(padded) / len(padded), 2),
        "mean_real_tokens_per_batch": round(sum(real) / len(real), 2),
        "final_loss": round(float(loss), 6),
        "tokenize_seconds": round(tokenize_seconds, 4),
        "optimizer_impl": optimizer_impl,
        "attn_implementation": model.config._attn_implementation,
        "lr": args.lr,
        "weight_decay": args.weight_decay,
        "max_length": max_length,
        "examples": len(texts),
        "seed": args.seed,
        "model": args.model,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
