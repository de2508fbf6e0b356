"""A retrieved chunk with everything a citation needs. Frozen, so it can cross threads (CLI, GUI, chat worker)."""
from __future__ import annotations

from dataclasses import dataclass

from indexer.locator import NOWHERE, Locator


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
    where: Locator = NOWHERE
    sender: str = ""
    date: str = ""
    subject: str = ""

    @property
    def locator(self) -> str:
        """The place inside the document as shown to people ("p. 4", "Intro › Setup"; see `Locator.label`)."""
        return self.where.label

    def snippet(self, width: int = 240) -> str:
        flat = " ".join(self.text.split())
        return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"
