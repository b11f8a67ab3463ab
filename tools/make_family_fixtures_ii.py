#!/usr/bin/env python3
"""Writes the tiny ModernBERT fixtures and their references (issue 16, model families II).

The same kinds of files as tools/make_family_fixtures.py, made by its code (which in turn calls
make_reference.py, make_training_reference.py and make_error_bounds.py): this script builds the
ModernBERT checkpoints, then points make_family_fixtures' lists (FIXTURES, STEP0_MODELS,
PAIR_STEP0_MODELS, RUNS) and its producer name and bounds seed at its own and runs the same
forward, step-0, trajectory and bounds writers.

| fixture | class | notes |
|---|---|---|
| tiny-modernbert | ModernBertForSequenceClassification | 3 layers, layer_types full/sliding/full, local_attention 8 (window +-4 on inputs of up to 32 tokens), cls pooling, no biases (the class defaults), gelu |
| tiny-modernbert-mean | ModernBertForSequenceClassification | 4 layers, config.json in the legacy hub form (global_attn_every_n_layers 3, global_rope_theta 1000, local_rope_theta 100, no layer_types / rope_parameters), local_attention 6, mean pooling, every bias (attention, mlp, norm, classifier), hidden_activation gelu_new, classifier_activation gelu |
| tiny-modernbert-base | ModernBertModel | tiny-modernbert's encoder; keys without `model.` |
| tiny-modernbert-mlm | ModernBertForMaskedLM | tiny-modernbert's encoder + its own head.{dense,norm} (which a classifier loads) and decoder.bias |

hidden 16, 2 heads (head size 8), intermediate 24, 64 positions; the 6 emotion labels; the
RoBERTa byte-level BPE tokenizer fixture (tests/fixtures/tokenizers/roberta-bpe, pad 1, `<s>` 0,
`</s>` 2): ModernBERT's own tokenizer is a byte-level BPE of the same kind, and the model reads
only ids. Every parameter is redrawn by make_reference.reinit_ from the seeds in SEEDS.

Facts for the C++ implementers (transformers 5.24, modeling_modernbert.py):
  * embeddings: norm(tok_embeddings(ids)) then dropout (embedding_dropout); no positions, no
    token types (token_type_ids are accepted and ignored).
  * layer i: h = x + attn(attn_norm(x)) with attn_norm = Identity in layer 0;
    out = h + mlp(mlp_norm(h)); attn: Wqkv -> view(B, T, 3, NH, HS) (q, k, v blocks of C
    columns), RoPE on q and k (rotate_half convention, inv_freq = theta^(-2i/HS), float32
    angles), softmax(q k^T / sqrt(HS) + mask), Wo, dropout(attention_dropout);
    mlp: input, gate = Wi(x).chunk(2) ; Wo(dropout(act(input) * gate)).
  * local layers (layer_types "sliding_attention"): key j is visible to query i iff
    |i - j| <= local_attention // 2 (create_bidirectional_sliding_window_mask), and the padding
    mask on keys as for the global layers.
  * final_norm after the last layer; hidden_states[-1] of the outputs IS last_hidden_state (after
    final_norm); hidden_states.i for i < L are the embeddings (0) and the layer outputs before it.
  * head: x = h[:, 0] (cls) or sum(h * mask) / sum(mask) (mean), then head.dense (bias:
    classifier_bias) -> ACT2FN[classifier_activation] -> head.norm, dropout(classifier_dropout),
    classifier (always biased).
  * the HF Trainer does not decay any *norm* weight (its get_decay_parameter_names patterns
    catch embeddings.norm, attn_norm, mlp_norm, final_norm and head.norm);
    make_training_reference.decays now spells the same rule and asserts it against the Trainer.

Usage:  python tools/make_family_fixtures_ii.py [--out tests/fixtures] [--shared ../shared]
                                                [--no-bounds] [--only-bounds NAME...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import torch
import transformers

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_family_fixtures as mf  # noqa: E402  (checkpoint saving, references, bounds)
import make_reference as mr  # noqa: E402
import make_training_reference as mt  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PRODUCER = "tools/make_family_fixtures_ii.py"
TOKENIZER = "roberta-bpe"

SEEDS = {
    "modernbert_weights": 6101,
    "modernbert_mean_weights": 6102,
    "modernbert_base_draw": 6103,
    "modernbert_mlm_head": 6104,
}
# make_family_fixtures.py's bounds seeds run from its BOUNDS_SEED to + 400; these start above.
BOUNDS_SEED = mf.BOUNDS_SEED + 1000

# The legacy (pre transformers 5) spelling of tiny-modernbert-mean's attention pattern and bases.
LEGACY_MEAN_KEYS = {"global_attn_every_n_layers": 3, "global_rope_theta": 1000.0,
                    "local_rope_theta": 100.0}


def modernbert_config(labels: bool, **extra) -> transformers.ModernBertConfig:
    return transformers.ModernBertConfig(
        vocab_size=mf.vocab_size(OUT, TOKENIZER), hidden_size=16, intermediate_size=24,
        num_attention_heads=2, max_position_embeddings=64, pad_token_id=1, bos_token_id=0,
        eos_token_id=2, cls_token_id=0, sep_token_id=2,
        **(mr.label_kwargs() if labels else {}), **extra)


def tiny_config(labels: bool) -> transformers.ModernBertConfig:
    return modernbert_config(labels, num_hidden_layers=3, local_attention=8,
                             layer_types=["full_attention", "sliding_attention",
                                          "full_attention"])


def mean_config() -> transformers.ModernBertConfig:
    return modernbert_config(
        True, num_hidden_layers=4, local_attention=6, classifier_pooling="mean",
        attention_bias=True, mlp_bias=True, norm_bias=True, classifier_bias=True,
        hidden_activation="gelu_new", classifier_activation="gelu", embedding_dropout=0.1,
        attention_dropout=0.1, mlp_dropout=0.1, classifier_dropout=0.1,
        global_attn_every_n_layers=LEGACY_MEAN_KEYS["global_attn_every_n_layers"],
        global_rope_theta=LEGACY_MEAN_KEYS["global_rope_theta"],
        local_rope_theta=LEGACY_MEAN_KEYS["local_rope_theta"])


def write_legacy_config(directory: Path, expected: transformers.ModernBertConfig) -> None:
    """Rewrites config.json with the pattern and the bases in their legacy keys, as hub
    checkpoints such as answerdotai/ModernBERT-base have them, and checks that transformers
    reads it back to the same layer types and RoPE bases."""
    path = directory / "config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    config.pop("layer_types")
    config.pop("rope_parameters")
    config.update(LEGACY_MEAN_KEYS)
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    back = transformers.AutoConfig.from_pretrained(str(directory))
    assert back.layer_types == expected.layer_types, back.layer_types
    assert back.rope_parameters == expected.rope_parameters, back.rope_parameters
    assert back.layer_types == ["full_attention", "sliding_attention", "sliding_attention",
                                "full_attention"]


def build_checkpoints(out: Path) -> None:
    cls = transformers.ModernBertForSequenceClassification(tiny_config(True))
    mr.reinit_(cls, SEEDS["modernbert_weights"])
    mf.save(cls, out, "tiny-modernbert", TOKENIZER)

    mean = transformers.ModernBertForSequenceClassification(mean_config())
    mr.reinit_(mean, SEEDS["modernbert_mean_weights"])
    mf.save(mean, out, "tiny-modernbert-mean", TOKENIZER)
    write_legacy_config(out / "tiny-modernbert-mean", mean.config)

    base = transformers.ModernBertModel(tiny_config(False))
    mr.reinit_(base, SEEDS["modernbert_base_draw"])
    mf.load_encoder(base, cls.model)
    mf.save(base, out, "tiny-modernbert-base", TOKENIZER)

    mlm = transformers.ModernBertForMaskedLM(tiny_config(False))
    mr.reinit_(mlm, SEEDS["modernbert_mlm_head"])
    mf.load_encoder(mlm.model, cls.model)
    mf.save(mlm, out, "tiny-modernbert-mlm", TOKENIZER)


CLS_NOTE = ("Classification model in eval mode. hidden_states.0 = the embeddings' output, "
            "hidden_states.i = output of layer i before final_norm; last_hidden_state = after "
            "final_norm (transformers' hidden_states[-1]). logits_unpadded[i] = logits of text i "
            "alone. pair_*: the sentence pairs through the tokenizer's pair template, truncated "
            "longest_first to max_length.")
FIXTURES = [
    mf.Fixture("tiny-modernbert", "cls", TOKENIZER, {"weights": SEEDS["modernbert_weights"]},
               CLS_NOTE + " cls pooling, window +-4, no biases.", pairs=True, layers=True,
               unpadded=True),
    mf.Fixture("tiny-modernbert-mean", "cls", TOKENIZER,
               {"weights": SEEDS["modernbert_mean_weights"]},
               CLS_NOTE + " mean pooling, window +-3, every bias, legacy config keys.",
               pairs=True, layers=True, unpadded=True),
    mf.Fixture("tiny-modernbert-base", "base", TOKENIZER,
               {"weights": SEEDS["modernbert_weights"]},
               "ModernBertModel with tiny-modernbert's encoder (keys without 'model.'): compare "
               "last_hidden_state.", bounds_of="tiny-modernbert"),
    mf.Fixture("tiny-modernbert-mlm", "mlm", TOKENIZER,
               {"weights": SEEDS["modernbert_weights"], "mlm_head": SEEDS["modernbert_mlm_head"]},
               "ModernBertForMaskedLM with tiny-modernbert's encoder (head and decoder drawn "
               "from their own seed): compare last_hidden_state.", bounds_of="tiny-modernbert"),
]

STEP0_MODELS = ["tiny-modernbert", "tiny-modernbert-mean"]
PAIR_STEP0_MODELS = ["tiny-modernbert"]
RUNS = [
    # As run A of make_training_reference (AdamW, linear warm-up, clipping): 16 steps.
    mt.Run(name="tiny-modernbert", model="tiny-modernbert", limit=32, batch_size=4, epochs=2,
           optimizer="adamw", lr=1e-3, weight_decay=0.01, schedule="linear", warmup_steps=3,
           max_grad_norm=1.0),
    # Batch 8, constant schedule: 16 steps.
    mt.Run(name="tiny-modernbert-mean", model="tiny-modernbert-mean", limit=32, batch_size=8,
           epochs=4, optimizer="adamw", lr=5e-4, weight_decay=0.05, schedule="constant",
           warmup_steps=2),
]

OUT = REPO / "tests/fixtures"


# transformers' eager ModernBERT attention takes its softmax in float32 whatever the input dtype.
# A float64 model (the error bounds, the float64 step 0) then turns the mask's
# finfo(float64).min into -inf on rows that see no key at all (padded queries outside every real
# token's window) and returns NaN there, which the values of those padding rows carry into the
# next layer. This does the same products with the softmax in the input's dtype: in float32 it is
# the same computation (install_eager_attention checks that bit for bit), in float64 such a row
# is uniform, as it is in float32.
def eager_attention_in_input_dtype(module, query, key, value, attention_mask, scaling,
                                   dropout=0.0, **kwargs):
    scores = torch.matmul(query, key.transpose(2, 3)) * scaling
    if attention_mask is not None:
        scores = scores + attention_mask
    probs = torch.softmax(scores, dim=-1)
    probs = torch.nn.functional.dropout(probs, p=dropout, training=module.training)
    return torch.matmul(probs, value).transpose(1, 2).contiguous(), probs


def install_eager_attention(out: Path) -> None:
    from transformers.models.modernbert import modeling_modernbert
    texts = [t for _, t, _ in mr.select_texts(mr.read_emotion(
        REPO.parent / "shared/data/emotion/validation.txt"))]
    directory = out / "tiny-modernbert"
    batch = mr.tokenize(directory, texts, mf.MAX_LENGTH)
    before = mr.forward(mr.load(directory, "cls", "eager"), batch, "cls", True)
    modeling_modernbert.eager_attention_forward = eager_attention_in_input_dtype
    after = mr.forward(mr.load(directory, "cls", "eager"), batch, "cls", True)
    assert all(torch.equal(before[k], after[k]) for k in before), "float32 eager changed"

# SDPA and eager attention disagree on one kind of row: a padded query whose window holds only
# padding (e.g. position 30 of a 10-token text, window +-4). Eager adds finfo.min to every score
# of that row and its softmax is uniform over all T keys; SDPA's boolean mask leaves such a row
# with nothing to attend to. Those rows are padding: no real token and no logit reads them. The
# references keep eager's values (finetune's attention computes the same uniform row,
# kernels/ref/attention_math.h), and the eager-vs-SDPA comparisons below cover the real tokens.
_MASKS: dict[str, torch.Tensor] = {}
_original_outputs = mf.outputs


def outputs_recording_masks(model, fx, batch, pair_batch, texts, directory):
    _MASKS["batch"] = batch["attention_mask"]
    _MASKS["pair"] = pair_batch["attention_mask"] if pair_batch is not None else None
    return _original_outputs(model, fx, batch, pair_batch, texts, directory)


def real_tokens_only(got: dict, reference: dict) -> dict:
    """got with its padded positions of every [B, T, C] tensor replaced by reference's."""
    result = dict(got)
    for key, value in got.items():
        if value.dim() != 3:
            continue
        mask = _MASKS["pair" if key.startswith("pair_") else "batch"][..., None].bool()
        result[key] = torch.where(mask, value.to(reference[key].dtype), reference[key])
    return result


