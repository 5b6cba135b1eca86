"""Command line of the worker. Every command prints JSON-lines events on stdout (events.schema.json)
and human-readable logs on stderr; the exit code is 0 after `done` and 1 after `error`.

    python -m styletune_trainer dpo --config job.json
    python -m styletune_trainer generate --config gen.json
    python -m styletune_trainer make-tiny-model OUT_DIR [--arch llama|qwen2] [--seed 0]
    python -m styletune_trainer merge ADAPTER OUT_DIR [--base MODEL_DIR]
    python -m styletune_trainer judge --model MODEL_DIR --input FILE.jsonl --output RATINGS.jsonl [--role R]
    python -m styletune_trainer checklist --model MODEL_DIR --input CHECKS.jsonl --output ANSWERS.jsonl
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .events import Emitter, classify
from .jobdir import stopped_before_training
from .stop import StopFlag, Stopped


def _quiet_libraries() -> None:
    # Progress bars and hub chatter would only clutter the log; nothing here may reach a hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:
        pass


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m styletune_trainer", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dpo", help="LoRA DPO training from a job config")
    d.add_argument("--config", required=True, help="JOB.json (see trainer/README.md#config)")
    g = sub.add_parser("generate", help="responses from base and base + adapter")
    g.add_argument("--config", required=True, help="GEN.json (see trainer/README.md#generate)")
    t = sub.add_parser("make-tiny-model", help="write a tiny random chat model for tests and demos")
    t.add_argument("out_dir")
    t.add_argument("--arch", default="llama", choices=["llama", "qwen2"])
    t.add_argument("--seed", type=int, default=0)
    m = sub.add_parser("merge", help="merge a LoRA adapter into its base model")
    m.add_argument("adapter")
    m.add_argument("out_dir")
    m.add_argument("--base", help="base model folder (default: the one recorded in the adapter)")
    j = sub.add_parser("judge", help="rate conversations on HAL's 32 statements with a local causal LM")
    j.add_argument("--model", required=True, help="judge model folder (Hugging Face layout)")
    j.add_argument("--input", required=True, help="JSONL of dialogues, pairs or human/ai lines")
    j.add_argument("--output", required=True, help="ratings JSONL (read by styletune fit/score --judge-ratings)")
    j.add_argument("--role", default="assistant", help="whose turns are rated")
    j.add_argument("--device", default="auto", choices=["auto", "cpu"])
    c = sub.add_parser("checklist", help="answer checklist items yes/no with a local causal LM")
    c.add_argument("--model", required=True, help="judge model folder (Hugging Face layout)")
    c.add_argument("--input", required=True, help='JSONL of {"messages", "role", "statements"} requests')
    c.add_argument("--output", required=True, help="answers JSONL, one line per request")
    c.add_argument("--device", default="auto", choices=["auto", "cpu"])
    return p


def main(argv: list[str] | None = None) -> int:
    # First of all: a Stop pressed while torch is still being imported must find the handler in place.
    stop = StopFlag.install()
    args = _parser().parse_args(argv)
    emit = Emitter.for_process()
    # Under torchrun / accelerate launch only rank 0 speaks; the trainer confirms it once accelerate is up.
    emit.enabled = os.environ.get("RANK", "0") == "0"
    try:
        if args.command == "dpo":
            _dpo(args.config, emit, stop)
            return 0
        with stop.loading():
            _quiet_libraries()
        if args.command == "generate":
            from .config import GenerateConfig
            from .generate import run_generate

            run_generate(GenerateConfig.from_file(args.config), emit, stop)
        elif args.command == "make-tiny-model":
            from .tiny import make_tiny_model

            out = make_tiny_model(args.out_dir, arch=args.arch, seed=args.seed)
            emit("done", command="make-tiny-model", stopped=False, output=str(out.resolve()), metrics={})
        elif args.command == "judge":
            from .judge import run_judge

            run_judge(args.model, args.input, args.output, emit, role=args.role, device=args.device, stop=stop)
        elif args.command == "checklist":
            from .judge import run_checklist

            run_checklist(args.model, args.input, args.output, emit, device=args.device, stop=stop)
        elif args.command == "merge":
            from .merge import merge

            out = merge(args.adapter, args.out_dir, args.base)
            emit("done", command="merge", stopped=False, output=str(out.resolve()), metrics={})
        return 0
    except Stopped as e:
        # Stopped before a command had anything to save (a dpo job reports this itself, with its folder).
        emit("done", command=args.command, stopped=True, output="", metrics={})
        emit.log(f"{e}: stopped while loading")
        return 0
    except BaseException as e:  # noqa: BLE001 - every failure must reach the reader as an event
        if isinstance(e, SystemExit) and not e.code:
            return 0
        err = classify(e)
        if not emit.enabled:
            # A rank other than 0 has no events of its own; its failure goes to stderr (the launcher's
            # stderr, kept in the job folder), or why a data-parallel run broke could never be found.
            print(f"rank {os.environ.get('RANK', '?')}: {err.kind} error: {err.message}\n{err.detail or ''}",
                  file=sys.stderr, flush=True)
        emit.error(err)
        return 1
    finally:
        emit.close()


def _dpo(config_path: str, emit: Emitter, stop: StopFlag) -> None:
    """Reads the job file (quick, no torch), then loads and trains. A stop before the first step ends the
    job as stopped at once: with its adapter from an earlier run, if any; Resume then starts where that
    run ended, or from scratch."""
    from .config import DPOConfig

    cfg = DPOConfig.from_file(config_path)
    job = Path(cfg.output_dir)
    if cfg.accelerate_config:
        from .bigmodel import launch_command, launched

        if not launched():
            # exec, not a child: the pid the extension recorded stays the launcher's, whose SIGTERM reaches every rank.
            cmd = launch_command(cfg.accelerate_config, str(Path(config_path).resolve()))
            emit.log(f"running under accelerate launch: {' '.join(cmd[1:])}")
            sys.stdout.flush()
            if emit.stream is not None:  # the protocol stream back on fd 1 for the launcher and its ranks
                emit.stream.flush()
                os.dup2(emit.stream.fileno(), 1)
            emit.close()
            os.execve(sys.executable, cmd, {**os.environ, "STYLETUNE_LAUNCHED": "1"})
    from .jobdir import pid_alive, repair_status

    if emit.enabled and (job / "status.json").is_file():
        _refuse_if_running(job, pid_alive)
        repaired = repair_status(job)
    else:
        repaired = None
    try:
        with stop.loading():
            job.mkdir(parents=True, exist_ok=True)
            emit.attach_job(job)
            if repaired:
                emit("log", level="warning", code="previous_run_died", message=repaired["message"])
            emit.loading("importing torch and transformers")
            _quiet_libraries()
            from .dpo import run_dpo
    except Stopped as e:
        stopped_before_training(job, emit, str(e))
        return
    run_dpo(cfg, emit, stop)


def _refuse_if_running(job: Path, pid_alive) -> None:
    """Two workers in one job folder would overwrite each other's checkpoints."""
    import json

    from .events import WorkerError

    try:
        status = json.loads((job / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    pid = status.get("pid") if isinstance(status, dict) else None
    if status.get("state") == "running" and pid != os.getpid() and pid_alive(pid, status.get("token")):
        raise WorkerError("config", f"{job} is in use: a trainer (pid {pid}) is running this job",
                          "Wait for it to finish or stop it first, or use another output_dir.")


if __name__ == "__main__":
    sys.exit(main())
