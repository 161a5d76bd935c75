#!/usr/bin/env bash
# Run the test suite: install what is missing (Chromium for the browser test too), then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Chromium for the browser test, a Thai font so its screenshots show Thai
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi tlwg; then
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-thai-tlwg) >/dev/null 2>&1 \
      || echo "warning: could not install chromium/fonts-thai-tlwg; browser tests will be skipped" >&2
  fi
fi
exec "${PYTHON:-python3}" -m pytest "$@"
