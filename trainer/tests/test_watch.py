"""Eval set and style probe (watch.py) on the tiny model and real human-like-dpo pairs."""
import json
import math

import pytest

from conftest import job_config, progress, run_inprocess, shared_pairs

PROMPTS = ["How was your weekend?", "Can you explain what DNS does?", [{"role": "user", "content": "Any tips for a job interview?"}]]


def evals(events):
    return [e for e in events if e["event"] == "eval"]


def probes(events):
    return [e for e in events if e["event"] == "probe"]


def test_eval_split_holds_pairs_out_and_reports_every_eval_steps(tiny_model, tmp_path):
    data = shared_pairs(40, tmp_path / "pairs.jsonl")
    events, done = run_inprocess(job_config(tiny_model, data, tmp_path / "job", max_steps=6, save_steps=100,
                                            eval_split=0.2, eval_steps=2, lora_dropout=0.0))
    assert not isinstance(done, Exception), done
    started = next(e for e in events if e["event"] == "started")
    assert started["dataset"]["train_pairs"] == 32  # 8 of 40 held out
    ev = evals(events)
    assert [e["step"] for e in ev] == [2, 4, 6] and all(e["pairs"] == 8 for e in ev)
    # The eval event follows its step's progress event, so a reader draws both at once.
    kinds = [(e["event"], e.get("step")) for e in events if e["event"] in ("progress", "eval")]
    assert kinds.index(("eval", 2)) == kinds.index(("progress", 2)) + 1
    # Training fits the train pairs; held-out loss moves off ln 2 too (same style), and accuracy is a share.
    assert all(0 <= e["rewards/accuracies"] <= 1 for e in ev)
    assert ev[-1]["loss"] != pytest.approx(math.log(2), abs=1e-3)
    assert ev[-1]["rewards/margins"] == pytest.approx(ev[-1]["rewards/chosen"] - ev[-1]["rewards/rejected"], abs=1e-5)


def test_eval_split_does_not_change_with_the_run(tiny_model, tmp_path):
    """The same seed holds out the same pairs: a resumed run evaluates what the first one did."""
    from styletune_trainer.config import DPOConfig
    from styletune_trainer.watch import split_eval

    data = shared_pairs(40, tmp_path / "pairs.jsonl")
    pairs = [json.loads(line) for line in data.read_text().splitlines()]
    cfg = DPOConfig.from_dict(job_config(tiny_model, data, tmp_path / "job", eval_split=0.25))
    a_train, a_eval = split_eval(cfg, pairs)
    b_train, b_eval = split_eval(cfg, pairs)
    assert a_eval == b_eval and len(a_eval) == 10 and len(a_train) == 30
    assert not any(p in a_train for p in a_eval)
    cfg.seed += 1
    assert split_eval(cfg, pairs)[1] != a_eval


def test_eval_at_step_zero_equals_ln2_with_eval_file(tiny_model, tmp_path):
    """Before any update the policy is the reference: eval loss ln 2 and margins 0 exactly (eval_steps 1 at step 1
    has moved once; so compare the first eval with a zero-lr run instead)."""
    data = shared_pairs(16, tmp_path / "pairs.jsonl")
    held = shared_pairs(24, tmp_path / "all.jsonl").read_text().splitlines()[16:]
    (tmp_path / "eval.jsonl").write_text("\n".join(held) + "\n")
    events, done = run_inprocess(job_config(tiny_model, data, tmp_path / "job", max_steps=2, learning_rate=1e-12,
                                            eval_file=str(tmp_path / "eval.jsonl"), lora_dropout=0.0))
    ev = evals(events)
    assert [e["step"] for e in ev] == [1, 2] and ev[0]["pairs"] == 8  # eval_steps defaults to logging_steps
    assert ev[0]["loss"] == pytest.approx(math.log(2), abs=1e-5)
    assert ev[0]["rewards/margins"] == pytest.approx(0, abs=1e-5)


def test_probe_answers_the_same_prompts_greedily_at_step_zero_and_every_probe_steps(tiny_model, tmp_path):
    data = shared_pairs(32, tmp_path / "pairs.jsonl")
    cfg = job_config(tiny_model, data, tmp_path / "job", max_steps=5, save_steps=100, probe_prompts=PROMPTS,
                     probe_steps=2, probe_max_new_tokens=12, learning_rate=5e-2)
    events, done = run_inprocess(cfg)
    assert not isinstance(done, Exception), done
    pr = probes(events)
    assert [e["step"] for e in pr] == [0, 2, 4, 5]  # step 0 (the base model), every 2, and the last
    for e in pr:
        assert [r["index"] for r in e["replies"]] == [0, 1, 2]
        assert [r["prompt"] for r in e["replies"]] == PROMPTS
        assert all(0 < r["tokens"] <= 12 and isinstance(r["text"], str) for r in e["replies"])
        assert e["max_new_tokens"] == 12
    # Step 0 comes before the first training step.
    order = [e["event"] for e in events if e["event"] in ("probe", "progress")]
    assert order[:2] == ["probe", "progress"]
    # Greedy with a fixed seed: a second run's step-0 replies are the same text.
    again, _ = run_inprocess({**cfg, "output_dir": str(tmp_path / "job2"), "max_steps": 1})
    assert probes(again)[0]["replies"] == pr[0]["replies"]
    # Training at a high rate moves the replies: the probe shows the model changing.
    assert [r["text"] for r in pr[-1]["replies"]] != [r["text"] for r in pr[0]["replies"]]
    # The probe does not change training: the same losses as without it.
    plain, _ = run_inprocess({k: v for k, v in cfg.items() if not k.startswith("probe")} | {"output_dir": str(tmp_path / "job3")})
    assert [e["loss"] for e in progress(events)] == pytest.approx([e["loss"] for e in progress(plain)], rel=1e-6)


