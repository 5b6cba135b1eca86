"""Job files checked completely before anything loads: types without coercion, ranges, relations, all
problems at once with their place; pairs with identical sides; max_length too small; a dead worker's
status.json repaired. The five bad job files of issue 16 run through the real CLI, as a user would."""
import json
import subprocess
import sys

import pytest

from conftest import job_config, run_cli, run_inprocess
from styletune_trainer.config import DPOConfig
from styletune_trainer.events import WorkerError
from styletune_trainer.jobdir import repair_status, write_status


def _job(tmp_path, model, data, text_over: str = "", **over):
    """A job file written as text, so the test controls each key's line."""
    cfg = job_config(model, data, tmp_path / "job", max_steps=1, **over)
    body = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in cfg.items())
    path = tmp_path / "job.tune.json"
    path.write_text("{\n" + body + (",\n  " + text_over if text_over else "") + "\n}\n")
    return path


def _identical(tmp_path, n_same: int, n: int = 4):
    lines = [{"prompt": f"Question {i}?", "chosen": f"Answer {i}, friend!",
              "rejected": f"Answer {i}, friend!" if i < n_same else f"The answer is {i}."} for i in range(n)]
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


# The five bad job files of issue 16's "Done when", each: (extra keys, pairs, kind, words in the message, hint).
BAD = {
    "string learning rate": ('"learning_rate": "1e-4"', None, "config",
                             ['`learning_rate` must be a number, got the string "1e-4"'], '"learning_rate": 1e-4'),
    "string beta": ('"beta": "0.1"', None, "config", ['`beta` must be a number, got the string "0.1"'], '"beta": 0.1'),
    "string max_length": ('"max_length": "512"', None, "config",
                          ['`max_length` must be an integer or null, got the string "512"'], '"max_length": 512'),
    "learning_rate true": ('"learning_rate": true', None, "config", ["`learning_rate` must be a number, got true"],
                           "not numbers"),
    "chosen = rejected everywhere": ("", "all", "data", ["`chosen` equals `rejected` in every pair (4 pairs"],
                                     "differs"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_job_file_is_a_clear_error_naming_the_field(name, tiny_model, pairs32, tmp_path):
    extra, pairs, kind, needles, hint = BAD[name]
    data = _identical(tmp_path, 4) if pairs == "all" else pairs32
    # The same key twice would be ambiguous: drop the fixture's own value of the key under test.
    key = extra.split(":")[0].strip('"') if extra else None
    over = {key: None} if key else {}
    path = _job(tmp_path, tiny_model, data, extra, **over)
    if key:  # write the file without the fixture's value of that key
        text = path.read_text().replace(f'  "{key}": null,\n', "")
        path.write_text(text)
    rc, events, stderr = run_cli(["dpo", "--config", str(path)])
    assert rc == 1
    err = events[-1]
    assert err["event"] == "error" and err["kind"] == kind, err
    for needle in needles:
        assert needle in err["message"], err["message"]
    assert hint in err["hint"]
    assert "Traceback" not in stderr and "detail" not in err
    assert "train.log" not in err["hint"]
    if kind == "config":
        # Found before anything loads: no job folder, no torch import, and the place of the key.
        assert not (tmp_path / "job").exists()
        line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith(f'  "{key}"'))
        assert f"{path}:{line}:3: " in err["message"]


def test_every_problem_at_once_with_its_line_and_column(tmp_path):
    path = tmp_path / "job.tune.json"
    path.write_text('{\n  "model": "m",\n  "train_file": "t",\n  "output_dir": "o",\n  "learning_rate": true,\n'
                    '  "beta": "0.1",\n  "max_steps": null,\n  "lora_dropout": "0.05",\n  "max_prompt_length": 64,\n'
                    '  "warmup_ratio": 1.5,\n  "lerning_rate": 1e-4\n}\n')
    with pytest.raises(WorkerError) as e:
        DPOConfig.from_file(path)
    m = e.value.message
    assert m.startswith(f"{path}: 7 problems: ")
    for part in ['5:3: `learning_rate` must be a number, got true', '6:3: `beta` must be a number, got the string "0.1"',
                 "7:3: `max_steps` must be an integer, got null", '8:3: `lora_dropout` must be a number, got the string',
                 "9:3: `max_prompt_length` is not a setting any more", "10:3: `warmup_ratio` must be in [0, 1), got 1.5",
                 "11:3: unknown config key `lerning_rate`"]:
        assert part in m, (part, m)
    assert "truncate_prompt_to" in e.value.hint and "Leave `max_steps` out" in e.value.hint
    assert "Did you mean `learning_rate`?" in e.value.hint


@pytest.mark.parametrize("over,needle", [
    ({"max_steps": 0}, "`max_steps` must be -1"),
    ({"max_length": 4}, "`max_length` 4 leaves no room"),
    ({"truncate_prompt_to": 64, "max_length": 64}, "`truncate_prompt_to` (64) must be smaller than max_length (64)"),
    ({"label_smoothing": 0.1}, "`label_smoothing` 0.1 has no effect on loss_type sigmoid"),
    ({"per_device_train_batch_size": 2.5}, "`per_device_train_batch_size` must be an integer, got 2.5"),
    ({"lora_target_modules": [1]}, "`lora_target_modules` must be a string or a list of strings, got a list"),
    ({"seed": False}, "`seed` must be an integer, got false"),
])
def test_ranges_and_relations(over, needle):
    with pytest.raises(WorkerError) as e:
        DPOConfig.from_dict({"model": "m", "train_file": "t", "output_dir": "o", **over})
    assert e.value.kind == "config" and needle in e.value.message, e.value.message


def test_well_typed_values_pass_and_integral_numbers_are_integers():
    cfg = DPOConfig.from_dict({"model": "m", "train_file": "t", "output_dir": "o", "max_length": 512.0,
                               "learning_rate": 1, "loss_type": "conservative", "label_smoothing": 0.1})
    assert cfg.max_length == 512 and isinstance(cfg.max_length, int) and cfg.learning_rate == 1.0


def test_some_identical_pairs_are_skipped_with_a_count(tiny_model, tmp_path):
    data = _identical(tmp_path, 2, n=6)
    events, result = run_inprocess(job_config(tiny_model, data, tmp_path / "job", max_steps=1,
                                              per_device_train_batch_size=2, gradient_accumulation_steps=1))
    assert not isinstance(result, WorkerError), result
    skipped = next(e for e in events if e["event"] == "log" and e["code"] == "pairs_skipped")
    assert skipped["level"] == "warning" and "skipped 2 pair(s) whose chosen equals rejected (lines 1, 2)" in skipped["message"]
    st = next(e for e in events if e["event"] == "started")
    assert st["dataset"]["train_pairs"] == 4 and st["dataset"]["identical_skipped"] == 2
    assert st["differs_from_trl"]["identical_pairs_skipped"] == 2


def test_max_length_below_every_prompt_is_refused_and_long_prompts_are_left_out(tiny_model, pairs32, tmp_path):
    events, result = run_inprocess(job_config(tiny_model, pairs32, tmp_path / "a", max_length=8, truncate_prompt_to=None))
    assert isinstance(result, WorkerError) and result.kind == "config"
    assert "`max_length` 8 is too small for every pair" in result.message and "Raise max_length above" in result.hint
    # A max_length between the prompt lengths: the longer prompts are left out (as TRL) and said so, and most
    # pairs lose their end, which is warned about.
    events, result = run_inprocess(job_config(tiny_model, pairs32, tmp_path / "b", max_length=40, truncate_prompt_to=None,
                                              max_steps=1))
    assert not isinstance(result, WorkerError), result
    st = next(e for e in events if e["event"] == "started")["dataset"]
    assert st["pairs_dropped"] > 0 and st["train_pairs"] == 32 - st["pairs_dropped"]
    codes = {e.get("code"): e for e in events if e["event"] == "log"}
    assert "pairs_dropped" in codes and f"left out {st['pairs_dropped']} of 32 pairs" in codes["pairs_dropped"]["message"]
    assert "truncation" in codes and codes["truncation"]["level"] == "warning"


def test_dead_workers_status_is_repaired_by_the_next_reader(tmp_path):
    job = tmp_path / "job"
    job.mkdir()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that no longer runs
    (job / "status.json").write_text(json.dumps({"state": "running", "pid": gone.pid, "token": "x", "time": 1}))
    (job / "checkpoints" / "step-000004").mkdir(parents=True)
    repaired = repair_status(job)
    status = json.loads((job / "status.json").read_text())
    assert status == repaired and status["state"] == "failed" and status["kind"] == "crashed"
    assert f"pid {gone.pid}" in status["message"] and "Resume continues from step 4" in status["message"]
    assert repair_status(job) is None  # nothing left to repair
    write_status(job, "running")  # this very process: alive, left alone
    assert repair_status(job) is None and json.loads((job / "status.json").read_text())["state"] == "running"


def test_worker_repairs_a_dead_runs_status_and_refuses_a_live_one(tiny_model, pairs32, tmp_path):
    job = tmp_path / "job"
    job.mkdir()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        from styletune_trainer.jobdir import process_start_token

        (job / "status.json").write_text(json.dumps({"state": "running", "pid": live.pid,
                                                     "token": process_start_token(live.pid), "time": 1}))
        cfg = tmp_path / "job.json"
        cfg.write_text(json.dumps(job_config(tiny_model, pairs32, job, max_steps=1)))
        rc, events, _ = run_cli(["dpo", "--config", str(cfg)])
        assert rc == 1 and events[-1]["kind"] == "config" and f"pid {live.pid}) is running this job" in events[-1]["message"]
    finally:
        live.kill()
        live.wait()
    rc, events, _ = run_cli(["dpo", "--config", str(cfg)])
    assert rc == 0, events[-1]
    died = next(e for e in events if e["event"] == "log" and e.get("code") == "previous_run_died")
    assert f"pid {live.pid}" in died["message"] and died["level"] == "warning"
    assert json.loads((job / "status.json").read_text())["state"] == "done"


def test_an_internal_error_before_the_job_folder_exists_does_not_point_at_its_train_log(tmp_path):
    from styletune_trainer.events import Emitter, classify

    try:
        {}["x"]
    except KeyError as e:
        bug = e
    events: list[dict] = []
    emit = Emitter(sink=events.append)
    emit.error(classify(bug))
    assert "train.log" not in events[-1]["hint"] and "stderr" in events[-1]["hint"] and events[-1]["detail"]
    emit.attach_job(tmp_path / "job")  # once the folder is there, its train.log has the traceback
    emit.error(classify(bug))
    emit.close()
    assert "train.log" in events[-1]["hint"] and "Traceback" in (tmp_path / "job" / "train.log").read_text()
