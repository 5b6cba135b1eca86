"""Big models on real GPUs: precision, quantization (QLoRA), optimizers, attention, sharding, and an
estimate of the memory a job needs. See docs/tuning.md#big-models.

    problems = validate_big_model_fields(cfg)           # (message, hint) pairs; no torch needed
    prec = pick_precision(cfg, device)                  # dtype, loss scaling, why
    shape = model_shape(cfg.model)                      # parameter counts from config.json (meta device)
    est = memory_estimate(cfg, shape, prec, ...)        # bytes per process, stated in `started`

Every option that needs a package outside the pinned set checks for it before anything loads and names
the `pip install` that adds it: bitsandbytes (load_in_4bit/8bit, 8-bit and paged optimizers), flash-attn
(attn_implementation flash_attention_2), deepspeed (an accelerate_config with DEEPSPEED).
"""
from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .events import WorkerError

# Gradient checkpointing costs ~30% more compute per step but keeps one layer's activations instead of
# all of them. Below ~1B parameters (Qwen2-0.5B at batch 8 x 1024 tokens needs ~12 GiB of activations
# without it) a GPU has room and speed wins; from 1B (Llama-3.2-1B and up) memory wins.
GRADIENT_CHECKPOINTING_FROM = 1_000_000_000

OPTIMS = ("adamw_torch", "adamw_torch_fused", "adamw_8bit", "adamw_bnb_8bit", "paged_adamw_8bit", "paged_adamw_32bit")
BNB_OPTIMS = {"adamw_8bit": "AdamW8bit", "adamw_bnb_8bit": "AdamW8bit", "paged_adamw_8bit": "PagedAdamW8bit",
              "paged_adamw_32bit": "PagedAdamW32bit"}
ATTN_IMPLEMENTATIONS = ("sdpa", "eager", "flash_attention_2")
DEVICE_MAPS = ("auto", "balanced", "balanced_low_0", "sequential")
DISTRIBUTED_TYPES = ("NO", "MULTI_GPU", "MULTI_CPU", "FSDP", "DEEPSPEED")

# module -> (what pip installs, the trainer extra that pins it)
PACKAGES = {"bitsandbytes": ("bitsandbytes", "qlora"), "flash_attn": ("flash-attn", "flash-attn"),
            "deepspeed": ("deepspeed", "deepspeed")}


def has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def missing_package(module: str, what: str) -> tuple[str, str]:
    pip, extra = PACKAGES[module]
    return (f"{what} needs the `{pip}` package, which {sys.executable} does not have",
            f"Install it into the worker's Python: {sys.executable} -m pip install {pip} "
            f"(or pip install -e 'trainer[{extra}]' from the StyleTune repo), then start the job again.")


