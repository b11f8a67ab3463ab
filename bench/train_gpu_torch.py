#!/usr/bin/env python3
"""PyTorch + `transformers` training-speed peer of `finetune train --device cuda` (issue 5).

Every speed claim of the project is a ratio against PyTorch measured in the same run on the
same machine (DESIGN.md, performance plan). On the GPU "PyTorch" is not one number: a user may
train in plain fp32, let the tensor cores round fp32 matmuls to TF32, use bf16 autocast,
compile the model, or hand everything to the HF Trainer. This script runs one of those ways
per call (--variant), on the tutorial job: a sequence classifier, the emotion tweets
(`text;label`, split on the last ';'), batch 8 padded to each batch's longest example (dynamic
padding), examples shuffled with a fixed seed, AdamW, a linear learning-rate schedule.

Variants (all use torch.optim.AdamW with fused=True, the fastest AdamW in torch):
  fp32     eager fp32, TF32 off for matmuls and cuDNN (torch.backends.*.allow_tf32 = False)
  tf32     eager fp32 with TF32 on (tensor cores round fp32 matmul inputs to 10-bit mantissas)
  bf16     eager with torch.autocast(bfloat16) around forward and loss (fp32 master weights;
           TF32 off for what autocast leaves in fp32)
  compile  torch.compile(model, dynamic=True) + bf16 autocast. dynamic=True compiles one graph
           with a symbolic sequence length, instead of one for the first length and a second,
           dynamic one at the next length (what the default does): same steady-state code,
           half the compile time. The compile happens in the first warm-up step; it is
           reported apart (compile_seconds) and excluded from the timing. If compiling
           fails, the JSON line says so (error) and the exit status is 1.
  trainer  the HF Trainer: bf16=True, per_device_train_batch_size, DataCollatorWithPadding,
           a minimal torch Dataset of pre-tokenized examples (no `datasets` package),
           dataloader_num_workers=0, optim="adamw_torch_fused", report_to=[],
           save_strategy="no", logging_strategy="no". Everything else is the Trainer's
           default, which includes gradient clipping to norm 1.0 (max_grad_norm) and its own
           seeded shuffling: what a Trainer user gets. Needs the `accelerate` package.

What is timed: --steps optimizer steps after --warmup-steps untimed ones (CUDA context and
cuBLAS handles, the caching allocator's first allocations, optimizer state creation,
compilation), with torch.cuda.synchronize() before starting and before stopping the clock,
so the time covers all GPU work the timed steps launched. A timed step of the plain loop is
everything the loop does per batch: padding the batch into (pinned) host tensors, the
host-to-device copy (non_blocking), zero_grad, forward with the loss, backward, the
optimizer and scheduler steps. No step synchronises with the host, so the CPU can queue the
next step while the GPU runs this one, as a good PyTorch loop does. The Trainer is timed by a
callback between the end of step W and the end of step W+N (on_step_end), which likewise
covers its data loading, collation and everything else it does per step. Tokenization
happens once, up front, and is not timed (finetune also tokenizes before training).

Prints one JSON line: variant, model, device, gpu, versions, batch_size, steps, warmup_steps,
seconds, ms_per_step, samples_per_s, epoch_seconds (ms_per_step x steps per epoch: 2,000 for
the 16,000-example split at batch 8), peak_gpu_mem_mb (torch.cuda.max_memory_allocated over the
whole process: weights, gradients, optimizer state, activations; the CUDA context and the
allocator's unused reserve are not in it, peak_gpu_reserved_mb has the reserve),
mean_tokens_per_batch (padded B x T over the timed batches), mean_real_tokens_per_batch,
final_loss (the last timed step's), compile_seconds, first_step_seconds, warmup_seconds, and
the settings. On failure the line has "error" and the exit status is 1.

Usage:  python bench/train_gpu_torch.py --variant fp32|tf32|bf16|compile|trainer
            --model DIR --train FILE [--device cuda] [--steps 200] [--warmup-steps 20]
            [--batch-size 8] [--lr 5e-5] [--seed 42] [--limit N] [--max-length N]
            [--compile-mode default]
--device cpu runs the same code on the CPU (TF32 flags then change nothing, bf16 autocast is
the CPU's), to check the script without a GPU.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import platform
import sys
import tempfile
import time
import traceback

# The GPU machine has no network: never let transformers try the hub (a local directory
# never needs it, but a timeout there would cost minutes).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
import transformers  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
# The CPU peer's data reading, model loading, optimizer groups and batch order, so both peers
# train on the same batches the same way.
from train_torch import batch_order, load_model, make_optimizer, read_examples  # noqa: E402

VARIANTS = ("fp32", "tf32", "bf16", "compile", "trainer")


def set_tf32(enabled: bool) -> None:
    """TF32 on or off for fp32 matmuls (cuBLAS) and convolutions (cuDNN)."""
    torch.backends.cuda.matmul.allow_tf32 = enabled
    torch.backends.cudnn.allow_tf32 = enabled
    torch.set_float32_matmul_precision("high" if enabled else "highest")


def synchronize(device: torch.device) -> None:
    """Waits for all queued GPU work (nothing to wait for on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def dynamo_graphs() -> int | None:
    """How many graphs torch.compile has built so far (None if this torch does not say)."""
    try:
        from torch._dynamo.utils import counters
        return int(counters["stats"]["unique_graphs"])
    except Exception:  # an internal counter: absent or renamed in some versions
        return None


def train_loop(args, variant: str, device: torch.device, texts, names, report: dict) -> None:
    """The hand-written loop (fp32, tf32, bf16, compile); fills `report`."""
    set_tf32(variant == "tf32")
    model, label2id = load_model(args.model, names)
    model.to(device)
    model.train()
    tokenizer = transformers.AutoTokenizer.from_pretrained(args.model)
    max_length = args.max_length or model.config.max_position_embeddings
    ids = tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
    labels = [label2id[n] for n in names]
    pad_id = tokenizer.pad_token_id
    pin = device.type == "cuda"

    def collate(indices: list[int]) -> dict[str, torch.Tensor]:
        """Right-padded to the batch's longest example, copied to the device without a sync."""
        width = max(len(ids[i]) for i in indices)
        input_ids = torch.full((len(indices), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(indices), width), dtype=torch.long)
        for row, i in enumerate(indices):
            input_ids[row, : len(ids[i])] = torch.tensor(ids[i])
            mask[row, : len(ids[i])] = 1
        batch = {"input_ids": input_ids, "attention_mask": mask,
                 "labels": torch.tensor([labels[i] for i in indices])}
        if pin:
            return {k: v.pin_memory().to(device, non_blocking=True) for k, v in batch.items()}
        return batch

    total_steps = args.warmup_steps + args.steps
    optimizer, optimizer_impl = make_optimizer(model, args.lr, args.weight_decay)
    scheduler = transformers.get_linear_schedule_with_warmup(optimizer, 0, total_steps)
    order = batch_order(len(texts), args.batch_size, args.seed, total_steps)
    use_bf16 = variant in ("bf16", "compile")
    # transformers sets problem_type on the first forward call; setting it now (to what it
    # would become) keeps torch.compile from recompiling on the second call.
    model.config.problem_type = "single_label_classification"
    forward = model
    if variant == "compile":
        forward = torch.compile(model, dynamic=True, mode=args.compile_mode)

    def step(indices: list[int]) -> torch.Tensor:
        batch = collate(indices)
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_bf16):
            loss = forward(**batch).loss
        loss.backward()
        optimizer.step()
        scheduler.step()
        return loss.detach()

    # Warm-up: the first step carries the one-off costs (compilation for `compile`).
    synchronize(device)
    start = time.perf_counter()
    for n, indices in enumerate(order[: args.warmup_steps]):
        step(indices)
        if n == 0:
            synchronize(device)
            report["first_step_seconds"] = round(time.perf_counter() - start, 4)
    synchronize(device)
    report["warmup_seconds"] = round(time.perf_counter() - start, 4)
    if variant == "compile":
        report["compile_seconds"] = report.get("first_step_seconds")
    graphs_before = dynamo_graphs()

    timed = order[args.warmup_steps :]
    start = time.perf_counter()
    for indices in timed:
        loss = step(indices)
    synchronize(device)
    seconds = time.perf_counter() - start

    if variant == "compile":
        graphs_after = dynamo_graphs()
        if graphs_before is not None and graphs_after is not None:
            # Non-zero means a recompilation happened inside the timed region.
            report["graphs_compiled_during_timing"] = graphs_after - graphs_before
        report["compile_mode"] = args.compile_mode
    report.update({
        "seconds": seconds,
        "final_loss": round(float(loss), 6),
        "mean_tokens_per_batch": sum(len(b) * max(len(ids[i]) for i in b) for b in timed) / len(timed),
        "mean_real_tokens_per_batch": sum(sum(len(ids[i]) for i in b) for b in timed) / len(timed),
        "optimizer_impl": optimizer_impl,
        "attn_implementation": model.config._attn_implementation,
        "max_length": max_length,
    })


