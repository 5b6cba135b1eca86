#!/usr/bin/env bash
# The worker on one GPU in under 8 minutes: bf16 LoRA DPO against TRL (tokens/s, peak memory) on Qwen2-0.5B
# and Llama-1B sizes, QLoRA when bitsandbytes is there, a stop and a resume, FSDP through accelerate_config.
# Needs torch, transformers, peft, accelerate (any recent versions) and this checkout; downloads nothing.
#
#   bash benchmarks/gpu-check.sh                # on a GPU machine
#   bash benchmarks/gpu-check.sh --cpu-smoke    # the same checks on a tiny model on the CPU (about 3 minutes)
#
# See benchmarks/gpu_check.py for what each row means. Exit code 1 when a check failed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-}"
if [ -z "$python" ]; then
  if [ -x "$root/.venv/bin/python" ] && "$root/.venv/bin/python" -c 'import torch' 2>/dev/null; then
    python="$root/.venv/bin/python"
  else
    python="$(command -v python3 || command -v python)"
  fi
fi
export STYLETUNE_SHARED_DATA="${STYLETUNE_SHARED_DATA:-$root/../shared/data}"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false TRANSFORMERS_VERBOSITY=error
# 480 s hard stop; the script budgets 450 s and skips (saying so) what would not fit.
exec timeout --signal=TERM --kill-after=15 480 "$python" "$root/benchmarks/gpu_check.py" "$@"
