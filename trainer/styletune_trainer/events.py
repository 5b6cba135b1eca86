"""The worker's voice: one JSON object per stdout line, described by trainer/events.schema.json.

    emit = Emitter.for_process()           # takes over fd 1, see below
    emit.attach_job(job_dir)               # from now on also events.jsonl + train.log there
    emit("progress", step=3, ...)
    raise WorkerError("data", "pairs.jsonl:7: `chosen` is missing", hint="...")

Readers (the extension, `styletune tune`) treat stdout as a pure protocol, so `for_process` moves
the real stdout to a private file object and points fd 1 at stderr: a stray `print` in any library
lands in the log instead of corrupting the stream.
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
import traceback
from pathlib import Path
from typing import IO, Any, Callable

from .stop import uninterrupted

SCHEMA_VERSION = 1
ERROR_KINDS = ("oom", "data", "config", "environment", "internal")

OOM_HINT = (
    "Out of memory: lower per_device_train_batch_size (raise gradient_accumulation_steps to keep the "
    "effective batch), set gradient_checkpointing: true, or shorten max_length (or set truncate_prompt_to)."
)


class WorkerError(Exception):
    """An error the user can act on. `kind` is one of ERROR_KINDS; `hint` says what to do."""

    def __init__(self, kind: str, message: str, hint: str, detail: str | None = None):
        assert kind in ERROR_KINDS, kind
        super().__init__(message)
        self.kind, self.message, self.hint, self.detail = kind, message, hint, detail


def classify(exc: BaseException) -> WorkerError:
    """Turns any exception into a WorkerError; unknown ones are `internal` (a bug of ours)."""
    if isinstance(exc, WorkerError):
        return exc
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    text = str(exc)
    oom_types: tuple[type, ...] = (MemoryError,)
    try:
        import torch

        oom_types += (getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError,)  # name of torch >= 2.5
    except ImportError:
        pass
    # The CPU allocator reports failure as a plain RuntimeError; match its wording.
    if isinstance(exc, oom_types) or (
        isinstance(exc, RuntimeError)
        and ("not enough memory" in text or "can't allocate memory" in text or "out of memory" in text)
    ):
        return WorkerError("oom", text.splitlines()[0] if text else "out of memory", OOM_HINT, detail)
    if isinstance(exc, ImportError):
        return WorkerError(
            "environment",
            f"a Python package is missing or broken: {text}",
            "Run `bash scripts/setup-python.sh` in the StyleTune repo, or point STYLETUNE_PYTHON at an "
            "interpreter that has the trainer's pinned dependencies.",
            detail,
        )
    return WorkerError(
        "internal",
        f"{type(exc).__name__}: {text}",
        "This is a bug in the trainer. The job folder's train.log has the traceback; please report it "
        "with the job's config.json.",
        detail,
    )


def _clean(value: Any) -> Any:
    # JSON has no NaN/Infinity; a diverged loss must still produce a parseable line.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


class Emitter:
    """Writes events to the protocol stream and, once a job folder is known, to its files."""

    def __init__(self, stream: IO[str] | None = None, sink: Callable[[dict], None] | None = None,
                 enabled: bool = True):
        self.stream, self.sink, self.enabled = stream, sink, enabled
        self.events_file: IO[str] | None = None
        self.log_file: IO[str] | None = None

    @classmethod
    def for_process(cls, enabled: bool = True) -> "Emitter":
        sys.stdout.flush()
        protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        return cls(stream=protocol, enabled=enabled)

    def attach_job(self, job_dir: Path) -> None:
        if not self.enabled or self.events_file is not None:
            return
        job_dir.mkdir(parents=True, exist_ok=True)
        self.events_file = open(job_dir / "events.jsonl", "a", buffering=1, encoding="utf-8")
        self.log_file = open(job_dir / "train.log", "a", buffering=1, encoding="utf-8")

    def __call__(self, event: str, **fields: Any) -> dict:
        record = _clean({"version": SCHEMA_VERSION, "event": event, "time": round(time.time(), 3), **fields})
        if not self.enabled:
            return record
        line = json.dumps(record, ensure_ascii=False)
        with uninterrupted():  # a stop while loading must not cut an event line in half
            for f in (self.stream, self.events_file):
                if f is not None:
                    f.write(line + "\n")
                    f.flush()
        if self.sink is not None:
            self.sink(record)
        self.log(human(record))
        return record

    def log(self, text: str) -> None:
        """Human-readable line for train.log (and stderr, which the extension shows as the log)."""
        if not self.enabled:
            return
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        for line in text.splitlines() or [""]:
            if self.log_file is not None:
                self.log_file.write(f"{stamp} {line}\n")
        if self.stream is not None:  # stdout belongs to the protocol; humans read stderr
            print(text, file=sys.stderr, flush=True)

    def loading(self, what: str) -> dict:
        """What the worker does before its first step, for the editor's "loading…" line."""
        return self("log", level="info", code="loading", message=what)

    def error(self, err: WorkerError) -> dict:
        if err.detail:
            self.log(err.detail)
        hint = err.hint
        if self.log_file is None and "train.log" in hint:
            # No job folder yet, so no train.log: the traceback went to stderr only (and is in `detail`).
            hint = ("This is a bug in the trainer. The traceback is in the worker's log (stderr) and in this "
                    "event's detail; please report it with the job file.") if err.kind == "internal" \
                else hint.replace("The job folder's train.log", "The worker's log (stderr)")
        fields = {"kind": err.kind, "message": err.message, "hint": hint}
        if err.detail:
            fields["detail"] = err.detail[-4000:]
        return self("error", **fields)

    def close(self) -> None:
        for f in (self.events_file, self.log_file):
            if f is not None:
                f.close()
        self.events_file = self.log_file = None


def human(e: dict) -> str:
    kind = e["event"]
    if kind == "progress":
        return (f"step {e['step']}/{e['total_steps']} epoch {e['epoch']:.2f} loss {_f(e['loss'])} "
                f"acc {_f(e['rewards/accuracies'])} margin {_f(e['rewards/margins'])} "
                f"lr {e['learning_rate']:.3g} grad_norm {_f(e['grad_norm'])} {e['tokens_per_s']:.0f} tok/s "
                f"eta {e['eta_s']:.0f}s")
    if kind == "error":
        return f"error ({e['kind']}): {e['message']}\n  hint: {e['hint']}"
    if kind == "log":
        return f"[{e['level']}] {e['message']}"
    if kind == "sample":
        return f"sample {e['index']}.{e['sample']} [{e['source']}]: {e['text'][:200]!r}"
    rest = {k: v for k, v in e.items() if k not in ("version", "event", "time")}
    return f"{kind}: {json.dumps(rest, ensure_ascii=False)}"


def _f(x: Any) -> str:
    return "nan" if x is None else f"{x:.4f}"
