"""Throughput and peak memory of StyleTune's `dpo` against TRL's DPOTrainer, like for like.

    .venv/bin/python benchmarks/dpo_throughput.py --size tiny --device cpu            # seconds, anywhere
    .venv/bin/python benchmarks/dpo_throughput.py --size qwen2-0.5b --pairs 256       # GPU
    .venv/bin/python benchmarks/dpo_throughput.py --size llama-1b --gradient-checkpointing

Needs TRL (`STYLETUNE_TRAINER_EXTRAS=test,bench bash scripts/setup-python.sh`) and the shared
human-like-dpo pairs (../shared/data or $STYLETUNE_SHARED_DATA).

What is the same on both sides:
- the model: a real architecture (Qwen2 / Llama) built from a config with random weights, saved once,
  loaded by both (random weights are fine for speed); the same pairs, as conversations, so both apply
  the chat template; LoRA r 16 / alpha 32 / dropout 0 on every linear layer; batch, accumulation,
  max_length, learning rate, seed, one epoch;
- gradient checkpointing: off on both, or on on both with --gradient-checkpointing (TRL's default is on);
- padding: padded batches on both. TRL 1.16's `padding_free` is "temporarily unavailable" (it warns and
  pads), so ours' `--padding-free` is reported as an extra row, never as the comparison;
- the reference: precomputed once before training on both (TRL `precompute_ref_log_probs=True`, batch
  2 x train batch like ours); the time it takes is shown apart;
- timing: from the start of the first optimizer step to the end of the last (CUDA synchronized), so
  model loading, tokenization and the reference pass are outside it on both sides. (TRL fetches a
  step's batch before its step begins: its first collation is outside the window, ours inside.)
- peak memory: reset when the first step starts. GPU: torch.cuda.max_memory_allocated. CPU: growth of
  the resident set during training (VmHWM after `clear_refs` minus the RSS when the first step
  started), not the libraries' import footprint;
- order: each trainer runs in a fresh child process, and rounds alternate which runs first.

tokens/s counts the non-padding tokens of chosen and rejected sequences (prompt included) as tokenized
by StyleTune, for both, so the figures are directly comparable.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("STYLETUNE_SHARED_DATA", REPO.parent / "shared" / "data"))

# Real configs, random weights. Qwen2.5: vocab 151936, tied embeddings. Llama-3.2-1B: vocab 128256, tied.
SIZES = {
    "tiny": None,
    "qwen2-0.5b": ("qwen2", dict(hidden_size=896, num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2,
                                 intermediate_size=4864, vocab_size=151936, tie_word_embeddings=True)),
    "qwen2-1.5b": ("qwen2", dict(hidden_size=1536, num_hidden_layers=28, num_attention_heads=12, num_key_value_heads=2,
                                 intermediate_size=8960, vocab_size=151936, tie_word_embeddings=True)),
    "llama-1b": ("llama", dict(hidden_size=2048, num_hidden_layers=16, num_attention_heads=32, num_key_value_heads=8,
                               intermediate_size=8192, vocab_size=128256, tie_word_embeddings=True, head_dim=64,
                               rope_theta=500000.0)),
}


def build_model(size: str, out: Path, arch: str = "qwen2", device: str = "cpu") -> Path:
    """A model folder: the tiny model's tokenizer and chat template, with weights of `size` (random)."""
    import torch

    sys.path.insert(0, str(REPO / "trainer"))
    from styletune_trainer.tiny import make_tiny_model

    if SIZES[size] is not None:
        arch = SIZES[size][0]
    make_tiny_model(out, arch=arch)
    if SIZES[size] is None:
        return out
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    tok_cfg = json.loads((out / "config.json").read_text())
    conf_cls, model_cls = (Qwen2Config, Qwen2ForCausalLM) if arch == "qwen2" else (LlamaConfig, LlamaForCausalLM)
    conf = conf_cls(**SIZES[size][1], max_position_embeddings=4096, bos_token_id=tok_cfg.get("bos_token_id"),
                    eos_token_id=tok_cfg["eos_token_id"], pad_token_id=tok_cfg["pad_token_id"])
    torch.manual_seed(0)
    with torch.device(device):  # random init of 1B parameters: seconds on a GPU, longer on a CPU
        model = model_cls(conf).to(torch.bfloat16)
    for f in out.glob("*.safetensors"):
        f.unlink()
    model.save_pretrained(out)
    return out


