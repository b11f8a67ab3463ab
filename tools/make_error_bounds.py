#!/usr/bin/env python3
"""Writes the error bounds that the model-level C++ tests hold finetune's fp32 results to.

Why this exists (docs/numerics.md, "Model against PyTorch"): comparing two fp32
implementations with a tolerance picked from what one machine happened to show fails on the
next CPU, whose BLAS sums in another order. Instead every model-level quantity is compared with
the exact (float64) computation, and held to a bound on what fp32 rounding can do to it, derived
from the computation itself and valid for any correct fp32 implementation:

  1. The reference: the same model, inputs and (for training) optimizer run in float64. The
     fixture weights are fp32 values, exact in float64, so this is the fp32 program's exact
     result up to float64 rounding (~1e-16 relative, negligible).
  2. The rounding model: every arithmetic operation of a correct fp32 implementation returns its
     exact result times (1 + d) with |d| <= u = 2^-24 (half an ulp; a few ulp for exp, erf,
     tanh). A dot product or sum of n terms, in ANY order (BLAS blocking, FMA, vector lanes,
     trees), rounds n times, each error at most u times a partial sum, and every partial sum is
     at most S = sum|terms|; with the errors independent and of mean zero (the standard
     probabilistic model of rounding, Higham & Mary, SIAM J. Sci. Comput. 41 (2019)), the
     total has variance at most n (u S)^2 / 3. The model gives each operation that variance,
     so it over-, never under-, states any summation order's spread.
  3. Propagation: the float64 computation is rerun M times with every floating-point aten
     operation (forward, backward and optimizer, caught by a TorchDispatchMode) perturbed at
     random by the amounts of step 2 (Monte Carlo arithmetic, Parker 1997). The spread of the
     M results, per element, is sigma: how far fp32 rounding moves that element, carried
     through every layer, softmax, LayerNorm and Adam step by the computation itself.

A C++ test then requires |finetune - float64| <= LAMBDA * sigma per element (tests/support/
error_bounds.h), with LAMBDA and M chosen in docs/numerics.md. This script checks the bound on
independent fp32 implementations before writing it: PyTorch's own fp32 eager and SDPA results
must satisfy it too (their worst ratio is recorded in the .json).

Outputs (tests/fixtures/reference/, beside the fp32 references they extend):
  <reference>.bounds.safetensors   <tensor>.f64 (F64, the exact value), <tensor>.sigma (F32)
  <reference>.bounds.json          M, LAMBDA, seeds, versions, the PyTorch checks

Usage:  python tools/make_error_bounds.py [--out tests/fixtures] [--shared ../shared]
                                          [--minilm models/all-MiniLM-L6-v2] [--only NAME...]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import safetensors.torch
import torch
from torch.utils._python_dispatch import TorchDispatchMode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_reference as mr  # noqa: E402  (the forward references' tokenize/load/forward)
import make_training_reference as mt  # noqa: E402  (step 0 and the trajectories)

REPO = Path(__file__).resolve().parent.parent
aten = torch.ops.aten

U = 2.0 ** -24           # unit roundoff of fp32 (half an ulp at 1)
SAMPLES = 32             # M: Monte Carlo reruns per reference
LAMBDA = 8.0             # the tests' multiple of sigma (docs/numerics.md derives both)
SEED = 20261202

# Relative error bound of one elementwise operation, in units of U. Correctly rounded basic
# arithmetic: 1. Two roundings (addcmul, lerp, rsqrt as 1/sqrt): 2. Library functions (expf,
# logf, tanhf, erff) are within 2 ulp = 4 U on glibc, SLEEF and CUDA's math library.
ELEMENTWISE_UNITS = {
    "add": 1, "sub": 1, "rsub": 1, "mul": 1, "div": 1, "reciprocal": 1, "sqrt": 1, "neg": 0, "abs": 0,
    "addcmul": 2, "addcdiv": 2, "lerp": 2, "rsqrt": 2,
    "exp": 4, "log": 4, "tanh": 4, "erf": 4, "erfc": 4, "pow": 4, "sigmoid": 4,
    "cos": 4, "sin": 4,  # rotary positions (ModernBERT)
}
# Composite operations replaced by their decomposition into the operations above, so each step
# (the mean and variance sums of LayerNorm, the softmax's exponentials and sum, GELU's erf) gets
# its own rounding; a single perturbation of the composite's output would miss its sums.
DECOMPOSE = [
    aten.native_layer_norm.default, aten.native_layer_norm_backward.default,
    aten._softmax.default, aten._softmax_backward_data.default,
    aten._log_softmax.default, aten._log_softmax_backward_data.default,
    aten.gelu.default, aten.gelu_backward.default, aten.tanh_backward.default,
    aten.nll_loss_forward.default, aten.nll_loss_backward.default,
    aten.linalg_vector_norm.default,
]
# Operations without rounding: data movement, selection, comparison, max/min. Anything not in
# one of these lists stops the script, so a new operation is never silently left unperturbed.
EXACT = {
    "view", "_unsafe_view", "reshape", "expand", "permute", "transpose", "t", "unsqueeze",
    "squeeze", "slice", "select", "clone", "copy_", "_to_copy", "contiguous", "detach",
    "alias", "lift_fresh", "embedding", "index_select", "gather", "cat", "stack", "split",
    "split_with_sizes", "unbind", "where", "masked_fill", "masked_fill_", "eq", "ne", "lt", "le",
    "gt", "ge", "logical_not", "logical_and", "bitwise_not", "amax", "amin", "max", "min",
    "argmax", "maximum", "minimum", "clamp", "clamp_min", "clamp_max", "zeros_like", "ones_like",
    "empty_like", "new_empty", "new_zeros", "new_ones", "new_full", "full", "full_like", "zero_",
    "fill_", "scalar_tensor", "arange", "zeros", "ones", "empty", "empty_strided", "ge_", "any",
    "all", "isnan", "isinf", "isfinite", "sign", "_local_scalar_dense", "item", "is_nonzero",
    "detach_", "resize_", "as_strided", "scatter", "index", "index_put", "index_put_",
    "lift_fresh_copy", "sort", "topk", "cumsum", "type_as", "bitwise_and", "bitwise_or",
    "_has_compatible_shallow_copy_type", "set_", "numel", "sym_size", "sym_stride", "dim",
    "_reshape_alias", "diagonal", "repeat", "tril", "triu", "flip", "roll", "unfold",
    "masked_select", "nonzero", "one_hot", "trunc", "floor", "ceil", "round", "relu",
    "threshold_backward", "_softmax_backward_data_exact", "logical_or", "_foreach_zero_",
    "normal_", "bernoulli_", "uniform_", "rand_like", "randn_like", "rand", "randn",
    "select_backward", "slice_backward", "index_select_backward", "new_empty_strided",
    "expand_copy", "permute_copy", "view_copy", "unsqueeze_copy", "squeeze_copy", "t_copy",
    "transpose_copy",
    "_record_function_enter_new", "_record_function_exit",
    "equal", "dropout",  # dropout: eval mode, or p = 0 in the training references: the identity
}


def decompositions() -> dict:
    from torch._decomp import get_decompositions
    table = get_decompositions(DECOMPOSE)
    missing = [op for op in DECOMPOSE if op not in table]
    if missing:
        raise SystemExit(f"make_error_bounds: no decomposition for {missing}")
    return table


class RoundingNoise(TorchDispatchMode):
    """Perturbs every floating-point result of a float64 computation as fp32 rounding could.

    Elementwise: y (1 + U c r), r uniform in [-1, 1], c from ELEMENTWISE_UNITS. Dot products
    and sums of n terms: + N(0, 1) U sqrt(n / 3) S, S the same product or sum over |terms|
    (module docstring, step 2). In-place operations are perturbed in place.
    """

    def __init__(self, generator: torch.Generator):
        super().__init__()
        self.gen = generator
        self.table = decompositions()

    def _uniform(self, like: torch.Tensor) -> torch.Tensor:
        return torch.rand(like.shape, generator=self.gen, dtype=like.dtype) * 2 - 1

    def _normal(self, like: torch.Tensor) -> torch.Tensor:
        return torch.randn(like.shape, generator=self.gen, dtype=like.dtype)

    def _relative(self, out: torch.Tensor, units: float) -> None:
        if units:
            out.mul_(1 + units * U * self._uniform(out))

    def _accumulated(self, out: torch.Tensor, n: int, scale: torch.Tensor) -> None:
        out.add_(self._normal(out) * (U * math.sqrt(n / 3.0)) * scale)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in self.table:  # re-enter this mode: each operation of the decomposition rounds
            with self:
                return self.table[func](*args, **kwargs)
        base = func.overloadpacket.__name__
        if not self._modelled(base):
            # An implicit composite (layer_norm, linear, matmul) reaches the mode undecomposed:
            # run its CompositeImplicit kernel, which is what PyTorch itself would run.
            with self:
                out = func.decompose(*args, **kwargs)
            if out is NotImplemented:
                raise SystemExit(f"make_error_bounds: no rounding model for aten.{base}")
            return out
        out = func(*args, **kwargs)
        if isinstance(out, tuple) and base == "var_mean":
            pass
        elif not isinstance(out, torch.Tensor) or not out.is_floating_point() or out.numel() == 0:
            return out
        with torch.no_grad():
            if base in ("mm", "bmm"):
                a, b = args[0], args[1]
                self._accumulated(out, a.shape[-1], func(a.abs(), b.abs()))
            elif base in ("addmm", "baddbmm"):
                c, a, b = args[0], args[1], args[2]
                beta, alpha = kwargs.get("beta", 1), kwargs.get("alpha", 1)
                mm = aten.mm.default if base == "addmm" else aten.bmm.default
                scale = abs(beta) * c.abs() + abs(alpha) * mm(a.abs(), b.abs())
                self._accumulated(out, a.shape[-1] + 1, scale)
            elif base in ("sum", "mean"):
                x = args[0]
                dims = args[1] if len(args) > 1 and args[1] is not None else list(range(x.dim()))
                dims = [dims] if isinstance(dims, int) else list(dims)
                n = math.prod(x.shape[d] for d in dims) if dims else x.numel()
                keep = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
                scale = x.abs().sum(dim=dims, keepdim=keep) if dims else x.abs().sum()
                if base == "mean":
                    scale = scale / n
                self._accumulated(out, n, scale.reshape(out.shape))
                if base == "mean":
                    self._relative(out, 1)  # the division by n
            elif base == "var_mean":  # LayerNorm's decomposition: (var, mean) over the row
                var, mean = out
                x, dims = args[0], kwargs.get("dim", args[1] if len(args) > 1 else None)
                n = math.prod(x.shape[d] for d in dims)
                self._accumulated(mean, n, (x.abs().sum(dim=dims, keepdim=True) / n).reshape(mean.shape))
                # The centred squares are non-negative: their sum's error is relative to itself
                # (the mean's own error enters to second order only: d var / d mean = 0).
                self._accumulated(var, n, var)
                self._relative(var, 1)
            elif base == "embedding_dense_backward":  # rows summed over the tokens that use them
                grad = args[0]
                tokens = grad.numel() // grad.shape[-1]
                self._accumulated(out, tokens, func(grad.abs(), *args[1:], **kwargs))
            elif base.rstrip("_") in ELEMENTWISE_UNITS:
                units = ELEMENTWISE_UNITS[base.rstrip("_")]
                if (base.rstrip("_") == "pow" and len(args) > 1 and isinstance(args[1], (int, float))
                        and args[1] == 2):
                    units = 1  # x * x, one rounding
                self._relative(out, units)
        return out

    @staticmethod
    def _modelled(base: str) -> bool:
        return (base in ("mm", "bmm", "addmm", "baddbmm", "sum", "mean", "var_mean",
                         "embedding_dense_backward")
                or base.rstrip("_") in ELEMENTWISE_UNITS or base in EXACT
                or base.rstrip("_") in EXACT)


# ----------------------------------------------------------------------------------------------
# Running a computation exactly and under the rounding model


def spread(run, samples: int, seed: int) -> tuple[dict, dict]:
    """(float64 results, per-element sigma of the perturbed reruns) of run() -> {name: tensor}."""
    exact = {k: v.double() for k, v in run().items()}
    gen = torch.Generator().manual_seed(seed)
    sq = {k: torch.zeros_like(v) for k, v in exact.items()}
    for _ in range(samples):
        with RoundingNoise(gen):
            noisy = run()
        for k, v in noisy.items():
            sq[k] += (v.double() - exact[k]) ** 2
    return exact, {k: (v / samples).sqrt() for k, v in sq.items()}


def worst_ratio(got: dict, exact: dict, sigma: dict) -> tuple[float, str]:
    """max |got - exact| / (LAMBDA sigma) over every element that has a nonzero bound."""
    worst, where = 0.0, ""
    for k in exact:
        diff = (got[k].double() - exact[k]).abs()
        bound = LAMBDA * sigma[k]
        if bool(((bound == 0) & (diff > 0)).any()):
            return math.inf, f"{k} (differs where the bound is 0)"
        ratio = float((diff / bound.clamp(min=1e-300)).max())
        if ratio > worst:
            worst, where = ratio, k
    return worst, where


def write(out: Path, name: str, exact: dict, sigma: dict, info: dict) -> None:
    tensors = {}
    for k in exact:
        tensors[f"{k}.f64"] = exact[k].contiguous()
        tensors[f"{k}.sigma"] = sigma[k].float().contiguous()
    safetensors.torch.save_file(tensors, str(out / "reference" / f"{name}.bounds.safetensors"),
                                metadata={"format": "pt"})
    info = {"producer": "tools/make_error_bounds.py", "reference": name, "samples": SAMPLES,
            "lambda": LAMBDA, "unit_roundoff": U, "versions": mr.versions(),
            "rule": "|fp32 result - <tensor>.f64| <= lambda * <tensor>.sigma, per element",
            **info}
    mr.write_json(out / "reference" / f"{name}.bounds.json", info)
    print(f"  {name:28s} " + " ".join(f"{k}={v}" for k, v in info.get("checks", {}).items()))


def checked(name: str, checks: dict) -> dict:
    """Independent fp32 implementations must satisfy the bound (ratio <= 1)."""
    for what, (ratio, where) in checks.items():
        if ratio > 1:
            raise SystemExit(f"{name}: {what} exceeds the bound ({ratio:.3g} at {where})")
    return {what: f"{ratio:.4f} ({where})" for what, (ratio, where) in checks.items()}


# ----------------------------------------------------------------------------------------------
# Forward references (tools/make_reference.py's tensors)


def forward_bounds(out: Path, name: str, kind: str, texts: list[str], seed: int,
                   max_length: int | None, directory: Path, unpadded: bool) -> None:
    batch = mr.tokenize(directory, texts, max_length)
    model64 = mr.load(directory, kind, "eager", dtype=torch.float64)

    def outputs(model, b, with_unpadded):
        result = {k: v for k, v in forward_double(model, b, kind).items()}
        if with_unpadded:
            rows = [forward_double(model, mr.tokenize(directory, [s], max_length), kind)["logits"][0]
                    for s in texts]
            result["logits_unpadded"] = torch.stack(rows)
        return result

    exact, sigma = spread(lambda: outputs(model64, batch, unpadded), SAMPLES, seed)
    checks = {}
    for attn in ("eager", "sdpa"):
        model32 = mr.load(directory, kind, attn, dtype=torch.float32)
        checks[f"pytorch_fp32_{attn}"] = worst_ratio(outputs(model32, batch, unpadded), exact,
                                                     sigma)
    write(out, name, exact, sigma, {"inputs": "the reference's own batch (same texts and "
                                    "tokenizer)", "checks": checked(name, checks)})


@torch.inference_mode()
def forward_double(model, batch, kind: str) -> dict:
    """make_reference.forward's tensors, without its cast to float32."""
    o = model(**mr.model_inputs(model, batch), output_hidden_states=True)
    result = {"last_hidden_state": o.hidden_states[-1]}
    if kind == "cls":
        result["logits"] = o.logits
    if kind == "base" and getattr(o, "pooler_output", None) is not None:
        result["pooler_output"] = o.pooler_output
    elif kind == "cls" and getattr(getattr(model, "bert", None), "pooler", None) is not None:
        result["pooler_output"] = model.bert(**mr.model_inputs(model, batch)).pooler_output
    return result


