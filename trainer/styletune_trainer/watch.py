"""Watching the style move while a `dpo` job trains: an eval set and a style probe.

Eval (TRL's eval_strategy / eval_steps): every eval_steps optimizer steps the DPO loss, rewards and reward
accuracy on held-out pairs (eval_file, or eval_split of train_file), as an `eval` event. The held-out pairs'
reference log-probs are computed once, with the adapter disabled, like the training pairs'.

Probe: at step 0 and every probe_steps the model answers the same probe_prompts greedily (fixed seed,
probe_max_new_tokens), as a `probe` event. The extension and `styletune tune` score the replies with the
active reward model; a reward that climbs while the replies grow longer or fill with slang is reward
hacking, visible long before the run ends.

With several processes, every rank evaluates its share of the eval pairs (the same number of forward
passes on each, a short share padded with a pass that counts for nothing) and the sums are reduced. Under
FSDP that forward goes through the sharded module, whose units gather their weights in it, so every rank
must join; the probe then runs on every rank in lockstep (the root unit's weights gathered with
summon_full_params, each layer gathering its own in its forward, `synced_gpus` so a rank whose reply ended
keeps stepping with the others) and only the main process emits. Under DeepSpeed ZeRO-3 both are skipped
with a `watch_skipped` warning: that path has not been run (DeepSpeed does not run on the CPU, where the
trainer is tested). The training RNG is reseeded at every step, so neither changes what training computes.

Resume: the step-0 replies are the baseline that "moved since step 0" compares with. A resumed run
re-emits them from the job folder's events.jsonl when the first run probed the same prompts, or answers
them again with the adapter disabled (LoRA starts at B = 0: that is the step-0 model exactly), so a
reader of the new run's stream (styletune tune) and of the folder (the job view) has the baseline.
"""
from __future__ import annotations

import contextlib
import json
import math
import random
import time
from pathlib import Path
from typing import Any

import torch

from .data import is_messages, collate, read_pairs, read_prompts_file, render_prompt, tokenize_pairs, use_chat_template
from .events import WorkerError
from .modeling import dpo_loss

