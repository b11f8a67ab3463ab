#!/usr/bin/env python3
"""Writes the small Parquet fixtures of the dataset-reader tests (tests/data/parquet/).

Each file exercises one feature of the reader in src/data/parquet/*.cpp: plain vs dictionary
encoding, each codec, data page v1 and v2, several row groups, many small pages, required and
optional columns, nulls, label columns of each integer-like type, Hugging Face ClassLabel
metadata, nested columns, non-UTF-8 bytes. pyarrow is the independent writer the C++ reader is
checked against; `expected.json` records what pyarrow wrote (values per column, row groups, page
settings), so the C++ tests compare against pyarrow rather than against themselves.

Run with the project's virtual environment (pyarrow 26):
    /work/venv/bin/python tools/make_parquet_fixtures.py
The output is deterministic for a given pyarrow version; the files are committed (a few KB each).
"""

import json
import pathlib

import pyarrow as pa
import pyarrow.parquet as pq

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "parquet"

# Texts chosen to trip a careless reader: non-ASCII in 2-, 3- and 4-byte UTF-8, an empty string,
# separators of the other formats, and a newline inside a value.
SPECIAL_TEXTS = [
    "i feel great",
    "",
    "café au lait ☕",
    "naïve résumé",
    "日本語のテキスト",
    "emoji 😀 party",
    "semi;colon;text",
    'comma, "quoted"',
    "new\nline",
    "tab\tseparated",
]
NAMES = ["negative", "neutral", "positive"]


def base_rows(n):
    texts = [SPECIAL_TEXTS[i] if i < len(SPECIAL_TEXTS) else f"example number {i}" for i in range(n)]
    labels = [(i * 7 + 1) % 3 for i in range(n)]
    return texts, labels


def hf_metadata(label_feature):
    """The footer metadata Hugging Face `datasets` writes (key "huggingface")."""
    info = {"info": {"features": {"text": {"dtype": "string", "_type": "Value"},
                                  "label": label_feature}}}
    return {b"huggingface": json.dumps(info).encode()}


def describe(path):
    """What the C++ tests check a file against: pyarrow's own reading of it."""
    f = pq.ParquetFile(path)
    meta = f.metadata
    table = f.read()
    columns = []
    for i, field in enumerate(table.schema):
        nested = pa.types.is_nested(field.type)
        entry = {"name": field.name, "nested": nested, "optional": field.nullable}
        if not nested:
            entry["physical_type"] = meta.schema.column(len([c for c in columns if not c["nested"]])).physical_type
        columns.append(entry)
    values = {}
    for field in table.schema:
        column = table.column(field.name)
        if pa.types.is_nested(field.type) or pa.types.is_binary(field.type) or column.null_count:
            continue
        values[field.name] = column.to_pylist()
    encodings = sorted({e for g in range(meta.num_row_groups)
                        for c in range(meta.num_columns)
                        for e in meta.row_group(g).column(c).encodings})
    codecs = sorted({meta.row_group(g).column(c).compression
                     for g in range(meta.num_row_groups) for c in range(meta.num_columns)})
    return {
        "num_rows": meta.num_rows,
        "row_groups": meta.num_row_groups,
        "columns": columns,
        "values": values,
        "encodings": encodings,
        "codecs": codecs,
    }


