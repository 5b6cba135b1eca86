"""Loading a causal LM with a LoRA adapter, and the per-sequence log-probs DPO needs.

    model, tok = load_model(path, dtype, device)
    peft_model = add_lora(model, cfg)
    logps = SequenceLogps(peft_model, chunk=1024)
    sums, counts = logps(**collate(examples, pad_id))      # [2B], [2B]

The log-prob path runs the decoder, then the output layer only on completion positions, in chunks
that are recomputed during backward: the [tokens, vocab] logits never exist whole, and prompt and
padding positions never reach the (large) vocabulary projection.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from .events import WorkerError


def check_model_dir(path: str | Path) -> Path:
    p = Path(path)
    hint = ("`model` must be a local folder in Hugging Face layout (config.json, *.safetensors, tokenizer files). "
            "Try `python -m styletune_trainer make-tiny-model DIR` for a quick test model.")
    if not p.is_dir():
        raise WorkerError("environment", f"model folder not found: {p}", hint)
    if not (p / "config.json").is_file():
        raise WorkerError("environment", f"no config.json in model folder {p}", hint)
    if not any(p.glob("*.safetensors")) and not any(p.glob("*.bin")):
        raise WorkerError("environment", f"no weights (*.safetensors) in model folder {p}", hint)
    return p


def load_tokenizer(path: str | Path):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token  # only fills padding, which is masked everywhere
    return tok


def _dtype_kwarg() -> str:
    """transformers < 4.56 calls it torch_dtype (and would pass `dtype` on to the config, loading float32)."""
    import transformers

    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    return "dtype" if (major, minor) >= (4, 56) else "torch_dtype"


def load_model(path: str | Path, dtype: torch.dtype, device: torch.device | None, attn_implementation: str = "sdpa",
               quantization_config=None, device_map: str | dict | None = None):
    """The model on `device`; device None leaves it where from_pretrained put it (device_map, or the CPU for
    FSDP / DeepSpeed, whose prepare() shards and moves it). Quantized models are placed by from_pretrained."""
    from transformers import AutoModelForCausalLM

    kw: dict = dict(local_files_only=True, attn_implementation=attn_implementation)
    kw[_dtype_kwarg()] = dtype
    if quantization_config is not None:
        kw["quantization_config"] = quantization_config
        kw["device_map"] = device_map or {"": device}
    elif device_map is not None:
        kw["device_map"] = device_map
    try:
        model = AutoModelForCausalLM.from_pretrained(str(path), **kw)
    except (ValueError, ImportError) as e:
        if attn_implementation != "sdpa" or "sdpa" not in str(e):
            raise WorkerError("environment", f"cannot load the model in {path}: {str(e).splitlines()[0]}",
                              "Check that the folder holds a causal LM in Hugging Face layout"
                              + (f" and that it supports attn_implementation {attn_implementation}."
                                 if attn_implementation != "sdpa" else ".")) from e
        kw.pop("attn_implementation")  # an architecture without sdpa: its default attention
        model = AutoModelForCausalLM.from_pretrained(str(path), **kw)
    if device is not None and quantization_config is None and device_map is None:
        model = model.to(device)
    return model


def linear_module_names(model: nn.Module) -> list[str]:
    return sorted({name.split(".")[-1] for name, m in model.named_modules() if isinstance(m, nn.Linear)})


def add_lora(model, r: int, alpha: float, dropout: float, target_modules, gradient_checkpointing: bool = False):
    from peft import LoraConfig, get_peft_model

    if getattr(model, "is_loaded_in_4bit", False) or getattr(model, "is_loaded_in_8bit", False):
        from peft import prepare_model_for_kbit_training

        # QLoRA: norms and the output layer in float32, inputs that carry gradients into the frozen 4-bit layers.
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=gradient_checkpointing,
                                                gradient_checkpointing_kwargs={"use_reentrant": False})
    elif gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    lora = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=target_modules,
                      task_type="CAUSAL_LM", bias="none")
    try:
        return get_peft_model(model, lora)
    except ValueError as e:
        raise WorkerError("config", f"LoRA target modules do not match the model: {e}".splitlines()[0],
                          f"lora_target_modules must name linear layers of this model; it has: "
                          f"{', '.join(n for n in linear_module_names(model) if n != 'lm_head')} "
                          f"(or use \"all-linear\").") from None


def _chunk_logps(h: torch.Tensor, targets: torch.Tensor, head: nn.Module, softcap: float | None) -> torch.Tensor:
    logits = head(h).float()
    if softcap:
        logits = torch.tanh(logits / softcap) * softcap
    return logits.gather(-1, targets[:, None]).squeeze(-1) - torch.logsumexp(logits, dim=-1)


class SequenceLogps(nn.Module):
    """Sum of completion-token log-probs per sequence; an nn.Module so DDP can wrap its forward."""

    def __init__(self, model, chunk: int = 1024):
        super().__init__()
        self.model = model
        self.chunk = chunk
        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        # Plain references, not submodules: registered twice, FSDP and DeepSpeed would wrap (and count) them twice.
        object.__setattr__(self, "decoder", base.get_decoder())
        object.__setattr__(self, "head", base.get_output_embeddings())
        self.softcap = getattr(base.config, "final_logit_softcapping", None)
        if getattr(base.config, "logit_scale", None) not in (None, 1.0):
            raise WorkerError("config", f"model type {base.config.model_type} scales its logits, which the log-prob "
                              "path does not support yet", "Use a Llama, Qwen, Mistral, Phi or Gemma family model.")

    def forward(self, input_ids, labels, seq, attention_mask=None, position_ids=None):
        n_seqs = int(seq.max()) + 1
        hidden = self.decoder(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                              use_cache=False).last_hidden_state
        # With device_map the last layer may sit on another GPU than the inputs.
        labels, seq = labels.to(hidden.device), seq.to(hidden.device)
        # Position t predicts token t+1; a packed row must not predict across a sequence boundary.
        keep = (labels[:, 1:] != -100) & (seq[:, 1:] == seq[:, :-1])
        h = hidden[:, :-1][keep]
        targets = labels[:, 1:][keep]
        owner = seq[:, 1:][keep]
        pieces = []
        for i in range(0, h.shape[0], self.chunk):
            args = (h[i: i + self.chunk], targets[i: i + self.chunk], self.head, self.softcap)
            pieces.append(checkpoint(_chunk_logps, *args, use_reentrant=False) if h.requires_grad
                          else _chunk_logps(*args))
        token_logps = torch.cat(pieces).to(h.device) if pieces else h.new_zeros(0, dtype=torch.float32)
        sums = torch.zeros(n_seqs, dtype=torch.float32, device=h.device).index_add(0, owner, token_logps)
        counts = torch.zeros(n_seqs, dtype=torch.float32, device=h.device).index_add(
            0, owner, torch.ones_like(token_logps))
        return sums.to(input_ids.device), counts.to(input_ids.device)


def dpo_loss(pc, pr, rc, rr, beta: float, loss_type: str, label_smoothing: float = 0.0, nc=None, nr=None):
    """Per-pair DPO loss and implicit rewards from policy (p) and reference (r) log-probs of
    chosen (c) and rejected (r). IPO uses per-token averages (nc, nr are token counts), as in TRL."""
    if loss_type == "ipo":
        logits = (pc - rc) / nc - (pr - rr) / nr
        losses = (logits - 1 / (2 * beta)) ** 2
    else:
        logits = (pc - rc) - (pr - rr)
        if loss_type == "sigmoid":  # TRL 1.16: label_smoothing plays no part
            losses = -F.logsigmoid(beta * logits)
        elif loss_type == "conservative":  # conservative DPO, the sigmoid of TRL before 1.0
            losses = (-F.logsigmoid(beta * logits) * (1 - label_smoothing)
                      - F.logsigmoid(-beta * logits) * label_smoothing)
        elif loss_type == "robust":  # robust DPO, as TRL 1.16
            losses = (-F.logsigmoid(beta * logits) * (1 - label_smoothing)
                      + F.logsigmoid(-beta * logits) * label_smoothing) / (1 - 2 * label_smoothing)
        elif loss_type == "hinge":
            losses = torch.relu(1 - beta * logits)
        else:
            raise ValueError(loss_type)
    return losses, beta * (pc - rc).detach(), beta * (pr - rr).detach()


def model_fingerprint(path: str | Path) -> dict:
    """Identity of the weights without reading them: names, sizes and mtimes, plus the config."""
    p = Path(path)
    files = sorted(list(p.glob("*.safetensors")) + list(p.glob("*.bin")))
    return {"config": json.loads((p / "config.json").read_text()),
            "weights": [(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files]}
