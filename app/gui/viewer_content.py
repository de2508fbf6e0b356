"""What the source viewer shows for non-PDF sources, prepared off the GUI thread (Qt-free): the text around the
cited chunk with the passage located, or the whole message for email. Also picks the phrase to highlight on a PDF
page (a sentence of the chunk that occurs verbatim in the page's own text, so the PDF search can find it)."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from app.gui.models import SourceRef

TEXT_KINDS = frozenset({"text", "markdown", "code", "csv", "rst", "org"})
MAX_CHARS = 400_000


@dataclass(frozen=True)
class TextContent:
    text: str
    highlights: tuple[tuple[int, int], ...] = ()
    focus: int = 0
    note: str = ""
    is_email: bool = False


def _words_pattern(words: list[str]) -> re.Pattern[str]:
    return re.compile(r"\s+".join(re.escape(w) for w in words))


def locate(haystack: str, needle: str) -> tuple[int, int] | None:
    """Where `needle` sits in `haystack`, tolerating different whitespace and line breaks."""
    needle = needle.strip()
    if not needle:
        return None
    i = haystack.find(needle)
    if i >= 0:
        return i, i + len(needle)
    words = needle.split()
    if not words:
        return None
    head = _words_pattern(words[:12]).search(haystack)
    if head is None:
        for start in range(0, max(1, len(words) - 6), 6):  # the chunk's start may differ (overlap, clean-up)
            head = _words_pattern(words[start:start + 8]).search(haystack)
            if head is not None:
                break
        if head is None:
            return None
    tail_words = words[-12:]
    tail = _words_pattern(tail_words).search(haystack, head.start())
    end = tail.end() if tail is not None and tail.end() - head.start() < len(needle) * 2 + 200 else head.end()
    return head.start(), max(end, head.end())


def join_chunks(texts: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Consecutive chunks overlap (chunk_overlap_tokens): join them without repeating the overlap. Returns the text
    and each chunk's span in it."""
    out = ""
    spans: list[tuple[int, int]] = []
    for t in texts:
        t = t.strip()
        if not out:
            spans.append((0, len(t)))
            out = t
            continue
        k = 0
        for n in range(min(len(out), len(t), 800), 15, -1):
            if out.endswith(t[:n]):
                k = n
                break
        start = len(out) - k if k else len(out) + 2
        out = out + t[k:] if k else out + "\n\n" + t
        spans.append((start, start + len(t)))
    return out, spans


def _doc_chunks(core: Any, ref: SourceRef, before: int, after: int) -> list[Any]:
    from indexer.hits import SearchHit

    ordinal = ref.ordinal if ref.ordinal >= 0 else 0
    hit = SearchHit(chunk_id=ref.chunk_id, doc_id=ref.doc_id, ordinal=ordinal, path=ref.path, title=ref.title,
                    kind=ref.kind, text=ref.text, score=0.0)
    return core.searcher.neighbours(hit, before=before if ref.ordinal >= 0 else 0,
                                    after=after if ref.ordinal >= 0 else 100_000)


def _read_text_file(path: str) -> str:
    from indexer.parsers.textutil import decode_text, normalize_newlines

    with open(path, "rb") as fh:
        data = fh.read(MAX_CHARS * 4)
    return normalize_newlines(decode_text(data))


def _line_span(text: str, first: int, last: int) -> tuple[int, int]:
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    a = starts[min(max(first - 1, 0), len(starts) - 1)]
    b = starts[last] - 1 if last < len(starts) else len(text)
    return a, max(a, b)


def _email_text(ref: SourceRef, core: Any) -> TextContent:
    """The message as indexer.mail renders it (headers + plain-text body: no HTML, so nothing remote can load);
    the indexed text when the message cannot be read any more."""
    from indexer.mail import render_message

    note = ""
    try:
        body = render_message(ref.path).as_text()
    except Exception as exc:  # gone, moved or unreadable: show what the index holds
        chunks = _doc_chunks(core, ref, 0, 0) if ref.doc_id and core is not None else []
        body, _ = join_chunks([c.text for c in chunks]) if chunks else (ref.text, [])
        note = f"The message could not be opened ({exc}); showing it as indexed."
    span = locate(body, ref.text) if ref.text else None
    return TextContent(body, (span,) if span else (), span[0] if span else 0, note, is_email=True)


def prepare_text(ref: SourceRef, core: Any) -> TextContent:
    """Runs in a background task."""
    if ref.is_email:
        return _email_text(ref, core)
    ext = os.path.splitext(ref.path)[1].lower()
    exists = os.path.isfile(ref.path)
    if exists and (ref.kind in TEXT_KINDS or ext in (".txt", ".md", ".markdown", ".rst", ".csv", ".log", ".org")):
        text = _read_text_file(ref.path)
        span = locate(text, ref.text) if ref.text else None
        if span is None and ref.line_start is not None:
            span = _line_span(text, ref.line_start, ref.line_end or ref.line_start)
        return TextContent(text, (span,) if span else (), span[0] if span else 0)
    note = "" if exists else f"This file is no longer at {ref.path}; showing the indexed text."
    chunks: list[Any] = []
    if ref.doc_id and core is not None:
        try:
            chunks = _doc_chunks(core, ref, 4, 4)
        except Exception:
            chunks = []
    if not chunks:
        span = (0, len(ref.text))
        return TextContent(ref.text, (span,), 0, note or "Showing the cited passage as indexed.")
    text, spans = join_chunks([c.text for c in chunks])
    idx = next((i for i, c in enumerate(chunks) if c.ordinal == ref.ordinal), None)
    span = spans[idx] if idx is not None else locate(text, ref.text)
    if ref.ordinal < 0 and ref.text:
        span = locate(text, ref.text) or span
    if not note:
        note = "The text around the passage, as Cove indexed it. “Open in default app” shows the original layout."
    return TextContent(text, (span,) if span else (), span[0] if span else 0, note)


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(])")


def pick_phrase(chunk: str, page_text: str, max_words: int = 28) -> str:
    """A sentence (or run of words) of the chunk that appears verbatim on the PDF page, to hand to the PDF search.
    Whitespace and line breaks are flattened; words the PDF hyphenated across lines never match, so such
    sentences are skipped in favour of one that does."""
    page = " ".join(page_text.split())
    flat = " ".join(chunk.split())
    if not page or not flat:
        return ""
    for sentence in _SENTENCE.split(flat):
        words = sentence.split()
        if len(words) < 4:
            continue
        phrase = " ".join(words[:max_words])
        if phrase in page:
            return phrase
    words = flat.split()
    for size in (10, 6):
        for start in range(0, max(1, len(words) - size + 1), 3):
            phrase = " ".join(words[start:start + size])
            if phrase in page:
                return phrase
    return ""
