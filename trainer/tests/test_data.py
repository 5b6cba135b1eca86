"""Tokenization: chat template without doubled BOS/EOS, prompt masking, truncation counts, formats."""
import json

import pytest
import torch

from styletune_trainer.config import DPOConfig
from styletune_trainer.data import ReadReport, collate, read_pairs, tokenize_pairs
from styletune_trainer.events import WorkerError
from styletune_trainer.modeling import load_tokenizer


def _cfg(**kw):
    return DPOConfig.from_dict({"model": "m", "train_file": "d", "output_dir": "o", **kw})


@pytest.mark.parametrize("arch", ["tiny_model", "tiny_qwen"])
def test_template_has_one_bos_and_one_eos_per_completion(arch, request, pairs32):
    tok = load_tokenizer(request.getfixturevalue(arch))
    examples, stats = tokenize_pairs(read_pairs(pairs32, 8), tok, _cfg(max_length=None, apply_chat_template="on"))
    assert stats.chat_template and not stats.conversational and stats.train_pairs == 8
    for e in examples:
        full = e.prompt + e.chosen
        if tok.bos_token_id is not None:
            assert full.count(tok.bos_token_id) == 1 and full[0] == tok.bos_token_id
        for comp in (e.chosen, e.rejected):
            assert comp.count(tok.eos_token_id) == 1
            # The template ends the turn; Qwen's ChatML adds a newline after <|im_end|>.
            assert tok.decode(comp[comp.index(tok.eos_token_id):]).strip() == tok.eos_token
        assert "assistant" in tok.decode(e.prompt[-6:])  # the generation prompt belongs to the prompt


@pytest.mark.parametrize("arch", ["tiny_model", "tiny_qwen"])
def test_text_pairs_are_fed_raw_and_tokenized_with_their_prompt_as_trl_does(arch, request, tmp_path):
    """TRL 1.16: no chat template for text pairs, EOS appended as text, prompt + completion tokenized in one
    piece (a prompt ending in a space merges with the completion's first word), prompt not cut."""
    tok = load_tokenizer(request.getfixturevalue(arch))
    assert tok.chat_template  # the template exists, and is still not used for text pairs
    prompt, chosen, rejected = "How are you? ", "I am fine, thanks!", "I am functioning within normal parameters."
    f = tmp_path / "p.jsonl"
    f.write_text(json.dumps({"prompt": prompt, "chosen": chosen, "rejected": rejected}) + "\n")
    (e,), stats = tokenize_pairs(read_pairs(f), tok, _cfg())
    assert not stats.chat_template and stats.prompts_truncated == 0
    for completion, ids in ((chosen, e.chosen), (rejected, e.rejected)):
        assert e.prompt + ids == tok(text=prompt + completion + tok.eos_token).input_ids
    assert len(e.prompt) < len(tok(text=prompt).input_ids) or not prompt.endswith(" ")  # the space merged forward
    assert "assistant" not in tok.decode(e.prompt + e.chosen)


def test_text_mode_appends_eos_once_and_tokenizer_adds_bos(tiny_model, tmp_path):
    tok = load_tokenizer(tiny_model)
    f = tmp_path / "p.jsonl"
    f.write_text(json.dumps({"prompt": "Hi", "chosen": "Hey there!", "rejected": "Greetings." + tok.eos_token}) + "\n")
    (e,), stats = tokenize_pairs(read_pairs(f), tok, _cfg(apply_chat_template="off"))
    assert not stats.chat_template
    assert e.prompt[0] == tok.bos_token_id and e.prompt.count(tok.bos_token_id) == 1
    assert e.chosen[-1] == tok.eos_token_id and e.chosen.count(tok.eos_token_id) == 1
    assert e.rejected.count(tok.eos_token_id) == 1


def test_conversational_implicit_prompt_is_shared_prefix(tiny_model, tmp_path):
    tok = load_tokenizer(tiny_model)
    user = {"role": "user", "content": "What's up?"}
    f = tmp_path / "p.jsonl"
    f.write_text(json.dumps({"chosen": [user, {"role": "assistant", "content": "Not much, you?"}],
                             "rejected": [user, {"role": "assistant", "content": "I am an AI."}]}) + "\n")
    (pair,) = read_pairs(f)
    assert pair["prompt"] == [user] and pair["conversational"]
    (e,), stats = tokenize_pairs([pair], tok, _cfg())
    assert stats.conversational
    assert tok.decode(e.chosen).startswith("Not much, you?")
    assert "What's up?" in tok.decode(e.prompt) and "What's up?" not in tok.decode(e.chosen)


