"""The in-app source viewer: the cited PDF page itself (QtPdf) with the evidence sentence highlighted through the
PDF's own text search, or the text around the chunk with the evidence sentence highlighted (the whole passage when
the answer has no evidence), or the email message; plus "Open in default app". QtPdf is imported only when the first PDF is shown, so start-up does not pay for it."""
from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSpinBox, QStackedWidget, QTextEdit, QToolButton,
                               QVBoxLayout, QWidget)

from app.gui import theme
from app.gui.icons import icon
from app.gui.models import SourceRef, short_path
from app.gui.safe_browser import SafeTextBrowser
from app.gui.source_cards import ElidedLabel, open_externally
from app.gui.tasks import run_task
from app.gui.viewer_content import TextContent, content_for, page_phrase, pick_phrase, prepare_text


class PdfPane(QWidget):
    """A QPdfView in multi-page mode, jumped to the cited page, with a search model highlighting the passage."""

    highlighted = Signal(int)  # page (1-based) where the passage was found

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtPdf import QPdfDocument, QPdfSearchModel
        from PySide6.QtPdfWidgets import QPdfView

        self.doc = QPdfDocument(self)
        self.search = QPdfSearchModel(self)
        self.search.setDocument(self.doc)
        self.view = QPdfView(self)
        self.view.setDocument(self.doc)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setSearchModel(self.search)
        self.view.setAccessibleName("PDF page")
        self._target_page = 0  # 0-based
        self.highlight_page: int | None = None
        self.highlight_rects: list[Any] = []  # of the highlighted search result, in page coordinates
        self.phrase = ""
        self.is_evidence = False  # the phrase is the answer's evidence sentence (not just some sentence of the chunk)
        self.search.countChanged.connect(self._on_results)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        self.prev = QToolButton(text="‹", toolTip="Previous page (Page Up)")
        self.next = QToolButton(text="›", toolTip="Next page (Page Down)")
        self.page_box = QSpinBox()
        self.page_box.setAccessibleName("Page")
        self.page_box.setKeyboardTracking(False)
        self.page_count = QLabel()
        self.zoom_out = QToolButton(icon=icon("minus"), toolTip="Zoom out (Ctrl+-)")
        self.zoom_in = QToolButton(icon=icon("plus"), toolTip="Zoom in (Ctrl++)")
        self.fit = QToolButton(text="Fit width")
        for w in (self.prev, self.page_box, self.page_count, self.next):
            bar.addWidget(w)
        bar.addStretch(1)
        for w in (self.zoom_out, self.zoom_in, self.fit):
            bar.addWidget(w)
        self.prev.clicked.connect(lambda: self.go(self.current_page() - 1))
        self.next.clicked.connect(lambda: self.go(self.current_page() + 1))
        self.page_box.valueChanged.connect(lambda v: self.go(v) if v != self.current_page() else None)
        self.zoom_in.clicked.connect(lambda: self._zoom(1.25))
        self.zoom_out.clicked.connect(lambda: self._zoom(0.8))
        self.fit.clicked.connect(lambda: self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth))
        self.view.pageNavigator().currentPageChanged.connect(lambda p: self._sync_box(p + 1))
        QShortcut(QKeySequence(QKeySequence.StandardKey.ZoomIn), self, lambda: self._zoom(1.25))
        QShortcut(QKeySequence(QKeySequence.StandardKey.ZoomOut), self, lambda: self._zoom(0.8))

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.view, 1)

    def open(self, path: str, page: int | None, passage: str, evidence: str = "") -> bool:
        """Load and show; False when QtPdf cannot open the file (e.g. it needs a password). With `evidence`, that
        sentence is highlighted (on the cited page, or the next one when the passage runs over a page break);
        otherwise a sentence of the passage."""
        from PySide6.QtPdf import QPdfDocument

        self.search.setSearchString("")
        self.highlight_page = None
        self.highlight_rects = []
        if self.doc.load(path) != QPdfDocument.Error.None_:
            return False
        count = self.doc.pageCount()
        self.page_box.setRange(1, max(1, count))
        self.page_count.setText(f"of {count}")
        self._target_page = min(max((page or 1) - 1, 0), max(count - 1, 0))
        page_text = self.doc.getAllText(self._target_page).text() if count else ""
        self.phrase, self.is_evidence = "", False
        if evidence:
            for p in (self._target_page, self._target_page + 1):
                if p < count:
                    self.phrase = page_phrase(evidence, page_text if p == self._target_page
                                              else self.doc.getAllText(p).text())
                if self.phrase:
                    self._target_page, self.is_evidence = p, True
                    break
        self.go(self._target_page + 1)
        if not self.phrase:
            self.phrase = pick_phrase(passage, page_text)
        if self.phrase:
            self.search.setSearchString(self.phrase)  # results arrive asynchronously: _on_results
        return True

    def _on_results(self) -> None:
        for i in range(self.search.count()):
            link = self.search.resultAtIndex(i)
            if link.page() == self._target_page:
                self.view.setCurrentSearchResultIndex(i)
                self.highlight_page = link.page() + 1
                rects = link.rectangles()
                self.highlight_rects = list(rects)
                top = rects[0].top() if rects else 0.0
                self.view.pageNavigator().jump(link.page(), QPointF(0, max(0.0, top - 60)),
                                               self.view.pageNavigator().currentZoom())
                self.highlighted.emit(self.highlight_page)
                return

    def highlighted_text(self) -> str:
        """The page's text under the highlighted search result (what the user sees marked)."""
        if self.highlight_page is None or not self.highlight_rects:
            return ""
        first, last = self.highlight_rects[0], self.highlight_rects[-1]
        sel = self.doc.getSelection(self.highlight_page - 1, first.topLeft(), last.bottomRight())
        return sel.text()

    def go(self, page: int) -> None:
        if 1 <= page <= self.doc.pageCount():
            self.view.pageNavigator().jump(page - 1, QPointF(), self.view.pageNavigator().currentZoom())
            self._sync_box(page)

    def current_page(self) -> int:
        return self.view.pageNavigator().currentPage() + 1

    def _sync_box(self, page: int) -> None:
        self.page_box.blockSignals(True)
        self.page_box.setValue(page)
        self.page_box.blockSignals(False)

    def _zoom(self, factor: float) -> None:
        from PySide6.QtPdfWidgets import QPdfView

        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(0.25, min(6.0, self.view.zoomFactor() * factor)))