# ----------------------------------------------------------------------------------------------
# Training references (tools/make_training_reference.py's step 0 and trajectories)


def step0_bounds(out: Path, shared: Path, model_name: str, seed: int,
                 extra: dict | None = None) -> None:
    directory = out / model_name
    rows = mt.read_examples(shared / "data/emotion/train.txt", mt.STEP0_EXAMPLES)
    label2id = mt.transformers.AutoConfig.from_pretrained(str(directory)).label2id
    batch = mt.Encoded(directory, rows, label2id).batch(list(range(mt.STEP0_EXAMPLES)))
    batch_step0_bounds(out, f"train_step0_{model_name}", directory, batch, seed,
                       "the reference's batch (make_training_reference.py, step 0)", extra)


def batch_step0_bounds(out: Path, name: str, directory: Path, batch: dict, seed: int,
                       inputs: str, extra: dict | None = None) -> None:
    """Bounds of reference/<name> (make_training_reference.write_step0's tensors) on `batch`.

    inputs: what the .json says the batch is; extra: more .json keys (other drivers).
    """

    def run(dtype=torch.float64):
        # make_training_reference.step0 without its check that the model's own loss is the
        # same tensor (two rounded computations of one value differ under the noise).
        model = mt.load_model(directory, dtype)
        model.zero_grad(set_to_none=True)
        logits = model(**mt.model_inputs(model, batch)).logits
        loss = mt.F.cross_entropy(logits, batch["labels"])
        loss.backward()
        result = {"logits": logits.detach(), "loss": loss.detach().reshape(1)}
        result.update({f"grad.{n}": p.grad for n, p in model.named_parameters()})
        return result

    exact, sigma = spread(run, SAMPLES, seed)
    checks = {"pytorch_fp32_eager": worst_ratio(run(torch.float32), exact, sigma)}
    model_name = directory.name
    write(out, name, exact, sigma,
          {"inputs": inputs, "checks": checked(model_name, checks), **(extra or {})})


