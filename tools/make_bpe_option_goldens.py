#!/usr/bin/env python3
"""HF reference encodings for the BPE, ByteLevel and vocab.json + merges.txt options that the
tokenizer fixtures (make_tokenizer_fixtures.py) do not exercise.

Writes tests/data/tokenizer/bpe_options.json, read by tests/tokenizer/bpe_options_test.cpp. The
fixtures are byte-level BPE tokenizers without unk_token, prefixes or suffixes; this file covers
the rest of tokenizers' models/bpe (byte_fallback, unk_token with and without fuse_unk,
continuing_subword_prefix, end_of_word_suffix, ignore_merges, merges as "a b" strings or
[a, b] pairs, a repeated merge, "#version" strings, ties between equal ranks, dropout 0, a
missing unk token), the ByteLevel pre-tokenizer's add_prefix_space / use_regex combinations on
hand-written and random strings, the ByteLevel normalizer, and transformers' RobertaTokenizer
and GPT2Tokenizer built from vocab.json + merges.txt + tokenizer_config.json (special tokens
missing from the vocabulary, added_tokens_decoder, extra_special_tokens, model-specific
*_token keys, add_prefix_space, add_bos_token / add_eos_token, CRLF and "#version" lines in
merges.txt).

Every tokenizer here is written by hand (tiny vocabularies, no training, no hub access), so the
file is small and a rerun with the pinned versions (tools/requirements.txt) rewrites identical
bytes. The format:

  {"generated_by", "versions",
   "json_cases": [                       # a tokenizer.json document each
      {"name", "about", "tokenizer": {...},
       "encodings": [{"input": str, "ids": [...]} | {"input": str, "error": HF's message}]}
    | {"name", "about", "tokenizer": {...}, "load_error": HF's message}],   # HF refuses it
   "legacy_cases": [                     # a directory of files each
      {"name", "about", "files": {"vocab.json": text, "merges.txt": text,
                                  "tokenizer_config.json": text},
       "vocab_size": len(AutoTokenizer),
       "encodings": [{"input": str | [str, str], "ids": [...], "type_ids": [...]}]}
    | {"name", "about", "files": {...}, "load_error": message}]}

For a json case the ids are tokenizers.Tokenizer.from_str(tokenizer).encode(input).ids (none of
these tokenizers has a post-processor). For a legacy case the ids are
transformers.AutoTokenizer.from_pretrained(dir)(input) ["input_ids"] (a pair as (a, b)), and
type_ids those of the backend tokenizer's encode (transformers does not return them for these
classes, but the pair template gives the second sequence type 1 in GPT2Tokenizer).

Run: ~/venv/bin/python tools/make_bpe_option_goldens.py
"""

import json
import os
import random
import shutil
import sys
import tempfile
import warnings

import tokenizers
import transformers
from tokenizers import Tokenizer
from tokenizers.pre_tokenizers import ByteLevel as ByteLevelPre

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "tokenizer", "bpe_options.json")

SEED = 20240611


def doc(model, pre_tokenizer=None, normalizer=None, added_tokens=None):
    """A tokenizer.json document around `model` (a BPE unless model says otherwise)."""
    full = dict(model)
    if "type" not in full and not full.pop("_no_type", False):
        full = {"type": "BPE", **full}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added_tokens or [],
        "normalizer": normalizer,
        "pre_tokenizer": pre_tokenizer,
        "post_processor": None,
        "decoder": None,
        "model": full,
    }


WHITESPACE_SPLIT = {"type": "WhitespaceSplit"}


def byte_level(add_prefix_space, use_regex=True):
    return {"type": "ByteLevel", "add_prefix_space": add_prefix_space, "trim_offsets": True, "use_regex": use_regex}


def byte_vocab(extra_merges):
    """The 256 byte-level characters (ids in code point order) plus the results of the merges."""
    alphabet = sorted(ByteLevelPre.alphabet())
    vocab = {c: i for i, c in enumerate(alphabet)}
    merges = []
    for left, right in extra_merges:
        merges.append([left, right])
        vocab.setdefault(left + right, len(vocab))
    return vocab, merges


BYTE_MERGES = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("in", "g"), ("Ġ", "a"), ("'", "s"),
               ("Ġ", "Ġ"), ("Ã", "©"), ("Ċ", "Ċ")]

