#!/usr/bin/env python3
"""Checks that a checkpoint written by `finetune train --output DIR` round-trips through
`transformers`: PyTorch loads it cleanly and predicts what `finetune predict` predicts.

DESIGN.md promises that `train` writes a Hugging Face model directory that `transformers`
loads back. This script is the proof for one directory:

  1. load DIR with AutoTokenizer + AutoModelForSequenceClassification (fp32, eval mode, eager
     attention); any missing, unexpected or mismatched key is a failure (transformers would
     otherwise fill the gap with random weights and the comparison would be meaningless);
  2. run every text of --input through it in batches of --batch-size, each batch padded to its
     own longest text (as `finetune predict` does), softmax -> probabilities;
  3. run `finetune predict --json --model DIR --input <the same texts>` and compare, line by
     line, the predicted label names and the probabilities.

Tolerance: fails (exit status 1) when the largest |p_pytorch - p_finetune| over all lines
and labels exceeds --tolerance (default 1e-4), or when any predicted label differs.
Both sides compute in fp32 but sum in different orders (BLAS/OpenMP vs PyTorch's kernels), so
logits differ by rounding only, and `--json` prints about 8 significant digits. Measured on
the tiny fixtures (random weights with deliberately large logits): at most 5.6e-6 over the
2,000 validation texts. 1e-4 leaves more than 10x margin for that rounding (deeper models add
a little), while real defects are far larger: shifting one classifier bias by 0.01 alone moves
probabilities by 2.5e-3, and a tensor saved under the wrong key, transposed, left at its
initial value or rounded to bf16, or a wrong id2label order moves them by 1e-2 or more, or
swaps labels. A label mismatch is always
reported as a failure; when PyTorch's top two probabilities are within 2 * tolerance (a near
tie, where rounding may legitimately pick the other one), the report says so.

`text;label` files (the emotion splits) can be checked as they are (the label suffix is then
part of the text on both sides) or with --strip-labels (text before the last ';'). --limit N
uses the first N lines. The selected texts are written to a temporary file that both sides
read, so they always see the same input.

Exit status: 0 equal within tolerance, 1 a difference, 2 could not compare (finetune failed,
DIR does not load, output unreadable).

Usage:  python tools/check_checkpoint.py --model DIR --input FILE [--finetune build/finetune]
            [--limit N] [--strip-labels] [--batch-size 32] [--max-length N] [--tolerance 1e-4]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import transformers

REPO = Path(__file__).resolve().parent.parent


def read_texts(path: Path, limit: int | None, strip_labels: bool) -> list[str]:
    """Lines split on "\\n" only, as `finetune predict` reads them."""
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last line
    if limit:
        lines = lines[:limit]
    if strip_labels:
        lines = [line.rpartition(";")[0] if ";" in line else line for line in lines]
    return lines


def load_pytorch(directory: Path):
    """Tokenizer and model of DIR; raises on any key the checkpoint and the class disagree on."""
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(directory))
    model, info = transformers.AutoModelForSequenceClassification.from_pretrained(
        str(directory), dtype=torch.float32, attn_implementation="eager",
        output_loading_info=True)
    problems = {k: sorted(map(str, v)) for k, v in info.items() if v}
    if problems:
        raise RuntimeError(f"transformers does not load {directory} cleanly: {problems}")
    return tokenizer, model.eval()


@torch.inference_mode()
def pytorch_probs(tokenizer, model, texts: list[str], batch_size: int,
                  max_length: int) -> torch.Tensor:
    """[N, K] softmax probabilities, batch by batch, each padded to its own longest text."""
    rows = []
    for start in range(0, len(texts), batch_size):
        enc = tokenizer(texts[start : start + batch_size], padding=True, truncation=True,
                        max_length=max_length, return_tensors="pt")
        rows.append(torch.softmax(model(**enc).logits.float(), dim=-1))
    return torch.cat(rows)


def finetune_predict(binary: Path, directory: Path, input_file: Path, batch_size: int,
                     max_length: int) -> tuple[list[dict], float]:
    """Parsed `finetune predict --json` lines and the seconds it took."""
    cmd = [str(binary), "predict", "--json", "--model", str(directory), "--input",
           str(input_file), "--batch-size", str(batch_size), "--max-length", str(max_length)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8")
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}:\n{proc.stderr}")
    lines = proc.stdout.splitlines()
    return [json.loads(line) for line in lines if line.strip()], seconds


def usable_positions(config) -> int:
    """The longest input the position table serves: max_position_embeddings, less pad + 1 for
    the RoBERTa family, whose position ids start at pad_token_id + 1
    (create_position_ids_from_input_ids; roberta-base: 514 rows for 512 tokens)."""
    if config.model_type in ("roberta", "xlm-roberta", "camembert"):
        return config.max_position_embeddings - config.pad_token_id - 1
    return config.max_position_embeddings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True,
                        help="directory written by `finetune train --output DIR`")
    parser.add_argument("--input", type=Path, required=True, help="UTF-8 texts, one per line")
    parser.add_argument("--finetune", type=Path, default=REPO / "build/finetune",
                        help="the finetune binary (default: build/finetune)")
    parser.add_argument("--limit", type=int, default=None, help="use the first N lines only")
    parser.add_argument("--strip-labels", action="store_true",
                        help="drop a trailing ';label' (text before the last ';')")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=None,
                        help="truncate to N tokens (default: every position the model has, "
                             "as finetune predict does; see usable_positions)")
    parser.add_argument("--tolerance", type=float, default=1e-4,
                        help="largest allowed |probability difference| (see the docstring)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()

    texts = read_texts(args.input, args.limit, args.strip_labels)
    if not texts:
        print("check_checkpoint: no input lines", file=sys.stderr)
        return 2
    try:
        tokenizer, model = load_pytorch(args.model)
        id2label = {int(i): name for i, name in model.config.id2label.items()}
        max_length = args.max_length or usable_positions(model.config)
        start = time.perf_counter()
        ref = pytorch_probs(tokenizer, model, texts, args.batch_size, max_length)
        torch_seconds = time.perf_counter() - start
        with tempfile.TemporaryDirectory() as tmp:
            input_file = Path(tmp) / "texts.txt"
            input_file.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
            got, finetune_seconds = finetune_predict(args.finetune, args.model, input_file,
                                                     args.batch_size, max_length)
    except (OSError, RuntimeError, ValueError) as e:  # ValueError: also bad JSON
        print(f"check_checkpoint: cannot compare: {e}", file=sys.stderr)
        return 2
    if len(got) != len(texts):
        print(f"check_checkpoint: finetune printed {len(got)} lines for {len(texts)} texts",
              file=sys.stderr)
        return 2
    num_labels = ref.shape[1]
    if any(len(g["probs"]) != num_labels for g in got):
        print(f"check_checkpoint: finetune's probability rows are not all {num_labels} long",
              file=sys.stderr)
        return 1

    probs = torch.tensor([g["probs"] for g in got], dtype=torch.float64)
    diff = (probs - ref.double()).abs()
    worst_line = int(diff.max(dim=1).values.argmax())
    max_diff = float(diff.max())
    top2 = ref.topk(min(2, num_labels), dim=1).values
    mismatches = []
    for i, g in enumerate(got):
        expected = id2label[int(ref[i].argmax())]
        if g["label"] != expected:
            gap = float(top2[i, 0] - top2[i, -1])
            mismatches.append((i, expected, g["label"], gap))

    print(f"check_checkpoint: {args.model}  ({type(model).__name__}, {num_labels} labels, "
          f"{len(texts)} texts, batch {args.batch_size}, max_length {max_length})")
    print("  transformers loads it cleanly: no missing/unexpected/mismatched keys")
    print(f"  pytorch {torch_seconds:.2f}s, finetune predict {finetune_seconds:.2f}s")
    print(f"  max |prob diff| {max_diff:.3g} (line {worst_line + 1}), tolerance "
          f"{args.tolerance:g}; mean {float(diff.mean()):.3g}")
    print(f"  labels: {len(texts) - len(mismatches)}/{len(texts)} equal")
    for i, expected, label, gap in mismatches[:10]:
        tie = " (near tie)" if gap <= 2 * args.tolerance else ""
        print(f"    line {i + 1}: pytorch {expected}, finetune {label}, pytorch top-2 gap "
              f"{gap:.3g}{tie}")
    ok = max_diff <= args.tolerance and not mismatches
    print("  PASS" if ok else "  FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
