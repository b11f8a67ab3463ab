#!/usr/bin/env python3
"""Writes the tiny RoBERTa, XLM-RoBERTa, CamemBERT and ELECTRA fixtures and their references.

The parity tests of those families (issue 15) compare finetune with PyTorch + `transformers` on
tiny random checkpoints that `transformers` itself writes from configs. This script makes them
in the way tools/make_reference.py, tools/make_training_reference.py and
tools/make_error_bounds.py make the BERT and DistilBERT ones, by importing and calling their
code (the init rule, tokenization, forward, step 0, trajectories, Monte Carlo bounds):

  tests/fixtures/<name>/              config.json + model.safetensors (save_pretrained) and the
                                      tokenizer files copied byte for byte from a tokenizer
                                      fixture (tests/fixtures/tokenizers/<t>/ or tiny-bert/)
  tests/fixtures/reference/<name>.{json,safetensors}
                                      forward references: the 16 emotion texts of
                                      make_reference.py (+ 8 sentence pairs for the classifiers)
  tests/fixtures/reference/train_step0_<name>.{json,safetensors}
                                      step-0 loss and every gradient (train.txt's first 8 lines;
                                      the -pairs ones: emotion-pairs' first 8 rows)
  tests/fixtures/reference/train_traj_<name>.json + _final.safetensors
                                      16 AdamW steps of `finetune train` (finetune_train_args)
  tests/fixtures/reference/<any of the above>.bounds.{json,safetensors}
                                      float64 values and per-element sigma (make_error_bounds.py),
                                      sigma rounded up to BF16 (bf16_sigma); none for
                                      tiny-roberta-mlm and tiny-electra-discriminator (their one
                                      tensor, last_hidden_state, is tiny-roberta's / tiny-electra's,
                                      bitwise); the 4000-row word embeddings of the tiny-roberta
                                      and tiny-xlm-roberta trajectories only in the rows their
                                      texts use + 64 unused rows (trajectory_bounds)

| fixture | class | tokenizer | H | heads | I | notes |
|---|---|---|---|---|---|---|
| tiny-roberta | RobertaForSequenceClassification | roberta-bpe | 16 | 2 | 24 | 34 positions (32 usable), eps 1e-5 |
| tiny-roberta-base | RobertaModel | roberta-bpe | | | | tiny-roberta's encoder + a pooler; keys without `roberta.` |
| tiny-roberta-mlm | RobertaForMaskedLM | roberta-bpe | | | | tiny-roberta's encoder + lm_head.* |
| tiny-xlm-roberta | XLMRobertaForSequenceClassification | xlmr-unigram | 16 | 2 | 22 | |
| tiny-camembert | CamembertForSequenceClassification | camembert-spm | 16 | 4 | 20 | `<s>`=5 `</s>`=6 |
| tiny-electra | ElectraForSequenceClassification | tiny-bert's WordPiece | 16 | 2 | 24 | embedding_size 8: embeddings_project |
| tiny-electra-same-width | ElectraForSequenceClassification | tiny-bert's WordPiece | 16 | 4 | 24 | embedding_size 16: no embeddings_project; hidden_act gelu_new |
| tiny-electra-discriminator | ElectraForPreTraining | tiny-bert's WordPiece | | | | tiny-electra's encoder + discriminator_predictions.* |

2 layers each; classifiers have the 6 emotion labels (id2label/label2id as the BERT fixtures);
vocab_size = len(AutoTokenizer) of the tokenizer fixture (4000, 4002, 4005, 415). Every
parameter is redrawn by make_reference.reinit_ (matrices and embeddings N(0, 0.3), LayerNorm
weights 1 + N(0, 0.1), biases N(0, 0.1)) from the seeds in SEEDS; derived checkpoints copy the
classifier's encoder and draw only their own head.

Facts for the C++ implementers (transformers 5.24, read from its modeling code and checked by
the references):

RoBERTa, XLM-RoBERTa and CamemBERT run the same code (RobertaEmbeddings, the BERT post-LN layer,
RobertaClassificationHead); only model_type, the class names and the tokenizer differ.
  * position ids: create_position_ids_from_input_ids(input_ids, padding_idx = pad_token_id):
    mask = (input_ids != pad).int(); position_ids = cumsum(mask, dim=1) * mask + pad. Real
    tokens get pad+1, pad+2, ... (2, 3, ... with pad 1), every pad token gets `pad`. It is
    computed from input_ids, NOT from attention_mask. The table has max_position_embeddings =
    usable length + pad + 1 rows (34 here for 32 tokens; 514 in roberta-base for 512). The
    references store the ids as `position_ids` / `pair_position_ids`.
  * a single token type (type_vocab_size 1): token_type_embeddings row 0 is added to every
    token. embeddings = LayerNorm((word + token_type) + position), eps = config.layer_norm_eps
    (1e-5 here and in the hub checkpoints; the class default is 1e-12).
  * word_embeddings and position_embeddings are nn.Embedding(..., padding_idx=pad): the forward
    uses their row `pad` (pad tokens look up word row 1 and position row 1, nonzero in these
    fixtures since everything was redrawn), but that row never gets a gradient (it is exactly 0
    in train_step0_*), so Adam leaves it alone except for weight decay.
  * classifier (RobertaClassificationHead), no pooler: x = h[:, 0] (<s>); dropout ->
    classifier.dense (H x H) -> tanh -> dropout -> classifier.out_proj (K x H).
  * the tokenizers give no token_type_ids; the references store zeros. Pair template:
    `<s> A </s></s> B </s>` (CamemBERT: ids 5 / 6 for <s> / </s>).
  * RobertaModel saves keys without a prefix (embeddings.*, encoder.*, pooler.dense.*);
    RobertaForMaskedLM saves roberta.* and lm_head.{dense,layer_norm}.* + lm_head.bias, with
    lm_head.decoder.weight tied to the word embeddings and lm_head.decoder.bias to lm_head.bias
    (both absent from the file). Loading either for classification, transformers reports the
    fresh classifier.* as missing and pooler.* / lm_head.* as unexpected (recorded in the .json
    as loading_as_classifier).
ELECTRA:
  * embeddings of width embedding_size E: word (V x E), position (P x E, absolute positions
    0..T-1), token_type (2 x E, from the tokenizer's type ids), LayerNorm(E); then, only when
    E != H, electra.embeddings_project (Linear E -> H). hidden_states.0 in the references is
    after the projection (the encoder's input). word_embeddings has padding_idx = pad (0): row 0
    gets no gradient; the position table has no padding_idx.
  * classifier (ElectraClassificationHead) on token 0: dropout -> classifier.dense (H x H) ->
    GELU -> dropout -> classifier.out_proj. The GELU is get_activation("gelu"), the exact erf
    form, whatever config.hidden_act says: tiny-electra-same-width uses hidden_act gelu_new in
    the encoder so that a head following hidden_act fails its test.
  * ElectraForPreTraining (discriminator) keys: electra.* + discriminator_predictions.dense.*
    (activation config.hidden_act) and discriminator_predictions.dense_prediction.* (H -> 1);
    for classification that head is unexpected and classifier.* missing.
The full key list with shapes of every checkpoint is in its reference .json (checkpoint_keys).

Training references use make_training_reference.py's semantics (dropout 0 in train mode,
dynamic right padding with the tokenizer's pad id, AdamW with the HF Trainer's two parameter
groups, LambdaLR, clipping, foreach=False); `finetune train` takes one text column, so the
trajectories are single texts and the pairs appear in the forward and step-0 references. The
step-0 pair batches take the emotion label of sentence1 (emotion-pairs row i pairs
../shared/data/emotion/train.txt line i with another tweet; its own 0/1 label is not used).

Needs tests/fixtures/tiny-bert/ (make_reference.py) for the ELECTRA tokenizer. Deterministic
(seeds, one thread, deterministic algorithms): a rerun with the same versions on the same
machine rewrites identical bytes. The fp32 references depend on the CPU's kernels in their last
bits (that is why the tests use the bounds); the .bounds.safetensors do not.

Usage:  python tools/make_family_fixtures.py [--out tests/fixtures] [--shared ../shared]
                                             [--no-bounds] [--only-bounds NAME...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import safetensors
import safetensors.torch
import torch
import transformers
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_error_bounds as meb  # noqa: E402  (Monte Carlo bounds)
import make_reference as mr  # noqa: E402  (init rule, tokenize, load, forward, file writing)
import make_training_reference as mt  # noqa: E402  (step 0, trajectories)

REPO = Path(__file__).resolve().parent.parent
PRODUCER = "tools/make_family_fixtures.py"
MAX_LENGTH = mr.MAX_LENGTH   # 32: the usable length of the RoBERTa-like tables
NUM_PAIRS = 8

SEEDS = {
    "roberta_weights": 5101,
    "roberta_base_pooler": 5102,
    "roberta_mlm_head": 5103,
    "xlm_roberta_weights": 5201,
    "camembert_weights": 5301,
    "electra_weights": 5401,
    "electra_same_width_weights": 5402,
    "electra_discriminator_head": 5403,
}
# make_error_bounds.py seeds its own references from SEED + 0..400; these start above.
BOUNDS_SEED = meb.SEED + 1000

# Tokenizer files copied into each checkpoint (all the files of the tokenizer fixture).
TOKENIZER_FILES = {
    "roberta-bpe": ["merges.txt", "tokenizer.json", "tokenizer_config.json", "vocab.json"],
    "xlmr-unigram": ["tokenizer.json", "tokenizer_config.json"],
    "camembert-spm": ["sentencepiece.bpe.model", "tokenizer_config.json"],
    "tiny-bert": ["tokenizer.json", "tokenizer_config.json", "vocab.txt"],
}


def tokenizer_dir(out: Path, tokenizer: str) -> Path:
    return out / "tiny-bert" if tokenizer == "tiny-bert" else out / "tokenizers" / tokenizer


# ----------------------------------------------------------------------------------------------
# Configs and checkpoints


def roberta_like(config_cls, vocab_size: int, hidden: int, heads: int, intermediate: int,
                 bos: int, eos: int, labels: bool, **extra):
    # max_position_embeddings = usable length + pad + 1: positions run pad+1 .. pad+T.
    return config_cls(
        vocab_size=vocab_size, hidden_size=hidden, num_attention_heads=heads,
        intermediate_size=intermediate, num_hidden_layers=2,
        max_position_embeddings=MAX_LENGTH + 2, type_vocab_size=1, layer_norm_eps=1e-5,
        hidden_act="gelu", pad_token_id=1, bos_token_id=bos, eos_token_id=eos,
        **(mr.label_kwargs() if labels else {}), **extra)


def electra_config(embedding_size: int, heads: int, hidden_act: str, labels: bool,
                   vocab_size: int) -> transformers.ElectraConfig:
    return transformers.ElectraConfig(
        vocab_size=vocab_size, embedding_size=embedding_size, hidden_size=16,
        num_attention_heads=heads, intermediate_size=24, num_hidden_layers=2,
        max_position_embeddings=48, type_vocab_size=2, layer_norm_eps=1e-12,
        hidden_act=hidden_act, pad_token_id=0, **(mr.label_kwargs() if labels else {}))


def vocab_size(out: Path, tokenizer: str) -> int:
    return len(transformers.AutoTokenizer.from_pretrained(str(tokenizer_dir(out, tokenizer))))


def save(model: nn.Module, out: Path, name: str, tokenizer: str) -> None:
    directory = out / name
    if directory.exists():
        shutil.rmtree(directory)  # no stale files from an earlier layout
    directory.mkdir(parents=True)
    model.save_pretrained(str(directory))
    (directory / "model.safetensors").chmod(0o644)  # save_pretrained makes it 0600
    for f in TOKENIZER_FILES[tokenizer]:
        shutil.copyfile(tokenizer_dir(out, tokenizer) / f, directory / f)


def load_encoder(target: nn.Module, source: nn.Module, allowed_missing: str = "") -> None:
    """Copies `source`'s weights into `target`; only keys starting with allowed_missing may
    keep target's own draw (a pooler the source has not)."""
    result = target.load_state_dict(source.state_dict(), strict=False)
    assert not result.unexpected_keys, result.unexpected_keys
    assert all(allowed_missing and k.startswith(allowed_missing) for k in result.missing_keys), \
        result.missing_keys


