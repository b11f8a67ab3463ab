#!/usr/bin/env python3
"""Writes the PyTorch-checkpoint fixtures of the restricted unpickler tests.

`finetune` reads `pytorch_model.bin` (the zip archive `torch.save` writes: `<name>/data.pkl`, a
pickle that rebuilds tensors, plus one uncompressed `<name>/data/<key>` entry per storage) with
its own restricted unpickler (src/io/torch_checkpoint.cpp). These fixtures come from the real
`torch.save`, so the C++ reader is checked against PyTorch rather than against itself:

  tests/fixtures/tiny-bert-bin/      tiny-bert's state dict saved by torch.save from the
                                     transformers model (an OrderedDict with `_metadata`, the
                                     format `save_pretrained(safe_serialization=False)` used), and
                                     tiny-bert's config and tokenizer files. Its safetensors twin
                                     is tests/fixtures/tiny-bert/model.safetensors.
  tests/fixtures/torch-bin/dtypes.bin          tensors of every floating dtype, a transposed
                                     (non-contiguous) view, two views of one storage at different
                                     offsets, an int64 buffer, a 0-d tensor and an nn.Parameter;
  tests/fixtures/torch-bin/dtypes.json         the expected values (as float64 lists), names,
                                     dtypes and shapes;
  tests/fixtures/torch-bin/malicious_*.bin     torch-format zips whose data.pkl would run code
                                     (os.system("echo pwned"), builtins.eval, ...) if it were
                                     unpickled by Python's pickle. They are written opcode by
                                     opcode here and never unpickled.

Run with the project's virtual environment (torch 2.15, transformers 5.24):
    /work/venv/bin/python tools/make_bin_fixtures.py
torch.save stamps a random serialization id into each archive, so a rerun changes the bytes of
the .bin files (not their tensors); commit the result only when the script changed.
"""

import json
import pathlib
import shutil
import struct
import zipfile

import torch
from transformers import AutoModelForSequenceClassification

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def write_tiny_bert_bin():
    src = FIXTURES / "tiny-bert"
    out = FIXTURES / "tiny-bert-bin"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    model = AutoModelForSequenceClassification.from_pretrained(src)
    # state_dict() is an OrderedDict carrying `_metadata` (pickled with BUILD): the shape real
    # pytorch_model.bin files have.
    torch.save(model.state_dict(), out / "pytorch_model.bin")
    for name in ["config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt"]:
        shutil.copy(src / name, out / name)


def write_dtypes_bin():
    out = FIXTURES / "torch-bin"
    out.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(7)
    base = torch.randn(5, 7, generator=g)
    shared = torch.randn(24, generator=g)
    tensors = {
        "f32": torch.randn(3, 4, generator=g),
        "f16": torch.randn(2, 5, generator=g).half(),
        "bf16": torch.randn(4, 3, generator=g).bfloat16(),
        "f64": torch.randn(3, generator=g).double(),
        "transposed": base.t(),  # stride (1, 7): not contiguous
        "view_a": shared[2:14].view(3, 4),  # storage offset 2
        "view_b": shared[10:22].view(4, 3),  # same storage, offset 10
        "ids": torch.arange(6, dtype=torch.int64).view(2, 3),
        "scalar": torch.tensor(2.5),
        "param": torch.nn.Parameter(torch.randn(2, 2, generator=g)),
    }
    torch.save(tensors, out / "dtypes.bin")
    expected = {
        name: {
            "dtype": str(t.dtype).replace("torch.", ""),
            "shape": list(t.shape),
            "values": t.detach().double().flatten().tolist(),
        }
        for name, t in tensors.items()
    }
    with open(out / "dtypes.json", "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


# --- pickles written opcode by opcode (protocol 2, as torch.save writes) -------------------------

def global_op(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def unicode_op(text):
    data = text.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def call(module, name, *args):
    """GLOBAL module.name, a tuple of string args, REDUCE: what pickle emits for a call."""
    body = global_op(module, name) + b"("
    for a in args:
        body += unicode_op(a)
    return body + b"tR"


def write_torch_zip(path, pickle_bytes, storages=None):
    """A zip laid out like torch.save's (stored entries under one top-level folder)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        z.writestr("archive/byteorder", "little")
        for key, data in (storages or {}).items():
            z.writestr(f"archive/data/{key}", data)
        z.writestr("archive/version", "3\n")


def write_malicious():
    out = FIXTURES / "torch-bin"
    proto = b"\x80\x02"
    # {'x': os.system('echo pwned')}: the classic payload. The call happens while unpickling.
    write_torch_zip(out / "malicious_os_system.bin",
                    proto + b"}(" + unicode_op("x") + call("os", "system", "echo pwned") + b"u.")
    # posix.system is what pickle records for os.system on Linux.
    write_torch_zip(out / "malicious_posix_system.bin",
                    proto + call("posix", "system", "echo pwned") + b".")
    write_torch_zip(out / "malicious_eval.bin",
                    proto + call("builtins", "eval", "__import__('os').system('echo pwned')") + b".")
    # INST: the protocol-0 way to call a class with arguments (no GLOBAL opcode involved).
    write_torch_zip(out / "malicious_inst.bin",
                    proto + b"(" + unicode_op("echo pwned") + b"ios\nsystem\n.")
    # An allowed global (OrderedDict) smuggled into a place that would call something else:
    # REDUCE with a callable that is a string built at run time is impossible in pickle, but a
    # tensor-rebuild call with a storage from an unknown persistent-id kind must still be refused.
    bad_pid = (proto + b"}(" + unicode_op("w") + global_op("torch._utils", "_rebuild_tensor_v2") +
               b"((" + unicode_op("module") + global_op("torch", "FloatStorage") + unicode_op("0") +
               unicode_op("cpu") + b"K\x01tQK\x00K\x01\x85K\x01\x85\x89" +
               global_op("collections", "OrderedDict") + b")RtRu.")
    write_torch_zip(out / "malicious_persistent_id.bin", bad_pid, {"0": b"\0\0\0\0"})


def main():
    torch.manual_seed(0)
    write_tiny_bert_bin()
    write_dtypes_bin()
    write_malicious()
    print("wrote", FIXTURES / "tiny-bert-bin", "and", FIXTURES / "torch-bin")


if __name__ == "__main__":
    main()
