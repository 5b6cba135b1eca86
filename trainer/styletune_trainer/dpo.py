"""LoRA DPO on a local causal LM. The reference policy is the same weights with the adapter disabled.

    python -m styletune_trainer dpo --config job.json
    accelerate launch --num_processes 4 -m styletune_trainer dpo --config job.json   # DDP

Job folder (`output_dir`):
    config.json          the config as run (preset applied, paths absolute)
    events.jsonl         every event also printed on stdout
    train.log            the same, for humans, plus warnings and tracebacks
    status.json          running | done | stopped | failed
    ref_logps.safetensors  reference log-probs, computed once, reused on resume
    checkpoints/step-N/  adapter + optimizer state; the newest is resumed from
    adapter/             the final (or stopped-early) adapter, for PeftModel.from_pretrained

Determinism: the pairs of step s are a pure function of (seed, s) and the RNG is reseeded at every
step, so a run resumed from a checkpoint takes the same steps as one that was never interrupted.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Callable

import torch

from . import bigmodel
from .config import DPOConfig
from .data import ReadReport, collate, read_pairs, tokenize_pairs
from .events import Emitter, WorkerError
from .jobdir import checkpoints, stopped_before_training, write_json, write_status
from .stop import StopFlag, Stopped
from .watch import Watch, split_eval
from .modeling import SequenceLogps, add_lora, check_model_dir, dpo_loss, load_model, load_tokenizer, model_fingerprint

METRICS = ("loss", "rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies",
           "logps/chosen", "logps/rejected")
# Fields that change what a step computes: resuming with other values would not continue the same run.
RUN_IDENTITY = ("model", "train_file", "max_train_samples", "beta", "loss_type", "label_smoothing", "max_length",
                "truncate_prompt_to", "apply_chat_template", "system_prompt", "lora_r", "lora_alpha", "lora_dropout",
                "disable_dropout",
                "lora_target_modules", "per_device_train_batch_size", "gradient_accumulation_steps",
                "learning_rate", "lr_scheduler_type", "seed", "weight_decay", "num_train_epochs", "max_steps",
                "warmup_ratio", "warmup_steps", "eval_split")


def lr_at(step: int, total: int, warmup: int, peak: float, kind: str) -> float:
    """Learning rate for optimizer step `step` (0-based), as transformers' schedules define it."""
    if step < warmup:
        return peak * (step + 1) / (warmup + 1) if kind == "constant" else peak * step / max(1, warmup)
    if kind == "constant":
        return peak
    progress = (step - warmup) / max(1, total - warmup)
    if kind == "linear":
        return peak * max(0.0, 1.0 - progress)
    return peak * 0.5 * (1.0 + math.cos(math.pi * progress))


def pick_dtype(cfg: DPOConfig, device: torch.device) -> torch.dtype:
    return bigmodel.pick_precision(cfg, device).dtype


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


