#!/usr/bin/env python3
"""Tokenizer fixtures of several kinds, trained here, and HF's reference encodings of them.

make_tokenizer_goldens.py covers WordPiece (bert-base-uncased). This script covers the other
tokenizer kinds `finetune` must load: byte-level BPE, SentencePiece Unigram through
`tokenizer.json`, and SentencePiece models without a `tokenizer.json`. Nothing comes from the
hub: every tokenizer is trained in this script, on the text of
../shared/data/emotion/train.txt plus the short multilingual TRAINING_EXTRA lines below (the
emotion data is lower-case ASCII; the extra lines give the vocabularies a few capitals,
accented letters, CJK, Cyrillic, Greek and emoji), with HF `tokenizers` (BPE) or the
`sentencepiece` package (Unigram), and then written the way `transformers` (versions pinned in
tools/requirements.txt) writes it.

Fixtures, tests/fixtures/tokenizers/<name>/ (FIXTURES below has the details):

  roberta-bpe         tokenizer.json + tokenizer_config.json (RobertaTokenizer) as
                      save_pretrained writes them, plus vocab.json + merges.txt as the BPE model's
                      save() writes them (transformers 5 no longer writes these two itself).
  roberta-bpe-legacy  vocab.json + merges.txt + tokenizer_config.json only.
  modernbert-bpe      tokenizer.json + tokenizer_config.json (PreTrainedTokenizerFast), built
                      like ModernBERT's: NFC, Split(GPT-2 regex) + ByteLevel(use_regex=false),
                      TemplateProcessing, special tokens after the BPE vocabulary.
  xlmr-unigram        tokenizer.json + tokenizer_config.json that XLMRobertaTokenizer writes
                      after converting xlmr-unigram-spm.
  xlmr-unigram-spm    sentencepiece.bpe.model (Unigram, nmt_nfkc) + tokenizer_config.json.
  albert-unigram      spiece.model + tokenizer.json + tokenizer_config.json (AlbertTokenizer),
                      as albert-base-v2 ships them.
  deberta-v3-spm      spm.model + tokenizer_config.json (DebertaV2Tokenizer), no tokenizer.json,
                      as microsoft/deberta-v3-base ships.
  camembert-spm       sentencepiece.bpe.model + tokenizer_config.json (CamembertTokenizer).

The reference for every fixture is `transformers.AutoTokenizer.from_pretrained(<dir>)`. Where a
tokenizer.json exists the script also encodes everything with the bare `tokenizers.Tokenizer`
loaded from it, and for the directory pairs above (legacy files vs tokenizer.json, spm model vs
tokenizer.json) it compares the two loads; manifest.json records the outcome of each check.

Goldens, tests/data/tokenizer/<fixture>/ (manifest.json says which directory each fixture
uses: a fixture that tokenizes exactly like another one shares its files):

  emotion.fnv.gz
      gzip'd text (zlib is a dependency of finetune already; gzip because the plain text of all
      fixtures would be about 6 MB). Lines starting with '#' are comments; then one line per
      line of ../shared/data/emotion/train.txt followed by validation.txt (18,000 lines; the
      text is the part before the LAST ';'): "FULL MAX16", the digests of the encoding with
      special tokens, untruncated and truncated to max_length=16. MAX16 is "=" when it equals
      FULL (nothing was cut).
  pairs.fnv.gz
      The same for the rows of ../shared/data/emotion-pairs/train.jsonl followed by
      validation.jsonl (18,000 rows, columns sentence1, sentence2, label; the pair is
      (sentence1, sentence2)): "LONGEST ONLY_FIRST ONLY_SECOND", the digests of the pair
      encoding truncated to max_length=24 with truncation="longest_first", "only_first" and
      "only_second". "=" means the same digest as LONGEST; "E" means transformers raised
      (tokenizers' "Truncation error: Sequence to truncate too short to respect the provided
      max_length": the sequence that may be cut is shorter than what has to go).
  hard_strings.json
      "strings": make_tokenizer_goldens.HARD_STRINGS (the unicode torture lines of
      ../hard_strings.json) followed by EXTRA_HARD_STRINGS below; "random": the first
      RANDOM_COUNT seeded random strings of make_tokenizer_goldens.random_strings(); "pairs":
      PAIRS below. "cases": a list of {"name", "inputs", "truncation", "max_length",
      ["limit"], "expected", ["error_messages"]}: "inputs" names one of the three lists, or is
      the list itself; "limit" (when present): only the first N inputs; "truncation": null or
      the strategy; "max_length": 0 for none. Each expected entry is {"ids", "type_ids",
      "attention_mask"}, or {"error": true} when transformers raised (the distinct messages
      are in "error_messages"). Two cases have their own inputs: "pair batched" (the pairs
      with an empty text, encoded by a batch call tok([first], [second]); a single call
      tok(first, "") treats the empty second text as no second text and encodes first alone,
      a batch does not) and "pair boundaries" ([first, second, truncation, max_length], chosen
      per fixture so that the sequence to cut is exactly as long as, one token shorter or one
      token longer than what has to go, plus longest_first at max_length equal to and one
      below the pair's special tokens). When max_length is below the number of special
      tokens, HF does not truncate at all (the "max_length=1" cases show it).

The digest is make_tokenizer_goldens.digest(): FNV-1a 64 over the little-endian int32 values
ids..., -1, type_ids..., -1, attention_mask..., as 16 lowercase hex digits (what
tests/tokenizer/emotion_golden_test.cpp computes). type_ids are always those of the encoding
(`return_token_type_ids=True`), also for the tokenizers whose transformers class leaves them out
by default (manifest.json: "returns_token_type_ids_by_default").

tests/fixtures/tokenizers/manifest.json records the versions, how each fixture was made, each
file's size and sha256, the pipeline transformers built (normalizer, pre-tokenizer, model,
post-processor and decoder, with the vocabulary, merges and charsmap left out), the special
tokens, which golden files apply to which fixture, and the consistency checks.

Determinism: fixed seeds, one thread (TOKENIZERS_PARALLELISM=false, sentencepiece
num_threads=1); with the pinned versions a rerun writes byte-identical files (checked by
running the script twice and `git status`). tokenizers' BpeTrainer picks the most frequent
pair and breaks ties by the pair's token ids, so it does not depend on hash-map order;
sentencepiece's Unigram trainer is deterministic with one thread and a fixed seed. The .gz
files are written with mtime 0 and no file name; their bytes (not their text) could change
with another zlib version.

Usage (from the repository root; takes a few minutes):
  /path/to/venv/bin/python tools/make_tokenizer_fixtures.py
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ["TOKENIZERS_PARALLELISM"] = "false"

import sentencepiece  # noqa: E402
import tokenizers  # noqa: E402
import transformers  # noqa: E402
from tokenizers import (AddedToken, Regex, Tokenizer, decoders, models, normalizers,  # noqa: E402
                        pre_tokenizers, processors, trainers)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_tokenizer_goldens import (HARD_STRINGS, digest, emotion_texts,  # noqa: E402
                                    random_strings, read_lines)

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
FIXTURES_OUT = REPO / "tests" / "fixtures" / "tokenizers"
GOLDENS_OUT = REPO / "tests" / "data" / "tokenizer"

VOCAB_SIZE = 4000
SPM_SEED = 20240601
EMOTION_MAX_LENGTH = 16
PAIR_MAX_LENGTH = 24
PAIR_STRATEGIES = ["longest_first", "only_first", "only_second"]

# Appended (5 times, so BPE's min_frequency=2 keeps their merges) to the training text.
TRAINING_EXTRA = [
    "Hello World! This is a Test of Capital Letters, Numbers 0123456789 and Punctuation.",
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00c5ngstr\u00f6m Stra\u00dfe \u00e0 la cr\u00e8me br\u00fbl\u00e9e",
    "\u4e2d\u6587\u5b57\u7b26 \u65e5\u672c\u8a9e \u3072\u3089\u304c\u306a \u30ab\u30bf\u30ab\u30ca \ud55c\uad6d\uc5b4",
    "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440 \u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u03a3\u03bf\u03c6\u03af\u03b1",
    "\U0001f600\U0001f602 \u2764\ufe0f \U0001f970 \U0001f44d\U0001f3fd \U0001f1fa\U0001f1f8",
    "I'm sure you're right, it's what we've said: they'll do it, I'd say.",
    "email@example.com https://example.com/path?q=1&r=2 #hashtag @user $100 50%",
]

# Hand-written hard cases for these pipelines (the torture lines of make_tokenizer_goldens come
# first). Each exercises a rule of one of the pipelines; see the comment beside it.
EXTRA_HARD_STRINGS = [
    "hello <mask> world",                        # <mask> lstrip (RoBERTa, CamemBERT)
    "hello  <mask>  world",                      # lstrip takes all the spaces, rstrip none
    "<mask>",                                    # the mask alone
    " <mask> ",                                  # surrounded by single spaces
    "a<mask>b<mask><mask>c",                     # inside words, adjacent
    "\t<mask>\n<mask>\u3000<mask>",              # lstrip over other whitespace
    "<MASK> <Mask> [MASK] [mask] [ MASK ]",      # only exact matches are special
    "<s> </s> <pad> <unk> x</s>y <s>z",          # RoBERTa/XLM-R specials written in the text
    "[CLS] a [SEP] b [PAD] c [UNK] d [MASK]",    # BERT-style specials written in the text
    "<s>NOTUSED </s>NOTUSED <unk>NOTUSED",       # CamemBERT's placeholder pieces
    "|||IP_ADDRESS||| at |||ip_address|||",      # ModernBERT-style non-special added token
    "Hello world",                               # capital at the start (byte-level: no space)
    " Hello world",                              # leading space changes byte-level pieces
    "  two leading spaces",                      # Metaspace/WhitespaceSplit vs ByteLevel
    "trailing spaces   ",                        # Strip, ' {2,}' replace
    "many" + " " * 40 + "spaces",                # long run of spaces inside
    " " * 33,                                    # only spaces (long)
    "\n\n\nnewlines\n\n",                        # newlines only around a word
    "tabs\t\t\tand\x0bvertical\x0cfeed\r\nend",  # ASCII whitespace controls
    "\u00a0\u2000\u2003\u2009\u202f\u205f\u3000\u1680 unicode spaces",
    "zero\u200bwidth\u200c\u200djoin\u2060ers\ufeff",  # Cf characters
    "ctrl\x01\x02\x1b[0m\x7f\x80\x9f chars",     # C0/C1 controls
    "I'm you're it's we've they'll I'd 'S 'LL",  # GPT-2 contractions (case-sensitive)
    "don\u2019t won\u2019t it\u2019s",           # curly apostrophes
    "12 345 6789 1234567890123 3.14159 1,000",   # digit runs
    "___---+++!!!???...,,,",                     # punctuation runs
    "``double quotes'' and \"plain\" ones",      # ALBERT's `` and '' replacements
    "\u00c0\u00c9\u00ce\u00d5\u00dc \u00e0\u00e9\u00ee\u00f5\u00fc \u00c7\u00e7 \u00d1\u00f1",  # accents
    "e\u0301 n\u0303 a\u0308 o\u0302\u0323 \u0301x",  # combining marks (NFC/NFKD compose/split)
    "\u0130stanbul I\u0307 \u0131 SS \u00df \u1e9e",  # Lowercase special cases
    "\uff21\uff22\uff23\uff11\uff12\uff13 \uff76\uff80\uff76\uff85 \ufb01\ufb02",  # NFKC widths
    "\u2460\u2461\u2462 \u216b x\u00b2 H\u2082O \u00bd \u2122 \u2026",  # compatibility forms
    "\u4e2d\u6587 \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \ud55c\uad6d\uc5b4",  # CJK
    "\U0001f600 \U0001f984 \U0001f468\u200d\U0001f469\u200d\U0001f467 \U0001f1ef\U0001f1f5",
    "\u2603\u2603 \U0001d518\U0001d52b\U0001d526 \ua000 \u16a0",  # unknown to the vocabularies
    "\U0001f984\U0001f984\U0001f984",            # unk runs (Unigram) / bytes (byte-level)
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "a" * 200,                                   # a long run of one letter
    "i feel " * 30,                              # a long emotion-like text
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u05e2\u05d1\u05e8\u05d9\u05ea \u0939\u093f\u0928\u094d\u0926\u0940",
    "\U00010000\U0001f9ff\U000e0041 astral",  # astral code points, a tag character
    "\U0010fffd\ue000 private use",
]

# Sentence pairs for the hard cases: (first, second).
PAIRS = [
    ("", ""), ("", "second only"), ("first only", ""),
    ("i feel happy", "i feel sad"),
    ("hello <mask> world", "<mask> again"),
    (" leading space", "  two spaces"),
    ("Caf\u00e9 \u00c5ngstr\u00f6m", "\u4e2d\u6587 \U0001f600"),
    ("i feel " * 10, "short"),
    ("short", "i feel " * 10),
    ("i feel " * 10, "i am " * 10),
    ("a", "b " * 30),
    ("\t\n", " "),
    ("<s> </s>", "[CLS] [SEP]"),
] + [(HARD_STRINGS[i], HARD_STRINGS[i + 1]) for i in range(0, len(HARD_STRINGS) - 1, 2)] + \
    [(EXTRA_HARD_STRINGS[i], EXTRA_HARD_STRINGS[i + 1])
     for i in range(0, len(EXTRA_HARD_STRINGS) - 1, 2)]

SINGLE_TRUNCATIONS = [1, 2, 3, 8]
BELOW_SPECIALS_LIMIT = 12  # inputs used where max_length is below the special tokens' count
RANDOM_COUNT = 80
PAIR_TRUNCATIONS = [(s, 12) for s in PAIR_STRATEGIES] + [("longest_first", 3)]

GPT2_SPLIT = (r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")


# ---------------------------------------------------------------------------------------------
# Training.

def training_texts(lowercase: bool = False):
    texts = [line.rsplit(";", 1)[0]
             for line in read_lines(SHARED / "data" / "emotion" / "train.txt")]
    texts += TRAINING_EXTRA * 5
    return [t.lower() for t in texts] if lowercase else texts


def train_byte_level_bpe(pre_tokenizer, normalizer, special_tokens):
    tok = Tokenizer(models.BPE())
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, min_frequency=2, show_progress=False,
                                  special_tokens=special_tokens,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(training_texts(), trainer)
    return tok


def train_spm(lowercase: bool = False, **options) -> bytes:
    """A SentencePiece Unigram model (serialized ModelProto) trained in memory."""
    sentencepiece.set_random_generator_seed(SPM_SEED)
    out = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(training_texts(lowercase)), model_writer=out,
        model_type="unigram", vocab_size=VOCAB_SIZE, normalization_rule_name="nmt_nfkc",
        character_coverage=1.0, num_threads=1, minloglevel=2, **options)
    return out.getvalue()


def fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def write_json(path: Path, value):
    path.write_text(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def build_roberta(out: Path) -> dict:
    tok = train_byte_level_bpe(
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True), None,
        ["<s>", "<pad>", "</s>", "<unk>",
         AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False, special=True)])
    tok.post_processor = processors.RobertaProcessing(
        ("</s>", tok.token_to_id("</s>")), ("<s>", tok.token_to_id("<s>")),
        trim_offsets=True, add_prefix_space=False)
    main = fresh_dir(out / "roberta-bpe")
    transformers.RobertaTokenizer(tokenizer_object=tok).save_pretrained(str(main))
    tok.model.save(str(main))  # vocab.json + merges.txt, as RobertaTokenizerFast 4.x saved them
    legacy = fresh_dir(out / "roberta-bpe-legacy")
    for name in ("vocab.json", "merges.txt", "tokenizer_config.json"):
        shutil.copyfile(main / name, legacy / name)
    return {
        "roberta-bpe": "tokenizers BpeTrainer (vocab_size %d, min_frequency 2, ByteLevel "
                       "alphabet), ByteLevel(add_prefix_space=false, trim_offsets=true), "
                       "RobertaProcessing; special tokens <s> <pad> </s> <unk> <mask> "
                       "(<mask> lstrip); RobertaTokenizer(tokenizer_object=...).save_pretrained, "
                       "then the BPE model's save() for vocab.json + merges.txt" % VOCAB_SIZE,
        "roberta-bpe-legacy": "vocab.json, merges.txt and tokenizer_config.json of roberta-bpe",
    }


def build_modernbert(out: Path) -> dict:
    tok = train_byte_level_bpe(
        pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(GPT2_SPLIT), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)]),
        normalizers.NFC(), ["<|endoftext|>", "<|padding|>"])
    # As in ModernBERT: a non-special added token matched after normalization, then the BERT
    # special tokens after the BPE vocabulary.
    tok.add_tokens([AddedToken("|||IP_ADDRESS|||", normalized=True, special=False)])
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                            for t in ("[UNK]", "[CLS]", "[SEP]", "[PAD]")] +
                           [AddedToken("[MASK]", lstrip=True, special=True, normalized=False)])
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    main = fresh_dir(out / "modernbert-bpe")
    transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]",
        pad_token="[PAD]", mask_token="[MASK]", model_max_length=8192,
        model_input_names=["input_ids", "attention_mask"]).save_pretrained(str(main))
    return {"modernbert-bpe": "tokenizers BpeTrainer (vocab_size %d incl. <|endoftext|> "
                              "<|padding|>), NFC, Split(GPT-2 regex, isolated) + "
                              "ByteLevel(use_regex=false), TemplateProcessing; then "
                              "|||IP_ADDRESS||| (normalized, not special) and [UNK] [CLS] [SEP] "
                              "[PAD] [MASK] (lstrip) added after the vocabulary; "
                              "PreTrainedTokenizerFast(tokenizer_object=...).save_pretrained"
                              % VOCAB_SIZE}


def spm_dir(path: Path, model: bytes, filename: str, config: dict) -> Path:
    fresh_dir(path)
    (path / filename).write_bytes(model)
    write_json(path / "tokenizer_config.json", config)
    return path


def build_sentencepiece(out: Path) -> dict:
    made = {}
    spm_note = ("sentencepiece %s Unigram, vocab_size %d, nmt_nfkc, character_coverage 1, "
                "num_threads 1, seed %d" % (sentencepiece.__version__, VOCAB_SIZE, SPM_SEED))

    # XLM-R: default spm ids (<unk> 0, <s> 1, </s> 2); the converter shifts them fairseq-style.
    xlmr_spm = spm_dir(out / "xlmr-unigram-spm", train_spm(), "sentencepiece.bpe.model",
                       {"tokenizer_class": "XLMRobertaTokenizer"})
    main = fresh_dir(out / "xlmr-unigram")
    transformers.AutoTokenizer.from_pretrained(str(xlmr_spm)).save_pretrained(str(main))
    made["xlmr-unigram-spm"] = spm_note + "; tokenizer_config.json written by this script"
    made["xlmr-unigram"] = "AutoTokenizer.from_pretrained(xlmr-unigram-spm).save_pretrained"

    # ALBERT: <pad> 0, <unk> 1, [CLS] 2, [SEP] 3, [MASK] 4 as in albert-base-v2's spiece.model;
    # trained on lower-cased text (do_lower_case).
    model = train_spm(lowercase=True, pad_id=0, unk_id=1, bos_id=2, eos_id=3, bos_piece="[CLS]",
                      eos_piece="[SEP]", control_symbols=["[MASK]"])
    with tempfile.TemporaryDirectory(prefix="albert-spm-") as tmp:
        src = spm_dir(Path(tmp), model, "spiece.model", {"tokenizer_class": "AlbertTokenizer"})
        main = fresh_dir(out / "albert-unigram")
        transformers.AutoTokenizer.from_pretrained(str(src)).save_pretrained(str(main))
    (main / "spiece.model").write_bytes(model)
    made["albert-unigram"] = (spm_note + ", lower-cased text, pad 0 unk 1 [CLS] 2 [SEP] 3, "
                              "[MASK] control symbol 4; AutoTokenizer of spiece.model + "
                              "{tokenizer_class: AlbertTokenizer}, save_pretrained, spiece.model "
                              "kept beside")

    # DeBERTa-v3: [PAD] 0, [CLS] 1, [SEP] 2, [UNK] 3 as in deberta-v3-base's spm.model; [MASK]
    # is not in the model (transformers appends it). tokenizer_config.json as deberta-v3-base's.
    model = train_spm(pad_id=0, pad_piece="[PAD]", bos_id=1, bos_piece="[CLS]", eos_id=2,
                      eos_piece="[SEP]", unk_id=3, unk_piece="[UNK]")
    spm_dir(out / "deberta-v3-spm", model, "spm.model",
            {"do_lower_case": False, "tokenizer_class": "DebertaV2Tokenizer", "vocab_type": "spm"})
    made["deberta-v3-spm"] = (spm_note + ", [PAD] 0 [CLS] 1 [SEP] 2 [UNK] 3; "
                              "tokenizer_config.json as deberta-v3-base's plus tokenizer_class")

    # CamemBERT: default spm ids; the converter puts <s>NOTUSED <pad> </s>NOTUSED <unk>
    # <unk>NOTUSED first, so the spm's <s> and </s> become ids 5 and 6.
    spm_dir(out / "camembert-spm", train_spm(), "sentencepiece.bpe.model",
            {"tokenizer_class": "CamembertTokenizer"})
    made["camembert-spm"] = spm_note + "; tokenizer_config.json written by this script"
    return made


# ---------------------------------------------------------------------------------------------
# Encoding.

def load(path: Path):
    return transformers.AutoTokenizer.from_pretrained(str(path))


def encode(tok, first, second=None, truncation=None, max_length=0, batched=False):
    """transformers' encoding as a dict, or {"error": message} when it raises.

    batched: call with one-element lists, as a batch (transformers treats an empty second text
    of a single call as no second text at all, but keeps it in a batch).
    """
    kwargs = dict(return_token_type_ids=True, return_attention_mask=True)
    if truncation:
        kwargs.update(truncation=truncation, max_length=max_length)
    try:
        if batched:
            out = {k: v[0] for k, v in tok([first], [second], **kwargs).items()}
        else:
            out = tok(first, second, **kwargs) if second is not None else tok(first, **kwargs)
    except Exception as e:  # tokenizers raises a bare Exception for truncation errors
        return {"error": str(e)}
    return {"ids": list(out["input_ids"]), "type_ids": list(out["token_type_ids"]),
            "attention_mask": list(out["attention_mask"])}


def encode_raw(raw: Tokenizer, first, second=None, truncation=None, max_length=0,
               batched=False):
    """The same with the bare tokenizers.Tokenizer of tokenizer.json."""
    raw.no_padding()
    if truncation:
        raw.enable_truncation(max_length=max_length, strategy=truncation)
    else:
        raw.no_truncation()
    try:
        e = raw.encode(first, second) if second is not None else raw.encode(first)
    except Exception as err:
        return {"error": str(err)}
    return {"ids": list(e.ids), "type_ids": list(e.type_ids),
            "attention_mask": list(e.attention_mask)}


def dig(enc) -> str:
    if "error" in enc:
        return "E"
    return digest(enc["ids"], enc["type_ids"], enc["attention_mask"])


def emotion_pairs():
    rows = []
    for split in ("train", "validation"):
        for line in read_lines(SHARED / "data" / "emotion-pairs" / f"{split}.jsonl"):
            row = json.loads(line)
            rows.append((row["sentence1"], row["sentence2"]))
    return rows


def digests(encoder, texts, pairs):
    """Rows of digests: emotion [full, max16], pairs [longest, only_first, only_second]."""
    emotion = [[dig(encoder(t)), dig(encoder(t, None, "longest_first", EMOTION_MAX_LENGTH))]
               for t in texts]
    pair_rows = [[dig(encoder(a, b, s, PAIR_MAX_LENGTH)) for s in PAIR_STRATEGIES]
                 for a, b in pairs]
    return emotion, pair_rows


def boundary_inputs(tok):
    """Pair truncations for only_first and only_second where the sequence to cut is exactly as
    long as what has to go, one token shorter or one token longer (HF raises in the first two
    cases: the cut sequence may not become empty), and longest_first at max_length equal to
    and one below the pair's number of special tokens."""
    first, second = "i feel rather happy today", "and so do you"
    n_first = len(tok(first, add_special_tokens=False)["input_ids"])
    n_second = len(tok(second, add_special_tokens=False)["input_ids"])
    n_special = tok.num_special_tokens_to_add(pair=True)
    inputs = []
    for strategy, kept in (("only_first", n_second), ("only_second", n_first)):
        for extra in (0, -1, 1):
            inputs.append([first, second, strategy, n_special + kept + extra])
    inputs.append([first, second, "longest_first", n_special])       # both cut to nothing
    inputs.append([first, second, "longest_first", n_special - 1])   # fewer than the specials
    return inputs