def test_truncation_counts_and_keeps_bos(tiny_model, pairs32):
    tok = load_tokenizer(tiny_model)
    pairs = read_pairs(pairs32)
    examples, stats = tokenize_pairs(pairs, tok, _cfg(max_length=40, truncate_prompt_to=12))
    full, _ = tokenize_pairs(pairs, tok, _cfg(max_length=None, truncate_prompt_to=None))
    assert stats.prompts_truncated == sum(len(e.prompt) > 12 for e in full) > 0
    assert stats.completions_truncated == sum(
        min(len(e.prompt), 12) + max(len(e.chosen), len(e.rejected)) > 40 for e in full) > 0
    for e, f in zip(examples, full):
        assert len(e.prompt) <= 12 and e.prompt[0] == tok.bos_token_id
        assert e.prompt[1:] == f.prompt[len(f.prompt) - len(e.prompt) + 1:]  # the end is kept
        assert len(e.prompt) + len(e.chosen) <= 40 and len(e.prompt) + len(e.rejected) <= 40


def test_collate_masks_prompt_and_padding(tiny_model, pairs32):
    tok = load_tokenizer(tiny_model)
    examples, _ = tokenize_pairs(read_pairs(pairs32, 3), tok, _cfg())
    b = collate(examples, tok.pad_token_id)
    assert b["input_ids"].shape[0] == 6
    for i, e in enumerate(examples):
        row = b["labels"][i]
        assert (row[: len(e.prompt)] == -100).all()
        assert row[len(e.prompt): len(e.prompt) + len(e.chosen)].tolist() == e.chosen
        assert (row[len(e.prompt) + len(e.chosen):] == -100).all()
    packed = collate(examples, tok.pad_token_id, padding_free=True)
    assert packed["input_ids"].shape == (1, int(b["attention_mask"].sum()))
    assert torch.equal(packed["labels"][packed["labels"] != -100], b["labels"][b["labels"] != -100])


@pytest.mark.parametrize("line,needle", [
    ('{"prompt": "hi", "chosen": "a"', "not valid JSON"),
    ('{"prompt": "hi", "chosen": "a"}', "`rejected` is missing"),
    ('{"prompt": "hi", "chosen": 3, "rejected": "b"}', "`chosen` must be a string or a list of messages"),
    ('["hi"]', "expected a JSON object"),
])
def test_malformed_lines_name_file_and_line(tmp_path, line, needle):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"prompt": "ok", "chosen": "a", "rejected": "b"}\n' + line + "\n")
    with pytest.raises(WorkerError) as ei:
        read_pairs(f)
    assert ei.value.kind == "data" and f"{f}:2" in ei.value.message and needle in ei.value.message
    assert "TRL preference format" in ei.value.hint or "strings" in ei.value.hint


def test_labeler_file_trains_on_decisions_and_reports_the_rest(tmp_path):
    # Line shapes as src/core/labeling.ts writes them (see its header).
    meta = {"time": "2026-11-22T05:00:00Z", "annotator": "ann"}
    lines = [
        {"prompt": "p1", "responses": ["a", "b"]},                                              # unlabeled
        {"prompt": "p2", "responses": ["a", "b"], "chosen": "b", "rejected": "a", "label": {"choice": "2", **meta}},
        {"prompt": "p3", "responses": ["a", "b"], "label": {"choice": "tie", **meta}},
        {"prompt": "p4", "responses": ["a", "b"], "label": {"choice": "skip", **meta}},
        {"prompt": "p5", "responses": ["x", "y", "z"], "chosen": "z", "rejected": "y",
         "label": {"choice": "rank", "ranking": [3, 1, 2], **meta},
         "pairs": [{"chosen": "z", "rejected": "x"}, {"chosen": "z", "rejected": "y"}, {"chosen": "x", "rejected": "y"}]},
    ]
    f = tmp_path / "labels.jsonl"
    f.write_text("".join(json.dumps(l) + "\n" for l in lines))
    report = ReadReport()
    pairs = read_pairs(f, report=report)
    assert [(p["prompt"], p["chosen"], p["rejected"]) for p in pairs] == [
        ("p2", "b", "a"), ("p5", "z", "x"), ("p5", "z", "y"), ("p5", "x", "y")]
    assert report.unlabeled == [1] and report.no_preference == [3, 4]
    assert report.ranked_lines == 1 and report.ranked_pairs == 3
    assert report.summary(f) == ("labels.jsonl: skipped 1 unlabeled line(s) (lines 1); skipped 2 line(s) labeled "
                                 "tie or skip (lines 3, 4); 1 ranked line(s) gave 3 pairs")


def test_a_file_with_nothing_labeled_says_why_it_has_no_pairs(tmp_path):
    f = tmp_path / "todo.jsonl"
    f.write_text('{"prompt": "p", "responses": ["a", "b"]}\n')
    with pytest.raises(WorkerError) as ei:
        read_pairs(f)
    assert "no preference pairs" in ei.value.message and "skipped 1 unlabeled line(s)" in ei.value.message
