"""The local judge (`python -m styletune_trainer judge`) with a tiny model: a ratings file the TypeScript
side reads (same statements, same transcript hashes), ratings in [1, 5], bad lines reported, events valid."""
from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import REPO, run_cli

from styletune_trainer.judge import HAL_STATEMENTS

# Hashes computed by the TypeScript side (src/core/judge/ratings.ts sideHash) for the lines below.
FIXTURE = [
    ({"messages": [{"role": "user", "content": "hey, how was the weekend?"},
                   {"role": "assistant", "content": "honestly pretty chill lol\r\nslept a lot"}]},
     {"dialogue": "ef5f2ffd65feeacd6b22750008d182da07b7efe18bfd4a2f6f5a6ffa1969fbce"}),
    ({"prompt": "whats ur fav food", "chosen": "pizza obv", "rejected": "As an AI, I do not eat food."},
     {"chosen": "a8d325ee842aa559695c7eea9453354086dce0906c74092fcf39e109649e9e69",
      "rejected": "18e621f71efe721e3ec9bff5ac7beb9cc3e7eefc9c3fbaa3c60fee9471241949"}),
    ({"human": {"messages": [{"role": "user", "content": "are you human?"}, {"role": "assistant", "content": "yeah lol"}]},
      "ai": {"messages": [{"role": "user", "content": "are you human?"},
                          {"role": "assistant", "content": "Yes, I am a human. 😊"}]}},
     {"human": "38063824e18c10a964784771a3ba8db3389357b5c78f3fe44e00788b677ae084",
      "ai": "a7ef6563a263cf063af3a30ae32dc87704965d7dc9d0530ce096c3597d1fe950"}),
]


def test_statements_match_the_typescript_list():
    ts = (REPO / "src" / "core" / "judge" / "traits.ts").read_text(encoding="utf-8")
    block = ts[ts.index("HAL_STATEMENTS: readonly string[] = ["):ts.index("];", ts.index("HAL_STATEMENTS"))]
    found = [a or b for a, b in re.findall(r"^\s*'((?:[^'\\]|\\.)*)',|^\s*\"((?:[^\"\\]|\\.)*)\",", block, re.M)]
    assert found == HAL_STATEMENTS
    assert len(HAL_STATEMENTS) == 32


def run_per_line(command: str, model: Path, src: Path, out: Path) -> tuple[dict, list[str]]:
    """Runs `judge` or `checklist` (one loop in the worker) on CPU and checks it started and finished;
    returns the done event's metrics and the warnings it logged about bad lines."""
    code, events, stderr = run_cli([command, "--model", str(model), "--input", str(src), "--output", str(out),
                                    "--device", "cpu"])
    assert code == 0, stderr
    assert events[0]["event"] == "started" and events[0]["command"] == command
    assert events[-1]["event"] == "done"
    return events[-1]["metrics"], [e["message"] for e in events if e["event"] == "log"]


def test_judge_rates_every_side_with_the_typescript_hashes(tiny_model: Path, tmp_path: Path):
    src = tmp_path / "chats.jsonl"
    src.write_text("\n".join([*(json.dumps(rec, ensure_ascii=False) for rec, _ in FIXTURE), '{"messages": 3}', "{oops"])
                   + "\n", encoding="utf-8")
    out = tmp_path / "chats.ratings.jsonl"
    metrics, warnings = run_per_line("judge", tiny_model, src, out)
    assert metrics == {"rated": 5, "failed_lines": 2}
    assert warnings == [f"{src}:4:1: expected an object with `messages`, `chosen`/`rejected`, or `human`/`ai`",
                        f"{src}:5:1: not valid JSON: Expecting property name enclosed in double quotes"]

    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["line"] for line in lines] == [1, 2, 3, 4, 5]
    for line, (_, hashes) in zip(lines, FIXTURE):
        sides = {"dialogue": line} if "dialogue" in hashes else {name: line[name] for name in hashes}
        for name, side in sides.items():
            assert side["sha256"] == hashes[name]
            assert len(side["ratings"]) == 32
            assert all(1.0 <= r <= 5.0 for r in side["ratings"])
    assert "error" in lines[3] and "error" in lines[4]

    # Deterministic: the same model rates the same text the same way.
    again = tmp_path / "again.jsonl"
    run_per_line("judge", tiny_model, src, again)
    assert again.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def test_missing_input_is_a_data_error(tiny_model: Path, tmp_path: Path):
    code, events, _ = run_cli(["judge", "--model", str(tiny_model), "--input", str(tmp_path / "nope.jsonl"),
                               "--output", str(tmp_path / "r.jsonl")])
    assert code == 1
    assert events[-1]["event"] == "error" and events[-1]["kind"] == "data"
    assert "input file not found" in events[-1]["message"]


def test_checklist_answers_every_request_in_order(tiny_model: Path, tmp_path: Path):
    convo = [{"role": "user", "content": "any plans tonight?"}, {"role": "assistant", "content": "prob netflix lol"}]
    requests = [
        {"messages": convo, "role": "assistant", "statements": ['Laughs with "lol"', "Uses formal phrasing"]},
        {"messages": convo, "role": "user", "statements": ["Asks a question"]},
        {"messages": convo, "statements": []},
    ]
    src = tmp_path / "checks.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in requests) + "\n{oops\n", encoding="utf-8")
    out = tmp_path / "answers.jsonl"
    metrics, warnings = run_per_line("checklist", tiny_model, src, out)
    assert metrics == {"checked": 2, "failed_lines": 2}
    assert warnings == [
        f"{src}:3:1: `statements` must be a non-empty list of strings",
        f"{src}:4:1: not valid JSON: Expecting property name enclosed in double quotes"]
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["line"] for line in lines] == [1, 2, 3, 4]
    for line, n in zip(lines[:2], (2, 1)):
        assert line["judge"] == f"local:{tiny_model.name}"
        assert len(line["p_yes"]) == n and all(0.0 <= p <= 1.0 for p in line["p_yes"])
        assert line["answers"] == [p > 0.5 for p in line["p_yes"]]
    assert "error" in lines[2] and "error" in lines[3]
    # The rated side matters: the same statement about the other speaker is another question.
    again = tmp_path / "again.jsonl"
    src.write_text(json.dumps({**requests[0], "role": "user"}) + "\n", encoding="utf-8")
    run_per_line("checklist", tiny_model, src, again)
    assert json.loads(again.read_text(encoding="utf-8"))["p_yes"] != lines[0]["p_yes"]