def make_case(name, inputs, truncation, max_length, expected, limit=None):
    """A hard-strings case; errors become {"error": true} with the messages listed once."""
    messages = sorted({e["error"] for e in expected if "error" in e})
    case = {"name": name, "inputs": inputs, "truncation": truncation, "max_length": max_length}
    if limit is not None:
        case["limit"] = limit
    case["expected"] = [{"error": True} if "error" in e else e for e in expected]
    if messages:
        case["error_messages"] = messages
    return case


def hard_cases(tok, encoder):
    strings = HARD_STRINGS + EXTRA_HARD_STRINGS
    randoms = random_strings(RANDOM_COUNT)
    n_single = tok.num_special_tokens_to_add(pair=False)
    n_pair = tok.num_special_tokens_to_add(pair=True)
    cases = [make_case("single", "strings", None, 0, [encoder(s) for s in strings])]
    for n in SINGLE_TRUNCATIONS:
        # Below the number of special tokens HF does not truncate at all: a few inputs show it.
        limit = BELOW_SPECIALS_LIMIT if n < n_single else None
        used = strings[:limit] if limit else strings
        cases.append(make_case(f"single max_length={n}", "strings", "longest_first", n,
                               [encoder(s, None, "longest_first", n) for s in used], limit))
    cases.append(make_case("random", "random", None, 0, [encoder(s) for s in randoms]))
    cases.append(make_case("pair", "pairs", None, 0, [encoder(a, b) for a, b in PAIRS]))
    for strategy, n in PAIR_TRUNCATIONS:
        limit = BELOW_SPECIALS_LIMIT if n < n_pair else None
        used = PAIRS[:limit] if limit else PAIRS
        cases.append(make_case(f"pair {strategy} max_length={n}", "pairs", strategy, n,
                               [encoder(a, b, strategy, n) for a, b in used], limit))
    empties = [[a, b] for a, b in PAIRS if a == "" or b == ""]
    cases.append(make_case("pair batched", empties, None, 0,
                           [encoder(a, b, batched=True) for a, b in empties]))
    bounds = boundary_inputs(tok)
    cases.append(make_case("pair boundaries", bounds, "per input", "per input",
                           [encoder(a, b, s, n) for a, b, s, n in bounds]))
    return cases