def build_checkpoints(out: Path) -> None:
    # RoBERTa: the classifier draws everything; base and MLM reuse its encoder.
    v = vocab_size(out, "roberta-bpe")
    cfg = lambda labels: roberta_like(transformers.RobertaConfig, v, 16, 2, 24, 0, 2, labels)
    cls = transformers.RobertaForSequenceClassification(cfg(True))
    mr.reinit_(cls, SEEDS["roberta_weights"])
    save(cls, out, "tiny-roberta", "roberta-bpe")

    base = transformers.RobertaModel(cfg(False), add_pooling_layer=True)
    mr.reinit_(base, SEEDS["roberta_base_pooler"])  # the pooler keeps this draw
    load_encoder(base, cls.roberta, allowed_missing="pooler.")
    save(base, out, "tiny-roberta-base", "roberta-bpe")

    mlm = transformers.RobertaForMaskedLM(cfg(False))
    mr.reinit_(mlm, SEEDS["roberta_mlm_head"])
    load_encoder(mlm.roberta, cls.roberta)
    assert mlm.lm_head.decoder.weight is mlm.roberta.embeddings.word_embeddings.weight
    save(mlm, out, "tiny-roberta-mlm", "roberta-bpe")

    v = vocab_size(out, "xlmr-unigram")
    xlmr = transformers.XLMRobertaForSequenceClassification(
        roberta_like(transformers.XLMRobertaConfig, v, 16, 2, 22, 0, 2, True))
    mr.reinit_(xlmr, SEEDS["xlm_roberta_weights"])
    save(xlmr, out, "tiny-xlm-roberta", "xlmr-unigram")

    v = vocab_size(out, "camembert-spm")
    camembert = transformers.CamembertForSequenceClassification(
        roberta_like(transformers.CamembertConfig, v, 16, 4, 20, 5, 6, True))
    mr.reinit_(camembert, SEEDS["camembert_weights"])
    save(camembert, out, "tiny-camembert", "camembert-spm")

    # ELECTRA with tiny-bert's WordPiece vocabulary.
    v = vocab_size(out, "tiny-bert")
    electra = transformers.ElectraForSequenceClassification(electra_config(8, 2, "gelu", True, v))
    mr.reinit_(electra, SEEDS["electra_weights"])
    assert hasattr(electra.electra, "embeddings_project")
    save(electra, out, "tiny-electra", "tiny-bert")

    same = transformers.ElectraForSequenceClassification(
        electra_config(16, 4, "gelu_new", True, v))
    mr.reinit_(same, SEEDS["electra_same_width_weights"])
    assert not hasattr(same.electra, "embeddings_project")
    save(same, out, "tiny-electra-same-width", "tiny-bert")

    disc = transformers.ElectraForPreTraining(electra_config(8, 2, "gelu", False, v))
    mr.reinit_(disc, SEEDS["electra_discriminator_head"])
    load_encoder(disc.electra, electra.electra)
    save(disc, out, "tiny-electra-discriminator", "tiny-bert")


