"""Image files (photos and scans of paper): nothing to extract without OCR, so the parser only checks the file is
the image its name says and marks every page (TIFF frames) for `indexer.ocr`. Decoding the pixels happens only in
the OCR worker process, never here. HEIC is not read: the only decoder wheel bundles GPL/LGPL codecs."""
from __future__ import annotations

from indexer.documents import ParsedDocument, ParseError
from indexer.parsers.textutil import extension, stem

EXTENSIONS: dict[str, str] = {".png": "image", ".jpg": "image", ".jpeg": "image", ".tif": "image",
                              ".tiff": "image", ".webp": "image"}

_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


def looks_like_image(data: bytes) -> bool:
    return data.startswith(_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def parse(data: bytes, name: str) -> ParsedDocument:
    if not looks_like_image(data):
        raise ParseError(f"corrupt image: not a {extension(name).lstrip('.').upper() or 'known'} image")
    return ParsedDocument(kind="image", title=stem(name), blocks=(),
                          meta={"ocr_pages": "all", "ocr_reason": "image: only OCR can read it"})
