"""One GPU, under 8 minutes: does the worker train real architectures on a real GPU, how fast and in how
much memory against TRL, and do its GPU-only paths work. Run through benchmarks/gpu-check.sh.

    bash benchmarks/gpu-check.sh                 # a GPU machine: Qwen2-0.5B and Llama-1B sizes
    bash benchmarks/gpu-check.sh --cpu-smoke     # anywhere: the same checks on a tiny model, CPU

Needs only torch, transformers, peft and accelerate (whatever versions the machine has) and this checkout;
nothing is downloaded. Models are real architectures (Qwen2ForCausalLM at Qwen2-0.5B's size,
LlamaForCausalLM at Llama-3.2-1B's) built from a config with random weights; speed and memory do not
depend on the values. TRL comes from benchmarks/wheels/ (pure Python) when it is not installed; it also
needs `datasets` (with pyarrow, not pure Python): without it the TRL rows say skipped, and why.

Checks, each a row of the final table:
  bf16 LoRA DPO, ours vs TRL, Qwen2-0.5B (2 rounds, order alternating) and Llama-1B (gradient checkpointing on
  both: the worker's default from 1B), tokens/s and peak memory (benchmarks/dpo_throughput.py's like-for-like
  settings); QLoRA (load_in_4bit) when bitsandbytes is installed; a stop (SIGTERM) and a resume through the
  CLI, against an uninterrupted run; FSDP through accelerate_config on one GPU.
Every row is ok, FAIL or skipped (with the reason); the exit code is 1 when a row failed. Figures are
also written as JSON to $OUT/gpu-check.json when OUT is set.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "trainer"))

import dpo_throughput as bench  # noqa: E402

ROWS: list[dict] = []
T0 = time.monotonic()


def say(msg: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f}s] {msg}", flush=True)


def row(check: str, status: str, tokens_s: float | None = None, peak: int | None = None, note: str = "") -> None:
    ROWS.append(dict(check=check, status=status, tokens_per_s=tokens_s, peak_bytes=peak, note=note))
    say(f"{status:7} {check}: {note}")


def has(mod: str) -> bool:
    try:
        return importlib.util.find_spec(mod) is not None
    except (ImportError, ValueError):
        return False


def trl_available() -> str | None:
    """None when TRL can run here (installed or from the vendored wheel), else why not."""
    if not has("trl"):
        wheels = sorted((HERE / "wheels").glob("trl-*.whl"))
        if not wheels:
            return "TRL is not installed and benchmarks/wheels has no TRL wheel"
        # A pure-Python wheel is a zip that Python imports directly; the children inherit PYTHONPATH.
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(wheels[-1]), os.environ.get("PYTHONPATH")) if p)
        sys.path.insert(0, str(wheels[-1]))
    missing = [m for m in ("datasets", "pyarrow") if not has(m)]
    if missing:
        return f"TRL needs {' and '.join(missing)}, not installed on this machine (not pure Python, so not carried)"
    probe = subprocess.run([sys.executable, "-c", "import trl; from trl import DPOTrainer; print(trl.__version__)"],
                           capture_output=True, text=True, env=os.environ.copy(), timeout=180)
    if probe.returncode != 0:
        return f"TRL does not import with this machine's libraries: {probe.stderr.strip().splitlines()[-1][:200]}"
    say(f"TRL {probe.stdout.strip()} importable")
    return None


def synthetic_pairs(n: int, out: Path) -> Path:
    """Pairs from the repo's tiny corpus with the human-like-dpo set's shape (prompt ~20, chosen ~60-120,
    rejected ~90-200 words), for machines without the shared data. Only lengths matter for speed."""
    words = (REPO / "trainer" / "styletune_trainer" / "tiny_corpus.txt").read_text(encoding="utf-8").split()
    rng = random.Random(0)
    take = lambda k: " ".join(words[(i := rng.randrange(len(words) - k)): i + k])  # noqa: E731
    with out.open("w", encoding="utf-8") as f:
        for _ in range(n):
            f.write(json.dumps({"prompt": [{"role": "user", "content": take(rng.randint(8, 30))}],
                                "chosen": [{"role": "assistant", "content": take(rng.randint(40, 120))}],
                                "rejected": [{"role": "assistant", "content": take(rng.randint(60, 200))}]}) + "\n")
    return out


def pairs_file(n: int, out: Path) -> tuple[Path, str]:
    if (bench.SHARED / "human-like-dpo" / "pairs.dev.jsonl").is_file():
        return bench.build_data(n, out), "human-like-dpo dev pairs"
    return synthetic_pairs(n, out), "synthetic pairs from tiny_corpus.txt (shared data not on this machine)"


def left() -> float:
    return ARGS.budget - (time.monotonic() - T0)


def compare_row(label: str, spec: dict, rounds: int, trl_why: str | None, need_s: float) -> None:
    if left() < need_s:
        row(label, "skipped", note=f"{left():.0f} s of the budget left, needs ~{need_s:.0f} s")
        return
    try:
        runs = bench.compare(spec, rounds, log=say, trl=trl_why is None, timeout=max(60.0, left()))
    except Exception as e:  # noqa: BLE001 - one failed check must not hide the others
        row(label + " ours" + ("" if trl_why else " vs TRL"), "FAIL", note=str(e).strip().splitlines()[-1][:300])
        return
    tokens = runs["ours"][0]["tokens"]
    med = lambda rs, k: sorted(r[k] for r in rs)[len(rs) // 2]  # noqa: E731
    o_s, o_p = med(runs["ours"], "seconds"), med(runs["ours"], "peak_bytes")
    st = runs["ours"][0].get("started") or {}
    est = (st.get("memory_estimate") or {}).get("total_bytes")
    row(f"{label} ours", "ok", tokens / o_s, o_p,
        f"{runs['ours'][0]['steps']} steps, loss {runs['ours'][0]['losses'][0]:.4f} → {runs['ours'][0]['losses'][-1]:.4f}, "
        f"{st.get('precision')}, quant {st.get('quantization')}, gc {st.get('gradient_checkpointing')}"
        + (f", estimate {est / 2**30:.1f} GiB" if est else ""))
    if trl_why:
        row(f"{label} TRL", "skipped", note=trl_why)
        return
    t_s, t_p = med(runs["trl"], "seconds"), med(runs["trl"], "peak_bytes")
    lo, lt = runs["ours"][0]["losses"], runs["trl"][0]["losses"]
    n = min(len(lo), len(lt))
    dmax = max((abs(a - b) for a, b in zip(lo[:n], lt[:n])), default=float("nan"))
    row(f"{label} TRL", "ok", tokens / t_s, t_p, f"{runs['trl'][0]['steps']} steps, loss {lt[0]:.4f} → {lt[-1]:.4f}")
    ok = t_s / o_s >= 1.3 and o_p <= t_p
    row(f"{label} ours/TRL", "ok" if n else "FAIL", None, None,
        f"{t_s / o_s:.2f}x tokens/s, peak {o_p / 2**30:.2f} vs {t_p / 2**30:.2f} GiB, loss curves max |diff| {dmax:.2e} "
        f"over {n} steps; target ≥1.3x at ≤ TRL's peak: {'met' if ok else 'NOT met'}")


class OutOfBudget(Exception):
    """A check's worker was killed because the script's budget ran out (a loaded machine): the row says skipped."""


def cli(job: Path, stop_at: int | None = None, timeout: float | None = None) -> tuple[int, list[dict], str]:
    """Runs the worker's CLI on a job file; killed (OutOfBudget) when the budget runs out, so the script always
    ends with its table inside gpu-check.sh's hard stop, however loaded the machine is."""
    import threading

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO / "trainer"), os.environ.get("PYTHONPATH")) if p),
           "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    # A session of its own: out of budget, the worker and any ranks it launched are killed together.
    p = subprocess.Popen([sys.executable, "-m", "styletune_trainer", "dpo", "--config", str(job)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    limit = max(1.0, left() if timeout is None else min(timeout, left()))
    fired = threading.Event()

    def out_of_budget() -> None:
        fired.set()
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(limit, out_of_budget)  # also when the worker prints nothing for a while
    timer.start()
    events = []
    assert p.stdout is not None and p.stderr is not None
    err_chunks: list[str] = []
    reader = threading.Thread(target=lambda: err_chunks.append(p.stderr.read()), daemon=True)  # no pipe fills up
    reader.start()
    try:
        for line in p.stdout:
            e = json.loads(line)
            events.append(e)
            if stop_at is not None and e["event"] == "progress" and e["step"] == stop_at:
                p.send_signal(signal.SIGTERM)
        rc = p.wait()
    finally:
        timer.cancel()
    reader.join(timeout=10)
    if fired.is_set():
        raise OutOfBudget(f"the budget ran out after {limit:.0f} s (load {os.getloadavg()[0]:.1f})")
    return rc, events, "".join(err_chunks)


def job_file(path: Path, model: Path, data: Path, out: Path, **over) -> Path:
    cfg = dict(model=str(model), train_file=str(data), output_dir=str(out), max_length=ARGS_SPEC["max_length"],
               **bench.no_prompt_limit(), per_device_train_batch_size=ARGS_SPEC["batch"], learning_rate=ARGS_SPEC["lr"],
               max_steps=6, save_steps=100, lora_dropout=0.0, seed=3,
               **({"device": "cpu"} if ARGS.cpu_smoke else {}))
    cfg.update(over)
    path.write_text(json.dumps(cfg))
    return path


def stop_and_resume(model: Path, data: Path, tmp: Path) -> None:
    tmp.mkdir(parents=True, exist_ok=True)
    if left() < 60:
        row("stop + resume", "skipped", note=f"{left():.0f} s of the budget left")
        return
    try:
        rc0, full, err0 = cli(job_file(tmp / "full.json", model, data, tmp / "full"))
        assert rc0 == 0, err0[-2000:]
        job = job_file(tmp / "cut.json", model, data, tmp / "cut")
        rc1, first, err1 = cli(job, stop_at=2)
        done1 = first[-1]
        assert rc1 == 0 and done1["event"] == "done" and done1["stopped"] is True, (first[-1], err1[-2000:])
        rc2, second, err2 = cli(job)
        done2 = second[-1]
        st = next(e for e in second if e["event"] == "started")
        assert rc2 == 0 and done2["stopped"] is False and done2["step"] == 6, (done2, err2[-2000:])
        assert st["resumed_from_step"] == done1["step"], (st["resumed_from_step"], done1["step"])
        lf = [e["loss"] for e in full if e["event"] == "progress"][-1]
        lr = [e["loss"] for e in second if e["event"] == "progress"][-1]
        # On a GPU, bf16 kernels need not be bit-reproducible run to run; the CPU path is exact (tests/test_dpo.py).
        tol = 1e-5 if ARGS.cpu_smoke else 2e-2
        status = "ok" if abs(lf - lr) <= tol and (tmp / "cut" / "adapter" / "adapter_model.safetensors").is_file() else "FAIL"
        row("stop + resume", status, note=f"SIGTERM at step 2, stopped at {done1['step']}, resumed from "
            f"{st['resumed_from_step']} to 6; step-6 loss {lr:.6f} vs uninterrupted {lf:.6f} (|diff| {abs(lf - lr):.1e}, tol {tol:g})")
    except OutOfBudget as e:
        row("stop + resume", "skipped", note=str(e))
    except Exception as e:  # noqa: BLE001
        row("stop + resume", "FAIL", note=str(e)[-300:])


def fsdp_one_gpu(model: Path, data: Path, tmp: Path) -> None:
    if ARGS.cpu_smoke:
        row("FSDP (accelerate_config)", "skipped", note="FSDP needs a GPU; the config is parsed by tests/test_bigmodel.py")
        return
    if left() < 60:
        row("FSDP (accelerate_config)", "skipped", note=f"{left():.0f} s of the budget left")
        return
    text = (REPO / "trainer" / "configs" / "fsdp.yaml").read_text().replace("num_processes: 4", "num_processes: 1")
    (tmp / "fsdp1.yaml").write_text(text)
    try:
        rc, events, err = cli(job_file(tmp / "fsdp.json", model, data, tmp / "fsdp", accelerate_config=str(tmp / "fsdp1.yaml"),
                                       max_steps=4, eval_split=0.25, eval_steps=2, probe_steps=2, probe_max_new_tokens=16,
                                       probe_prompts=["How was your weekend?", "Can you explain what DNS does?"]))
        st = next((e for e in events if e["event"] == "started"), {})
        prog = [e for e in events if e["event"] == "progress"]
        # Eval and the style probe run on the sharded model (every rank in lockstep): eval at 2, 4; probe at 0, 2, 4.
        evals = [e["step"] for e in events if e["event"] == "eval"]
        probes = [e["step"] for e in events if e["event"] == "probe"]
        ok = rc == 0 and events and events[-1]["event"] == "done" and (tmp / "fsdp" / "adapter" / "adapter_model.safetensors").is_file() \
            and evals == [2, 4] and probes == [0, 2, 4]
        note = (f"sharding {st.get('sharding')}, {len(prog)} steps, loss {prog[0]['loss']:.4f} → {prog[-1]['loss']:.4f}, "
                f"eval at {evals}, probe at {probes}"
                if ok and prog else (events[-1].get("message", "") if events else err.strip()[-300:]))
        row("FSDP (accelerate_config)", "ok" if ok else "FAIL", prog[-1]["tokens_per_s"] if ok and prog else None,
            prog[-1].get("gpu_mem_bytes") if ok and prog else None, note)
    except OutOfBudget as e:
        row("FSDP (accelerate_config)", "skipped", note=str(e))
    except Exception as e:  # noqa: BLE001
        row("FSDP (accelerate_config)", "FAIL", note=str(e)[-300:])


def main() -> int:
    global ARGS, ARGS_SPEC
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cpu-smoke", action="store_true", help="a tiny model on the CPU: every check, seconds each")
    ap.add_argument("--budget", type=float, default=450.0, help="seconds; checks that would not fit are skipped")
    ARGS = ap.parse_args()
    import accelerate
    import peft
    import torch
    import transformers

    cuda = torch.cuda.is_available() and not ARGS.cpu_smoke
    if not cuda and not ARGS.cpu_smoke:
        print("no CUDA GPU visible: run with --cpu-smoke, or on a GPU machine", flush=True)
        return 2
    dev = torch.cuda.get_device_name(0) if cuda else "cpu"
    say(f"torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}, accelerate "
        f"{accelerate.__version__}; device {dev}" + (f", {torch.cuda.get_device_properties(0).total_memory / 2**30:.0f} GiB, "
                                                       f"bf16 {torch.cuda.is_bf16_supported()}" if cuda else "")
        + f"; bitsandbytes {has('bitsandbytes')}, flash_attn {has('flash_attn')}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    trl_why = trl_available()
    if trl_why:
        say(f"TRL rows skipped: {trl_why}")
    device = "cuda" if cuda else "cpu"
    ARGS_SPEC = dict(batch=4 if ARGS.cpu_smoke else 8, accum=1, max_length=64 if ARGS.cpu_smoke else 512,
                     lr=1e-3 if ARGS.cpu_smoke else 5e-5)
    with tempfile.TemporaryDirectory(prefix="styletune-gpu-check-") as tmp_s:
        tmp = Path(tmp_s)
        n_pairs = 16 if ARGS.cpu_smoke else 128
        data, where = pairs_file(n_pairs, tmp / "pairs.jsonl")
        say(f"data: {n_pairs} {where}")
        sizes = [("tiny", "tiny Qwen2", False)] if ARGS.cpu_smoke else [("qwen2-0.5b", "Qwen2-0.5B bf16 LoRA", False),
                                                                         ("llama-1b", "Llama-1B bf16 LoRA +gc", True)]
        models: dict[str, Path] = {}
        for size, label, gc in sizes:
            t = time.monotonic()
            models[size] = bench.build_model(size, tmp / size, device=device)
            say(f"built {size} (random weights) in {time.monotonic() - t:.1f} s")
            spec = dict(model=str(models[size]), data=str(data), out=str(tmp / f"runs-{size}"), device=device,
                        gradient_checkpointing=gc, **ARGS_SPEC)
            compare_row(label, spec, 1 if ARGS.cpu_smoke or gc else 2, trl_why, 40 if ARGS.cpu_smoke else 90)
        small = models[sizes[0][0]]
        big = models[sizes[-1][0]]
        if ARGS.cpu_smoke or not has("bitsandbytes"):
            row("QLoRA (load_in_4bit)", "skipped",
                note="needs a CUDA GPU" if ARGS.cpu_smoke else "bitsandbytes is not installed (pip install bitsandbytes)")
        else:
            spec = dict(model=str(big), data=str(data), out=str(tmp / "runs-qlora"), device=device,
                        gradient_checkpointing=True, load_in_4bit=True, **ARGS_SPEC)
            compare_row("Llama-1B QLoRA nf4 +gc", spec, 1, trl_why, 90)
        stop_and_resume(small, data, tmp / "stop")
        fsdp_one_gpu(small, data, tmp)
    print()
    print(f"{'check':34} {'status':8} {'tokens/s':>9} {'peak MiB':>9}  note")
    for r in ROWS:
        tps = f"{r['tokens_per_s']:9.0f}" if r["tokens_per_s"] else f"{'':9}"
        peak = f"{r['peak_bytes'] / 2**20:9.1f}" if r["peak_bytes"] else f"{'':9}"
        print(f"{r['check']:34} {r['status']:8} {tps} {peak}  {r['note']}")
    say(f"done, load {os.getloadavg()[0]:.1f}")
    if os.environ.get("OUT"):
        Path(os.environ["OUT"], "gpu-check.json").write_text(json.dumps({"device": dev, "rows": ROWS}, indent=1))
    return 1 if any(r["status"] == "FAIL" for r in ROWS) else 0


ARGS: argparse.Namespace
ARGS_SPEC: dict = {}

if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        sys.exit(1)