BYTE_LEVEL_INPUTS = [
    "", " ", "  ", "hello world", "the thing", "  leading spaces", "trailing spaces  ", "a\n\nb", "a \n b",
    "it's I'M you'll we've they'd she's 'tis", "x  \t y", "123 abc 4.5", "über café ☃ 😀", "\u00a0nbsp\u2003em",
    "don't", "'s's''s", "tab\there", "end\n", "\n", "!!! ??? ...", " ...hi", "ab12cd", "e\u0301", "中文 字符",
    "a\u3000b", "\r\n\r\n", "mixed ascii and ünïcödé  words\t\n", "ＡＢＣ１２３", "a\u2028b", "x\x0by\x0cz\x1cw\x1fv",
]


def random_ascii(rng, count):
    """Strings over characters that exercise every branch of the GPT-2 pattern."""
    pieces = ["'", "s", "t", "re", "ve", "m", "ll", "d", " ", "  ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "a", "Z",
              "q", "0", "7", "!", ".", "-", "_", "\x01", "\x7f", "'s", " '", "x"]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 14))) for _ in range(count)]


def random_unicode(rng, count):
    pieces = ["a", " ", "é", "中", "😀", "\u00a0", "\u3000", "1", "١", "'", "s", "!", "\t", "ß", "Ǆ", "\u0301", "\n"]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 10))) for _ in range(count)]


