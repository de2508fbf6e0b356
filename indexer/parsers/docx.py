"""Word .docx: body paragraphs and tables in document order, then headers/footers, footnotes, endnotes and comments.

python-docx opens the package (it finds the main part however the zip is laid out) and resolves styles; the text
itself is read straight from the XML, because python-docx's `Paragraph.text` misses tracked insertions, content
controls and text boxes, and does not expose footnotes at all. Headings ("Heading N", "Title", or any style with an
outline level) build the `section` path.
"""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from indexer.documents import Block, ParsedDocument, ParseError, SkipDocument
from indexer.locator import Locator
from indexer.parsers.ziplimits import check_zip
from indexer.parsers.textutil import BLOCK_CHARS, HeadingPath, clean_line, first_line, merge_blocks, short, stem

EXTENSIONS: dict[str, str] = {".docx": "docx", ".docm": "docx", ".dotx": "docx", ".dotm": "docx"}

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
# Subtrees never shown as text: deletions, moved-away text, field codes (their result runs are read), deleted codes.
_SKIP_TAGS = frozenset({f"{W}del", f"{W}moveFrom", f"{W}instrText", f"{W}delText", f"{W}delInstrText"})
_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml."
# Extra parts, in the order they are appended after the body: (content type suffix, section, item tag).
_EXTRA_PARTS = (
    ("header+xml", "Header", None),
    ("footer+xml", "Footer", None),
    ("footnotes+xml", "Footnotes", f"{W}footnote"),
    ("endnotes+xml", "Endnotes", f"{W}endnote"),
    ("comments+xml", "Comments", f"{W}comment"),
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADING_NAME = re.compile(r"^heading\s*(\d)$", re.I)


def paragraph_text(p: Any) -> str:
    """Visible text of a w:p element, including hyperlinks, insertions and text boxes, without deleted text.

    Each paragraph inside a text box or shape (w:txbxContent) becomes its own line, so words of separate boxes are
    never glued ("2017Using", "KiiskInstitute" in pandoc's text_in_shape_format.docx); of an mc:AlternateContent only
    one branch is read (the Fallback is usually the Choice's text again, as VML).
    """
    parts: list[str] = []
    _walk(p, parts)
    return "\n".join(x for x in (clean_line(line) for line in "".join(parts).split("\n")) if x)


def _walk(el: Any, parts: list[str]) -> None:
    """Append el's visible text in document order; nested paragraphs and table cells start and end a line.

    Recursion is bounded: lxml (no huge_tree) refuses XML nested deeper than 256 levels.
    """
    for child in el.iterchildren():
        tag = child.tag
        if tag == f"{W}t":
            parts.append(child.text or "")
        elif tag in (f"{W}tab", f"{W}ptab"):
            parts.append("\t")
        elif tag in (f"{W}br", f"{W}cr"):
            parts.append("\n")
        elif tag == f"{W}noBreakHyphen":
            parts.append("-")
        elif tag in _SKIP_TAGS:
            continue
        elif tag == f"{MC}AlternateContent":
            _walk_alternate(child, parts)
        elif tag in (f"{W}p", f"{W}tc"):
            parts.append("\n")
            _walk(child, parts)
            parts.append("\n")
        else:
            _walk(child, parts)


def _walk_alternate(el: Any, parts: list[str]) -> None:
    """The first mc:Choice that has text, else the mc:Fallback: branches are alternative renderings of one content."""
    for branch in [*el.iterchildren(f"{MC}Choice"), *el.iterchildren(f"{MC}Fallback")]:
        got: list[str] = []
        _walk(branch, got)
        if "".join(got).strip():
            parts.extend(got)
            return


def _top_paragraphs(container: Any) -> Iterator[Any]:
    """The w:p of container not inside another w:p: a text box's paragraphs are read once, by their host paragraph."""
    for p in container.iter(f"{W}p"):
        anc = p.getparent()
        while anc is not None and anc is not container and anc.tag != f"{W}p":
            anc = anc.getparent()
        if p is not container and (anc is None or anc is container):
            yield p


def table_rows(tbl: Any) -> list[str]:
    """Each row as " | "-joined cell texts on one line; nested tables, text boxes and breaks flatten into the cell."""
    rows: list[str] = []
    for tr in tbl.iter(f"{W}tr"):
        if _nearest(tr, f"{W}tbl") is not tbl:
            continue
        cells = []
        for tc in tr.iter(f"{W}tc"):
            if _nearest(tc, f"{W}tr") is tr:
                texts = (paragraph_text(p).replace("\n", " ") for p in _top_paragraphs(tc))
                cells.append(" ".join(t for t in texts if t))
        if any(cells):
            rows.append(" | ".join(cells).strip(" |") if not cells[0] or not cells[-1] else " | ".join(cells))
    return rows


def _nearest(el: Any, tag: str) -> Any:
    anc = el.getparent()
    while anc is not None and anc.tag != tag:
        anc = anc.getparent()
    return anc


def _block_items(parent: Any) -> Iterator[Any]:
    """Block-level w:p and w:tbl in order, looking through content controls and custom XML wrappers."""
    for child in parent.iterchildren():
        tag = child.tag
        if tag in (f"{W}p", f"{W}tbl"):
            yield child
        elif tag in (f"{W}sdt", f"{W}customXml", f"{W}ins", f"{W}moveTo", f"{W}smartTag"):
            content = child.find(f"{W}sdtContent") if tag == f"{W}sdt" else child
            if content is not None:
                yield from _block_items(content)
        elif tag == f"{MC}AlternateContent":
            choice = child.find(f"{MC}Choice")
            if choice is not None:
                yield from _block_items(choice)


class _Styles:
    """Heading level per paragraph style id (None = not a heading); follows `basedOn` chains."""

    def __init__(self, doc: Any) -> None:
        self.el = doc.styles.element
        self.cache: dict[str, int | None] = {}

    def level(self, style_id: str | None, depth: int = 0) -> int | None:
        if not style_id or depth > 8:
            return None
        if style_id in self.cache:
            return self.cache[style_id]
        level: int | None = None
        style = self.el.find(f"{W}style[@{W}styleId='{style_id}']") if "'" not in style_id else None
        if style is not None:
            name_el = style.find(f"{W}name")
            name = (name_el.get(f"{W}val") or "") if name_el is not None else ""
            m = _HEADING_NAME.match(name.strip()) or _HEADING_NAME.match(style_id)
            outline = style.find(f"{W}pPr/{W}outlineLvl")
            if m:
                level = int(m.group(1))
            elif name.strip().lower() == "title" or style_id.lower() == "title":
                level = 0
            elif outline is not None and (outline.get(f"{W}val") or "").isdigit() and int(outline.get(f"{W}val")) < 9:
                level = int(outline.get(f"{W}val")) + 1
            else:
                based = style.find(f"{W}basedOn")
                if based is not None:
                    level = self.level(based.get(f"{W}val"), depth + 1)
        self.cache[style_id] = level
        return level


def _paragraph_level(p: Any, styles: _Styles) -> int | None:
    ppr = p.find(f"{W}pPr")
    if ppr is None:
        return None
    outline = ppr.find(f"{W}outlineLvl")
    if outline is not None and (outline.get(f"{W}val") or "").isdigit() and int(outline.get(f"{W}val")) < 9:
        return int(outline.get(f"{W}val")) + 1
    style = ppr.find(f"{W}pStyle")
    return styles.level(style.get(f"{W}val")) if style is not None else None


def _table_blocks(rows: list[str], section: str) -> list[Block]:
    """Rows grouped into blocks of up to ~BLOCK_CHARS, one row per line."""
    out: list[Block] = []
    group: list[str] = []
    for row in rows:
        if group and sum(len(r) + 1 for r in group) + len(row) > BLOCK_CHARS:
            out.append(Block(text="\n".join(group), where=Locator(section=section)))
            group = []
        group.append(row)
    if group:
        out.append(Block(text="\n".join(group), where=Locator(section=section)))
    return out


def _open(data: bytes) -> Any:
    if data.startswith(_OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise ParseError("encrypted: password required")
        raise ParseError("corrupt DOCX: an OLE file (legacy .doc?), not a DOCX package")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ParseError("corrupt DOCX: not a zip archive")
    check_zip(data, "docx")  # before python-docx inflates every part (zip bombs)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        return docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        raise ParseError(f"corrupt DOCX: {type(exc).__name__}: {short(exc, 150)}") from exc
    except Exception as exc:  # noqa: BLE001 - lxml syntax errors and friends from a damaged package
        raise ParseError(f"corrupt DOCX: {type(exc).__name__}: {short(exc, 150)}") from exc


def _part_root(part: Any) -> Any:
    el = getattr(part, "element", None)
    if el is not None:
        return el
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)
    return etree.fromstring(part.blob, parser)


def _extra_blocks(doc: Any) -> list[Block]:
    """Headers, footers, footnotes, endnotes and comments; identical repeats (per-section headers) once only."""
    parts = sorted(doc.part.package.iter_parts(), key=lambda p: str(p.partname))
    out: list[Block] = []
    seen: set[str] = set()
    for suffix, section, item_tag in _EXTRA_PARTS:
        for part in parts:
            if part.content_type != _CT + suffix:
                continue
            root = _part_root(part)
            if root is None:
                continue
            items = [root] if item_tag is None else list(root.iter(item_tag))
            for item in items:
                if (item.get(f"{W}type") or "normal") not in ("normal",):
                    continue  # footnote separators
                text = "\n".join(t for t in (paragraph_text(p) for p in _top_paragraphs(item)) if t)
                if text and text not in seen:
                    seen.add(text)
                    out.append(Block(text=text, where=Locator(section=section)))
    return out


def parse(data: bytes, name: str) -> ParsedDocument:
    """Body in reading order with heading paths, then the extra parts; title from core properties or headings."""
    doc = _open(data)
    styles = _Styles(doc)
    path = HeadingPath()
    blocks: list[Block] = []
    first_heading = ""
    for el in _block_items(doc.element.body):
        if el.tag == f"{W}tbl":
            blocks.extend(_table_blocks(table_rows(el), path.path))
            continue
        text = paragraph_text(el)
        if not text:
            continue
        level = _paragraph_level(el, styles)
        if level is not None:
            heading = clean_line(text.replace("\n", " "))
            path.push(level, heading)
            first_heading = first_heading or heading
        blocks.append(Block(text=text, where=Locator(section=path.path)))
    blocks.extend(_extra_blocks(doc))
    blocks = merge_blocks(blocks)
    if not blocks:
        raise SkipDocument("no text in DOCX (empty document)")
    try:
        title = clean_line(doc.core_properties.title or "")
    except Exception:  # noqa: BLE001 - a malformed core.xml must not cost us the text
        title = ""
    title = title or first_heading or first_line(blocks[0].text) or stem(name)
    return ParsedDocument(kind="docx", title=title, blocks=tuple(blocks))
