#!/usr/bin/env python3
"""Reference outputs for the C++ tokenizer, produced by Hugging Face `tokenizers`/`transformers`.

The C++ tokenizer (src/tokenizer/) must give the ids that Hugging Face's Rust `tokenizers`
gives, id for id. This script asks the real thing (versions pinned in tools/requirements.txt)
and writes small files into tests/data/tokenizer/ that tests/tokenizer/*.cpp compare against:

  emotion_full.fnv, emotion_max16.fnv
      One 64-bit FNV-1a digest (16 hex digits) per line of ../shared/data/emotion/train.txt
      followed by validation.txt (18,000 lines), over the encoding of the line's text (the part
      before the LAST ';'), without truncation and with max_length=16. The digest is defined in
      `digest()` below and recomputed the same way by tests/tokenizer/emotion_golden_test.cpp.
  hard_strings.json
      Hand-written hard strings with full expected ids/type_ids/attention_mask for several
      configurations (tokenizer.json as is, truncated, with edited normalizer options, and the
      vocab.txt (+ tokenizer_config.json) path of transformers' BertTokenizerFast).
  codepoint_probe.txt
      For every code point 0..0x10FFFF except surrogates: what BertNormalizer (four option sets)
      and the StripAccents normalizer do to it alone, and how BertPreTokenizer classifies it (in
      "a<c>b"). Run-length encoded; the format is described in the file's header.

`--print-unicode-overrides` instead prints, as C++ initialisers, the code points where HF's
Unicode data (the `unicode_categories` and `unicode-normalization-alignments` crates and Rust's
std) disagrees with utf8proc's; utf8proc's data comes from a tiny C program this script compiles
with `cc` (needs libutf8proc-dev). src/tokenizer/hf_unicode_overrides.cpp holds the result.

Usage (from the repository root):
  /path/to/venv/bin/python tools/make_tokenizer_goldens.py
"""

import argparse
import json
import os
import struct
import sys
import tempfile
from pathlib import Path

import tokenizers
import transformers
from tokenizers import Tokenizer
from tokenizers.normalizers import BertNormalizer, StripAccents
from tokenizers.pre_tokenizers import BertPreTokenizer

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
OUT = REPO / "tests" / "data" / "tokenizer"

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3


def fnv1a64(data: bytes) -> int:
    h = FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def digest(ids, type_ids, attention_mask) -> str:
    """FNV-1a 64 over: ids, -1, type_ids, -1, attention_mask, each value a little-endian int32.

    Printed as 16 lowercase hex digits. tests/tokenizer/emotion_golden_test.cpp computes the same.
    """
    values = list(ids) + [-1] + list(type_ids) + [-1] + list(attention_mask)
    return "%016x" % fnv1a64(struct.pack("<%di" % len(values), *values))