def write(name, table, expected, errors=None, **options):
    path = OUT / name
    pq.write_table(table, path, **options)
    entry = describe(path)
    entry["options"] = {k: v for k, v in options.items() if isinstance(v, (str, int, bool))}
    if errors:
        entry["errors"] = errors  # column -> substring of the C++ reader's error message
    expected[name] = entry


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.parquet"):
        old.unlink()
    expected = {}

    texts, labels = base_rows(24)
    table = pa.table({"text": texts, "label": pa.array(labels, pa.int64())})

    # Encodings x codecs x page versions, one row group each.
    write("plain_none_v1.parquet", table, expected,
          use_dictionary=False, compression="NONE", data_page_version="1.0")
    write("dict_snappy_v1.parquet", table, expected,  # format 1.0: PLAIN_DICTIONARY pages
          use_dictionary=True, compression="SNAPPY", data_page_version="1.0", version="1.0")
    write("dict_zstd_v2.parquet", table, expected,
          use_dictionary=True, compression="ZSTD", data_page_version="2.0")
    write("plain_snappy_v2.parquet", table, expected,
          use_dictionary=False, compression="SNAPPY", data_page_version="2.0")
    write("dict_gzip_v1.parquet", table, expected,
          use_dictionary=True, compression="GZIP", data_page_version="1.0")
    write("plain_zstd_v2.parquet", table, expected,
          use_dictionary=False, compression="ZSTD", data_page_version="2.0")
    write("plain_none_v2.parquet", table, expected,  # v2 pages with is_compressed = false
          use_dictionary=False, compression="NONE", data_page_version="2.0")

    # Several row groups and many small pages per column chunk; a tiny dictionary page limit makes
    # the writer fall back from dictionary to PLAIN pages in the middle of a chunk.
    texts60, labels60 = base_rows(60)
    table60 = pa.table({"text": texts60, "label": pa.array(labels60, pa.int64())})
    write("many_pages_v1.parquet", table60, expected,
          row_group_size=25, data_page_size=48, write_batch_size=3, use_dictionary=True,
          dictionary_pagesize_limit=64, compression="SNAPPY", data_page_version="1.0")
    write("many_pages_v2.parquet", table60, expected,
          row_group_size=7, data_page_size=32, write_batch_size=2, use_dictionary=True,
          compression="ZSTD", data_page_version="2.0")

    # Required (non-nullable) columns: no definition levels at all.
    required = pa.schema([pa.field("text", pa.string(), nullable=False),
                          pa.field("label", pa.int64(), nullable=False)])
    write("required_v1.parquet", pa.table({"text": texts, "label": labels}, schema=required),
          expected, use_dictionary=False, compression="NONE", data_page_version="1.0")
    write("required_v2.parquet", pa.table({"text": texts, "label": labels}, schema=required),
          expected, use_dictionary=True, compression="SNAPPY", data_page_version="2.0")

    # Nulls: an error that names the column and the row (rows count across row groups).
    null_labels = list(labels)
    null_labels[3] = None
    write("null_label_v1.parquet", pa.table({"text": texts, "label": pa.array(null_labels, pa.int64())}),
          expected, errors={"label": "row 3 is null"}, compression="SNAPPY", data_page_version="1.0")
    null_texts = list(texts60)
    null_texts[17] = None
    write("null_text_v2.parquet", pa.table({"text": null_texts, "label": pa.array(labels60, pa.int64())}),
          expected, errors={"text": "row 17 is null"}, row_group_size=10, compression="ZSTD",
          data_page_version="2.0")

    # Label columns of every integer-like physical type, and string labels.
    small_texts, small_labels = base_rows(12)
    write("label_int32.parquet", pa.table({"text": small_texts, "label": pa.array(small_labels, pa.int32())}),
          expected, compression="SNAPPY")
    write("label_bool.parquet", pa.table({"text": small_texts,
                                          "label": pa.array([l == 1 for l in small_labels])}),
          expected, compression="SNAPPY", data_page_version="2.0")  # v2: RLE booleans
    write("label_bool_v1.parquet", pa.table({"text": small_texts,
                                             "label": pa.array([l == 2 for l in small_labels])}),
          expected, compression="NONE", data_page_version="1.0")  # v1: PLAIN bit-packed booleans
    write("label_string.parquet", pa.table({"text": small_texts,
                                            "label": [NAMES[l] for l in small_labels]}),
          expected, compression="SNAPPY")

    # Numbers of every readable type, for read_int64 / read_double.
    numbers = pa.table({
        "i32": pa.array([-2147483648, -1, 0, 1, 2147483647], pa.int32()),
        "i64": pa.array([-(2**63), -1, 0, 1, 2**63 - 1], pa.int64()),
        "f32": pa.array([0.5, -1.25, 0.0, 1e10, -3.0], pa.float32()),
        "f64": pa.array([0.1, -2.5, 1e-300, 3.0, 12345.678], pa.float64()),
        "flag": pa.array([True, False, False, True, True]),
    })
    write("numbers_plain_v1.parquet", numbers, expected,
          use_dictionary=False, compression="NONE", data_page_version="1.0")
    write("numbers_dict_v2.parquet", numbers, expected,
          use_dictionary=True, compression="ZSTD", data_page_version="2.0")

    # Hugging Face ClassLabel metadata, as `datasets` writes it.
    classlabel = pa.table({"text": texts, "label": pa.array(labels, pa.int64())}).replace_schema_metadata(
        hf_metadata({"names": NAMES, "_type": "ClassLabel"}))
    write("classlabel.parquet", classlabel, expected, compression="SNAPPY")
    plain_value = pa.table({"text": texts, "label": pa.array(labels, pa.int64())}).replace_schema_metadata(
        hf_metadata({"dtype": "int64", "_type": "Value"}))
    write("hf_value_label.parquet", plain_value, expected, compression="SNAPPY")

    # Nested columns are listed but not readable; the flat ones beside them still are.
    nested = pa.table({
        "text": small_texts,
        "meta": pa.array([{"a": i, "b": str(i)} for i in range(12)]),
        "tags": pa.array([[i, i + 1] for i in range(12)]),
        "label": pa.array(small_labels, pa.int64()),
    })
    write("nested.parquet", nested, expected, errors={"meta": "nested", "tags": "nested"},
          compression="SNAPPY")

    # A binary (not UTF-8) column with an invalid sequence in row 2.
    binary = pa.table({"text": pa.array([b"ok", b"fine", b"bad \xff byte", b"ok"], pa.binary()),
                       "label": pa.array([0, 1, 0, 1], pa.int64())})
    write("binary_invalid_utf8.parquet", binary, expected,  # found via the dictionary
          errors={"text": "row 2: invalid UTF-8 at byte 5"}, compression="NONE")
    write("binary_invalid_utf8_plain.parquet", binary, expected,  # found in a PLAIN page
          errors={"text": "row 2: invalid UTF-8 at byte 5"}, compression="NONE",
          use_dictionary=False)

    # No rows at all.
    empty = pa.table({"text": pa.array([], pa.string()), "label": pa.array([], pa.int64())})
    write("empty.parquet", empty, expected, compression="SNAPPY")

    (OUT / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(expected)} Parquet fixtures to {OUT} ({total} bytes with expected.json)")


if __name__ == "__main__":
    main()
