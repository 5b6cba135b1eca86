"""A local judge: rates conversations on HAL's 32 statements, or checks them against checklist items,
with a causal LM, no endpoint needed.

    python -m styletune_trainer judge --model MODEL_DIR --input chats.jsonl --output chats.ratings.jsonl
    python -m styletune_trainer checklist --model MODEL_DIR --input checks.jsonl --output answers.jsonl

For each statement the model reads the conversation, the statement and "1 (not at all) to 5
(completely)", and the rating is the expected value of its next-token distribution over the digits
1-5 (a number in [1, 5], not rounded: the spread carries information a single digit would drop).

The output is the ratings file `styletune judge` writes (src/core/judge/ratings.ts), so
`styletune fit --judge-ratings` and `score --judge-ratings` read it: one line per input line, each side
with the sha256 of its transcript, rendered exactly as src/core/judge/prompt.ts renders it (the rated
role is SPEAKER, everyone else PARTNER). A line that cannot be read gets {"line", "error"} and a `log`
event; the run goes on.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

from .data import is_messages
from .events import Emitter, WorkerError
from .modeling import check_model_dir, load_model, load_tokenizer

PROMPT_VERSION = "hal32-local-v1"

# HAL's 32 statements in rating order; the same text as HAL_STATEMENTS in src/core/judge/traits.ts
# (tests/test_judge.py checks that they agree).
HAL_STATEMENTS = [
    "Gives brief, casual replies rather than long, complete ones.",
    "Uses slang, abbreviations and texting shorthand.",
    "Writes in lowercase, like casual texting.",
    "Has typos and loose or missing punctuation.",
    'Uses emojis, emoticons or elongated words ("sooo").',
    "Avoids formal or academic formatting (lists, headings, structured paragraphs).",
    "Uses idiomatic, everyday phrasing.",
    "Shows playful humor.",
    "Has a spontaneous, opinionated tone.",
    "Makes niche cultural references.",
    "Gives simple personal reasons for choices.",
    "Expresses small emotions or judgments.",
    "Has idiosyncratic personal preferences.",
    "Clarifies or corrects itself.",
    "Hedges and shows imperfect recall.",
    "Admits not knowing something.",
    "Builds on the other person's message.",
    "Steers the topic of the conversation.",
    "Shifts topics organically.",
    "Asks context-aware follow-up questions.",
    "Shows brief empathy.",
    "Uses brief polite closings.",
    "Keeps a consistent personal context.",
    "Answers directly, with situational detail.",
    "Makes no meta-commentary about being an AI.",
    "References recent activities.",
    "Gives specific, non-templated details.",
    "Shares personal experiences and feelings.",
    "Gives concrete answers about itself.",
    "Mentions plans and specific times.",
    "Mentions local places.",
    "Mentions small details of daily life.",
]


def render_transcript(messages: list[dict], role: str) -> str:
    """Same text as renderTranscript in src/core/judge/prompt.ts (the hash joins ratings to data)."""
    lines = []
    for m in messages:
        content = m["content"].replace("\r\n", "\n").replace("\r", "\n")
        lines.append(f"{'SPEAKER' if m['role'] == role else 'PARTNER'}: {content}")
    return "\n".join(lines)


def _turns(turns: Any, role: str) -> list[dict]:
    return [{"role": role, "content": turns}] if isinstance(turns, str) else turns


def record_sides(rec: Any, role: str) -> list[tuple[str, list[dict]]]:
    """(side name, messages) as recordSides in src/core/judge/ratings.ts; ValueError for a bad line."""
    if not isinstance(rec, dict):
        raise ValueError("a line must be a JSON object")
    if "human" in rec and "ai" in rec:
        sides = []
        for name in ("human", "ai"):
            msgs = rec[name].get("messages") if isinstance(rec[name], dict) else None
            if not is_messages(msgs):
                raise ValueError(f"`{name}.messages` must be a list of {{role, content}} messages")
            sides.append((name, msgs))
        return sides
    if "chosen" in rec or "rejected" in rec:
        prompt = rec.get("prompt")
        before: list[dict] = []
        if isinstance(prompt, str):
            before = [{"role": "partner" if role == "user" else "user", "content": prompt}]
        elif prompt is not None:
            if not is_messages(prompt):
                raise ValueError("`prompt` must be a string or a list of messages")
            before = prompt
        sides = []
        for name in ("chosen", "rejected"):
            v = rec.get(name)
            if not (isinstance(v, str) or is_messages(v)):
                raise ValueError(f"`{name}` must be a string or a list of messages")
            sides.append((name, before + _turns(v, role)))
        return sides
    if is_messages(rec.get("messages")):
        return [("dialogue", rec["messages"])]
    raise ValueError("expected an object with `messages`, `chosen`/`rejected`, or `human`/`ai`")


def _yes_no_question(transcript: str, statement: str) -> str:
    return (f"Conversation:\n{transcript}\n\nStatement about SPEAKER: {statement}\n"
            "Is the statement true of SPEAKER? Answer yes or no.")


def _question(transcript: str, statement: str) -> str:
    return (f"Conversation:\n{transcript}\n\nStatement about SPEAKER: {statement}\n"
            "How well does the statement describe SPEAKER, from 1 (not at all) to 5 (completely)? "
            "Answer with one digit.")


class LocalJudge:
    def __init__(self, model_dir: str, device: str = "auto", batch_size: int = 8):
        check_model_dir(model_dir)
        self.device = torch.device("cuda" if device != "cpu" and torch.cuda.is_available() else "cpu")
        dtype = torch.bfloat16 if self.device.type == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
        self.tok = load_tokenizer(model_dir)
        self.tok.padding_side = "left"
        self.model = load_model(model_dir, dtype, self.device).eval()
        self.batch_size = batch_size
        self.digits = []
        for d in "12345":
            ids = self.tok.encode(d, add_special_tokens=False)
            if len(ids) != 1:
                raise WorkerError("environment", f"the tokenizer splits the digit {d} into {len(ids)} tokens",
                                  "Use a judge model whose tokenizer has single-token digits 1-5.")
            self.digits.append(ids[0])

        # Yes and no as the answer's first token, either case: "Yes", "yes" (a tokenizer may split the
        # word; its first piece still tells the two apart).
        self.yes = sorted({self.tok.encode(w, add_special_tokens=False)[0] for w in ("yes", "Yes")})
        self.no = sorted({self.tok.encode(w, add_special_tokens=False)[0] for w in ("no", "No")})
        if set(self.yes) & set(self.no):
            raise WorkerError("environment", "the tokenizer starts 'yes' and 'no' with the same token",
                              "Use a judge model whose tokenizer tells yes from no in one token.")

    def _prompt(self, question: str, answer: str) -> str:
        if getattr(self.tok, "chat_template", None):
            return self.tok.apply_chat_template([{"role": "user", "content": question}], tokenize=False,
                                                add_generation_prompt=True) + answer
        return question + "\n" + answer

    def _last_logits(self, prompts: list[str]):
        """Next-token logits after each prompt, in batches."""
        for i in range(0, len(prompts), self.batch_size):
            # The chat template already carries BOS where the family wants one.
            enc = self.tok(prompts[i:i + self.batch_size], return_tensors="pt", padding=True,
                           add_special_tokens=not getattr(self.tok, "chat_template", None)).to(self.device)
            yield self.model(**enc).logits[:, -1, :].float()

    @torch.no_grad()
    def rate(self, messages: list[dict], role: str) -> list[float]:
        transcript = render_transcript(messages, role)
        prompts = [self._prompt(_question(transcript, s), "Rating: ") for s in HAL_STATEMENTS]
        out: list[float] = []
        values = torch.arange(1, 6, dtype=torch.float32)
        for logits in self._last_logits(prompts):
            p = torch.softmax(logits[:, self.digits], dim=-1).cpu()
            out.extend((p * values).sum(-1).tolist())
        return [round(min(5.0, max(1.0, v)), 4) for v in out]

    @torch.no_grad()
    def check(self, messages: list[dict], role: str, statements: list[str]) -> list[float]:
        """P(yes) per statement: the next-token probability of yes over yes + no."""
        transcript = render_transcript(messages, role)
        prompts = [self._prompt(_yes_no_question(transcript, s), "Answer: ") for s in statements]
        out: list[float] = []
        for logits in self._last_logits(prompts):
            p = torch.softmax(logits, dim=-1)
            yes = p[:, self.yes].sum(-1)
            out.extend((yes / (yes + p[:, self.no].sum(-1))).cpu().tolist())
        return [round(v, 4) for v in out]


def _answer_each_line(command: str, counted: str, model: str, input_path: str, output: str, emit: Emitter,
                      device: str, stop, answer) -> dict:
    """The loop `judge` and `checklist` share: load the model once, answer every non-blank input line
    with `answer(judge, value, n)` -> (output line as a dict, conversations answered), and write one
    output line per input line, atomically. A line `answer` rejects (ValueError) or that is not JSON gets
    {"line", "error"} and a `log` warning; the run goes on. Stopped by a signal, it keeps what it has."""
    src = Path(input_path)
    if not src.is_file():
        raise WorkerError("data", f"input file not found: {src}", "Pass --input FILE.jsonl.")
    judge = LocalJudge(model, device)
    emit("started", command=command, device=str(judge.device), model=model, num_processes=1,
         model_type=judge.model.config.model_type)
    lines: list[str] = []
    answered = failed = 0
    stopped = False
    for n, raw in enumerate(src.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        if stop is not None and stop.requested:
            stopped = True
            break
        try:
            out, k = answer(judge, json.loads(raw), n)
        except (json.JSONDecodeError, ValueError) as e:
            msg = f"not valid JSON: {e.msg}" if isinstance(e, json.JSONDecodeError) else str(e)
            emit("log", level="warning", message=f"{src}:{n}:1: {msg}")
            lines.append(json.dumps({"line": n, "error": msg}))
            failed += 1
            continue
        lines.append(json.dumps(out, ensure_ascii=False))
        answered += k
    tmp = Path(output).with_name(Path(output).name + ".tmp")
    tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    tmp.replace(output)
    metrics = {counted: answered, "failed_lines": failed}
    emit("done", command=command, stopped=stopped, output=str(Path(output).resolve()), metrics=metrics)
    return metrics


def run_judge(model: str, input_path: str, output: str, emit: Emitter, role: str = "assistant",
              device: str = "auto", stop=None) -> dict:
    name = f"local:{Path(model).name}"

    def rate(judge: LocalJudge, rec: Any, n: int) -> tuple[dict, int]:
        sides = record_sides(rec, role)
        out: dict[str, Any] = {"line": n, "judge": name, "prompt": PROMPT_VERSION}
        for side, msgs in sides:
            digest = hashlib.sha256(render_transcript(msgs, role).encode("utf-8")).hexdigest()
            entry = {"sha256": digest, "ratings": judge.rate(msgs, role)}
            if side == "dialogue":
                out.update(entry)
            else:
                out[side] = entry
        return out, len(sides)

    return _answer_each_line("judge", "rated", model, input_path, output, emit, device, stop, rate)


def _check_request(rec: Any) -> tuple[list[dict], str, list[str]]:
    if not isinstance(rec, dict):
        raise ValueError("a request must be a JSON object")
    if not is_messages(rec.get("messages")):
        raise ValueError("`messages` must be a list of {role, content} messages")
    statements = rec.get("statements")
    if not (isinstance(statements, list) and statements and all(isinstance(x, str) for x in statements)):
        raise ValueError("`statements` must be a non-empty list of strings")
    role = rec.get("role", "assistant")
    if not isinstance(role, str):
        raise ValueError("`role` must be a string")
    return rec["messages"], role, statements


def run_checklist(model: str, input_path: str, output: str, emit: Emitter, device: str = "auto", stop=None) -> dict:
    """Checklist items for many conversations at once, so the model loads once per run.

    Input: one request per line, {"messages", "role", "statements": [...]} (src/core/checklist/local.ts
    writes it). Output: one line per request in the same order, {"line", "judge", "p_yes": [...],
    "answers": [true/false]} (yes when P(yes) > 0.5), or {"line", "error"} with a `log` event.
    """
    name = f"local:{Path(model).name}"

    def check(judge: LocalJudge, rec: Any, n: int) -> tuple[dict, int]:
        messages, role, statements = _check_request(rec)
        p_yes = judge.check(messages, role, statements)
        return {"line": n, "judge": name, "p_yes": p_yes, "answers": [p > 0.5 for p in p_yes]}, 1

    return _answer_each_line("checklist", "checked", model, input_path, output, emit, device, stop, check)
