"""DPO training on the tiny model and real human-like-dpo pairs, in this process."""
import math

import pytest
import torch
from safetensors.torch import load_file, save_file

from conftest import job_config, progress, run_inprocess
from conftest import started as first_started
from styletune_trainer.dpo import lr_at


def test_accuracy_rises_and_margins_grow(tiny_model, pairs32, tmp_path):
    events, done = run_inprocess(job_config(tiny_model, pairs32, tmp_path / "job", max_steps=8, save_steps=100))
    assert done["event"] == "done" and not done["stopped"]
    steps = progress(events)
    assert [e["step"] for e in steps] == list(range(1, 9))
    # Step 1: the adapter's B matrices start at zero, so the policy equals the reference exactly.
    assert steps[0]["loss"] == pytest.approx(math.log(2), abs=1e-4)
    assert steps[0]["rewards/margins"] == pytest.approx(0, abs=1e-3)
    first, last = steps[:2], steps[-3:]
    mean = lambda xs, k: sum(e[k] for e in xs) / len(xs)  # noqa: E731
    assert mean(last, "rewards/accuracies") > mean(first, "rewards/accuracies") + 0.4
    assert mean(last, "rewards/margins") > mean(first, "rewards/margins") + 0.5
    assert mean(last, "loss") < 0.5
    started = first_started(events)
    assert started["event"] == "started" and started["dataset"]["train_pairs"] == 32
    assert 0 < started["parameters"]["trainable"] < started["parameters"]["total"]


def test_stop_then_resume_equals_uninterrupted(tiny_model, pairs32, tmp_path):
    full_events, _ = run_inprocess(job_config(tiny_model, pairs32, tmp_path / "a"))
    part_events, stopped = run_inprocess(job_config(tiny_model, pairs32, tmp_path / "b"), stop_at=3)
    assert stopped["stopped"] and stopped["step"] == 3
    assert (tmp_path / "b" / "checkpoints" / "step-000003" / "adapter_model.safetensors").is_file()
    assert (tmp_path / "b" / "adapter" / "adapter_model.safetensors").is_file()
    cache = tmp_path / "b" / "ref_logps.safetensors"
    mtime = cache.stat().st_mtime_ns
    resumed_events, done = run_inprocess(job_config(tiny_model, pairs32, tmp_path / "b"))
    assert not done["stopped"] and done["step"] == 6
    assert first_started(resumed_events)["resumed_from_step"] == 3
    codes = [e.get("code") for e in resumed_events if e["event"] == "log"]
    assert "ref_cache_hit" in codes and "ref_cache_miss" not in codes
    assert cache.stat().st_mtime_ns == mtime
    full = {e["step"]: e for e in progress(full_events)}
    after = progress(part_events) + progress(resumed_events)
    assert [e["step"] for e in after] == list(range(1, 7))
    for e in after:  # CPU float32 with per-step seeding: the same numbers, not merely close
        for k in ("loss", "rewards/margins", "logps/chosen", "grad_norm", "learning_rate"):
            assert e[k] == pytest.approx(full[e["step"]][k], rel=1e-5, abs=1e-6), (e["step"], k)


def test_reference_cache_is_what_the_loss_uses(tiny_model, pairs32, tmp_path):
    cfg = job_config(tiny_model, pairs32, tmp_path / "job", max_steps=1, lora_dropout=0.0)
    events, _ = run_inprocess(cfg)
    assert progress(events)[0]["loss"] == pytest.approx(math.log(2), abs=1e-4)
    # Lower every cached chosen reference log-prob by delta: if the cache is read (not recomputed),
    # step 1 sees logits = delta and the sigmoid loss becomes -log(sigmoid(beta * delta)).
    path = tmp_path / "job" / "ref_logps.safetensors"
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    t = load_file(str(path))
    save_file({"chosen": t["chosen"] - 5.0, "rejected": t["rejected"]}, str(path), metadata=meta)
    import shutil

    shutil.rmtree(tmp_path / "job" / "checkpoints")
    events, _ = run_inprocess(cfg)
    assert [e.get("code") for e in events if e["event"] == "log" and e.get("code") not in ("loading", "truncation")] \
        == ["ref_cache_hit"]
    expected = -torch.nn.functional.logsigmoid(torch.tensor(0.1 * 5.0)).item()
    assert progress(events)[0]["loss"] == pytest.approx(expected, abs=1e-4)


def test_cache_is_recomputed_when_the_data_changes(tiny_model, pairs32, tmp_path):
    run_inprocess(job_config(tiny_model, pairs32, tmp_path / "job", max_steps=1, max_train_samples=8))
    events, result = run_inprocess(job_config(tiny_model, pairs32, tmp_path / "job2", max_steps=1))
    assert [e.get("code") for e in events if e["event"] == "log" and e.get("code") not in ("loading", "truncation")] \
        == ["ref_cache_miss"]


@pytest.mark.parametrize("loss_type,first_loss", [("ipo", (1 / (2 * 0.1)) ** 2), ("hinge", 1.0)])
def test_other_losses_start_at_their_closed_form_and_decrease(tiny_model, pairs32, tmp_path, loss_type, first_loss):
    events, _ = run_inprocess(job_config(tiny_model, pairs32, tmp_path / "job", loss_type=loss_type,
                                         max_steps=4, lora_dropout=0.0))
    steps = progress(events)
    assert steps[0]["loss"] == pytest.approx(first_loss, rel=1e-3)
    assert steps[-1]["loss"] < steps[0]["loss"]