def trajectory_bounds(out: Path, shared: Path, run_spec, seed: int,
                      extra: dict | None = None) -> None:
    directory = out / run_spec.model
    rows = mt.read_examples(shared / "data/emotion/train.txt", run_spec.limit)

    def run(dtype=torch.float64, attn="eager"):
        result = mt.train(directory, rows, run_spec, dtype, attn)
        values = {"loss": torch.tensor([r["loss"] for r in result["records"]], dtype=torch.float64),
                  "grad_norm": torch.tensor([r["grad_norm"] for r in result["records"]],
                                            dtype=torch.float64),
                  # a count of argmaxes: sigma 0 (no rerun flipped one) makes the tests exact
                  "accuracy": torch.tensor([r["accuracy"] for r in result["records"]],
                                           dtype=torch.float64)}
        values.update({f"final.{k}": v for k, v in result["final"].items()})
        return values

    exact, sigma = spread(run, SAMPLES, seed)
    checks = {"pytorch_fp32_eager": worst_ratio(run(torch.float32), exact, sigma),
              "pytorch_fp32_sdpa": worst_ratio(run(torch.float32, "sdpa"), exact, sigma)}
    write(out, f"train_traj_{run_spec.name}", exact, sigma,
          {"inputs": f"run {run_spec.name} of make_training_reference.py",
           "note": "loss: the logged mean loss of each step (before its update); final.<key>: "
                   "every parameter after the last step",
           "checks": checked(run_spec.name, checks), **(extra or {})})