# ----------------------------------------------------------------------------------------------
# Forward references


@dataclass
class Fixture:
    name: str
    kind: str                 # make_reference's "cls" | "base" | "mlm"
    tokenizer: str
    seeds: dict
    note: str
    pairs: bool = False       # also the NUM_PAIRS sentence pairs
    layers: bool = False      # hidden_states.* too
    unpadded: bool = False    # logits of each text alone
    bounds_of: str = ""       # no bounds of its own: every tensor they would hold is this
                              # fixture's (same encoder, texts and batch: bitwise equal .f64)


CLS_NOTE = ("Classification model in eval mode. last_hidden_state and hidden_states.* come from "
            "output_hidden_states=True (hidden_states.0 = the encoder's input, i.e. the embedding "
            "output after LayerNorm and, for ELECTRA with embedding_size != hidden_size, after "
            "embeddings_project; hidden_states.i = output of layer i). logits_unpadded[i] = "
            "logits of text i alone. pair_*: the sentence pairs through the tokenizer's pair "
            "template, truncated longest_first to max_length.")
FIXTURES = [
    Fixture("tiny-roberta", "cls", "roberta-bpe", {"weights": SEEDS["roberta_weights"]},
            CLS_NOTE, pairs=True, layers=True, unpadded=True),
    Fixture("tiny-roberta-base", "base", "roberta-bpe",
            {"weights": SEEDS["roberta_weights"], "pooler": SEEDS["roberta_base_pooler"]},
            "RobertaModel with tiny-roberta's encoder weights and a pooler drawn from its own "
            "seed (keys without 'roberta.'): compare last_hidden_state; pooler_output = "
            "tanh(pooler.dense(h[:, 0])), which a classifier does not use."),
    Fixture("tiny-roberta-mlm", "mlm", "roberta-bpe",
            {"weights": SEEDS["roberta_weights"], "mlm_head": SEEDS["roberta_mlm_head"]},
            "RobertaForMaskedLM with tiny-roberta's encoder weights (lm_head drawn from its own "
            "seed, decoder tied to the word embeddings): compare last_hidden_state.",
            bounds_of="tiny-roberta"),
    Fixture("tiny-xlm-roberta", "cls", "xlmr-unigram", {"weights": SEEDS["xlm_roberta_weights"]},
            CLS_NOTE, pairs=True, layers=True, unpadded=True),
    Fixture("tiny-camembert", "cls", "camembert-spm", {"weights": SEEDS["camembert_weights"]},
            CLS_NOTE, pairs=True, layers=True, unpadded=True),
    Fixture("tiny-electra", "cls", "tiny-bert", {"weights": SEEDS["electra_weights"]},
            CLS_NOTE + " ELECTRA pairs carry token type 1 on the second segment.",
            pairs=True, layers=True, unpadded=True),
    Fixture("tiny-electra-same-width", "cls", "tiny-bert",
            {"weights": SEEDS["electra_same_width_weights"]},
            CLS_NOTE + " hidden_act gelu_new in the encoder; the head's GELU is the erf one.",
            pairs=True, unpadded=True),
    Fixture("tiny-electra-discriminator", "base", "tiny-bert",
            {"weights": SEEDS["electra_weights"], "head": SEEDS["electra_discriminator_head"]},
            "ElectraForPreTraining with tiny-electra's encoder, run as ElectraModel (AutoModel): "
            "compare last_hidden_state; discriminator_predictions.* is not used by a "
            "classifier.", bounds_of="tiny-electra"),
]