def test_padding_free_matches_padded(tiny_model, pairs32, tmp_path):
    a, _ = run_inprocess(job_config(tiny_model, pairs32, tmp_path / "a", max_steps=3))
    b, _ = run_inprocess(job_config(tiny_model, pairs32, tmp_path / "b", max_steps=3, padding_free=True))
    for x, y in zip(progress(a), progress(b)):
        assert x["loss"] == pytest.approx(y["loss"], abs=1e-4)
        assert x["logps/chosen"] == pytest.approx(y["logps/chosen"], rel=1e-4)


def test_adapter_loads_with_peft_and_changes_outputs(tiny_model, pairs32, tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    _, done = run_inprocess(job_config(tiny_model, pairs32, tmp_path / "job", max_steps=3))
    base = AutoModelForCausalLM.from_pretrained(str(tiny_model))
    ids = torch.tensor([[0, 5, 17, 99, 250]])
    with torch.no_grad():
        before = base(ids).logits
        tuned = PeftModel.from_pretrained(base, done["adapter"]).eval()
        after = tuned(ids).logits
    assert not torch.allclose(before, after, atol=1e-4)


def test_schedules():
    assert lr_at(0, 100, 10, 1.0, "linear") == 0.0
    assert lr_at(5, 100, 10, 1.0, "linear") == pytest.approx(0.5)
    assert lr_at(10, 100, 10, 1.0, "cosine") == pytest.approx(1.0)
    assert lr_at(55, 100, 10, 1.0, "cosine") == pytest.approx(0.5)
    assert lr_at(99, 100, 0, 1.0, "linear") == pytest.approx(0.01)
    assert lr_at(50, 100, 0, 2.0, "constant") == 2.0


def test_presets_follow_the_papers():
    from styletune_trainer.config import DPOConfig

    hal = DPOConfig.from_dict({"model": "m", "train_file": "d", "output_dir": "o", "preset": "hal"})
    assert (hal.beta, hal.lora_r, hal.lora_alpha, hal.lora_dropout, hal.learning_rate, hal.num_train_epochs) == \
        (0.1, 16, 32, 0.1, 5e-5, 10)
    assert hal.lora_target_modules == ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    h = DPOConfig.from_dict({"model": "m", "train_file": "d", "output_dir": "o", "preset": "human-like-dpo",
                             "learning_rate": 1e-4})
    assert (h.lora_r, h.lora_alpha, h.lora_dropout, h.lr_scheduler_type, h.num_train_epochs) == (8, 4, 0.05, "cosine", 1)
    assert h.lora_target_modules == "all-linear" and h.learning_rate == 1e-4  # the job's keys win


@pytest.mark.parametrize("disable", [True, False])
def test_dropout_is_off_by_default_so_a_pair_with_equal_sides_has_zero_gradient(tiny_model, pairs32, tmp_path, disable):
    """TRL's disable_dropout: chosen and rejected rows see the same network. With dropout on (StyleTune's old
    default), their LoRA inputs get different masks and an equal pair still trains (issue 16: grad_norm 1.09)."""
    from styletune_trainer.config import DPOConfig
    from styletune_trainer.data import Example, collate
    from styletune_trainer.dpo import DPOTrainer
    from styletune_trainer.events import Emitter
    from styletune_trainer.modeling import dpo_loss

    over = {} if disable else {"disable_dropout": False}
    cfg = DPOConfig.from_dict(job_config(tiny_model, pairs32, tmp_path / "job", lora_dropout=0.1, max_train_samples=4,
                                         **over))
    t = DPOTrainer(cfg, Emitter())
    t.setup()
    assert all(m.p == 0.0 for m in t.model.modules() if isinstance(m, torch.nn.Dropout)) == disable
    e = t.examples[0]
    batch = collate([Example(e.prompt, e.chosen, e.chosen)], t.tok.pad_token_id)
    t.model.train()
    torch.manual_seed(0)
    lp, _ = t.logps(**batch)
    zero = torch.zeros(1)
    loss, _, _ = dpo_loss(lp[:1], lp[1:], zero, zero, 0.1, "sigmoid")
    loss.sum().backward()
    norm = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in t.model.parameters() if p.grad is not None)).item()
    if disable:
        assert lp[0].item() == lp[1].item() and norm < 1e-4  # zero but for float rounding (~1e-6)
    else:
        assert norm > 1e-3


def test_label_smoothing_is_ignored_by_sigmoid_and_used_by_robust_and_conservative():
    from styletune_trainer.modeling import dpo_loss

    pc, pr, rc, rr = (torch.tensor([x]) for x in (2.0, 0.0, 0.0, 0.0))  # logits 2, beta 0.5: x = 1
    loss = {k: dpo_loss(pc, pr, rc, rr, 0.5, k, 0.1)[0].item() for k in ("sigmoid", "conservative", "robust")}
    s, f = -torch.nn.functional.logsigmoid(torch.tensor(1.0)).item(), -torch.nn.functional.logsigmoid(torch.tensor(-1.0)).item()
    assert loss["sigmoid"] == pytest.approx(s)  # TRL 1.16: label_smoothing plays no part
    assert loss["conservative"] == pytest.approx(0.9 * s + 0.1 * f)
    assert loss["robust"] == pytest.approx((0.9 * s - 0.1 * f) / 0.8)  # TRL 1.16's robust DPO
