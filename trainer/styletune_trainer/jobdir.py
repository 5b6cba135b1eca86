"""The job folder's small files: status.json, config.json and the checkpoint list. No torch here: a
stop while the worker is still importing it must be able to write the job's status.

    write_status(job, "running")     # state, pid, process start token, time
    newest_checkpoint(job)           # checkpoints/step-000040, or None
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from .stop import uninterrupted


def write_json(path: Path, obj: Any) -> None:
    """Whole or not at all: readers (other windows, the CLI) never see half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with uninterrupted():
        tmp.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)


def process_start_token(pid: int | None = None) -> str | None:
    """The kernel's start time of the process (field 22 of /proc/PID/stat), as src/core/jobs/process.ts
    reads it: with the pid it tells our worker from a later process that got the same number."""
    try:
        text = Path(f"/proc/{pid or os.getpid()}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split(" ")[19]


def write_status(job: Path, state: str, **extra: Any) -> None:
    write_json(job / "status.json", {"state": state, "pid": os.getpid(), "token": process_start_token(),
                                     "time": time.time(), **extra})


def pid_alive(pid: Any, token: Any = None) -> bool:
    """True when `pid` runs (not a zombie) and, when a token is given, is the process that had that token."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        text = None
    if text is None:  # no /proc (macOS): signal 0 says whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return False  # someone else's process, so not our worker
        return True
    fields = text[text.rindex(")") + 2:].split(" ")
    if fields[0] in ("Z", "X"):
        return False
    return token is None or fields[19] == token


def repair_status(job: Path) -> dict | None:
    """Whoever reads a job folder next repairs a dead worker's status.json: `running` with a pid that is
    gone (killed, out of memory, the machine restarted) becomes `failed`, saying so. Returns the repaired
    record, or None when there was nothing to repair."""
    path = job / "status.json"
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(status, dict) or status.get("state") != "running":
        return None
    if pid_alive(status.get("pid"), status.get("token")):
        return None
    newest = newest_checkpoint(job)
    then = f"Resume continues from step {checkpoint_step(newest)}" if newest else \
        "Resume starts from scratch (no checkpoint yet)"
    repaired = {**status, "state": "failed", "kind": "crashed", "time": time.time(),
                "message": f"the trainer process (pid {status.get('pid')}) ended without reporting a result "
                           f"(killed, out of memory, or the machine restarted). {then}."}
    write_json(path, repaired)
    return repaired


def checkpoints(job: Path) -> list[Path]:
    d = job / "checkpoints"
    return sorted(d.glob("step-*[0-9]"), key=checkpoint_step) if d.is_dir() else []


def checkpoint_step(path: Path) -> int:
    return int(path.name.split("-")[1])


def newest_checkpoint(job: Path) -> Path | None:
    cks = checkpoints(job)
    return cks[-1] if cks else None


def stopped_before_training(job: Path, emit, reason: str) -> dict:
    """Ends a job stopped before this run trained a step: nothing new to save. The job folder keeps what
    an earlier run left (its newest checkpoint and adapter), which Resume continues from; without one,
    Resume starts from scratch."""
    job.mkdir(parents=True, exist_ok=True)
    if emit.events_file is None:
        emit.attach_job(job)
    newest = newest_checkpoint(job)
    step = checkpoint_step(newest) if newest else 0
    adapter = job / "adapter"
    kept = str(adapter) if (adapter / "adapter_config.json").is_file() else None
    then = f"Resume continues from step {step}" if newest else "Resume starts from scratch (no checkpoint yet)"
    emit("log", level="info", code="stop_requested", message=f"{reason}: stopped while loading; {then}")
    if emit.enabled:  # rank 0 of a data-parallel run
        write_status(job, "stopped", step=step, **({"adapter": kept} if kept else {}))
    return emit("done", command="dpo", stopped=True, output=kept or str(job), step=step,
                **({"adapter": kept} if kept else {}), metrics={})
