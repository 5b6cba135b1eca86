"""Preference data: TRL's format in, token ids with the prompt masked out.

    pairs = read_pairs("pairs.jsonl")                    # validated dicts, errors name file:line
    examples, stats = tokenize_pairs(pairs, tokenizer, cfg)
    batch = collate(examples[:4], pad_id)                # 2B rows: chosen rows, then rejected rows

A line is `{"prompt"?, "chosen", "rejected"}` where each is a string (text) or a list of
`{"role", "content"}` messages (conversational). Without `prompt`, conversational pairs share their
longest common prefix of messages as the prompt, as TRL does.

Chat templates: the prompt is rendered with `add_generation_prompt=True` and the completion is what
the full rendering adds after it, so the template's own end-of-turn token ends each completion and
no second EOS is appended. Rendered text already carries the BOS, so it is tokenized without
special tokens; that is what prevents the doubled BOS of Llama 3 style tokenizers.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .events import WorkerError

FORMAT_HINT = ('Each line must be a JSON object in TRL preference format: {"prompt": "...", "chosen": "...", '
               '"rejected": "..."} with strings, or with lists of {"role": ..., "content": ...} messages.')


@dataclass
class Example:
    prompt: list[int]
    chosen: list[int]  # completion only
    rejected: list[int]


@dataclass
class DataStats:
    train_pairs: int = 0
    prompts_truncated: int = 0  # cut by truncate_prompt_to
    completions_truncated: int = 0  # pairs whose chosen or rejected sequence was cut at max_length
    pairs_dropped: int = 0  # left out: the prompt alone reaches max_length (as TRL)
    identical_skipped: int = 0  # left out: chosen equals rejected, nothing to learn
    conversational: bool = False
    chat_template: bool = False
    tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def is_messages(x: Any) -> bool:
    """A chat message list: dicts with a string role and string content (the worker's readers share it)."""
    return isinstance(x, list) and all(
        isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str) for m in x)


@dataclass
class ReadReport:
    """Lines of a labeler file that are not pairs (yet), so the caller can say what it left out."""
    unlabeled: list[int] = field(default_factory=list)
    no_preference: list[int] = field(default_factory=list)  # labeled tie or skip
    identical: list[int] = field(default_factory=list)  # chosen equals rejected
    ranked_lines: int = 0
    ranked_pairs: int = 0

    def summary(self, path: Path) -> str | None:
        parts = []
        if self.unlabeled:
            parts.append(f"skipped {len(self.unlabeled)} unlabeled line(s) ({_lines(self.unlabeled)})")
        if self.no_preference:
            parts.append(f"skipped {len(self.no_preference)} line(s) labeled tie or skip ({_lines(self.no_preference)})")
        if self.identical:
            parts.append(f"skipped {len(self.identical)} pair(s) whose chosen equals rejected ({_lines(self.identical)})")
        if self.ranked_lines:
            parts.append(f"{self.ranked_lines} ranked line(s) gave {self.ranked_pairs} pairs")
        return f"{path.name}: " + "; ".join(parts) if parts else None


def read_prompts_file(path: Path, text_lines: bool = False) -> list[Any]:
    """The prompts of a file, one per non-blank line: a JSONL line's "prompt" or "messages" (or the value
    itself), or with `text_lines` the line as plain text. Shapes are checked by the caller."""
    prompts: list[Any] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        if text_lines:
            prompts.append(line.strip())
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise WorkerError("data", f"{path}:{n}:{e.colno}: not valid JSON: {e.msg}",
                              'Each line must be {"prompt": "..."} or {"messages": [...]}.') from None
        prompts.append(rec.get("prompt", rec.get("messages")) if isinstance(rec, dict) else rec)
    return prompts


