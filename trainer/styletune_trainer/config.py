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
import math
import re
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

# sigmoid, ipo, hinge and robust as TRL 1.16 computes them; conservative is StyleTune's name for the
# conservative DPO of earlier TRL versions (sigmoid with label_smoothing), which TRL 1.16's sigmoid ignores.
LOSS_TYPES = ("sigmoid", "ipo", "hinge", "robust", "conservative")
SMOOTHED_LOSSES = ("robust", "conservative")
SCHEDULERS = ("linear", "cosine", "constant")
PATH_FIELDS = ("model", "train_file", "output_dir", "eval_file")
EVAL_STRATEGIES = ("no", "steps")
# Keys an earlier StyleTune read that mean something else in TRL 1.16: refused with what to write instead.
RETIRED = {
    "max_prompt_length": "TRL 1.16 has no max_prompt_length: it keeps whole prompts and leaves out pairs whose "
                         "prompt alone reaches max_length. To cut prompts from the left (keeping their end), set "
                         "StyleTune's own `truncate_prompt_to` instead.",
}



def read_json_config(path: Path, what: str, example: str) -> Any:
    """A command's JSON config file, or a `config` error that names the file (and line, for bad JSON)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkerError("config", f"{what} not found: {path}", f"Check the path to {example}.") from None
    except json.JSONDecodeError as e:
        raise WorkerError("config", f"{path}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}",
                          f"The {what} must be one JSON object.") from None

# The shortest max_length that holds a BOS, a few prompt tokens and a few response tokens.
MIN_MAX_LENGTH = 8


class ConfigProblems:
    """Every problem of one config, each with the key it is about (None: no key of the file)."""

    def __init__(self) -> None:
        self.items: list[tuple[str | None, str, str]] = []

    def add(self, key: str | None, message: str, hint: str) -> None:
        self.items.append((key, message, hint))

    def raise_if_any(self, source: tuple[Path, str] | None) -> None:
        if not self.items:
            return
        path, text = source if source else (None, "")
        placed = []
        for key, message, _ in self.items:
            at = _key_position(text, key) if key else None
            placed.append((f"{at[0]}:{at[1]}: " if at else "") + message)
        hints = list(dict.fromkeys(h for _, _, h in self.items))
        where = f"{path}:" if path else ""
        if len(placed) == 1:
            message = where + ("" if placed[0][:1].isdigit() else " " if where else "") + placed[0]
        else:
            message = f"{where}{' ' if where else ''}{len(placed)} problems: " + "; ".join(placed)
        raise WorkerError("config", message, " ".join(hints))


def _key_position(text: str, key: str) -> tuple[int, int] | None:
    """Line and column (1-based) of `"key":` in the file's text; the first one, as JSON keeps the last."""
    m = re.search(r'"' + re.escape(key) + r'"\s*:', text)
    if not m:
        return None
    line = text.count("\n", 0, m.start()) + 1
    return line, m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1


def _first_key(message: str) -> str | None:
    """The key a message names first (`key` or key at its start), to place it in the file."""
    m = re.match(r"`?([a-z_0-9]+)`?\b", message)
    return m.group(1) if m else None


def _describe(v: Any) -> str:
    """A value as the user wrote it in JSON."""
    if isinstance(v, str):
        return f"the string {json.dumps(v, ensure_ascii=False)}"
    if isinstance(v, (bool, type(None), int, float)):
        return json.dumps(v)
    if isinstance(v, list):
        return "a list"
    return "an object" if isinstance(v, dict) else type(v).__name__


_EXPECTED = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string",
             "None": "null", "list[str]": "a list of strings", "list[Any]": "a list"}


def _expected(annotation: str) -> str:
    parts = [_EXPECTED.get(p.strip(), p.strip()) for p in annotation.split("|")]
    return " or ".join(parts)


