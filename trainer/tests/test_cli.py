"""The worker as the extension runs it: a child process speaking JSON lines, stopped by a signal."""
import json
import signal
import subprocess
import sys

import pytest
import torch

from conftest import job_config, progress, run_cli, started, validate_event
from styletune_trainer.events import classify


def _write(path, obj):
    path.write_text(json.dumps(obj))
    return path


def test_missing_model_folder_is_an_environment_error(pairs32, tmp_path):
    cfg = _write(tmp_path / "job.json", job_config(tmp_path / "nope", pairs32, tmp_path / "job"))
    rc, events, _ = run_cli(["dpo", "--config", str(cfg)])
    assert rc == 1 and events[-1]["event"] == "error"
    assert events[-1]["kind"] == "environment" and "model folder not found" in events[-1]["message"]
    assert "make-tiny-model" in events[-1]["hint"]


def test_malformed_data_line_is_a_data_error_with_its_line(tiny_model, tmp_path):
    data = tmp_path / "pairs.jsonl"
    data.write_text('{"prompt": "hi", "chosen": "yo", "rejected": "Greetings."}\n{"prompt": "hi", "chosen": \n')
    cfg = _write(tmp_path / "job.json", job_config(tiny_model, data, tmp_path / "job"))
    rc, events, _ = run_cli(["dpo", "--config", str(cfg)])
    err = events[-1]
    assert rc == 1 and err["kind"] == "data" and f"{data}:2:" in err["message"]
    assert "TRL preference format" in err["hint"]
    status = json.loads((tmp_path / "job" / "status.json").read_text())
    assert status["state"] == "failed" and status["kind"] == "data"
    assert "error (data)" in (tmp_path / "job" / "train.log").read_text()


@pytest.mark.parametrize("over,needle,hint", [
    ({"truncate_prompt_to": 128, "max_length": 64}, "must be smaller than max_length", "leave room"),
    ({"max_prompt_length": 32}, "`max_prompt_length` is not a setting any more", "truncate_prompt_to"),
    ({"lora_target_modules": ["c_attn"]}, "LoRA target modules", "q_proj"),
    ({"learning_rat": 1e-4}, "unknown config key `learning_rat`", "`learning_rate`"),
])
def test_impossible_config_is_a_config_error(tiny_model, pairs32, tmp_path, over, needle, hint):
    cfg = _write(tmp_path / "job.json", job_config(tiny_model, pairs32, tmp_path / "job", **over))
    rc, events, _ = run_cli(["dpo", "--config", str(cfg)])
    assert rc == 1 and events[-1]["kind"] == "config"
    assert needle in events[-1]["message"] and hint in events[-1]["hint"]


def test_oom_and_internal_errors_are_classified():
    try:
        torch.empty(1 << 52, dtype=torch.uint8)  # a real allocator failure, refused at once
    except RuntimeError as e:
        err = classify(e)
    assert err.kind == "oom" and "per_device_train_batch_size" in err.hint and "gradient_checkpointing" in err.hint
    assert classify(KeyError("x")).kind == "internal"
    assert classify(ModuleNotFoundError("No module named 'peft'")).kind == "environment"