# The run of tests/distributed/distributed_test.cpp: `finetune train --model tiny-bert --limit 44
# --epochs 2 --lr 1e-3 --batch-size 8 --dropout 0 --no-shuffle --max-length 32 --validation
# validation.txt` with
# the defaults (AdamW, weight decay 0, linear schedule without warm-up, no clipping). Its one- and
# two-process runs, with and without accumulation or a resume, must each lie within the bound.
DISTRIBUTED_RUN = mt.Run(name="D", model="tiny-bert", limit=44, batch_size=8, epochs=2,
                         optimizer="adamw", lr=1e-3, schedule="linear")


def distributed_bounds(out: Path, shared: Path, seed: int) -> None:
    directory = out / DISTRIBUTED_RUN.model
    rows = mt.read_examples(shared / "data/emotion/train.txt", DISTRIBUTED_RUN.limit)
    # --limit applies to the validation file as well.
    validation = mt.read_examples(shared / "data/emotion/validation.txt", DISTRIBUTED_RUN.limit)
    label2id = mt.transformers.AutoConfig.from_pretrained(str(directory)).label2id
    # Validation as finetune evaluates it: truncated to --max-length like the training examples.
    tokenizer = mt.transformers.AutoTokenizer.from_pretrained(str(directory))
    ids = tokenizer([t for t, _ in validation], truncation=True,
                    max_length=mt.MAX_LENGTH)["input_ids"]
    labels = torch.tensor([label2id[n] for _, n in validation])

    def evaluate(model, epoch):
        model.eval()
        losses, correct = [], 0
        with torch.no_grad():
            for start in range(0, len(ids), 64):
                chunk = ids[start:start + 64]
                width = max(len(r) for r in chunk)
                x = torch.full((len(chunk), width), tokenizer.pad_token_id, dtype=torch.int64)
                mask = torch.zeros_like(x)
                for row, r in enumerate(chunk):
                    x[row, :len(r)] = torch.tensor(r)
                    mask[row, :len(r)] = 1
                logits = model(input_ids=x, attention_mask=mask,
                               token_type_ids=torch.zeros_like(x)).logits
                y = labels[start:start + len(chunk)]
                losses.append(mt.F.cross_entropy(logits, y, reduction="none"))
                correct += int((logits.argmax(-1) == y).sum())
        model.train()
        return {"val_loss": torch.cat(losses).mean(), "val_accuracy": correct / len(ids)}

    def run(dtype=torch.float64):
        result = mt.train(directory, rows, DISTRIBUTED_RUN, dtype, on_epoch_end=evaluate)
        r = result["records"]
        values = {"loss": torch.tensor([x["loss"] for x in r], dtype=torch.float64),
                  "accuracy": torch.tensor([x["accuracy"] for x in r], dtype=torch.float64),
                  "val_loss": torch.stack([e["val_loss"].double() for e in result["evaluations"]]),
                  "val_accuracy": torch.tensor([e["val_accuracy"] for e in result["evaluations"]],
                                               dtype=torch.float64)}
        values.update({f"final.{k}": v for k, v in result["final"].items()})
        return values

    exact, sigma = spread(run, SAMPLES, seed)
    checks = {"pytorch_fp32_eager": worst_ratio(run(torch.float32), exact, sigma)}
    write(out, "train_traj_D", exact, sigma,
          {"inputs": "tests/distributed/distributed_test.cpp's run (DISTRIBUTED_RUN above)",
           "finetune_train_args": DISTRIBUTED_RUN.flags("../shared/data/emotion/train.txt"),
           "note": "loss, accuracy: each step's logged values; val_loss, val_accuracy: the "
                   "evaluation after each epoch; final.<key>: every parameter at the end",
           "checks": checked("D", checks)})