def read_accelerate_config(path: str | Path) -> dict[str, Any]:
    """The accelerate config YAML (as written by `accelerate config`), checked for what the trainer needs."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise WorkerError("config", f"accelerate_config not found: {p}",
                          "Point it at an accelerate config YAML, e.g. trainer/configs/fsdp.yaml.")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{p}:{mark.line + 1}:{mark.column + 1}" if mark else str(p)
        raise WorkerError("config", f"{where}: not valid YAML: {getattr(e, 'problem', e)}",
                          "Compare it with trainer/configs/fsdp.yaml.") from None
    if not isinstance(raw, dict):
        raise WorkerError("config", f"{p}: an accelerate config must be a YAML mapping",
                          "Compare it with trainer/configs/fsdp.yaml.")
    kind = str(raw.get("distributed_type", "NO"))
    if kind not in DISTRIBUTED_TYPES:
        raise WorkerError("config", f"{p}: distributed_type {kind} is not supported by the trainer",
                          f"Use one of: {', '.join(DISTRIBUTED_TYPES)}.")
    if kind == "FSDP":
        fsdp = raw.get("fsdp_config") or {}
        version = int(fsdp.get("fsdp_version", 1))
        if version == 1 and fsdp.get("fsdp_use_orig_params") is False:
            # LoRA leaves most of every wrapped block frozen; FSDP1 shards frozen and trainable together only so.
            raise WorkerError("config", f"{p}: fsdp_use_orig_params is false",
                              "LoRA under FSDP1 needs fsdp_use_orig_params: true (frozen and trainable "
                              "parameters share a shard).")
    if kind == "DEEPSPEED":
        ds = raw.get("deepspeed_config") or {}
        if not has_module("deepspeed"):
            raise WorkerError("environment", *missing_package("deepspeed", f"{p} (DeepSpeed)"))
        if ds.get("deepspeed_config_file") is None and int(ds.get("zero_stage", 0)) not in (0, 1, 2, 3):
            raise WorkerError("config", f"{p}: zero_stage must be 0-3", "ZeRO-3 shards weights, gradients and optimizer state.")
    return raw


def sharding_of(acc_cfg: dict[str, Any] | None) -> str:
    """none, ddp, fsdp, deepspeed-zero<N> (what the accelerate config asks for)."""
    if not acc_cfg:
        return "none"
    kind = str(acc_cfg.get("distributed_type", "NO"))
    if kind == "FSDP":
        return "fsdp"
    if kind == "DEEPSPEED":
        return f"deepspeed-zero{int((acc_cfg.get('deepspeed_config') or {}).get('zero_stage', 3))}"
    return "ddp" if kind in ("MULTI_GPU", "MULTI_CPU") else "none"


def validate_big_model_fields(cfg: Any) -> list[tuple[str, str]]:
    """Problems with the big-model fields, each (message, hint); needs neither torch nor a GPU."""
    out: list[tuple[str, str]] = []
    cpu = cfg.device == "cpu"
    quant = "load_in_4bit" if cfg.load_in_4bit else "load_in_8bit" if cfg.load_in_8bit else None
    if cfg.load_in_4bit and cfg.load_in_8bit:
        out.append(("load_in_4bit and load_in_8bit are both set", "Pick one: 4-bit (QLoRA, NF4) saves the most memory."))
    if cfg.bnb_4bit_quant_type not in ("nf4", "fp4"):
        out.append((f"bnb_4bit_quant_type `{cfg.bnb_4bit_quant_type}` is not supported", "Use nf4 (QLoRA's) or fp4."))
    if cfg.optim not in OPTIMS:
        out.append((f"optim `{cfg.optim}` is not supported", f"Use one of: {', '.join(OPTIMS)}."))
    if cfg.attn_implementation not in ATTN_IMPLEMENTATIONS:
        out.append((f"attn_implementation `{cfg.attn_implementation}` is not supported",
                    f"Use one of: {', '.join(ATTN_IMPLEMENTATIONS)}."))
    if cfg.device_map is not None and cfg.device_map not in DEVICE_MAPS:
        out.append((f"device_map `{cfg.device_map}` is not supported", f"Use one of: {', '.join(DEVICE_MAPS)}, or leave it out."))
    if cfg.bf16 and cfg.fp16:
        out.append(("bf16 and fp16 are both true", "Use bf16 where the GPU has it (A100, H100, RTX 30xx+), fp16 on T4/V100."))
    # Packages first: on a GPU machine that is the one thing left to fix.
    if quant and not has_module("bitsandbytes"):
        out.append(missing_package("bitsandbytes", quant))
    if cfg.optim in BNB_OPTIMS and not has_module("bitsandbytes"):
        out.append(missing_package("bitsandbytes", f"optim {cfg.optim}"))
    if cfg.attn_implementation == "flash_attention_2" and not has_module("flash_attn"):
        out.append(missing_package("flash_attn", "attn_implementation flash_attention_2"))
    if cpu:
        for what, on in ((quant, bool(quant)), (f"optim {cfg.optim}", cfg.optim in BNB_OPTIMS or cfg.optim == "adamw_torch_fused"),
                         ("fp16", bool(cfg.fp16)), ("attn_implementation flash_attention_2", cfg.attn_implementation == "flash_attention_2"),
                         (f"device_map {cfg.device_map}", cfg.device_map is not None)):
            if on:
                out.append((f"{what} needs a CUDA GPU, but device is cpu",
                            "Remove `device` to train on the GPU, or drop the option to train on the CPU (float32 or bf16)."))
    if cfg.accelerate_config is not None:
        if cfg.device_map is not None:
            out.append(("device_map and accelerate_config are both set",
                        "device_map spreads one process's model over the GPUs; accelerate_config runs one process per "
                        "GPU (FSDP / DeepSpeed shard the model among them). Use one."))
        try:
            acc = read_accelerate_config(cfg.accelerate_config)
        except WorkerError as e:
            out.append((e.message, e.hint))
        else:
            if quant and sharding_of(acc) not in ("none", "ddp"):
                out.append((f"{quant} with {sharding_of(acc)} is not supported yet",
                            "QLoRA runs on one GPU (add device_map: auto for several) or data-parallel; "
                            "FSDP / ZeRO-3 shard bf16 weights instead."))
    return out


@dataclass
class Precision:
    dtype: Any  # torch.dtype of the base weights (and the compute dtype of quantized layers)
    name: str  # float32, bfloat16, float16
    loss_scaling: bool  # fp16: a GradScaler keeps small gradients from flushing to zero
    autocast: bool  # run the forward under torch.autocast(dtype): fp16 and quantized models
    note: str | None = None  # why this precision, when it was not asked for


def pick_precision(cfg: Any, device: Any) -> Precision:
    import torch

    quantized = cfg.load_in_4bit or cfg.load_in_8bit
    if device.type != "cuda":
        if cfg.fp16:
            raise WorkerError("config", "fp16 was requested but training runs on the CPU",
                              "Use bf16: true or leave both out (float32) on the CPU.")
        if cfg.bf16:
            return Precision(torch.bfloat16, "bfloat16", False, False, "bf16 on the CPU, as requested")
        return Precision(torch.float32, "float32", False, False)
    has_bf16 = torch.cuda.is_bf16_supported()
    if cfg.bf16 and not has_bf16:
        raise WorkerError("environment", f"this GPU ({torch.cuda.get_device_name(device)}) does not support bf16",
                          "Set fp16: true (float16 with loss scaling) or bf16: false to train in float32.")
    if cfg.bf16 or (cfg.bf16 is None and not cfg.fp16 and has_bf16):
        return Precision(torch.bfloat16, "bfloat16", False, quantized)
    if cfg.fp16 or (cfg.bf16 is None and cfg.fp16 is None):
        note = None if cfg.fp16 else (f"{torch.cuda.get_device_name(device)} has no bf16: float16 weights with "
                                      "loss scaling (set fp16: false for float32, twice the memory)")
        return Precision(torch.float16, "float16", True, True, note)
    return Precision(torch.float32, "float32", False, quantized)


@dataclass
class ModelShape:
    total: int  # parameters
    quantizable: int  # parameters of the decoder's Linear layers (what 4/8-bit loading quantizes)
    hidden: int
    layers: int
    vocab: int


def model_shape(path: str | Path) -> ModelShape:
    """Parameter counts from config.json alone: the model is built on the meta device (no memory, no weights)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    conf = AutoConfig.from_pretrained(str(path), local_files_only=True)
    with torch.device("meta"):
        m = AutoModelForCausalLM.from_config(conf)
    head = m.get_output_embeddings()
    quantizable = sum(mod.weight.numel() for mod in m.modules()
                      if isinstance(mod, torch.nn.Linear) and mod is not head)
    text = conf.get_text_config() if hasattr(conf, "get_text_config") else conf
    return ModelShape(total=sum(p.numel() for p in m.parameters()), quantizable=quantizable,
                      hidden=int(text.hidden_size), layers=int(text.num_hidden_layers), vocab=int(text.vocab_size))


