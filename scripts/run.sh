#!/usr/bin/env bash
# Start the web chat: install what is missing, ingest corpus/ if the index is empty, serve.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec "${PYTHON:-python3}" app.py "$@"
