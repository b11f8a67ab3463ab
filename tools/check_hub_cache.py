#!/usr/bin/env python3
"""Checks that finetune and Python's huggingface_hub share one hub cache, in both directions.

finetune writes the Hugging Face hub cache in huggingface_hub's layout (docs/hub.md). This
script checks that claim against the real library, using the test hub mirror
(`finetune_hub_mirror`, built with the tests: it serves org/tiny-distilbert, org/tiny-bert-bin
and the dataset org/emotion on 127.0.0.1):

  1. finetune writes, Python reads: `finetune download` fills cache A; then huggingface_hub,
     offline, must find every file (hf_hub_download and snapshot_download with
     local_files_only=True return finetune's snapshot paths), scan_cache_dir must report the
     repos with no warnings, every LFS blob must hash to its name, and an online
     hf_hub_download must not download anything again;
  2. Python writes, finetune reads: snapshot_download fills cache B (with its tree listings) and
     hf_hub_download file by file fills cache C (no listings, as transformers leaves it); then
     finetune, with HF_HUB_OFFLINE=1, must tokenize, predict, evaluate and train from them.

Run from the repository root after building (any build directory with the tests):
    /work/venv/bin/python tools/check_hub_cache.py [--build build-hub]
It prints one line per check and exits 1 if any failed. Needs huggingface_hub (pinned in
tools/requirements.txt) and no network beyond 127.0.0.1.
"""

import argparse
import hashlib
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODELS = ["org/tiny-distilbert", "org/tiny-bert-bin"]
DATASETS = ["org/emotion"]
failures = []