def read_pairs(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# Quantiles of the pairs' total length (characters) that select_pairs takes: most emotion pairs
# exceed 32 tokens, so the short end is sampled densely. With the RoBERTa BPE fixture they are
# 11, 20, 26, 30, 31 tokens long and 3 are truncated (34, 39 and 135 tokens before truncation).
PAIR_QUANTILES = [0.0, 0.01, 0.06, 0.15, 0.2, 0.3, 0.5, 1.0]


def select_pairs(rows: list[dict]) -> list[tuple[int, dict]]:
    """NUM_PAIRS (line from 1, row) of varied total length, at PAIR_QUANTILES of the rows
    ordered by (characters of both sentences, line): a pure function of the file."""
    order = sorted(range(len(rows)), key=lambda i: (len(rows[i]["sentence1"])
                                                    + len(rows[i]["sentence2"]), i))
    n = len(order)
    ranks = [round(q * (n - 1)) for q in PAIR_QUANTILES]
    assert len(ranks) == NUM_PAIRS
    assert len(set(ranks)) == NUM_PAIRS
    return [(order[r] + 1, rows[order[r]]) for r in ranks]


def tokenize_pairs(directory: Path, pairs: list[tuple[str, str]],
                   max_length: int) -> dict[str, torch.Tensor]:
    """As make_reference.tokenize, for (text, text_pair): padding=True, longest_first."""
    tok = transformers.AutoTokenizer.from_pretrained(str(directory))
    enc = tok([a for a, _ in pairs], [b for _, b in pairs], padding=True, truncation=True,
              max_length=max_length, return_tensors="pt")
    batch = {"input_ids": enc["input_ids"].long(), "attention_mask": enc["attention_mask"].long()}
    batch["token_type_ids"] = (enc["token_type_ids"].long() if "token_type_ids" in enc
                               else torch.zeros_like(batch["input_ids"]))
    return batch


def position_ids(model: nn.Module, input_ids: torch.Tensor) -> torch.Tensor | None:
    """The RoBERTa-like models' position ids, by transformers' own function; None for ELECTRA."""
    embeddings = model.base_model.embeddings
    if not hasattr(embeddings, "create_position_ids_from_input_ids"):
        return None
    return embeddings.create_position_ids_from_input_ids(input_ids, embeddings.padding_idx)


def checkpoint_keys(directory: Path) -> dict[str, dict]:
    with safetensors.safe_open(str(directory / "model.safetensors"), "pt") as f:
        return {k: {"dtype": str(f.get_slice(k).get_dtype()), "shape": f.get_slice(k).get_shape()}
                for k in sorted(f.keys())}


def loading_as_classifier(directory: Path) -> dict:
    """What AutoModelForSequenceClassification reports for a base or pretraining checkpoint."""
    _, info = transformers.AutoModelForSequenceClassification.from_pretrained(
        str(directory), num_labels=len(mr.LABELS), output_loading_info=True)
    return {k: sorted(v) for k, v in info.items() if k in ("missing_keys", "unexpected_keys")}


def config_facts(directory: Path) -> dict:
    config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    keys = ["model_type", "architectures", "vocab_size", "hidden_size", "embedding_size",
            "num_attention_heads", "intermediate_size", "num_hidden_layers",
            "max_position_embeddings", "type_vocab_size", "layer_norm_eps", "hidden_act",
            "pad_token_id", "bos_token_id", "eos_token_id", "tie_word_embeddings"]
    return {k: config[k] for k in keys if k in config}


def tokenizer_facts(directory: Path) -> dict:
    tok = transformers.AutoTokenizer.from_pretrained(str(directory))
    return {"class": type(tok).__name__, "len": len(tok), "pad": tok.pad_token_id,
            "cls_or_bos": tok.cls_token_id, "sep_or_eos": tok.sep_token_id,
            "unk": tok.unk_token_id, "mask": tok.mask_token_id,
            "model_input_names": list(tok.model_input_names)}


def outputs(model: nn.Module, fx: Fixture, batch: dict, pair_batch: dict | None,
            texts: list[str], directory: Path) -> dict[str, torch.Tensor]:
    """Every float tensor of the reference: make_reference.forward's, the unpadded logits and
    the pair outputs."""
    result = mr.forward(model, batch, fx.kind, fx.layers)
    if fx.unpadded:
        rows = [mr.forward(model, mr.tokenize(directory, [s], MAX_LENGTH), fx.kind)["logits"][0]
                for s in texts]
        result["logits_unpadded"] = torch.stack(rows)
    if pair_batch is not None:
        pair = mr.forward(model, pair_batch, fx.kind)
        result["pair_logits"] = pair["logits"]
        result["pair_last_hidden_state"] = pair["last_hidden_state"]
    return result


def make_forward_reference(out: Path, fx: Fixture, texts: list[tuple[int, str, str]],
                           pairs: list[tuple[int, dict]]) -> dict:
    directory = out / fx.name
    strings = [t for _, t, _ in texts]
    batch = mr.tokenize(directory, strings, MAX_LENGTH)
    pair_batch = (tokenize_pairs(directory, [(r["sentence1"], r["sentence2"]) for _, r in pairs],
                                 MAX_LENGTH) if fx.pairs else None)
    model = mr.load(directory, fx.kind, "eager")
    eager = outputs(model, fx, batch, pair_batch, strings, directory)
    sdpa = outputs(mr.load(directory, fx.kind, "sdpa"), fx, batch, pair_batch, strings,
                   directory)
    sdpa_diff, sdpa_rel = mr.compare_attention(fx.name, eager, sdpa)

    tensors = dict(batch)
    positions = position_ids(model, batch["input_ids"])
    if positions is not None:
        tensors["position_ids"] = positions
    if pair_batch is not None:
        tensors.update({f"pair_{k}": v for k, v in pair_batch.items()})
        if positions is not None:
            tensors["pair_position_ids"] = position_ids(model, pair_batch["input_ids"])
    tensors.update(eager)

    summary = {}
    if fx.kind == "cls":
        summary["logits_std_across_batch"] = float(eager["logits"].std(dim=0).mean())
        if summary["logits_std_across_batch"] < 1e-2:
            raise SystemExit(f"{fx.name}: logits hardly vary across texts; raise the init scale")
        summary["padded_vs_unpadded_max_abs_diff"] = mr.max_abs_diff(
            eager["logits"], eager["logits_unpadded"])
    if pair_batch is not None:
        summary["pair_logits_std_across_batch"] = float(eager["pair_logits"].std(dim=0).mean())

    tok = transformers.AutoTokenizer.from_pretrained(str(directory))
    mr.save_tensors(out / "reference" / f"{fx.name}.safetensors", tensors)
    info = {
        "producer": PRODUCER,
        "model_dir": mr.rel(directory),
        "model_class": type(model).__name__,
        "checkpoint_class": config_facts(directory)["architectures"][0],
        "texts": strings,
        "text_source": "../shared/data/emotion/validation.txt",
        "text_lines": [n for n, _, _ in texts],
        "text_labels": [label for _, _, label in texts],
        "max_length": MAX_LENGTH,
        "padding": f"longest in the batch (padding=True), right side, pad id {tok.pad_token_id}",
        "truncation": True,
    }
    if pair_batch is not None:
        info.update({
            "pairs": [[r["sentence1"], r["sentence2"]] for _, r in pairs],
            "pair_source": "../shared/data/emotion-pairs/validation.jsonl",
            "pair_lines": [n for n, _ in pairs],
            "pair_truncation": "longest_first (truncation=True) to max_length",
        })
    info.update({
        "attn_implementation": "eager",
        "eager_vs_sdpa_max_abs_diff": float(f"{sdpa_diff:.3g}"),
        "eager_vs_sdpa_max_rel_diff": float(f"{sdpa_rel:.3g}"),
        "dtype": "float32",
        "seeds": fx.seeds,
        "init": {"matrices_and_embeddings": f"N(0, {mr.MATRIX_STD})",
                 "layernorm_weight": f"1 + N(0, {mr.LAYERNORM_WEIGHT_STD})",
                 "biases_and_other_1d": f"N(0, {mr.BIAS_STD})"},
        "config": config_facts(directory),
        "tokenizer": {"copied_from": mr.rel(tokenizer_dir(out, fx.tokenizer)),
                      "files": TOKENIZER_FILES[fx.tokenizer], **tokenizer_facts(directory)},
        "checkpoint_keys": checkpoint_keys(directory),
    })
    if fx.kind != "cls":
        info["loading_as_classifier"] = loading_as_classifier(directory)
    if fx.bounds_of:
        info["bounds"] = (f"{fx.bounds_of}.bounds.{{json,safetensors}}: this reference has no "
                          f"bounds of its own; its last_hidden_state is {fx.bounds_of}'s (same "
                          "encoder weights, texts and batch; the float64 values are bitwise "
                          "equal)")
    info.update({
        "versions": mr.versions(),
        "tensors": {k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape)}
                    for k, v in tensors.items()},
        "summary": {k: float(f"{v:.4g}") for k, v in summary.items()},
        "note": fx.note + (" position_ids: create_position_ids_from_input_ids(input_ids, "
                           "pad_token_id), stored for reference (the model derives them)."
                           if positions is not None else ""),
    })
    mr.write_json(out / "reference" / f"{fx.name}.json", info)
    return info


