#!/usr/bin/env bash
# Installs everything StyleTune's main job and tests need, idempotently (a second run takes seconds):
#   npm packages (offline-safe), the bundles, the Python worker's venv, and what the real-VS-Code
#   tests need (Debian chromium, Node 24, code-server). Parts can be skipped:
#   STYLETUNE_SKIP_PYTHON=1  STYLETUNE_SKIP_E2E=1  bash scripts/setup.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log() { printf '[setup] %s\n' "$*"; }

# onnxruntime-node's postinstall downloads CUDA libraries from NuGet: unreachable here and unused.
export ONNXRUNTIME_NODE_INSTALL=skip

# npm ci only when node_modules is missing or older than the lock file.
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
else
  log "node_modules up to date"
fi

log "building bundles"
node scripts/build.mjs

if [[ "${STYLETUNE_SKIP_PYTHON:-}" != 1 && -f trainer/pyproject.toml ]]; then
  bash scripts/setup-python.sh
fi
if [[ "${STYLETUNE_SKIP_E2E:-}" != 1 && -f scripts/setup-e2e.sh ]]; then
  bash scripts/setup-e2e.sh
fi
log "ready"