def build_data(n: int, out: Path) -> Path:
    src = SHARED / "human-like-dpo" / "pairs.dev.jsonl"
    if not src.is_file():
        sys.exit(f"shared data file missing: {src} (set STYLETUNE_SHARED_DATA)")
    with src.open(encoding="utf-8") as f, out.open("w", encoding="utf-8") as g:
        for line in list(f)[:n]:
            p = json.loads(line)
            g.write(json.dumps({"prompt": [{"role": "user", "content": p["prompt"]}],
                                "chosen": [{"role": "assistant", "content": p["chosen"]}],
                                "rejected": [{"role": "assistant", "content": p["rejected"]}]}) + "\n")
    return out


# ---- measuring, the same way in both children ----------------------------------------------------
class Window:
    """Time and peak memory from the start of the first step to the end of the last."""

    def __init__(self, device: str):
        self.cuda = device != "cpu"
        self.first: float | None = None
        self.last: float | None = None
        self.rss0 = 0

    def _sync(self) -> None:
        if self.cuda:
            import torch

            torch.cuda.synchronize()

    def step_begin(self) -> None:
        if self.first is not None:
            return
        self._sync()
        if self.cuda:
            import torch

            torch.cuda.reset_peak_memory_stats()
        else:
            try:  # "5" resets the peak resident set (VmHWM) to the current one (Linux >= 4.0)
                Path("/proc/self/clear_refs").write_text("5")
            except OSError:
                pass
            self.rss0 = _status_kib("VmRSS") * 1024
        self.first = time.perf_counter()

    def step_end(self) -> None:
        self._sync()
        self.last = time.perf_counter()

    def result(self) -> dict:
        if self.cuda:
            import torch

            peak = int(torch.cuda.max_memory_allocated())
        else:
            peak = max(0, _status_kib("VmHWM") * 1024 - self.rss0)
        return {"seconds": (self.last or 0) - (self.first or 0), "peak_bytes": peak}


