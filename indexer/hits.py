"""A retrieved chunk with everything a citation needs. Frozen, so it can cross threads (CLI, GUI, chat worker)."""
from __future__ import annotations

from dataclasses import dataclass


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
        """Human-readable place inside the document: "p. 4", "Intro › Setup", "lines 10–24", "attachment.pdf"."""
        bits: list[str] = []
        if self.part:
            bits.append(self.part)
        if self.page is not None:
            bits.append(f"p. {self.page}")
        if self.section:
            bits.append(self.section)
        if self.page is None and self.line_start is not None:
            end = self.line_end if self.line_end is not None else self.line_start
            bits.append(f"lines {self.line_start}–{end}")
        return ", ".join(bits)

    def snippet(self, width: int = 240) -> str:
        flat = " ".join(self.text.split())
        return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"
