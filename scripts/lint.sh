#!/usr/bin/env bash
# Lint: ESLint over the TypeScript and the build scripts (eslint.config.mjs), ruff over the Python
# worker, its tests and the Python benchmarks ([tool.ruff] in trainer/pyproject.toml). Both come with
# `bash scripts/setup.sh` (npm ci from the lock file; ruff in the trainer's test extra). Exits non-zero
# on any finding, and when a linter is missing rather than skipping it.
#   bash scripts/lint.sh        (npm run lint)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

echo "[lint] eslint"
node node_modules/eslint/bin/eslint.js --max-warnings 0 .

ruff="$root/.venv/bin/ruff"
if [[ ! -x "$ruff" ]]; then
  echo "[lint] $ruff is missing: run bash scripts/setup-python.sh (the trainer's test extra pins ruff)" >&2
  exit 1
fi
echo "[lint] ruff"
"$ruff" check --config trainer/pyproject.toml trainer benchmarks
