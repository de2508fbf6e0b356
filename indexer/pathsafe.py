"""Storing any file name Linux allows: bytes that are not UTF-8, newlines, very long names.

Why: Python hands us such names with the undecodable bytes as lone surrogates (`bad\\udcffdir`, PEP 383); Arrow and
Lance store UTF-8 only and refused the whole batch ("surrogates not allowed"), which aborted the run for the entire
folder, every time. Strings are escaped at the store boundary instead, reversibly: each undecodable byte becomes
`␛` + two hex digits and a literal `␛` (U+241B, practically never in names) is doubled. So
`/x/bad\\udcffdir/latin1-\\udce9.txt` is stored as `/x/bad␛ffdir/latin1-␛e9.txt`: readable, searchable by its valid
parts, and turned back into the exact on-disk name when rows are loaded (open, forget, re-index all work).
"""
from __future__ import annotations

import re

ESC = "\u241b"
_NEEDS = re.compile(f"[\ud800-\udfff{ESC}]")
_STORED = re.compile(f"{ESC}({ESC}|[0-9a-f]{{2}})")


def to_store(text: str) -> str:
    """A UTF-8-safe, reversible form of `text` (unchanged in the common case)."""
    if not _NEEDS.search(text):
        return text
    return _NEEDS.sub(_escape, text)


def _escape(m: re.Match[str]) -> str:
    ch = m.group(0)
    if ch == ESC:
        return ESC + ESC
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a surrogate-escaped byte (os.fsdecode)
        return f"{ESC}{code - 0xDC00:02x}"
    return "\ufffd"  # any other lone surrogate cannot come from a file name: replaced, not stored


def from_store(text: str) -> str:
    """The original string of `to_store`."""
    if ESC not in text:
        return text
    return _STORED.sub(lambda m: ESC if m.group(1) == ESC else chr(0xDC00 + int(m.group(1), 16)), text)


def printable(text: str) -> str:
    """For terminals and logs: undecodable bytes as `\\xff`, control characters (newlines in names) as `\\n`."""
    out = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return out.translate(_CONTROLS) if any(ord(c) < 32 for c in out) else out


_CONTROLS = {c: f"\\x{c:02x}" for c in range(32)} | {10: "\\n", 9: "\\t", 13: "\\r"}
