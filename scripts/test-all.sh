#!/usr/bin/env bash
# Every test StyleTune has: set-up (idempotent), lint, TypeScript unit tests, the Python worker's tests, and
# the extension tests in a real VS Code (code-server + headless Chromium). Exits non-zero on any failure.
#   bash scripts/test-all.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/setup.sh

echo "== lint (eslint, ruff)"
# A lint finding fails the run, but only at the end: the tests still run, so one unused import does not
# hide their results.
lint=ok
bash scripts/lint.sh || lint=failed

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
if [[ "$lint" != ok ]]; then
  echo "== tests passed, but lint failed (see '== lint' above; bash scripts/lint.sh)" >&2
  exit 1
fi
echo "== all tests passed"
