"""The records that cross from reading a file to the writer: `PrepareConfig` (how to read) and `Prepared` (what came
out). They live apart from `indexer.prepare` because both sides need them: `prepare` hands mail files to
`indexer.mail`, and the mail readers build `Prepared` results. With the types here, `indexer.mail` never imports
`indexer.prepare` and the two form no import cycle (tests/test_import_cycles.py keeps it that way).

A leaf: it imports only modules that import nothing back (`chunking`, `store`'s row type)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Callable

from indexer.chunking import Chunk
from indexer.store import DocRow


def new_doc_id() -> str:
    """Ids are random, not derived from the path: a moved document keeps its id, and a new file later created at
    the old path must not collide with it."""
    return uuid.uuid4().hex[:24]


@dataclass(frozen=True)
class PrepareConfig:
    max_bytes: int
    chunk_tokens: int = 200
    overlap_tokens: int = 32
    ocr: bool = True  # (ocr) read scans and images with indexer.ocr (setting `ocr`)
    on_ocr_page: Callable[[str, int, int], None] | None = None  # (ocr) (path, pages done, pages to do)


@dataclass
class Prepared:
    """The result for one file. `chunks` is None when nothing needs embedding (unchanged content, skip, error)."""

    doc: DocRow
    chunks: list[Chunk] | None
    outcome: str  # indexed | unchanged | skipped | error | vanished
    reason: str = ""
    last_of_source: bool = True
