#!/usr/bin/env python3
"""HF tokenizers' answers for the Unigram, Metaspace and Precompiled options the fixtures miss.

The tokenizer fixtures (make_tokenizer_fixtures.py) exercise one configuration each: Unigram
without byte_fallback, Metaspace with prepend_scheme "always" and split true, the nmt_nfkc
charsmap on everyday text. This script builds tiny tokenizer.json documents with other options,
loads them with HF `tokenizers` (the version pinned in tools/requirements.txt) and records what
it does, for tests/tokenizer/unigram_test.cpp, metaspace_test.cpp and precompiled_test.cpp.
Reference only: nothing at build or test time runs Python.

Output: tests/data/tokenizer/unigram_options.json (ASCII JSON, every string escaped):

  "versions": the tokenizers version.
  "encode_cases": [{"name", "why", "tokenizer": <a whole tokenizer.json document>,
      "inputs": [text, ...], "expected": [{"ids": [...]} | {"error": message}, ...]}]
      Tokenizer.from_str(document).encode(text, add_special_tokens=True).ids, or the error HF
      raised. The C++ test loads the same document with Tokenizer::from_json.
  "pre_tokenizer_cases": [{"name", "pre_tokenizer": <object>, "inputs": [...],
      "expected": [[piece, ...], ...]}]  PreTokenizer.pre_tokenize_str(text), pieces only.
  "pre_tokenizer_errors": [{"name", "pre_tokenizer": <object>, "error": message}]
      Metaspace objects HF refuses to load.
  "precompiled": {"charsmap_from": the fixture tokenizer.json whose Precompiled charsmap
      (nmt_nfkc) is used, "cases": [{"input", "expected", "per_char"}], "sweeps": [...]}
      "cases": normalize_str(input) with HF's grapheme rule, and "per_char": what looking each
      character up alone would give (the concatenation of normalize_str(c) for each character
      c), so the test data shows where the two rules differ (they do for every case whose
      "why" says so). "sweeps": {"name", "block", "digests"}: for the strings of the named
      generator (below) in blocks of "block" strings, the FNV-1a 64 (hex) of the UTF-8 of
      normalize_str(s) + "\\x00" over the block's strings in order. The C++ test regenerates the
      same strings (the generators are simple enough to write twice) and compares blocks.
        "code_points": every code point 1..0x10FFFF except surrogates, alone.
        "marks": every BASE followed by every MARK, and by every ordered pair of MARKS.

Usage (from the repository root; a few seconds):
  /path/to/venv/bin/python tools/make_unigram_option_goldens.py
"""

import json
import os
import sys
from pathlib import Path

os.environ["TOKENIZERS_PARALLELISM"] = "false"

import tokenizers  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "data" / "tokenizer" / "unigram_options.json"
CHARSMAP_FROM = "tests/fixtures/tokenizers/xlmr-unigram/tokenizer.json"

# The "marks" sweep (precompiled_test.cpp writes the same lists): bases and marks chosen so that
# graphemes below and at HF's 6-byte limit occur, with bases that the charsmap maps alone
# (fullwidth letters, NBSP, CR, circled digits, ligatures, ohm) and bases it does not.
BASES = [0x41, 0x61, 0x65, 0x4B, 0x0D, 0x20, 0xA0, 0xC5, 0x212B, 0x2126, 0xFF21, 0xFF41, 0xFF76,
         0x2460, 0xFB01, 0x3000, 0x1100, 0x0627, 0x0915, 0x1F600, 0x1F1EF]
MARKS = [0x0A, 0x300, 0x301, 0x302, 0x308, 0x30A, 0x323, 0x331, 0x338, 0x340, 0x3099, 0x309A,
         0xFF9E, 0x200D, 0xFE0F, 0x1F3FD, 0x1161, 0x093F, 0x094D, 0x1F1F5]


def marks_strings():
    out = []
    for b in BASES:
        for m in MARKS:
            out.append(chr(b) + chr(m))
        for m1 in MARKS:
            for m2 in MARKS:
                out.append(chr(b) + chr(m1) + chr(m2))
    return out


def code_point_strings():
    return [chr(cp) for cp in range(1, 0x110000) if not 0xD800 <= cp <= 0xDFFF]


