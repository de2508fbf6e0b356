"""Plain data shared by parsers, chunker and pipeline.

Parsers turn bytes into a `ParsedDocument`: an ordered list of text `Block`s, each carrying the locator a citation
needs (PDF page, heading path, line range, email part). Failures are exceptions that carry the status and the
human-readable reason recorded in the index, so nothing is ever silently dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from indexer.locator import NOWHERE, Locator

Status = Literal["indexed", "skipped", "error"]


@dataclass(frozen=True)
class Block:
    """A run of text with where it sits (PDF page, heading path, line range, email part)."""

    text: str
    where: Locator = NOWHERE


@dataclass(frozen=True)
class ParsedDocument:
    """What a parser returns: the document's kind (pdf, docx, markdown, text, code, html, epub, email), a title and
    its blocks in reading order. `meta` holds extra string fields (e.g. email headers)."""

    kind: str
    title: str
    blocks: tuple[Block, ...]
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def text_chars(self) -> int:
        return sum(len(b.text) for b in self.blocks)


class ParseError(Exception):
    """The file could not be indexed; `reason` is shown to the user as-is (e.g. "encrypted: password required")."""

    status: Status = "error"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SkipDocument(ParseError):
    """The file was readable but holds nothing to index (e.g. "no text layer (scanned)", "binary file")."""

    status: Status = "skipped"
