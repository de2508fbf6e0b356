"""HTML helpers shared by the HTML and EPUB parsers: charset detection, the page title, and a BeautifulSoup walk
that turns markup into headings and paragraphs.

The walk is iterative (no recursion limit on deeply nested markup) and keeps block structure, because a block
boundary is where one paragraph ends and a heading is what gives a chunk its `section`.
"""
from __future__ import annotations

import codecs
import html as htmllib
import re
from collections.abc import Container, Iterator
from typing import TYPE_CHECKING

from indexer.documents import Block
from indexer.locator import Locator
from indexer.parsers.textutil import HeadingPath, bom_encoding, clean_line, merge_blocks

if TYPE_CHECKING:
    from bs4 import Tag

# ("h", level, text) for a heading, ("p", 0, text) for a paragraph, ("a", 0, id) for an element id the caller
# asked to hear about (EPUB table-of-contents anchors).
Event = tuple[str, int, str]

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,100}encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""", re.I)
# WHATWG: these labels mean windows-1252 in a browser, and pages rely on it.
_LABEL_ALIASES = {"iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
                  "us-ascii": "cp1252", "ascii": "cp1252", "x-sjis": "shift_jis", "gb2312": "gb18030",
                  "gbk": "gb18030"}


def _codec(label: bytes | str) -> str | None:
    name = label.decode("ascii", "ignore") if isinstance(label, bytes) else label
    name = _LABEL_ALIASES.get(name.strip().lower(), name.strip().lower())
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_html(data: bytes) -> str:
    """Bytes to str: BOM, valid UTF-8, the declared charset, then charset-normalizer."""
    enc = bom_encoding(data)
    if enc:
        return data.decode(enc, errors="replace")
    head = data[:4096]
    m = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    declared = _codec(m.group(1)) if m else None
    if declared and declared.startswith("utf-16"):  # a UTF-16 label in ASCII-readable bytes is a lie
        declared = "utf-8"
    # Valid UTF-8 with non-ASCII bytes is almost never legacy text, whatever the page declares (saved pages are
    # often re-encoded without fixing the meta tag); otherwise the declaration wins, as in a browser.
    for candidate in ("utf-8", declared):
        if candidate:
            try:
                return data.decode(candidate)
            except (UnicodeDecodeError, LookupError):
                pass
    if declared:
        return data.decode(declared, errors="replace")
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return str(best) if best is not None else data.decode("utf-8", errors="replace")


_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.I | re.S)
_META_TAG = re.compile(r"<meta\b[^>]*>", re.I | re.S)
_ATTR = re.compile(r"""([\w:\-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_TAGS = re.compile(r"<[^>]+>")


def html_title(text: str) -> str:
    """og:title, else <title>: what the page calls itself (regex on the head; no second DOM parse)."""
    end = text.lower().find("</head")
    head = text[: end if end > 0 else 1_000_000]
    for tag in _META_TAG.findall(head):
        attrs = {k.lower(): (a or b or c) for k, a, b, c in _ATTR.findall(tag)}
        if (attrs.get("property") or attrs.get("name") or "").lower() == "og:title":
            title = clean_line(htmllib.unescape(attrs.get("content", "")))
            if title:
                return title
    m = _TITLE.search(head)
    return clean_line(htmllib.unescape(_TAGS.sub("", m.group(1)))) if m else ""


BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog div dl dt fieldset figcaption figure "
    "footer form header hgroup hr html legend li main menu nav ol p pre section summary table tbody tfoot thead "
    "ul".split()
)
SKIP_TAGS = frozenset("script style noscript template svg canvas iframe object embed head title select "
                      "button input textarea audio video map".split())
BOILERPLATE_TAGS = ("nav", "header", "footer", "aside", "form")
HEADINGS = {f"h{i}": i for i in range(1, 7)}
_WS = re.compile(r"\s+")


def soup_of(text: str | bytes) -> Tag:
    """Parse HTML with lxml through BeautifulSoup (tolerant of any tag soup)."""
    import warnings

    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    with warnings.catch_warnings():  # XHTML (EPUB chapters) through the HTML parser is intended
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(text, "lxml")


def strip_boilerplate(root: Tag) -> None:
    """Remove page furniture (navigation, headers, footers, sidebars, forms) before a plain-text fallback."""
    for tag in root.find_all(BOILERPLATE_TAGS):
        tag.decompose()
    for tag in root.find_all(attrs={"role": ("navigation", "banner", "contentinfo", "complementary")}):
        tag.decompose()


def one_line(text: str) -> str:
    """All whitespace (newlines included) collapsed: for headings and table cells."""
    return clean_line(" ".join(text.split()))


def _flush(buf: list[str], pre: bool) -> str:
    text = "".join(buf)
    buf.clear()
    if pre:
        return "\n".join(line.rstrip() for line in text.strip("\n").split("\n"))
    return "\n".join(line for line in (clean_line(x) for x in text.split("\n")) if line)


def html_events(root: Tag, anchors: Container[str] = ()) -> Iterator[Event]:
    """Walk the tree in document order yielding headings, paragraphs and requested anchors."""
    from bs4 import Comment, NavigableString, Tag as _Tag
    from bs4.element import Declaration, Doctype, ProcessingInstruction

    buf: list[str] = []
    pre = 0
    stack: list[tuple[object, bool]] = [(root, False)]

    def flush() -> Iterator[Event]:
        text = _flush(buf, pre > 0)
        if text.strip():
            yield ("p", 0, text)

    while stack:
        node, closing = stack.pop()
        if closing:
            assert isinstance(node, _Tag)
            if node.name in BLOCK_TAGS:
                yield from flush()
            if node.name == "pre":
                pre -= 1
            continue
        if isinstance(node, NavigableString):
            if not isinstance(node, (Comment, Declaration, Doctype, ProcessingInstruction)):
                buf.append(str(node) if pre else _WS.sub(" ", str(node)))
            continue
        if not isinstance(node, _Tag):
            continue
        name = (node.name or "").lower().rpartition(":")[2]
        if name in SKIP_TAGS:
            continue
        ident = node.get("id")
        if anchors and isinstance(ident, str) and ident in anchors:
            yield from flush()
            yield ("a", 0, ident)
        if name in HEADINGS:
            yield from flush()
            text = one_line(node.get_text(" "))
            if text:
                yield ("h", HEADINGS[name], text)
            continue
        if name == "tr":
            yield from flush()
            cells = [one_line(c.get_text(" ")) for c in node.find_all(("td", "th"), recursive=False)]
            if any(cells):
                yield ("p", 0, " | ".join(cells))
            continue
        if name == "br":
            buf.append("\n")
            continue
        if name in BLOCK_TAGS:
            yield from flush()
        if name == "pre":
            pre += 1
        if name in ("td", "th", "dd", "li") and buf and "".join(buf).strip():
            buf.append(" ")
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.contents))
    yield from flush()


def html_blocks(root: Tag, base: tuple[str, ...] = ()) -> list[Block]:
    """Headings and paragraphs of a (sub)tree as blocks, with the heading path as `section`."""
    path = HeadingPath(base)
    blocks: list[Block] = []
    for kind, level, text in html_events(root):
        if kind == "h":
            path.push(level, text)
        blocks.append(Block(text=text, where=Locator(section=path.path)))
    return merge_blocks(blocks)
