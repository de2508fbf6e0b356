"""Summarise a whole document, even one far longer than the model's context: split it into parts that fit n_ctx
(counted with the model's own tokenizer), summarise each part ("map"), then summarise the partial summaries
together ("reduce"), repeating the reduce while they still do not fit. Only the final pass is streamed. Qt-free."""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Union

from app.answer.prompts import PromptModel


class SummaryModel(PromptModel, Protocol):
    """What summarising needs from the model (LocalLLM satisfies it): what prompt building needs, and streaming."""

    def stream(self, prompt: str | list[dict], *, max_tokens: int, stop: Sequence[str],
               stop_event: threading.Event | None, temperature: float, lstrip: bool = ...) -> Iterator[str]: ...


@dataclass(frozen=True)
class SummaryProgress:
    stage: str  # "map" (summarising part `part` of `parts`) | "reduce" (combining `parts` summaries)
    part: int
    parts: int
    round: int = 1

    def describe(self) -> str:
        if self.stage == "map":
            return f"Summarising part {self.part} of {self.parts}…"
        return f"Combining {self.parts} partial summaries…"


@dataclass(frozen=True)
class SummaryToken:
    text: str


@dataclass(frozen=True)
class SummaryDone:
    summary: str
    parts: int  # parts of the original text
    rounds: int  # map/reduce rounds (1 = the text fitted, or one map + final combine)
    elapsed_ms: float
    cancelled: bool = False


SummaryEvent = Union[SummaryProgress, SummaryToken, SummaryDone]

_INSTRUCTION = "Summarize the text below in a few sentences. Keep names, numbers and conclusions.\n\n"
_COMBINE = "These are summaries of consecutive parts of one document. Combine them into one short summary.\n\n"
STOPS = ("\n\n", "Text:", "Summaries:", "<end_of_turn>", "<start_of_turn>")
_MARGIN = 8  # tokens kept free for the seams between prompt pieces


def document_text(path: str | Path) -> str:
    """The plain text of a document, parsed by the same parsers the indexer uses (raises ParseError with a reason)."""
    from indexer.parsers import parse_bytes

    p = Path(path)
    doc = parse_bytes(p.read_bytes(), p.name)
    return "\n\n".join(b.text.strip() for b in doc.blocks if b.text.strip())


def _prompt(llm: SummaryModel, body: str, combine: bool) -> str | list[dict]:
    label = "Summaries" if combine else "Text"
    instruction = _COMBINE if combine else _INSTRUCTION
    if llm.is_chat:
        return [{"role": "user", "content": f"{instruction}{label}:\n{body}"}]
    return f"{instruction}{label}:\n{body}\n\nSummary:"


def part_budget(llm: SummaryModel, summary_tokens: int, combine: bool = False) -> int:
    """How many tokens of text fit in one prompt next to the instruction and the summary it must leave room for."""
    overhead = llm.count_tokens(_prompt(llm, "", combine))
    budget = llm.n_ctx - overhead - summary_tokens - _MARGIN
    if budget < 64:
        raise ValueError(f"a {llm.n_ctx}-token context leaves no room to summarise (needs {summary_tokens} for the "
                         "summary); use a model with a longer context or a shorter summary")
    return budget


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _fitting_prefix(text: str, llm: SummaryModel, max_tokens: int) -> int:
    """The longest prefix (in characters, ending at a space when one is near) within max_tokens. Cut on the text
    itself rather than detokenised tokens, so the pieces join back to exactly the original."""
    lo, hi = 1, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if llm.count_text_tokens(text[:mid]) <= max_tokens:
            lo = mid
        else:
            hi = mid - 1
    space = text.rfind(" ", 0, lo + 1)
    return space if space > lo // 2 else lo