def json_cases():
    rng = random.Random(SEED)
    cases = []

    def add(name, about, tokenizer, inputs):
        cases.append({"name": name, "about": about, "tokenizer": tokenizer, "inputs": inputs})

    fallback_vocab = {"<unk>": 0, "a": 1, "b": 2, "ab": 3, "<0x63>": 4, "<0xC3>": 5, "<0xA9>": 6, "<0xE2>": 7}
    fallback_inputs = ["abc", "cab", "é", "éa", "☃", "x", "xa", "xab", "xcx", "yyc", "xxcx", "ab c é ☃ x", "cé"]
    add("byte_fallback", "<0xXX> tokens for characters not in the vocabulary; <unk> when a byte is missing; a "
        "pending <unk> is not flushed by byte tokens",
        doc({"vocab": fallback_vocab, "merges": ["a b"], "unk_token": "<unk>", "byte_fallback": True},
            WHITESPACE_SPLIT), fallback_inputs)
    add("byte_fallback fuse_unk", "as byte_fallback, runs of unknown characters fused",
        doc({"vocab": fallback_vocab, "merges": ["a b"], "unk_token": "<unk>", "byte_fallback": True,
             "fuse_unk": True}, WHITESPACE_SPLIT), fallback_inputs)
    add("byte_fallback without unk_token", "characters with neither a token nor all their byte tokens are dropped",
        doc({"vocab": fallback_vocab, "merges": ["a b"], "byte_fallback": True}, WHITESPACE_SPLIT), fallback_inputs)

    unk_vocab = {"<unk>": 0, "a": 1, "b": 2, "ab": 3}
    unk_inputs = ["c", "cc", "accb", "abcab", "ccab", "cabc", "ccc ab cc"]
    add("unk_token", "one <unk> per unknown character",
        doc({"vocab": unk_vocab, "merges": ["a b"], "unk_token": "<unk>"}, WHITESPACE_SPLIT), unk_inputs)
    add("unk_token fuse_unk", "one <unk> per run of unknown characters",
        doc({"vocab": unk_vocab, "merges": ["a b"], "unk_token": "<unk>", "fuse_unk": True}, WHITESPACE_SPLIT),
        unk_inputs)
    add("unk_token null", "unknown characters are dropped",
        doc({"vocab": unk_vocab, "merges": ["a b"], "unk_token": None}, WHITESPACE_SPLIT), unk_inputs)
    add("unk merges", "the unknown token takes part in merges like any other",
        doc({"vocab": {**unk_vocab, "<unk>a": 4}, "merges": ["<unk> a", "a b"], "unk_token": "<unk>",
             "fuse_unk": True}, WHITESPACE_SPLIT), ["ca", "cca", "cab", "acab"])
    add("unk_token missing from the vocabulary", "HF loads it and fails only on a word that needs it",
        doc({"vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"], "unk_token": "<unk>"}, WHITESPACE_SPLIT),
        ["ab", "ab ba", "axb"])

    prefix_vocab = {"a": 0, "b": 1, "c": 2, "##a": 3, "##b": 4, "##c": 5, "ab": 6, "abc": 7, "##bc": 8}
    add("continuing_subword_prefix", "non-initial characters are looked up as ##c; a merge (x, ##y) makes x + y",
        doc({"vocab": prefix_vocab, "merges": [["a", "##b"], ["ab", "##c"], ["##b", "##c"]],
             "continuing_subword_prefix": "##"}, WHITESPACE_SPLIT),
        ["ab", "abc", "ba", "cab", "abcabc", "bc", "a", "cbc"])
    add("continuing_subword_prefix with byte_fallback", "the byte tokens of a non-initial character include the "
        "prefix's bytes (HF falls back on the looked-up text)",
        doc({"vocab": {"a": 0, "<0x23>": 1, "<0x62>": 2, "<unk>": 5}, "merges": [],
             "continuing_subword_prefix": "##", "byte_fallback": True, "unk_token": "<unk>"}, WHITESPACE_SPLIT),
        ["ab", "ba", "aab", "b"])
    add("continuing_subword_prefix not on the right token", "HF cuts len(prefix) bytes off the right token even "
        "when it does not start with the prefix",
        doc({"vocab": {"a": 0, "##b": 1, "xyb": 2, "ab": 3}, "merges": ["a xyb"], "continuing_subword_prefix": "##"},
            WHITESPACE_SPLIT), ["ab", "axyb"])

    suffix_vocab = {"a": 0, "b": 1, "a</w>": 2, "b</w>": 3, "ab": 4, "ab</w>": 5, "aab</w>": 6}
    add("end_of_word_suffix", "the last character is looked up with </w>; merges see the suffixed token",
        doc({"vocab": suffix_vocab, "merges": ["a b</w>", "a b", "a ab</w>"], "end_of_word_suffix": "</w>"},
            WHITESPACE_SPLIT), ["ab", "ba", "aab", "abab", "a", "b", "abb"])
    add("prefix and suffix", "both at once: a lone character gets only the suffix",
        doc({"vocab": {"a": 0, "##b</w>": 1, "ab</w>": 2, "a</w>": 3, "##a": 4, "##b": 5, "b</w>": 6},
             "merges": [["a", "##b</w>"]], "continuing_subword_prefix": "##", "end_of_word_suffix": "</w>"},
            WHITESPACE_SPLIT), ["ab", "a", "b", "aab", "abb"])

    ignore_vocab = {"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5}
    add("ignore_merges true", "a word in the vocabulary is that token, whatever the merges say",
        doc({"vocab": ignore_vocab, "merges": ["a b"], "ignore_merges": True}, WHITESPACE_SPLIT),
        ["abc", "bc", "abcab", "ab", "cab"])
    add("ignore_merges false", "the same vocabulary merged normally",
        doc({"vocab": ignore_vocab, "merges": ["a b"], "ignore_merges": False}, WHITESPACE_SPLIT),
        ["abc", "bc", "abcab", "ab", "cab"])

    rank_vocab = {"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5}
    rank_inputs = ["abc", "abcabc", "cab", "bcab", "aabbcc"]
    add("merges as strings", "\"left right\" strings",
        doc({"vocab": rank_vocab, "merges": ["b c", "a b", "a bc", "ab c"]}, WHITESPACE_SPLIT), rank_inputs)
    add("merges as pairs", "the same merges as [left, right] pairs: the same ids",
        doc({"vocab": rank_vocab, "merges": [["b", "c"], ["a", "b"], ["a", "bc"], ["ab", "c"]]}, WHITESPACE_SPLIT),
        rank_inputs)
    add("merge of tokens with spaces", "only the pair form can name tokens that contain a space",
        doc({"vocab": {"a": 0, " ": 1, "a ": 2, "b": 3, "a b": 4}, "merges": [["a", " "], ["a ", "b"]]}),
        ["a b", "a a b", " a", "ba "])
    add("repeated merge", "a pair listed twice has the later rank",
        doc({"vocab": rank_vocab, "merges": ["b c", "a b", "b c"]}, WHITESPACE_SPLIT), ["abc", "bcab"])
    add("#version string", "a \"#version\" string among string merges is skipped",
        doc({"vocab": rank_vocab, "merges": ["#version: 0.2", "b c", "a b"]}, WHITESPACE_SPLIT), ["abc", "ab"])
    add("ties go left", "equal ranks: the leftmost pair first",
        doc({"vocab": {"a": 0, "aa": 1, "aaa": 2, "aaaa": 3}, "merges": ["a a", "aa a", "aa aa"]}, WHITESPACE_SPLIT),
        ["aa", "aaa", "aaaa", "aaaaa", "aaaaaa", "aaaaaaa"])
    add("model without type", "older files omit model.type; vocab + merges make it a BPE",
        doc({"_no_type": True, "vocab": rank_vocab, "merges": ["a b"]}, WHITESPACE_SPLIT), ["abc"])
    add("dropout 0", "dropout 0 is no dropout",
        doc({"vocab": rank_vocab, "merges": ["a b"], "dropout": 0.0}, WHITESPACE_SPLIT), ["abc", "ab"])
    add("empty tokens", "an empty token and a merge with it",
        doc({"vocab": {"a": 0, "": 1, "b": 2}, "merges": [["a", ""]]}, WHITESPACE_SPLIT), ["ab", "a"])

    vocab, merges = byte_vocab(BYTE_MERGES)
    strings = BYTE_LEVEL_INPUTS + random_ascii(rng, 300) + random_unicode(rng, 100)
    for prefix in (False, True):
        for use_regex in (True, False):
            add(f"ByteLevel add_prefix_space={prefix} use_regex={use_regex}", "the ByteLevel pre-tokenizer alone",
                doc({"vocab": vocab, "merges": merges}, byte_level(prefix, use_regex)), strings)
    add("Split then ByteLevel add_prefix_space", "add_prefix_space applies to every piece the Split made",
        doc({"vocab": vocab, "merges": merges},
            {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"String": ","}, "behavior": "Isolated", "invert": False},
                byte_level(True)]}),
        ["a,b, c", "the,thing ,  x", ",", ",,the", "a , ,b"])
    add("ByteLevel add_prefix_space after added tokens", "the piece after an added token gets the space too",
        doc({"vocab": vocab, "merges": merges}, byte_level(True),
            added_tokens=[{"id": len(vocab), "content": "<m>", "single_word": False, "lstrip": False, "rstrip": False,
                           "normalized": False, "special": True}]),
        ["x<m>y <m> z", "<m>the", "the<m>", " <m> "])
    add("ByteLevel normalizer", "the normalizer maps bytes alone; with no pre-tokenizer the text is one word",
        doc({"vocab": vocab, "merges": merges}, None, {"type": "ByteLevel"}), ["é a\n", "the thing", "中 ☃", "  "])

    refused = [
        ("merge token not in vocab", {"vocab": rank_vocab, "merges": ["a b", "a d"]}),
        ("merge result not in vocab", {"vocab": rank_vocab, "merges": ["a b", "b a"]}),
        ("merge string with three tokens", {"vocab": rank_vocab, "merges": ["a b c"]}),
        ("merge string with one token", {"vocab": rank_vocab, "merges": ["ab"]}),
        ("merge pair with three tokens", {"vocab": rank_vocab, "merges": [["a", "b", "c"]]}),
        ("mixed merge forms", {"vocab": rank_vocab, "merges": ["a b", ["ab", "c"]]}),
        ("dropout above 1", {"vocab": rank_vocab, "merges": [], "dropout": 1.5}),
        ("no merges", {"vocab": rank_vocab}),
        ("right token shorter than the prefix", {"vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"],
                                                 "continuing_subword_prefix": "##"}),
    ]
    out = []
    for case in cases:
        out.append(encode_json_case(case))
    for name, model in refused:
        tokenizer = doc(model, WHITESPACE_SPLIT)
        try:
            Tokenizer.from_str(json.dumps(tokenizer))
        except BaseException as e:  # a Rust panic arrives as pyo3's PanicException
            out.append({"name": name, "about": "HF refuses this file", "tokenizer": tokenizer,
                        "load_error": str(e)})
            continue
        sys.exit(f"{name}: expected tokenizers to refuse it")
    return out


