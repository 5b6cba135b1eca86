"""Watching the style move while a `dpo` job trains: an eval set and a style probe.

Eval (TRL's eval_strategy / eval_steps): every eval_steps optimizer steps the DPO loss, rewards and reward
accuracy on held-out pairs (eval_file, or eval_split of train_file), as an `eval` event. The held-out pairs'
reference log-probs are computed once, with the adapter disabled, like the training pairs'.

Probe: at step 0 and every probe_steps the model answers the same probe_prompts greedily (fixed seed,
probe_max_new_tokens), as a `probe` event. The extension and `styletune tune` score the replies with the
active reward model; a reward that climbs while the replies grow longer or fill with slang is reward
hacking, visible long before the run ends.

Both run on every process with the unwrapped model (the same computation everywhere, no collectives) and
only the main process emits; with sharded weights (FSDP, DeepSpeed ZeRO-3) they are skipped with a warning.
The training RNG is reseeded at every step, so neither changes what training computes.
"""
from __future__ import annotations

import math
import random
import time
from pathlib import Path
from typing import Any

import torch

from .data import _is_messages, collate, read_pairs, read_prompts_file, render_prompt, tokenize_pairs, use_chat_template
from .events import WorkerError
from .modeling import dpo_loss


def split_eval(cfg, pairs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train pairs, eval pairs): eval_file's pairs, or eval_split of the train pairs chosen with the seed."""
    if cfg.eval_file:
        return pairs, read_pairs(cfg.eval_file)
    if not cfg.eval_split:
        return pairs, []
    n = max(1, round(len(pairs) * cfg.eval_split))
    if n >= len(pairs):
        raise WorkerError("config", f"eval_split {cfg.eval_split} of {len(pairs)} pairs leaves none to train on",
                          "Use a smaller eval_split, or give held-out pairs in eval_file.")
    order = list(range(len(pairs)))
    random.Random(cfg.seed).shuffle(order)
    held = set(order[:n])
    return [p for i, p in enumerate(pairs) if i not in held], [pairs[i] for i in sorted(held)]


def load_probe_prompts(cfg) -> list[Any]:
    """probe_prompts as given: a list, or a file (.jsonl: {"prompt"} or {"messages"} per line; else one per line)."""
    spec = cfg.probe_prompts
    if spec is None:
        return []
    if isinstance(spec, list):
        prompts = list(spec)
    else:
        path = Path(spec)
        if not path.is_file():
            raise WorkerError("config", f"probe_prompts file not found: {path}",
                              "Give a list of prompts, or a .jsonl / .txt file of them.")
        prompts = read_prompts_file(path, text_lines=path.suffix != ".jsonl")
    for i, p in enumerate(prompts):
        if not ((isinstance(p, str) and p.strip()) or _is_messages(p)):
            raise WorkerError("config", f"probe prompt {i} must be a non-empty string or a list of {{role, content}} messages",
                              'e.g. "probe_prompts": ["How was your weekend?", "Explain DNS briefly."]')
    if not prompts:
        raise WorkerError("config", "probe_prompts is empty", "Give 3-10 prompts that show the style you tune.")
    return prompts