def _lines(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return f"lines {shown}{', …' if len(numbers) > 10 else ''}"


def read_pairs(path: str | Path, max_samples: int | None = None,
               report: ReadReport | None = None) -> list[dict[str, Any]]:
    """Pairs of a TRL file or of a file the StyleTune labeler writes. Labeler lines that carry no
    preference (unlabeled `responses`, tie, skip) are left out and listed in `report`; a ranked line
    gives every pair of its ranking (`pairs`), not only best-vs-worst."""
    path = Path(path)
    report = report if report is not None else ReadReport()
    if not path.is_file():
        raise WorkerError("data", f"training data not found: {path}", "Set train_file to a JSONL file of preference pairs.")
    pairs: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise WorkerError("data", f"{where}:{e.colno}: not valid JSON: {e.msg}", FORMAT_HINT) from None
            for pair in _labeler_pairs(rec, n, report):
                pair = _check_pair(pair, where)
                if _same(pair["chosen"], pair["rejected"]):
                    report.identical.append(n)  # no preference to learn; with dropout off, a zero gradient
                    continue
                pairs.append(pair)
                if max_samples is not None and len(pairs) >= max_samples:
                    break
            if max_samples is not None and len(pairs) >= max_samples:
                break
    if not pairs and report.identical and not (report.unlabeled or report.no_preference):
        raise WorkerError("data", f"{path}: `chosen` equals `rejected` in every pair ({len(report.identical)} "
                          f"pairs, {_lines(report.identical)}): there is no preference to learn",
                          "Each pair needs a preferred response (chosen) that differs from the other (rejected); "
                          "check how the file was made, e.g. that chosen and rejected were not both taken from the "
                          "same field.")
    if not pairs:
        why = f" ({report.summary(path)})" if report.summary(path) else ""
        raise WorkerError("data", f"{path}: no preference pairs in the file{why}", FORMAT_HINT)
    return pairs


def _labeler_pairs(rec: Any, n: int, report: ReadReport) -> list[Any]:
    """The pairs one line stands for (see src/core/labeling.ts for the labeler's line formats)."""
    if not isinstance(rec, dict) or "chosen" in rec or "rejected" in rec:
        if isinstance(rec, dict) and isinstance(rec.get("pairs"), list) and rec["pairs"]:
            report.ranked_lines += 1
            report.ranked_pairs += len(rec["pairs"])
            return [{**({"prompt": rec["prompt"]} if "prompt" in rec else {}), **p} if isinstance(p, dict) else p
                    for p in rec["pairs"]]
        return [rec]
    label = rec.get("label")
    if isinstance(label, dict) and label.get("choice") in ("tie", "skip"):
        report.no_preference.append(n)
        return []
    if "responses" in rec and not label:
        report.unlabeled.append(n)
        return []
    return [rec]  # reported by _check_pair as a missing `chosen`


def _same(a: Any, b: Any) -> bool:
    return a.strip() == b.strip() if isinstance(a, str) and isinstance(b, str) else a == b


def _check_pair(rec: Any, where: str) -> dict[str, Any]:
    if not isinstance(rec, dict):
        raise WorkerError("data", f"{where}: expected a JSON object, got {type(rec).__name__}", FORMAT_HINT)
    for k in ("chosen", "rejected"):
        if k not in rec:
            raise WorkerError("data", f"{where}: `{k}` is missing", FORMAT_HINT)
    keys = [k for k in ("prompt", "chosen", "rejected") if k in rec]
    kinds = {k: "text" if isinstance(rec[k], str) else "messages" if is_messages(rec[k]) else None for k in keys}
    for k, kind in kinds.items():
        if kind is None:
            raise WorkerError("data", f"{where}: `{k}` must be a string or a list of messages, got "
                              f"{type(rec[k]).__name__}", FORMAT_HINT)
    if len(set(kinds.values())) > 1:
        raise WorkerError("data", f"{where}: mixes text and message lists ({kinds})",
                          "Use strings for all of prompt/chosen/rejected, or message lists for all of them.")
    conversational = kinds["chosen"] == "messages"
    prompt, chosen, rejected = rec.get("prompt"), rec["chosen"], rec["rejected"]
    if conversational and prompt is None:
        i = 0
        while i < min(len(chosen), len(rejected)) - 1 and chosen[i] == rejected[i]:
            i += 1
        prompt, chosen, rejected = chosen[:i], chosen[i:], rejected[i:]
    if prompt is None:
        raise WorkerError("data", f"{where}: text pairs need a `prompt`",
                          "Add the prompt text, or give chosen/rejected as message lists that share the prompt turns.")
    if not chosen or not rejected or (not conversational and not (chosen.strip() and rejected.strip())):
        raise WorkerError("data", f"{where}: `chosen` and `rejected` must not be empty", FORMAT_HINT)
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected, "conversational": conversational}


