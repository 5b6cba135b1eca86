"""The worker against TRL's own DPOTrainer, both with default settings: the same tiny model (built here),
the same LoRA initialization, the same 8 pairs in one batch per step, the same optimizer and schedule.
Step-0 metrics and the loss over 10 steps must agree within 1e-4, for text pairs (fed raw, EOS appended,
prompt and completion tokenized together) and for conversational pairs (chat template), on a Llama-shaped
and a Qwen2-shaped model. TRL is in the trainer's test extra (trainer/pyproject.toml)."""
from __future__ import annotations

import json

import pytest

from conftest import shared_pairs

trl = pytest.importorskip("trl", reason="TRL is in the trainer's test extra: pip install -e 'trainer[test]'")

STEPS, PAIRS, LR, TOL = 10, 8, 1e-3, 1e-4
# What both report, under TRL's names. logps are float32 sums over whole completions (|x| up to ~1,500, where
# one float32 step is 1.2e-4), summed in another order on each side: they agree to a few such steps
# (relative 1e-6), the rest within 1e-4 absolute.
METRICS = ("loss", "rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies",
           "logps/chosen", "logps/rejected", "grad_norm")


def _pairs(tmp_path, conversational: bool):
    src = shared_pairs(PAIRS, tmp_path / "src.jsonl")
    rows = [json.loads(line) for line in src.read_text().splitlines()]
    if conversational:
        rows = [{"prompt": [{"role": "user", "content": r["prompt"]}],
                 "chosen": [{"role": "assistant", "content": r["chosen"]}],
                 "rejected": [{"role": "assistant", "content": r["rejected"]}]} for r in rows]
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path, rows


def _worker(model, data, out):
    """The worker with its defaults; only the run's length, batch and learning rate set (the same on both sides)."""
    from peft import get_peft_model_state_dict

    init = {}

    def keep_init(trainer):
        init.update({k: v.detach().clone() for k, v in get_peft_model_state_dict(trainer.model).items()})

    cfg = dict(model=str(model), train_file=str(data), output_dir=str(out), max_steps=STEPS,
               per_device_train_batch_size=PAIRS, learning_rate=LR, save_steps=10**6, device="cpu")
    from styletune_trainer.config import DPOConfig
    from styletune_trainer.dpo import StopFlag, run_dpo
    from styletune_trainer.events import Emitter

    events: list[dict] = []
    emit = Emitter(sink=events.append)
    try:
        run_dpo(DPOConfig.from_dict(cfg), emit, StopFlag(), on_setup=keep_init)
    finally:
        emit.close()
    started = next(e for e in events if e["event"] == "started")
    return [e for e in events if e["event"] == "progress"], init, started


def _trl(model_dir, rows, out, init):
    import torch
    from datasets import Dataset
    from peft import LoraConfig, set_peft_model_state_dict
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import DPOConfig, DPOTrainer

    kept: list[dict] = []

    class Keep(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kw):
            if logs and "loss" in logs:
                kept.append(dict(logs))

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32)
    # TRL's defaults, but for the run's length, batch and learning rate (as the worker's), float32 on the CPU
    # (TRL defaults to bf16) and no checkpoints or reporting.
    args = DPOConfig(output_dir=str(out), max_steps=STEPS, per_device_train_batch_size=PAIRS, learning_rate=LR,
                     logging_steps=1, save_strategy="no", report_to="none", use_cpu=True, bf16=False,
                     dataloader_num_workers=0)
    # The worker's LoRA defaults (r 8, alpha 16, dropout 0.05, all linear layers) and its initial weights.
    lora = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM",
                      bias="none")
    trainer = DPOTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tok,
                         peft_config=lora, callbacks=[Keep()])
    result = set_peft_model_state_dict(trainer.model, init)  # the optimizer is made in train(), after this
    assert not result.unexpected_keys, result
    trainer.train()
    return kept


@pytest.mark.parametrize("arch", ["tiny_model", "tiny_qwen"])
@pytest.mark.parametrize("kind", ["text", "conversational"])
def test_worker_matches_trl_dpotrainer_with_default_settings(arch, kind, request, tmp_path):
    model = request.getfixturevalue(arch)
    data, rows = _pairs(tmp_path, kind == "conversational")
    ours, init, started = _worker(model, data, tmp_path / "ours")
    assert started["differs_from_trl"] == {}, "default settings are TRL's behaviour throughout"
    assert started["dataset"]["chat_template"] == (kind == "conversational")
    theirs = _trl(model, rows, tmp_path / "trl", init)
    assert len(ours) == len(theirs) == STEPS
    step0 = {m: abs(ours[0][m] - theirs[0][m]) for m in METRICS}
    curve = max(abs(o["loss"] - t["loss"]) for o, t in zip(ours, theirs))
    print(f"\nTRL parity {arch} {kind}: step 0 max abs diff "
          + ", ".join(f"{m} {d:.2e}" for m, d in step0.items())
          + f"; loss over {STEPS} steps max abs diff {curve:.2e}; losses ours "
          + " ".join(f"{o['loss']:.5f}" for o in ours) + " trl " + " ".join(f"{t['loss']:.5f}" for t in theirs))
    for m, d in step0.items():
        scale = max(1.0, abs(theirs[0][m])) * 1e-6 if m.startswith("logps/") else 0.0
        assert d <= max(TOL, scale), (m, ours[0][m], theirs[0][m])
    assert curve <= TOL, [(o["loss"], t["loss"]) for o, t in zip(ours, theirs)]
    assert ours[-1]["loss"] < ours[0]["loss"] - 1e-3, "the run must move, or the comparison says little"
