"""Merges a LoRA adapter into its base model and writes a standalone model folder.

    python -m styletune_trainer merge job/adapter merged/ [--base MODEL_DIR]

The merge runs in float32 whatever the training dtype was, so rounding happens once, when the
merged weights are saved in the base model's own dtype.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from .events import WorkerError
from .modeling import check_model_dir, load_tokenizer


def merge(adapter: str | Path, out_dir: str | Path, base: str | Path | None = None) -> Path:
    from peft import PeftModel
    from transformers import AutoConfig, AutoModelForCausalLM

    adapter = Path(adapter)
    cfg_file = adapter / "adapter_config.json"
    if not cfg_file.is_file():
        raise WorkerError("environment", f"no adapter_config.json in {adapter}",
                          "Point ADAPTER at a job's adapter/ folder or one of its checkpoints.")
    base = Path(base or json.loads(cfg_file.read_text())["base_model_name_or_path"])
    check_model_dir(base)
    saved_dtype = AutoConfig.from_pretrained(str(base), local_files_only=True).dtype or torch.float32
    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32, local_files_only=True)
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    merged.to(saved_dtype).save_pretrained(str(out))
    load_tokenizer(adapter if (adapter / "tokenizer_config.json").is_file() else base).save_pretrained(str(out))
    return out