def _render(tok, prompt_msgs: list[dict], completion_msgs: list[dict]) -> tuple[str, str]:
    prompt_text = tok.apply_chat_template(prompt_msgs, tokenize=False, add_generation_prompt=True)
    full = tok.apply_chat_template(prompt_msgs + completion_msgs, tokenize=False)
    if not full.startswith(prompt_text):
        raise WorkerError("data", "the chat template renders the prompt differently once a response follows it",
                          "This template cannot be split into prompt and completion; use text pairs with "
                          "apply_chat_template: off, or a model whose template is prefix-stable.")
    return prompt_text, full[len(prompt_text):]


def render_prompt(tok, prompt: Any, use_template: bool, system_prompt: str | None = None) -> list[int]:
    """Prompt token ids, as the model sees them before its response (also used by `generate`)."""
    if use_template:
        msgs = prompt if isinstance(prompt, list) else [{"role": "user", "content": prompt}]
        if system_prompt and not (msgs and msgs[0]["role"] == "system"):
            msgs = [{"role": "system", "content": system_prompt}] + msgs
        text = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        return _dedup_bos(tok, tok(text, add_special_tokens=False).input_ids)
    # No template to carry a system prompt: it goes before the prompt as plain text rather than being lost.
    text = f"{system_prompt}\n\n{prompt}" if system_prompt else prompt
    return _dedup_bos(tok, tok(text, add_special_tokens=True).input_ids)


def _dedup_bos(tok, ids: list[int]) -> list[int]:
    bos = tok.bos_token_id
    while bos is not None and len(ids) > 1 and ids[0] == bos and ids[1] == bos:
        ids = ids[1:]
    return ids


def use_chat_template(tok, mode: str, conversational: bool) -> bool:
    """For `generate`: whether a prompt is rendered with the chat template (auto: whenever there is one)."""
    has = bool(getattr(tok, "chat_template", None))
    if mode == "off":
        if conversational:
            raise WorkerError("config", "apply_chat_template is off but the data is conversational",
                              "Message lists need the model's chat template; set apply_chat_template: auto.")
        return False
    if not has and (mode == "on" or conversational):
        raise WorkerError("data" if conversational else "config",
                          "the model's tokenizer has no chat template",
                          "Use a chat (instruct) model, add a chat_template to its tokenizer_config.json, or give "
                          "text pairs with apply_chat_template: off.")
    return has


def training_uses_template(tok, mode: str, conversational: bool) -> bool:
    """For training, as TRL 1.16: the chat template for conversational pairs, text pairs raw. `on` (StyleTune's
    own) also wraps text pairs as a user turn and an assistant turn."""
    if mode == "auto" and not conversational:
        return False
    return use_chat_template(tok, mode, conversational)


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _tokenize_trl(tok, prompt: Any, chosen: Any, rejected: Any, template: bool) -> tuple[list[int], list[int], list[int]]:
    """Prompt and completions as TRL 1.16's DPOTrainer tokenizes them: prompt+completion in one piece (so
    tokens merge across the boundary as they do at inference), the completion starting where the tokenized
    prompt and prompt+completion diverge. Text completions get the EOS appended as text, when missing."""
    if template:
        ids = lambda msgs, gen=False: tok.apply_chat_template(  # noqa: E731
            msgs, tokenize=True, add_generation_prompt=gen, return_dict=True)["input_ids"]
        prompt_ids, pc, pr = ids(prompt, True), ids(prompt + chosen), ids(prompt + rejected)
    else:
        eos = tok.eos_token
        chosen = chosen if chosen.endswith(eos) else chosen + eos
        rejected = rejected if rejected.endswith(eos) else rejected + eos
        prompt_ids = tok(text=prompt).input_ids
        pc, pr = tok(text=prompt + chosen).input_ids, tok(text=prompt + rejected).input_ids
    n = min(_common_prefix(prompt_ids, pc), _common_prefix(prompt_ids, pr))
    return prompt_ids[:n], pc[n:], pr[n:]


