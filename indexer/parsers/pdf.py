"""PDF text per page via pypdf, so a citation can say "p. 4".

Real PDFs are often broken: each page is extracted on its own (one bad page never loses the rest), documents
encrypted only for permissions are opened with the empty password, and every failure becomes a reason a person
can act on ("encrypted: password required", "no text layer (scanned)", "not a valid PDF: ...").
"""
from __future__ import annotations

import io
import logging
import re
import statistics
import time

from indexer.documents import Block, ParsedDocument, ParseError, SkipDocument
from indexer.locator import Locator
from indexer.heartbeat import beat
from indexer.parsers.textutil import clean_line, first_line, normalize_newlines, short, stem

# A PDF page with fewer extracted characters than this is treated as an image of text (scanner stamps, a page
# number or a stray "." from a broken text layer are below it; a real text page is hundreds).
# Defined here, not in indexer.ocr: the parser decides what needs OCR without importing the OCR package.
MIN_TEXT_CHARS = 20

EXTENSIONS: dict[str, str] = {".pdf": "pdf"}

# A page is abandoned (not the document) after this many pages have failed in a row: a broken page tree tends to
# fail identically for every page, and trying thousands of them only burns time.
_MAX_CONSECUTIVE_PAGE_FAILURES = 50
# Whole-document budget; pages after it are left out and the document says so in `meta["truncated"]`. A hung page
# is stopped by the parse worker's per-page time limit (issue 13, `parse_timeout_s`), so this only bounds a long but
# working document: a 3,000-page report reads in ~1-3 min on the reference machine, more under load.
TIME_BUDGET_S = 1800.0

_HYPHEN_BREAK = re.compile(r"(\w)-\n(\w)")
_SENTENCE_END = (".", "!", "?", ":", "\u3002", "\u201d", '"')
_JUNK_TITLES = re.compile(
    r"^(untitled.*|microsoft (word|powerpoint|excel) - .*|document\d*|slide \d+|.*\.(pdf|docx?|dvi|tex|pptx?|xlsx?))?$",
    re.I)


def _quiet() -> None:
    # pypdf logs a warning for every recoverable defect; the index records what matters instead.
    logging.getLogger("pypdf").setLevel(logging.ERROR)


