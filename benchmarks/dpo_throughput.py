"""Throughput and peak memory of StyleTune's `dpo` against TRL's DPOTrainer, same everything.

    .venv/bin/python benchmarks/dpo_throughput.py --tiny --device cpu      # proves it runs, anywhere
    .venv/bin/python benchmarks/dpo_throughput.py --size 0.5b              # Qwen2.5-0.5B-sized, GPU
    .venv/bin/python benchmarks/dpo_throughput.py --size 1.5b --pairs 512  # Qwen2.5-1.5B-sized, GPU

Needs the `bench` extra (STYLETUNE_TRAINER_EXTRAS=test,bench bash scripts/setup-python.sh) and the
shared human-like-dpo pairs (../shared/data or $STYLETUNE_SHARED_DATA).

Both trainers get the same randomly initialized model (real Qwen2 architecture at the paper models'
sizes; random weights are fine for speed), the same pairs (as conversations, so both apply the chat
template), LoRA on all linear layers, batch, accumulation, max_length, learning rate and seed. LoRA
dropout is 0 because TRL disables dropout by default. Each trainer runs in its own child process so
peak memory is its own. Timing covers training only (tokenization excluded for both) and includes
the reference log-prob pass: ours computes it once up front, TRL (default settings) on every step.

tokens/s counts the non-padding tokens of chosen and rejected sequences (prompt included), as
tokenized by StyleTune, for both trainers, so the two figures are directly comparable.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("STYLETUNE_SHARED_DATA", REPO.parent / "shared" / "data"))

SIZES = {  # Qwen2.5 configs (hidden, layers, heads, kv heads, intermediate); vocab 151936, tied embeddings
    "0.5b": dict(hidden_size=896, num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2,
                 intermediate_size=4864, vocab_size=151936, tie_word_embeddings=True),
    "1.5b": dict(hidden_size=1536, num_hidden_layers=28, num_attention_heads=12, num_key_value_heads=2,
                 intermediate_size=8960, vocab_size=151936, tie_word_embeddings=True),
}


def build_model(size: str, out: Path) -> Path:
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    sys.path.insert(0, str(REPO / "trainer"))
    from styletune_trainer.tiny import make_tiny_model

    make_tiny_model(out, arch="qwen2")  # tokenizer + chat template; the weights are replaced below for sizes
    if size == "tiny":
        return out
    tok_cfg = json.loads((out / "config.json").read_text())
    cfg = Qwen2Config(**SIZES[size], max_position_embeddings=4096, bos_token_id=tok_cfg.get("bos_token_id"),
                      eos_token_id=tok_cfg["eos_token_id"], pad_token_id=tok_cfg["pad_token_id"])
    torch.manual_seed(0)
    with torch.device("cpu"):
        model = Qwen2ForCausalLM(cfg).to(torch.bfloat16)
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


def child_ours(spec: dict) -> dict:
    import torch
    from styletune_trainer.config import DPOConfig
    from styletune_trainer.dpo import DPOTrainer
    from styletune_trainer.events import Emitter

    events: list[dict] = []
    cfg = DPOConfig.from_dict(dict(
        model=spec["model"], train_file=spec["data"], output_dir=spec["out"] + "/ours", max_length=spec["max_length"],
        max_prompt_length=None, per_device_train_batch_size=spec["batch"],
        gradient_accumulation_steps=spec["accum"], num_train_epochs=1, learning_rate=spec["lr"], lora_r=16,
        lora_alpha=32, lora_dropout=0.0, seed=0, save_steps=10**9, padding_free=spec["padding_free"],
        device="cpu" if spec["device"] == "cpu" else None))
    trainer = DPOTrainer(cfg, Emitter(sink=events.append))
    trainer.setup()
    _reset_peak(spec)
    t0 = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - t0
    return dict(seconds=seconds, losses=[e["loss"] for e in events if e["event"] == "progress"],
                tokens=trainer.stats.tokens, pairs=len(trainer.examples), peak_bytes=_peak(spec))


def child_trl(spec: dict) -> dict:
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import DPOConfig, DPOTrainer

    cuda = spec["device"] != "cpu"
    dtype = torch.bfloat16 if cuda else torch.float32
    tok = AutoTokenizer.from_pretrained(spec["model"])
    model = AutoModelForCausalLM.from_pretrained(spec["model"], dtype=dtype, attn_implementation="sdpa")
    rows = [json.loads(line) for line in Path(spec["data"]).read_text().splitlines()]
    losses: list[float] = []

    class Losses(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kw):
            if logs and "loss" in logs:
                losses.append(float(logs["loss"]))

    args = DPOConfig(output_dir=spec["out"] + "/trl", per_device_train_batch_size=spec["batch"],
                     gradient_accumulation_steps=spec["accum"], num_train_epochs=1, learning_rate=spec["lr"],
                     max_length=spec["max_length"], beta=0.1, loss_type=["sigmoid"], logging_steps=1,
                     save_strategy="no", report_to="none", seed=0, bf16=cuda, use_cpu=not cuda,
                     padding_free=False, dataloader_num_workers=0)
    trainer = DPOTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tok,
                         peft_config=LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear",
                                                task_type="CAUSAL_LM"), callbacks=[Losses()])
    _reset_peak(spec)
    t0 = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - t0
    return dict(seconds=seconds, losses=losses, pairs=len(rows), peak_bytes=_peak(spec))


def _reset_peak(spec: dict) -> None:
    import torch

    if spec["device"] != "cpu":
        torch.cuda.reset_peak_memory_stats()


def _peak(spec: dict) -> int:
    import torch

    if spec["device"] != "cpu":
        return int(torch.cuda.max_memory_allocated())
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # whole-process peak RSS on CPU


def run_child(which: str, spec: dict) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO / "trainer"), "TOKENIZERS_PARALLELISM": "false",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error"}
    p = subprocess.run([sys.executable, __file__, "--child", which, "--spec", json.dumps(spec)],
                       capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"{which} failed:\n{p.stderr[-4000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tiny", action="store_true", help="tiny Qwen2 model (seconds on a CPU)")
    ap.add_argument("--size", choices=sorted(SIZES), help="paper-scale model with random weights (GPU)")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cuda")
    ap.add_argument("--pairs", type=int, default=None)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--accum", type=int, default=1)
    ap.add_argument("--max-length", type=int, default=None)
    ap.add_argument("--padding-free", action="store_true", help="our padding-free batches (sdpa block mask)")
    ap.add_argument("--child", choices=["ours", "trl"], help=argparse.SUPPRESS)
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        spec = json.loads(a.spec)
        print(json.dumps(child_ours(spec) if a.child == "ours" else child_trl(spec)))
        return
    if not a.tiny and not a.size:
        ap.error("pick --tiny or --size")
    size = "tiny" if a.tiny else a.size
    pairs = a.pairs or (32 if a.tiny else 256)
    with tempfile.TemporaryDirectory(prefix="styletune-bench-") as tmp:
        tmp_p = Path(tmp)
        spec = dict(model=str(build_model(size, tmp_p / "model")), data=str(build_data(pairs, tmp_p / "pairs.jsonl")),
                    out=tmp, device=a.device, batch=a.batch or (4 if a.tiny else 8), accum=a.accum,
                    max_length=a.max_length or (128 if a.tiny else 512), lr=1e-3 if a.tiny else 5e-5,
                    padding_free=a.padding_free)
        print(f"# {size} model, {pairs} pairs, batch {spec['batch']}x{spec['accum']}, max_length {spec['max_length']}, "
              f"device {a.device}, padding_free {a.padding_free}", flush=True)
        results = {name: run_child(name, spec) for name in ("ours", "trl")}
    tokens = results["ours"]["tokens"]
    print(f"{'trainer':8} {'seconds':>9} {'pairs/s':>9} {'tokens/s':>10} {'peak MiB':>10} {'steps':>6} {'mean loss':>10}")
    for name, r in results.items():
        mean = sum(r["losses"]) / max(1, len(r["losses"]))
        print(f"{name:8} {r['seconds']:9.2f} {r['pairs'] / r['seconds']:9.2f} {tokens / r['seconds']:10.1f} "
              f"{r['peak_bytes'] / 2**20:10.1f} {len(r['losses']):6d} {mean:10.4f}")
    o, t = results["ours"], results["trl"]
    n = min(len(o["losses"]), len(t["losses"]))
    diffs = [abs(x - y) for x, y in zip(o["losses"][:n], t["losses"][:n])]
    print(f"speedup (ours/trl pairs/s): {t['seconds'] / o['seconds']:.2f}x; "
          f"peak memory ratio (ours/trl): {o['peak_bytes'] / t['peak_bytes']:.2f}"
          + (" (CPU: whole-process peak RSS)" if a.device == "cpu" else " (GPU: max allocated)"))
    print(f"loss curves over {n} steps: first {o['losses'][0]:.4f} vs {t['losses'][0]:.4f}, "
          f"mean |diff| {sum(diffs) / max(1, n):.4f}, max |diff| {max(diffs, default=0):.4f} "
          "(differences come from data order, truncation and numerics; same data order gives ~0)")
    print("ours:", " ".join(f"{x:.3f}" for x in o["losses"]))
    print("trl: ", " ".join(f"{x:.3f}" for x in t["losses"]))


if __name__ == "__main__":
    main()