def forward_bounds(out: Path, fx: Fixture, texts: list[str], pairs: list[tuple[int, dict]],
                   seed: int, sdpa_view=None, sdpa_check: str = "pytorch_fp32_sdpa") -> None:
    """make_error_bounds.forward_bounds for these references (pairs included). `sdpa_view`
    (results, exact) -> results, if given, is what of the SDPA run is checked, under the name
    `sdpa_check` (make_family_fixtures_ii.py checks real tokens only)."""
    directory = out / fx.name
    batch = mr.tokenize(directory, texts, MAX_LENGTH)
    pair_batch = (tokenize_pairs(directory, [(r["sentence1"], r["sentence2"]) for _, r in pairs],
                                 MAX_LENGTH) if fx.pairs else None)

    def run(model):
        result = dict(meb.forward_double(model, batch, fx.kind))
        if fx.unpadded:
            result["logits_unpadded"] = torch.stack([
                meb.forward_double(model, mr.tokenize(directory, [s], MAX_LENGTH),
                                   fx.kind)["logits"][0] for s in texts])
        if pair_batch is not None:
            pair = meb.forward_double(model, pair_batch, fx.kind)
            result["pair_logits"] = pair["logits"]
            result["pair_last_hidden_state"] = pair["last_hidden_state"]
        return result

    model64 = mr.load(directory, fx.kind, "eager", dtype=torch.float64)
    exact, sigma = meb.spread(lambda: run(model64), meb.SAMPLES, seed)
    eager = run(mr.load(directory, fx.kind, "eager", dtype=torch.float32))
    sdpa = run(mr.load(directory, fx.kind, "sdpa", dtype=torch.float32))
    if sdpa_view is not None:
        sdpa = sdpa_view(sdpa, exact)
    checks = {"pytorch_fp32_eager": meb.worst_ratio(eager, exact, sigma),
              sdpa_check: meb.worst_ratio(sdpa, exact, sigma)}
    meb.write(out, fx.name, exact, sigma,
              {"inputs": "the reference's own batches (same texts, pairs and tokenizer)",
               "checks": meb.checked(fx.name, checks), **driver(seed)})


