"""Data-parallel training (DDP) through torch's launcher, on two CPU processes with the gloo backend.

GPU machines run the same code path under `accelerate launch --multi_gpu`; here two CPU ranks prove that
the ranks agree on the data split, the reference cache and the stop step, and that only rank 0 speaks.
"""
from __future__ import annotations

import json
import socket
import subprocess
import sys

import torch

from conftest import job_config, validate_event


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_ddp_trains_and_reports_once(tiny_model, pairs32, tmp_path):
    job = tmp_path / "job.json"
    cfg = job_config(tiny_model, pairs32, tmp_path / "out", max_steps=3, gradient_accumulation_steps=1, per_device_train_batch_size=2)
    job.write_text(json.dumps(cfg))
    run = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
         "--master_port", str(free_port()), "-m", "styletune_trainer", "dpo", "--config", str(job)],
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    events = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    for e in events:
        validate_event(e)
    kinds = [e["event"] for e in events]
    # One rank reports: a single started/done and one progress event per step, not one per process.
    assert kinds.count("started") == 1 and kinds.count("done") == 1, kinds
    started = next(e for e in events if e["event"] == "started")
    assert started["num_processes"] == 2
    assert [e["step"] for e in events if e["event"] == "progress"] == [1, 2, 3]
    done = next(e for e in events if e["event"] == "done")
    assert done["stopped"] is False
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    tuned = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model), done["adapter"])
    assert any(torch.count_nonzero(p) > 0 for n, p in tuned.named_parameters() if "lora_B" in n), "the adapter learned nothing"
