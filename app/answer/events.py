"""The events an answer is told in (Retrieved, then Token pieces, then one Done) and the evidence they carry: plain
dataclasses with no numpy or model behind them, so `cove ask` talking to a resident Cove imports only this while the
server works. Importing the answering modules there (~0.1 s of CPU) slowed the server's first token on 2 cores by
~0.5 s (stop 20: bare client 0.91 s vs `cove ask` 1.50 s p50, same questions, /work/notes/b15/client_cmp.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from indexer.hits import SearchHit

NOT_FOUND_ANSWER = "I couldn't find anything about that in your documents."
REPLACED_PREFIX = "Your documents say:"  # starts an answer replaced by its evidence (Done.verified is False)
# starts an answer replaced by the closest evidence when that evidence does not hold what the question asks for
CLOSEST_PREFIX = "I couldn't find an answer to that in your documents. The closest passage:"


@dataclass(frozen=True)
class Evidence:
    """A sentence of a source chunk: hit.text[start:end] == text. `page` repeats the chunk's page for PDFs."""

    text: str
    start: int
    end: int
    page: int | None = None
    score: float = 0.0


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
    evidence: tuple[Evidence, ...] = ()  # the sentence(s) of hit.text that support the answer, best first


@dataclass(frozen=True)
class Done:
    answer: str
    sources: tuple[Source, ...]
    timings: dict = field(default_factory=dict)
    not_found: bool = False
    cancelled: bool = False
    verified: bool = False  # every number and name of the answer, and most of its words, are in its sources
    draft: str = ""  # what the model said, when `answer` had to be replaced by the evidence (verified is False)

    @property
    def cited_sources(self) -> tuple[Source, ...]:
        return tuple(s for s in self.sources if s.cited)


AnswerEvent = Union[Retrieved, Token, Done]
