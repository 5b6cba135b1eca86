"""Shared fixtures: a tiny model built once per session, a slice of the real human-like-dpo pairs,
the event schema, and helpers to run the worker in-process or as a child process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TRAINER = Path(__file__).resolve().parents[1]
REPO = TRAINER.parent
SCHEMA = json.loads((TRAINER / "events.schema.json").read_text())
SHARED = Path(os.environ.get("STYLETUNE_SHARED_DATA", REPO.parent / "shared" / "data"))
PAIRS = SHARED / "human-like-dpo" / "pairs.dev.jsonl"
# Child processes (`python -m styletune_trainer`, torchrun ranks) run this checkout's worker, not the one
# an editable install in the venv points at (another checkout sharing the venv would be tested instead).
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(TRAINER), os.environ.get("PYTHONPATH")) if p)


def shared_pairs(n: int, dest: Path) -> Path:
    """First n pairs of the real dev set. Fails (never skips) when the shared corpora are missing."""
    if not PAIRS.is_file():
        pytest.fail(f"shared data file missing: {PAIRS} (set STYLETUNE_SHARED_DATA)")
    lines = PAIRS.read_text(encoding="utf-8").splitlines()[:n]
    dest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest


def validate_event(event: dict) -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator(SCHEMA).validate(event)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    from styletune_trainer.tiny import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("models") / "tiny-llama", arch="llama")


@pytest.fixture(scope="session")
def tiny_qwen(tmp_path_factory) -> Path:
    from styletune_trainer.tiny import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("models") / "tiny-qwen2", arch="qwen2")


@pytest.fixture
def pairs32(tmp_path) -> Path:
    return shared_pairs(32, tmp_path / "pairs.jsonl")


def job_config(model: Path, data: Path, out: Path, **over) -> dict:
    """Small and fast on two CPU cores, yet long enough sequences to carry the style signal."""
    cfg = dict(model=str(model), train_file=str(data), output_dir=str(out), max_length=96, truncate_prompt_to=32,
               per_device_train_batch_size=4, gradient_accumulation_steps=2, learning_rate=5e-3, max_steps=6,
               save_steps=2, lora_r=8, lora_alpha=16, lora_dropout=0.05, seed=7, device="cpu")
    cfg.update(over)
    return cfg


def run_inprocess(cfg: dict, stop_at: int | None = None):
    """Runs `dpo` in this process; returns (events, done or WorkerError). stop_at sets the stop flag
    while step `stop_at` is being reported, as the SIGTERM handler would."""
    from styletune_trainer.config import DPOConfig
    from styletune_trainer.dpo import StopFlag, run_dpo
    from styletune_trainer.events import Emitter, WorkerError

    events: list[dict] = []
    stop = StopFlag()

    def sink(e: dict) -> None:
        events.append(e)
        if stop_at is not None and e["event"] == "progress" and e["step"] == stop_at:
            stop.set()

    emit = Emitter(sink=sink)
    try:
        result = run_dpo(DPOConfig.from_dict(cfg), emit, stop)
    except WorkerError as e:
        result = e
    finally:
        emit.close()
    for e in events:
        validate_event(e)
    return events, result


def run_cli(args: list[str], timeout: float = 240, **kw) -> tuple[int, list[dict], str]:
    """Runs `python -m styletune_trainer ARGS` as a child; every stdout line must be a valid event."""
    p = subprocess.run([sys.executable, "-m", "styletune_trainer", *args], capture_output=True, text=True,
                       timeout=timeout, **kw)
    events = [json.loads(line) for line in p.stdout.splitlines()]
    for e in events:
        validate_event(e)
    return p.returncode, events, p.stderr


def progress(events: list[dict]) -> list[dict]:
    return [e for e in events if e["event"] == "progress"]


def started(events: list[dict]) -> dict:
    return next(e for e in events if e["event"] == "started")