def gradient_checkpointing_on(cfg: Any, shape: ModelShape) -> bool:
    return cfg.gradient_checkpointing if cfg.gradient_checkpointing is not None else shape.total >= GRADIENT_CHECKPOINTING_FROM


def quantization_of(cfg: Any) -> str | None:
    if cfg.load_in_4bit:
        return f"4bit-{cfg.bnb_4bit_quant_type}" + ("-nested" if cfg.use_bnb_nested_quant else "")
    return "8bit" if cfg.load_in_8bit else None


def memory_estimate(cfg: Any, shape: ModelShape, prec: Precision, trainable: int, gc: bool, shards: int) -> dict[str, int]:
    """Rough bytes per process: weights, LoRA weights + gradients + optimizer state, activations of one
    micro-batch. Activations follow Korthikanti et al. (2022) with memory-efficient attention: ~34 bytes per
    token, hidden unit and layer in 16-bit without checkpointing; with it, each layer keeps its input
    (2 bytes) and one layer is live at a time."""
    half = prec.name != "float32"
    wbytes = 2 if half else 4
    if cfg.load_in_4bit:
        # 4 bits + one fp32 absmax per 64 weights (nested quant: 8-bit absmax + fp32 per 256 blocks)
        q = 0.5 + (1.0 / 64 + 4 / (64 * 256) if cfg.use_bnb_nested_quant else 4 / 64)
        weights = shape.quantizable * q + (shape.total - shape.quantizable) * wbytes
    elif cfg.load_in_8bit:
        weights = shape.quantizable * (1 + 4 / 4096) + (shape.total - shape.quantizable) * wbytes
    else:
        weights = shape.total * wbytes
    weights /= shards
    state = 2 if cfg.optim in ("adamw_8bit", "adamw_bnb_8bit", "paged_adamw_8bit") else 8  # Adam's m and v
    lora = trainable * (4 + 4 + state) / shards  # fp32 weight, gradient, optimizer state
    tokens = 2 * cfg.per_device_train_batch_size * (cfg.max_length or 1024)  # chosen + rejected rows
    act_b = 2 if half else 4
    per_token_layer = 17 * act_b * shape.hidden  # 34 bytes per token-unit-layer at 16-bit
    if gc:
        acts = tokens * shape.hidden * act_b * shape.layers + tokens * per_token_layer
    else:
        acts = tokens * per_token_layer * shape.layers
    acts += min(tokens, cfg.logps_chunk_size) * shape.vocab * 4 * 3  # one chunk of fp32 logits, softmax, grad
    total = weights + lora + acts
    return {"weights_bytes": int(weights), "trainable_bytes": int(lora), "activations_bytes": int(acts),
            "total_bytes": int(total)}


