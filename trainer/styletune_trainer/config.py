"""DPOConfig: everything a `dpo` job needs, read from JOB.json. Names follow TRL's DPOConfig and PEFT's
LoraConfig where they have one, so settings carry over from papers and TRL scripts.

    cfg = DPOConfig.from_file("job.json")   # preset, then the file's keys, then validation
    cfg.to_dict()                           # what is written to <output_dir>/config.json

Relative paths in the file resolve against the file's folder, so a job folder can be moved whole.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .events import WorkerError

# The two papers' published settings (see trainer/README.md#presets). 8-bit AdamW is replaced by
# torch AdamW: with LoRA the optimizer state is a few MB, so 8 bits would save nothing noticeable.
PRESETS: dict[str, dict[str, Any]] = {
    # HAL (arXiv 2601.02813): offline DPO + LoRA on 7,175 reward-ranked pairs.
    "hal": dict(
        beta=0.1, loss_type="sigmoid", lora_r=16, lora_alpha=32, lora_dropout=0.1,
        lora_target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        learning_rate=5e-5, num_train_epochs=10,
    ),
    # Human-like DPO (arXiv 2501.05032): casual-vs-formal synthetic pairs, one epoch.
    "human-like-dpo": dict(
        beta=0.1, loss_type="sigmoid", lora_r=8, lora_alpha=4, lora_dropout=0.05,
        lora_target_modules="all-linear", learning_rate=2e-4, lr_scheduler_type="cosine",
        num_train_epochs=1,
    ),
}

LOSS_TYPES = ("sigmoid", "ipo", "hinge")
SCHEDULERS = ("linear", "cosine", "constant")
PATH_FIELDS = ("model", "train_file", "output_dir", "eval_file")
EVAL_STRATEGIES = ("no", "steps")



def read_json_config(path: Path, what: str, example: str) -> Any:
    """A command's JSON config file, or a `config` error that names the file (and line, for bad JSON)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkerError("config", f"{what} not found: {path}", f"Check the path to {example}.") from None
    except json.JSONDecodeError as e:
        raise WorkerError("config", f"{path}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}",
                          f"The {what} must be one JSON object.") from None

