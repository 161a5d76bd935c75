#!/usr/bin/env bash
# Run the tests: install what is missing (Chromium for the browser tests too), then pytest.
#   ./scripts/test.sh           the quick suite: everything but tests marked slow or browser
#   ./scripts/test.sh --full    every test (what CI runs; CI=true does the same)
# Other arguments go to pytest, e.g. ./scripts/test.sh tests/test_answer.py -x
set -euo pipefail
cd "$(dirname "$0")/.."
full=false
args=()
for a in "$@"; do
  if [ "$a" = "--full" ]; then full=true; else args+=("$a"); fi
done
if [ "${CI:-}" = "true" ]; then full=true; fi
bash scripts/setup.sh  # Tesseract (tesseract-ocr, tesseract-ocr-tha) for the OCR tests comes from apt there
# Chromium for the browser tests, a Thai font so its screenshots show Thai
if $full && { ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi tlwg; }; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium and fonts-thai-tlwg for the browser tests ..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-thai-tlwg) >/dev/null 2>&1 \
      || echo "warning: could not install chromium/fonts-thai-tlwg; browser tests will be skipped" >&2
  fi
fi
if $full; then
  exec "${PYTHON:-python3}" -m pytest ${args[@]+"${args[@]}"}
fi
exec "${PYTHON:-python3}" -m pytest -m "not slow and not browser" ${args[@]+"${args[@]}"}