def expected_of(cases):
    return [c["expected"] for c in cases]


# ---------------------------------------------------------------------------------------------
# The manifest.

def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def without_data(node):
    """The pipeline JSON without the bulky parts: vocab, merges, precompiled charsmap."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k in ("vocab", "merges") and isinstance(v, (list, dict)):
                out[k] = f"<{len(v)} entries>"
            elif k == "precompiled_charsmap" and isinstance(v, str):
                out[k] = "<%d base64 chars, sha256 %s>" % (
                    len(v), hashlib.sha256(v.encode()).hexdigest())
            else:
                out[k] = without_data(v)
        return out
    if isinstance(node, list):
        return [without_data(v) for v in node]
    return node


def types(node):
    """'Sequence[A, B]'-style summary of a pipeline component."""
    if node is None:
        return None
    kind = node.get("type")
    for key in ("normalizers", "pretokenizers", "processors", "decoders"):
        if key in node:
            return "%s[%s]" % (kind, ", ".join(types(n) for n in node[key]))
    return kind


def pipeline(tok) -> dict:
    doc = json.loads(tok.backend_tokenizer.to_str())
    summary = {part: types(doc.get(part)) for part in
               ("normalizer", "pre_tokenizer", "model", "post_processor", "decoder")}
    return {"summary": summary,
            "json": without_data({k: v for k, v in doc.items() if k != "added_tokens"}),
            "added_tokens": doc["added_tokens"]}


def special_ids(tok) -> dict:
    out = {}
    for attr in ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token",
                 "mask_token"):
        value = getattr(tok, attr, None)
        if value is not None:
            out[attr] = [str(value), tok.convert_tokens_to_ids(str(value))]
    return out


# ---------------------------------------------------------------------------------------------

# Extra checks per fixture. "compare": other fixture directories that should tokenize alike
# (they share this fixture's golden files where they do). "spm_only_copy": the SentencePiece
# model in the directory, loaded again without tokenizer.json and compared.
FIXTURES = {
    "roberta-bpe": {"compare": ["roberta-bpe-legacy"]},
    "roberta-bpe-legacy": {},
    "modernbert-bpe": {},
    "xlmr-unigram": {"compare": ["xlmr-unigram-spm"]},
    "xlmr-unigram-spm": {},
    "albert-unigram": {"spm_only_copy": "spiece.model"},
    "deberta-v3-spm": {},
    "camembert-spm": {},
}


# What the checks and the pipelines showed (the manifest's "notes"; each is backed by a check
# or by the pipeline recorded beside it).
NOTES = {
    "all": [
        "transformers: a single call tok(first, '') encodes `first` alone (its `[(text, "
        "text_pair)] if text_pair else [text]`); a batch call and the bare tokenizers.Tokenizer "
        "encode the pair with an empty second sequence. This is the only difference found "
        "between transformers and the bare Tokenizer of each tokenizer.json.",
        "max_length below the number of special tokens: HF does not truncate at all.",
        "only_first/only_second raise unless the sequence to cut is strictly longer than the "
        "number of tokens to remove; longest_first at max_length = number of special tokens "
        "empties both sequences.",
    ],
    "roberta-bpe-legacy": [
        "transformers 5 writes mask_token into tokenizer_config.json as a plain string and its "
        "RobertaTokenizer no longer makes <mask> lstrip, so from vocab.json + merges.txt alone "
        "<mask> has lstrip=false and ' <mask>' encodes as 'Ġ' <mask>: the hard strings with "
        "<mask> after whitespace differ from roberta-bpe (its own hard_strings.json); emotion "
        "and pairs have no <mask> and share roberta-bpe's digests. With an added_tokens_decoder "
        "entry for <mask> (lstrip true) in tokenizer_config.json the legacy files tokenize like "
        "tokenizer.json (check 'legacy files + added_tokens_decoder' of roberta-bpe).",
    ],
    "xlmr-unigram": [
        "transformers 5's XLMRobertaTokenizer gives <mask> lstrip=false (4.x's "
        "XLMRobertaTokenizerFast made it lstrip); its normalizer is the Precompiled charsmap "
        "alone. Converting the spm model on load (xlmr-unigram-spm) gives identical encodings.",
    ],
    "deberta-v3-spm": [
        "transformers 5's DebertaV2Tokenizer builds its own normalizer (Replace "
        "\\s{2,}|[\\n\\r\\t] -> ' ', NFC, Strip right) and ignores the spm model's "
        "precompiled charsmap (nmt_nfkc); no WhitespaceSplit; [MASK] is appended after the spm "
        "pieces; token_type_ids are returned by default.",
    ],
    "camembert-spm": [
        "CamembertTokenizer puts <s>NOTUSED <pad> </s>NOTUSED <unk> <unk>NOTUSED first, so "
        "the spm model's own <s> and </s> become ids 5 and 6 and are the ones used; <mask> is "
        "last, lstrip. The spm model is byte-identical to xlmr-unigram-spm's.",
    ],
    "modernbert-bpe": [
        "PreTrainedTokenizerFast is TokenizersBackend in transformers 5 and uses tokenizer.json "
        "as it is.",
    ],
    "albert-unigram": [
        "spiece.model + tokenizer_config.json without tokenizer.json gives identical encodings.",
    ],
}


def write_fnv_gz(path: Path, header: str, rows):
    """The digest text, gzip-compressed with a fixed header (mtime 0, no file name)."""
    lines = []
    for row in rows:
        first = row[0]
        lines.append(" ".join([first] + [("=" if d == first else d) for d in row[1:]]))
    text = (header + "\n".join(lines) + "\n").encode("ascii")
    path.write_bytes(gzip.compress(text, compresslevel=9, mtime=0))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fixtures", type=Path, default=FIXTURES_OUT)
    parser.add_argument("--goldens", type=Path, default=GOLDENS_OUT)
    args = parser.parse_args()

    args.fixtures.mkdir(parents=True, exist_ok=True)
    made = {}
    made.update(build_roberta(args.fixtures))
    made.update(build_modernbert(args.fixtures))
    made.update(build_sentencepiece(args.fixtures))

    texts = emotion_texts()
    pairs = emotion_pairs()
    versions = {"tokenizers": tokenizers.__version__, "transformers": transformers.__version__,
                "sentencepiece": sentencepiece.__version__}
    results = {}  # name -> (emotion rows, pair rows, hard cases)
    entries = {}
    for name in made:
        directory = args.fixtures / name
        tok = load(directory)
        print(f"{name}: {type(tok).__name__}", flush=True)

        def encoder(a, b=None, s=None, n=0, batched=False, tok=tok):
            return encode(tok, a, b, s, n, batched)
        emotion, pair_rows = digests(encoder, texts, pairs)
        cases = hard_cases(tok, encoder)
        results[name] = (emotion, pair_rows, cases)
        checks = {}
        json_path = directory / "tokenizer.json"
        if json_path.exists():
            raw = Tokenizer.from_file(str(json_path))

            def raw_encoder(a, b=None, s=None, n=0, batched=False, raw=raw):
                return encode_raw(raw, a, b, s, n)
            raw_emotion, raw_pairs = digests(raw_encoder, texts, pairs)
            raw_cases = hard_cases(tok, raw_encoder)
            checks["bare tokenizers.Tokenizer of tokenizer.json"] = compare(
                (emotion, pair_rows, expected_of(cases)),
                (raw_emotion, raw_pairs, expected_of(raw_cases)), cases)
        spm_name = FIXTURES.get(name, {}).get("spm_only_copy")
        if spm_name:
            with tempfile.TemporaryDirectory(prefix="spm-only-") as tmp:
                shutil.copyfile(directory / spm_name, Path(tmp) / spm_name)
                shutil.copyfile(directory / "tokenizer_config.json",
                                Path(tmp) / "tokenizer_config.json")
                alone = load(Path(tmp))

                def alone_encoder(a, b=None, s=None, n=0, batched=False, tok=alone):
                    return encode(tok, a, b, s, n, batched)
                checks[f"{spm_name} + tokenizer_config.json without tokenizer.json"] = compare(
                    (emotion, pair_rows, expected_of(cases)),
                    (*digests(alone_encoder, texts, pairs),
                     expected_of(hard_cases(alone, alone_encoder))), cases)
        entries[name] = {
            "made_by": made[name],
            "transformers_class": type(tok).__name__,
            "returns_token_type_ids_by_default": "token_type_ids" in tok.model_input_names,
            "model_input_names": list(tok.model_input_names),
            "vocab_size_with_added_tokens": len(tok),
            "special_tokens": special_ids(tok),
            "pipeline": pipeline(tok),
            "checks": checks,
            "notes": NOTES.get(name, []),
        }

    # The legacy RoBERTa files with <mask>'s lstrip given in tokenizer_config.json.
    with tempfile.TemporaryDirectory(prefix="roberta-legacy-") as tmp:
        legacy = args.fixtures / "roberta-bpe-legacy"
        for f in legacy.iterdir():
            shutil.copyfile(f, Path(tmp) / f.name)
        config = json.loads((legacy / "tokenizer_config.json").read_text())
        config["added_tokens_decoder"] = {"4": {
            "content": "<mask>", "lstrip": True, "rstrip": False, "normalized": False,
            "single_word": False, "special": True}}
        write_json(Path(tmp) / "tokenizer_config.json", config)
        fixed = load(Path(tmp))

        def fixed_encoder(a, b=None, s=None, n=0, batched=False, tok=fixed):
            return encode(tok, a, b, s, n, batched)
        cases = results["roberta-bpe"][2]
        entries["roberta-bpe"]["checks"]["legacy files + added_tokens_decoder {4: <mask> "
                                         "lstrip} (hard strings only)"] = compare(
            ([], [], expected_of(cases)),
            ([], [], expected_of(hard_cases(fixed, fixed_encoder))), cases)

    # Directory pairs that should tokenize alike share goldens where they do.
    for name, options in FIXTURES.items():
        for other in options.get("compare", []):
            entries[name]["checks"][f"AutoTokenizer of {other}"] = compare(
                (results[name][0], results[name][1], expected_of(results[name][2])),
                (results[other][0], results[other][1], expected_of(results[other][2])),
                results[name][2])

    header = ("# FNV-1a 64 digests (tools/make_tokenizer_goldens.py digest()) of transformers %s "
              "encodings by AutoTokenizer of tests/fixtures/tokenizers/%s, see "
              "tools/make_tokenizer_fixtures.py\n")
    for name in made:
        emotion, pair_rows, cases = results[name]
        golden_dir = args.goldens / name
        shares = None
        for owner, options in FIXTURES.items():
            if name in options.get("compare", []) and owner in results and \
                    results[owner][0] == emotion and results[owner][1] == pair_rows:
                shares = owner
        files = {}
        fresh_dir(golden_dir)
        if shares is None:
            write_fnv_gz(golden_dir / "emotion.fnv.gz",
                         header % (transformers.__version__, name) +
                         "# ../shared/data/emotion train.txt then validation.txt, one line each: "
                         "FULL MAX16 (max_length=%d; '=' same as FULL)\n" % EMOTION_MAX_LENGTH,
                         emotion)
            write_fnv_gz(golden_dir / "pairs.fnv.gz",
                         header % (transformers.__version__, name) +
                         "# ../shared/data/emotion-pairs train.jsonl then validation.jsonl "
                         "(sentence1, sentence2), one line each: LONGEST_FIRST ONLY_FIRST "
                         "ONLY_SECOND at max_length=%d ('=' same as LONGEST_FIRST, 'E' "
                         "transformers raised)\n" % PAIR_MAX_LENGTH, pair_rows)
            files["emotion"] = f"tests/data/tokenizer/{name}/emotion.fnv.gz"
            files["pairs"] = f"tests/data/tokenizer/{name}/pairs.fnv.gz"
        else:
            files["emotion"] = f"tests/data/tokenizer/{shares}/emotion.fnv.gz"
            files["pairs"] = f"tests/data/tokenizer/{shares}/pairs.fnv.gz"
        if shares is not None and expected_of(results[shares][2]) == expected_of(cases):
            files["hard_strings"] = f"tests/data/tokenizer/{shares}/hard_strings.json"
            golden_dir.rmdir()
        else:
            document = {
                "generated_by": "tools/make_tokenizer_fixtures.py",
                "fixture": f"tests/fixtures/tokenizers/{name}",
                "versions": versions,
                "strings": HARD_STRINGS + EXTRA_HARD_STRINGS,
                "random": random_strings(RANDOM_COUNT),
                "pairs": [list(p) for p in PAIRS],
                "cases": cases,
            }
            (golden_dir / "hard_strings.json").write_text(
                json.dumps(document, ensure_ascii=True, separators=(",", ":")) + "\n")
            files["hard_strings"] = f"tests/data/tokenizer/{name}/hard_strings.json"
        entries[name]["goldens"] = files
        entries[name]["files"] = {
            f.name: {"bytes": f.stat().st_size, "sha256": sha256(f)}
            for f in sorted((args.fixtures / name).iterdir())}
        counts = {"emotion_truncated": sum(1 for r in emotion if r[1] != r[0]),
                  "pairs_only_first_errors": sum(1 for r in pair_rows if r[1] == "E"),
                  "pairs_only_second_errors": sum(1 for r in pair_rows if r[2] == "E")}
        entries[name]["golden_counts"] = counts

    manifest = {
        "generated_by": "tools/make_tokenizer_fixtures.py",
        "versions": versions,
        "vocab_size": VOCAB_SIZE,
        "emotion_max_length": EMOTION_MAX_LENGTH,
        "pair_max_length": PAIR_MAX_LENGTH,
        "pair_strategies": PAIR_STRATEGIES,
        "training_extra": TRAINING_EXTRA,
        "notes": NOTES["all"],
        "fixtures": entries,
    }
    write_json(args.fixtures / "manifest.json", manifest)

    total = 0
    for root in (args.fixtures, args.goldens):
        for f in sorted(root.rglob("*")):
            if f.is_file() and (root == args.fixtures or f.parent.name in made):
                total += f.stat().st_size
                print(f"{f.relative_to(REPO)}: {f.stat().st_size} bytes")
    print(f"total: {total} bytes")
    for name, entry in entries.items():
        for check, outcome in entry["checks"].items():
            print(f"{name}: {check}: {outcome['summary']}")


def case_inputs(case):
    named = {"strings": HARD_STRINGS + EXTRA_HARD_STRINGS, "random": random_strings(RANDOM_COUNT),
             "pairs": [list(p) for p in PAIRS]}
    inputs = named.get(case["inputs"], case["inputs"]) if isinstance(case["inputs"], str) \
        else case["inputs"]
    return inputs[:case["limit"]] if "limit" in case else inputs


def compare(a, b, cases) -> dict:
    """Differences between two (emotion rows, pair rows, hard expected) results; cases: the
    hard cases of a, to name the inputs that differ."""
    emotion = [i for i, (x, y) in enumerate(zip(a[0], b[0])) if x != y]
    pairs = [i for i, (x, y) in enumerate(zip(a[1], b[1])) if x != y]
    hard, inputs = [], []
    for case, x, y in zip(cases, a[2], b[2]):
        for i, (p, q) in enumerate(zip(x, y)):
            if p != q:
                hard.append([case["name"], i])
                item = case_inputs(case)[i]
                if item not in inputs:
                    inputs.append(item)
    summary = ("identical" if not (emotion or pairs or hard) else
               "%d emotion lines, %d pair rows, %d hard-string encodings (%d distinct inputs) "
               "differ" % (len(emotion), len(pairs), len(hard), len(inputs)))
    return {"summary": summary, "emotion_lines": emotion[:20], "pair_rows": pairs[:20],
            "hard_cases": hard[:60], "hard_inputs": inputs[:40]}


if __name__ == "__main__":
    sys.exit(main())