# torch.OutOfMemoryError is torch >= 2.5's name; a GPU image may carry an older torch.
_OOM = getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError


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
        if not ((isinstance(p, str) and p.strip()) or is_messages(p)):
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
        self.ref: list[tuple[torch.Tensor, torch.Tensor]] | None = None  # reference log-probs, per batch
        self.skipped = False

    def probe_every(self) -> int:
        if not self.prompts:
            return 0
        # Default: about ten probes over the run.
        return self.t.cfg.probe_steps or max(1, math.ceil(self.t.total_steps / 10))

    def _usable(self) -> bool:
        if self.t.alone:  # another rank ended while stopping: no collective can complete
            return False
        if self.t.zero3:
            if not self.skipped:
                self.skipped = True
                self.t.emit("log", level="warning", code="watch_skipped",
                            message="eval and probe are skipped under DeepSpeed ZeRO-3 (not supported yet); "
                                    "with FSDP (accelerate_config trainer/configs/fsdp.yaml) they run")
            return False
        return True

    def _guarded(self, run) -> dict | None:
        """Runs an eval or probe; a collective that fails because another rank ended on Stop skips it
        (the trainer then saves alone), any other failure is raised."""
        try:
            return run()
        except RuntimeError as e:
            if self.t.world == 1 or isinstance(e, _OOM):
                raise
            self.t._rank_gone(e)
            return None

    def before_training(self) -> None:
        """Step 0: the probe's baseline, what the base model says before any training. A resumed run
        gives it again (kept from the first run, or answered with the adapter disabled)."""
        if not (self.probe_every() and self._usable()):
            return
        if self.t.step == 0:
            self._guarded(self.probe)
        else:
            self._guarded(self.baseline)

    def after_step(self) -> None:
        s, last = self.t.step, self.t.step == self.t.total_steps
        if self.eval_steps and (s % self.eval_steps == 0 or last) and self._usable():
            self._guarded(self.evaluate)
        every = self.probe_every()
        if every and (s % every == 0 or last) and self._usable():
            self._guarded(self.probe)

    # ---- eval --------------------------------------------------------------------------------
    def _batches(self) -> list[tuple[list[int], bool]]:
        """This process's eval batches as (pair indices, counted). With several processes each takes every
        world-th pair; every rank runs the same number of batches (a sharded forward gathers weights from
        all of them), a rank whose share ran out running pair 0 uncounted."""
        t, n, bs = self.t, len(self.eval_examples), self.t.cfg.per_device_eval_batch_size
        mine = list(range(t.rank, n, t.world))
        count = math.ceil(math.ceil(n / t.world) / bs)
        out = []
        for b in range(count):
            idx = mine[b * bs: (b + 1) * bs]
            out.append((idx, True) if idx else ([0], False))
        return out

    def _logps(self, idx: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        t = self.t
        batch = t._to_device(collate([self.eval_examples[i] for i in idx], t.tok.pad_token_id, t.cfg.padding_free))
        # Sharded weights (FSDP) exist whole only inside the wrapper's forward; whole ones (one process, DDP,
        # DeepSpeed ZeRO-1/2) are used directly, as in the probe.
        module = t.ddp_logps if t.fsdp else t.logps
        with t._autocast():
            lp, counts = module(**batch)
        return lp.float(), counts

    def evaluate(self) -> dict:
        t, cfg = self.t, self.t.cfg
        t0 = time.perf_counter()
        was_training = t.model.training
        t.model.eval()
        batches = self._batches()
        try:
            with torch.no_grad(), t._oom(t.step):
                if self.ref is None:
                    ref = []
                    with t.model.disable_adapter():
                        for idx, _ in batches:
                            lp, _ = self._logps(idx)
                            ref.append((lp[: len(idx)], lp[len(idx):]))
                    self.ref = ref
                sums = torch.zeros(5, dtype=torch.float64, device=t.device)
                for (idx, counted), (ref_c, ref_r) in zip(batches, self.ref):
                    lp, counts = self._logps(idx)
                    if not counted:
                        continue
                    b = len(idx)
                    losses, rwc, rwr = dpo_loss(lp[:b], lp[b:], ref_c, ref_r, cfg.beta,
                                                cfg.loss_type, cfg.label_smoothing, counts[:b], counts[b:])
                    sums += torch.stack([losses.sum(), rwc.sum(), rwr.sum(), (rwc - rwr).sum(),
                                         (rwc > rwr).float().sum()]).double()
        finally:
            t.model.train(was_training)
        if t.world > 1:
            sums = t.acc.reduce(sums, reduction="sum")
        n = len(self.eval_examples)
        m = [round(float(v) / n, 6) for v in sums.tolist()]
        return t.emit("eval", step=t.step, total_steps=t.total_steps, pairs=n, loss=m[0], **{
            "rewards/chosen": m[1], "rewards/rejected": m[2], "rewards/margins": m[3], "rewards/accuracies": m[4]},
            runtime_s=round(time.perf_counter() - t0, 3))

    # ---- probe -------------------------------------------------------------------------------
    def _gathered(self):
        """Under FSDP the root unit's own weights (embeddings, final norm, head) whole for generate, which
        calls the model directly rather than through the root's forward; each wrapped layer gathers its own
        weights in its forward. Every rank must enter it."""
        if not self.t.fsdp:
            return contextlib.nullcontext()
        from torch.distributed.fsdp import FullyShardedDataParallel as FSDP

        return FSDP.summon_full_params(self.t.ddp_logps, recurse=False, writeback=False)

    def probe(self, adapter: bool = True, step: int | None = None, **extra: Any) -> dict:
        """Answers the probe prompts greedily (every rank, in lockstep) and emits a `probe` event at `step`
        (default: the current step). adapter=False answers as the base model, i.e. as at step 0."""
        t, cfg = self.t, self.t.cfg
        t0 = time.perf_counter()
        was_training = t.model.training
        t.model.eval()
        tok = t.tok
        eos = tok.eos_token_id
        eos_ids = torch.tensor(eos if isinstance(eos, list) else [] if eos is None else [eos], device=t.device)
        replies = []
        try:
            with self._gathered(), (contextlib.nullcontext() if adapter else t.model.disable_adapter()):
                for i, (prompt, ids) in enumerate(zip(self.prompts, self.probe_ids)):
                    x = torch.tensor([ids], device=t.device)
                    torch.manual_seed(cfg.seed)  # greedy needs no randomness; fixed anyway, for any sampling head
                    with torch.no_grad(), t._autocast(), t._oom(t.step):
                        seq = t.model.generate(input_ids=x, attention_mask=torch.ones_like(x), do_sample=False,
                                               max_new_tokens=cfg.probe_max_new_tokens, pad_token_id=tok.pad_token_id,
                                               eos_token_id=eos, **({"synced_gpus": True} if t.fsdp else {}))[0]
                    new = seq[x.shape[1]:]
                    if eos_ids.numel() and bool(torch.isin(new, eos_ids).any()):
                        # synced_gpus keeps a finished rank stepping (padding after its end); cut there as usual.
                        end = int(torch.isin(new, eos_ids).nonzero()[0]) + 1
                        new = new[:end]
                    truncated = new.numel() >= cfg.probe_max_new_tokens and not bool(torch.isin(new, eos_ids).any())
                    if tok.pad_token_id != eos:
                        new = new[new != tok.pad_token_id]
                    replies.append({"index": i, "prompt": prompt, "text": tok.decode(new, skip_special_tokens=True),
                                    "tokens": int(new.numel()), "truncated": truncated})
        finally:
            t.model.train(was_training)
        return t.emit("probe", step=t.step if step is None else step, total_steps=t.total_steps,
                      max_new_tokens=cfg.probe_max_new_tokens, seed=cfg.seed, replies=replies,
                      runtime_s=round(time.perf_counter() - t0, 3), **extra)

    def _kept_baseline(self) -> dict | None:
        """The first run's step-0 probe from the job folder's events.jsonl, when it asked these prompts
        with these settings (probe fields may change on resume; then it is answered again)."""
        path = self.t.job / "events.jsonl"
        if not path.is_file():
            return None
        found = None
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if '"probe"' not in line:
                continue
            try:
                e = json.loads(line)
            except ValueError:  # a line cut by a hard kill
                continue
            if (e.get("event") == "probe" and e.get("step") == 0 and e.get("seed") == self.t.cfg.seed
                    and e.get("max_new_tokens") == self.t.cfg.probe_max_new_tokens
                    and [r.get("prompt") for r in e.get("replies", [])] == self.prompts):
                found = e  # the last one wins, as readers take it
        return found

    def baseline(self) -> dict | None:
        """A resumed run's step-0 probe: kept from the first run, or answered again with the adapter disabled."""
        t = self.t
        kept = self._kept_baseline() if t.main else None
        if t.world > 1:  # every rank must take the same branch: the recompute is a collective under FSDP
            flag = torch.tensor(int(kept is not None), device=t.device)
            kept_everywhere = bool(t.acc.reduce(flag, reduction="sum").item())
        else:
            kept_everywhere = kept is not None
        if kept_everywhere:
            if not t.main:
                return None
            return t.emit("probe", step=0, total_steps=t.total_steps, max_new_tokens=kept["max_new_tokens"],
                          seed=kept["seed"], replies=kept["replies"], runtime_s=0.0, baseline="kept")
        return self.probe(adapter=False, step=0, baseline="recomputed")