def _status_kib(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def no_prompt_limit() -> dict:
    """TRL cuts nothing off the prompt; the worker's max_prompt_length (where it still has one) is lifted."""
    import dataclasses

    from styletune_trainer.config import DPOConfig

    return {"max_prompt_length": None} if "max_prompt_length" in {f.name for f in dataclasses.fields(DPOConfig)} else {}


def child_ours(spec: dict) -> dict:
    from styletune_trainer.config import DPOConfig
    from styletune_trainer.dpo import DPOTrainer
    from styletune_trainer.events import Emitter

    events: list[dict] = []
    cfg = DPOConfig.from_dict(dict(
        model=spec["model"], train_file=spec["data"], output_dir=spec["out"], max_length=spec["max_length"],
        **no_prompt_limit(), per_device_train_batch_size=spec["batch"],
        gradient_accumulation_steps=spec["accum"], num_train_epochs=1, learning_rate=spec["lr"], lora_r=16,
        lora_alpha=32, lora_dropout=0.0, seed=0, save_steps=10**9, padding_free=spec.get("padding_free", False),
        gradient_checkpointing=spec["gradient_checkpointing"], load_in_4bit=spec.get("load_in_4bit", False),
        max_steps=spec.get("max_steps") or -1, device="cpu" if spec["device"] == "cpu" else None))
    trainer = DPOTrainer(cfg, Emitter(sink=events.append))
    trainer.setup()
    win = Window(spec["device"])
    step, ref = trainer._train_step, trainer.reference_logps
    ref_s = [0.0]

    def timed_step(*a):
        win.step_begin()
        out = step(*a)
        win.step_end()
        return out

    def timed_ref():
        t = time.perf_counter()
        out = ref()
        ref_s[0] = time.perf_counter() - t
        return out

    trainer._train_step, trainer.reference_logps = timed_step, timed_ref
    trainer.train()
    prog = [e for e in events if e["event"] == "progress"]
    started = next(e for e in events if e["event"] == "started")
    return dict(**win.result(), ref_seconds=ref_s[0], losses=[e["loss"] for e in prog], steps=len(prog),
                tokens=trainer.stats.tokens, pairs=len(trainer.examples), started={
                    k: started.get(k) for k in ("precision", "quantization", "gradient_checkpointing", "memory_estimate")})


def child_trl(spec: dict) -> dict:
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import DPOConfig, DPOTrainer

    cuda = spec["device"] != "cpu"
    dtype = torch.bfloat16 if cuda else torch.float32
    tok = AutoTokenizer.from_pretrained(spec["model"])
    kw: dict = {}
    if spec.get("load_in_4bit"):
        from transformers import BitsAndBytesConfig

        kw["quantization_config"] = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                                       bnb_4bit_compute_dtype=dtype, bnb_4bit_quant_storage=dtype)
        kw["device_map"] = {"": 0}
    from styletune_trainer.modeling import _dtype_kwarg  # torch_dtype on transformers < 4.56

    kw[_dtype_kwarg()] = dtype
    model = AutoModelForCausalLM.from_pretrained(spec["model"], attn_implementation="sdpa", **kw)
    rows = [json.loads(line) for line in Path(spec["data"]).read_text().splitlines()]
    losses: list[float] = []
    win = Window(spec["device"])
    ref_s = [0.0]
    orig = DPOTrainer._precompute_ref_logps

    def timed_precompute(self, *a, **k):
        t = time.perf_counter()
        out = orig(self, *a, **k)
        ref_s[0] += time.perf_counter() - t
        return out

    DPOTrainer._precompute_ref_logps = timed_precompute

    class Measure(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            win.step_begin()

        def on_step_end(self, args, state, control, **kw):
            win.step_end()

        def on_log(self, args, state, control, logs=None, **kw):
            if logs and "loss" in logs:
                losses.append(float(logs["loss"]))

    args = DPOConfig(output_dir=spec["out"], per_device_train_batch_size=spec["batch"],
                     gradient_accumulation_steps=spec["accum"], num_train_epochs=1, learning_rate=spec["lr"],
                     max_steps=spec.get("max_steps") or -1,
                     max_length=spec["max_length"], beta=0.1, loss_type=["sigmoid"], logging_steps=1,
                     save_strategy="no", report_to="none", seed=0, bf16=cuda, use_cpu=not cuda,
                     gradient_checkpointing=spec["gradient_checkpointing"], padding_free=False,
                     precompute_ref_log_probs=True, precompute_ref_batch_size=2 * spec["batch"],
                     dataloader_num_workers=0)
    trainer = DPOTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tok,
                         peft_config=LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear",
                                                task_type="CAUSAL_LM"), callbacks=[Measure()])
    trainer.train()
    return dict(**win.result(), ref_seconds=ref_s[0], losses=losses, steps=len(losses), pairs=len(rows))


