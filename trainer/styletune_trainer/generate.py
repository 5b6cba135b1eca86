"""Previews: responses from the base model and from base + adapter, sampled with the same seeds.

    python -m styletune_trainer generate --config gen.json

gen.json: {"model": "...", "adapter": "job/adapter", "prompts": ["Hi!", [{"role": "user", ...}]],
           "num_samples": 4, "max_new_tokens": 128, "temperature": 0.8, "top_p": 0.95, "seed": 0}

Each response is a `sample` event (also written to `output` as JSON lines when set). Prompt i is
sampled from seed + i for both sources, so base and adapter differ only by the adapter. With
num_samples > 1 this also makes candidate sets for building pairs from reward-ranked responses.

Message-list prompts always use the model's chat template. Text prompts, with apply_chat_template "auto",
are asked as the adapter's job rendered its text pairs (raw by default, as TRL does; templated with
`apply_chat_template: on` and in jobs from before that default), and with the template when there is no
adapter or its job is unknown.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from .config import GenerateConfig
from .data import is_messages, read_prompts_file, render_prompt, use_chat_template
from .events import Emitter, WorkerError
from .modeling import check_model_dir, load_model, load_tokenizer


def load_prompts(cfg: GenerateConfig) -> list[Any]:
    prompts = list(cfg.prompts)
    if cfg.prompts_file:
        path = Path(cfg.prompts_file)
        if not path.is_file():
            raise WorkerError("data", f"prompts file not found: {path}", "Set prompts_file to a JSONL file.")
        prompts += read_prompts_file(path)
    for i, p in enumerate(prompts):
        if not (isinstance(p, str) or is_messages(p)):
            raise WorkerError("data", f"prompt {i} must be a string or a list of {{role, content}} messages",
                              'e.g. "prompts": ["Hi!", [{"role": "user", "content": "Hello"}]]')
    return prompts


def trained_with_template(adapter: str | None) -> bool | None:
    """Whether the job that made `adapter` rendered its text prompts with the chat template (its `started`
    event's dataset.chat_template), or None when that is not known (no adapter, or not from a job folder).
    An adapter answers best when asked as it was trained: since TRL's default (raw text) became the
    worker's, a job trained on text pairs saw no template, while earlier jobs and `apply_chat_template: on`
    did."""
    if not adapter:
        return None
    folder = Path(adapter)
    for job in (folder.parent, folder.parent.parent):  # job/adapter or job/checkpoints/step-N
        events = job / "events.jsonl"
        if not events.is_file():
            continue
        templated = None
        for line in events.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                e = json.loads(line)
            except json.JSONDecodeError:
                continue
            data = e.get("dataset") if isinstance(e, dict) and e.get("event") == "started" else None
            if isinstance(data, dict) and isinstance(data.get("chat_template"), bool):
                templated = data["chat_template"]  # the newest run's counts
        return templated
    return None


def run_generate(cfg: GenerateConfig, emit: Emitter, stop=None) -> dict:
    check_model_dir(cfg.model)
    device = torch.device("cuda" if cfg.device != "cpu" and torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.type == "cuda" and cfg.bf16 is not False and torch.cuda.is_bf16_supported() \
        else torch.float32
    tok = load_tokenizer(cfg.model)
    prompts = load_prompts(cfg)
    model = load_model(cfg.model, dtype, device).eval()
    sources = ["base"]
    if cfg.adapter:
        from peft import PeftModel

        if not (Path(cfg.adapter) / "adapter_config.json").is_file():
            raise WorkerError("environment", f"no adapter_config.json in {cfg.adapter}",
                              "Point `adapter` at a job's adapter/ folder or one of its checkpoints.")
        model = PeftModel.from_pretrained(model, cfg.adapter).eval()
        sources.append("adapter")
    emit("started", command="generate", device=str(device), dtype=str(dtype).split(".")[-1], num_processes=1,
         model=cfg.model, model_type=model.config.model_type, prompts=len(prompts))
    out = open(cfg.output, "w", encoding="utf-8") if cfg.output else None
    eos = tok.eos_token_id
    eos_ids = torch.tensor(eos if isinstance(eos, list) else [] if eos is None else [eos], device=device)
    count = 0
    # Text prompts, with `auto`, are rendered as the adapter's training rendered its text pairs.
    trained = trained_with_template(cfg.adapter) if cfg.apply_chat_template == "auto" else None
    try:
        for i, prompt in enumerate(prompts):
            conversational = isinstance(prompt, list)
            template = trained if trained is not None and not conversational \
                else use_chat_template(tok, cfg.apply_chat_template, conversational)
            ids = torch.tensor([render_prompt(tok, prompt, template, cfg.system_prompt)], device=device)
            for source in sources:
                if stop is not None and stop.requested:
                    return _done(emit, cfg, count, stopped=True)
                torch.manual_seed(cfg.seed + i)
                kwargs = dict(max_new_tokens=cfg.max_new_tokens, do_sample=cfg.do_sample,
                              num_return_sequences=cfg.num_samples, pad_token_id=tok.pad_token_id,
                              eos_token_id=tok.eos_token_id, attention_mask=torch.ones_like(ids))
                if cfg.do_sample:
                    kwargs.update(temperature=cfg.temperature, top_p=cfg.top_p, top_k=cfg.top_k)
                with torch.no_grad():
                    if source == "base" and cfg.adapter:
                        with model.disable_adapter():
                            seqs = model.generate(ids, **kwargs)
                    else:
                        seqs = model.generate(ids, **kwargs)
                for k, seq in enumerate(seqs):
                    new = seq[ids.shape[1]:]
                    # Cut off = it used every allowed token without ending its turn (no EOS anywhere).
                    truncated = new.numel() >= cfg.max_new_tokens and not bool(torch.isin(new, eos_ids).any())
                    if tok.pad_token_id != tok.eos_token_id:
                        new = new[new != tok.pad_token_id]
                    text = tok.decode(new, skip_special_tokens=True)
                    rec = emit("sample", index=i, source=source, sample=k, prompt=prompt, text=text,
                               tokens=int(new.numel()), seed=cfg.seed + i, truncated=truncated)
                    if out is not None:
                        out.write(json.dumps({k2: rec[k2] for k2 in ("index", "source", "sample", "prompt", "text",
                                                                        "tokens", "seed", "truncated")},
                                             ensure_ascii=False) + "\n")
                    count += 1
    finally:
        if out is not None:
            out.close()
    return _done(emit, cfg, count, stopped=False)


def _done(emit: Emitter, cfg: GenerateConfig, count: int, stopped: bool) -> dict:
    return emit("done", command="generate", stopped=stopped, output=cfg.output or "stdout",
                metrics={"samples": count})
