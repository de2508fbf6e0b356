"""Document parsers: bytes and a file name in, a `ParsedDocument` out.

`parse_bytes` is the only entry point the pipeline needs. It picks a parser by extension (or by sniffing the
content when the extension is unknown) and guarantees that the only exceptions leaving it are `ParseError`
(status "error") and `SkipDocument` (status "skipped"), each with a specific, human-readable reason, so one odd
file can never stop an indexing run. Parser modules import their libraries lazily: importing this package is cheap.

Email formats (.eml, .msg, mbox) are handled elsewhere.
"""
from __future__ import annotations

from collections.abc import Callable

from indexer.documents import ParsedDocument, ParseError, SkipDocument
from indexer.parsers import docx as _docx
from indexer.parsers import epub as _epub
from indexer.parsers import html as _html
from indexer.parsers import image as _image
from indexer.parsers import pdf as _pdf
from indexer.parsers import text as _text
from indexer.parsers.textutil import decode_text, extension, looks_binary, normalize_newlines, short

__all__ = ["SUPPORTED_EXTENSIONS", "kind_for_name", "parse_bytes"]

# Extension tables live in the parser modules; the heavy libraries they use are only imported inside `parse`.
_KINDS: dict[str, str] = {
    **_pdf.EXTENSIONS, **_docx.EXTENSIONS, **_html.EXTENSIONS, **_epub.EXTENSIONS, **_text.EXTENSIONS,
    **_image.EXTENSIONS,
}
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(_KINDS)

_PARSERS: dict[str, Callable[[bytes, str], ParsedDocument]] = {
    "pdf": _pdf.parse, "docx": _docx.parse, "html": _html.parse, "epub": _epub.parse, "image": _image.parse,
}


def kind_for_name(name: str) -> str | None:
    """The document kind a file name's extension maps to (case-insensitive), or None when it is unknown."""
    return _KINDS.get(extension(name))


def _parser(kind: str) -> Callable[[bytes, str], ParsedDocument]:
    if kind in _PARSERS:
        return _PARSERS[kind]
    return lambda data, name: _text.parse(data, name, kind)


def _sniff(data: bytes, name: str) -> tuple[str, Callable[[bytes, str], ParsedDocument]]:
    """Guess what an unknown-extension file is: a PDF, DOCX or EPUB by signature, else text, else binary."""
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf", _parser("pdf")
    if data.startswith(b"PK\x03\x04"):
        head = data[:4096]
        if b"mimetypeapplication/epub+zip" in head:
            return "epub", _parser("epub")
        if b"word/" in data[:65536] and b"[Content_Types].xml" in data:
            return "docx", _parser("docx")
    ext = extension(name) or "no extension"
    if looks_binary(data):
        raise SkipDocument(f"binary file (unsupported type {ext})")
    try:
        text = decode_text(data)
    except SkipDocument as exc:
        raise SkipDocument(f"binary file (unsupported type {ext})") from exc
    head = text[:2048].lstrip().lower()
    if head.startswith(("<!doctype html", "<html")):
        return "html", _parser("html")
    return "text", lambda _data, _name: _text.parse_str(normalize_newlines(text), _name, "text")


def parse_bytes(data: bytes, name: str) -> ParsedDocument:
    """Parse one file's bytes. Raises only ParseError / SkipDocument (a subclass), with a specific reason."""
    if not data:
        raise SkipDocument("empty file")
    kind = kind_for_name(name) or "unknown"
    try:
        if kind == "unknown":
            kind, parser = _sniff(data, name)
        else:
            parser = _parser(kind)
        doc = parser(data, name)
    except (ParseError, MemoryError):  # MemoryError: the parse worker's cap speaks for itself (indexer/isolation.py)
        raise
    except RecursionError as exc:
        raise ParseError(f"{kind} parse failed: RecursionError: document nested too deeply") from exc
    except Exception as exc:  # noqa: BLE001 - the contract: nothing but ParseError/SkipDocument escapes
        raise ParseError(f"{kind} parse failed: {type(exc).__name__}: {short(exc)}") from exc
    if not any(b.text.strip() for b in doc.blocks) and not doc.meta.get("ocr_pages"):  # (ocr) indexer.ocr reads it
        raise SkipDocument(f"no text found in {kind} file")
    return doc