def test_sigterm_stops_with_a_checkpoint_and_a_usable_adapter_then_resumes(tiny_model, pairs32, tmp_path):
    job = tmp_path / "job"
    cfg = _write(tmp_path / "job.json", job_config(tiny_model, pairs32, job, max_steps=400, save_steps=1000))
    p = subprocess.Popen([sys.executable, "-m", "styletune_trainer", "dpo", "--config", str(cfg)],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    events = []
    for line in p.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "progress" and events[-1]["step"] == 2:
            p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=120) == 0
    for e in events:
        validate_event(e)
    done = events[-1]
    assert done["event"] == "done" and done["stopped"] is True and 2 <= done["step"] < 400
    assert any(e["event"] == "checkpoint" and e["step"] == done["step"] for e in events)
    assert json.loads((job / "status.json").read_text())["state"] == "stopped"
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(tiny_model)), done["adapter"])
    # Resuming picks up at the stopped step (a shorter max_steps would be a config change).
    cfg2 = json.loads(cfg.read_text())
    p = subprocess.Popen([sys.executable, "-m", "styletune_trainer", "dpo", "--config", str(cfg)],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    events = []
    for line in p.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "progress" and len(progress(events)) == 1:
            p.send_signal(signal.SIGINT)  # once: a second signal would end it at once, by design
    assert p.wait(timeout=120) == 0
    assert started(events)["resumed_from_step"] == done["step"]
    assert progress(events)[0]["step"] == done["step"] + 1
    assert events[-1]["stopped"] is True and cfg2["max_steps"] == events[-1]["total_steps"]


def test_generate_base_and_adapter_with_the_same_seeds(tiny_model, pairs32, tmp_path):
    from conftest import run_inprocess

    _, done = run_inprocess(job_config(tiny_model, pairs32, tmp_path / "job", max_steps=4, learning_rate=2e-2))
    gen = dict(model=str(tiny_model), adapter=done["adapter"], num_samples=2, max_new_tokens=12, seed=3,
               prompts=["Hey, what's up?", [{"role": "user", "content": "Any plans for the weekend?"}]],
               output=str(tmp_path / "samples.jsonl"), device="cpu")
    cfg = _write(tmp_path / "gen.json", gen)
    rc, events, _ = run_cli(["generate", "--config", str(cfg)])
    assert rc == 0 and events[0]["event"] == "started" and events[-1]["event"] == "done"
    samples = [e for e in events if e["event"] == "sample"]
    assert len(samples) == 2 * 2 * 2
    assert {(s["index"], s["source"], s["sample"]) for s in samples} == \
        {(i, src, k) for i in range(2) for src in ("base", "adapter") for k in range(2)}
    assert len((tmp_path / "samples.jsonl").read_text().splitlines()) == 8
    # Cut-off answers are marked, so pair builders can drop them; one that stopped early never is.
    assert all(isinstance(s["truncated"], bool) and (s["tokens"] >= 12 or not s["truncated"]) for s in samples)
    # The job trained on text pairs raw (TRL's default), so its text prompt is asked raw too; with no
    # adapter, a text prompt gets the model's chat template. The conversational prompt is rendered the
    # same either way: with the same seed and no adapter, its base samples must repeat exactly.
    from styletune_trainer.generate import trained_with_template

    assert trained_with_template(done["adapter"]) is False and trained_with_template(None) is None
    _, on = run_inprocess(job_config(tiny_model, pairs32, tmp_path / "job-on", max_steps=1, apply_chat_template="on"))
    assert trained_with_template(on["adapter"]) is True
    cfg2 = _write(tmp_path / "gen2.json", {**gen, "adapter": None, "output": None})
    _, again, _ = run_cli(["generate", "--config", str(cfg2)])
    base = lambda evs: [(e["index"], e["sample"], e["text"]) for e in evs if e.get("source") == "base" and e["index"] == 1]  # noqa: E731
    assert base(again) == base(events) and base(events)
    by = {(s["index"], s["source"], s["sample"]): s["text"] for s in samples}
    assert any(by[(i, "base", k)] != by[(i, "adapter", k)] for i in range(2) for k in range(2))


def test_make_tiny_model_and_merge(tiny_model, pairs32, tmp_path):
    from conftest import run_inprocess
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    rc, events, _ = run_cli(["make-tiny-model", str(tmp_path / "m"), "--arch", "qwen2"])
    assert rc == 0 and events[-1]["command"] == "make-tiny-model"
    assert json.loads((tmp_path / "m" / "config.json").read_text())["model_type"] == "qwen2"
    _, done = run_inprocess(job_config(tmp_path / "m", pairs32, tmp_path / "job", max_steps=2))
    rc, events, _ = run_cli(["merge", done["adapter"], str(tmp_path / "merged")])
    assert rc == 0 and events[-1]["event"] == "done"
    ids = torch.tensor([[1, 40, 300, 7]])
    with torch.no_grad():
        merged = AutoModelForCausalLM.from_pretrained(str(tmp_path / "merged"))(ids).logits
        peft = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(tmp_path / "m")),
                                         done["adapter"]).eval()(ids).logits
    torch.testing.assert_close(merged, peft, atol=1e-4, rtol=1e-4)