class Watch:
    """The eval and probe hooks of one DPOTrainer."""

    def __init__(self, trainer, eval_pairs: list[dict[str, Any]]):
        self.t = trainer
        cfg = trainer.cfg
        self.eval_examples = tokenize_pairs(eval_pairs, trainer.tok, cfg)[0] if eval_pairs else []
        self.eval_steps = (cfg.eval_steps or cfg.logging_steps) if self.eval_examples and cfg.eval_strategy != "no" else 0
        self.prompts = load_probe_prompts(cfg)
        self.probe_ids = []
        for p in self.prompts:
            # A text prompt is rendered as the training prompts were (raw for raw text pairs, as TRL; through the
            # template for conversational pairs or apply_chat_template: on), so the probe asks what was trained.
            template = use_chat_template(trainer.tok, cfg.apply_chat_template, True) if isinstance(p, list) \
                else trainer.stats.chat_template
            self.probe_ids.append(render_prompt(trainer.tok, p, template, cfg.system_prompt))
        self.ref: tuple[torch.Tensor, torch.Tensor] | None = None
        self.skipped = False

    def probe_every(self) -> int:
        if not self.prompts:
            return 0
        # Default: about ten probes over the run.
        return self.t.cfg.probe_steps or max(1, math.ceil(self.t.total_steps / 10))

    def _usable(self) -> bool:
        if self.t.sharded:
            if not self.skipped:
                self.skipped = True
                self.t.emit("log", level="warning", code="watch_skipped",
                            message="eval and probe are skipped with sharded weights (FSDP, DeepSpeed ZeRO-3)")
            return False
        return True

    def before_training(self) -> None:
        """Step 0: the probe's baseline, what the base model says before any training."""
        if self.t.step == 0 and self.probe_every() and self._usable():
            self.probe()

    def after_step(self) -> None:
        s, last = self.t.step, self.t.step == self.t.total_steps
        if self.eval_steps and (s % self.eval_steps == 0 or last) and self._usable():
            self.evaluate()
        every = self.probe_every()
        if every and (s % every == 0 or last) and self._usable():
            self.probe()

    # ---- eval --------------------------------------------------------------------------------
    def _batches(self):
        bs = self.t.cfg.per_device_eval_batch_size
        return [list(range(i, min(i + bs, len(self.eval_examples)))) for i in range(0, len(self.eval_examples), bs)]

    def _logps(self, idx: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        t = self.t
        batch = t._to_device(collate([self.eval_examples[i] for i in idx], t.tok.pad_token_id, t.cfg.padding_free))
        with t._autocast():
            lp, counts = t.logps(**batch)
        return lp.float(), counts

    def evaluate(self) -> dict:
        t, cfg = self.t, self.t.cfg
        t0 = time.perf_counter()
        was_training = t.model.training
        t.model.eval()
        try:
            with torch.no_grad(), t._oom(t.step):
                if self.ref is None:
                    rc, rr = [], []
                    with t.model.disable_adapter():
                        for idx in self._batches():
                            lp, _ = self._logps(idx)
                            rc.append(lp[: len(idx)])
                            rr.append(lp[len(idx):])
                    self.ref = (torch.cat(rc), torch.cat(rr))
                sums = torch.zeros(5, dtype=torch.float64, device=t.device)
                for idx in self._batches():
                    lp, counts = self._logps(idx)
                    b = len(idx)
                    ix = torch.tensor(idx, device=t.device)
                    losses, rwc, rwr = dpo_loss(lp[:b], lp[b:], self.ref[0][ix], self.ref[1][ix], cfg.beta,
                                                cfg.loss_type, cfg.label_smoothing, counts[:b], counts[b:])
                    sums += torch.stack([losses.sum(), rwc.sum(), rwr.sum(), (rwc - rwr).sum(),
                                         (rwc > rwr).float().sum()]).double()
        finally:
            t.model.train(was_training)
        n = len(self.eval_examples)
        m = [round(float(v) / n, 6) for v in sums.tolist()]
        return t.emit("eval", step=t.step, total_steps=t.total_steps, pairs=n, loss=m[0], **{
            "rewards/chosen": m[1], "rewards/rejected": m[2], "rewards/margins": m[3], "rewards/accuracies": m[4]},
            runtime_s=round(time.perf_counter() - t0, 3))

    # ---- probe -------------------------------------------------------------------------------
    def probe(self) -> dict:
        t, cfg = self.t, self.t.cfg
        t0 = time.perf_counter()
        was_training = t.model.training
        t.model.eval()
        tok = t.tok
        eos = tok.eos_token_id
        eos_ids = torch.tensor(eos if isinstance(eos, list) else [] if eos is None else [eos], device=t.device)
        replies = []
        try:
            for i, (prompt, ids) in enumerate(zip(self.prompts, self.probe_ids)):
                x = torch.tensor([ids], device=t.device)
                torch.manual_seed(cfg.seed)  # greedy needs no randomness; fixed anyway, for any sampling head
                with torch.no_grad(), t._autocast(), t._oom(t.step):
                    seq = t.model.generate(input_ids=x, attention_mask=torch.ones_like(x), do_sample=False,
                                           max_new_tokens=cfg.probe_max_new_tokens, pad_token_id=tok.pad_token_id,
                                           eos_token_id=eos)[0]
                new = seq[x.shape[1]:]
                truncated = new.numel() >= cfg.probe_max_new_tokens and not bool(torch.isin(new, eos_ids).any())
                if tok.pad_token_id != eos:
                    new = new[new != tok.pad_token_id]
                replies.append({"index": i, "prompt": prompt, "text": tok.decode(new, skip_special_tokens=True),
                                "tokens": int(new.numel()), "truncated": truncated})
        finally:
            t.model.train(was_training)
        return t.emit("probe", step=t.step, total_steps=t.total_steps, max_new_tokens=cfg.probe_max_new_tokens,
                      seed=cfg.seed, replies=replies, runtime_s=round(time.perf_counter() - t0, 3))