def oom_advice(cfg: Any, gc: bool, used: int | None, capacity: int | None, estimate: dict[str, int] | None,
               quantization: str | None, step: int | None) -> WorkerError:
    """An out-of-memory error that names what to change, with numbers."""
    gib = lambda b: f"{b / 2**30:.1f} GiB"  # noqa: E731
    where = "in the reference pass" if step is None else f"at step {step + 1}"
    msg = f"out of GPU memory {where}"
    if used is not None and capacity:
        msg += f": {gib(used)} of {gib(capacity)} in use"
    if estimate:
        msg += f" (the estimate before loading was {gib(estimate['total_bytes'])}: weights {gib(estimate['weights_bytes'])}, " \
               f"activations {gib(estimate['activations_bytes'])})"
    b, ga, ml = cfg.per_device_train_batch_size, cfg.gradient_accumulation_steps, cfg.max_length
    tips = []
    if b > 1:
        tips.append(f"per_device_train_batch_size {b} → {b // 2} with gradient_accumulation_steps {ga} → {ga * 2} "
                    "(same effective batch, about half the activations)")
    if not gc:
        tips.append("gradient_checkpointing: true (activations of one layer instead of all, ~30% slower)")
    if ml and ml > 256:
        tips.append(f"max_length {ml} → {ml // 2}")
    if not quantization and estimate:
        tips.append(f"load_in_4bit: true (QLoRA; weights {gib(estimate['weights_bytes'])} → "
                    f"~{gib(estimate['weights_bytes'] * 0.3)})")
    if cfg.optim in ("adamw_torch", "adamw_torch_fused"):
        tips.append("optim: paged_adamw_8bit")
    if not cfg.accelerate_config:
        tips.append("several GPUs: accelerate_config trainer/configs/fsdp.yaml (shards the weights)")
    return WorkerError("oom", msg, "Change one of: " + "; ".join(tips) + ".")


def quantization_config(cfg: Any, prec: Precision):
    from transformers import BitsAndBytesConfig

    if cfg.load_in_4bit:
        return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=cfg.bnb_4bit_quant_type,
                                  bnb_4bit_compute_dtype=prec.dtype, bnb_4bit_use_double_quant=cfg.use_bnb_nested_quant,
                                  bnb_4bit_quant_storage=prec.dtype)
    return BitsAndBytesConfig(load_in_8bit=True)


def make_optimizer(cfg: Any, params: list, device: Any):
    import torch

    kw = dict(lr=cfg.learning_rate, betas=(cfg.adam_beta1, cfg.adam_beta2), eps=cfg.adam_epsilon,
              weight_decay=cfg.weight_decay)
    if cfg.optim in BNB_OPTIMS:
        import bitsandbytes as bnb

        return getattr(bnb.optim, BNB_OPTIMS[cfg.optim])(params, **kw)
    return torch.optim.AdamW(params, fused=device.type == "cuda", **kw)


def launched() -> bool:
    """Whether this process already runs under a launcher (accelerate launch, torchrun, srun + accelerate)."""
    return "LOCAL_RANK" in os.environ or os.environ.get("STYLETUNE_LAUNCHED") == "1"


def launch_command(accelerate_config: str, job_config: str) -> list[str]:
    """The command a dpo job with accelerate_config re-executes itself as (same pid: Stop still reaches it)."""
    return [sys.executable, "-m", "accelerate.commands.launch", "--config_file", accelerate_config,
            "-m", "styletune_trainer", "dpo", "--config", job_config]