_original_compare = mr.compare_attention


def compare_real_tokens(name: str, eager: dict, sdpa: dict) -> tuple[float, float]:
    return _original_compare(name, eager, real_tokens_only(sdpa, eager))


def forward_bounds(out: Path, fx: mf.Fixture, texts: list[str], pairs, seed: int) -> None:
    """make_family_fixtures.forward_bounds with the SDPA check on real tokens only."""
    directory = out / fx.name
    for key, batch in (("batch", mr.tokenize(directory, texts, mf.MAX_LENGTH)),
                       ("pair", mf.tokenize_pairs(directory, [(r["sentence1"], r["sentence2"])
                                                              for _, r in pairs], mf.MAX_LENGTH))):
        _MASKS[key] = batch["attention_mask"]
    mf.forward_bounds(out, fx, texts, pairs, seed, sdpa_view=real_tokens_only,
                      sdpa_check="pytorch_fp32_sdpa_real_tokens")


def use_these_lists() -> None:
    """make_family_fixtures' writers read its module-level lists and names."""
    mf.PRODUCER = PRODUCER
    mf.FIXTURES = FIXTURES
    mf.STEP0_MODELS = STEP0_MODELS
    mf.PAIR_STEP0_MODELS = PAIR_STEP0_MODELS
    mf.RUNS = RUNS
    mf.BOUNDS_SEED = BOUNDS_SEED
    mf.outputs = outputs_recording_masks
    mr.compare_attention = compare_real_tokens


