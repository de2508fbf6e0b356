"""Answering a question over the user's documents, Qt-free: rewrite a follow-up, retrieve, refuse plainly when
nothing relevant was found (the model is never asked to answer from nothing), build the budgeted prompt, stream
tokens, and finish with the citation-cleaned answer and its sources. The GUI/CLI consume the event iterator."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, Union

from app.prompts import attribute, build_prompt, clean_citations, standalone_query
from indexer.hits import SearchHit

NOT_FOUND_ANSWER = "I couldn't find anything about that in your documents."
# Cosine similarity of all-MiniLM-L6-v2 (query vs chunk). On 300 SQuAD dev question/paragraph pairs the matching
# paragraph scored >= 0.30 for 98% of questions (median 0.61), while the best of 300 paragraphs for off-topic
# personal questions ("How much did I pay for car insurance?") passed 0.30 only 1 time in 10 (median 0.22).
DEFAULT_MIN_SIMILARITY = 0.30


class Retriever(Protocol):
    def search(self, query: str, k: int, *, scope: list[str] | None = None,
               email_only: bool = False) -> list[SearchHit]: ...


class AnswerModel(Protocol):
    """What answering needs from the model (LocalLLM); see app.prompts.PromptModel for the prompt side."""

    name: str
    n_ctx: int
    is_chat: bool

    def stream(self, prompt: str | list[dict], *, max_tokens: int, stop: Sequence[str],
               stop_event: threading.Event | None, temperature: float, lstrip: bool = ...) -> Iterator[str]: ...


@dataclass(frozen=True)
class Retrieved:
    hits: tuple[SearchHit, ...]
    retrieve_ms: float
    query: str  # what was actually searched (the rewritten follow-up)


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Source:
    n: int  # the [n] used in the answer
    hit: SearchHit
    cited: bool  # whether the answer cites it (the rest were shown to the model but not used)


@dataclass(frozen=True)
class Done:
    answer: str
    sources: tuple[Source, ...]
    timings: dict = field(default_factory=dict)
    not_found: bool = False
    cancelled: bool = False

    @property
    def cited_sources(self) -> tuple[Source, ...]:
        return tuple(s for s in self.sources if s.cited)


AnswerEvent = Union[Retrieved, Token, Done]


def is_relevant(hits: Sequence[SearchHit], min_similarity: float) -> bool:
    return any(h.similarity >= min_similarity for h in hits)


def answer(question: str, *, retriever: Retriever, llm: AnswerModel,
           history_turns: Sequence[tuple[str, str]] = (), k: int = 5, scope: list[str] | None = None,
           stop_event: threading.Event | None = None, min_similarity: float = DEFAULT_MIN_SIMILARITY,
           email_only: bool = False, answer_tokens: int = 192, temperature: float = 0.0) -> Iterator[AnswerEvent]:
    """Yield Retrieved, then Token pieces, then exactly one Done. Setting stop_event ends generation at the next
    token; Done then carries what was produced so far with cancelled=True."""
    history = list(history_turns)
    t0 = time.perf_counter()
    query = standalone_query(llm, history, question)
    hits = list(retriever.search(query, k, scope=scope, email_only=email_only))
    retrieve_ms = (time.perf_counter() - t0) * 1000
    yield Retrieved(tuple(hits), retrieve_ms, query)
    timings: dict = {"retrieve_ms": retrieve_ms, "ttft_ms": 0.0, "total_ms": 0.0, "tokens": 0,
                     "tokens_per_s": 0.0, "model": getattr(llm, "name", ""), "query": query}

    if not hits or not is_relevant(hits, min_similarity):
        timings["total_ms"] = (time.perf_counter() - t0) * 1000
        yield Done(NOT_FOUND_ANSWER, (), timings, not_found=True)
        return
    if stop_event is not None and stop_event.is_set():
        yield Done("", (), timings, cancelled=True)
        return

    # Base models see the rewritten question and no history (they cannot use it); chat models get both.
    prompt = build_prompt(llm, question if llm.is_chat else query, hits, history if llm.is_chat else [],
                          answer_tokens=answer_tokens)
    pieces: list[str] = []
    for piece in llm.stream(prompt.prompt, max_tokens=min(answer_tokens, prompt.max_answer_tokens),
                            stop=list(prompt.stop), stop_event=stop_event, temperature=temperature, lstrip=True):
        pieces.append(piece)
        yield Token(piece)
    cancelled = stop_event is not None and stop_event.is_set()

    run = getattr(llm, "last_timings", None)
    text, cited = clean_citations("".join(pieces), len(prompt.hits))
    if text and not cited and not cancelled:
        # Small base models often answer correctly but forget the [n]: cite the source the answer was taken from.
        n = attribute(text, [h.text for h in prompt.hits])
        if n is not None:
            text, cited = f"{text.rstrip(' .')} [{n}]", [n]
    if text and not cancelled and getattr(run, "stopped", "") == "stop_sequence" and text[-1] not in ".!?":
        text += "."  # the ". " stop sequence ate the full stop
    if run is not None:
        timings.update(ttft_ms=run.ttft_ms, gen_total_ms=run.total_ms, tokens=run.tokens,
                       tokens_per_s=run.tokens_per_s, prompt_tokens=run.prompt_tokens, stopped=run.stopped)
    timings["total_ms"] = (time.perf_counter() - t0) * 1000
    sources = tuple(Source(n, h, n in cited) for n, h in zip(prompt.numbers, prompt.hits))
    yield Done(text, sources, timings, cancelled=cancelled)