@dataclass
class DPOConfig:
    # what to train on, and where the job folder is
    model: str = ""
    train_file: str = ""
    output_dir: str = ""
    preset: str | None = None
    max_train_samples: int | None = None  # first N pairs of train_file, for previews and tests

    # DPO
    beta: float = 0.1
    loss_type: str = "sigmoid"
    label_smoothing: float = 0.0  # conservative DPO; sigmoid only

    # data shaping
    max_length: int | None = 1024  # prompt + completion, per sequence
    max_prompt_length: int | None = 512
    apply_chat_template: str = "auto"  # auto: whenever the tokenizer has one; on; off
    system_prompt: str | None = None  # prepended to text prompts when the chat template is used

    # LoRA
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    lora_target_modules: str | list[str] = "all-linear"

    # optimization
    per_device_train_batch_size: int = 4
    gradient_accumulation_steps: int = 1
    num_train_epochs: float = 1.0
    max_steps: int = -1  # > 0 overrides num_train_epochs
    learning_rate: float = 5e-6
    lr_scheduler_type: str = "linear"
    warmup_ratio: float = 0.0
    warmup_steps: int = 0  # > 0 overrides warmup_ratio
    weight_decay: float = 0.0
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-8
    max_grad_norm: float = 1.0
    seed: int = 42

    # performance levers
    bf16: bool | None = None  # None: bf16 on a GPU that supports it, fp16 on one without, fp32 on the CPU
    gradient_checkpointing: bool | None = None  # None: on from GRADIENT_CHECKPOINTING_FROM parameters
    padding_free: bool = False  # pack chosen+rejected rows without pad tokens
    logps_chunk_size: int = 1024  # tokens per lm_head chunk when computing log-probs
    ref_batch_size: int | None = None  # batch for the one-off reference pass; default 2x train batch

    # big models (docs/tuning.md#big-models); names as in TRL's ModelConfig and transformers' TrainingArguments
    fp16: bool | None = None  # float16 weights + loss scaling; None: only where bf16 is missing (T4, V100)
    load_in_4bit: bool = False  # QLoRA: NF4 base weights through bitsandbytes (the `qlora` extra)
    load_in_8bit: bool = False  # LLM.int8 base weights through bitsandbytes
    bnb_4bit_quant_type: str = "nf4"  # nf4 or fp4
    use_bnb_nested_quant: bool = False  # also quantize the 4-bit scales (~0.4 bits/param less)
    optim: str = "adamw_torch"  # adamw_torch, adamw_torch_fused, adamw_8bit, paged_adamw_8bit, paged_adamw_32bit
    attn_implementation: str = "sdpa"  # sdpa, eager, flash_attention_2 (needs flash-attn)
    device_map: str | None = None  # "auto": one process spreads the model over every visible GPU
    accelerate_config: str | None = None  # accelerate config YAML: FSDP, DeepSpeed ZeRO-3, multi-GPU/node

    # watching the style move (docs/tuning.md#watch-the-style-move); eval names as in TRL's DPOConfig
    eval_file: str | None = None  # held-out pairs, same format as train_file
    eval_split: float | None = None  # or: this fraction of train_file held out (chosen with `seed`)
    eval_strategy: str | None = None  # "no" or "steps"; None: "steps" when an eval set is given
    eval_steps: int | None = None  # None: logging_steps, as TRL
    per_device_eval_batch_size: int = 8
    probe_prompts: list[Any] | str | None = None  # K fixed prompts (or a .jsonl/.txt file) answered greedily
    probe_steps: int | None = None  # also at step 0; None: about ten probes over the run
    probe_max_new_tokens: int = 48

    # bookkeeping
    logging_steps: int = 1
    save_steps: int = 50
    save_total_limit: int = 2
    resume: bool = True  # continue from the last checkpoint in output_dir, if any
    device: str | None = None  # force "cpu"; default: what accelerate picks

    @classmethod
    def from_dict(cls, raw: dict[str, Any], base_dir: Path | None = None) -> "DPOConfig":
        if not isinstance(raw, dict):
            raise WorkerError("config", "the job config must be a JSON object", "See trainer/README.md#config.")
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = [k for k in raw if k not in names]
        if unknown:
            k = unknown[0]
            close = difflib.get_close_matches(k, names, n=1)
            raise WorkerError("config", f"unknown config key `{k}`",
                              f"Did you mean `{close[0]}`?" if close else "See trainer/README.md#config for the keys.")
        values: dict[str, Any] = {}
        preset = raw.get("preset")
        if preset is not None:
            if preset not in PRESETS:
                raise WorkerError("config", f"unknown preset `{preset}`", f"Use one of: {', '.join(PRESETS)}.")
            values.update(PRESETS[preset])
        values.update(raw)
        if base_dir is not None:
            for k in PATH_FIELDS:
                if isinstance(values.get(k), str) and values[k] and not Path(values[k]).is_absolute():
                    values[k] = str((base_dir / values[k]).resolve())
            acc = values.get("accelerate_config")  # read only, like model: not one of PATH_FIELDS (writes are confined)
            if isinstance(acc, str) and acc and not Path(acc).is_absolute():
                values["accelerate_config"] = str((base_dir / acc).resolve())
            probe = values.get("probe_prompts")  # a file of prompts, read only
            if isinstance(probe, str) and probe and not Path(probe).is_absolute():
                values["probe_prompts"] = str((base_dir / probe).resolve())
        cfg = cls(**values)
        cfg.validate()
        return cfg

    @classmethod
    def from_file(cls, path: str | Path) -> "DPOConfig":
        path = Path(path)
        raw = read_json_config(path, "job config", "JOB.json")
        return cls.from_dict(raw, base_dir=path.parent.resolve())

    def validate(self) -> None:
        def bad(msg: str, hint: str) -> None:
            raise WorkerError("config", msg, hint)

        for k in ("model", "train_file", "output_dir"):
            if not getattr(self, k):
                bad(f"`{k}` is required", "See trainer/README.md#config for a minimal job.")
        if self.loss_type not in LOSS_TYPES:
            bad(f"loss_type `{self.loss_type}` is not supported", f"Use one of: {', '.join(LOSS_TYPES)}.")
        if self.lr_scheduler_type not in SCHEDULERS:
            bad(f"lr_scheduler_type `{self.lr_scheduler_type}` is not supported", f"Use one of: {', '.join(SCHEDULERS)}.")
        if self.apply_chat_template not in ("auto", "on", "off"):
            bad("apply_chat_template must be auto, on or off", "auto applies the model's template when it has one.")
        if self.beta <= 0:
            bad(f"beta must be > 0, got {self.beta}", "The papers use 0.1; smaller keeps the policy closer to the reference.")
        if not 0 <= self.label_smoothing < 0.5:
            bad("label_smoothing must be in [0, 0.5)", "0 is plain DPO.")
        if self.label_smoothing and self.loss_type != "sigmoid":
            bad("label_smoothing applies to loss_type sigmoid only", "Drop label_smoothing or use sigmoid.")
        for k in ("per_device_train_batch_size", "gradient_accumulation_steps", "lora_r", "logging_steps",
                  "save_steps", "logps_chunk_size"):
            if not isinstance(getattr(self, k), int) or getattr(self, k) < 1:
                bad(f"{k} must be a positive integer, got {getattr(self, k)!r}", "Use 1 or more.")
        if self.lora_alpha <= 0:
            bad("lora_alpha must be > 0", "A common choice is 2 * lora_r.")
        if not 0 <= self.lora_dropout < 1:
            bad("lora_dropout must be in [0, 1)", "0.05 is a common choice.")
        if self.learning_rate <= 0:
            bad(f"learning_rate must be > 0, got {self.learning_rate}", "LoRA DPO typically uses 5e-6 to 2e-4.")
        if self.max_steps <= 0 and self.num_train_epochs <= 0:
            bad("set num_train_epochs > 0 or max_steps > 0", "Nothing would be trained.")
        if not 0 <= self.warmup_ratio < 1:
            bad("warmup_ratio must be in [0, 1)", "0.1 warms up over the first tenth of the steps.")
        if self.max_length is not None and self.max_length < 2:
            bad("max_length must be at least 2", "It bounds prompt + completion tokens per sequence.")
        if self.max_prompt_length is not None and self.max_length is not None and self.max_prompt_length >= self.max_length:
            bad(f"max_prompt_length ({self.max_prompt_length}) must be smaller than max_length ({self.max_length})",
                "max_length counts prompt + completion; leave room for the completion, e.g. max_prompt_length = max_length / 2.")
        if self.max_train_samples is not None and self.max_train_samples < 1:
            bad("max_train_samples must be >= 1", "Leave it out to use the whole file.")
        if self.device not in (None, "cpu", "cuda"):
            bad("device must be cpu or cuda", "Leave it out to use a GPU when there is one.")
        for msg, hint in self._watch_problems():
            bad(msg, hint)
        from .bigmodel import validate_big_model_fields

        for msg, hint in validate_big_model_fields(self):
            bad(msg, hint)
        if not isinstance(self.lora_target_modules, (str, list)):
            bad("lora_target_modules must be \"all-linear\" or a list of module names", "e.g. [\"q_proj\", \"v_proj\"].")

    def _watch_problems(self) -> list[tuple[str, str]]:
        """The eval and probe fields (trainer/styletune_trainer/watch.py)."""
        out = []
        if self.eval_file is not None and (not isinstance(self.eval_file, str) or not self.eval_file):
            out.append((f"eval_file must be a path, got {self.eval_file!r}", "Held-out pairs in train_file's format."))
        if self.eval_split is not None and (isinstance(self.eval_split, bool) or not isinstance(self.eval_split, (int, float))
                                            or not 0 < self.eval_split < 1):
            out.append((f"eval_split must be a fraction in (0, 1), got {self.eval_split!r}", "e.g. 0.05 holds out 5% of train_file."))
        if self.eval_file and self.eval_split:
            out.append(("set eval_file or eval_split, not both", "eval_split holds pairs out of train_file; eval_file brings its own."))
        if self.eval_strategy not in (None, *EVAL_STRATEGIES):
            out.append((f"eval_strategy {self.eval_strategy!r} is not supported", "Use \"steps\" (with eval_steps) or \"no\"."))
        if self.eval_strategy == "steps" and not (self.eval_file or self.eval_split):
            out.append(("eval_strategy steps needs an eval set", "Set eval_file or eval_split."))
        for k in ("eval_steps", "probe_steps"):
            v = getattr(self, k)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                out.append((f"{k} must be a positive integer, got {v!r}", "Leave it out for the default."))
        for k in ("per_device_eval_batch_size", "probe_max_new_tokens"):
            v = getattr(self, k)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                out.append((f"{k} must be a positive integer, got {v!r}", "Use 1 or more."))
        p = self.probe_prompts
        if p is not None and not (isinstance(p, str) and p) and not (isinstance(p, list) and p):
            out.append((f"probe_prompts must be a non-empty list of prompts or a file, got {p!r}",
                        'e.g. "probe_prompts": ["How was your weekend?", "Explain DNS briefly."]'))
        if self.probe_steps is not None and p is None:
            out.append(("probe_steps is set but probe_prompts is not", "Give the prompts to answer in probe_prompts."))
        return out

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class GenerateConfig:
    """GEN.json for `generate`: responses from the base model and from base + adapter, side by side."""

    model: str = ""
    adapter: str | None = None  # None: base model only
    prompts: list[Any] = field(default_factory=list)  # strings or message lists
    prompts_file: str | None = None  # JSONL with `prompt` (or `messages`) per line
    output: str | None = None  # also write the samples here as JSON lines
    num_samples: int = 1
    max_new_tokens: int = 128
    do_sample: bool = True
    temperature: float = 0.8
    top_p: float = 0.95
    top_k: int = 0
    seed: int = 0
    system_prompt: str | None = None
    apply_chat_template: str = "auto"
    device: str | None = None
    bf16: bool | None = None

    @classmethod
    def from_file(cls, path: str | Path) -> "GenerateConfig":
        path = Path(path)
        raw = read_json_config(path, "generate config", "GEN.json")
        names = [f.name for f in dataclasses.fields(cls)]
        for k in raw:
            if k not in names:
                close = difflib.get_close_matches(k, names, n=1)
                raise WorkerError("config", f"unknown config key `{k}`",
                                  f"Did you mean `{close[0]}`?" if close else "See trainer/README.md#generate.")
        base = path.parent.resolve()
        for k in ("model", "adapter", "prompts_file", "output"):
            if isinstance(raw.get(k), str) and raw[k] and not Path(raw[k]).is_absolute():
                raw[k] = str((base / raw[k]).resolve())
        cfg = cls(**raw)
        if not cfg.model:
            raise WorkerError("config", "`model` is required", "Point it at a model folder in Hugging Face layout.")
        if not cfg.prompts and not cfg.prompts_file:
            raise WorkerError("config", "no prompts given", "Set `prompts` (a list) or `prompts_file` (JSONL).")
        if cfg.num_samples < 1 or cfg.max_new_tokens < 1:
            raise WorkerError("config", "num_samples and max_new_tokens must be >= 1", "Use 1 or more.")
        return cfg
