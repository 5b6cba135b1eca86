#!/usr/bin/env bash
# Creates the project's Python environment for the training worker, idempotently.
#
#   bash scripts/setup-python.sh            # .venv/ with trainer + test extras (TRL included, for the
#                                           # parity test against TRL's DPOTrainer)
#   STYLETUNE_TRAINER_EXTRAS=test,bench bash scripts/setup-python.sh   # what benchmarks/ needs too
#   PYTHON=/usr/bin/python3.11 bash scripts/setup-python.sh            # pick the base interpreter
#
# A re-run is instant: the install is skipped while trainer/pyproject.toml, the extras and this
# script are unchanged (their hash is stored in .venv/.styletune-trainer.hash). Nothing here talks
# to a model hub; only PyPI is needed, and only when the pins change.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
python="${PYTHON:-python3}"
extras="${STYLETUNE_TRAINER_EXTRAS:-test}"
stamp="$venv/.styletune-trainer.hash"

if ! command -v "$python" >/dev/null 2>&1; then
  echo "setup-python: '$python' not found; install Python 3.10+ or set PYTHON=/path/to/python3" >&2
  exit 1
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "setup-python: creating $venv"
  "$python" -m venv "$venv"
fi

# find_spec instead of import: importing torch takes seconds, and a re-run should be instant.
present='import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in ("styletune_trainer", "torch", "transformers", "peft", "accelerate", "safetensors")))'
want="$(cat "$root/trainer/pyproject.toml" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)-$extras"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
   && "$venv/bin/python" -c "$present" 2>/dev/null; then
  echo "setup-python: $venv is up to date"
  exit 0
fi

# Editable, so a checkout's edits to trainer/ are what the extension runs.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip==26.3" "setuptools==84.2.1"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --progress-bar off \
  --no-build-isolation -e "$root/trainer[$extras]"
"$venv/bin/python" -c 'import styletune_trainer, torch, transformers, peft'
echo "$want" > "$stamp"
echo "setup-python: ready ($("$venv/bin/python" -c 'import torch; print("torch", torch.__version__, "cuda" if torch.cuda.is_available() else "cpu")'))"
