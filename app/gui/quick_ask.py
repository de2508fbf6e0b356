"""The quick-ask popup: a small always-on-top window (from the tray, Ctrl+Shift+Space, or `python -m app.gui
--quick-ask` bound to a desktop shortcut): type, Enter, the answer streams with its sources; Esc hides it. Files can
be dropped on it like on the main window."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QLineEdit, QScrollArea, QToolButton, QVBoxLayout,
                               QWidget)

from app.gui.answer_view import TurnWidget
from app.gui.chat_view import Notice, ScopeChip
from app.gui.drops import DropOverlay, DropScope, DropTarget
from app.gui.icons import app_icon, icon

if TYPE_CHECKING:
    from app.gui.controller import Controller


class QuickAskPopup(DropTarget, QWidget):
    def __init__(self, ctl: "Controller") -> None:
        super().__init__(None, Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint
                         | Qt.WindowType.WindowStaysOnTopHint)
        self.ctl = ctl
        self.setWindowTitle("Ask Cove")
        self.setAcceptDrops(True)
        self.resize(600, 460)
        self.conversation_id: int | None = None
        self.turn: TurnWidget | None = None
        self._drag_from: QPoint | None = None

        frame = QFrame(self)
        frame.setObjectName("PopupFrame")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)

        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(22, 22))
        title = QLabel("Ask Cove")
        title.setObjectName("SectionTitle")
        self.open_button = QToolButton()
        self.open_button.setText("Open Cove")
        self.open_button.setIcon(icon("external"))
        self.open_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.open_button.setObjectName("ChipButton")
        self.open_button.clicked.connect(self._open_main)
        close = QToolButton()
        close.setObjectName("ChipButton")
        close.setIcon(icon("close"))
        close.setToolTip("Hide (Esc)")
        close.setAccessibleName("Hide")
        close.clicked.connect(self.hide_popup)
        self.header = QWidget()
        head = QHBoxLayout(self.header)
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(logo)
        head.addWidget(title)
        head.addStretch(1)
        head.addWidget(self.open_button)
        head.addWidget(close)

        self.input = QLineEdit()
        self.input.setObjectName("PopupInput")
        self.input.setPlaceholderText("Ask about your documents…")
        self.input.setAccessibleName("Question")
        self.input.returnPressed.connect(self._submit)
        self.chip = ScopeChip()
        self.scope = DropScope(self.chip, ctl.index, ctl.settings, self)
        self.scope.notice.connect(self.show_notice)
        self.chip.summarize.connect(self.summarize)

        self.area = QScrollArea()
        self.area.setWidgetResizable(True)
        self.area.setFrameShape(QFrame.Shape.NoFrame)
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(2, 0, 6, 0)
        self.hint = QLabel("Type a question and press Enter. Drop a file here to ask about it. Esc hides this.")
        self.hint.setObjectName("Muted")
        self.hint.setWordWrap(True)
        self.body_layout.addWidget(self.hint)
        self.body_layout.addStretch(1)
        self.area.setWidget(self.body)

        self.footer = QLabel("Local only — nothing leaves this computer")
        self.footer.setObjectName("Muted")

        lay = QVBoxLayout(frame)
        lay.setContentsMargins(14, 10, 14, 10)
        lay.setSpacing(8)
        lay.addWidget(self.header)
        lay.addWidget(self.input)
        chip_row = QHBoxLayout()
        chip_row.addWidget(self.chip)
        chip_row.addStretch(1)
        lay.addLayout(chip_row)
        lay.addWidget(self.area, 1)
        lay.addWidget(self.footer)
        self.overlay = DropOverlay(frame)

    # showing --------------------------------------------------------------------------------------------------------
    def show_popup(self) -> None:
        screen = QGuiApplication.screenAt(QGuiApplication.primaryScreen().geometry().center()) \
            or QGuiApplication.primaryScreen()
        geo = screen.availableGeometry()
        self.resize(600, 460 if self.turn is not None else 190)  # compact until there is an answer to show
        self.move(geo.center().x() - self.width() // 2, geo.top() + geo.height() // 5)
        self.show()
        self.raise_()
        self.activateWindow()
        self.input.setFocus()
        self.input.selectAll()

    def hide_popup(self) -> None:
        self.hide()
        self.ctl.popup_hidden()

    def _open_main(self) -> None:
        self.hide()
        self.ctl.show_main()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            if self.ctl.chat.busy and self.turn is not None and self.turn.is_active:
                self.ctl.stop()
            else:
                self.hide_popup()
            return
        super().keyPressEvent(event)

    # asking ---------------------------------------------------------------------------------------------------------
    def _submit(self) -> None:
        text = self.input.text().strip()
        if text:
            self.ask(text)

    def ask(self, question: str) -> TurnWidget | None:
        if self.ctl.chat.busy or self.scope.indexing:
            return None
        turn = self._replace_turn(TurnWidget(question, show_question=False))
        self.ctl.chat.ask(question, turn, scope=self.scope.scope, conversation_id=self.conversation_id)
        return turn

    def summarize(self, path: str) -> TurnWidget | None:
        if self.ctl.chat.busy:
            return None
        import os

        from app.gui.models import SourceRef

        ref = SourceRef(1, path, title=os.path.basename(path), snippet="The whole document")
        turn = self._replace_turn(TurnWidget(f"Summarize {os.path.basename(path)}", show_question=False,
                                             sources=[ref]))
        self.ctl.chat.summarize(path, turn)
        return turn

    def _replace_turn(self, turn: TurnWidget) -> TurnWidget:
        if self.turn is not None:
            self.turn.setParent(None)
            self.turn.deleteLater()
        self.hint.hide()
        if self.height() < 460:
            self.resize(self.width(), 460)
        self.turn = turn
        turn.open_source.connect(self.ctl.open_source)
        turn.saved.connect(self._saved)
        self.body_layout.insertWidget(self.body_layout.count() - 1, turn)
        return turn

    def _saved(self, conversation_id: int) -> None:
        self.conversation_id = conversation_id
        self.ctl.conversations_changed()

    def show_notice(self, text: str) -> None:
        notice = Notice(text)
        self.body_layout.insertWidget(self.body_layout.count() - 1, notice)
        self.hint.hide()

    # dragging the frameless window by its header, and dropping files -------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.header.geometry().contains(
                self.header.parentWidget().mapFrom(self, event.position().toPoint())):
            self._drag_from = event.globalPosition().toPoint() - self.frameGeometry().topLeft()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag_from is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self.move(event.globalPosition().toPoint() - self._drag_from)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._drag_from = None
        super().mouseReleaseEvent(event)

    def drop_area(self) -> QWidget:
        return self.area