def encode_json_case(case):
    tok = Tokenizer.from_str(json.dumps(case["tokenizer"]))
    encodings = []
    for text in case["inputs"]:
        try:
            encodings.append({"input": text, "ids": tok.encode(text).ids})
        except Exception as e:
            encodings.append({"input": text, "error": str(e)})
    return {"name": case["name"], "about": case["about"], "tokenizer": case["tokenizer"], "encodings": encodings}


# ---------------------------------------------------------------------------------------------
# vocab.json + merges.txt directories


def legacy_vocab():
    """A byte-level vocabulary and merges.txt text, with <s> <pad> </s> <unk> <mask> first."""
    vocab, merges = byte_vocab(BYTE_MERGES)
    specials = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": 4}
    full = dict(specials)
    for token in sorted(vocab, key=vocab.get):
        full[token] = len(full)
    lines = ["#version: 0.2"] + [f"{a} {b}" for a, b in merges]
    return full, "\n".join(lines) + "\n"


LEGACY_INPUTS = ["hello world", "the thing", " the <mask> thing", "<s>the</s>", "<mask>the", "é ☃", "x <x1> y <foo>",
                 "a<new>b", ["the thing", "hello"], ["<mask> a", " b"], ["", "x"]]


def legacy_cases():
    vocab, merges_text = legacy_vocab()
    # Renumbered from 0, as a real vocabulary without these tokens would be.
    without_specials = {t: i for i, t in enumerate(t for t in vocab if t not in ("<s>", "<pad>", "</s>", "<unk>", "<mask>"))}
    cases = [
        ("roberta", "RobertaTokenizer with its default special tokens", vocab, merges_text,
         {"tokenizer_class": "RobertaTokenizer"}),
        ("roberta fast alias", "RobertaTokenizerFast is the same class", vocab, merges_text,
         {"tokenizer_class": "RobertaTokenizerFast", "add_prefix_space": True}),
        ("bart", "BartTokenizer is RobertaTokenizer in transformers 5", vocab, merges_text,
         {"tokenizer_class": "BartTokenizer", "add_bos_token": True}),
        ("roberta specials after the vocabulary", "special tokens missing from vocab.json get ids after it, in the "
         "order bos, eos, unk, sep, pad, cls, mask", without_specials, merges_text,
         {"tokenizer_class": "RobertaTokenizer"}),
        ("roberta added_tokens_decoder and extras", "added_tokens_decoder first (by id, with its flags; its ids are "
         "not used), then the named specials, other *_token keys, then extra_special_tokens",
         {t: i for t, i in vocab.items() if t not in ("<mask>", "<unk>")}, merges_text,
         {"tokenizer_class": "RobertaTokenizer", "foo_token": "<foo>", "extra_special_tokens": ["<x1>", "<s>"],
          "additional_special_tokens": ["<x2>"],
          "added_tokens_decoder": {
              "4005": {"content": "<mask>", "lstrip": True, "normalized": False, "rstrip": False,
                       "single_word": False, "special": True},
              "4001": {"content": "<new>", "lstrip": False, "normalized": True, "rstrip": False,
                       "single_word": False, "special": False}}}),
        ("roberta mask_token object", "a special token given as an AddedToken object keeps its flags", vocab,
         merges_text, {"tokenizer_class": "RobertaTokenizer", "pad_token": None,
                       "mask_token": {"__type": "AddedToken", "content": "<mask>", "lstrip": True, "normalized": False,
                                      "rstrip": False, "single_word": False, "special": True}}),
        ("roberta merges.txt with CRLF and #version lines", "lines end in \\r\\n; #version lines anywhere are skipped",
         vocab, merges_text.replace("\n", "\r\n").replace("h e\r\n", "h e\r\n#version: again\r\n"),
         {"tokenizer_class": "RobertaTokenizer"}),
        ("gpt2", "GPT2Tokenizer: <|endoftext|> for unk, bos and eos, added after the vocabulary; no special "
         "tokens around the text; the second sequence of a pair has type 1", without_specials, merges_text,
         {"tokenizer_class": "GPT2Tokenizer"}),
        ("gpt2 bos eos", "add_bos_token and add_eos_token put bos and eos around each sequence", vocab, merges_text,
         {"tokenizer_class": "GPT2TokenizerFast", "add_bos_token": True, "add_eos_token": True, "bos_token": "<s>",
          "eos_token": "</s>", "pad_token": "<pad>"}),
        ("gpt2 eos only", "add_eos_token alone", without_specials, merges_text,
         {"tokenizer_class": "GPT2Tokenizer", "add_eos_token": True, "add_prefix_space": True}),
    ]
    refused = [
        ("merges.txt line with three tokens", vocab, merges_text.replace("h e\n", "h e\nh e l\n"),
         {"tokenizer_class": "RobertaTokenizer"}),
        ("merges.txt empty line", vocab, merges_text.replace("h e\n", "h e\n\n"), {"tokenizer_class": "RobertaTokenizer"}),
        ("merges.txt unknown token", vocab, merges_text.replace("h e\n", "h e\nqq zz\n"),
         {"tokenizer_class": "RobertaTokenizer"}),
        ("vocab.json not an object", [1, 2], merges_text, {"tokenizer_class": "RobertaTokenizer"}),
        ("vocab.json negative id", {**vocab, "zzz": -1}, merges_text, {"tokenizer_class": "RobertaTokenizer"}),
        ("unsupported tokenizer_class", vocab, merges_text, {"tokenizer_class": "FooTokenizer"}),
    ]
    out = []
    workdir = tempfile.mkdtemp(prefix="bpe-goldens-")
    try:
        for name, about, v, m, config in cases:
            files = {"vocab.json": json.dumps(v, ensure_ascii=False), "merges.txt": m,
                     "tokenizer_config.json": json.dumps(config, ensure_ascii=False)}
            tok = load_legacy(workdir, files)
            encodings = []
            for text in LEGACY_INPUTS:
                if isinstance(text, list):
                    ids = tok(text[0], text[1])["input_ids"]
                    types = tok.backend_tokenizer.encode(text[0], text[1]).type_ids
                else:
                    ids = tok(text)["input_ids"]
                    types = tok.backend_tokenizer.encode(text).type_ids
                encodings.append({"input": text, "ids": ids, "type_ids": types})
            out.append({"name": name, "about": about, "files": files, "vocab_size": len(tok), "encodings": encodings})
        for name, v, m, config in refused:
            files = {"vocab.json": json.dumps(v, ensure_ascii=False), "merges.txt": m,
                     "tokenizer_config.json": json.dumps(config, ensure_ascii=False)}
            try:
                load_legacy(workdir, files)
            except Exception as e:
                out.append({"name": name, "about": "transformers refuses this directory", "files": files,
                            "load_error": str(e).split("\n")[0]})
                continue
            sys.exit(f"{name}: expected transformers to refuse it")
    finally:
        shutil.rmtree(workdir)
    return out


