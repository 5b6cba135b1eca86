"""FSDP on two CPU ranks (gloo): eval and the style probe run with sharded weights and give what a single
process gives. accelerate does not set up FSDP without an accelerator; fsdp_cpu_rank.py lifts that gate only
(see its docstring), so torch's FSDP1 really shards the model. DeepSpeed ZeRO-3 does not run on the CPU:
its eval and probe stay skipped (watch_skipped) and untested."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import job_config, run_inprocess, shared_pairs, validate_event
from test_ddp import free_port

PROMPTS = ["How was your weekend?", [{"role": "user", "content": "Any tips for a job interview?"}]]
FSDP_ENV = {"ACCELERATE_USE_FSDP": "true", "FSDP_VERSION": "1", "FSDP_SHARDING_STRATEGY": "FULL_SHARD",
            "FSDP_USE_ORIG_PARAMS": "true", "FSDP_STATE_DICT_TYPE": "FULL_STATE_DICT",
            # rank 0 alone reading the weights (and broadcasting them) needs a GPU in accelerate; each rank reads them
            "FSDP_SYNC_MODULE_STATES": "false", "FSDP_CPU_RAM_EFFICIENT_LOADING": "false"}


def kinds(events, kind):
    return [e for e in events if e["event"] == kind]


def run_fsdp(job: Path) -> list[dict]:
    run = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
         "--master_port", str(free_port()), str(Path(__file__).with_name("fsdp_cpu_rank.py")), "dpo", "--config", str(job)],
        capture_output=True, text=True, timeout=900, env={**os.environ, **FSDP_ENV})
    assert run.returncode == 0, run.stderr[-3000:]
    events = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    for e in events:
        validate_event(e)
    return events


def test_fsdp_runs_eval_and_probe_on_sharded_weights_as_one_process_does(tiny_model, tmp_path):
    # 33 train pairs (ranks of 17 and 16: the reference pass pads the short one) and 9 eval pairs (5 and 4).
    lines = shared_pairs(42, tmp_path / "all.jsonl").read_text().splitlines()
    (tmp_path / "train.jsonl").write_text("\n".join(lines[:33]) + "\n")
    (tmp_path / "eval.jsonl").write_text("\n".join(lines[33:]) + "\n")
    common = dict(max_steps=3, save_steps=100, gradient_accumulation_steps=1, lora_dropout=0.0, learning_rate=5e-2,
                  eval_file=str(tmp_path / "eval.jsonl"), eval_steps=2, per_device_eval_batch_size=2,
                  probe_prompts=PROMPTS, probe_steps=2, probe_max_new_tokens=8)
    job = tmp_path / "fsdp.json"
    job.write_text(json.dumps(job_config(tiny_model, tmp_path / "train.jsonl", tmp_path / "fsdp", per_device_train_batch_size=2,
                                         **common)))
    events = run_fsdp(job)
    started = kinds(events, "started")[0]
    assert started["sharding"] == "fsdp" and started["num_processes"] == 2
    assert not [e for e in events if e.get("code") == "watch_skipped"], "nothing is skipped under FSDP"
    assert kinds(events, "done")[0]["stopped"] is False

    # The same job in one process: the same global batch of 4, so the same training.
    one, done = run_inprocess(job_config(tiny_model, tmp_path / "train.jsonl", tmp_path / "one", per_device_train_batch_size=4,
                                         **common))
    assert not isinstance(done, Exception), done
    ev_f, ev_1 = kinds(events, "eval"), kinds(one, "eval")
    assert [e["step"] for e in ev_f] == [e["step"] for e in ev_1] == [2, 3]
    assert all(e["pairs"] == 9 for e in ev_f)  # every pair counted once, the padding pass not at all
    for f, o in zip(ev_f, ev_1):
        for k in ("loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies"):
            assert f[k] == pytest.approx(o[k], abs=1e-4), (k, f, o)
    assert ev_f[-1]["loss"] != pytest.approx(ev_f[0]["loss"], abs=1e-4), "training moved the eval loss"
    pr_f, pr_1 = kinds(events, "probe"), kinds(one, "probe")
    assert [e["step"] for e in pr_f] == [e["step"] for e in pr_1] == [0, 2, 3]
    # Greedy replies from gathered weights: what the unsharded model says, word for word.
    for f, o in zip(pr_f, pr_1):
        assert f["replies"] == o["replies"], (f["step"], f["replies"], o["replies"])
    assert [r["text"] for r in pr_f[-1]["replies"]] != [r["text"] for r in pr_f[0]["replies"]], "the probe saw training"

    # Run again: the finished job resumes at step 3 with nothing left to train, and still gives the step-0
    # baseline first (the ranks agree it is kept, so none of them generates).
    again = run_fsdp(job)
    assert kinds(again, "started")[0]["resumed_from_step"] == 3
    base = kinds(again, "probe")
    assert [(e["step"], e.get("baseline")) for e in base] == [(0, "kept")] and base[0]["replies"] == pr_f[0]["replies"]
