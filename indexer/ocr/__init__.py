"""Offline OCR for what has no text: PDF pages without a text layer and image files.

Parsers only mark what needs OCR (`meta["ocr_pages"]`: 1-based page numbers joined by ",", or "all"), so parsing
stays fast and OCR-free; `complete` then runs OCR for those pages in a separate low-priority worker process
(`indexer.ocr.client`) and merges the text back as ordinary blocks with their page, so chunking, citations and
incremental indexing treat an OCR'd page exactly like a text page. Nothing here imports rapidocr: only the worker
does.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from typing import Callable

from indexer.documents import Block, ParsedDocument, ParseError, SkipDocument
from indexer.locator import Locator
from indexer.ocr.client import OcrRun, OcrUnavailable, ocr_document
from indexer.ocr.limits import OcrLimits

__all__ = ["OCR_OFF", "OcrLimits", "complete", "needs_ocr", "ocr_was_off"]

OCR_OFF = "OCR is off"


def needs_ocr(parsed: ParsedDocument) -> bool:
    return bool(parsed.meta.get("ocr_pages"))


def ocr_was_off(status: str, reason: str) -> bool:
    """A document skipped only because OCR was off: worth another look once OCR is on again."""
    return status == "skipped" and reason.endswith(OCR_OFF)


def complete(parsed: ParsedDocument, data: bytes, *, enabled: bool = True, limits: OcrLimits | None = None,
             on_page: Callable[[int, int], None] | None = None,
             cancel: threading.Event | None = None) -> ParsedDocument:
    """Run OCR on the pages the parser marked and merge the text in. Raises SkipDocument / ParseError (with the
    reason) when the document ends up with no text at all; pages that fail are listed in `meta["ocr_errors"]`."""
    want = parsed.meta.get("ocr_pages", "")
    if not want:
        return parsed
    reason = parsed.meta.get("ocr_reason", "no text")
    meta = {k: v for k, v in parsed.meta.items() if k not in ("ocr_pages", "ocr_reason")}
    if not enabled:
        if parsed.blocks:
            return replace(parsed, meta=meta)
        raise SkipDocument(f"{reason}; {OCR_OFF}")
    pages = None if want == "all" else sorted({int(p) - 1 for p in want.split(",") if p.strip().isdigit()})
    try:
        run = ocr_document(parsed.kind, data, pages, limits, on_page, cancel)
    except OcrUnavailable as exc:
        if parsed.blocks:
            return replace(parsed, meta={**meta, "ocr_errors": f"OCR unavailable: {exc}"})
        raise SkipDocument(f"{reason}; OCR unavailable: {exc}") from exc
    if run.document_error == "cancelled":  # never store half a scan as indexed: the next run reads it whole
        raise ParseError("OCR cancelled")
    return _merge(parsed, run, meta, reason)


def _merge(parsed: ParsedDocument, run: OcrRun, meta: dict[str, str], reason: str) -> ParsedDocument:
    from indexer.parsers.pdf import page_text

    numbered = parsed.kind == "pdf" or run.total > 1
    ocr_blocks = {p + 1: Block(text=t, where=Locator(page=p + 1 if numbered else None))
                  for p, t in ((p, page_text(t)) for p, t in sorted(run.texts.items())) if t}
    kept = [b for b in parsed.blocks if b.where.page not in ocr_blocks]
    blocks = sorted(kept + list(ocr_blocks.values()), key=lambda b: b.where.page or 0)
    errors = "; ".join(([run.document_error] if run.document_error else [])
                       + [f"p. {p + 1}: {e}" if numbered else e for p, e in sorted(run.errors.items())])
    empty = [str(p + 1) for p, t in sorted(run.texts.items()) if not t.strip()]  # blank, or an image that broke
    notes = "; ".join(x for x in (errors, f"OCR found no text on p. {', '.join(empty)}" if empty and numbered else "")
                      if x)
    if not blocks:
        if not errors:
            raise SkipDocument(f"{reason}; OCR found no text")
        if all("too large" in e or "too small" in e for e in [run.document_error, *run.errors.values()] if e):
            raise SkipDocument((f"{reason}; {errors}" if parsed.kind == "pdf" else errors)[:400])
        raise ParseError((f"OCR failed: {errors}" if parsed.kind == "pdf" else errors)[:400])
    meta["ocr_pages_done"] = str(len(run.texts))
    if notes:
        meta["ocr_errors"] = notes[:400]
    return replace(parsed, blocks=tuple(blocks), meta=meta)
