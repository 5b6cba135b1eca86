#!/usr/bin/env bash
# Builds StyleTune and serves it in a real VS Code (code-server, the web workbench) on 127.0.0.1 with
# samples/workspace open (or the folder given as $1). Prints the URL to open; Ctrl-C stops everything.
#   bash scripts/start.sh [FOLDER]
# On a fresh clone it first installs what it needs (scripts/setup.sh, idempotent, seconds once done):
# the npm packages, the bundles, Debian chromium, Node 24 and code-server. The Python environment for
# tuning and previews is not made here: the extension makes it the first time one of them needs it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

STYLETUNE_SKIP_PYTHON=1 bash scripts/setup.sh
# The launcher is bundled on its own, so starting never waits for (or trips over) a full type-check.
node_modules/.bin/esbuild test/e2e/serve.ts --bundle --platform=node --target=node20 --log-level=warning \
  --outfile=out/test/e2e/serve.js
# exec: Ctrl-C reaches the server's owner directly, which stops code-server's whole process group.
exec node out/test/e2e/serve.js "$(realpath "${1:-samples/workspace}")"
