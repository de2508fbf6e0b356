"""EPUB books: chapter text in spine (reading) order, each block under its chapter title.

Chapter titles come from the book's table of contents (NCX or EPUB 3 nav), including entries that point at an
anchor inside a file (several chapters in one XHTML file), else from the chapter's own headings. The HTML is
walked with the same helper as the HTML parser.
"""
from __future__ import annotations

import io
import warnings
import zipfile
from typing import Any
from urllib.parse import unquote

from indexer.documents import Block, ParsedDocument, ParseError, SkipDocument
from indexer.locator import Locator
from indexer.parsers.htmltext import html_events, one_line, soup_of
from indexer.parsers.ziplimits import check_zip
from indexer.parsers.textutil import HeadingPath, clean_line, merge_blocks, short, stem

EXTENSIONS: dict[str, str] = {".epub": "epub"}

# Font obfuscation is not DRM: the text is still readable.
_FONT_OBFUSCATION = {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"}

TocMap = dict[str, dict[str, str]]  # file href -> {fragment ("" = whole file): title}


def _check_package(data: bytes) -> None:
    """Reject non-zips and DRM-encrypted books up front, with reasons a person understands."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ParseError(f"corrupt EPUB: not a zip archive ({short(exc, 80)})") from exc
    with zf:
        names = set(zf.namelist())
        if "META-INF/rights.xml" in names:
            raise ParseError("encrypted: DRM-protected EPUB")
        if "META-INF/encryption.xml" in names:
            from lxml import etree

            parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
            root = etree.fromstring(zf.read("META-INF/encryption.xml"), parser)
            if root is not None:
                algorithms = {m.get("Algorithm", "") for m in root.iter("{*}EncryptionMethod")}
                if algorithms - _FONT_OBFUSCATION:
                    raise ParseError("encrypted: DRM-protected EPUB")


def toc_map(toc: Any) -> TocMap:
    """Flatten the (nested) ebooklib TOC into href -> fragment -> title; the first entry for a target wins."""
    out: TocMap = {}
    stack: list[Any] = list(reversed(list(toc or [])))
    while stack:
        entry = stack.pop()
        if isinstance(entry, (tuple, list)):
            children = list(entry[1]) if len(entry) > 1 else []
            stack.extend(reversed(children))
            entry = entry[0]
        title = one_line(str(getattr(entry, "title", "") or ""))
        href = getattr(entry, "href", None) or getattr(entry, "file_name", None) or ""
        if not title or not href:
            continue
        file, _, frag = unquote(href).partition("#")
        out.setdefault(file, {}).setdefault(frag, title)
    return out


def _read(data: bytes) -> Any:
    from ebooklib import epub

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return epub.read_epub(io.BytesIO(data), options={"ignore_ncx": False})
    except Exception as exc:  # noqa: BLE001 - ebooklib raises KeyError, EpubException, lxml errors...
        raise ParseError(f"corrupt EPUB: {type(exc).__name__}: {short(exc, 150)}") from exc


def chapter_blocks(content: bytes, entries: dict[str, str]) -> list[Block]:
    """One spine document: blocks under the TOC title in force (switching at TOC anchors) or its own headings."""
    soup = soup_of(content)
    base = entries.get("")
    path = HeadingPath([base] if base else [])
    anchors = {k for k in entries if k}
    blocks: list[Block] = []
    for kind, level, text in html_events(soup.body or soup, anchors):
        if kind == "a":
            path.reset([entries[text]])
            continue
        if kind == "h" and not (path.base and not path.stack and text.casefold() == path.base[-1].casefold()):
            path.push(level, text)
        blocks.append(Block(text=text, where=Locator(section=path.path)))
    return blocks


def parse(data: bytes, name: str) -> ParsedDocument:
    """Read the spine in order; skip the navigation document (it only repeats the chapter titles)."""
    check_zip(data, "epub")  # before ebooklib inflates every item (zip bombs)
    _check_package(data)
    from ebooklib import ITEM_DOCUMENT, epub

    book = _read(data)
    toc = toc_map(book.toc)
    blocks: list[Block] = []
    for idref, _linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or isinstance(item, epub.EpubNav) or item.get_type() != ITEM_DOCUMENT:
            continue
        try:
            blocks.extend(chapter_blocks(item.get_content(), toc.get(unquote(item.get_name()), {})))
        except Exception:  # noqa: BLE001 - one broken chapter must not lose the book
            continue
    blocks = merge_blocks(blocks)
    if not blocks:
        raise SkipDocument("no text in EPUB (images only or empty)")
    titles = book.get_metadata("DC", "title")
    title = clean_line(str(titles[0][0])) if titles and titles[0] and titles[0][0] else ""
    meta: dict[str, str] = {}
    creators = book.get_metadata("DC", "creator")
    if creators and creators[0] and creators[0][0]:
        meta["author"] = clean_line(str(creators[0][0]))
    return ParsedDocument(kind="epub", title=title or stem(name), blocks=tuple(blocks), meta=meta)