def fnv1a64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def document(model, normalizer=None, pre_tokenizer=None, added_tokens=()):
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [
            {"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True} for i, c in added_tokens],
        "normalizer": normalizer, "pre_tokenizer": pre_tokenizer, "post_processor": None,
        "decoder": None, "model": model,
    }


def unigram(vocab, unk_id=0, byte_fallback=False, keep_unk_key=True):
    model = {"type": "Unigram", "vocab": [[p, s] for p, s in vocab], "byte_fallback": byte_fallback}
    if keep_unk_key:
        model["unk_id"] = unk_id
    return model


def encode_all(doc, inputs):
    tok = Tokenizer.from_str(json.dumps(doc))
    expected = []
    for text in inputs:
        try:
            expected.append({"ids": tok.encode(text).ids})
        except Exception as e:  # HF raises a plain Exception for a missing unk_id
            expected.append({"error": str(e)})
    return expected


BASIC = [("<unk>", 0.0), ("a", -1.0), ("b", -1.0), ("ab", -1.5), ("xy", -3.0), ("c", -2.0),
         ("abc", -4.0), ("\u00e9", -2.0), ("\u2581", -1.0), ("\u2581a", -1.2)]
BYTES_XY = [("<0x78>", -5.0), ("<0x79>", -5.0), ("<0xE2>", -5.0), ("<0x98>", -5.0), ("<0x83>", -5.0)]
UNIGRAM_INPUTS = ["ab", "abc", "abx", "xyz", "x", "yx", "xy", "\u2603\u2603a", "a\u2603b\u2603\u2603",
                  "\u00e9\u00e9z", "zzz", "a<unk>b", "<unk>x", "\u2581\u2581a", "q\u2603", "\U0001F984"]


def encode_cases():
    cases = []

    def add(name, why, doc, inputs):
        cases.append({"name": name, "why": why, "tokenizer": doc, "inputs": inputs,
                      "expected": encode_all(doc, inputs)})

    add("unk fused", "consecutive unknown characters become one unk id (fuse_unk); no pre-tokenizer",
        document(unigram(BASIC)), UNIGRAM_INPUTS)
    add("byte_fallback partial", "an unknown run becomes <0xXX> pieces only when every byte has one, "
        "else one unk", document(unigram(BASIC + BYTES_XY, byte_fallback=True)), UNIGRAM_INPUTS)
    all_bytes = [("<0x%02X>" % b, -6.0) for b in range(256)]
    add("byte_fallback full", "every byte has a piece: unknown runs always fall back to bytes",
        document(unigram(BASIC + all_bytes, byte_fallback=True)), UNIGRAM_INPUTS)
    add("byte_fallback false with byte pieces", "byte pieces in the vocabulary are not used "
        "without byte_fallback", document(unigram(BASIC + all_bytes)), UNIGRAM_INPUTS)
    add("unk_id null", "no unk_id: encoding fails exactly when the search takes an unknown "
        "character (even \"xy\", whose x alone is unknown)",
        document(unigram(BASIC, unk_id=None)), ["ab", "abc", "\u2581a", "xy", "x", "abq"])
    add("unk_id absent", "the same without the key", document(unigram(BASIC, keep_unk_key=False)),
        ["ab", "xyz"])
    add("unk_id null byte_fallback", "byte_fallback does not save an encode without unk_id",
        document(unigram(BASIC + all_bytes, unk_id=None, byte_fallback=True)), ["ab", "q"])
    add("ties", "equal path scores keep the first offer: a+b (-2) reaches position 2 after ab "
        "(-2) was recorded, so ab stays",
        document(unigram([("<unk>", 0.0), ("a", -1.0), ("b", -1.0), ("ab", -2.0), ("ba", -2.0),
                          ("aba", -3.0)])), ["ab", "aba", "abab", "ba", "bab"])
    add("duplicate pieces", "a repeated piece: lookups give the later id, scored with the later "
        "score; vocab_size counts both",
        document(unigram([("<unk>", 0.0), ("a", -1.0), ("b", -1.0), ("ab", -9.0), ("ab", -0.5),
                          ("a", -8.0)])), ["ab", "a", "ba", "aab"])
    add("positive scores", "with scores above 20, two unknown characters (2*(min-10)) beat the "
        "piece xy, and the fused string \"xy\" is then looked up: the id of xy",
        document(unigram([("<unk>", 100.0), ("xy", 100.0), ("a", 100.0)])), ["xy", "xya", "axy"])
    add("unk id is a real piece", "the <unk> piece found in the text has id unk_id and is fused "
        "with unknown neighbours; with byte_fallback the whole run becomes bytes",
        document(unigram([("<unk>", -1.0), ("a", -1.0)] + all_bytes, byte_fallback=True)),
        ["<unk>", "a<unk>\u2603", "\u2603<unk>a"])
    add("empty piece", "an empty piece is never matched", document(unigram([("<unk>", 0.0), ("", 5.0),
                                                                            ("a", -1.0)])), ["a", "ba"])
    add("unk_id not 0", "unk at another index", document(unigram([("a", -1.0), ("b", -2.0), ("<unk>", 0.0)],
                                                                 unk_id=2)), ["ab", "abz", "zz"])

    # Metaspace prepend_scheme "first" in a whole pipeline: the prefix goes only on text at the
    # start of the input, not after an added token nor after text WhitespaceSplit dropped.
    vocab = [("<unk>", 0.0), ("\u2581", -2.0), ("\u2581hello", -1.0), ("hello", -1.5), ("\u2581world", -1.0),
             ("world", -1.5), ("<sep>", 0.0), ("h", -3.0), ("e", -3.0), ("l", -3.0), ("o", -3.0),
             ("w", -3.0), ("r", -3.0), ("d", -3.0)]
    inputs = ["hello world", " hello world", "  hello", "hello<sep>world", "<sep>hello",
              "hello <sep> world", "<sep> hello", "\u2581hello", "hello\u2581world", ""]
    for scheme in ["always", "first", "never"]:
        for split in [True, False]:
            meta = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": scheme, "split": split}
            add(f"metaspace {scheme} split={split}", "Metaspace alone after added tokens",
                document(unigram(vocab), pre_tokenizer=meta, added_tokens=[(6, "<sep>")]), inputs)
            add(f"whitespacesplit + metaspace {scheme} split={split}",
                "after WhitespaceSplit only the first word is at the start",
                document(unigram(vocab), pre_tokenizer={"type": "Sequence", "pretokenizers": [
                    {"type": "WhitespaceSplit"}, meta]}, added_tokens=[(6, "<sep>")]), inputs)
    return cases


def pre_tokenizer_cases():
    inputs = ["Hey friend!", "Hey   friend!", " Hey", "  two", "trailing ", "\u2581already", "a\u2581\u2581b",
              "tab\there", "x", " ", "   ", "no_spaces", "\u00e9t\u00e9 \u4e2d\u6587 \U0001F600"]
    cases = []
    configs = [
        ("default always", {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always",
                            "split": True}),
        ("first", {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True}),
        ("never", {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never", "split": True}),
        ("always split=false", {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always",
                                "split": False}),
        ("never split=false", {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never",
                               "split": False}),
        ("replacement _", {"type": "Metaspace", "replacement": "_", "prepend_scheme": "always", "split": True}),
        ("replacement astral", {"type": "Metaspace", "replacement": "\U0001F600", "prepend_scheme": "always",
                                "split": True}),
        ("legacy add_prefix_space true", {"type": "Metaspace", "replacement": "\u2581",
                                          "add_prefix_space": True}),
        ("legacy add_prefix_space false + never", {"type": "Metaspace", "replacement": "\u2581",
                                                   "add_prefix_space": False, "prepend_scheme": "never"}),
        ("legacy str_rep", {"type": "Metaspace", "replacement": "\u2581", "str_rep": "\u2581",
                            "add_prefix_space": True}),
        ("split null", {"type": "Metaspace", "replacement": "\u2581", "split": None}),
        ("whitespacesplit + first", {"type": "Sequence", "pretokenizers": [
            {"type": "WhitespaceSplit"},
            {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True}]}),
    ]
    for name, obj in configs:
        pre = Tokenizer.from_str(json.dumps(document(unigram(BASIC), pre_tokenizer=obj))).pre_tokenizer
        cases.append({"name": name, "pre_tokenizer": obj, "inputs": inputs,
                      "expected": [[p for p, _ in pre.pre_tokenize_str(t)] for t in inputs]})
    return cases


def pre_tokenizer_errors():
    bad = [
        ("add_prefix_space false without prepend_scheme",
         {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": False}),
        ("add_prefix_space false with always",
         {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": False, "prepend_scheme": "always"}),
        ("no replacement", {"type": "Metaspace", "prepend_scheme": "always"}),
        ("two-character replacement", {"type": "Metaspace", "replacement": "ab"}),
        ("empty replacement", {"type": "Metaspace", "replacement": ""}),
        ("capitalised scheme", {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "First"}),
        ("split not a bool", {"type": "Metaspace", "replacement": "\u2581", "split": "yes"}),
    ]
    out = []
    for name, obj in bad:
        try:
            Tokenizer.from_str(json.dumps(document(unigram(BASIC), pre_tokenizer=obj)))
        except Exception as e:
            out.append({"name": name, "pre_tokenizer": obj, "error": str(e)})
            continue
        raise SystemExit(f"HF accepted the Metaspace case '{name}'")
    return out


PRECOMPILED_CASES = [
    ("\r\n", "CR LF is one grapheme: its prefix CR maps to a space, the LF is dropped"),
    ("a\r\nb", "the same inside text"),
    ("\r\r\n", "CR, then the grapheme CR LF"),
    ("\uff21\u0301", "fullwidth A + acute (5 bytes): the shortest prefix, fullwidth A, maps to A; the accent is dropped"),
    ("\uff21\u0301x", "the same before ASCII"),
    ("A\u030a\u0301", "A + ring + acute (5 bytes): shortest prefix A+ring gives \u00c5, the acute is dropped"),
    ("A\u0302\u0300", "shortest prefix A+circumflex, not the longer key A+circumflex+grave"),
    ("A\u0302\u0300\u0301", "6 bytes: per character"),
    ("e\u0301", "a key of two characters (composes to \u00e9)"),
    ("\u00a0\u0301", "NBSP + acute: NBSP maps to a space, the accent is dropped"),
    ("\t\u0301", "a control ends a grapheme: tab and accent are looked up apart"),
    ("\u3000\u0301", "ideographic space + acute (5 bytes)"),
    ("\u2460\u0301", "circled 1 + acute"),
    ("\u00bd\u0301", "vulgar fraction one half + acute (4 bytes)"),
    ("\ufb01\u0301", "fi ligature + acute (5 bytes)"),
    ("\u2126\u0301", "ohm sign + acute"),
    ("\u212b\u0301", "angstrom sign + acute"),
    ("x\u0308\u0301", "x + diaeresis + acute (5 bytes): prefix x+diaeresis"),
    ("k\u0331\u0301", "k + macron below + acute"),
    ("\uff76\uff9e", "halfwidth ka + halfwidth voiced mark: 6 bytes, per character"),
    ("\uff76\u3099", "halfwidth ka + combining voiced mark: 6 bytes"),
    ("\u1100\u1161", "Hangul L + V jamo (6 bytes)"),
    ("\u1100\u1161\u11a8", "Hangul L + V + T jamo"),
    ("\U0001F1EF\U0001F1F5", "a flag (two regional indicators)"),
    ("\U0001F1EF\U0001F1F5\U0001F1FA", "three regional indicators: a flag and a lone one"),
    ("\U0001F44D\U0001F3FD", "emoji + skin tone"),
    ("\U0001F468\u200d\U0001F469\u200d\U0001F467", "a ZWJ family"),
    ("\u0915\u094d\u0937", "Devanagari conjunct (Unicode 15.1 joins it; both rules are per character here)"),
    ("\u0600\u0661", "Arabic number sign (Prepend) + digit"),
    ("\u200b", "zero width space"),
    ("a\u200db", "ZWJ between letters"),
    ("\x01\x02abc\x7f", "ASCII controls the charsmap removes"),
    ("\x00a\x00", "NUL is never looked up"),
    ("hello world", "plain ASCII"),
    ("\uff28\uff45\uff4c\uff4c\uff4f", "fullwidth letters"),
    ("\u2163 \u2075 \u2082 \u33c2", "compatibility forms"),
    ("caf\u00e9 na\u00efve", "precomposed Latin-1"),
]


def precompiled():
    doc = json.loads((REPO / CHARSMAP_FROM).read_text())
    normalizer = Tokenizer.from_str(json.dumps(document(
        unigram(BASIC), normalizer={"type": "Precompiled",
                                    "precompiled_charsmap": doc["normalizer"]["precompiled_charsmap"]}))).normalizer
    cases = []
    for text, why in PRECOMPILED_CASES:
        cases.append({"input": text, "why": why, "expected": normalizer.normalize_str(text),
                      "per_char": "".join(normalizer.normalize_str(c) for c in text)})
    sweeps = []
    for name, strings, block in [("code_points", code_point_strings(), 4096), ("marks", marks_strings(), 512)]:
        digests = []
        for start in range(0, len(strings), block):
            data = b"".join(normalizer.normalize_str(s).encode("utf-8") + b"\0" for s in strings[start:start + block])
            digests.append(fnv1a64(data))
        sweeps.append({"name": name, "count": len(strings), "block": block, "digests": digests})
    return {"charsmap_from": CHARSMAP_FROM, "cases": cases, "sweeps": sweeps}


def main():
    result = {
        "generated_by": "tools/make_unigram_option_goldens.py",
        "versions": {"tokenizers": tokenizers.__version__},
        "encode_cases": encode_cases(),
        "pre_tokenizer_cases": pre_tokenizer_cases(),
        "pre_tokenizer_errors": pre_tokenizer_errors(),
        "precompiled": precompiled(),
    }
    OUT.write_text(json.dumps(result, ensure_ascii=True, indent=1) + "\n")
    print(f"{OUT.relative_to(REPO)}: {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    sys.exit(main())
