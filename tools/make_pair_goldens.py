#!/usr/bin/env python3
"""Reference encodings of text pairs for the C++ tokenizer, from `transformers.AutoTokenizer`.

`finetune` encodes a sentence pair with the model's pair template and truncates it the way
`transformers` does for `tokenizer(a, b, truncation=..., max_length=N)` (docs: DESIGN.md's
command-line contract). This script asks the pinned `transformers` (tools/requirements.txt) and
writes tests/data/tokenizer/pairs.json, which tests/tokenizer/pair_golden_test.cpp compares
against, id for id:

  tokenizers   the tokenizer directories used, relative to the repository root
  cases        for each tokenizer: pairs (the first PAIR_ROWS rows of
               ../shared/data/emotion-pairs/validation.jsonl, then pairs of the hard strings of
               tests/data/tokenizer/hard_strings.json) encoded under every STRATEGIES entry:
               input_ids, token_type_ids (asked for even where the tokenizer's
               model_input_names leaves them out), or "error" where transformers refuses
               (only_first / only_second with a sequence too short to remove enough from)
  digests      FNV-1a 64 (tools/make_tokenizer_goldens.py's digest) of every row of
               emotion-pairs train + validation (18,000 pairs) with bert-base-uncased, untruncated
               and with longest_first at max_length 24
  returns_token_type_ids
               whether each tokenizer's encoding includes token_type_ids by default

Usage (from the repository root):  /path/to/venv/bin/python tools/make_pair_goldens.py
"""

import json
import os
import sys
from pathlib import Path

import tokenizers
import transformers

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_tokenizer_goldens import digest  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
OUT = REPO / "tests" / "data" / "tokenizer" / "pairs.json"

PAIR_ROWS = 200
# (strategy, max_length): 0 is no truncation. 24 cuts many emotion pairs; 9 leaves a few tokens
# per side; 3 and 4 are below or at the pair template's 3 special tokens.
STRATEGIES = [("none", 0), ("longest_first", 24), ("only_first", 24), ("only_second", 24),
              ("longest_first", 9), ("only_second", 9), ("longest_first", 4), ("longest_first", 3)]
TOKENIZERS = ["../shared/models/bert-base-uncased", "../shared/models/distilbert-base-uncased",
              "tests/fixtures/tiny-bert"]


def read_pairs(path: Path) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [(r["sentence1"], r["sentence2"]) for r in rows]


def hard_pairs() -> list[tuple[str, str]]:
    """Consecutive hard strings (empty, whitespace, accents, CJK, emoji, controls) as pairs."""
    hard = json.loads((REPO / "tests/data/tokenizer/hard_strings.json").read_text(encoding="utf-8"))
    texts = hard["strings"]
    return list(zip(texts[0::2], texts[1::2]))


def encode(tok, a: str, b: str, strategy: str, max_length: int):
    kwargs = {"return_token_type_ids": True}
    if strategy != "none":
        kwargs.update(truncation=strategy, max_length=max_length)
    try:
        enc = tok(a, b, **kwargs)
    except Exception as error:  # transformers raises what the Rust truncation reports
        return {"error": str(error).splitlines()[0]}
    return {"input_ids": enc["input_ids"], "token_type_ids": enc["token_type_ids"]}


def main() -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    transformers.logging.set_verbosity_error()
    validation = read_pairs(SHARED / "data/emotion-pairs/validation.jsonl")
    train = read_pairs(SHARED / "data/emotion-pairs/train.jsonl")
    pairs = validation[:PAIR_ROWS] + hard_pairs()

    result = {"producer": "tools/make_pair_goldens.py",
              "versions": {"transformers": transformers.__version__,
                           "tokenizers": tokenizers.__version__},
              "strategies": [{"strategy": s, "max_length": n} for s, n in STRATEGIES],
              "pairs": [{"text": a, "text_pair": b} for a, b in pairs],
              "tokenizers": TOKENIZERS, "cases": {}, "returns_token_type_ids": {}}
    for name in TOKENIZERS:
        tok = transformers.AutoTokenizer.from_pretrained(str(REPO / name))
        result["returns_token_type_ids"][name] = "token_type_ids" in tok("x")
        result["cases"][name] = [[encode(tok, a, b, s, n) for s, n in STRATEGIES]
                                 for a, b in pairs]

    bert = transformers.AutoTokenizer.from_pretrained(str(REPO / TOKENIZERS[0]))
    digests = {"none": [], "longest_first_24": []}
    for a, b in train + validation:
        for key, kwargs in (("none", {}), ("longest_first_24", {"truncation": "longest_first",
                                                                 "max_length": 24})):
            e = bert(a, b, return_token_type_ids=True, **kwargs)
            digests[key].append(digest(e["input_ids"], e["token_type_ids"],
                                       e["attention_mask"]))
    result["digests"] = {"tokenizer": TOKENIZERS[0],
                         "rows": "emotion-pairs train.jsonl then validation.jsonl",
                         **digests}
    OUT.write_text(json.dumps(result, ensure_ascii=False, indent=None) + "\n", encoding="utf-8")
    print(f"make_pair_goldens: {len(pairs)} pairs x {len(STRATEGIES)} strategies x "
          f"{len(TOKENIZERS)} tokenizers, {len(train) + len(validation)} digests -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
