#!/usr/bin/env python3
"""The pipelines transformers builds from SentencePiece models, for the C++ loader to equal.

A directory with a SentencePiece model (spm.model, sentencepiece.bpe.model, spiece.model) and no
tokenizer.json is converted by transformers' AutoTokenizer into an HF `tokenizers` pipeline, the
way the class named in tokenizer_config.json (AlbertTokenizer, CamembertTokenizer,
DebertaV2Tokenizer, XLMRobertaTokenizer) builds it. src/tokenizer/loaders/sentencepiece.cpp
builds the same pipeline as a tokenizer.json document; this script records what transformers
builds, as `AutoTokenizer.from_pretrained(dir).backend_tokenizer.to_str()` right after loading,
for every CASE below, in tests/data/tokenizer/spm_pipelines.json.
tests/tokenizer/sentencepiece_loader_test.cpp recreates each case's directory and compares.

The cases are the SentencePiece fixtures of make_tokenizer_fixtures.py (xlmr-unigram-spm,
deberta-v3-spm, camembert-spm, and albert-unigram's spiece.model with its tokenizer_config.json
but without its tokenizer.json), then configurations that each exercise one rule of
transformers' conversion: added_tokens_decoder, extra/additional special tokens,
special_tokens_map.json, added_tokens.json, renamed or repeated special tokens, custom
"*_token" keys, the class options (do_lower_case, keep_accents, split_by_punct,
add_prefix_space, add_bos_token), a model made for another class, a model whose type or
charsmap is edited, and cases where transformers raises.

Format of spm_pipelines.json:
  "versions": the pinned libraries; "cases": a list of
  {"name", "model": path of the .model file (from the repository root), "model_file": its name
   in the case's directory, "model_edits" (optional): changes to the ModelProto before it is
   written ({"model_type": n}, {"precompiled_charsmap": ""} clears it, {"piece_types":
   {"index": type}}), "files": {file name: exact text} written beside it (tokenizer_config.json,
   special_tokens_map.json, added_tokens.json, config.json; the text as written, because key
   order matters to transformers), and either "expected": the to_str() document, summarized, or
   "error": "<exception type>: <message>" where transformers raises}.
  The summary replaces bulky values: model.vocab becomes {"entries": n, "sha256": SHA-256 over
  each entry's UTF-8 piece, a 0 byte and the score as a little-endian IEEE double, "head": the
  first 6 entries, "tail": the last 2}; a precompiled_charsmap becomes {"base64_chars": n,
  "sha256": SHA-256 of the base64 text}.

Deterministic: a rerun with the pinned versions rewrites identical bytes.

Usage (from the repository root, a few seconds):
  /path/to/venv/bin/python tools/make_spm_pipeline_goldens.py
"""

import argparse
import hashlib
import json
import os
import shutil
import struct
import tempfile
import warnings
from pathlib import Path

os.environ["TOKENIZERS_PARALLELISM"] = "false"
warnings.filterwarnings("ignore")

import sentencepiece  # noqa: E402
import tokenizers  # noqa: E402
import transformers  # noqa: E402
from sentencepiece import sentencepiece_model_pb2  # noqa: E402

transformers.logging.set_verbosity_error()

REPO = Path(__file__).resolve().parent.parent
FIXTURES = "tests/fixtures/tokenizers"
OUT = REPO / "tests" / "data" / "tokenizer" / "spm_pipelines.json"

XLMR = (f"{FIXTURES}/xlmr-unigram-spm/sentencepiece.bpe.model", "sentencepiece.bpe.model")
DEBERTA = (f"{FIXTURES}/deberta-v3-spm/spm.model", "spm.model")
CAMEMBERT = (f"{FIXTURES}/camembert-spm/sentencepiece.bpe.model", "sentencepiece.bpe.model")
ALBERT = (f"{FIXTURES}/albert-unigram/spiece.model", "spiece.model")