def driver(seed: int | None = None) -> dict:
    extra = {"driver": PRODUCER}
    if seed is not None:
        extra["bounds_seed"] = seed
    return extra


# ----------------------------------------------------------------------------------------------
# Training references


STEP0_MODELS = ["tiny-roberta", "tiny-xlm-roberta", "tiny-electra"]
PAIR_STEP0_MODELS = ["tiny-roberta", "tiny-electra"]
STEP0_NOTE = ("shared_parameters is empty: the sequence classifiers tie nothing. Zero gradients: "
              "word-embedding rows of unused tokens and the padding_idx row (pad id; used by the "
              "pad tokens of the forward but excluded from the gradient by nn.Embedding), "
              "position rows of unused positions (RoBERTa-like: also the padding_idx row, which "
              "every pad token uses), ELECTRA's token type 1 for single texts.")

RUNS = [
    # As run A (AdamW, decoupled weight decay, linear warm-up, clipping).
    mt.Run(name="tiny-roberta", model="tiny-roberta", limit=32, batch_size=4, epochs=2,
           optimizer="adamw", lr=1e-3, weight_decay=0.01, schedule="linear", warmup_steps=3,
           max_grad_norm=1.0),
    # Accumulation and a constant schedule with warm-up.
    mt.Run(name="tiny-xlm-roberta", model="tiny-xlm-roberta", limit=32, batch_size=4,
           accumulation=2, epochs=4, optimizer="adamw", lr=5e-4, weight_decay=0.01,
           schedule="constant", warmup_steps=2),
    # Batch 8, linear without warm-up, clipping at 0.5 (it clips on most steps).
    mt.Run(name="tiny-electra", model="tiny-electra", limit=32, batch_size=8, epochs=4,
           optimizer="adamw", lr=1e-3, weight_decay=0.05, schedule="linear",
           max_grad_norm=0.5),
]


class PairEncoded(mt.Encoded):
    """mt.Encoded for (sentence1, sentence2) rows: the pair template, truncation longest_first
    to MAX_LENGTH, dynamic right padding; token type ids from the tokenizer (zeros if none)."""

    def __init__(self, directory: Path, rows: list[tuple[str, str, str]],
                 label2id: dict[str, int]):
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(directory))
        self.pad_id = tokenizer.pad_token_id
        enc = tokenizer([a for a, _, _ in rows], [b for _, b, _ in rows], truncation=True,
                        max_length=mt.MAX_LENGTH)
        self.ids = enc["input_ids"]
        self.types = enc.get("token_type_ids") or [[0] * len(r) for r in self.ids]
        self.labels = [label2id[name] for _, _, name in rows]

    def batch(self, indices: list[int]) -> dict[str, torch.Tensor]:
        batch = super().batch(indices)
        for row, i in enumerate(indices):
            batch["token_type_ids"][row, : len(self.types[i])] = torch.tensor(self.types[i])
        return batch


