#!/usr/bin/env python3
"""Copies a Hugging Face model directory with its floating-point weights stored in bf16.

Used to carry all-MiniLM-L6-v2 to the GPU machine within the 64 MiB the device tool moves: the
fp32 safetensors is 90 MB, bf16 halves it. finetune widens BF16 tensors to fp32 master weights on
load, so a model trained from the copy starts from the bf16-rounded weights (what --precision
bf16 computes with anyway). Only the Python standard library is needed: safetensors is a JSON
header plus raw little-endian bytes, and fp32 -> bf16 is round-to-nearest-even on the top 16
bits, done here with array arithmetic on integers.

Usage: python3 tools/convert_to_bf16.py SOURCE_DIR TARGET_DIR
"""

import array
import json
import pathlib
import shutil
import struct
import sys


def to_bf16(raw: bytes) -> bytes:
    """fp32 little-endian bytes -> bf16 bytes, rounding to nearest even (NaN kept NaN)."""
    words = array.array("I")
    words.frombytes(raw)
    out = array.array("H", bytes(2 * len(words)))
    for i, w in enumerate(words):
        if (w & 0x7FFFFFFF) > 0x7F800000:
            out[i] = (w >> 16) | 0x40
        else:
            out[i] = ((w + 0x7FFF + ((w >> 16) & 1)) >> 16) & 0xFFFF
    return out.tobytes()


def main() -> None:
    source, target = map(pathlib.Path, sys.argv[1:3])
    target.mkdir(parents=True, exist_ok=True)
    for f in source.iterdir():
        if f.is_file() and f.name != "model.safetensors":
            shutil.copy(f, target / f.name)
    data = (source / "model.safetensors").read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    body = data[8 + length :]
    new_header, chunks, offset = {}, [], 0
    for name, info in header.items():
        if name == "__metadata__":
            new_header[name] = info
            continue
        begin, end = info["data_offsets"]
        raw = body[begin:end]
        dtype = info["dtype"]
        if dtype == "F32":
            raw, dtype = to_bf16(raw), "BF16"
        new_header[name] = {"dtype": dtype, "shape": info["shape"], "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(new_header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(target / "model.safetensors", "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for chunk in chunks:
            out.write(chunk)
    print(f"convert_to_bf16: {target / 'model.safetensors'} ({offset / 1e6:.1f} MB of weights)")


if __name__ == "__main__":
    main()
