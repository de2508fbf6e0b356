"""What the source viewer shows for non-PDF sources, prepared off the GUI thread (Qt-free): the text around the
cited chunk with the evidence sentence (else the whole passage) located, or the whole message for email. Also picks
the phrase to highlight on a PDF page: the evidence sentence as the page's own text spells it (PDFium's text has
soft-hyphen marks and line breaks where the indexed text has joined words), so the PDF search finds exactly it."""
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


_SQUEEZED_OUT = frozenset("-\u00ad\u2010\u2011\ufffe\ufeff\x02")  # hyphens and PDFium's soft-hyphen marks


def squeeze(text: str) -> tuple[str, list[int]]:
    """`text` without white space and hyphens, NFKC-folded (ligatures), and for each kept character its index in
    `text`: two spellings of one sentence ("multi-\nple" on the page, "multiple" in the index) squeeze alike."""
    import unicodedata

    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace() or ch in _SQUEEZED_OUT:
            continue
        for c in unicodedata.normalize("NFKC", ch) if ord(ch) > 127 else ch:
            out.append(c)
            where.append(i)
    return "".join(out), where


def same_text(a: str, b: str) -> bool:
    return squeeze(a)[0] == squeeze(b)[0]


def find_squeezed(haystack: str, needle: str, lo: int = 0, hi: int | None = None) -> tuple[int, int] | None:
    """Where `needle` sits in haystack[lo:hi], ignoring white space, hyphenation and ligatures."""
    hi = len(haystack) if hi is None else hi
    want = squeeze(needle)[0]
    if not want:
        return None
    got, where = squeeze(haystack[lo:hi])
    k = got.find(want)
    if k < 0:
        return None
    return lo + where[k], lo + where[k + len(want) - 1] + 1


def _occurrences(text: str, needle: str, limit: int = 64) -> list[tuple[int, int]]:
    """Every place `needle` stands in `text`: verbatim, else ignoring white space, hyphenation and ligatures."""
    out: list[tuple[int, int]] = []
    i = text.find(needle)
    while i >= 0 and len(out) < limit:
        out.append((i, i + len(needle)))
        i = text.find(needle, i + 1)
    if out:
        return out
    want = squeeze(needle)[0]
    got, where = squeeze(text)
    k = got.find(want) if want else -1
    while k >= 0 and len(out) < limit:
        out.append((where[k], where[k + len(want) - 1] + 1))
        k = got.find(want, k + 1)
    return out


def _common(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def evidence_span(text: str, chunk_span: tuple[int, int] | None, ref: SourceRef) -> tuple[int, int] | None:
    """Where the ref's evidence sentence is in the displayed `text`, given where its chunk was located (if it
    was): by its offsets into the chunk when they land on it; otherwise the occurrence whose surroundings read like
    the sentence's surroundings in the chunk (a sentence repeated in a document, or a chunk located at the wrong
    copy of repeated boilerplate, must not move the highlight), nearest the chunk on a tie. None without
    evidence or when the sentence is not in the text."""
    if not ref.has_evidence:
        return None
    ev, s, e = ref.evidence, ref.evidence_start, ref.evidence_end
    if chunk_span is not None:
        lead = len(ref.text) - len(ref.text.lstrip())  # the chunk was located (or joined) without its white space
        for base in (chunk_span[0] - lead, chunk_span[0]):
            pos = base + s
            if pos >= 0 and text[pos:pos + len(ev)] == ev:
                return pos, pos + len(ev)
    places = _occurrences(text, ev)
    if len(places) <= 1:
        return places[0] if places else None
    before = squeeze(ref.text[max(0, s - 120):s])[0][::-1]
    after = squeeze(ref.text[e:e + 120])[0]
    anchor = chunk_span[0] if chunk_span else 0

    def rank(span: tuple[int, int]) -> tuple[int, int]:
        a, b = span
        fit = _common(before, squeeze(text[max(0, a - 240):a])[0][::-1]) + _common(after, squeeze(text[b:b + 240])[0])
        return -fit, abs(a - anchor)

    return min(places, key=rank)


def _content(text: str, chunk_span: tuple[int, int] | None, ref: SourceRef, note: str = "",
             is_email: bool = False) -> TextContent:
    """Highlight the evidence sentence when there is one (and it is found), else the whole chunk."""
    span = evidence_span(text, chunk_span, ref) or chunk_span
    return TextContent(text, (span,) if span else (), span[0] if span else 0, note, is_email=is_email)


def content_for(ref: SourceRef, note: str = "") -> TextContent:
    """Just the indexed passage, its evidence highlighted (when the file cannot be read)."""
    return _content(ref.text, (0, len(ref.text)), ref, note)


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
    return _content(body, span, ref, note, is_email=True)


def prepare_text(ref: SourceRef, core: Any) -> TextContent:
    """Runs in a background task."""
    if ref.is_email:
        return _email_text(ref, core)
    ext = os.path.splitext(ref.path)[1].lower()
    exists = os.path.isfile(ref.path)
    if exists and (ref.kind in TEXT_KINDS or ext in (".txt", ".md", ".markdown", ".rst", ".csv", ".log", ".org")):
        text = _read_text_file(ref.path)
        span = locate(text, ref.text) if ref.text else None
        lines = ref.where
        if span is None and lines.line_start is not None:
            span = _line_span(text, lines.line_start, lines.line_end or lines.line_start)
        return _content(text, span, ref)
    note = "" if exists else f"This file is no longer at {ref.path}; showing the indexed text."
    chunks: list[Any] = []
    if ref.doc_id and core is not None:
        try:
            chunks = _doc_chunks(core, ref, 4, 4)
        except Exception:
            chunks = []
    if not chunks:
        return _content(ref.text, (0, len(ref.text)), ref, note or "Showing the cited passage as indexed.")
    text, spans = join_chunks([c.text for c in chunks])
    idx = next((i for i, c in enumerate(chunks) if c.ordinal == ref.ordinal), None)
    span = spans[idx] if idx is not None else locate(text, ref.text)
    if ref.ordinal < 0 and ref.text:
        span = locate(text, ref.text) or span
    if not note:
        note = "The text around the passage, as Cove indexed it. “Open in default app” shows the original layout."
    return _content(text, span, ref, note)


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(])")


def page_phrase(sentence: str, page_text: str) -> str:
    """The sentence as the PDF page's own text spells it (white space flattened; hyphenation and PDFium's
    soft-hyphen marks kept, since its search matches its own text), or "" when it is not on the page."""
    flat = " ".join(sentence.split())
    if not flat or not page_text:
        return ""
    if flat in " ".join(page_text.split()):
        return flat
    span = find_squeezed(page_text, sentence)
    return " ".join(page_text[span[0]:span[1]].split()) if span else ""


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