def pair_step0_batch(out: Path, shared: Path, model_name: str) -> tuple[dict, dict]:
    """The first STEP0_EXAMPLES emotion-pairs training rows, labelled with sentence1's emotion."""
    rows = read_pairs(shared / "data/emotion-pairs/train.jsonl")[: mt.STEP0_EXAMPLES]
    emotions = mt.read_examples(shared / "data/emotion/train.txt", mt.STEP0_EXAMPLES)
    assert all(r["sentence1"] == t for r, (t, _) in zip(rows, emotions))
    triples = [(r["sentence1"], r["sentence2"], label) for r, (_, label) in zip(rows, emotions)]
    directory = out / model_name
    label2id = transformers.AutoConfig.from_pretrained(str(directory)).label2id
    batch = PairEncoded(directory, triples, label2id).batch(list(range(mt.STEP0_EXAMPLES)))
    text_info = {
        "text_source": "../shared/data/emotion-pairs/train.jsonl",
        "text_lines": list(range(1, mt.STEP0_EXAMPLES + 1)),
        "texts": [[a, b] for a, b, _ in triples],
        "label_names": [n for _, _, n in triples],
        "label_source": "the emotion of sentence1 (= ../shared/data/emotion/train.txt line i); "
                        "the pairs' own 0/1 label is not used",
        "pair_truncation": "longest_first to max_length",
    }
    return batch, text_info


def make_training(out: Path, shared: Path) -> None:
    writer = mt.Writer(check=False)
    for name in STEP0_MODELS:
        info = mt.make_step0(out, shared, name, writer, extra={**driver(), "note": STEP0_NOTE})
        print(f"  step0 {name:24s} loss {info['loss']:.6f} grad norm "
              f"{info['grad_global_norm']:.6f}")
    for name in PAIR_STEP0_MODELS:
        batch, text_info = pair_step0_batch(out, shared, name)
        info = mt.write_step0(out, out / name, f"train_step0_{name}-pairs", batch, text_info,
                              writer, extra={**driver(), "note": STEP0_NOTE})
        print(f"  step0 {name + '-pairs':24s} loss {info['loss']:.6f} grad norm "
              f"{info['grad_global_norm']:.6f}")
    for run in RUNS:
        info = mt.make_trajectory(out, shared, run, writer, extra=driver())
        losses = [r["loss"] for r in info["steps"]]
        print(f"  run {run.name:26s} {len(losses)} steps, loss {losses[0]:.4f} -> "
              f"{losses[-1]:.4f}")


# Trajectory bounds keep, of a word-embedding table with more rows than this, only the rows the
# run's texts use (their tokens and the pad row) and UNUSED_SAMPLE evenly spaced unused rows
# (whose only update is the weight decay): a 4000-row table in float64 + sigma would be most of
# the fixtures' size. The PyTorch checks of the .json still cover every element.
FULL_TABLE_ROWS = 1000
UNUSED_SAMPLE = 64


def embedding_rows(directory: Path, rows: list[tuple[str, str]], table_rows: int) -> list[int]:
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(directory))
    ids = tokenizer([t for t, _ in rows], truncation=True, max_length=mt.MAX_LENGTH)["input_ids"]
    used = sorted({i for r in ids for i in r} | {tokenizer.pad_token_id})
    unused = sorted(set(range(table_rows)) - set(used))
    step = len(unused) / UNUSED_SAMPLE
    return sorted(used + [unused[int(k * step)] for k in range(UNUSED_SAMPLE)])


def trajectory_bounds(out: Path, shared: Path, run_spec: mt.Run, seed: int) -> None:
    """make_error_bounds.trajectory_bounds, except that a large word-embedding table `final.W`
    is stored as `final.W.rows` (the float64 values and sigma of the rows of embedding_rows, in
    that order) and `final.W.row_ids` (those row numbers as F64, sigma 0) instead of `final.W`.
    """
    directory = out / run_spec.model
    rows = mt.read_examples(shared / "data/emotion/train.txt", run_spec.limit)

    def run(dtype=torch.float64, attn="eager"):
        result = mt.train(directory, rows, run_spec, dtype, attn)
        values = {k: torch.tensor([r[k] for r in result["records"]], dtype=torch.float64)
                  for k in ("loss", "grad_norm", "accuracy")}
        values.update({f"final.{k}": v for k, v in result["final"].items()})
        return values

    exact, sigma = meb.spread(run, meb.SAMPLES, seed)
    checks = {"pytorch_fp32_eager": meb.worst_ratio(run(torch.float32), exact, sigma),
              "pytorch_fp32_sdpa": meb.worst_ratio(run(torch.float32, "sdpa"), exact, sigma)}
    stored = {}
    for key in [k for k in exact if k.endswith("embeddings.word_embeddings.weight")]:
        if exact[key].shape[0] <= FULL_TABLE_ROWS:
            continue
        ids = embedding_rows(directory, rows, exact[key].shape[0])
        index = torch.tensor(ids)
        exact[f"{key}.rows"] = exact[key][index]
        sigma[f"{key}.rows"] = sigma.pop(key)[index]
        exact[f"{key}.row_ids"] = index.double()
        sigma[f"{key}.row_ids"] = torch.zeros(len(ids), dtype=torch.float64)
        stored[key] = {"shape": list(exact.pop(key).shape), "rows_stored": len(ids),
                       "unused_rows_stored": UNUSED_SAMPLE, "row_ids": ids}
    info = {"inputs": f"run {run_spec.name} of {PRODUCER}",
            "note": "loss: the logged mean loss of each step (before its update); final.<key>: "
                    "every parameter after the last step",
            "checks": meb.checked(run_spec.name, checks)}
    if stored:
        info["partial_tables"] = {
            "rule": f"final.<W> of a word-embedding table with more than {FULL_TABLE_ROWS} rows "
                    f"is stored as final.<W>.rows (rows row_ids of the table, in that order) and "
                    f"final.<W>.row_ids (the row numbers, F64, sigma 0): the rows of every token "
                    f"of the run's texts, the pad row, and {UNUSED_SAMPLE} evenly spaced unused "
                    f"rows (weight decay only). checks cover the whole table.",
            **stored}
    meb.write(out, f"train_traj_{run_spec.name}", exact, sigma, {**info, **driver(seed)})


