#!/usr/bin/env bash
# Every test StyleTune has: set-up (idempotent), lint, TypeScript unit tests, the Python worker's tests, and
# the extension tests in a real VS Code (code-server + headless Chromium). Exits non-zero on any failure.
#   bash scripts/test-all.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/setup.sh

echo "== lint (eslint, ruff)"
bash scripts/lint.sh

echo "== type check and unit tests (node --test)"
node scripts/build.mjs --tests
node --test --test-reporter=spec out/test/unit

if [[ -x .venv/bin/python && -d trainer/tests ]]; then
  echo "== trainer tests (pytest)"
  .venv/bin/python -m pytest -q trainer/tests
fi

if [[ -f out/test/e2e/run.js ]]; then
  echo "== extension tests in a real VS Code (code-server)"
  node out/test/e2e/run.js
fi
echo "== all tests passed"
