"""The conversation area: a scrolling column of turns (question, streamed answer, source cards), notices, an empty
state that says what Cove can do, and the composer (question box, Send/Stop, the "Asking about" chip)."""
from __future__ import annotations

import os

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar, QPushButton, QScrollArea,
                               QSizePolicy, QToolButton, QVBoxLayout, QWidget)

from app.gui.answer_view import TurnWidget
from app.gui.errors import DetailsButton
from app.gui.icons import IconLabel, icon


class ChatInput(QPlainTextEdit):
    """Enter sends, Shift+Enter starts a new line; grows from one to six lines."""

    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("QuestionInput")
        self.setPlaceholderText("Ask about your documents…   (Enter sends · Shift+Enter new line)")
        self.setTabChangesFocus(True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Question")
        self.document().contentsChanged.connect(self._grow)
        self._grow()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
                return
            if not event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
                text = self.toPlainText().strip()
                if text:
                    self.submitted.emit(text)
                return
        super().keyPressEvent(event)

    def _grow(self) -> None:
        lines = max(1, min(6, int(self.document().size().height())))
        line_h = self.fontMetrics().lineSpacing()
        self.setFixedHeight(lines * line_h + 2 * int(self.document().documentMargin()) + 6)


class ScopeChip(QFrame):
    """"Asking about: report.pdf" — the next questions search only these dropped items until the chip is removed."""

    removed = Signal()
    summarize = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Chip")
        self.paths: tuple[str, ...] = ()
        self.ready = False
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 2, 4, 2)
        lay.setSpacing(6)
        self.icon = IconLabel("file")
        self.label = QLabel()
        self.progress = QProgressBar()
        self.progress.setFixedWidth(90)
        self.progress.setFixedHeight(8)
        self.progress.setTextVisible(False)
        self.summarize_button = QToolButton()
        self.summarize_button.setObjectName("ChipButton")
        self.summarize_button.setIcon(icon("summarize"))
        self.summarize_button.setText("Summarize")
        self.summarize_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.summarize_button.setToolTip("Summarise the whole document, however long")
        self.summarize_button.clicked.connect(lambda: self.summarize.emit(self.paths[0]))
        self.close_button = QToolButton()
        self.close_button.setObjectName("ChipButton")
        self.close_button.setIcon(icon("close"))
        self.close_button.setToolTip("Stop asking about these files")
        self.close_button.setAccessibleName("Remove the file scope")
        self.close_button.clicked.connect(self.removed)
        for w in (self.icon, self.label, self.progress, self.summarize_button, self.close_button):
            lay.addWidget(w)
        self.hide()

    def show_for(self, paths: tuple[str, ...]) -> None:
        self.paths = paths
        self.ready = False
        names = [os.path.basename(p.rstrip(os.sep)) or p for p in paths]
        more = f" and {len(names) - 1} more" if len(names) > 1 else ""
        self.icon.set_icon("folder" if any(os.path.isdir(p) for p in paths) else "file")
        self.label.setText(f"Asking about: {names[0]}{more}")
        self.label.setToolTip("\n".join(paths))
        self.progress.setRange(0, 0)
        self.progress.show()
        self.summarize_button.hide()
        self.show()

    def set_progress(self, done: int, total: int) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def set_ready(self) -> None:
        self.ready = True
        self.progress.hide()
        single_file = len(self.paths) == 1 and os.path.isfile(self.paths[0])
        self.summarize_button.setVisible(single_file)

    def clear(self) -> None:
        self.paths = ()
        self.ready = False
        self.hide()