class PreTokenized(torch.utils.data.Dataset):
    """Pre-tokenized examples as the Trainer wants them: dicts of lists, one per index."""

    def __init__(self, ids: list[list[int]], labels: list[int]):
        self.ids, self.labels = ids, labels

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict:
        return {"input_ids": self.ids[i], "attention_mask": [1] * len(self.ids[i]),
                "labels": self.labels[i]}


class StepTimer(transformers.TrainerCallback):
    """Clock between the end of optimizer step `warmup` and the end of step `warmup + steps`."""

    def __init__(self, warmup: int, steps: int, device: torch.device):
        self.warmup, self.steps, self.device = warmup, steps, device
        self.start: float | None = None
        self.seconds: float | None = None
        self.train_begin: float | None = None
        self.first_step_seconds: float | None = None

    def on_train_begin(self, args, state, control, **kwargs):
        synchronize(self.device)
        self.train_begin = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == 1:
            synchronize(self.device)
            self.first_step_seconds = time.perf_counter() - self.train_begin
        if state.global_step == self.warmup:
            synchronize(self.device)
            self.start = time.perf_counter()
        elif state.global_step == self.warmup + self.steps and self.start is not None:
            synchronize(self.device)
            self.seconds = time.perf_counter() - self.start


def train_trainer(args, device: torch.device, texts, names, report: dict) -> None:
    """The HF Trainer; fills `report`."""
    set_tf32(False)
    model, label2id = load_model(args.model, names)
    tokenizer = transformers.AutoTokenizer.from_pretrained(args.model)
    max_length = args.max_length or model.config.max_position_embeddings
    ids = tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
    labels = [label2id[n] for n in names]
    padded: list[int] = []  # B x T of each batch the Trainer computed on, in order

    class Recording(transformers.Trainer):
        """The stock Trainer, remembering each batch's size and loss without a host sync."""

        def compute_loss(self, model, inputs, *rest, **kwargs):
            out = super().compute_loss(model, inputs, *rest, **kwargs)
            self.last_loss = (out[0] if isinstance(out, tuple) else out).detach()
            padded.append(inputs["input_ids"].numel())  # a host-side shape, no sync
            return out

    timer = StepTimer(args.warmup_steps, args.steps, device)
    with tempfile.TemporaryDirectory(prefix="train_gpu_torch_") as output_dir:
        training_args = transformers.TrainingArguments(
            output_dir=output_dir,
            per_device_train_batch_size=args.batch_size,
            max_steps=args.warmup_steps + args.steps,
            learning_rate=args.lr,
            lr_scheduler_type="linear",
            warmup_steps=0,
            weight_decay=args.weight_decay,
            bf16=True,
            optim="adamw_torch_fused",
            dataloader_num_workers=0,
            report_to=[],
            save_strategy="no",
            logging_strategy="no",
            disable_tqdm=True,
            seed=args.seed,
            use_cpu=device.type == "cpu",
        )
        trainer = Recording(
            model=model, args=training_args, train_dataset=PreTokenized(ids, labels),
            data_collator=transformers.DataCollatorWithPadding(tokenizer), callbacks=[timer])
        trainer.train()
    if timer.seconds is None:
        raise RuntimeError("the Trainer stopped before the last timed step")
    timed = padded[args.warmup_steps : args.warmup_steps + args.steps]
    report.update({
        "seconds": timer.seconds,
        "first_step_seconds": round(timer.first_step_seconds or 0.0, 4),
        "final_loss": round(float(trainer.last_loss), 6),
        "mean_tokens_per_batch": sum(timed) / max(len(timed), 1),
        "optimizer_impl": "Trainer adamw_torch_fused",
        "max_grad_norm": training_args.max_grad_norm,
        "attn_implementation": model.config._attn_implementation,
        "max_length": max_length,
    })


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variant", required=True, choices=VARIANTS)
    parser.add_argument("--model", required=True, help="Hugging Face model directory")
    parser.add_argument("--train", required=True, help="`text;label` file")
    parser.add_argument("--device", default="cuda", help="cuda (default), cuda:N or cpu")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=200, help="timed optimizer steps")
    parser.add_argument("--warmup-steps", type=int, default=20,
                        help="untimed steps before timing starts (not a learning-rate warm-up)")
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=42, help="shuffling and new-head seed")
    parser.add_argument("--limit", type=int, default=None, help="use the first N examples")
    parser.add_argument("--max-length", type=int, default=None,
                        help="truncate to N tokens (default: max_position_embeddings)")
    parser.add_argument("--compile-mode", default="default",
                        help="torch.compile mode for --variant compile (default, "
                             "max-autotune-no-cudagraphs, ...)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    args = parser.parse_args()
    if args.steps < 1 or (args.variant == "trainer" and args.warmup_steps < 1):
        parser.error("--steps must be >= 1, and --warmup-steps >= 1 for the trainer variant")

    device = torch.device(args.device)
    report: dict = {"variant": args.variant, "model": args.model, "device": str(device)}
    try:
        if device.type == "cuda":
            if not torch.cuda.is_available():
                raise RuntimeError("no CUDA device visible to torch")
            if device.index is None:  # torch.cuda.set_device needs an index: "cuda" -> "cuda:0"
                device = torch.device("cuda", torch.cuda.current_device())
            torch.cuda.set_device(device)
            report["device"] = str(device)
            report["gpu"] = torch.cuda.get_device_name(device)
        else:
            report["gpu"] = None
            report["cpu"] = platform.processor() or platform.machine()
        report.update({
            "torch": torch.__version__, "cuda": torch.version.cuda,
            "transformers": transformers.__version__, "python": platform.python_version(),
        })
        if args.threads:
            torch.set_num_threads(args.threads)
        torch.manual_seed(args.seed)  # a freshly created head is seeded too
        transformers.logging.set_verbosity_error()  # the fresh-head warning is expected
        transformers.utils.logging.disable_progress_bar()

        texts, names = read_examples(args.train, args.limit)
        if not texts:
            raise RuntimeError(f"no examples in {args.train}")
        if args.variant == "trainer":
            train_trainer(args, device, texts, names, report)
        else:
            train_loop(args, args.variant, device, texts, names, report)
    except Exception as error:  # one JSON line either way, so the runner can print a row
        traceback.print_exc(file=sys.stderr)
        message = f"{type(error).__name__}: {error}".strip().splitlines()
        report["error"] = message[0][:300] if message else type(error).__name__
        print(json.dumps(report), flush=True)
        return 1

    seconds = report.pop("seconds")
    ms = 1000.0 * seconds / args.steps
    steps_per_epoch = math.ceil(len(texts) / args.batch_size)
    report.update({
        "batch_size": args.batch_size,
        "steps": args.steps,
        "warmup_steps": args.warmup_steps,
        "seconds": round(seconds, 4),
        "ms_per_step": round(ms, 3),
        "samples_per_s": round(args.batch_size * args.steps / seconds, 1),
        "steps_per_epoch": steps_per_epoch,
        "epoch_seconds": round(ms * steps_per_epoch / 1000.0, 2),
        "peak_gpu_mem_mb": (round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
                            if device.type == "cuda" else None),
        "peak_gpu_reserved_mb": (round(torch.cuda.max_memory_reserved(device) / 2**20, 1)
                                 if device.type == "cuda" else None),
        "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
        "lr": args.lr,
        "weight_decay": args.weight_decay,
        "seed": args.seed,
        "examples": len(texts),
    })
    for key in ("mean_tokens_per_batch", "mean_real_tokens_per_batch"):
        if key in report:
            report[key] = round(report[key], 2)
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
