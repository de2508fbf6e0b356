"""The conversation sidebar, backed by app.history: new, open, rename (F2 or double-click) and delete (Del), all
reachable from the keyboard. History is SQLite with one short connection per call, so the GUI thread can use it."""
from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMenu,
                               QMessageBox, QToolButton, QVBoxLayout, QWidget)

from app.gui.icons import icon

ID_ROLE = Qt.ItemDataRole.UserRole


def _when(ts: float) -> str:
    age = time.time() - ts
    if age < 86400 and time.localtime(ts).tm_yday == time.localtime().tm_yday:
        return time.strftime("Today %H:%M", time.localtime(ts))
    return time.strftime("%d %b %Y", time.localtime(ts))


class ConversationList(QListWidget):
    rename_requested = Signal()
    delete_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_F2 and self.state() != QAbstractItemView.State.EditingState:
            self.rename_requested.emit()
            return
        if event.key() == Qt.Key.Key_Delete and self.state() != QAbstractItemView.State.EditingState:
            self.delete_requested.emit()
            return
        super().keyPressEvent(event)


class ConversationSidebar(QWidget):
    selected = Signal(int)
    new_requested = Signal()
    deleted = Signal(int)

    def __init__(self, history: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.setMinimumWidth(180)
        head = QHBoxLayout()
        title = QLabel("Chats")
        title.setObjectName("SectionTitle")
        self.new_button = QToolButton()
        self.new_button.setIcon(icon("new-chat"))
        self.new_button.setToolTip("New chat (Ctrl+N)")
        self.new_button.setAccessibleName("New chat")
        self.new_button.clicked.connect(self.new_requested)
        head.addWidget(title)
        head.addStretch(1)
        head.addWidget(self.new_button)
        self.list = ConversationList()
        self.list.setObjectName("ConversationList")
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setUniformItemSizes(True)
        self.list.setAccessibleName("Conversations")
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        self.list.itemChanged.connect(self._renamed)
        self.list.rename_requested.connect(self.rename_current)
        self.list.delete_requested.connect(self.delete_current)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 4, 8)
        lay.setSpacing(6)
        lay.addLayout(head)
        lay.addWidget(self.list, 1)
        self.current_id: int | None = None
        self.refresh()

    def refresh(self, select: int | None = None) -> None:
        if select is not None:
            self.current_id = select
        self.list.blockSignals(True)
        self.list.clear()
        for conv in self.history.list_conversations():
            item = QListWidgetItem(conv.title)
            item.setData(ID_ROLE, conv.id)
            item.setToolTip(f"{conv.title}\n{_when(conv.updated)}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.list.addItem(item)
            if conv.id == self.current_id:
                self.list.setCurrentItem(item)
        if self.current_id is None:
            self.list.clearSelection()
        self.list.blockSignals(False)

    def ids(self) -> list[int]:
        return [self.list.item(i).data(ID_ROLE) for i in range(self.list.count())]

    def item_for(self, conversation_id: int) -> QListWidgetItem | None:
        for i in range(self.list.count()):
            if self.list.item(i).data(ID_ROLE) == conversation_id:
                return self.list.item(i)
        return None

    def _activated(self, item: QListWidgetItem) -> None:
        cid = int(item.data(ID_ROLE))
        if cid != self.current_id:
            self.current_id = cid
            self.selected.emit(cid)

    def rename_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    def rename(self, conversation_id: int, title: str) -> None:
        title = " ".join(title.split())[:120]
        if title:
            self.history.rename_conversation(conversation_id, title)
            self.refresh()

    def _renamed(self, item: QListWidgetItem) -> None:
        title = " ".join(item.text().split())
        cid = int(item.data(ID_ROLE))
        if title:
            self.history.rename_conversation(cid, title[:120])
        else:
            self.refresh()

    def delete_current(self, confirm: bool = True) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        cid = int(item.data(ID_ROLE))
        if confirm:
            answer = QMessageBox.question(self, "Delete chat", f"Delete “{item.text()}”? Its questions and answers "
                                          "are removed from this computer.")
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.delete(cid)

    def delete(self, conversation_id: int) -> None:
        self.history.delete_conversation(conversation_id)
        if self.current_id == conversation_id:
            self.current_id = None
        self.refresh()
        self.deleted.emit(conversation_id)

    def _menu(self, pos) -> None:  # noqa: ANN001
        item = self.list.itemAt(pos)
        if item is None:
            return
        self.list.setCurrentItem(item)
        menu = QMenu(self)
        menu.addAction(icon("edit"), "Rename\tF2", self.rename_current)
        menu.addAction(icon("trash"), "Delete…\tDel", self.delete_current)
        menu.exec(self.list.viewport().mapToGlobal(pos))