def _check_type(v: Any, annotation: str) -> tuple[bool, Any]:
    """Whether a JSON value fits a field's annotation, and the value to use. No coercion: a string is never
    a number and true is never 1; only an integral number (3.0) is taken as an integer."""
    for part in (p.strip() for p in annotation.split("|")):
        if part == "None" and v is None:
            return True, v
        if part == "bool" and isinstance(v, bool):
            return True, v
        if part == "str" and isinstance(v, str):
            return True, v
        if part == "int" and not isinstance(v, bool):
            if isinstance(v, int):
                return True, v
            if isinstance(v, float) and v.is_integer():
                return True, int(v)
        if part == "float" and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            return True, float(v)
        if part.startswith("list[") and isinstance(v, list):
            if part == "list[str]" and not all(isinstance(x, str) for x in v):
                continue
            return True, v
        if part not in ("None", "bool", "str", "int", "float") and not part.startswith("list["):
            return True, v  # a type this check does not know: left to validate()
    return False, v


def _type_hint(key: str, v: Any, annotation: str) -> str:
    numeric = any(p.strip() in ("int", "float") for p in annotation.split("|"))
    if numeric and isinstance(v, str):
        try:
            float(v)
            return f"Write the number without quotes: \"{key}\": {v.strip()}."
        except ValueError:
            pass
    if numeric and isinstance(v, bool):
        return f"true and false are not numbers; give `{key}` a number."
    if v is None:
        return f"Leave `{key}` out to use its default."
    return "See trainer/README.md#config for each key's type."


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
    label_smoothing: float = 0.0  # for loss_type robust or conservative; TRL 1.16's sigmoid ignores it

    # data shaping, as TRL 1.16: prompt + completion tokenized together, cut to max_length keeping the start;
    # pairs whose prompt alone reaches max_length are left out (and counted)
    max_length: int | None = 1024  # prompt + completion, per sequence
    truncate_prompt_to: int | None = None  # StyleTune's own: cut prompts to their last N tokens (BOS kept)
    apply_chat_template: str = "auto"  # auto: conversational pairs only (TRL); on: text pairs too; off
    system_prompt: str | None = None  # prepended to prompts when the chat template is used

    # LoRA
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    lora_target_modules: str | list[str] = "all-linear"
    disable_dropout: bool = True  # as TRL: chosen and rejected see the same network (lora_dropout then unused)

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
    def from_dict(cls, raw: dict[str, Any], base_dir: Path | None = None,
                  source: tuple[Path, str] | None = None) -> "DPOConfig":
        """Checks everything before anything loads: unknown keys, every value's type (no string for a
        number, no true for a number), ranges and relations. All problems are reported at once, each
        naming the key and its value (and, from a file, its line and column)."""
        if not isinstance(raw, dict):
            where = f"{source[0]}: " if source else ""
            raise WorkerError("config", f"{where}the job config must be a JSON object, got {_describe(raw)}",
                              "See trainer/README.md#config for a minimal job.")
        problems = ConfigProblems()
        names = [f.name for f in dataclasses.fields(cls)]
        for k in raw:
            if k in RETIRED:
                problems.add(k, f"`{k}` is not a setting any more", RETIRED[k])
            elif k not in names:
                close = difflib.get_close_matches(k, names, n=1)
                problems.add(k, f"unknown config key `{k}`",
                             f"Did you mean `{close[0]}`?" if close else "See trainer/README.md#config for the keys.")
        values: dict[str, Any] = {}
        preset = raw.get("preset")
        if preset is not None and preset not in PRESETS:
            problems.add("preset", f"unknown preset {_describe(preset)}", f"Use one of: {', '.join(PRESETS)}.")
        elif preset is not None:
            values.update(PRESETS[preset])
        values.update({k: v for k, v in raw.items() if k in names})
        types = {f.name: f.type for f in dataclasses.fields(cls)}
        defaults = cls()
        for k in list(values):
            ok, value = _check_type(values[k], str(types[k]))
            if ok:
                values[k] = value
            else:
                problems.add(k, f"`{k}` must be {_expected(str(types[k]))}, got {_describe(values[k])}",
                             _type_hint(k, values[k], str(types[k])))
                values[k] = getattr(defaults, k)  # so that the range checks below can still run
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
        cfg.validate(problems, raw_keys=set(raw))
        problems.raise_if_any(source)
        return cfg

    @classmethod
    def from_file(cls, path: str | Path) -> "DPOConfig":
        path = Path(path)
        raw = read_json_config(path, "job config", "JOB.json")
        text = path.read_text(encoding="utf-8")
        return cls.from_dict(raw, base_dir=path.parent.resolve(), source=(path, text))

    def validate(self, problems: "ConfigProblems | None" = None, raw_keys: set[str] | None = None) -> None:
        """Ranges and relations of the (well-typed) values. Collects into `problems`; without one it
        raises at the end, listing them all."""
        own = problems is None
        problems = problems if problems is not None else ConfigProblems()
        seen = raw_keys if raw_keys is not None else {f.name for f in dataclasses.fields(self)}

        def bad(msg: str, hint: str, key: str | None = None) -> None:
            # A key the file did not give (a default or a preset's) is reported without a place.
            problems.add(key if key in seen else None, msg, hint)

        for k in ("model", "train_file", "output_dir"):
            if not getattr(self, k):
                bad(f"`{k}` is required", "See trainer/README.md#config for a minimal job.", k)
        if self.loss_type not in LOSS_TYPES:
            bad(f"`loss_type` {_describe(self.loss_type)} is not supported", f"Use one of: {', '.join(LOSS_TYPES)}.",
                "loss_type")
        if self.lr_scheduler_type not in SCHEDULERS:
            bad(f"`lr_scheduler_type` {_describe(self.lr_scheduler_type)} is not supported",
                f"Use one of: {', '.join(SCHEDULERS)}.", "lr_scheduler_type")
        if self.apply_chat_template not in ("auto", "on", "off"):
            bad(f"`apply_chat_template` must be auto, on or off, got {_describe(self.apply_chat_template)}",
                "auto applies the model's chat template to conversational pairs only, as TRL does.",
                "apply_chat_template")
        if not self.beta > 0:
            bad(f"`beta` must be > 0, got {self.beta}",
                "The papers use 0.1; smaller keeps the policy closer to the reference.", "beta")
        if not 0 <= self.label_smoothing < 0.5:
            bad(f"`label_smoothing` must be in [0, 0.5), got {self.label_smoothing}", "0 is plain DPO.",
                "label_smoothing")
        elif self.label_smoothing and self.loss_type not in SMOOTHED_LOSSES:
            bad(f"`label_smoothing` {self.label_smoothing} has no effect on loss_type {self.loss_type} "
                "(TRL 1.16's sigmoid loss ignores it too)",
                "For conservative DPO (sigmoid with smoothed labels, as earlier TRL versions did) set "
                "loss_type: conservative; for TRL's robust DPO set loss_type: robust; or drop label_smoothing.",
                "label_smoothing")
        for k in ("per_device_train_batch_size", "gradient_accumulation_steps", "lora_r", "logging_steps",
                  "save_steps", "save_total_limit", "logps_chunk_size"):
            if getattr(self, k) < 1:
                bad(f"`{k}` must be a positive integer, got {getattr(self, k)!r}", "Use 1 or more.", k)
        if not self.lora_alpha > 0:
            bad(f"`lora_alpha` must be > 0, got {self.lora_alpha}", "A common choice is 2 * lora_r.", "lora_alpha")
        if not 0 <= self.lora_dropout < 1:
            bad(f"`lora_dropout` must be in [0, 1), got {self.lora_dropout}", "0.05 is a common choice.",
                "lora_dropout")
        if not self.learning_rate > 0:
            bad(f"`learning_rate` must be > 0, got {self.learning_rate}", "LoRA DPO typically uses 5e-6 to 2e-4.",
                "learning_rate")
        if self.max_steps == 0 or self.max_steps < -1:
            bad(f"`max_steps` must be -1 (train for num_train_epochs) or a positive number of steps, got "
                f"{self.max_steps}", "Leave it out to train for num_train_epochs.", "max_steps")
        elif self.max_steps < 0 and not self.num_train_epochs > 0:
            bad(f"`num_train_epochs` must be > 0 when max_steps is not set, got {self.num_train_epochs}",
                "Set num_train_epochs > 0 or max_steps > 0; nothing would be trained.", "num_train_epochs")
        if not 0 <= self.warmup_ratio < 1:
            bad(f"`warmup_ratio` must be in [0, 1), got {self.warmup_ratio}",
                "0.1 warms up over the first tenth of the steps.", "warmup_ratio")
        if self.warmup_steps < 0:
            bad(f"`warmup_steps` must be >= 0, got {self.warmup_steps}", "0 uses warmup_ratio.", "warmup_steps")
        if self.weight_decay < 0:
            bad(f"`weight_decay` must be >= 0, got {self.weight_decay}", "0 is AdamW without decay.", "weight_decay")
        for k in ("adam_beta1", "adam_beta2"):
            if not 0 <= getattr(self, k) < 1:
                bad(f"`{k}` must be in [0, 1), got {getattr(self, k)}", "The defaults are 0.9 and 0.999.", k)
        if not self.adam_epsilon > 0:
            bad(f"`adam_epsilon` must be > 0, got {self.adam_epsilon}", "The default is 1e-8.", "adam_epsilon")
        if self.max_grad_norm < 0:
            bad(f"`max_grad_norm` must be >= 0, got {self.max_grad_norm}", "0 turns clipping off.", "max_grad_norm")
        if self.max_length is not None and self.max_length < MIN_MAX_LENGTH:
            bad(f"`max_length` {self.max_length} leaves no room for a prompt and a response",
                f"It bounds prompt + completion tokens per sequence; use at least {MIN_MAX_LENGTH} "
                "(the default is 1024), or null for no limit.", "max_length")
        if self.truncate_prompt_to is not None:
            if self.truncate_prompt_to < 1:
                bad(f"`truncate_prompt_to` must be >= 1, got {self.truncate_prompt_to}",
                    "Leave it out (null) to keep whole prompts, as TRL does.", "truncate_prompt_to")
            elif self.max_length is not None and self.truncate_prompt_to >= self.max_length:
                bad(f"`truncate_prompt_to` ({self.truncate_prompt_to}) must be smaller than max_length "
                    f"({self.max_length})", "max_length counts prompt + completion; leave room for the completion, "
                    "e.g. truncate_prompt_to = max_length / 2.", "truncate_prompt_to")
        if self.max_train_samples is not None and self.max_train_samples < 1:
            bad(f"`max_train_samples` must be >= 1, got {self.max_train_samples}",
                "Leave it out to use the whole file.", "max_train_samples")
        if self.ref_batch_size is not None and self.ref_batch_size < 1:
            bad(f"`ref_batch_size` must be >= 1, got {self.ref_batch_size}",
                "Leave it out for 2 x per_device_train_batch_size.", "ref_batch_size")
        if self.device not in (None, "cpu", "cuda"):
            bad(f"`device` must be cpu or cuda, got {_describe(self.device)}",
                "Leave it out to use a GPU when there is one.", "device")
        if isinstance(self.lora_target_modules, str) and self.lora_target_modules != "all-linear" or \
                isinstance(self.lora_target_modules, list) and not self.lora_target_modules:
            bad(f"`lora_target_modules` must be \"all-linear\" or a list of module names, got "
                f"{_describe(self.lora_target_modules)}", "e.g. [\"q_proj\", \"v_proj\"].", "lora_target_modules")
        for msg, hint in self._watch_problems():
            bad(msg, hint, _first_key(msg))
        from .bigmodel import validate_big_model_fields

        for msg, hint in validate_big_model_fields(self):
            bad(msg, hint, _first_key(msg))
        if own:
            problems.raise_if_any(None)

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