def run_child(which: str, spec: dict, timeout: float | None = None) -> dict:
    path = os.pathsep.join(p for p in (str(REPO / "trainer"), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, "TOKENIZERS_PARALLELISM": "false",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error", "HF_DATASETS_OFFLINE": "1"}
    p = subprocess.run([sys.executable, __file__, "--child", which, "--spec", json.dumps(spec)],
                       capture_output=True, text=True, env=env, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{which} failed:\n{p.stderr[-4000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def compare(spec: dict, rounds: int, log=print, extra_padding_free: bool = False,
            trl: bool = True, timeout: float | None = None) -> dict[str, list[dict]]:
    """Runs ours and TRL `rounds` times each, alternating which goes first; fresh folders every run."""
    names = ["ours", "trl"] if trl else ["ours"]
    runs: dict[str, list[dict]] = {n: [] for n in names + (["ours-padding-free"] if extra_padding_free else [])}
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        if extra_padding_free:
            order = order + ["ours-padding-free"]
        for name in order:
            s = {**spec, "out": f"{spec['out']}/{name}-{r}", "padding_free": name == "ours-padding-free"}
            load0 = os.getloadavg()[0]
            res = run_child("trl" if name == "trl" else "ours", s, timeout)
            res["load"] = (load0, os.getloadavg()[0])
            runs[name].append(res)
            log(f"  round {r + 1} {name:18} {res['seconds']:8.2f} s  peak {res['peak_bytes'] / 2**20:9.1f} MiB  "
                f"ref pass {res['ref_seconds']:6.2f} s  load {res['load'][0]:.1f}->{res['load'][1]:.1f}")
    return runs


def table(runs: dict[str, list[dict]], tokens: int, memory_label: str) -> list[str]:
    lines = [f"{'trainer':18} {'steps':>5} {'s (median)':>10} {'tokens/s':>10} {'peak MiB':>9} {'ref pass s':>10} "
             f"{'first loss':>10} {'last loss':>9}"]
    for name, rs in runs.items():
        if not rs:
            continue
        sec = statistics.median(r["seconds"] for r in rs)
        peak = statistics.median(r["peak_bytes"] for r in rs)
        ref = statistics.median(r["ref_seconds"] for r in rs)
        loss = rs[0]["losses"]
        lines.append(f"{name:18} {rs[0]['steps']:5d} {sec:10.2f} {tokens / sec:10.1f} {peak / 2**20:9.1f} {ref:10.2f} "
                     f"{loss[0] if loss else float('nan'):10.4f} {loss[-1] if loss else float('nan'):9.4f}")
    if runs.get("trl") and runs.get("ours"):
        o = statistics.median(r["seconds"] for r in runs["ours"])
        t = statistics.median(r["seconds"] for r in runs["trl"])
        po = statistics.median(r["peak_bytes"] for r in runs["ours"])
        pt = statistics.median(r["peak_bytes"] for r in runs["trl"])
        lines.append(f"ours vs TRL: {t / o:.2f}x tokens/s, peak memory {po / 2**20:.1f} vs {pt / 2**20:.1f} MiB "
                     f"({memory_label})")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=sorted(SIZES), default="tiny")
    ap.add_argument("--tiny", action="store_true", help="same as --size tiny")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cuda")
    ap.add_argument("--pairs", type=int, default=None)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--accum", type=int, default=1)
    ap.add_argument("--max-length", type=int, default=None)
    ap.add_argument("--gradient-checkpointing", action="store_true", help="on for both (TRL's default)")
    ap.add_argument("--padding-free", action="store_true", help="also run ours padding-free (TRL 1.16 cannot)")
    ap.add_argument("--rounds", type=int, default=2, help="runs per trainer; the order alternates")
    ap.add_argument("--child", choices=["ours", "trl"], help=argparse.SUPPRESS)
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        spec = json.loads(a.spec)
        print(json.dumps(child_ours(spec) if a.child == "ours" else child_trl(spec)))
        return
    size = "tiny" if a.tiny else a.size
    tiny = size == "tiny"
    pairs = a.pairs or (32 if tiny else 256)
    batch = a.batch or (4 if tiny else 8)
    with tempfile.TemporaryDirectory(prefix="styletune-bench-") as tmp:
        tmp_p = Path(tmp)
        spec = dict(model=str(build_model(size, tmp_p / "model")), data=str(build_data(pairs, tmp_p / "pairs.jsonl")),
                    out=tmp, device=a.device, batch=batch, accum=a.accum,
                    max_length=a.max_length or (128 if tiny else 512), lr=1e-3 if tiny else 5e-5,
                    gradient_checkpointing=a.gradient_checkpointing)
        import torch

        print(f"# {size} model, {pairs} pairs, batch {batch}x{a.accum}, max_length {spec['max_length']}, "
              f"device {a.device}, gradient_checkpointing {a.gradient_checkpointing} (both), padded batches (both), "
              f"reference precomputed (both), LoRA r16/a32/dropout 0 all-linear, torch threads "
              f"{torch.get_num_threads()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}", flush=True)
        runs = compare(spec, a.rounds, extra_padding_free=a.padding_free)
        tokens = runs["ours"][0]["tokens"]
    print("\n".join(table(runs, tokens, "CPU: RSS growth while training" if a.device == "cpu"
                                        else "GPU: torch.cuda.max_memory_allocated while training")))
    o, t = runs["ours"][0]["losses"], runs["trl"][0]["losses"]
    n = min(len(o), len(t))
    diffs = [abs(x - y) for x, y in zip(o[:n], t[:n])]
    print(f"loss curves over {n} steps: max |ours - TRL| {max(diffs, default=0):.2e} (same seed gives both the same "
          "pair order; step 1 is ln 2 on both)")


if __name__ == "__main__":
    main()