def tokenize_pairs(pairs: list[dict[str, Any]], tok, cfg) -> tuple[list[Example], DataStats]:
    """Token ids of every pair, as TRL 1.16 makes them by default (see _tokenize_trl); pairs whose prompt
    alone reaches max_length are left out, as TRL does, and counted in the stats."""
    conversational = pairs[0]["conversational"]
    if any(p["conversational"] != conversational for p in pairs):
        raise WorkerError("data", "the file mixes text and conversational pairs",
                          "Use one format for the whole file.")
    template = training_uses_template(tok, cfg.apply_chat_template, conversational)
    if tok.eos_token_id is None:
        raise WorkerError("config", "the tokenizer has no eos_token",
                          "Set eos_token in the model's tokenizer_config.json.")
    stats = DataStats(conversational=conversational, chat_template=template)
    max_len, cut = cfg.max_length, getattr(cfg, "truncate_prompt_to", None)
    examples: list[Example] = []
    shortest_prompt: int | None = None
    for p in pairs:
        prompt, chosen, rejected = p["prompt"], p["chosen"], p["rejected"]
        system = cfg.system_prompt
        if template:
            if not conversational:
                prompt = [{"role": "user", "content": prompt}]
                chosen, rejected = [{"role": "assistant", "content": chosen}], [{"role": "assistant", "content": rejected}]
            if system and not (prompt and prompt[0]["role"] == "system"):
                prompt = [{"role": "system", "content": system}] + prompt
        elif system:
            # No template to carry a system prompt: it goes before the prompt as plain text rather than being lost.
            prompt = f"{system}\n\n{prompt}"
        prompt_ids, chosen_ids, rejected_ids = _tokenize_trl(tok, prompt, chosen, rejected, template)
        if cut is not None and len(prompt_ids) > cut:
            # StyleTune's own prompt cut: keep the end (the last turns matter most) and the BOS.
            keep_bos = tok.bos_token_id is not None and prompt_ids[:1] == [tok.bos_token_id]
            prompt_ids = prompt_ids[:1] + prompt_ids[len(prompt_ids) - cut + 1:] if keep_bos \
                else prompt_ids[len(prompt_ids) - cut:]
            stats.prompts_truncated += 1
        if max_len is not None:
            shortest_prompt = len(prompt_ids) if shortest_prompt is None else min(shortest_prompt, len(prompt_ids))
            if len(prompt_ids) >= max_len:
                stats.pairs_dropped += 1  # TRL: the completion would be cut away entirely
                continue
            if len(prompt_ids) + max(len(chosen_ids), len(rejected_ids)) > max_len:
                chosen_ids, rejected_ids = (c[: max_len - len(prompt_ids)] for c in (chosen_ids, rejected_ids))
                stats.completions_truncated += 1
        examples.append(Example(prompt_ids, chosen_ids, rejected_ids))
        stats.tokens += 2 * len(prompt_ids) + len(chosen_ids) + len(rejected_ids)
    stats.train_pairs = len(examples)
    if not examples:
        raise WorkerError("config", f"`max_length` {max_len} is too small for every pair: the shortest prompt alone "
                          f"is {shortest_prompt} tokens, so no response token would be trained on",
                          f"Raise max_length above {shortest_prompt} (the default is 1024), or set truncate_prompt_to "
                          "to cut long prompts from the left.")
    return examples, stats


def collate(examples: list[Example], pad_id: int, padding_free: bool = False) -> dict[str, torch.Tensor]:
    """Rows 0..B-1 are prompt+chosen, rows B..2B-1 prompt+rejected. `labels` is -100 outside completions;
    `seq` says which of the 2B sequences each token belongs to (-1 on padding).

    padding_free packs the 2B sequences into one row; `position_ids` restart at 0 for each sequence,
    which the model's attention turns into a block-diagonal causal mask, so no compute goes to pads.
    """
    seqs = [e.prompt + e.chosen for e in examples] + [e.prompt + e.rejected for e in examples]
    plens = [len(e.prompt) for e in examples] * 2
    if padding_free:
        ids, pos, labels, seq = [], [], [], []
        for i, (s, pl) in enumerate(zip(seqs, plens)):
            ids += s
            pos += range(len(s))
            labels += [-100] * pl + s[pl:]
            seq += [i] * len(s)
        t = lambda x: torch.tensor([x], dtype=torch.long)  # noqa: E731
        return {"input_ids": t(ids), "position_ids": t(pos), "labels": t(labels), "seq": t(seq)}
    width = max(len(s) for s in seqs)
    n = len(seqs)
    input_ids = torch.full((n, width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((n, width), dtype=torch.long)
    labels = torch.full((n, width), -100, dtype=torch.long)
    seq = torch.full((n, width), -1, dtype=torch.long)
    for i, (s, pl) in enumerate(zip(seqs, plens)):
        input_ids[i, : len(s)] = torch.tensor(s)
        attention_mask[i, : len(s)] = 1
        labels[i, pl: len(s)] = torch.tensor(s[pl:])
        seq[i, : len(s)] = i
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels, "seq": seq}