def bf16_sigma(out: Path, name: str) -> None:
    """Rewrites <name>.bounds.safetensors with every .sigma rounded up to BF16 (the C++ loader
    reads any float dtype; rounding up widens a bound by less than 2^-8 of itself, so the
    recorded PyTorch checks, measured against the F32 sigma, stay upper bounds). A quarter off
    the size of the bounds."""
    path = out / "reference" / f"{name}.bounds.safetensors"
    tensors = safetensors.torch.load_file(str(path))
    for k, v in tensors.items():
        if k.endswith(".sigma") and v.dtype == torch.float32:
            bits = v.view(torch.int32).to(torch.int64)
            up = ((bits + 0xFFFF) & ~0xFFFF).to(torch.int32).view(torch.float32)
            tensors[k] = up.bfloat16()
            assert torch.all(tensors[k].float() >= v), k
    safetensors.torch.save_file(tensors, str(path), metadata={"format": "pt"})
    info = json.loads((out / "reference" / f"{name}.bounds.json").read_text())
    info["sigma_dtype"] = ("BF16: the F32 sigma rounded up (checks were measured against the F32 "
                           "values)")
    mr.write_json(out / "reference" / f"{name}.bounds.json", info)


def training_bounds(out: Path, shared: Path, want) -> None:
    for k, name in enumerate(STEP0_MODELS):
        if want(f"train_step0_{name}"):
            seed = BOUNDS_SEED + 200 + k
            meb.step0_bounds(out, shared, name, seed, extra=driver(seed))
            bf16_sigma(out, f"train_step0_{name}")
    for k, name in enumerate(PAIR_STEP0_MODELS):
        if want(f"train_step0_{name}-pairs"):
            seed = BOUNDS_SEED + 250 + k
            batch, _ = pair_step0_batch(out, shared, name)
            meb.batch_step0_bounds(out, f"train_step0_{name}-pairs", out / name, batch, seed,
                                   f"the reference's batch ({PRODUCER}, step 0 on pairs)",
                                   extra=driver(seed))
            bf16_sigma(out, f"train_step0_{name}-pairs")
    for k, run in enumerate(RUNS):
        if want(f"train_traj_{run.name}"):
            seed = BOUNDS_SEED + 300 + k
            trajectory_bounds(out, shared, run, seed)
            bf16_sigma(out, f"train_traj_{run.name}")


# ----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "tests/fixtures")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared",
                        help="shared read-only data (emotion, emotion-pairs)")
    parser.add_argument("--no-bounds", action="store_true",
                        help="skip the error bounds (the slow part, about 3 minutes)")
    parser.add_argument("--only-bounds", nargs="*", metavar="NAME",
                        help="write only these references' bounds (and nothing else)")
    args = parser.parse_args()
    mr.make_deterministic()
    torch.manual_seed(mt.TORCH_SEED)
    out = args.out.resolve()
    (out / "reference").mkdir(parents=True, exist_ok=True)

    texts = mr.select_texts(mr.read_emotion(args.shared / "data/emotion/validation.txt"))
    pairs = select_pairs(read_pairs(args.shared / "data/emotion-pairs/validation.jsonl"))
    if args.only_bounds is None:
        build_checkpoints(out)
        for fx in FIXTURES:
            info = make_forward_reference(out, fx, texts, pairs)
            print(f"  {fx.name:28s} eager-sdpa {info['eager_vs_sdpa_max_abs_diff']!s:9s} "
                  + " ".join(f"{k}={v}" for k, v in info["summary"].items()))
        make_training(out, args.shared)
    if args.no_bounds:
        return 0
    want = (lambda n: not args.only_bounds or n in args.only_bounds)
    strings = [t for _, t, _ in texts]
    for k, fx in enumerate(FIXTURES):
        if fx.bounds_of:
            for ext in (".json", ".safetensors"):  # none of an earlier layout
                (out / "reference" / f"{fx.name}.bounds{ext}").unlink(missing_ok=True)
        elif want(fx.name):
            forward_bounds(out, fx, strings, pairs, BOUNDS_SEED + k)
            bf16_sigma(out, fx.name)
    training_bounds(out, args.shared, want)
    return 0


if __name__ == "__main__":
    sys.exit(main())