def page_text(raw: str) -> str:
    """Tidy one page: collapse spaces, re-join hyphenated words, and mark likely paragraph ends with a blank line.

    pypdf gives one line per text line; a short line ending a sentence, followed by a capitalised line, is taken as
    the end of a paragraph.
    """
    lines = [clean_line(line) for line in normalize_newlines(raw).split("\n")]
    lengths = [len(x) for x in lines if x]
    if not lengths:
        return ""
    typical = statistics.median(lengths)
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line and nxt and typical >= 30 and len(line) < 0.75 * typical and line.endswith(_SENTENCE_END) and (
                nxt[0].isupper() or nxt[0].isdigit()):
            out.append("")
    text = "\n".join(out)
    text = _HYPHEN_BREAK.sub(lambda m: m.group(1) + m.group(2) if m.group(2).islower() else m.group(0), text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _open(data: bytes):  # noqa: ANN202 - pypdf.PdfReader, imported lazily
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    head = data[:1024]
    if b"%PDF-" not in head:
        raise ParseError("not a valid PDF: no %PDF header")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except (PdfReadError, ValueError, KeyError, IndexError, TypeError, AttributeError, AssertionError) as exc:
        raise ParseError(f"corrupt PDF: {short(exc, 120)}") from exc
    if reader.is_encrypted:
        try:
            ok = reader.decrypt("")
        except (DependencyError, NotImplementedError) as exc:
            raise ParseError(f"encrypted: unsupported encryption ({short(exc, 100)})") from exc
        except (PdfReadError, FileNotDecryptedError, ValueError, KeyError) as exc:
            raise ParseError(f"encrypted: could not decrypt ({short(exc, 100)})") from exc
        if not ok:
            raise ParseError("encrypted: password required")
    return reader


def _metadata_title(reader) -> str:  # noqa: ANN001
    try:
        meta = reader.metadata
        title = clean_line(str(meta.title)) if meta and meta.title else ""
    except Exception:  # noqa: BLE001 - broken docinfo must not cost us the text
        return ""
    title = title.replace("\x00", "")
    return "" if _JUNK_TITLES.match(title) else title[:300]


def parse(data: bytes, name: str) -> ParsedDocument:
    """Extract every page's text; raise with a specific reason when there is nothing to index."""
    _quiet()
    reader = _open(data)
    try:
        n_pages = len(reader.pages)
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types for a broken page tree
        raise ParseError(f"corrupt PDF: cannot read page tree ({type(exc).__name__}: {short(exc, 120)})") from exc
    if n_pages == 0:
        raise SkipDocument("PDF has no pages")

    started = time.monotonic()
    blocks: list[Block] = []
    textless: list[tuple[int, bool]] = []  # (ocr) 1-based page, whether it draws an image or form
    failures: list[str] = []
    consecutive = 0
    truncated = ""
    for index in range(n_pages):
        beat(index, n_pages, "pages")  # the parse worker's time limit applies per page (indexer/heartbeat.py)
        if time.monotonic() - started > TIME_BUDGET_S:
            truncated = f"time budget: stopped after page {index} of {n_pages}"
            break
        try:
            page = reader.pages[index]
            text = page_text(page.extract_text() or "")
            consecutive = 0
        except Exception as exc:  # noqa: BLE001 - one bad page must not lose the others
            failures.append(f"p. {index + 1}: {type(exc).__name__}")
            consecutive += 1
            if consecutive >= _MAX_CONSECUTIVE_PAGE_FAILURES:
                truncated = f"gave up after {consecutive} unreadable pages in a row"
                break
            continue
        if len(text.strip()) < MIN_TEXT_CHARS:  # (ocr) an image of text, or a blank page: see _ocr_meta
            textless.append((index + 1, _has_xobject(page)))
        if text:
            blocks.append(Block(text=text, where=Locator(page=index + 1)))

    ocr = _ocr_meta(blocks, textless)
    if not blocks and not ocr:
        if failures and len(failures) >= min(n_pages, _MAX_CONSECUTIVE_PAGE_FAILURES):
            raise ParseError(f"corrupt PDF: no page could be read ({failures[0]})")
        raise SkipDocument("no text layer (scanned)")
    title = _metadata_title(reader) or (first_line(blocks[0].text) if blocks and not ocr else "") or stem(name)
    meta = {"pages": str(n_pages), **ocr}
    if failures:
        meta["page_errors"] = short("; ".join(failures), 300)
    if truncated:
        meta["truncated"] = truncated
    return ParsedDocument(kind="pdf", title=title, blocks=tuple(blocks), meta=meta)


def _has_xobject(page) -> bool:  # noqa: ANN001 - a pypdf PageObject
    """Whether the page draws an image or form XObject (a scan is one image; a blank page has none)."""
    try:
        resources = page.get("/Resources")
        xobjects = resources.get_object().get("/XObject") if resources is not None else None
        return bool(xobjects and len(xobjects.get_object()))
    except Exception:  # noqa: BLE001 - a broken resource dict: let OCR have a look
        return True


def _ocr_meta(blocks: list[Block], textless: list[tuple[int, bool]]) -> dict[str, str]:
    """(ocr) Which pages OCR should read: in a document with no text at all every text-less page (text drawn as
    curves renders fine); otherwise only text-less pages that draw an image, so blank pages cost nothing."""
    pages = [p for p, has_image in textless if has_image or not blocks]
    if not pages:
        return {}
    return {"ocr_pages": ",".join(map(str, pages)), "ocr_reason": "no text layer (scanned)"}
