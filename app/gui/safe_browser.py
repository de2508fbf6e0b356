"""A QTextBrowser that never reaches the network. Model output and email can contain remote images or style sheets
("tracking pixels"); QTextBrowser would fetch nothing remote by itself, but loadResource is where a resource would be
resolved, so refusing every non-local URL here makes the guarantee explicit and testable. Links never navigate."""
from __future__ import annotations

import re

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import QTextBrowser, QWidget

LOCAL_SCHEMES = frozenset({"file", "data", "qrc", ""})
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_CITE = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\](?!\()")
MARKDOWN = QTextDocument.MarkdownFeature.MarkdownDialectGitHub | QTextDocument.MarkdownFeature.MarkdownNoHTML


def is_local(url: QUrl) -> bool:
    return url.scheme().lower() in LOCAL_SCHEMES and not url.host()


class SafeTextBrowser(QTextBrowser):
    """Read-only rich text that loads only local resources; every refused URL is remembered (for tests/diagnostics)."""

    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.refused_urls: list[str] = []

    def loadResource(self, type_: int, url: QUrl) -> object:  # noqa: N802 (Qt override)
        if not is_local(url):
            if url.toString() not in self.refused_urls:
                self.refused_urls.append(url.toString())
                self.refused.emit(url.toString())
            return None
        return super().loadResource(type_, url)


def linkify_citations(markdown: str) -> str:
    """"… in 2019 [1, 2]." → "… in 2019 [\\[1\\]](cite:1)[\\[2\\]](cite:2)." so each number is its own link."""

    def repl(m: re.Match[str]) -> str:
        nums = [n.strip() for n in m.group(1).split(",")]
        return "".join(f"[\\[{n}\\]](cite:{n})" for n in nums)

    return _CITE.sub(repl, markdown)


def set_answer_markdown(doc: QTextDocument, markdown: str, accent: str) -> None:
    """Render an answer (Markdown, HTML off) and restyle its citation links as bold accent-coloured markers."""
    markdown = _IMAGE.sub(lambda m: f"[image: {m.group(1) or 'not shown'}]", markdown)  # never fetched anyway
    doc.setMarkdown(linkify_citations(markdown), MARKDOWN)
    block = doc.begin()
    from PySide6.QtGui import QColor, QFont

    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            if frag.isValid():
                fmt = frag.charFormat()
                if fmt.isAnchor() and fmt.anchorHref().startswith("cite:"):
                    cur = QTextCursor(doc)
                    cur.setPosition(frag.position())
                    cur.setPosition(frag.position() + frag.length(), QTextCursor.MoveMode.KeepAnchor)
                    new = fmt
                    new.setFontUnderline(False)
                    new.setFontWeight(QFont.Weight.Bold)
                    new.setForeground(QColor(accent))
                    new.setToolTip(f"Open source {fmt.anchorHref()[5:]}")
                    cur.setCharFormat(new)
            it += 1
        block = block.next()