class DPOTrainer:
    def __init__(self, cfg: DPOConfig, emit: Emitter, stop: StopFlag | None = None):
        self.cfg, self.emit, self.stop = cfg, emit, stop or StopFlag()
        self.job = Path(cfg.output_dir)
        self.alone = False  # set when another rank ended during a stop: no more collectives (see _rank_gone)

    # ---- setup -------------------------------------------------------------------------------
    def setup(self) -> None:
        from accelerate import Accelerator
        from accelerate.utils import DistributedType

        cfg = self.cfg
        # DeepSpeed accumulates itself (its engine steps at the boundary), so it must know the count.
        ds = os.environ.get("ACCELERATE_USE_DEEPSPEED", "false").lower() == "true"
        self.acc = Accelerator(cpu=cfg.device == "cpu",
                               **({"gradient_accumulation_steps": cfg.gradient_accumulation_steps} if ds else {}))
        self.deepspeed = self.acc.distributed_type == DistributedType.DEEPSPEED
        self.fsdp = self.acc.distributed_type == DistributedType.FSDP
        self.sharded = self.deepspeed or self.fsdp
        # Weights sharded among the ranks (not just optimizer state): only whole inside the wrapper's forward.
        self.zero3 = self.deepspeed and self.acc.state.deepspeed_plugin.zero_stage == 3
        self.main = self.acc.is_main_process
        self.emit.enabled = self.main
        self.device = self.acc.device
        if cfg.device == "cuda" and self.device.type != "cuda":
            raise WorkerError("environment", "device cuda was requested but no GPU is visible",
                              "Remove `device` to train on the CPU, or check the GPU driver (nvidia-smi).")
        if self.main:
            self.job.mkdir(parents=True, exist_ok=True)
            self.emit.attach_job(self.job)
        check_model_dir(cfg.model)
        if cfg.device_map is not None and self.acc.num_processes > 1:
            raise WorkerError("config", f"device_map {cfg.device_map} with {self.acc.num_processes} processes",
                              "device_map spreads one process's model over the GPUs; with several processes use "
                              "accelerate_config (trainer/configs/fsdp.yaml shards the model among them).")
        self.prec = bigmodel.pick_precision(cfg, self.device)
        self.dtype = self.prec.dtype
        if self.prec.note and self.main:
            self.emit("log", level="warning", code="precision", message=self.prec.note)
        self.shape = bigmodel.model_shape(cfg.model)
        self.gc = bigmodel.gradient_checkpointing_on(cfg, self.shape)
        self.quantization = bigmodel.quantization_of(cfg)
        if self.fsdp:
            self.sharding = "fsdp"
        elif self.deepspeed:
            self.sharding = f"deepspeed-zero{self.acc.state.deepspeed_plugin.zero_stage}"
        else:
            self.sharding = "ddp" if self.acc.num_processes > 1 else f"device_map {cfg.device_map}" if cfg.device_map else "none"
        self.tok = load_tokenizer(cfg.model)
        read_report = ReadReport()
        self.emit.loading(f"reading pairs from {Path(cfg.train_file).name}")
        pairs = read_pairs(cfg.train_file, cfg.max_train_samples, read_report)
        if read_report.summary(Path(cfg.train_file)):
            # Not silent: a file still being labeled trains on what is labeled and says what it left out.
            self.emit("log", level="warning" if read_report.unlabeled or read_report.identical else "info",
                      code="pairs_skipped", message=read_report.summary(Path(cfg.train_file)))
        pairs, eval_pairs = split_eval(cfg, pairs)
        self.emit.loading(f"tokenizing {len(pairs)} pairs")
        self.examples, self.stats = tokenize_pairs(pairs, self.tok, cfg)
        self.stats.identical_skipped = len(read_report.identical)
        self.n_pairs_read = len(pairs)
        self.watch = Watch(self, eval_pairs)  # eval set and style probe (watch.py)

        self.resume_from = self._check_resume()
        if self.main:
            write_json(self.job / "config.json", cfg.to_dict())
            self._status("running")

        torch.manual_seed(cfg.seed)
        self.emit.loading(f"loading the model {Path(cfg.model).name}")
        if cfg.accelerate_config and os.environ.get("STYLETUNE_LAUNCHED") != "1" and self.main:
            # Launched by someone else (the editor's processes setting, srun, a hand-typed accelerate launch).
            want = bigmodel.sharding_of(bigmodel.read_accelerate_config(cfg.accelerate_config))
            if want != self.sharding:
                self.emit("log", level="warning", code="accelerate_config_unused",
                          message=f"accelerate_config asks for {want}, but this run was launched as {self.sharding} "
                                  f"({self.acc.num_processes} processes): pass --config_file {cfg.accelerate_config} "
                                  "to accelerate launch, or start the job as a single process and let it re-launch itself")
        qconf = bigmodel.quantization_config(cfg, self.prec) if self.quantization else None
        # Sharded runs load on the CPU (rank 0 only, with FSDP's cpu_ram_efficient_loading); prepare() places them.
        model = load_model(cfg.model, self.dtype, None if self.sharded or cfg.device_map else self.device,
                           cfg.attn_implementation, qconf, cfg.device_map)
        self.model = add_lora(model, cfg.lora_r, cfg.lora_alpha, cfg.lora_dropout, cfg.lora_target_modules, self.gc)
        if cfg.disable_dropout:
            disable_dropout(self.model)
        self.logps = SequenceLogps(self.model, cfg.logps_chunk_size)
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.n_trainable = sum(p.numel() for p in params)
        # From the config: a 4-bit model's packed tensors would count half their parameters.
        self.n_total = self.shape.total + self.n_trainable
        self.optimizer = bigmodel.make_optimizer(cfg, params, self.device)
        self.scaler = torch.amp.GradScaler("cuda") if self.prec.loss_scaling else None
        self.world, self.rank = self.acc.num_processes, self.acc.process_index
        shards = self.world if self.sharded and not (self.deepspeed and self.acc.state.deepspeed_plugin.zero_stage < 3) else 1
        self.memory_estimate = bigmodel.memory_estimate(cfg, self.shape, self.prec, self.n_trainable, self.gc, shards)
        self.global_batch = cfg.per_device_train_batch_size * cfg.gradient_accumulation_steps * self.world
        self.steps_per_epoch = math.ceil(len(self.examples) / self.global_batch)
        self.total_steps = cfg.max_steps if cfg.max_steps > 0 else math.ceil(cfg.num_train_epochs * self.steps_per_epoch)
        self.warmup = cfg.warmup_steps if cfg.warmup_steps > 0 else math.ceil(cfg.warmup_ratio * self.total_steps)
        self.step = 0
        if self.resume_from is not None:
            self._load_checkpoint(self.resume_from)  # adapter weights before sharding, optimizer state after
        if self.sharded:
            if self.fsdp:
                from peft.utils.other import fsdp_auto_wrap_policy

                # LoRA layers in units of their own: FSDP1 flattens each unit into one dtype (LoRA float32, base bf16).
                self.acc.state.fsdp_plugin.auto_wrap_policy = fsdp_auto_wrap_policy(self.model)
            if self.deepspeed:  # without a dataloader to read it from, DeepSpeed's "auto" micro-batch is ours
                ds_conf = self.acc.state.deepspeed_plugin.deepspeed_config
                if ds_conf.get("train_micro_batch_size_per_gpu", "auto") == "auto":
                    ds_conf["train_micro_batch_size_per_gpu"] = cfg.per_device_train_batch_size
                    ds_conf.pop("train_batch_size", None)
            self.ddp_logps, self.optimizer = self.acc.prepare(self.logps, self.optimizer)
            if self.resume_from is not None:
                self._load_sharded_optimizer(self.resume_from)
        else:
            self.ddp_logps = self.acc.prepare(self.logps) if self.world > 1 else self.logps

    def _warn_about_lengths(self, n_pairs: int) -> None:
        cfg, st = self.cfg, self.stats
        if st.pairs_dropped:
            self.emit("log", level="warning", code="pairs_dropped",
                      message=f"left out {st.pairs_dropped} of {n_pairs} pairs whose prompt alone reaches max_length "
                              f"({cfg.max_length} tokens), as TRL does; raise max_length or set truncate_prompt_to "
                              "to keep them")
        if st.completions_truncated * 2 > st.train_pairs:
            self.emit("log", level="warning", code="truncation",
                      message=f"max_length {cfg.max_length} cuts {st.completions_truncated} of {st.train_pairs} pairs "
                              "(their chosen or rejected response loses its end, so the model learns from fewer "
                              "tokens of the style); raise max_length if memory allows")

    def _check_resume(self) -> Path | None:
        cks = checkpoints(self.job)
        prev = self.job / "config.json"
        if not cks:
            return None
        if not self.cfg.resume:
            raise WorkerError("config", f"{self.job} already holds checkpoints of an earlier run",
                              "Use a new output_dir, delete the old one, or set resume: true to continue it.")
        if prev.is_file():
            old = json.loads(prev.read_text())
            changed = [k for k in RUN_IDENTITY if old.get(k) != getattr(self.cfg, k)]
            if changed:
                raise WorkerError("config", f"cannot resume {self.job}: the config changed ({', '.join(changed)})",
                                  "Resume with the config as run (it is in the job folder's config.json), or "
                                  "start a new run in another output_dir.")
        return cks[-1]

    def _status(self, state: str, **extra: Any) -> None:
        if self.main:
            write_status(self.job, state, **extra)

    # ---- reference log-probs -----------------------------------------------------------------
    def reference_logps(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Reference log-probs of every pair, from the cache when it was made by the same model, data
        and settings. Each process computes its share; the main process writes the file."""
        from safetensors.torch import load_file, save_file

        cfg = self.cfg
        key = _hash({"model": model_fingerprint(cfg.model), "dtype": str(self.dtype),
                     **({"quantization": self.quantization} if self.quantization else {}),
                     "data": _hash([(e.prompt, e.chosen, e.rejected) for e in self.examples])})
        path = self.job / "ref_logps.safetensors"
        if path.is_file():
            from safetensors import safe_open

            with safe_open(str(path), "pt") as f:
                meta = f.metadata() or {}
            if meta.get("key") == key:
                t = load_file(str(path))
                self.emit("log", level="info", code="ref_cache_hit",
                          message=f"reference log-probs loaded from {path}")
                return t["chosen"], t["rejected"]
        self.emit("log", level="info", code="ref_cache_miss",
                  message=f"computing reference log-probs for {len(self.examples)} pairs")
        n = len(self.examples)
        per = math.ceil(n / self.world)
        mine = list(range(self.rank * per, min(n, (self.rank + 1) * per)))
        # Sorting by length keeps padding low; the order does not change any value.
        mine.sort(key=lambda i: len(self.examples[i].prompt) + max(len(self.examples[i].chosen),
                                                                  len(self.examples[i].rejected)))
        out = torch.zeros(2, per, dtype=torch.float32, device=self.device)
        bs = cfg.ref_batch_size or 2 * cfg.per_device_train_batch_size
        self.model.eval()
        module = self.ddp_logps if self.sharded else self.logps  # sharded weights exist only inside the wrapper
        with torch.no_grad(), self.model.disable_adapter(), self._autocast(), self._oom(None):
            # Every rank runs the same number of batches: a sharded forward gathers weights from all of them,
            # so a rank with a shorter share (n not a multiple of the world) runs one more pass, discarded.
            for s in range(0, max(per, 1), bs):
                if self.stop.requested:
                    raise Stopped(self.stop.reason)
                idx = mine[s: s + bs]
                if not idx:
                    if self.sharded:
                        module(**self._to_device(collate([self.examples[0]], self.tok.pad_token_id, cfg.padding_free)))
                    continue
                batch = self._to_device(collate([self.examples[i] for i in idx], self.tok.pad_token_id,
                                                cfg.padding_free))
                sums, _ = module(**batch)
                local = torch.tensor([i - self.rank * per for i in idx], device=self.device)
                out[0, local] = sums[: len(idx)]
                out[1, local] = sums[len(idx):]
        if self.world > 1:
            try:
                out = self.acc.gather(out[None]).permute(1, 0, 2).reshape(2, -1)
            except RuntimeError:
                if self.stop.requested:  # another rank stopped first: nothing trained yet, nothing to save
                    raise Stopped(self.stop.reason) from None
                raise
        chosen, rejected = out[0, :n].cpu().contiguous(), out[1, :n].cpu().contiguous()
        if self.main:
            tmp = path.with_suffix(".tmp")
            save_file({"chosen": chosen, "rejected": rejected}, str(tmp), metadata={"key": key})
            os.replace(tmp, path)
        return chosen, rejected

    # ---- training ----------------------------------------------------------------------------
    def _to_device(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}

    def step_indices(self, step: int) -> list[list[int]]:
        """This process's micro-batches (pair indices) for optimizer step `step`."""
        epoch, pos = divmod(step, self.steps_per_epoch)
        g = torch.Generator().manual_seed(self.cfg.seed + epoch)
        perm = torch.randperm(len(self.examples), generator=g).tolist()
        # A short last batch is filled from the epoch's start, so every process has full micro-batches.
        glob = [perm[(pos * self.global_batch + k) % len(perm)] for k in range(self.global_batch)]
        b = self.cfg.per_device_train_batch_size
        mine = glob[self.rank::self.world]
        return [mine[i: i + b] for i in range(0, len(mine), b)]

    def train(self) -> dict:
        cfg = self.cfg
        self.emit("started", command="dpo", device=_device_name(self.device), dtype=str(self.dtype).split(".")[-1],
                  num_processes=self.world, model=cfg.model, model_type=self.model.config.model_type,
                  job_dir=str(self.job), preset=cfg.preset, resumed_from_step=self.step,
                  total_steps=self.total_steps, parameters={"trainable": self.n_trainable, "total": self.n_total},
                  dataset=self.stats.to_dict(), precision=self.prec.name, loss_scaling=self.prec.loss_scaling,
                  quantization=self.quantization, sharding=self.sharding, optim=cfg.optim,
                  attn_implementation=cfg.attn_implementation, gradient_checkpointing=self.gc,
                  memory_estimate=self.memory_estimate,
                  gpu_memory_bytes=(int(torch.cuda.get_device_properties(self.device).total_memory)
                                    if self.device.type == "cuda" else None),
                  differs_from_trl=differs_from_trl(cfg, self.stats))
        self._warn_about_lengths(self.n_pairs_read)  # after `started`, which carries the counts
        if self.resume_from is not None:
            self.emit("log", level="info", code="resumed", message=f"resumed from {self.resume_from} (step {self.step})")
        try:
            ref_c, ref_r = self.reference_logps()
        except Stopped as e:
            return stopped_before_training(self.job, self.emit, str(e))
        ref_c, ref_r = ref_c.to(self.device), ref_r.to(self.device)
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        last: dict[str, float] = {}
        self.watch.before_training()
        t_start, steps_timed, time_timed = time.perf_counter(), 0, 0.0
        while self.step < self.total_steps:
            t0 = time.perf_counter()
            try:
                with self._oom(self.step):
                    metrics, tokens = self._train_step(ref_c, ref_r)
            except RuntimeError as e:
                # A step cut short by a rank that ended on Stop: the optimizer did not step, so the
                # weights are those of the last whole step, which is what a stop saves.
                self._rank_gone(e)
                return self._finish(stopped=True, last=last)
            self.step += 1
            dt = time.perf_counter() - t0
            steps_timed, time_timed = steps_timed + 1, time_timed + dt
            last = metrics
            if self.step % cfg.logging_steps == 0 or self.step == self.total_steps or self.stop.requested:
                self.emit("progress", step=self.step, total_steps=self.total_steps,
                          epoch=round(self.step / self.steps_per_epoch, 4), **metrics,
                          tokens_per_s=round(tokens / dt, 1) if dt > 0 else 0.0,
                          eta_s=round((self.total_steps - self.step) * time_timed / steps_timed, 1),
                          elapsed_s=round(time.perf_counter() - t_start, 2), gpu_mem_bytes=_gpu_mem(self.device))
            self.watch.after_step()
            if self.step < self.total_steps and self._agree(self.stop.requested):
                return self._finish(stopped=True, last=last)
            if self.step % cfg.save_steps == 0 and self.step < self.total_steps:
                self._save_checkpoint()
        return self._finish(stopped=False, last=last)

    def _train_step(self, ref_c: torch.Tensor, ref_r: torch.Tensor) -> tuple[dict[str, float], int]:
        cfg = self.cfg
        # Dropout depends on the step, not on how many steps this process has run: resume is exact.
        torch.manual_seed(cfg.seed * 1_000_003 + self.step * self.world + self.rank)
        for g in self.optimizer.param_groups:
            g["lr"] = lr_at(self.step, self.total_steps, self.warmup, cfg.learning_rate, cfg.lr_scheduler_type)
        self.model.train()
        micro = self.step_indices(self.step)
        sums = torch.zeros(len(METRICS), device=self.device, dtype=torch.float64)
        tokens = 0
        for k, idx in enumerate(micro):
            batch = self._to_device(collate([self.examples[i] for i in idx], self.tok.pad_token_id, cfg.padding_free))
            tokens += int((batch["seq"] >= 0).sum())
            sync = k == len(micro) - 1 or self.world == 1 or self.deepspeed
            ctx = self.acc.no_sync(self.ddp_logps) if not sync else nullcontext()
            with ctx:
                with self._autocast():
                    lp, counts = self.ddp_logps(**batch)
                b = len(idx)
                ix = torch.tensor(idx, device=self.device)
                losses, rc, rr = dpo_loss(lp[:b], lp[b:], ref_c[ix], ref_r[ix], cfg.beta, cfg.loss_type,
                                          cfg.label_smoothing, counts[:b], counts[b:])
                if self.deepspeed:
                    # The engine divides by the accumulation steps itself and steps where accelerate marks the
                    # boundary (as transformers' Trainer marks it): at this step's last micro-batch.
                    self.acc.gradient_state._set_sync_gradients(k == len(micro) - 1)
                    self.acc.backward(losses.mean())
                elif self.scaler is not None:
                    self.scaler.scale(losses.mean() / len(micro)).backward()
                else:
                    (losses.mean() / len(micro)).backward()
            with torch.no_grad():
                sums += torch.stack([losses.mean(), rc.mean(), rr.mean(), (rc - rr).mean(),
                                     (rc > rr).float().mean(), lp[:b].mean(), lp[b:].mean()]).double()
        max_norm = cfg.max_grad_norm if cfg.max_grad_norm > 0 else float("inf")
        if self.deepspeed:  # stepped (and clipped: gradient_clipping in its config) inside backward
            self.optimizer.step()
            grad_norm = self.ddp_logps.get_global_grad_norm() or 0.0
        else:
            if self.scaler is not None:
                self.scaler.unscale_(self.optimizer)
            if self.fsdp:
                grad_norm = self.acc.clip_grad_norm_(self.ddp_logps.parameters(), max_norm)
            else:
                grad_norm = torch.nn.utils.clip_grad_norm_([p for p in self.model.parameters() if p.requires_grad], max_norm)
            if self.scaler is not None:
                self.scaler.step(self.optimizer)  # skipped (and the scale lowered) when a gradient overflowed
                self.scaler.update()
            else:
                self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        sums /= len(micro)
        if self.world > 1:
            sums = self.acc.reduce(sums, reduction="mean")
            tokens = int(self.acc.reduce(torch.tensor(tokens, device=self.device), reduction="sum"))
        m = {name: round(float(v), 6) for name, v in zip(METRICS, sums.tolist())}
        m["learning_rate"] = self.optimizer.param_groups[0]["lr"]
        m["grad_norm"] = round(float(grad_norm), 6)
        return m, tokens

    def _agree(self, flag: bool) -> bool:
        if self.world == 1 or self.alone:
            return flag or self.alone
        try:
            return bool(self.acc.reduce(torch.tensor(int(flag), device=self.device), reduction="sum").item())
        except RuntimeError as e:
            self._rank_gone(e)
            return True

    def _barrier(self) -> None:
        if self.world > 1 and not self.alone:
            try:
                self.acc.wait_for_everyone()
            except RuntimeError as e:
                self._rank_gone(e)

    def _rank_gone(self, e: RuntimeError) -> None:
        """A collective failed. Once Stop was asked for, that is another rank that already ended: the
        launcher signals the ranks one by one, and a rank may end (or be killed after its grace period)
        while this one still waits for it. This rank then carries on alone (no more collectives) and
        saves what it has, so the stop still ends as stopped with its adapter. Otherwise it is an error."""
        if self.world == 1 or not self.stop.requested:
            raise e
        self.alone = True
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
        self.emit("log", level="warning", code="rank_gone",
                  message=f"another process ended while stopping ({first}); this process saves alone")

    def end(self) -> None:
        """Tears the process group down before the interpreter exits. Left to exit-time destructors, gloo's
        threads could find the other rank's sockets closed first and abort the process ("terminate called
        without an active exception", SIGABRT) after a run that had finished well: seen once in CI."""
        acc = getattr(self, "acc", None)
        if acc is not None and acc.num_processes > 1:
            try:
                acc.end_training()
            except RuntimeError as e:  # a rank already gone: nothing left to tear down together
                print(f"process group teardown: {e}", file=sys.stderr, flush=True)  # after `done`: no event

    # ---- checkpoints -------------------------------------------------------------------------
    def _save_adapter(self, dest: Path) -> None:
        """The LoRA weights in PEFT's layout; sharded weights are gathered first (every rank must call this)."""
        if self.sharded:
            full = self.acc.get_state_dict(self.ddp_logps)
            if self.main:
                self.model.save_pretrained(str(dest), state_dict={k[len("model."):]: v for k, v in full.items()
                                                                 if k.startswith("model.")})
        elif self.main:
            self.model.save_pretrained(str(dest))

    def _save_checkpoint(self) -> Path:
        dest = self.job / "checkpoints" / f"step-{self.step:06d}"
        tmp = dest.with_name(dest.name + ".tmp")
        if self.main:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
        self._barrier()
        self._save_adapter(tmp)
        state: dict[str, Any] = {"step": self.step}
        if self.scaler is not None:
            state["scaler"] = self.scaler.state_dict()
        if self.fsdp:
            from accelerate.utils import save_fsdp_optimizer

            save_fsdp_optimizer(self.acc.state.fsdp_plugin, self.acc, self.optimizer, self.ddp_logps, str(tmp))
        elif self.deepspeed:  # the optimizer's shards; frozen weights are the base model's, not saved again
            self.ddp_logps.save_checkpoint(str(tmp / "deepspeed"), exclude_frozen_parameters=True)
        else:
            state["optimizer"] = self.optimizer.state_dict()
        if self.main:
            torch.save(state, tmp / "trainer_state.pt")
            write_json(tmp / "state.json", {"step": self.step, "total_steps": self.total_steps})
            shutil.rmtree(dest, ignore_errors=True)
            os.replace(tmp, dest)  # a checkpoint exists whole or not at all
            for old in checkpoints(self.job)[: -self.cfg.save_total_limit]:
                shutil.rmtree(old, ignore_errors=True)
            self.emit("checkpoint", step=self.step, path=str(dest))
        self._barrier()
        return dest

    def _load_checkpoint(self, path: Path) -> None:
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        weights = load_file(str(path / "adapter_model.safetensors"), device=str(self.device) if not self.sharded else "cpu")
        set_peft_model_state_dict(self.model, weights)
        state = torch.load(path / "trainer_state.pt", map_location=self.device, weights_only=True)
        if "optimizer" in state:
            self.optimizer.load_state_dict(state["optimizer"])
        if self.scaler is not None and "scaler" in state:
            self.scaler.load_state_dict(state["scaler"])
        self.step = int(state["step"])

    def _load_sharded_optimizer(self, path: Path) -> None:
        if self.fsdp:
            from accelerate.utils import load_fsdp_optimizer

            load_fsdp_optimizer(self.acc.state.fsdp_plugin, self.acc, self.optimizer, self.ddp_logps, str(path))
        else:
            self.ddp_logps.load_checkpoint(str(path / "deepspeed"), load_module_strict=False,
                                           load_optimizer_states=True, load_lr_scheduler_states=False)

    def _autocast(self):
        return torch.autocast("cuda", dtype=self.dtype) if self.prec.autocast else nullcontext()

    def _oom(self, step: int | None):
        """Turns a CUDA out-of-memory error into one that names what to change, with numbers."""
        trainer = self

        class Guard:
            def __enter__(self) -> None:
                return None

            def __exit__(self, kind, exc, tb) -> bool:
                if exc is not None and isinstance(exc, _OOM) and trainer.device.type == "cuda":
                    used = int(torch.cuda.max_memory_allocated(trainer.device))
                    cap = int(torch.cuda.get_device_properties(trainer.device).total_memory)
                    err = bigmodel.oom_advice(trainer.cfg, trainer.gc, used, cap, trainer.memory_estimate,
                                              trainer.quantization, step)
                    err.detail = str(exc)
                    raise err from None
                return False

        return Guard()

    def _finish(self, stopped: bool, last: dict[str, float]) -> dict:
        if stopped:
            self.emit("log", level="info", code="stop_requested",
                      message=f"{self.stop.reason}: stopping after step {self.step}, saving a checkpoint and the adapter")
        cks = checkpoints(self.job)
        # Also at the end: re-running a finished job then resumes at its last step and does nothing.
        if self.step > 0 and not (cks and cks[-1].name == f"step-{self.step:06d}"):
            self._save_checkpoint()
        adapter = self.job / "adapter"
        tmp = self.job / "adapter.tmp"
        if self.main:
            shutil.rmtree(tmp, ignore_errors=True)
        self._barrier()
        self._save_adapter(tmp)
        if self.main:
            self.tok.save_pretrained(str(tmp))
            shutil.rmtree(adapter, ignore_errors=True)
            os.replace(tmp, adapter)
        self._barrier()
        self._status("stopped" if stopped else "done", step=self.step, adapter=str(adapter))
        return self.emit("done", command="dpo", stopped=stopped, output=str(adapter), adapter=str(adapter),
                         step=self.step, total_steps=self.total_steps,
                         metrics={k: v for k, v in last.items() if isinstance(v, (int, float))})


def disable_dropout(model: torch.nn.Module) -> None:
    """As TRL's disable_dropout_in_model: every Dropout module (LoRA's included) passes its input through,
    so chosen and rejected rows see the same network and a pair with equal sides has zero gradient."""
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0


def differs_from_trl(cfg: DPOConfig, stats: Any) -> dict[str, Any]:
    """Where this run does something TRL 1.16's DPOTrainer would not do with the same settings: StyleTune's
    own choices, recorded in the `started` event (empty: TRL's behaviour throughout)."""
    out: dict[str, Any] = {}
    if stats.chat_template and not stats.conversational:
        out["apply_chat_template"] = "on: text pairs rendered as a user and an assistant turn"
    if cfg.system_prompt:
        out["system_prompt"] = "prepended as a system turn" if stats.chat_template else "prepended as plain text"
    if cfg.truncate_prompt_to is not None:
        out["truncate_prompt_to"] = cfg.truncate_prompt_to
    if not cfg.disable_dropout:
        out["disable_dropout"] = False
    if cfg.loss_type == "conservative":
        out["loss_type"] = "conservative: sigmoid with label_smoothing (conservative DPO)"
    if stats.identical_skipped:
        out["identical_pairs_skipped"] = stats.identical_skipped
    return out


# torch.OutOfMemoryError is torch >= 2.5's name; a GPU image may carry an older torch.
_OOM = getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda:{device.index or 0} ({torch.cuda.get_device_name(device)})"
    return device.type


def _gpu_mem(device: torch.device) -> int | None:
    return int(torch.cuda.max_memory_allocated(device)) if device.type == "cuda" else None


def run_dpo(cfg: DPOConfig, emit: Emitter, stop: StopFlag | None = None,
            on_setup: Callable[[DPOTrainer], None] | None = None) -> dict:
    """Runs a whole job; raises WorkerError (marked failed in status.json) on any failure."""
    trainer = DPOTrainer(cfg, emit, stop)
    try:
        try:
            with trainer.stop.loading():
                trainer.setup()
        except Stopped as e:
            return stopped_before_training(Path(cfg.output_dir), emit, str(e))
        if on_setup:
            on_setup(trainer)
        return trainer.train()
    except BaseException as e:
        if Path(cfg.output_dir).is_dir() and getattr(trainer, "main", True):
            from .events import classify

            err = classify(e)
            write_status(Path(cfg.output_dir), "failed", kind=err.kind, message=err.message)
        raise
    finally:
        trainer.end()
