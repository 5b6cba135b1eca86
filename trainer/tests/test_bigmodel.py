"""Big-model options on the CPU: what a CPU can run (float32 and bf16, gradient checkpointing, a job re-run
under `accelerate launch --config_file`), and the refusals and estimates of the GPU-only paths (QLoRA, 8-bit
and paged optimizers, FlashAttention 2, FSDP / DeepSpeed configs). The GPU paths themselves run in
benchmarks/gpu-check.sh."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from conftest import job_config, progress, run_cli, run_inprocess, started
from styletune_trainer import bigmodel
from styletune_trainer.bigmodel import has_module

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "trainer" / "configs"


def _write(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj) if not isinstance(obj, str) else obj)
    return path


@pytest.mark.skipif(has_module("bitsandbytes"), reason="bitsandbytes is installed here: nothing is missing")
@pytest.mark.parametrize("over,what", [
    ({"load_in_4bit": True}, "load_in_4bit"),
    ({"load_in_8bit": True}, "load_in_8bit"),
    ({"optim": "paged_adamw_8bit"}, "optim paged_adamw_8bit"),
])
def test_a_missing_bitsandbytes_is_named_with_its_pip_install_before_anything_loads(tiny_model, pairs32, tmp_path, over, what):
    cfg = job_config(tiny_model, pairs32, tmp_path / "job", **over)
    cfg.pop("device")  # on a GPU machine without bitsandbytes the package is the one thing to fix
    rc, events, stderr = run_cli(["dpo", "--config", str(_write(tmp_path / "job.json", cfg))], timeout=60)
    err = events[-1]
    assert rc == 1 and err["event"] == "error" and [e["event"] for e in events] == ["error"]
    # The config check places it at its key: job.json:LINE:COLUMN: ...
    assert re.sub(r"^\S+:\d+:\d+: ", "", err["message"]).startswith(f"{what} needs the `bitsandbytes` package")
    python = re.search(r"(\S+) -m pip install bitsandbytes", err["hint"])
    assert python and Path(python.group(1)).samefile(sys.executable), err["hint"]  # the worker's own interpreter
    assert "trainer[qlora]" in err["hint"]
    assert "Traceback" not in stderr and "detail" not in err
    assert not (tmp_path / "job").exists(), "refused before the job folder was made"


@pytest.mark.skipif(has_module("flash_attn"), reason="flash-attn is installed here")
def test_flash_attention_without_flash_attn_names_the_package(tiny_model, pairs32, tmp_path):
    cfg = job_config(tiny_model, pairs32, tmp_path / "job", attn_implementation="flash_attention_2")
    rc, events, _ = run_cli(["dpo", "--config", str(_write(tmp_path / "job.json", cfg))], timeout=60)
    assert rc == 1 and "needs the `flash-attn` package" in events[-1]["message"]
    assert "pip install flash-attn" in events[-1]["hint"]


@pytest.mark.parametrize("over,needle", [
    ({"fp16": True}, "fp16 needs a CUDA GPU, but device is cpu"),
    ({"device_map": "auto"}, "device_map auto needs a CUDA GPU"),
    ({"optim": "adamw_9bit"}, "optim `adamw_9bit` is not supported"),
    ({"bf16": True, "fp16": True}, "bf16 and fp16 are both true"),
    ({"attn_implementation": "flash"}, "attn_implementation `flash` is not supported"),
])
def test_gpu_only_and_impossible_settings_are_config_errors(tiny_model, pairs32, tmp_path, over, needle):
    cfg = job_config(tiny_model, pairs32, tmp_path / "job", **over)
    rc, events, _ = run_cli(["dpo", "--config", str(_write(tmp_path / "job.json", cfg))], timeout=60)
    assert rc == 1 and events[-1]["kind"] == "config" and needle in events[-1]["message"], events[-1]


def test_float32_and_bf16_on_the_cpu_say_what_they_run(tiny_model, pairs32, tmp_path):
    ev32, done32 = run_inprocess(job_config(tiny_model, pairs32, tmp_path / "f32", max_steps=2))
    ev16, done16 = run_inprocess(job_config(tiny_model, pairs32, tmp_path / "bf16", max_steps=2, bf16=True))
    s32, s16 = started(ev32), started(ev16)
    assert (s32["precision"], s32["dtype"], s16["precision"], s16["dtype"]) == ("float32", "float32", "bfloat16", "bfloat16")
    for s in (s32, s16):
        assert s["quantization"] is None and s["sharding"] == "none" and s["optim"] == "adamw_torch"
        assert s["loss_scaling"] is False and s["gradient_checkpointing"] is False and s["gpu_memory_bytes"] is None
        est = s["memory_estimate"]
        assert est["total_bytes"] == est["weights_bytes"] + est["trainable_bytes"] + est["activations_bytes"] > 0
    # The same model in half the bytes per weight.
    assert s16["memory_estimate"]["weights_bytes"] * 2 == s32["memory_estimate"]["weights_bytes"]
    assert s32["parameters"]["total"] == s16["parameters"]["total"]
    l32, l16 = progress(ev32)[0]["loss"], progress(ev16)[0]["loss"]
    assert abs(l32 - 0.6931) < 1e-3 and abs(l16 - 0.6931) < 2e-2, (l32, l16)  # step 0: policy = reference


def test_gradient_checkpointing_changes_memory_not_the_numbers(tiny_model, pairs32, tmp_path):
    off, _ = run_inprocess(job_config(tiny_model, pairs32, tmp_path / "off", max_steps=3, lora_dropout=0.0))
    on, _ = run_inprocess(job_config(tiny_model, pairs32, tmp_path / "on", max_steps=3, lora_dropout=0.0,
                                     gradient_checkpointing=True))
    assert started(off)["gradient_checkpointing"] is False, "a tiny model is under the 1B default"
    assert started(on)["gradient_checkpointing"] is True
    assert started(on)["memory_estimate"]["activations_bytes"] < started(off)["memory_estimate"]["activations_bytes"]
    for a, b in zip(progress(off), progress(on)):
        assert abs(a["loss"] - b["loss"]) < 1e-5 and abs(a["grad_norm"] - b["grad_norm"]) < 1e-4, (a, b)


def _config_only_model(tmp_path: Path, name: str, **conf) -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / "config.json").write_text(json.dumps(conf))
    return d


LLAMA_1B = dict(model_type="llama", architectures=["LlamaForCausalLM"], hidden_size=2048, intermediate_size=8192,
                num_hidden_layers=16, num_attention_heads=32, num_key_value_heads=8, vocab_size=128256,
                tie_word_embeddings=True, head_dim=64)


def test_llama_1b_shape_turns_gradient_checkpointing_on_and_4bit_cuts_its_weights(tmp_path):
    from types import SimpleNamespace

    import torch

    from styletune_trainer.config import DPOConfig

    shape = bigmodel.model_shape(_config_only_model(tmp_path, "llama-1b", **LLAMA_1B))
    assert 1.23e9 < shape.total < 1.25e9, shape.total  # Llama-3.2-1B: 1.236B parameters
    cfg = DPOConfig(model="m", train_file="t", output_dir="o")
    assert bigmodel.gradient_checkpointing_on(cfg, shape) is True
    assert bigmodel.gradient_checkpointing_on(DPOConfig(model="m", train_file="t", output_dir="o",
                                                        gradient_checkpointing=False), shape) is False
    bf16 = bigmodel.Precision(torch.bfloat16, "bfloat16", False, False)
    full = bigmodel.memory_estimate(cfg, shape, bf16, 5_636_096, True, 1)
    q4 = bigmodel.memory_estimate(SimpleNamespace(**{**cfg.to_dict(), "load_in_4bit": True}), shape, bf16, 5_636_096, True, 1)
    assert abs(full["weights_bytes"] / 2**30 - 2.30) < 0.02, full  # 1.236B x 2 bytes
    # Linear layers at ~4.5 bits; the 262M-parameter embedding stays in bf16.
    assert 0.9 < q4["weights_bytes"] / 2**30 < 1.1, q4
    sharded = bigmodel.memory_estimate(cfg, shape, bf16, 5_636_096, True, 4)
    assert sharded["weights_bytes"] * 4 == pytest.approx(full["weights_bytes"], rel=1e-6)


def test_an_out_of_memory_error_names_what_to_change_with_numbers():
    from styletune_trainer.config import DPOConfig

    cfg = DPOConfig(model="m", train_file="t", output_dir="o", per_device_train_batch_size=8, max_length=1024)
    est = {"weights_bytes": 14 * 2**30, "trainable_bytes": 2**28, "activations_bytes": 60 * 2**30, "total_bytes": 75 * 2**30}
    err = bigmodel.oom_advice(cfg, False, 79 * 2**30, 80 * 2**30, est, None, 3)
    assert err.kind == "oom"
    assert err.message.startswith("out of GPU memory at step 4: 79.0 GiB of 80.0 GiB in use (the estimate before loading was 75.0 GiB")
    for tip in ("per_device_train_batch_size 8 → 4 with gradient_accumulation_steps 1 → 2", "gradient_checkpointing: true",
                "max_length 1024 → 512", "load_in_4bit: true (QLoRA; weights 14.0 GiB → ~4.2 GiB)", "optim: paged_adamw_8bit",
                "trainer/configs/fsdp.yaml"):
        assert tip in err.hint, (tip, err.hint)


def test_shipped_accelerate_configs_parse_and_say_how_they_shard():
    assert bigmodel.sharding_of(bigmodel.read_accelerate_config(CONFIGS / "fsdp.yaml")) == "fsdp"
    assert bigmodel.sharding_of(bigmodel.read_accelerate_config(CONFIGS / "multi-gpu.yaml")) == "ddp"
    fsdp = bigmodel.read_accelerate_config(CONFIGS / "fsdp.yaml")["fsdp_config"]
    assert fsdp["fsdp_use_orig_params"] is True and fsdp["fsdp_cpu_ram_efficient_loading"] is True
    if has_module("deepspeed"):
        assert bigmodel.sharding_of(bigmodel.read_accelerate_config(CONFIGS / "deepspeed-zero3.yaml")) == "deepspeed-zero3"


@pytest.mark.parametrize("yaml_text,over,needle", [
    ("distributed_type: FSDP\nfsdp_config:\n  fsdp_use_orig_params: false\n", {}, "fsdp_use_orig_params is false"),
    ("distributed_type: TPU\n", {}, "distributed_type TPU is not supported"),
    ("distributed_type: FSDP\nfsdp_config: [\n", {}, "acc.yaml:3:1: not valid YAML"),
    ("distributed_type: FSDP\n", {"device_map": "auto", "device": None}, "device_map and accelerate_config are both set"),
])
def test_bad_accelerate_configs_are_refused_naming_the_file(tiny_model, pairs32, tmp_path, yaml_text, over, needle):
    acc = _write(tmp_path / "acc.yaml", yaml_text)
    cfg = {**job_config(tiny_model, pairs32, tmp_path / "job"), "accelerate_config": "acc.yaml", **over}
    cfg = {k: v for k, v in cfg.items() if v is not None}
    rc, events, _ = run_cli(["dpo", "--config", str(_write(tmp_path / "job.json", cfg))], timeout=60)
    assert rc == 1 and needle in events[-1]["message"], events[-1]
    assert str(acc) in events[-1]["message"] or "device_map" in needle


@pytest.mark.skipif(has_module("deepspeed"), reason="deepspeed is installed here")
def test_a_deepspeed_config_without_deepspeed_names_its_pip_install(tiny_model, pairs32, tmp_path):
    cfg = {**job_config(tiny_model, pairs32, tmp_path / "job"), "accelerate_config": str(CONFIGS / "deepspeed-zero3.yaml")}
    rc, events, _ = run_cli(["dpo", "--config", str(_write(tmp_path / "job.json", cfg))], timeout=60)
    assert rc == 1 and "needs the `deepspeed` package" in events[-1]["message"] and "pip install deepspeed" in events[-1]["hint"]


def test_a_job_with_accelerate_config_reruns_itself_under_accelerate_launch(tiny_model, pairs32, tmp_path):
    acc = _write(tmp_path / "cpu.yaml", "compute_environment: LOCAL_MACHINE\ndistributed_type: 'NO'\nmixed_precision: 'no'\n"
                                        "num_machines: 1\nnum_processes: 1\nuse_cpu: true\n")
    cfg = job_config(tiny_model, pairs32, tmp_path / "job", max_steps=2, accelerate_config=acc.name)
    rc, events, stderr = run_cli(["dpo", "--config", str(_write(tmp_path / "job.json", cfg))], timeout=300)
    assert rc == 0, stderr[-3000:]
    assert "running under accelerate launch" in stderr and f"--config_file {acc}" in stderr
    kinds = [e["event"] for e in events]
    assert kinds.count("started") == 1 and kinds[-1] == "done" and len(progress(events)) == 2
    assert started(events)["sharding"] == "none"
    # The job folder's record is whole: events.jsonl holds what stdout carried.
    on_disk = [json.loads(line) for line in (tmp_path / "job" / "events.jsonl").read_text().splitlines()]
    assert [e["event"] for e in on_disk] == kinds


def test_a_run_launched_without_its_accelerate_config_says_so(tiny_model, pairs32, tmp_path, monkeypatch):
    # In-process, as under a launcher that was not given the file (the editor's processes setting, srun).
    monkeypatch.delenv("STYLETUNE_LAUNCHED", raising=False)
    events, done = run_inprocess(job_config(tiny_model, pairs32, tmp_path / "job", max_steps=1,
                                            accelerate_config=str(CONFIGS / "fsdp.yaml")))
    warn = [e for e in events if e["event"] == "log" and e.get("code") == "accelerate_config_unused"]
    assert len(warn) == 1 and "asks for fsdp, but this run was launched as none (1 processes)" in warn[0]["message"]
    assert f"--config_file {CONFIGS / 'fsdp.yaml'}" in warn[0]["message"]
    assert done["stopped"] is False and started(events)["sharding"] == "none"