def check(name, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + name + (f": {detail}" if detail and not ok else ""))
    if not ok:
        failures.append(name)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run_finetune(build, args, cache, endpoint, offline=False):
    env = dict(os.environ, HF_HUB_CACHE=str(cache), HF_ENDPOINT=endpoint)
    for var in ["HF_TOKEN", "HF_HOME", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"]:
        env.pop(var, None)
    if offline:
        env["HF_HUB_OFFLINE"] = "1"
    return subprocess.run([str(build / "finetune")] + args, env=env, capture_output=True, text=True)


def finetune_writes_python_reads(build, endpoint, cache):
    from huggingface_hub import hf_hub_download, scan_cache_dir, snapshot_download

    snapshots = {}
    for repo, kind in [(m, "model") for m in MODELS] + [(d, "dataset") for d in DATASETS]:
        args = ["download", repo] + (["--dataset"] if kind == "dataset" else [])
        r = run_finetune(build, args, cache, endpoint)
        check(f"finetune download {repo}", r.returncode == 0, r.stderr.strip())
        snapshots[(repo, kind)] = pathlib.Path(r.stdout.strip())

    info = scan_cache_dir(cache)
    check("scan_cache_dir reports no problem", not info.warnings, str(info.warnings))
    found = {(r.repo_id, r.repo_type): r for r in info.repos}
    for (repo, kind), snapshot in snapshots.items():
        entry = found.get((repo, kind))
        check(f"scan_cache_dir lists {kind} {repo}", entry is not None, str(list(found)))
        if entry is None:
            continue
        revision = next(iter(entry.revisions))
        check(f"{repo}: refs/main points at the snapshot", "main" in revision.refs and
              revision.commit_hash == snapshot.name, f"{revision.refs} {revision.commit_hash}")
        # Python, offline, resolves every file to finetune's snapshot path.
        for path in sorted(p for p in snapshot.rglob("*") if p.is_file()):
            rel = path.relative_to(snapshot).as_posix()
            got = hf_hub_download(repo, rel, repo_type=kind, cache_dir=cache, local_files_only=True)
            same = pathlib.Path(got) == path
            blob = path.resolve()
            lfs_ok = len(blob.name) != 64 or sha256(blob) == blob.name
            check(f"{repo}/{rel}: hf_hub_download(local_files_only) finds it, blob verified",
                  same and lfs_ok, f"{got} vs {path}")
        got = snapshot_download(repo, repo_type=kind, cache_dir=cache, local_files_only=True)
        check(f"{repo}: snapshot_download(local_files_only) returns finetune's snapshot",
              pathlib.Path(got) == snapshot, got)

    # Online, against the mirror: nothing is downloaded again.
    blobs_before = sorted(p.name for p in cache.rglob("blobs/*"))
    hf_hub_download(MODELS[0], "model.safetensors", cache_dir=cache, endpoint=endpoint)
    snapshot_download(DATASETS[0], repo_type="dataset", cache_dir=cache, endpoint=endpoint)
    blobs_after = sorted(p.name for p in cache.rglob("blobs/*"))
    check("huggingface_hub online reuses finetune's blobs", blobs_before == blobs_after,
          f"{set(blobs_after) - set(blobs_before)}")


def python_writes_finetune_reads(build, endpoint, work):
    from huggingface_hub import hf_hub_download, snapshot_download

    full = work / "by-snapshot"
    for repo in MODELS:
        snapshot_download(repo, cache_dir=full, endpoint=endpoint)
    snapshot_download(DATASETS[0], repo_type="dataset", cache_dir=full, endpoint=endpoint)
    # transformers' way: one hf_hub_download per file, no tree listing in the cache.
    files = work / "by-file"
    for name in ["config.json", "pytorch_model.bin", "tokenizer.json", "tokenizer_config.json", "vocab.txt"]:
        hf_hub_download("org/tiny-bert-bin", name, cache_dir=files, endpoint=endpoint)

    texts = work / "texts.txt"
    texts.write_text("i feel wonderful today\ni am so scared of the dark\n")
    runs = [
        (full, ["tokenize", "--model", "org/tiny-distilbert", "--input", str(texts)]),
        (full, ["predict", "--model", "org/tiny-bert-bin", "--input", str(texts)]),
        (full, ["eval", "--model", "org/tiny-distilbert", "--data", "org/emotion", "--limit", "100"]),
        (full, ["train", "--model", "org/tiny-distilbert", "--train", "org/emotion", "--validation", "org/emotion",
                "--epochs", "1", "--limit", "32", "--threads", "1"]),
        (files, ["predict", "--model", "org/tiny-bert-bin", "--input", str(texts)]),
    ]
    for cache, args in runs:
        r = run_finetune(build, args, cache, "http://127.0.0.1:1", offline=True)
        check(f"finetune {' '.join(args[:4])} offline from huggingface_hub's cache ({cache.name})",
              r.returncode == 0, r.stderr.strip()[-400:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default="build", help="build directory with finetune and tests/finetune_hub_mirror")
    args = parser.parse_args()
    build = (ROOT / args.build).resolve()
    mirror_binary = build / "tests" / "finetune_hub_mirror"
    if not (build / "finetune").exists() or not mirror_binary.exists():
        sys.exit(f"check_hub_cache: build {build} first (finetune and tests/finetune_hub_mirror)")
    mirror = subprocess.Popen([str(mirror_binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    endpoint = mirror.stdout.readline().strip()
    print(f"mirror at {endpoint}")
    # huggingface_hub reads HF_* variables when imported; none of them may point elsewhere.
    for var in ["HF_HUB_OFFLINE", "HF_TOKEN", "HF_HUB_CACHE", "HF_HOME"]:
        os.environ.pop(var, None)
    os.environ["HF_ENDPOINT"] = endpoint
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    try:
        with tempfile.TemporaryDirectory(prefix="check-hub-cache-") as tmp:
            work = pathlib.Path(tmp)
            finetune_writes_python_reads(build, endpoint, work / "written-by-finetune")
            python_writes_finetune_reads(build, endpoint, work)
    finally:
        mirror.stdin.close()
        mirror.wait(timeout=10)
    print(f"{len(failures)} check(s) failed" if failures else "all checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