class Composer(QFrame):
    submitted = Signal(str)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Composer")
        self.chip = ScopeChip()
        self.input = ChatInput()
        self.input.submitted.connect(self._submit)
        self.send = QPushButton(icon("send", _white()), "Send")
        self.send.setObjectName("SendButton")
        self.send.setAccessibleName("Send question")
        self.send.setToolTip("Send (Enter)")
        self.send.clicked.connect(self._clicked)
        self.busy = False
        self.blocked_reason = ""
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 8, 8)
        lay.setSpacing(6)
        chip_row = QHBoxLayout()
        chip_row.addWidget(self.chip)
        chip_row.addStretch(1)
        lay.addLayout(chip_row)
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self.input, 1)
        row.addWidget(self.send, 0, Qt.AlignmentFlag.AlignBottom)
        lay.addLayout(row)
        self.setFocusProxy(self.input)

    def _submit(self, text: str) -> None:
        if self.busy or self.blocked_reason:
            return
        self.input.clear()
        self.submitted.emit(text)

    def _clicked(self) -> None:
        if self.busy:
            self.stop_requested.emit()
        else:
            text = self.input.toPlainText().strip()
            if text:
                self._submit(text)

    def set_busy(self, busy: bool) -> None:
        """While answering the button becomes Stop (Esc does the same)."""
        self.busy = busy
        self.send.setText("Stop" if busy else "Send")
        self.send.setIcon(icon("stop" if busy else "send", _white()))
        self.send.setToolTip("Stop (Esc)" if busy else "Send (Enter)")
        self.send.setAccessibleName("Stop answering" if busy else "Send question")
        self._update_enabled()

    def set_blocked(self, reason: str) -> None:
        """E.g. while dropped files are still being indexed."""
        self.blocked_reason = reason
        self._update_enabled()

    def _update_enabled(self) -> None:
        self.send.setEnabled(self.busy or not self.blocked_reason)
        if self.blocked_reason and not self.busy:
            self.send.setToolTip(self.blocked_reason)


def _white():  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QColor

    return QColor("#ffffff")


class Notice(QFrame):
    """A dismissible message in the conversation (unsupported drop, a model that failed to load, ...)."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Notice")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 8, 6, 8)
        mark = IconLabel("warning", 18)
        self.text = QLabel(text)
        self.text.setObjectName("NoticeText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setObjectName("ChipButton")
        close.setIcon(icon("close"))
        close.setAccessibleName("Dismiss")
        close.clicked.connect(self.deleteLater)
        lay.addWidget(mark, 0, Qt.AlignmentFlag.AlignTop)
        lay.addWidget(self.text, 1)
        self.details = DetailsButton()  # shown when `text` is a Failure with a traceback (app/gui/errors.py)
        self.details.show_for(text)
        lay.addWidget(self.details, 0, Qt.AlignmentFlag.AlignTop)
        lay.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)


class EmptyState(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 48, 24, 24)
        lay.setSpacing(10)
        logo = QLabel()
        from app.gui.icons import app_icon

        logo.setPixmap(app_icon().pixmap(64, 64))
        title = QLabel("Ask your documents anything")
        title.setObjectName("EmptyTitle")
        text = QLabel("Cove answers from your own files and email, and shows where each answer comes from. "
                      "Click a [number] to see the passage.\n\nDrop a file here to ask about just that file, "
                      "or add folders in the Library. Everything stays on this computer.")
        text.setObjectName("Muted")
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setMaximumWidth(520)
        for w in (logo, title, text):
            lay.addWidget(w, 0, Qt.AlignmentFlag.AlignHCenter)
        lay.addStretch(1)


class ChatView(QScrollArea):
    """The column of turns. Keeps following the newest text while the user is at the bottom."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.inner = QWidget()
        self.inner.setObjectName("ChatInner")
        self.column = QVBoxLayout(self.inner)
        self.column.setContentsMargins(28, 16, 28, 16)
        self.column.setSpacing(4)
        self.empty = EmptyState()
        self.column.addWidget(self.empty)
        self.column.addStretch(1)
        self.setWidget(self.inner)
        self.turns: list[TurnWidget] = []
        self._follow = True
        self.verticalScrollBar().rangeChanged.connect(self._on_range)
        self.verticalScrollBar().valueChanged.connect(self._on_scroll)

    def add_turn(self, turn: TurnWidget) -> TurnWidget:
        self.empty.hide()
        self.column.insertWidget(self.column.count() - 1, turn)
        self.turns.append(turn)
        self._follow = True
        QTimer.singleShot(0, self.scroll_to_bottom)
        return turn

    def add_notice(self, text: str) -> Notice:
        notice = Notice(text)
        self.empty.hide()
        self.column.insertWidget(self.column.count() - 1, notice)
        self._follow = True
        QTimer.singleShot(0, self.scroll_to_bottom)
        return notice

    def clear(self) -> None:
        for i in reversed(range(self.column.count())):
            w = self.column.itemAt(i).widget()
            if w is not None and w is not self.empty:
                w.setParent(None)
                w.deleteLater()
        self.turns = []
        self.empty.show()

    def scroll_to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _on_range(self, _lo: int, hi: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(hi)

    def _on_scroll(self, value: int) -> None:
        self._follow = value >= self.verticalScrollBar().maximum() - 24

    def latest(self) -> TurnWidget | None:
        return self.turns[-1] if self.turns else None

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(640, 480)