def test_probe_prompts_from_a_file(tiny_model, tmp_path):
    data = shared_pairs(8, tmp_path / "pairs.jsonl")
    (tmp_path / "probe.txt").write_text("Hi there!\n\nWhat is a good book?\n")
    events, _ = run_inprocess(job_config(tiny_model, data, tmp_path / "job", max_steps=1, probe_prompts=str(tmp_path / "probe.txt"),
                                         probe_max_new_tokens=4))
    assert [r["prompt"] for r in probes(events)[0]["replies"]] == ["Hi there!", "What is a good book?"]
    # probe_steps default: about ten probes over the run; with 1 step, step 0 and step 1.
    assert [e["step"] for e in probes(events)] == [0, 1]


@pytest.mark.parametrize("over, field", [
    (dict(eval_split=1.5), "eval_split"),
    (dict(eval_split="0.1"), "eval_split"),
    (dict(eval_split=0.1, eval_file="x.jsonl"), "not both"),
    (dict(eval_strategy="epoch", eval_split=0.1), "eval_strategy"),
    (dict(eval_strategy="steps"), "needs an eval set"),
    (dict(eval_steps=0, eval_split=0.1), "eval_steps"),
    (dict(probe_prompts=[]), "probe_prompts"),
    (dict(probe_prompts=["ok"], probe_steps="5"), "probe_steps"),
    (dict(probe_steps=5), "probe_prompts is not"),
    (dict(probe_prompts=["ok", 3]), "probe prompt 1"),
])
def test_bad_watch_fields_are_config_errors(tiny_model, tmp_path, over, field):
    from styletune_trainer.events import WorkerError

    data = shared_pairs(8, tmp_path / "pairs.jsonl")
    _, err = run_inprocess(job_config(tiny_model, data, tmp_path / "job", max_steps=1, **over))
    assert isinstance(err, WorkerError) and err.kind == "config" and field in err.message, err


def test_probe_renders_text_prompts_as_the_training_prompts_were(tiny_model, tmp_path):
    """Text pairs train raw (TRL's default), so a text probe prompt is asked raw too; a message list goes
    through the chat template."""
    from styletune_trainer.config import DPOConfig
    from styletune_trainer.dpo import DPOTrainer
    from styletune_trainer.events import Emitter

    data = shared_pairs(8, tmp_path / "pairs.jsonl")
    t = DPOTrainer(DPOConfig.from_dict(job_config(tiny_model, data, tmp_path / "job", max_steps=1, probe_prompts=PROMPTS)),
                   Emitter())
    t.setup()
    assert not t.stats.chat_template
    assert t.watch.probe_ids[0] == t.tok(text=PROMPTS[0]).input_ids
    assert "assistant" in t.tok.decode(t.watch.probe_ids[2]) and "assistant" not in t.tok.decode(t.watch.probe_ids[0])


def test_a_resumed_run_gives_the_step_zero_baseline_again(tiny_model, tmp_path):
    """The job view and styletune tune compare every probe with step 0. A resumed run starts at step N, so it
    gives the baseline again first: the first run's step-0 replies when it probed the same prompts (kept),
    else answered with the adapter disabled, which is the step-0 model (recomputed), equal to a fresh step 0."""
    data = shared_pairs(32, tmp_path / "pairs.jsonl")
    cfg = job_config(tiny_model, data, tmp_path / "kept", max_steps=4, save_steps=2, probe_prompts=PROMPTS, probe_steps=2,
                     probe_max_new_tokens=8, learning_rate=5e-2)
    first, done = run_inprocess(cfg, stop_at=2)
    assert done["stopped"] is True and done["step"] == 2
    base = probes(first)[0]
    assert base["step"] == 0 and "baseline" not in base
    second, done = run_inprocess(cfg)
    assert done["stopped"] is False and done["step"] == 4
    pr = probes(second)
    assert [e["step"] for e in pr] == [0, 4]
    assert pr[0]["baseline"] == "kept" and pr[0]["replies"] == base["replies"]
    order = [e["event"] for e in second if e["event"] in ("probe", "progress")]
    assert order[:2] == ["probe", "progress"], "the baseline comes before the resumed run's first step"
    # The job folder holds both runs; its readers take the last event of a step, the same replies.
    on_disk = [json.loads(line) for line in (tmp_path / "kept" / "events.jsonl").read_text().splitlines()]
    assert [(e["step"], e.get("baseline")) for e in on_disk if e["event"] == "probe"] == [(0, None), (2, None), (0, "kept"), (4, None)]

    # The first run did not probe (probe_prompts may be added on resume): step 0 is answered again.
    plain = {k: v for k, v in cfg.items() if not k.startswith("probe")} | {"output_dir": str(tmp_path / "recomputed")}
    first, done = run_inprocess(plain, stop_at=2)
    assert done["stopped"] is True and not probes(first)
    second, done = run_inprocess({**cfg, "output_dir": plain["output_dir"]})
    pr = probes(second)
    assert [e["step"] for e in pr] == [0, 4] and pr[0]["baseline"] == "recomputed"
    assert pr[0]["replies"] == base["replies"], "the adapter disabled is the step-0 model"
    assert [r["text"] for r in pr[1]["replies"]] != [r["text"] for r in pr[0]["replies"]], "and not the trained one"
    # Other probe settings than the first run's: answered again, not kept.
    third, _ = run_inprocess({**cfg, "probe_max_new_tokens": 6, "max_steps": 4})
    assert probes(third)[0]["baseline"] == "recomputed" and probes(third)[0]["max_new_tokens"] == 6
