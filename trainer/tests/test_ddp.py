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
    # eval_split 0.25 of 32: 8 pairs held out, 4 evaluated by each rank; the probe runs on every rank, rank 0 reports.
    cfg = job_config(tiny_model, pairs32, tmp_path / "out", max_steps=3, gradient_accumulation_steps=1, per_device_train_batch_size=2,
                     eval_split=0.25, eval_steps=3, probe_prompts=["How was your weekend?"], probe_steps=3, probe_max_new_tokens=4)
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
    assert [(e["step"], e["pairs"]) for e in events if e["event"] == "eval"] == [(3, 8)]
    assert [e["step"] for e in events if e["event"] == "probe"] == [0, 3]
    done = next(e for e in events if e["event"] == "done")
    assert done["stopped"] is False
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    tuned = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model), done["adapter"])
    assert any(torch.count_nonzero(p) > 0 for n, p in tuned.named_parameters() if "lora_B" in n), "the adapter learned nothing"


def test_stop_ends_as_stopped_when_the_other_rank_is_already_gone(tiny_model, pairs32, tmp_path):
    """The launcher signals ranks one by one (and kills one that outlasts its grace period), so on Stop
    rank 0 can find rank 1 gone in the middle of a collective. That used to end the job as failed with
    gloo's "Connection closed by peer"; rank 0 now saves the last whole step alone and ends as stopped."""
    import os
    import signal
    import time

    job = tmp_path / "job.json"
    out = tmp_path / "out"
    job.write_text(json.dumps(job_config(tiny_model, pairs32, out, max_steps=400, save_steps=1000,
                                         gradient_accumulation_steps=1, per_device_train_batch_size=2)))
    port = free_port()
    ranks = []
    for rank in (0, 1):
        # No launcher: the ranks are started as torchrun would, so the test decides who ends when.
        env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank),
               "LOCAL_RANK": str(rank), "WORLD_SIZE": "2", "LOCAL_WORLD_SIZE": "2"}
        ranks.append(subprocess.Popen([sys.executable, "-m", "styletune_trainer", "dpo", "--config", str(job)],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    try:
        events_file, deadline = out / "events.jsonl", time.monotonic() + 300
        while time.monotonic() < deadline:
            lines = events_file.read_text().splitlines() if events_file.is_file() else []
            if any(json.loads(l).get("event") == "progress" and json.loads(l)["step"] >= 2 for l in lines):
                break
            assert ranks[0].poll() is None, ranks[0].communicate()[1][-3000:]
            time.sleep(0.05)
        else:
            raise AssertionError("no step 2 within 300 s")
        ranks[1].kill()  # gone at once, as a rank killed by the launcher's grace period
        ranks[0].send_signal(signal.SIGTERM)
        stdout, stderr = ranks[0].communicate(timeout=300)
    finally:
        for p in ranks:
            if p.poll() is None:
                p.kill()
    assert ranks[0].returncode == 0, stderr[-3000:]
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    for e in events:
        validate_event(e)
    assert not [e for e in events if e["event"] == "error"], [e for e in events if e["event"] == "error"]
    assert any(e.get("code") == "rank_gone" for e in events), "the log says rank 0 went on alone"
    done = next(e for e in events if e["event"] == "done")
    assert done["stopped"] is True and done["step"] >= 2
    assert json.loads((out / "status.json").read_text())["state"] == "stopped"
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model), done["adapter"])
