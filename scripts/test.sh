#!/usr/bin/env bash
# Run the test suite: install what is missing (Chromium for the browser test too), then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
      || echo "warning: could not install chromium; browser tests will be skipped" >&2
  fi
fi
exec "${PYTHON:-python3}" -m pytest "$@"
