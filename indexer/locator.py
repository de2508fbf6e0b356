"""Where a piece of text sits inside its document: the one record every text-carrying record holds (a parsed
`Block`, a stored `Chunk`, a retrieved `SearchHit`, the GUI's `SourceRef`), instead of each repeating the same five
fields. Frozen and made of plain values, so it crosses threads and the resident socket (`dataclasses.asdict` nests
it, `app.resident.protocol.rebuild` restores it from the type hints).

The index and the JSON output keep the five fields flat (`page`, `section`, `line_start`, `line_end`, `part`):
`columns()` / `from_columns()` map at those boundaries, so neither the LanceDB schema nor `cove search --json`
changed shape when the record was introduced."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict


class LocatorColumns(TypedDict):
    """The flat form (the `chunks` table's columns, the JSON output's keys)."""

    page: int | None
    section: str
    line_start: int | None
    line_end: int | None
    part: str


@dataclass(frozen=True)
class Locator:
    """`page`: 1-based PDF page; `section`: heading path joined with " › "; `line_start`/`line_end`: 1-based line
    range in a text file; `part`: which part of an email (body, "attachment.pdf", nested "a.eml › b.pdf")."""

    page: int | None = None
    section: str = ""
    line_start: int | None = None
    line_end: int | None = None
    part: str = ""

    @property
    def label(self) -> str:
        """Human-readable place inside a document: "p. 4", "Intro › Setup", "lines 10–24", "attachment.pdf"."""
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

    def columns(self) -> LocatorColumns:
        """The flat fields, as the `chunks` table and the JSON output carry them."""
        return {"page": self.page, "section": self.section, "line_start": self.line_start,
                "line_end": self.line_end, "part": self.part}

    @classmethod
    def from_columns(cls, row: Mapping[str, Any]) -> Locator:
        """From a `chunks` row (LanceDB gives None for an empty string column written by older indexes)."""
        return cls(page=row.get("page"), section=row.get("section") or "", line_start=row.get("line_start"),
                   line_end=row.get("line_end"), part=row.get("part") or "")


NOWHERE = Locator()
