"""Shared helpers for the parsers: decoding unknown bytes, telling text from binary, whitespace clean-up and
merging small paragraphs into blocks.

Kept dependency-light (charset-normalizer only, imported lazily) because every parser and the sniffer use it.
"""
from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import PurePath

from indexer.documents import Block, SkipDocument

# Paragraphs are merged into blocks of about this many characters: big enough to give the chunker context, small
# enough that a locator (page, line range, heading) still points somewhere precise.
BLOCK_CHARS = 1500
SECTION_SEP = " › "

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control bytes that never occur in real text (tab, newlines, form feed and ESC excluded).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (8, 9, 10, 12, 13, 27)) + b"\x7f"
_SNIFF_BYTES = 64 * 1024
_CP1252_SLACK = 0.05


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark announces, if any."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return enc
    return None


def _utf16_without_bom(sample: bytes) -> str | None:
    """Spot BOM-less UTF-16 (NULs almost all at even or odd offsets), which would otherwise look binary."""
    if len(sample) < 4:
        return None
    nuls = sample.count(0)
    if nuls < len(sample) // 4:
        return None
    even = sample[0::2].count(0)
    odd = nuls - even
    enc = "utf-16-be" if even > 0.9 * nuls else "utf-16-le" if odd > 0.9 * nuls else None
    if enc is None:
        return None
    text = sample[: len(sample) // 2 * 2].decode(enc, errors="replace")
    return enc if printable_ratio(text) > 0.95 else None


def printable_ratio(text: str) -> float:
    """Share of characters that are printable or ordinary whitespace; low means mis-decoded binary."""
    if not text:
        return 1.0
    bad = sum(1 for ch in text if not (ch.isprintable() or ch in "\n\r\t\f"))
    return 1.0 - bad / len(text)


def looks_binary(data: bytes) -> bool:
    """Cheap first look: NUL bytes or many control bytes mean binary (unless it is UTF-16/32 text)."""
    sample = data[:_SNIFF_BYTES]
    if bom_encoding(sample):
        return False
    if b"\x00" in sample:
        return _utf16_without_bom(sample) is None
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > 0.02 * len(sample)


def decode_text(data: bytes) -> str:
    """Bytes to str: BOM, then strict UTF-8, then charset-normalizer's best guess.

    Raises SkipDocument when nothing yields believable text, so binary junk is never indexed as mojibake.
    """
    enc = bom_encoding(data)
    if enc:
        return data.decode(enc, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:_SNIFF_BYTES]:
        enc = _utf16_without_bom(data[:_SNIFF_BYTES])
        if enc:
            return data.decode(enc, errors="replace")
        raise SkipDocument("binary content (NUL bytes), not text")
    from charset_normalizer import from_bytes

    results = from_bytes(data)
    best = results.best()
    if best is None:
        raise SkipDocument("undecodable text (unknown encoding)")
    text = str(best)
    # charset-normalizer often ranks a Baltic or Central European code page first for French or German text;
    # when Windows-1252 decodes about as cleanly, it is by far the likelier origin.
    if "cp1252" not in best.could_be_from_charset and any(
        "cp1252" in m.could_be_from_charset and m.chaos <= best.chaos + _CP1252_SLACK for m in results
    ):
        text = data.decode("cp1252", errors="replace")
    if printable_ratio(text[:20000]) < 0.9:
        raise SkipDocument(f"undecodable text (best guess {best.encoding} gives garbage)")
    return text


_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_BAD_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def normalize_newlines(text: str) -> str:
    """CRLF / CR / form feed / Unicode line separators to "\\n", so line numbers agree with editors."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")


# Typographic ligatures (common in PDFs) spelled out, so "ﬁnd" matches a search for "find".
_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\ufb05": "st", "\ufb06": "st"})


def clean_line(line: str) -> str:
    """Collapse runs of spaces (incl. exotic ones), spell out ligatures, drop invisible and control characters."""
    line = _ZERO_WIDTH.sub("", _BAD_CONTROLS.sub("", line)).translate(_LIGATURES)
    return _SPACES.sub(" ", line).strip()


def normalize_ws(text: str) -> str:
    """Prose clean-up: one space between words, no trailing blanks, paragraph breaks kept as a single blank line."""
    text = normalize_newlines(text).replace("\f", "\n\n")
    lines = [clean_line(line) for line in text.split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def first_line(text: str, limit: int = 200) -> str:
    """The first non-empty line, shortened; a fallback title."""
    for line in text.splitlines():
        line = clean_line(line)
        if line:
            return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
    return ""


def stem(name: str) -> str:
    """File name without folders and extension: the title of last resort."""
    p = PurePath(name.replace("\\", "/"))
    return p.stem or p.name or name


def extension(name: str) -> str:
    """Lower-case extension with its dot ("" if none); dot-files like ".bashrc" have none."""
    return PurePath(name.replace("\\", "/")).suffix.lower()


def short(msg: object, limit: int = 200) -> str:
    """An exception message made fit for the status column: one line, bounded length."""
    text = " ".join(str(msg).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def join_section(parts: Iterable[str]) -> str:
    """A heading path for `Locator.section`."""
    return SECTION_SEP.join(p for p in parts if p)


class HeadingPath:
    """A stack of (level, title) that turns a stream of headings into the current heading path."""

    def __init__(self, base: Iterable[str] = ()) -> None:
        self.base = [b for b in base if b]
        self.stack: list[tuple[int, str]] = []

    def push(self, level: int, title: str) -> None:
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, title))

    def reset(self, base: Iterable[str] = ()) -> None:
        self.base = [b for b in base if b]
        self.stack = []

    @property
    def path(self) -> str:
        return join_section([*self.base, *(t for _, t in self.stack)])


def merge_blocks(blocks: Iterable[Block], limit: int = BLOCK_CHARS) -> list[Block]:
    """Merge neighbouring paragraphs that share a locator (page, section, part) up to `limit` characters.

    Many tiny blocks make poor chunks; one huge block loses the locator's precision. Empty blocks are dropped.
    """
    out: list[Block] = []
    for b in blocks:
        if not b.text.strip():
            continue
        if out:
            prev = out[-1]
            p, w = prev.where, b.where
            same = (p.page, p.section, p.part) == (w.page, w.section, w.part)
            if same and len(prev.text) + 2 + len(b.text) <= limit:
                lines = replace(p, line_start=_min(p.line_start, w.line_start), line_end=_max(p.line_end, w.line_end))
                out[-1] = Block(text=prev.text + "\n\n" + b.text, where=lines)
                continue
        out.append(b)
    return out


def _min(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)
