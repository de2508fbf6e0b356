"""Numbered source cards under an answer: what was cited and where (title, path, page/section, or for email the
sender, date and subject), with the sentence that supports the answer (its evidence) or else the passage's start. A card is a focusable button: click, Enter or Space opens the source in
the viewer; its context menu opens the file in the default app, shows it in its folder or forgets it."""
from __future__ import annotations

import os

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFontMetrics, QGuiApplication, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QMenu, QSizePolicy, QToolButton, QVBoxLayout,
                               QWidget)

from app.gui.icons import IconLabel, icon
from app.gui.models import SourceRef, short_path


class ElidedLabel(QLabel):
    """One line that elides in the middle (long paths keep their start and file name) and shows all in a tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle) -> None:
        super().__init__(parent)
        self._full = text
        self._mode = mode
        self.setToolTip(text)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)
        super().setText(text)

    def setText(self, text: str) -> None:  # noqa: N802
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        super().setText(QFontMetrics(self.font()).elidedText(self._full, self._mode, max(10, self.width())))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(40, super().minimumSizeHint().height())


def kind_icon(ref: SourceRef) -> str:
    if ref.is_email:
        return "mail"
    return "file"


class SourceCard(QFrame):
    activated = Signal(object)  # SourceRef
    forget_requested = Signal(str)

    def __init__(self, ref: SourceRef, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ref = ref
        self.setObjectName("SourceCard")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.DefaultContextMenu)
        self.setAccessibleName(f"Source {ref.n}: {ref.display_title}")
        self.setAccessibleDescription(f"{ref.locator or short_path(ref.path)}. Press Enter to open.")

        number = QLabel(str(ref.n))
        number.setObjectName("CardNumber")
        number.setAlignment(Qt.AlignmentFlag.AlignCenter)

        title = ElidedLabel(ref.display_title, mode=Qt.TextElideMode.ElideRight)
        title.setObjectName("CardTitle")
        locator = QLabel(ref.locator if not ref.is_email else "")
        locator.setObjectName("CardMeta")

        head = QHBoxLayout()
        head.setSpacing(8)
        head.addWidget(number, 0, Qt.AlignmentFlag.AlignTop)
        kind = IconLabel(kind_icon(ref))
        head.addWidget(kind, 0, Qt.AlignmentFlag.AlignVCenter)
        head.addWidget(title, 1)
        if locator.text():
            head.addWidget(locator, 0)

        body = QVBoxLayout(self)
        body.setContentsMargins(10, 8, 10, 9)
        body.setSpacing(3)
        body.addLayout(head)
        if ref.is_email:
            bits = [b for b in (f"From {ref.sender}" if ref.sender else "", ref.date) if b]
            meta = ElidedLabel(" · ".join(bits) or short_path(ref.path), mode=Qt.TextElideMode.ElideRight)
        else:
            meta = ElidedLabel(short_path(ref.path))
        meta.setObjectName("CardPath")
        body.addWidget(meta)
        self.snippet_label: QLabel | None = None
        if ref.card_text:
            # the evidence sentence, quoted (the full sentence in the tooltip when clipped); else the chunk's start
            shown = f"“{_clip(ref.evidence, 320)}”" if ref.evidence else _clip(ref.snippet, 260)
            snippet = QLabel(shown)
            snippet.setObjectName("CardEvidence" if ref.evidence else "CardSnippet")
            snippet.setWordWrap(True)
            snippet.setTextFormat(Qt.TextFormat.PlainText)
            snippet.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            if ref.evidence:  # a quote: an accent bar at its left, the whole sentence in the tooltip
                snippet.setToolTip(" ".join(ref.evidence.split()))
                self.setAccessibleDescription(f"{self.accessibleDescription()} Evidence: {shown}")
                bar = QFrame()
                bar.setObjectName("EvidenceBar")
                bar.setFixedWidth(3)
                quote = QHBoxLayout()
                quote.setContentsMargins(0, 2, 0, 0)
                quote.setSpacing(7)
                quote.addWidget(bar)
                quote.addWidget(snippet, 1)
                body.addLayout(quote)
            else:
                body.addWidget(snippet)
            self.snippet_label = snippet
        self.title_label, self.meta_label = title, meta

    # activation: mouse, keyboard ----------------------------------------------------------------------------------------
    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.activated.emit(self.ref)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit(self.ref)
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event) -> None:  # noqa: N802, ANN001
        menu = QMenu(self)
        menu.addAction(icon("search"), "Open in Cove", lambda: self.activated.emit(self.ref))
        menu.addAction(icon("external"), "Open in default app", lambda: open_externally(self.ref.path))
        menu.addAction(icon("folder"), "Show in folder", lambda: open_externally(os.path.dirname(self.ref.path)))
        menu.addAction(icon("copy"), "Copy path", lambda: QGuiApplication.clipboard().setText(self.ref.path))
        menu.addSeparator()
        menu.addAction(icon("trash"), "Forget this document…", lambda: self.forget_requested.emit(self.ref.path))
        menu.exec(event.globalPos())


def open_externally(path: str) -> bool:
    """Hand a local file to the desktop (its default app); Cove itself opens nothing remote."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(path))


def _clip(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


class SourceList(QWidget):
    """The cards of one answer: cited sources first; the passages read but not cited behind a toggle."""

    activated = Signal(object)
    forget_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 4, 0, 0)
        self._layout.setSpacing(6)
        self.cards: list[SourceCard] = []
        self._more: list[SourceCard] = []
        self._toggle: QToolButton | None = None

    def set_sources(self, refs: list[SourceRef]) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.cards, self._more, self._toggle = [], [], None
        cited = [r for r in refs if r.cited]
        rest = [r for r in refs if not r.cited]
        if not cited:  # nothing cited: show what was read, plainly
            cited, rest = rest, []
        if cited:
            header = QLabel("Sources" if any(r.cited for r in cited) else "Passages Cove read")
            header.setObjectName("Muted")
            self._layout.addWidget(header)
        for ref in cited:
            self._add(ref, hidden=False)
        if rest:
            self._toggle = QToolButton()
            self._toggle.setObjectName("ChipButton")
            self._toggle.setCheckable(True)
            self._toggle.setText(f"Show {len(rest)} more passage{'s' * (len(rest) != 1)} Cove read")
            self._toggle.toggled.connect(self._show_more)
            self._layout.addWidget(self._toggle, 0, Qt.AlignmentFlag.AlignLeft)
            for ref in rest:
                self._more.append(self._add(ref, hidden=True))
        self.setVisible(bool(refs))

    def _add(self, ref: SourceRef, hidden: bool) -> SourceCard:
        card = SourceCard(ref, self)  # parented first: a parentless widget shown would flash up as a window
        card.activated.connect(self.activated)
        card.forget_requested.connect(self.forget_requested)
        self._layout.addWidget(card)
        card.setVisible(not hidden)
        self.cards.append(card)
        return card

    def _show_more(self, on: bool) -> None:
        for card in self._more:
            card.setVisible(on)
        if self._toggle is not None:
            n = len(self._more)
            self._toggle.setText(("Hide" if on else "Show") + f" {n} more passage{'s' * (n != 1)} Cove read")

    def card(self, n: int) -> SourceCard | None:
        return next((c for c in self.cards if c.ref.n == n), None)