def text(value) -> str:
    """A JSON file's text, keys in the order given (transformers reads them in file order)."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def fixture_config(fixture: str) -> str:
    return (REPO / FIXTURES / fixture / "tokenizer_config.json").read_text(encoding="utf-8")


def token(content, **flags):
    """An AddedToken as transformers 5 saves it in added_tokens_decoder."""
    return {"content": content, "lstrip": flags.get("lstrip", False),
            "normalized": flags.get("normalized", False), "rstrip": False, "single_word": False,
            "special": flags.get("special", True)}


def typed(content, **fields):
    """An AddedToken as transformers 4 saved named tokens: with "__type"."""
    return dict({"__type": "AddedToken", "content": content}, **fields)


def case(name, model, config=None, files=None, edits=None):
    out = {"name": name, "model": model[0], "model_file": model[1], "files": {}}
    if config is not None:
        out["files"]["tokenizer_config.json"] = config if isinstance(config, str) else text(config)
    for file_name, value in (files or {}).items():
        out["files"][file_name] = text(value)
    if edits:
        out["model_edits"] = edits
    return out


DEB = {"tokenizer_class": "DebertaV2Tokenizer"}
XLM = {"tokenizer_class": "XLMRobertaTokenizer"}
CAM = {"tokenizer_class": "CamembertTokenizer"}
ALB = {"tokenizer_class": "AlbertTokenizer"}

CASES = [
    # The fixtures, as they are.
    case("xlmr-unigram-spm", XLMR, fixture_config("xlmr-unigram-spm")),
    case("deberta-v3-spm", DEBERTA, fixture_config("deberta-v3-spm")),
    case("camembert-spm", CAMEMBERT, fixture_config("camembert-spm")),
    # albert-unigram's tokenizer_config.json is the one transformers saved (extra_special_tokens,
    # add_prefix_space, ...); its tokenizer.json is left out.
    case("albert-unigram spiece.model", ALBERT, fixture_config("albert-unigram")),
    case("albert class only", ALBERT, ALB),

    # added_tokens_decoder: as deberta-v3-base's (written by transformers 4): its tokens first.
    case("deberta added_tokens_decoder as on the hub", DEBERTA, dict(DEB, added_tokens_decoder={
        "0": token("[PAD]"), "1": token("[CLS]"), "2": token("[SEP]"), "3": token("[UNK]"),
        "128000": token("[MASK]")}, mask_token="[MASK]", unk_token="[UNK]")),
    # A new decoder token takes the next id before the named tokens; [MASK] keeps its flags.
    case("deberta added_tokens_decoder new tokens", DEBERTA, dict(DEB, added_tokens_decoder={
        "4001": token("[MASK]", lstrip=True), "4000": token("<x>", special=False, normalized=True)})),
    # Two decoder entries with one content: the later id's flags win, the earlier id's id.
    case("deberta added_tokens_decoder repeated content", DEBERTA, dict(DEB, added_tokens_decoder={
        "7000": token("<x>"), "6000": token("<x>", lstrip=True)})),
    # extra_special_tokens set: additional_special_tokens is ignored, and so are the model's
    # CONTROL pieces.
    case("deberta extra and additional", DEBERTA, dict(DEB, extra_special_tokens=["<e1>", "[CLS]"],
                                                       additional_special_tokens=["<a1>"])),
    # Only additional_special_tokens: it becomes extra_special_tokens.
    case("deberta additional only", DEBERTA, dict(DEB, additional_special_tokens=["<a1>", "<a2>"])),
    # AddedToken objects: named ones are special and not normalized unless they say; an extra
    # one without "special" is not special and so normalized.
    case("deberta token objects", DEBERTA, dict(
        DEB, mask_token=typed("<m>"), pad_token=typed("[PAD]", lstrip=True, normalized=True),
        extra_special_tokens=[typed("<e>"), typed("<f>", special=True, rstrip=True), "<g>",
                              typed("[MASK]", lstrip=True)])),
    case("deberta lower case, punctuation, no prefix space", DEBERTA, dict(
        DEB, do_lower_case=True, split_by_punct=True, add_prefix_space=False)),
    # added_tokens.json (no added_tokens_decoder): by id; special when the config names it.
    case("deberta added_tokens.json", DEBERTA, {"do_lower_case": False, "tokenizer_class": "DebertaV2Tokenizer",
                                                "vocab_type": "spm"},
         files={"added_tokens.json": {"[MASK]": 128000}}),
    case("deberta added_tokens.json with named tokens", DEBERTA, dict(
        DEB, mask_token="[MASK]", extra_special_tokens=["<q>"]),
         files={"added_tokens.json": {"<q>": 128001, "[MASK]": 128000, "<r>": 5}}),
    # special_tokens_map.json overrides the config; its extra list is merged into the config's.
    case("deberta special_tokens_map.json", DEBERTA, dict(DEB, mask_token="<cfg>", extra_special_tokens=["<c1>"]),
         files={"special_tokens_map.json": {
             "mask_token": "<m>", "pad_token": {"content": "<p>", "lstrip": True},
             "extra_special_tokens": ["<s1>", "<c1>", {"content": "<s2>", "rstrip": True}]}}),
    # ... but not when the config has added_tokens_decoder (even an empty one).
    case("deberta special_tokens_map.json ignored", DEBERTA, dict(DEB, added_tokens_decoder={}),
         files={"special_tokens_map.json": {"mask_token": "<m>"}}),
    # XLM-R's model under DebertaV2Tokenizer: [UNK] is not a piece, so the unknown id is
    # trainer_spec.unk_id; the CONTROL pieces <s> </s> are added tokens.
    case("deberta on the xlmr model", (XLMR[0], "spm.model"), DEB),
    case("deberta on the xlmr model, unk <unk>", (XLMR[0], "spm.model"), dict(DEB, unk_token="<unk>")),
    # The model type does not matter (a Unigram is built from the pieces).
    case("deberta BPE model type", DEBERTA, DEB, edits={"model_type": 2}),
    # A USER_DEFINED piece is an added token, not special; a CONTROL one is special.
    case("deberta user-defined and control pieces", DEBERTA, DEB, edits={"piece_types": {"10": 4, "11": 3}}),

    case("xlmr renamed tokens", XLMR, dict(XLM, unk_token="<unk2>", bos_token="<bos>")),
    case("xlmr mask object, no prefix space", XLMR, dict(
        XLM, add_prefix_space=False,
        mask_token=typed("<mask>", lstrip=True, normalized=True, rstrip=False, single_word=False))),
    case("xlmr on the deberta model", (DEBERTA[0], "sentencepiece.bpe.model"), XLM),
    case("xlmr without charsmap", XLMR, XLM, edits={"precompiled_charsmap": ""}),
    # No tokenizer_config.json: the class comes from config.json's model_type.
    case("xlmr from config.json", XLMR, None, files={"config.json": {"model_type": "xlm-roberta"}}),
    # add_bos_token does not change XLM-R's template (the class sets it last).
    case("xlmr add_bos_token", XLMR, dict(XLM, add_bos_token=False, add_eos_token=True)),

    case("camembert renamed tokens", CAMEMBERT, dict(CAM, unk_token="<u>", mask_token="<m>", pad_token="<p>")),
    case("camembert additional NOTUSED", CAMEMBERT, dict(
        CAM, additional_special_tokens=["<s>NOTUSED", "</s>NOTUSED", "<unk>NOTUSED"])),
    case("camembert on the deberta model", (DEBERTA[0], "sentencepiece.bpe.model"), CAM),
    case("camembert mask object", CAMEMBERT, dict(CAM, mask_token=typed("<mask>", lstrip=False, normalized=False,
                                                                       rstrip=True, single_word=False))),

    case("albert cased, accents, no prefix space, Fast", ALBERT, {
        "tokenizer_class": "AlbertTokenizerFast", "keep_accents": True, "do_lower_case": False,
        "add_prefix_space": False}),
    # ALBERT sets its template before the tokens are added: add_bos_token / add_eos_token in the
    # config replace it with update_post_processor's.
    case("albert add_bos_token", ALBERT, dict(ALB, add_bos_token=True)),
    case("albert add_bos_token and add_eos_token", ALBERT, dict(ALB, add_bos_token=True, add_eos_token=True)),
    case("albert add_eos_token false", ALBERT, dict(ALB, add_eos_token=False)),
    case("albert bos null", ALBERT, dict(ALB, add_bos_token=True, bos_token=None)),
    # Custom "*_token" keys (file order) and a dict of extra_special_tokens are named tokens.
    case("albert model-specific tokens", ALBERT, {
        "tokenizer_class": "AlbertTokenizer", "zz_token": "<zz>", "aa_token": "<aa>",
        "extra_special_tokens": {"q_token": "<q>", "b_token": "<b>"}}),
    # One content named twice with other flags: the later flags win.
    case("albert named token repeated", ALBERT, dict(ALB, bos_token="<new>", eos_token=typed(
        "<new>", lstrip=True, rstrip=False, normalized=False, single_word=False, special=True))),
    case("albert extra list empty, additional", ALBERT, dict(ALB, extra_special_tokens=[],
                                                             additional_special_tokens=["<add>"])),
    case("albert without charsmap", ALBERT, ALB, edits={"precompiled_charsmap": ""}),

    # transformers raises.
    case("camembert BPE model type", CAMEMBERT, CAM, edits={"model_type": 2}),
    case("albert on the xlmr model", (XLMR[0], "spiece.model"), ALB),
    case("no tokenizer class", DEBERTA, {"do_lower_case": False}),
]


def edited_model(source: Path, edits: dict) -> bytes:
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(source.read_bytes())
    if "model_type" in edits:
        proto.trainer_spec.model_type = edits["model_type"]
    if "precompiled_charsmap" in edits:
        proto.normalizer_spec.precompiled_charsmap = edits["precompiled_charsmap"].encode()
    for index, piece_type in edits.get("piece_types", {}).items():
        proto.pieces[int(index)].type = piece_type
    return proto.SerializeToString()


def summarize(node):
    """The to_str() document with the vocabulary and charsmaps replaced by their digests."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "vocab" and node.get("type") == "Unigram":
                digest = hashlib.sha256()
                for piece, score in value:
                    digest.update(piece.encode("utf-8") + b"\0" + struct.pack("<d", float(score)))
                out[key] = {"entries": len(value), "sha256": digest.hexdigest(), "head": value[:6],
                            "tail": value[-2:]}
            elif key == "precompiled_charsmap" and isinstance(value, str):
                out[key] = {"base64_chars": len(value), "sha256": hashlib.sha256(value.encode()).hexdigest()}
            else:
                out[key] = summarize(value)
        return out
    if isinstance(node, list):
        return [summarize(v) for v in node]
    return node


def run(spec: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="spm-case-") as tmp:
        directory = Path(tmp)
        source = REPO / spec["model"]
        model = edited_model(source, spec["model_edits"]) if "model_edits" in spec else source.read_bytes()
        (directory / spec["model_file"]).write_bytes(model)
        for file_name, content in spec["files"].items():
            (directory / file_name).write_text(content, encoding="utf-8")
        try:
            tok = transformers.AutoTokenizer.from_pretrained(str(directory))
        except Exception as error:  # noqa: BLE001 - the test only needs to know it raised
            return dict(spec, error="%s: %s" % (type(error).__name__, str(error).splitlines()[0][:200]))
        return dict(spec, expected=summarize(json.loads(tok.backend_tokenizer.to_str())))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    results = []
    for spec in CASES:
        result = run(spec)
        print("%-55s %s" % (spec["name"], "raises " + result["error"][:60] if "error" in result else "ok"))
        results.append(result)
    document = {
        "generated_by": "tools/make_spm_pipeline_goldens.py",
        "versions": {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                     "sentencepiece": sentencepiece.__version__},
        "cases": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print("wrote %s (%d cases)" % (args.out.relative_to(REPO), len(results)))


if __name__ == "__main__":
    main()