def split_by_tokens(text: str, llm: SummaryModel, max_tokens: int) -> list[str]:
    """Consecutive parts of `text`, each within max_tokens of the model's tokenizer. Splits at paragraphs, then at
    sentences, and only cuts inside a sentence when one sentence alone is too long. Nothing is dropped."""
    pieces: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        para = para.strip()
        if not para:
            continue
        if llm.count_text_tokens(para) <= max_tokens:
            pieces.append(para)
            continue
        for sentence in _SENTENCE.split(para):
            while sentence:
                if llm.count_text_tokens(sentence) <= max_tokens:
                    pieces.append(sentence)
                    break
                cut = _fitting_prefix(sentence, llm, max_tokens)
                pieces.append(sentence[:cut].rstrip())
                sentence = sentence[cut:].lstrip()
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for piece in pieces:
        cost = llm.count_text_tokens(piece) + 2  # + the blank line joining it
        if current and used + cost > max_tokens:
            parts.append("\n\n".join(current))
            current, used = [], 0
        current.append(piece)
        used += cost
    if current:
        parts.append("\n\n".join(current))
    # joining can add a token at a seam: re-check and split any part that ended up over the budget
    out: list[str] = []
    for part in parts:
        if llm.count_text_tokens(part) <= max_tokens or "\n\n" not in part:
            out.append(part if llm.count_text_tokens(part) <= max_tokens else llm.truncate_to_tokens(part, max_tokens))
        else:
            half = part.split("\n\n")
            mid = len(half) // 2
            out.extend(split_by_tokens("\n\n".join(half[:mid]), llm, max_tokens))
            out.extend(split_by_tokens("\n\n".join(half[mid:]), llm, max_tokens))
    return out


def _run(llm: SummaryModel, prompt: str | list[dict], max_tokens: int, stop_event: threading.Event | None,
         temperature: float) -> Iterator[str]:
    return llm.stream(prompt, max_tokens=max_tokens, stop=list(STOPS), stop_event=stop_event,
                      temperature=temperature, lstrip=True)


def summarize(text: str, llm: SummaryModel, *, summary_tokens: int = 200, part_summary_tokens: int | None = None,
              stop_event: threading.Event | None = None, temperature: float = 0.0,
              max_rounds: int = 4) -> Iterator[SummaryEvent]:
    """Yield SummaryProgress while parts are summarised, then SummaryToken pieces of the final summary, then one
    SummaryDone. Setting stop_event ends at the next token with cancelled=True."""
    t0 = time.perf_counter()
    text = text.strip()
    if not text:
        yield SummaryDone("The document has no text to summarise.", 0, 0, 0.0)
        return
    per_part = part_summary_tokens or max(48, min(160, summary_tokens))
    budget = part_budget(llm, summary_tokens)
    parts = split_by_tokens(text, llm, budget)
    n_parts, rounds = len(parts), 1
    body, combine = text, False
    while len(parts) > 1:
        if rounds > max_rounds:  # summaries refuse to shrink: keep what fits rather than loop forever
            body = llm.truncate_to_tokens("\n".join(parts), part_budget(llm, summary_tokens, combine=True))
            break
        partials: list[str] = []
        for i, part in enumerate(parts, start=1):
            yield SummaryProgress("map", i, len(parts), rounds)
            if stop_event is not None and stop_event.is_set():
                yield SummaryDone("", n_parts, rounds, (time.perf_counter() - t0) * 1000, cancelled=True)
                return
            prompt = _prompt(llm, part, combine)
            partial = "".join(_run(llm, prompt, per_part, stop_event, temperature)).strip()
            if partial:
                partials.append(" ".join(partial.split()))
        if stop_event is not None and stop_event.is_set():
            yield SummaryDone("", n_parts, rounds, (time.perf_counter() - t0) * 1000, cancelled=True)
            return
        combine = True
        joined = "\n".join(f"- {p}" for p in partials) or " "
        combine_budget = part_budget(llm, summary_tokens, combine=True)
        if llm.count_text_tokens(joined) <= combine_budget:
            body = joined
            yield SummaryProgress("reduce", 0, len(partials), rounds)
            break
        parts = split_by_tokens(joined, llm, combine_budget)
        rounds += 1
    else:
        body = parts[0] if parts else body
    pieces: list[str] = []
    for piece in _run(llm, _prompt(llm, body, combine), summary_tokens, stop_event, temperature):
        pieces.append(piece)
        yield SummaryToken(piece)
    cancelled = stop_event is not None and stop_event.is_set()
    summary = "".join(pieces).strip()
    if not summary and not cancelled and combine:  # the combine pass produced nothing: the partials are the summary
        summary = " ".join(body.replace("- ", "").split("\n"))
        yield SummaryToken(summary)
    yield SummaryDone(summary, n_parts, rounds, (time.perf_counter() - t0) * 1000, cancelled=cancelled)
