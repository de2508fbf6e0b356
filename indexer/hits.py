"""A retrieved chunk with everything a citation needs. Frozen, so it can cross threads (CLI, GUI, chat worker)."""
from __future__ import annotations

from dataclasses import dataclass


def format_locator(part: str, page: int | None, section: str, line_start: int | None, line_end: int | None) -> str:
    """Human-readable place inside a document: "p. 4", "Intro › Setup", "lines 10–24", "attachment.pdf"."""
    bits: list[str] = []
    if part:
        bits.append(part)
    if page is not None:
        bits.append(f"p. {page}")
    if section:
        bits.append(section)
    if page is None and line_start is not None:
        bits.append(f"lines {line_start}–{line_end if line_end is not None else line_start}")
    return ", ".join(bits)


@dataclass(frozen=True)
class SearchHit:
    chunk_id: str
    doc_id: str
    ordinal: int
    path: str
    title: str
    kind: str
    text: str
    score: float
    similarity: float = 0.0  # cosine similarity of query and chunk embeddings: an absolute relevance signal
    page: int | None = None
    section: str = ""
    line_start: int | None = None
    line_end: int | None = None
    part: str = ""
    sender: str = ""
    date: str = ""
    subject: str = ""

    @property
    def locator(self) -> str:
        return format_locator(self.part, self.page, self.section, self.line_start, self.line_end)

    def snippet(self, width: int = 240) -> str:
        flat = " ".join(self.text.split())
        return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"