def read_lines(path: Path):
    """Lines split on '\\n' only ('\\r' kept), the final empty piece after a last '\\n' dropped.

    This is the contract of finetune::read_text_lines (src/data/text_lines.h).
    """
    text = path.read_bytes().decode("utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def emotion_texts():
    texts = []
    for split in ("train", "validation"):
        for line in read_lines(SHARED / "data" / "emotion" / f"{split}.txt"):
            texts.append(line.rsplit(";", 1)[0])
    return texts


def load_bert_json() -> dict:
    return json.loads((SHARED / "models" / "bert-base-uncased" / "tokenizer.json").read_text())


def tokenizer_from_json(document: dict, max_length: int = 0) -> Tokenizer:
    tok = Tokenizer.from_str(json.dumps(document))
    # tokenizer.json may carry truncation/padding; transformers ignores both (it sets them per
    # call), and so does finetune.
    tok.no_truncation()
    tok.no_padding()
    if max_length:
        tok.enable_truncation(max_length=max_length)
    return tok


def encoding_dict(enc) -> dict:
    return {"ids": list(enc.ids), "type_ids": list(enc.type_ids),
            "attention_mask": list(enc.attention_mask)}


def transformers_from_vocab_dir(vocab_txt: Path, config):
    """transformers' BertTokenizerFast built from a directory holding only vocab.txt (+ config)."""
    with tempfile.TemporaryDirectory(prefix="tok-golden-") as tmp:
        directory = Path(tmp)
        (directory / "vocab.txt").write_bytes(vocab_txt.read_bytes())
        if config is not None:
            (directory / "tokenizer_config.json").write_text(json.dumps(config))
        return transformers.BertTokenizerFast.from_pretrained(str(directory))


def transformers_encode(tok, text: str, max_length: int = 0) -> dict:
    kwargs = dict(return_token_type_ids=True, return_attention_mask=True)
    if max_length:
        kwargs.update(truncation=True, max_length=max_length)
    out = tok(text, **kwargs)
    return {"ids": list(out["input_ids"]), "type_ids": list(out["token_type_ids"]),
            "attention_mask": list(out["attention_mask"])}


# ---------------------------------------------------------------------------------------------
# Hard strings: each one exercises a rule of the pipeline (see the comment beside it).
HARD_STRINGS = [
    "",                                           # empty: only [CLS] [SEP]
    "   ",                                        # only spaces
    "\t\n\r \u3000\u00a0",                        # only whitespace of several kinds
    "Hello, World!",                              # basic casing and punctuation
    "i didnt feel humiliated",                    # an emotion-style line
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9",      # precomposed accents
    "cafe\u0301 nai\u0308ve",                     # decomposed accents (combining marks)
    "\u00c5ngstr\u00f6m \u212b \u2126",           # A-ring, ANGSTROM SIGN, OHM SIGN (singletons)
    "a\u0301\u0327\u0323b",                       # several combining marks in a row
    "\u0301leading mark",                         # a combining mark with no base
    "\u4e2d\u6587\u5b57\u7b26 mixed with English",  # CJK ideographs
    "\u3400\u4dbf \U00020000\U0002a6df \U0002a700 \U0002b740 \U0002b820 \U0002ceb0 \U00030000",
    "\uf900\ufa0e\U0002f800",                     # CJK compatibility ideographs (decompose)
    "\u3072\u3089\u304c\u306a \u30ab\u30bf\u30ab\u30ca \u30fc",  # Japanese kana
    "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8",      # Korean hangul (NFD splits into jamo)
    "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22",  # Thai
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u0645\u064e\u0631\u0652\u062d\u064e\u0628\u064b\u0627",  # Arabic with harakat
    "\u05e2\u05d1\u05e8\u05d9\u05ea \u05e9\u05b8\u05c1\u05dc\u05d5\u05b9\u05dd",  # Hebrew with points
    "\u0939\u093f\u0928\u094d\u0926\u0940 \u0926\u0947\u0935\u0928\u093e\u0917\u0930\u0940",  # Devanagari
    "\U0001f600\U0001f602 \u2764\ufe0f \U0001f970",  # emoji, variation selector, newer emoji
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 family",  # ZWJ sequence
    "\U0001f44d\U0001f3fd \U0001f44b\U0001f3ff",  # skin tones
    "\U0001f1fa\U0001f1f8 \U0001f1ef\U0001f1f5",  # flags (regional indicators)
    "zero\u200bwidth\u200cnon\u200djoiner",       # ZWSP (Cf), ZWNJ, ZWJ
    "\ufeffbom at start and\ufeffinside",         # BOM (Cf)
    "soft\u00adhyphen",                           # soft hyphen (Cf)
    "ctrl\x00nul\x07bel\x7fdel\x85nel\x0bvt\x0cff\x1cfs",  # control characters
    "replacement \ufffd char\ufffdinside",        # U+FFFD is removed by clean_text
    "private \ue000\uf8ff \U000f0000 \U0010fffd use",  # private use (Co)
    "unassigned \u0378 \U0003ffff \U000e01f0 \u0890",  # unassigned and new-format code points
    "tab\there\nnewline\r\ncrlf",                 # whitespace control characters
    "nbsp\u00a0ideographic\u3000space\u2028line\u2029para\u202fnarrow\u205fmath\u1680ogham",
    "en\u2002em\u2003thin\u2009hair\u200a",       # typographic spaces
    "a" * 100,                                    # exactly max_input_chars_per_word
    "b" * 101,                                    # one over the limit: [UNK]
    "x" * 120 + " after",                         # long word, then a normal one
    "\u00e9" * 100 + " " + "\u00e9" * 101,        # the limit counts characters, not bytes
    "antidisestablishmentarianism",               # many word pieces
    "qzxqzxqzx \u2603\u2603 \U0001d11e",          # all-unknown words
    "[CLS] hello [MASK] world [SEP]",             # special tokens written in the text
    "[mask] [Mask] [cls]",                        # not special: they match only exactly
    "hello[MASK]world",                           # special token inside a word
    "[MASK][MASK][PAD]",                          # adjacent special tokens
    "[[MASK]] [UNK] [MA SK]",                     # special tokens next to punctuation
    " [SEP] ",                                    # special token surrounded by spaces
    "Turkish \u0130stanbul \u0131\u0130",         # I WITH DOT ABOVE lowercases to i + U+0307
    "German Stra\u00dfe \u1e9e",                  # sharp s and capital sharp s
    "Greek \u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3 \u03c2",  # final sigma rule not used
    "\ufb01nance \ufb02ow \ufb00",                # ligatures (no compatibility decomposition)
    "\uff26\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48 \uff01",  # fullwidth letters
    "\U0001d400\U0001d401 \U0001d49c \U0001d7d8",  # mathematical alphanumerics
    "x\u00b2 y\u2075 H\u2082O \u00bd",            # superscripts, subscripts, fractions
    "punct: !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",  # ASCII punctuation
    "\u00a1\u00bf \u00ab\u00bb \u2018\u2019 \u201c\u201d \u2013\u2014 \u2026 \u3001\u3002 \u300c\u300d",
    "\u00a7\u00b6 \u2020\u2021 \u2030 \u203b \u2e2e \u2e43 \ufe10 \uff0c",  # more punctuation
    "$100 \u20ac50 \u00a35 \u00a5 \u20b9 +-= <> ^ ` | ~",  # symbols (not Unicode punctuation)
    "Caf\u00c9 \u00c0 \u00d8 \u0141\u00f3d\u017a \u0110",  # uppercase accented letters
    "\u03a9mega \u0391\u0392\u0393 \u0410\u0411\u0412 \u0531\u0532",  # Greek, Cyrillic, Armenian
    "\u1e9b\u0323 \u1fef \u0385",                 # tricky NFD (long s with dots, Greek varia)
    "\u1734 \U00011938 \u166d \U000111c9",        # code points whose category changed lately
    "\u1c89 \ua7cb \U00010d50",                   # letters newer than utf8proc's Unicode 15
    "mixed \u0420\u0443\u0441\u0441\u043a\u0438\u0439 \u4e2d\u6587 English \u0627\u0644\u0639\u0631\u0628\u064a\u0629",
    "numbers 1234567890 3.14 1,000,000 \u0661\u0662\u0663 \u0967\u0968",
    "email@example.com http://example.com/path?q=1&r=2#frag",
    "don't won't it's 'quoted' \"double\"",
    "emoji\U0001f600inside\u2764words",
    "   leading and trailing spaces   ",
    "UPPER lower MiXeD",
    "\u2160\u2161\u2162 \u216b roman numerals",
    "##s ## #hash",                               # the continuing-subword prefix in the text
    "\u00e0\u00e1\u00e2\u00e3\u00e4\u00e5 \u00e8\u00e9\u00ea\u00eb \u00f1 \u00e7",
    # For the extra added tokens of ADDED_TOKENS_APPEND (plain text for the other cases):
    "<mask> My name <mask> A<mask> <mask>ony <mask>",  # single_word, lstrip, rstrip
    "hi\t<mask>\t<mask>\u2000 there",            # lstrip/rstrip swallow Unicode whitespace
    "I read a book Yesterday, YESTERDAY",         # normalized=true: matched after lowercasing
    "anthony ony phony ony.",                     # single_word on a plain added token
    "[MASK] x [MASK]x say hello",                 # longest match wins; a token in the vocab
    "\u00dcn\u00efc\u00f6de UNICODE unicode",  # normalized pattern of an accented token
    # NFD canonical reordering of non-starters that strip_accents keeps (Mc with a combining
    # class): sorted by class, stably; a class-0 mark (U+034F) stops the reordering.
    "a\U0001d16d\U0001d165b a\U0001d16d\u0301\U0001d165b a\U0001d16d\u034f\U0001d165b",
    "\U0001d15f\U0001d16d\U0001d165 x\U0001d16e\U0001d16d\U0001d166\U0001d165 \u0958\u093c",
]

# Random strings (fixed seed) drawn from an alphabet that mixes ASCII words with the characters
# each rule cares about, to catch interactions no hand-written string thought of.
RANDOM_ALPHABET = (
    list("abcdefghijklmnopqrstuvwxyz") * 6 + list("ABCDEFGHIJKLMNOPQRSTUVWXYZ") * 2 +
    list("0123456789") + list(" " * 30) + list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") +
    ["[MASK]", "[CLS]", "[mask]", "##", "\t", "\r", "\n", "\x00", "\x07", "\x85", "\u00a0",
     "\u3000", "\u2028", "\u200b", "\u200d", "\ufeff", "\u00ad", "\ufffd", "\ue000",
     "\u0378", "\u0301", "\u0308", "\u0327", "\u0323", "\u034f", "\U0001d165", "\U0001d16d",
     "\u00e9", "\u00c9", "\u00f1", "\u00df", "\u1e9e", "\u0130", "\u0131", "\u03a3", "\u03c2",
     "\ufb01", "\uff21", "\U0001d400", "\u00b2", "\u212b", "\u2126", "\u1fef", "\u0385",
     "\u4e2d", "\u6587", "\uf900", "\U00020000", "\u3042", "\u30ab", "\ud55c", "\uae00",
     "\u0e01", "\u0627", "\u064e", "\u05d0", "\u05b8", "\u0915", "\u093f", "\u094d",
     "\U0001f600", "\U0001f3fd", "\u2764", "\ufe0f", "\U0001f1fa", "\u00bf", "\u2014",
     "\u2026", "\u3001", "\u2e43", "\u166d", "\u1734", "\u20ac", "\u0890", "\u08e2"])


def random_strings(count: int = 160, seed: int = 20240601):
    import random
    rng = random.Random(seed)
    return ["".join(rng.choice(RANDOM_ALPHABET) for _ in range(rng.randint(0, 40)))
            for _ in range(count)]

# Extra added tokens appended to tokenizer.json's added_tokens for the "extra_added_tokens" case
# (ids as HF assigns them: the vocabulary id when the content is a known token, else the next).
ADDED_TOKENS_APPEND = [
    {"id": 30522, "content": "<mask>", "single_word": True, "lstrip": True, "rstrip": True,
     "normalized": False, "special": True},
    {"id": 30523, "content": "Yesterday", "single_word": False, "lstrip": False, "rstrip": False,
     "normalized": True, "special": False},
    {"id": 30524, "content": "ony", "single_word": True, "lstrip": False, "rstrip": False,
     "normalized": False, "special": False},
    {"id": 7592, "content": "hello", "single_word": False, "lstrip": False, "rstrip": False,
     "normalized": False, "special": False},
    {"id": 30525, "content": "[MASK] x", "single_word": False, "lstrip": False, "rstrip": False,
     "normalized": False, "special": False},
    {"id": 30526, "content": "\u00dcn\u00efc\u00f6de", "single_word": False, "lstrip": False,
     "rstrip": False, "normalized": True, "special": False},
]

# vocab.txt files with the reader's corner cases: CRLF, a lone CR inside a line, trailing
# spaces and NBSP (trimmed), a vertical tab inside a token, a duplicate (the later line wins),
# an empty line (the token ""), special tokens missing from the vocabulary (added after it).
VOCAB_QUIRKS = [
    {
        "name": "line endings and duplicates",
        "vocab_text": "[PAD]\r\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nfoo \nbar\r\nbaz\rqux\nnb\u00a0\n"
                      "x\u000by\nfoo\n\n##s\nhello\n##lo\nhel\n##z\u3000\n",
        "tokenizer_config": None,
        "strings": ["foo bar baz qux nb foos hello", "barbaz hello hel hello hel##lo", "bazz",
                    "x\u000by nb\u00a0"],
    },
    {
        "name": "special tokens missing from the vocabulary",
        "vocab_text": "[UNK]\nhello\n[SEP]\nx\n",
        "tokenizer_config": {"do_lower_case": False, "cls_token": "<s>",
                             "mask_token": {"content": "<mask>", "lstrip": True, "rstrip": False,
                                            "normalized": False, "single_word": False,
                                            "special": True, "__type": "AddedToken"}},
        "strings": ["hello <s> x <mask>", "hello [SEP] [PAD] [MASK]", "Hello   <mask>"],
    },
    {
        "name": "added tokens in tokenizer_config.json",
        "vocab_text": None,  # bert-base-uncased's vocab.txt
        "tokenizer_config": {
            "added_tokens_decoder": {
                "30600": {"content": "<far>", "lstrip": False, "normalized": False,
                          "rstrip": False, "single_word": False, "special": False},
                "30522": {"content": "<New>", "lstrip": False, "normalized": True,
                          "rstrip": False, "single_word": False, "special": False},
                "30523": {"content": "<spc>", "lstrip": True, "normalized": False,
                          "rstrip": True, "single_word": False, "special": True}},
            "extra_special_tokens": {"foo_token": "<foo>"},
            "additional_special_tokens": ["<extra>", "hello"]},
        "strings": ["hello <New> <new> <NEW> x <far>far <spc> y  <spc>  z <extra><foo>",
                    "<FAR> <Foo> hello[MASK]<new>"],
    },
]

# Normalizer option sets for the "edited JSON" configurations; the C++ test applies the same
# edits to the parsed tokenizer.json and loads it with Tokenizer::from_json.
NORMALIZER_EDITS = {
    "cased_no_strip": {"lowercase": False, "strip_accents": None},
    "lowercase_keep_accents": {"lowercase": True, "strip_accents": False},
    "no_chinese_chars": {"handle_chinese_chars": False},
    "no_clean_text": {"clean_text": False},
    "cased_strip_accents": {"lowercase": False, "strip_accents": True},
}

TRUNCATION_LENGTHS = [1, 2, 3, 4, 8]

VOCAB_CONFIGS = {
    "no_config": None,
    "do_lower_case_true": {"do_lower_case": True},
    "do_lower_case_false": {"do_lower_case": False},
    "cased_strip_accents": {"do_lower_case": False, "strip_accents": True},
    "no_chinese_chars": {"tokenize_chinese_chars": False},
}


def make_hard_strings() -> dict:
    base_doc = load_bert_json()
    cases = []

    def add_json_case(name, edit, max_length):
        doc = json.loads(json.dumps(base_doc))
        if edit:
            doc["normalizer"].update(edit)
        tok = tokenizer_from_json(doc, max_length)
        expected = [encoding_dict(tok.encode(s)) for s in HARD_STRINGS]
        cases.append({"name": name, "source": "tokenizer.json", "normalizer_edit": edit,
                      "max_length": max_length, "expected": expected})

    add_json_case("bert-base-uncased", None, 0)
    for n in TRUNCATION_LENGTHS:
        add_json_case(f"bert-base-uncased max_length={n}", None, n)
    for name, edit in NORMALIZER_EDITS.items():
        add_json_case(f"bert-base-uncased {name}", edit, 0)

    doc = json.loads(json.dumps(base_doc))
    doc["added_tokens"].extend(ADDED_TOKENS_APPEND)
    tok = tokenizer_from_json(doc)
    cases.append({"name": "bert-base-uncased extra_added_tokens", "source": "tokenizer.json",
                  "normalizer_edit": None, "added_tokens_append": ADDED_TOKENS_APPEND,
                  "max_length": 0, "expected": [encoding_dict(tok.encode(s)) for s in HARD_STRINGS]})

    vocab_txt = SHARED / "models" / "bert-base-uncased" / "vocab.txt"
    randoms = random_strings()
    for name, edit in [("random", None), ("random lowercase_keep_accents",
                                           NORMALIZER_EDITS["lowercase_keep_accents"]),
                       ("random no_clean_text", NORMALIZER_EDITS["no_clean_text"])]:
        doc = json.loads(json.dumps(base_doc))
        if edit:
            doc["normalizer"].update(edit)
        tok = tokenizer_from_json(doc)
        cases.append({"name": f"bert-base-uncased {name}", "source": "tokenizer.json",
                      "normalizer_edit": edit, "max_length": 0, "strings": randoms,
                      "expected": [encoding_dict(tok.encode(s)) for s in randoms]})

    for quirk in VOCAB_QUIRKS:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "vocab.txt"
            if quirk["vocab_text"] is None:
                path.write_bytes(vocab_txt.read_bytes())
            else:
                path.write_bytes(quirk["vocab_text"].encode("utf-8"))
            tok = transformers_from_vocab_dir(path, quirk["tokenizer_config"])
        if quirk["vocab_text"] is None:  # the big vocabulary: check the added tokens only
            expected_vocab = {t.content: i for i, t in
                              tok.backend_tokenizer.get_added_tokens_decoder().items()}
        else:
            expected_vocab = tok.backend_tokenizer.get_vocab(with_added_tokens=True)
        case = {"name": "vocab.txt " + quirk["name"], "source": "vocab.txt"}
        if quirk["vocab_text"] is not None:
            case["vocab_text"] = quirk["vocab_text"]
        cases.append({**case,
                      "tokenizer_config": quirk["tokenizer_config"], "max_length": 0,
                      "strings": quirk["strings"], "expected_vocab": expected_vocab,
                      "expected": [transformers_encode(tok, s) for s in quirk["strings"]]})

    for name, config in VOCAB_CONFIGS.items():
        tok = transformers_from_vocab_dir(vocab_txt, config)
        for max_length in (0, 3):
            expected = [transformers_encode(tok, s, max_length) for s in HARD_STRINGS]
            cases.append({"name": f"vocab.txt {name} max_length={max_length}",
                          "source": "vocab.txt", "tokenizer_config": config,
                          "max_length": max_length, "expected": expected})

    return {
        "generated_by": "tools/make_tokenizer_goldens.py",
        "tokenizers_version": tokenizers.__version__,
        "transformers_version": transformers.__version__,
        "model": "../shared/models/bert-base-uncased",
        "strings": HARD_STRINGS,
        "cases": cases,
    }


# ---------------------------------------------------------------------------------------------
# The code point probe.

NORMALIZER_VARIANTS = [
    # name, BertNormalizer options (clean_text and handle_chinese_chars always on)
    ("lowercase+strip_accents", dict(lowercase=True, strip_accents=True)),
    ("lowercase", dict(lowercase=True, strip_accents=False)),
    ("strip_accents", dict(lowercase=False, strip_accents=True)),
    ("none", dict(lowercase=False, strip_accents=False)),
]

HANGUL_BASE, HANGUL_COUNT = 0xAC00, 11172


def hangul_nfd(cp: int) -> str:
    s = cp - HANGUL_BASE
    lead, vowel, trail = 0x1100 + s // 588, 0x1161 + (s % 588) // 28, 0x11A7 + s % 28
    return chr(lead) + chr(vowel) + (chr(trail) if trail != 0x11A7 else "")


def code_points():
    return [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]


def normalizer_kind(cp: int, out: str):
    """Classifies what the normalizer did to chr(cp): (kind, argument)."""
    c = chr(cp)
    if out == c:
        return ("K", None)
    if out == "":
        return ("R", None)
    if out == " ":
        return ("S", None)
    if out == " " + c + " ":
        return ("C", None)
    if len(out) == 1:
        return ("D", ord(out) - cp)
    if HANGUL_BASE <= cp < HANGUL_BASE + HANGUL_COUNT and out == hangul_nfd(cp):
        return ("H", None)
    return ("X", out)


def run_length(items):
    """items: list of (cp, kind, arg); yields (start, end, kind, arg) for runs of equal kind+arg
    over consecutive code points (explicit 'X' entries are never merged)."""
    runs = []
    for cp, kind, arg in items:
        if (runs and kind != "X" and runs[-1][2] == kind and runs[-1][3] == arg
                and runs[-1][1] + 1 == cp):
            runs[-1][1] = cp
        elif runs and runs[-1][1] + 1 != cp and runs[-1][1] + 1 == 0xD800 and cp == 0xE000 \
                and kind != "X" and runs[-1][2] == kind and runs[-1][3] == arg:
            runs[-1][1] = cp  # a run may span the surrogate gap (surrogates are not probed)
        else:
            runs.append([cp, cp, kind, arg])
    return runs


def make_probe() -> str:
    cps = code_points()
    lines = [
        "# Code point probe of Hugging Face tokenizers " + tokenizers.__version__ +
        ", generated by tools/make_tokenizer_goldens.py.",
        "# Sections: '@normalizer NAME' (BertNormalizer with clean_text and handle_chinese_chars",
        "# on, the named lowercase/strip_accents options) applied to each code point alone,",
        "# '@strip_accents' (the StripAccents normalizer on each code point alone: K or R), and",
        "# '@pretokenizer' (BertPreTokenizer on the raw string 'a' + c + 'b').",
        "# Lines: START END KIND [ARG] in hex, for every code point START..END (surrogates skipped).",
        "# Normalizer kinds: K unchanged, R removed, S becomes ' ', C becomes ' c ',",
        "#   D ARG: becomes the one code point c + ARG (signed hex),",
        "#   H: becomes the Hangul syllable's canonical decomposition (L V [T] jamo),",
        "#   X ARG: becomes the code points ARG (hex, joined with '+'; START == END).",
        "# Pre-tokenizer kinds: W part of the word (one piece 'a' c 'b'), P isolated punctuation",
        "#   (pieces 'a', c, 'b'), S whitespace (pieces 'a', 'b').",
    ]
    for name, options in NORMALIZER_VARIANTS:
        normalizer = BertNormalizer(clean_text=True, handle_chinese_chars=True, **options)
        items = []
        for cp in cps:
            kind, arg = normalizer_kind(cp, normalizer.normalize_str(chr(cp)))
            items.append((cp, kind, arg))
        lines.append(f"@normalizer {name}")
        for start, end, kind, arg in run_length(items):
            if kind == "D":
                lines.append("%x %x D %s%x" % (start, end, "-" if arg < 0 else "", abs(arg)))
            elif kind == "X":
                lines.append("%x %x X %s" % (start, end, "+".join("%x" % ord(ch) for ch in arg)))
            else:
                lines.append("%x %x %s" % (start, end, kind))

    # The StripAccents normalizer alone (it drops combining marks of its crate's Unicode).
    strip_accents = StripAccents()
    items = [(cp, normalizer_kind(cp, strip_accents.normalize_str(chr(cp)))[0], None) for cp in cps]
    if any(kind not in ("K", "R") for _, kind, _ in items):
        raise SystemExit("StripAccents changed a code point other than by removing it")
    lines.append("@strip_accents")
    for start, end, kind, _ in run_length(items):
        lines.append("%x %x %s" % (start, end, kind))

    pre = BertPreTokenizer()
    items = []
    for cp in cps:
        pieces = [p for p, _ in pre.pre_tokenize_str("a" + chr(cp) + "b")]
        if pieces == ["a" + chr(cp) + "b"]:
            kind = "W"
        elif pieces == ["a", chr(cp), "b"]:
            kind = "P"
        elif pieces == ["a", "b"]:
            kind = "S"
        else:
            raise SystemExit(f"unexpected pre-tokenization of U+{cp:04X}: {pieces!r}")
        items.append((cp, kind, None))
    lines.append("@pretokenizer")
    for start, end, kind, _ in run_length(items):
        lines.append("%x %x %s" % (start, end, kind))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Unicode override tables for src/tokenizer/hf_unicode_overrides.cpp.

UTF8PROC_DUMPER = r"""
#include <stdio.h>
#include <utf8proc.h>
int main(void) {
  for (utf8proc_int32_t cp = 0; cp < 0x110000; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    utf8proc_int32_t d[32];
    int last = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(cp, d, 32, UTF8PROC_DECOMPOSE, &last);
    printf("%x %s %d %x %d", cp, utf8proc_category_string(cp),
           utf8proc_get_property(cp)->combining_class, utf8proc_tolower(cp), (int)n);
    for (utf8proc_ssize_t i = 0; i < n; ++i) printf(" %x", d[i]);
    printf("\n");
  }
  return 0;
}
"""


def utf8proc_dump() -> str:
    """Lines "cp category ccc simple_lowercase n d1..dn" (hex) from the system's utf8proc."""
    import subprocess
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = Path(tmp) / "dump.c", Path(tmp) / "dump"
        src.write_text(UTF8PROC_DUMPER)
        subprocess.run(["cc", "-O2", str(src), "-o", str(exe), "-lutf8proc"], check=True)
        return subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout


def print_unicode_overrides():
    """Compares HF's per-code-point behaviour with utf8proc's data and prints the differences."""
    u8 = {}
    for line in utf8proc_dump().splitlines():
        f = line.split()
        cp, n = int(f[0], 16), int(f[4])
        u8[cp] = (f[1], int(f[2]), int(f[3], 16), [int(x, 16) for x in f[5:5 + n]])
    clean = BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False,
                           lowercase=False)
    strip = BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True,
                           lowercase=False)
    lower = BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=False,
                           lowercase=True)
    pre = BertPreTokenizer()
    ascii_punct = set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~')

    not_control, punct_add, punct_remove, mn_add, mn_remove, nfd_none, lower_map = \
        [], [], [], [], [], [], []
    combining_add, combining_remove = [], []
    strip_accents = StripAccents()
    for cp in code_points():
        cat, _, low, dec = u8[cp]
        c = chr(cp)
        # clean_text removes "other" characters: utf8proc Cc/Cf/Co, except \t \n \r.
        ours_removed = cp in (0, 0xFFFD) or (cp not in (9, 10, 13) and cat in ("Cc", "Cf", "Co"))
        hf_removed = clean.normalize_str(c) == ""
        if ours_removed and not hf_removed:
            not_control.append(cp)
        elif hf_removed and not ours_removed:
            raise SystemExit(f"U+{cp:04X} ({cat}) removed by HF: extend the table format")
        ours_punct = c in ascii_punct or cat.startswith("P")
        hf_punct = len(pre.pre_tokenize_str("a" + c + "b")) == 3
        if hf_punct and not ours_punct:
            punct_add.append(cp)
        elif ours_punct and not hf_punct:
            punct_remove.append(cp)
        # strip_accents: NFD then drop Mn. Mn status: a lone mark is removed iff HF calls it Mn.
        decomposed = dec if dec else [cp]
        hf_out = strip.normalize_str(c)
        if len(decomposed) == 1:
            hf_mn = hf_out == ""
            if hf_mn and cat != "Mn":
                mn_add.append(cp)
            elif cat == "Mn" and not hf_mn:
                mn_remove.append(cp)
        # StripAccents drops a lone code point iff its crate calls it a combining mark (M*).
        hf_combining = strip_accents.normalize_str(c) == ""
        ours_combining = cat in ("Mn", "Mc", "Me")
        if hf_combining and not ours_combining:
            combining_add.append(cp)
        elif ours_combining and not hf_combining:
            combining_remove.append(cp)
        lowered = lower.normalize_str(c)
        ours_lower = "i\u0307" if cp == 0x130 else chr(low)
        if lowered != ours_lower:
            lower_map.append((cp, lowered))
    # Decompositions utf8proc has and HF's NFD does not (checked after the Mn fixes).
    hf_mn = {cp for cp in code_points() if u8[cp][0] == "Mn"} - set(mn_remove) | set(mn_add)
    for cp in code_points():
        dec = u8[cp][3]
        if len(dec) > 1:
            ours = "".join(chr(d) for d in dec if d not in hf_mn)
            hf_out = strip.normalize_str(chr(cp))
            if hf_out != ours:
                if hf_out == chr(cp):
                    nfd_none.append(cp)
                else:
                    raise SystemExit(f"U+{cp:04X}: HF NFD {hf_out!r} vs ours {ours!r}")

    def ranges(cps):
        out = []
        for c in sorted(cps):
            if out and out[-1][1] == c - 1:
                out[-1][1] = c
            else:
                out.append([c, c])
        return ",\n".join("    {0x%04X, 0x%04X}" % (a, b) for a, b in out)

    print("// not_control\n" + ranges(not_control))
    print("// punctuation_add\n" + ranges(punct_add))
    print("// punctuation_remove\n" + ranges(punct_remove))
    print("// nonspacing_mark_add\n" + ranges(mn_add))
    print("// nonspacing_mark_remove\n" + ranges(mn_remove))
    print("// no_decomposition\n" + ranges(nfd_none))
    print("// combining_mark_add\n" + ranges(combining_add))
    print("// combining_mark_remove\n" + ranges(combining_remove))
    print("// lowercase")
    for cp, lowered in lower_map:
        print("    {0x%04X, 0x%04X}," % (cp, ord(lowered)) if len(lowered) == 1
              else f"    // U+{cp:04X} -> {lowered!r} (multi-char)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--print-unicode-overrides", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    if args.print_unicode_overrides:
        print_unicode_overrides()
        return

    args.out.mkdir(parents=True, exist_ok=True)
    texts = emotion_texts()
    bert = tokenizer_from_json(load_bert_json())
    bert16 = tokenizer_from_json(load_bert_json(), 16)
    full = [digest(e.ids, e.type_ids, e.attention_mask) for e in map(bert.encode, texts)]
    max16 = [digest(e.ids, e.type_ids, e.attention_mask) for e in map(bert16.encode, texts)]

    # The vocab.txt + tokenizer_config.json path (distilbert-base-uncased's config:
    # do_lower_case true) must give the same encodings, so the C++ test checks both loaders
    # against the same digests. Verify that claim here rather than assume it.
    distil = SHARED / "models" / "distilbert-base-uncased"
    fast = transformers_from_vocab_dir(
        distil / "vocab.txt", json.loads((distil / "tokenizer_config.json").read_text()))
    for i, text in enumerate(texts):
        e = transformers_encode(fast, text)
        if digest(e["ids"], e["type_ids"], e["attention_mask"]) != full[i]:
            raise SystemExit(f"vocab.txt path differs from tokenizer.json on emotion line {i + 1}")
        e = transformers_encode(fast, text, 16)
        if digest(e["ids"], e["type_ids"], e["attention_mask"]) != max16[i]:
            raise SystemExit(f"vocab.txt path differs (max_length=16) on emotion line {i + 1}")

    header = ("# FNV-1a 64 digests of HF tokenizers %s encodings (bert-base-uncased tokenizer.json%s)"
              " of ../shared/data/emotion train.txt then validation.txt, one per line; see "
              "tools/make_tokenizer_goldens.py\n")
    (args.out / "emotion_full.fnv").write_text(
        header % (tokenizers.__version__, "") + "\n".join(full) + "\n")
    (args.out / "emotion_max16.fnv").write_text(
        header % (tokenizers.__version__, ", max_length=16") + "\n".join(max16) + "\n")

    (args.out / "hard_strings.json").write_text(
        json.dumps(make_hard_strings(), ensure_ascii=True, separators=(",", ":")) + "\n")
    (args.out / "codepoint_probe.txt").write_text(make_probe())
    for f in sorted(args.out.iterdir()):
        print(f"{f.relative_to(REPO)}: {f.stat().st_size} bytes")


if __name__ == "__main__":
    sys.exit(main())