def _stop_when(cmd: list[str], when) -> tuple[int, list[dict]]:
    """Runs the worker and sends one SIGTERM when `when(event)` first holds (None: at once)."""
    p = subprocess.Popen([sys.executable, "-m", "styletune_trainer", *cmd], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    if when is None:
        p.send_signal(signal.SIGTERM)  # Python is still starting: the handler may not be in place yet
    events, sent = [], when is None
    for line in p.stdout:
        events.append(json.loads(line))
        if not sent and when(events[-1]):
            p.send_signal(signal.SIGTERM)
            sent = True
    return p.wait(timeout=120), events


def test_stop_while_loading_ends_stopped_at_once_and_resume_starts_from_scratch(tiny_model, tmp_path):
    from conftest import PAIRS

    big = tmp_path / "big.jsonl"  # 40k pairs: tokenizing them takes long enough to be stopped in the middle
    big.write_text(PAIRS.read_text(encoding="utf-8") * 8, encoding="utf-8")
    job = tmp_path / "job"
    cfg = _write(tmp_path / "job.json", job_config(tiny_model, big, job, max_steps=400, save_steps=1000))
    tokenizing = lambda e: e["event"] == "log" and e.get("code") == "loading" and "tokenizing" in e["message"]  # noqa: E731
    rc, events = _stop_when(["dpo", "--config", str(cfg)], tokenizing)
    for e in events:
        validate_event(e)
    assert rc == 0 and events[-1]["event"] == "done", events[-3:]
    assert events[-1]["stopped"] is True and events[-1]["step"] == 0 and "adapter" not in events[-1]
    assert not any(e["event"] in ("started", "progress") for e in events), "it stopped before the model trained"
    assert "Resume starts from scratch" in events[-2]["message"]
    status = json.loads((job / "status.json").read_text())
    assert status["state"] == "stopped" and status["step"] == 0
    assert not (job / "adapter").exists() and not (job / "ref_logps.safetensors").exists()

    # A stop before Python has even installed its handler, or during the imports: still stopped, never failed.
    rc, events = _stop_when(["dpo", "--config", str(cfg)], None)
    assert rc in (0, -signal.SIGTERM)
    assert json.loads((job / "status.json").read_text())["state"] == "stopped" or rc == -signal.SIGTERM
    rc, events = _stop_when(["dpo", "--config", str(cfg)], lambda e: e.get("code") == "loading")
    assert rc == 0 and events[-1]["event"] == "done" and events[-1]["stopped"] is True


def test_stop_while_loading_a_resumed_job_keeps_its_checkpoint_and_adapter(tiny_model, pairs32, tmp_path):
    job = tmp_path / "job"
    cfg = _write(tmp_path / "job.json", job_config(tiny_model, pairs32, job, max_steps=400, save_steps=1000))
    rc, first = _stop_when(["dpo", "--config", str(cfg)], lambda e: e["event"] == "progress" and e["step"] == 2)
    assert rc == 0 and first[-1]["stopped"] and first[-1]["step"] >= 2
    step = first[-1]["step"]
    rc, events = _stop_when(["dpo", "--config", str(cfg)],
                            lambda e: e.get("code") == "loading" and "model" in e["message"])
    assert rc == 0 and events[-1] == {**events[-1], "event": "done", "stopped": True, "step": step,
                                      "adapter": str(job / "adapter")}
    assert f"Resume continues from step {step}" in events[-2]["message"]
    assert json.loads((job / "status.json").read_text())["state"] == "stopped"
