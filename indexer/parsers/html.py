"""Saved web pages: index the readable article, not menus, cookie banners and scripts.

trafilatura finds the main content and emits Markdown, whose headings give `section`; when it finds nothing
(e.g. a page that is all navigation or a non-article document), a BeautifulSoup walk with page furniture removed
takes over. Nothing here touches the network: trafilatura only ever receives a string.
"""
from __future__ import annotations

import dataclasses
import logging
import re

from indexer.documents import Block, ParsedDocument, SkipDocument
from indexer.locator import Locator
from indexer.parsers.htmltext import decode_html, html_blocks, html_title, soup_of, strip_boilerplate
from indexer.parsers.text import split_markdown
from indexer.parsers.textutil import clean_line, looks_binary, merge_blocks, normalize_newlines, stem

EXTENSIONS: dict[str, str] = {".html": "html", ".htm": "html", ".xhtml": "html", ".shtml": "html"}

# Below this many characters trafilatura's pick is treated as a miss and the plain walk is used instead.
_MIN_MAIN_TEXT = 100

_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
_EMPHASIS = re.compile(r"(\*{1,3})(?=\S)(.+?)(?<=\S)\1")
_INLINE_TAGS = re.compile(r"</?(?:sup|sub|u|del|ins|mark|small|kbd|s)>", re.I)
_TABLE_RULE = re.compile(r"^\|?(?:\s*:?-+:?\s*\|)+\s*(?::?-+:?\s*)?$")
# Permalink and edit markers that saved pages (Sphinx, Wikipedia, blogs) append to headings.
_HEADING_JUNK = re.compile(r"(?:\s*(?:\[edit\]|¶|#|🔗))+\s*$")


def _md_inline(text: str) -> str:
    """Undo the Markdown trafilatura adds (escapes, emphasis, inline tags): they only add noise to the index."""
    return _ESCAPE.sub(r"\1", _INLINE_TAGS.sub("", _EMPHASIS.sub(r"\2", text)))


def main_text_blocks(html: str) -> list[Block]:
    """The main content as blocks via trafilatura (Markdown output, so headings survive)."""
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    logging.getLogger("htmldate").setLevel(logging.CRITICAL)
    from trafilatura import extract

    md = extract(
        html,
        output_format="markdown",
        include_formatting=True,
        include_tables=True,
        include_comments=False,
        include_images=False,
        include_links=False,
        with_metadata=False,
    )
    if not md:
        return []
    lines = [clean_line(line) for line in normalize_newlines(md).split("\n")]
    lines = [line for line in lines if not (line.startswith("|") and _TABLE_RULE.match(line))]
    blocks, _ = split_markdown(lines, inline=_md_inline)
    # Line numbers of trafilatura's output mean nothing in the source file.
    return [
        dataclasses.replace(b, where=Locator(page=b.where.page, section=_clean_section(b.where.section),
                                             part=b.where.part),
                            text=_HEADING_JUNK.sub("", b.text) if b.text == _heading(b) else b.text)
        for b in blocks
    ]


def _heading(block: Block) -> str:
    return block.where.section.rpartition(" › ")[2]


def _clean_section(section: str) -> str:
    return " › ".join(_HEADING_JUNK.sub("", part) for part in section.split(" › "))


def fallback_blocks(html: str) -> list[Block]:
    """Everything readable once scripts, styles, navigation, headers, footers and sidebars are gone."""
    soup = soup_of(html)
    strip_boilerplate(soup)
    return html_blocks(soup.body or soup)


def parse(data: bytes, name: str) -> ParsedDocument:
    """Decode, extract the main text, fall back to the plain walk, and find a title."""
    if looks_binary(data):
        raise SkipDocument("binary content, not HTML")
    html = decode_html(data)
    title = html_title(html)
    try:
        blocks = merge_blocks(main_text_blocks(html))
    except Exception:  # noqa: BLE001 - trafilatura choking on odd markup is no reason to lose the page
        blocks = []
    if sum(len(b.text) for b in blocks) < _MIN_MAIN_TEXT:
        # trafilatura found no article; on such small pages its own fallback keeps menus, ours drops them.
        blocks = fallback_blocks(html) or blocks
    if not blocks:
        raise SkipDocument("no readable text in HTML")
    if not title:
        title = next((b.where.section.split(" › ")[0] for b in blocks if b.where.section), "") or stem(name)
    return ParsedDocument(kind="html", title=title, blocks=tuple(blocks))