def load_legacy(workdir, files):
    directory = os.path.join(workdir, "case")
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    for name, text in files.items():
        with open(os.path.join(directory, name), "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return transformers.AutoTokenizer.from_pretrained(directory)


def main():
    warnings.filterwarnings("ignore")
    transformers.logging.set_verbosity_error()
    result = {
        "generated_by": "tools/make_bpe_option_goldens.py",
        "versions": {"tokenizers": tokenizers.__version__, "transformers": transformers.__version__},
        "json_cases": json_cases(),
        "legacy_cases": legacy_cases(),
    }
    # One case per line: small, and a regenerated file diffs case by case.
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("{\n")
        for key in ("generated_by", "versions"):
            f.write(f" {json.dumps(key)}: {json.dumps(result[key])},\n")
        for key in ("json_cases", "legacy_cases"):
            f.write(f" {json.dumps(key)}: [\n")
            lines = [json.dumps(case, ensure_ascii=True, separators=(",", ":")) for case in result[key]]
            f.write(",\n".join(lines))
            f.write("\n ]" + (",\n" if key == "json_cases" else "\n"))
        f.write("}\n")
    print(f"wrote {os.path.relpath(OUT)}: {len(result['json_cases'])} tokenizer.json cases, "
          f"{len(result['legacy_cases'])} vocab.json + merges.txt cases")


if __name__ == "__main__":
    main()
