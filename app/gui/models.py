"""Plain frozen records the GUI passes between threads and widgets. Only these (and str) travel in Qt signals, so no
widget ever touches a live core object from another thread."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from indexer.locator import NOWHERE, Locator

if TYPE_CHECKING:
    from app.answer.answering import Source
    from app.answer.evidence import Evidence
    from app.history import StoredSource
    from indexer.hits import SearchHit
    from indexer.progress import IndexReport

_HOME = os.path.expanduser("~")


def short_path(path: str) -> str:
    """~/Documents/x.pdf rather than /home/name/Documents/x.pdf."""
    if _HOME not in ("", "/") and path.startswith(_HOME + os.sep):
        return "~" + path[len(_HOME):]
    return path


@dataclass(frozen=True)
class SourceRef:
    """One numbered source of an answer: enough to draw its card and open it at the cited place."""

    n: int
    path: str
    title: str = ""
    kind: str = ""
    where: Locator = NOWHERE
    sender: str = ""
    date: str = ""
    subject: str = ""
    snippet: str = ""
    text: str = ""
    doc_id: str = ""
    chunk_id: str = ""
    ordinal: int = -1
    cited: bool = True
    evidence: str = ""  # the sentence that supports the answer: text[evidence_start:evidence_end] == evidence
    evidence_start: int = -1
    evidence_end: int = -1

    @classmethod
    def from_hit(cls, n: int, hit: SearchHit, cited: bool = True, evidence: Evidence | None = None) -> SourceRef:
        """`evidence`: an app.answer.evidence.Evidence of this hit (offsets into hit.text), or None."""
        ev = evidence if evidence is not None and hit.text[evidence.start:evidence.end] == evidence.text else None
        return cls(n=n, path=hit.path, title=hit.title, kind=hit.kind, where=hit.where, sender=hit.sender,
                   date=hit.date, subject=hit.subject, snippet=hit.snippet(320), text=hit.text, doc_id=hit.doc_id,
                   chunk_id=hit.chunk_id, ordinal=hit.ordinal, cited=cited, evidence=ev.text if ev else "",
                   evidence_start=ev.start if ev else -1, evidence_end=ev.end if ev else -1)

    @classmethod
    def from_source(cls, source: Source) -> SourceRef:
        """From an app.answer.answering.Source: the hit with its best evidence sentence."""
        from app.answer.record import best_evidence

        return cls.from_hit(source.n, source.hit, source.cited, best_evidence(source))

    @classmethod
    def from_stored(cls, s: StoredSource) -> SourceRef:
        where, page = s.where, s.where.page
        if page is not None and where.section.startswith(f"p. {page}"):  # the locator was stored as the section
            where = replace(where, section=where.section[len(f"p. {page}"):].lstrip(", "))
        has_ev = getattr(s, "evidence_start", None) is not None and bool(s.snippet)  # the snippet is the evidence
        text = s.snippet if has_ev else s.snippet.rstrip("…").rstrip()
        return cls(n=s.n, path=s.path, where=where, doc_id=s.doc_id,
                   snippet=s.snippet, text=text, kind="pdf" if s.path.lower().endswith(".pdf") else "",
                   evidence=s.snippet if has_ev else "", evidence_start=0 if has_ev else -1,
                   evidence_end=len(s.snippet) if has_ev else -1)

    def to_stored(self) -> StoredSource:
        from app.history import StoredSource

        if self.evidence:
            return StoredSource(self.n, self.path, self.where, self.doc_id, self.evidence, self.evidence_start,
                                self.evidence_end)
        return StoredSource(self.n, self.path, self.where, self.doc_id, self.snippet)

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence) and 0 <= self.evidence_start < self.evidence_end

    @property
    def card_text(self) -> str:
        """What the card shows: the evidence sentence, else the chunk's first lines."""
        return self.evidence or self.snippet

    @property
    def is_email(self) -> bool:
        return self.kind == "email" or bool(self.sender or self.subject)

    @property
    def is_pdf(self) -> bool:
        return self.kind == "pdf" or (not self.kind and self.path.lower().endswith(".pdf"))

    @property
    def display_title(self) -> str:
        if self.is_email and self.subject:
            return " ".join(self.subject.split())
        return " ".join(self.title.split()) or os.path.basename(self.path) or self.path

    @property
    def locator(self) -> str:
        """"p. 6", "Intro › Setup", "lines 10–24", "attachment.pdf" (the same wording as SearchHit.locator)."""
        return self.where.label

    def citation_line(self) -> str:
        """How the source is listed under a copied answer."""
        loc = f", {self.locator}" if self.locator else ""
        if self.is_email:
            who = f"email from {self.sender}" if self.sender else "email"
            return f"[{self.n}] {self.display_title} ({who}{', ' + self.date if self.date else ''}){loc}"
        return f"[{self.n}] {self.display_title} — {short_path(self.path)}{loc}"


@dataclass(frozen=True)
class Status:
    """A progress line for a turn: "Loading the model…", "Summarising part 2 of 5…"."""

    text: str


@dataclass(frozen=True)
class Saved:
    """The finished turn was stored in this conversation (sent just before the turn's Done)."""

    conversation_id: int


@dataclass(frozen=True)
class AskRequest:
    id: str
    question: str
    scope: tuple[str, ...] = ()
    conversation_id: int | None = None
    stop: threading.Event = field(default_factory=threading.Event, compare=False)


@dataclass(frozen=True)
class SummarizeRequest:
    id: str
    path: str
    conversation_id: int | None = None
    stop: threading.Event = field(default_factory=threading.Event, compare=False)


@dataclass(frozen=True)
class IndexJob:
    id: str
    paths: tuple[str, ...]
    origin: str = "library"  # library | drop | watcher (a drop is recorded as such: app/library.py)
    cancel: threading.Event = field(default_factory=threading.Event, compare=False)


@dataclass(frozen=True)
class JobFinished:
    id: str
    origin: str
    paths: tuple[str, ...]
    report: IndexReport


@dataclass(frozen=True)
class Forgotten:
    id: str
    targets: tuple[str, ...]
    documents: int
    history_sources: int


# The library's records are the core's (app/library.py): the desktop library shows what `cove status` prints.
from app.library import LibrarySnapshot, Problem, RootCounts  # noqa: E402,F401


@dataclass(frozen=True)
class ModelChoice:
    """A model the picker knows: "" is the bundled default."""

    path: str
    label: str