def main() -> int:
    global OUT
    # ModernBertModel computes its rotary tables in the order of set(layer_types), a string set
    # whose order follows Python's per-process hash seed; the Monte Carlo bounds draw their
    # noise in the order of the operations, so without a fixed seed a rerun draws the same
    # noise for different operations (equally valid bounds, different bytes).
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, [sys.executable, *sys.argv],
                  {**os.environ, "PYTHONHASHSEED": "0"})
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "tests/fixtures")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--no-bounds", action="store_true")
    parser.add_argument("--only-bounds", nargs="*", metavar="NAME")
    args = parser.parse_args()
    mr.make_deterministic()
    torch.manual_seed(mt.TORCH_SEED)
    OUT = args.out.resolve()
    (OUT / "reference").mkdir(parents=True, exist_ok=True)
    use_these_lists()

    texts = mr.select_texts(mr.read_emotion(args.shared / "data/emotion/validation.txt"))
    pairs = mf.select_pairs(mf.read_pairs(args.shared / "data/emotion-pairs/validation.jsonl"))
    if args.only_bounds is None:
        build_checkpoints(OUT)
    install_eager_attention(OUT)
    if args.only_bounds is None:
        for fx in FIXTURES:
            info = mf.make_forward_reference(OUT, fx, texts, pairs)
            print(f"  {fx.name:28s} eager-sdpa {info['eager_vs_sdpa_max_abs_diff']!s:9s} "
                  + " ".join(f"{k}={v}" for k, v in info["summary"].items()))
        mf.make_training(OUT, args.shared)
    if args.no_bounds:
        return 0
    want = (lambda n: not args.only_bounds or n in args.only_bounds)
    strings = [t for _, t, _ in texts]
    for k, fx in enumerate(FIXTURES):
        if not fx.bounds_of and want(fx.name):
            forward_bounds(OUT, fx, strings, pairs, BOUNDS_SEED + k)
            mf.bf16_sigma(OUT, fx.name)
    mf.training_bounds(OUT, args.shared, want)
    return 0


if __name__ == "__main__":
    sys.exit(main())