# ----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "tests/fixtures")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--minilm", type=Path, default=REPO / "models/all-MiniLM-L6-v2")
    parser.add_argument("--only", nargs="*", help="reference names to (re)write")
    args = parser.parse_args()
    mr.make_deterministic()
    out = args.out.resolve()
    want = (lambda n: not args.only or n in args.only)

    rows = mr.read_emotion(args.shared / "data/emotion/validation.txt")
    texts = [t for _, t, _ in mr.select_texts(rows)]
    forward = [("tiny-distilbert", "cls", True), ("tiny-distilbert-base", "base", False),
               ("tiny-distilbert-mlm", "mlm", False), ("tiny-bert", "cls", True),
               ("tiny-bert-gelu-tanh", "cls", True), ("tiny-bert-base", "base", False),
               ("tiny-bert-mlm", "mlm", False), ("tiny-distilbert-f16", "cls", False),
               ("tiny-bert-bf16", "cls", False)]
    for k, (name, kind, unpadded) in enumerate(forward):
        if want(name):
            forward_bounds(out, name, kind, texts, SEED + k, mr.MAX_LENGTH, out / name, unpadded)
    if want("minilm"):
        if (args.minilm / "model.safetensors").exists():
            by_line = {n: t for n, t, _ in rows}
            minilm_texts = [by_line[n] for n in mr.MINILM_TEXTS_FROM_VALIDATION] + \
                mr.MINILM_EXTRA_TEXTS
            forward_bounds(out, "minilm", "base", minilm_texts, SEED + 100, None, args.minilm,
                           False)
        else:
            print(f"make_error_bounds: {args.minilm} is absent; skipping minilm")
    for k, model_name in enumerate(["tiny-distilbert", "tiny-bert"]):
        if want(f"train_step0_{model_name}"):
            step0_bounds(out, args.shared, model_name, SEED + 200 + k)
    for k, run_spec in enumerate(mt.RUNS):
        if want(f"train_traj_{run_spec.name}"):
            trajectory_bounds(out, args.shared, run_spec, SEED + 300 + k)
    if want("train_traj_D"):
        distributed_bounds(out, args.shared, SEED + 400)
    return 0


if __name__ == "__main__":
    sys.exit(main())
