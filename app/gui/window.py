"""The main window: conversation sidebar, the chat, the composer, the library dock, the model picker and the
always-visible privacy indicator. Menus and shortcuts make everything reachable from the keyboard. All work is
handed to the controller's workers; nothing here blocks."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QLabel, QMainWindow, QMessageBox, QSplitter, QToolBar, QVBoxLayout,
                               QWidget)

from app.gui.answer_view import TurnWidget
from app.gui.chat_view import ChatView, Composer
from app.gui.conversations import ConversationSidebar
from app.gui.drops import DropOverlay, DropScope, DropTarget
from app.gui.icons import app_icon, icon
from app.gui.library import LibraryPanel
from app.gui.model_picker import ModelPicker
from app.gui.models import SourceRef
from app.gui.privacy_indicator import PrivacyIndicator

if TYPE_CHECKING:
    from app.gui.controller import Controller

SHORTCUTS = [
    ("Enter", "Send the question"), ("Shift+Enter", "New line in the question"), ("Esc", "Stop the answer"),
    ("Ctrl+N", "New chat"), ("F2", "Rename the selected chat"), ("Del", "Delete the selected chat"),
    ("Ctrl+L", "Focus the question box"), ("Ctrl+Shift+C", "Copy the latest answer with its sources"),
    ("Ctrl+Shift+L", "Show or hide the library"), ("Ctrl+O", "Add a folder to the library"),
    ("Ctrl+Shift+O", "Ask about a file"), ("Ctrl+,", "Settings"), ("Ctrl+Shift+Space", "Quick ask popup"),
    ("Tab / Shift+Tab", "Move between the sidebar, answers, source cards and the question box"),
    ("Enter on a source card", "Open the source"), ("Ctrl+Q", "Quit Cove"),
]


class MainWindow(DropTarget, QMainWindow):
    def __init__(self, ctl: "Controller") -> None:
        super().__init__()
        self.ctl = ctl
        self.setWindowTitle("Cove")
        self.setWindowIcon(app_icon())
        self.resize(1240, 800)
        self.setAcceptDrops(True)
        self.conversation_id: int | None = None

        self.sidebar = ConversationSidebar(ctl.history)
        self.sidebar.selected.connect(self.load_conversation)
        self.sidebar.new_requested.connect(self.new_chat)
        self.sidebar.deleted.connect(lambda cid: self.new_chat() if cid == self.conversation_id else None)
        self.chat = ChatView()
        self.composer = Composer()
        self.composer.submitted.connect(self.ask)
        self.composer.stop_requested.connect(ctl.stop)
        self.scope = DropScope(self.composer.chip, ctl.index, ctl.settings, self)
        self.scope.changed.connect(self._scope_changed)
        self.scope.notice.connect(self.chat.add_notice)
        self.composer.chip.summarize.connect(self.summarize)

        center = QWidget()
        col = QVBoxLayout(center)
        col.setContentsMargins(0, 0, 0, 12)
        col.setSpacing(6)
        col.addWidget(self.chat, 1)
        composer_row = QVBoxLayout()
        composer_row.setContentsMargins(24, 0, 24, 0)
        composer_row.addWidget(self.composer)
        col.addLayout(composer_row)
        self.overlay = DropOverlay(center)
        self.center = center

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(center)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([230, 1000])
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)

        self.library = LibraryPanel(ctl.index)
        self.library_dock = QDockWidget("Library", self)
        self.library_dock.setObjectName("LibraryDock")
        self.library_dock.setWidget(self.library)
        self.library_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                                      | QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.library_dock.setTitleBarWidget(QWidget())  # the panel has its own title
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.library_dock)
        self.resizeDocks([self.library_dock], [380], Qt.Orientation.Horizontal)

        self.picker = ModelPicker(ctl.settings)
        self.picker.model_chosen.connect(ctl.load_model)
        self.privacy = PrivacyIndicator()
        self.state_label = QLabel("")
        self.state_label.setObjectName("Muted")
        self._build_toolbar()
        self._build_menus()
        self.statusBar().addWidget(self.state_label, 1)
        self.statusBar().addPermanentWidget(self.privacy)
        self.statusBar().setSizeGripEnabled(False)
        self.composer.setFocus()

    # ui building ----------------------------------------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        bar = QToolBar("Main")
        bar.setObjectName("MainToolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.new_action = QAction(icon("new-chat"), "New chat", self, shortcut=QKeySequence("Ctrl+N"),
                                  triggered=self.new_chat)
        bar.addAction(self.new_action)
        bar.addSeparator()
        bar.addWidget(self.picker)
        spacer = QWidget()
        spacer.setSizePolicy(spacer.sizePolicy().horizontalPolicy().Expanding,
                             spacer.sizePolicy().verticalPolicy().Preferred)
        bar.addWidget(spacer)
        self.library_action = self.library_dock.toggleViewAction()
        self.library_action.setIcon(icon("library"))
        self.library_action.setText("Library")
        self.library_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        bar.addAction(self.library_action)
        self.settings_action = QAction(icon("settings"), "Settings", self, shortcut=QKeySequence("Ctrl+,"),
                                       triggered=self.ctl.show_settings)
        bar.addAction(self.settings_action)
        self.addToolBar(bar)

    def _build_menus(self) -> None:
        m = self.menuBar().addMenu("&File")
        m.addAction(icon("folder"), "Add folder to library…", self.library.add_folder, QKeySequence("Ctrl+O"))
        m.addAction(icon("file"), "Ask about a file…", self.ask_about_file, QKeySequence("Ctrl+Shift+O"))
        m.addAction(icon("model"), "Choose a model file…", self.picker.choose_file)
        m.addAction(self.settings_action)
        m.addSeparator()
        m.addAction("Close window", self.close, QKeySequence("Ctrl+W"))
        m.addAction("Quit Cove", self.ctl.quit, QKeySequence("Ctrl+Q"))
        c = self.menuBar().addMenu("&Chat")
        c.addAction(self.new_action)
        c.addAction(icon("edit"), "Rename chat", self.sidebar.rename_current, QKeySequence("F2"))
        c.addAction(icon("trash"), "Delete chat…", self.sidebar.delete_current)
        self.stop_action = c.addAction(icon("stop"), "Stop answering", self.ctl.stop, QKeySequence("Esc"))
        c.addAction(icon("copy"), "Copy latest answer", self.copy_latest, QKeySequence("Ctrl+Shift+C"))
        c.addAction("Focus the question box", self.composer.setFocus, QKeySequence("Ctrl+L"))
        v = self.menuBar().addMenu("&View")
        v.addAction(self.library_action)
        sidebar_action = v.addAction(icon("sidebar"), "Chats sidebar")
        sidebar_action.setCheckable(True)
        sidebar_action.setChecked(True)
        sidebar_action.setShortcut(QKeySequence("Ctrl+Shift+B"))
        sidebar_action.toggled.connect(self.sidebar.setVisible)
        v.addAction(icon("search"), "Quick ask popup", self.ctl.show_quick_ask, QKeySequence("Ctrl+Shift+Space"))
        h = self.menuBar().addMenu("&Help")
        h.addAction(icon("shield"), "Privacy…", self.privacy.show_details)
        h.addAction("Keyboard shortcuts", self.show_shortcuts)
        h.addAction("About Cove", self.show_about)

    # chat -----------------------------------------------------------------------------------------------------------
    def ask(self, question: str) -> TurnWidget | None:
        if self.ctl.chat.busy:
            return None
        turn = self._new_turn(question)
        self.ctl.chat.ask(question, turn, scope=self.scope.scope, conversation_id=self.conversation_id)
        return turn

    def summarize(self, path: str) -> TurnWidget | None:
        if self.ctl.chat.busy:
            return None
        import os

        ref = SourceRef(1, path, title=os.path.basename(path), kind="pdf" if path.lower().endswith(".pdf") else "",
                        snippet="The whole document")
        turn = self._new_turn(f"Summarize {os.path.basename(path)}", sources=[ref])
        self.ctl.chat.summarize(path, turn, conversation_id=self.conversation_id)
        return turn

    def _new_turn(self, question: str, sources: list[SourceRef] | None = None) -> TurnWidget:
        turn = TurnWidget(question, sources=sources)
        turn.open_source.connect(self.ctl.open_source)
        turn.forget_requested.connect(self.library.confirm_forget)
        turn.saved.connect(self._saved)
        self.chat.add_turn(turn)
        return turn

    def _saved(self, conversation_id: int) -> None:
        self.conversation_id = conversation_id
        self.sidebar.refresh(select=conversation_id)

    def set_busy(self, busy: bool) -> None:
        self.composer.set_busy(busy)
        focus = self.focusWidget()
        if not busy and self.isActiveWindow() and (focus is None or self.chat.isAncestorOf(focus)):
            self.composer.setFocus()  # ready for the next question

    def _scope_changed(self) -> None:
        self.composer.set_blocked("Indexing the dropped files…" if self.scope.indexing else "")

    def new_chat(self) -> None:
        self.conversation_id = None
        self.sidebar.current_id = None
        self.sidebar.refresh()
        self.chat.clear()
        self.composer.setFocus()

    def load_conversation(self, conversation_id: int) -> None:
        self.conversation_id = conversation_id
        self.chat.clear()
        for t in self.ctl.history.turns(conversation_id):
            turn = TurnWidget(t.question)
            turn.open_source.connect(self.ctl.open_source)
            turn.forget_requested.connect(self.library.confirm_forget)
            self.chat.add_turn(turn)
            turn.show_final(t.answer, [SourceRef.from_stored(s) for s in t.sources], verified=t.verified,
                            draft=t.draft)
        self.sidebar.refresh(select=conversation_id)

    def copy_latest(self) -> None:
        turn = self.chat.latest()
        if turn is not None:
            turn.copy_to_clipboard()

    def ask_about_file(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        paths, _ = QFileDialog.getOpenFileNames(self, "Ask about a file")
        if paths:
            self.ctl.handle_drop(paths, self)

    # status ---------------------------------------------------------------------------------------------------------
    def set_state(self, text: str) -> None:
        self.state_label.setText(text)

    # drag and drop: DropTarget does the work ---------------------------------------------------------------------
    def drop_area(self) -> QWidget:
        return self.chat

    def show_notice(self, text: str) -> None:
        self.chat.add_notice(text)

    # window ---------------------------------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.ctl.window_closing():
            event.ignore()
            self.hide()
        else:
            event.accept()

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{v}</td></tr>" for k, v in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def show_about(self) -> None:
        QMessageBox.about(self, "About Cove", "<b>Cove</b><br>A private assistant for your own documents and email."
                          "<br>Everything runs on this computer: no account, no cloud, no telemetry.")

    def current_turns(self) -> list[TurnWidget]:
        return list(self.chat.turns)

    def library_visible(self) -> bool:
        return self.library_dock.isVisible()

    def model_picker(self) -> Any:
        return self.picker