class TextPane(SafeTextBrowser):
    """Plain text with the passage highlighted (extra selections leave the text itself untouched)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Source text")
        self.content: TextContent | None = None

    def show_content(self, content: TextContent) -> None:
        self.content = content
        self.setPlainText(content.text)
        fmt = QTextCharFormat()
        fmt.setBackground(QColor(theme.colors(self.palette()).highlight))
        if not theme.colors(self.palette()).dark:
            fmt.setForeground(QColor("#1f1300"))
        selections = []
        for start, end in content.highlights:
            sel = QTextEdit.ExtraSelection()
            cur = QTextCursor(self.document())
            cur.setPosition(min(start, len(content.text)))
            cur.setPosition(min(end, len(content.text)), QTextCursor.MoveMode.KeepAnchor)
            sel.cursor, sel.format = cur, fmt
            selections.append(sel)
        self.setExtraSelections(selections)
        cur = QTextCursor(self.document())
        cur.setPosition(min(content.focus, len(content.text)))
        self.setTextCursor(cur)
        self._center(cur)

    def _center(self, cur: QTextCursor) -> None:
        rect = self.cursorRect(cur)
        bar = self.verticalScrollBar()
        bar.setValue(bar.value() + rect.top() - self.viewport().height() // 4)

    def highlighted_text(self) -> str:
        if not self.content or not self.content.highlights:
            return ""
        a, b = self.content.highlights[0]
        return self.content.text[a:b]


class SourceViewer(QWidget):
    """One window, reused for every source opened."""

    def __init__(self, core: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.core = core
        self.ref: SourceRef | None = None
        self.setWindowTitle("Source — Cove")
        self.resize(860, 900)
        self.title = QLabel()
        self.title.setObjectName("EmptyTitle")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path = ElidedLabel()
        self.path.setObjectName("CardPath")
        self.path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.locator = QLabel()
        self.locator.setObjectName("CardMeta")
        self.note = QLabel()
        self.note.setObjectName("Muted")
        self.note.setWordWrap(True)
        self.open_button = QPushButton(icon("external"), "Open in default app")
        self.open_button.setToolTip("Open the file with the program your computer uses for it (Ctrl+O)")
        self.open_button.clicked.connect(self.open_externally)
        self.folder_button = QPushButton(icon("folder"), "Show in folder")
        self.folder_button.clicked.connect(lambda: self.ref and open_externally(os.path.dirname(self.ref.path)))
        QShortcut(QKeySequence("Ctrl+O"), self, self.open_externally)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)

        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(self.title)
        titles.addWidget(self.path)
        titles.addWidget(self.locator)
        head.addLayout(titles, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.folder_button)
        buttons.addStretch(1)
        head.addLayout(buttons)

        self.stack = QStackedWidget()
        self.text = TextPane()
        self.loading = QLabel("Loading…")
        self.loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.loading)
        self.stack.addWidget(self.text)
        self.pdf: PdfPane | None = None

        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 14, 16, 12)
        lay.setSpacing(8)
        lay.addLayout(head)
        lay.addWidget(self.note)
        lay.addWidget(self.stack, 1)

    @property
    def mode(self) -> str:
        w = self.stack.currentWidget()
        return "pdf" if w is self.pdf and w is not None else "text" if w is self.text else "loading"

    def show_source(self, ref: SourceRef) -> None:
        self.ref = ref
        self.title.setText(ref.display_title)
        self.path.setText(short_path(ref.path))
        meta = ref.locator
        if ref.is_email:
            meta = " · ".join(b for b in (f"From {ref.sender}" if ref.sender else "", ref.date, ref.locator) if b)
        self.locator.setText(meta)
        self.locator.setVisible(bool(meta))
        self.note.hide()
        self.setWindowTitle(f"{ref.display_title} — Cove")
        exists = os.path.exists(ref.path)
        self.open_button.setEnabled(exists)
        self.folder_button.setEnabled(exists)
        if ref.is_pdf and exists and self._show_pdf(ref):
            pass
        else:
            self.stack.setCurrentWidget(self.loading)
            run_task(lambda: prepare_text(ref, self.core), self._show_text, self._failed, owner=self)
        self.show()
        self.raise_()
        self.activateWindow()

    def _show_pdf(self, ref: SourceRef) -> bool:
        if self.pdf is None:
            self.pdf = PdfPane()
            self.stack.addWidget(self.pdf)
        self.stack.setCurrentWidget(self.pdf)
        if not self.pdf.open(ref.path, ref.where.page, ref.text or ref.snippet, ref.evidence):
            return False
        if not self.pdf.phrase:
            self._set_note("The passage could not be matched on the page; it is on the page shown.")
        elif ref.evidence and not self.pdf.is_evidence:
            self._set_note("The supporting sentence could not be matched on the page; a sentence of the passage "
                           "is highlighted instead.")
        return True

    def _show_text(self, content: TextContent) -> None:
        self.stack.setCurrentWidget(self.text)
        self.text.show_content(content)
        if content.note:
            self._set_note(content.note)

    def _failed(self, message: str) -> None:
        self.stack.setCurrentWidget(self.text)
        ref = self.ref
        self.text.show_content(content_for(ref) if ref else TextContent(""))
        self._set_note(f"Could not read the file ({message}); showing the passage as indexed.")

    def _set_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.show()

    def open_externally(self) -> None:
        if self.ref is not None and os.path.exists(self.ref.path):
            open_externally(self.ref.path)

    def current_page(self) -> int | None:
        return self.pdf.current_page() if self.mode == "pdf" and self.pdf is not None else None
