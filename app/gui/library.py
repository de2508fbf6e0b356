"""The library panel: watched folders and mail stores with their state and counts, add / stop watching / pause,
every file that could not be indexed with its reason, a progress bar with files, chunks/s and ETA while indexing,
and "Forget" for a folder or a file (removed from the index and from chat history; the file itself is untouched)."""
from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (QFileDialog, QFrame, QHBoxLayout, QHeaderView, QLabel, QMenu, QMessageBox,
                               QProgressBar, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from app.gui.errors import DetailsButton
from app.gui.icons import icon
from app.gui.models import LibrarySnapshot, RootCounts, short_path
from indexer.progress import IndexProgress
from app.gui.source_cards import ElidedLabel, open_externally

BAR_STEPS = 1000  # the bar shows `IndexProgress.fraction` (files plus the part of the current file) in 0.1 % steps
PATH_ROLE = Qt.ItemDataRole.UserRole
FORGOTTEN_ROLE = Qt.ItemDataRole.UserRole + 1  # an item the user forgot: kept out until "Index again" (issue 13)
ORIGIN_ROLE = Qt.ItemDataRole.UserRole + 2  # how a root got into the library (app/library.py, issue 15)
# the State column of a root nobody watches: how it got here ("watched" roots show the watcher's live state)
ORIGIN_STATE = {"mail": "indexed", "cli": "indexed with cove index", "watched": "not watched",
                "unwatched": "not watched"}


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"about {max(1, round(seconds))} s left"
    return f"about {round(seconds / 60)} min left"


def progress_text(p: IndexProgress) -> str:
    if p.phase == "scanning":
        return "Looking for files…"
    if p.phase == "finishing":
        return "Finishing (updating the search index)…"
    if p.phase in ("done", "cancelled"):
        c = f"{p.indexed} indexed, {p.unchanged} unchanged"
        extra = "".join(f", {n} {what}" for n, what in ((p.skipped, "skipped"), (p.errors, "with errors"),
                                                          (p.removed, "removed")) if n)
        return ("Paused: " if p.phase == "cancelled" else "Done: ") + c + extra
    bits = [f"Indexing {p.items_text()}"]  # "file 1/5 · message 37/108" (the CLI line's wording; issue 15)
    if p.chunks_per_s:
        bits.append(f"{p.chunks_per_s:.0f} chunks/s")
    if p.eta_s is not None:
        bits.append(eta_text(p.eta_s))
    return " · ".join(bits)


def counts_text(indexed: int, skipped: int, errors: int) -> str:
    bits = [f"{indexed:,} indexed"]
    if skipped:
        bits.append(f"{skipped:,} skipped")
    if errors:
        bits.append(f"{errors:,} error{'s' * (errors != 1)}")
    return " · ".join(bits)


class _Tree(QTreeWidget):
    forget_key = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Delete:
            self.forget_key.emit()
            return
        super().keyPressEvent(event)


class LibraryPanel(QWidget):
    def __init__(self, client: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.setMinimumWidth(300)
        title = QLabel("Library")
        title.setObjectName("SectionTitle")
        self.pause_button = QPushButton(icon("pause"), "Pause")
        self.pause_button.setToolTip("Pause or resume indexing (also in the tray menu)")
        self.pause_button.clicked.connect(client.toggle_pause)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addStretch(1)
        head.addWidget(self.pause_button)

        self.add_folder_button = QPushButton(icon("folder"), "Add folder…")
        self.add_folder_button.clicked.connect(self.add_folder)
        self.add_mail_button = QPushButton(icon("mail"), "Add mail…")
        self.add_mail_button.setToolTip("An mbox file, or a Maildir / Thunderbird mail folder")
        self.add_mail_button.clicked.connect(self.add_mail)
        self.forget_file_button = QPushButton(icon("trash"), "Forget a file…")
        self.forget_file_button.clicked.connect(self.forget_file)
        buttons = QHBoxLayout()
        for b in (self.add_folder_button, self.add_mail_button, self.forget_file_button):
            buttons.addWidget(b)
        buttons.addStretch(1)

        self.progress_box = QFrame()
        box = QVBoxLayout(self.progress_box)
        box.setContentsMargins(0, 4, 0, 4)
        box.setSpacing(3)
        self.progress_label = QLabel("")
        self.progress_label.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(10)
        self.progress.setAccessibleName("Indexing progress")
        self.current_label = ElidedLabel("")
        self.current_label.setObjectName("Muted")
        for w in (self.progress_label, self.progress, self.current_label):
            box.addWidget(w)
        self.progress_box.hide()
        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.timeout.connect(self.progress_box.hide)

        self.state_label = QLabel("")
        self.state_label.setObjectName("Muted")
        self.state_label.setWordWrap(True)

        self.roots = _Tree()
        self.roots.setAccessibleName("Folders and mail stores")
        self.roots.setHeaderLabels(["Folder or mail", "State", "Documents"])
        self.roots.setRootIsDecorated(True)
        self.roots.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.roots.header().setStretchLastSection(True)
        self.roots.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.roots.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.roots.header().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.roots.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.roots.customContextMenuRequested.connect(lambda pos: self._menu(self.roots, pos))
        self.roots.forget_key.connect(lambda: self._forget_selected(self.roots))

        self.unwatch_button = QPushButton(icon("close"), "Stop watching")
        self.unwatch_button.setToolTip("Stop watching the selected folder; what is indexed stays searchable")
        self.unwatch_button.clicked.connect(self._unwatch_selected)
        self.forget_button = QPushButton(icon("trash"), "Forget…")
        self.forget_button.setToolTip("Remove the selected folder or file from the index and from chat history (Del)")
        self.forget_button.clicked.connect(lambda: self._forget_selected(self.roots))
        self.index_again_button = QPushButton(icon("refresh"), "Index again")
        self.index_again_button.setToolTip("Bring the selected forgotten file, folder or mail store back into the index")
        self.index_again_button.clicked.connect(lambda: self.index_again(self._selected_path()))
        selected_row = QHBoxLayout()
        selected_row.addStretch(1)
        selected_row.addWidget(self.index_again_button)
        selected_row.addWidget(self.unwatch_button)
        selected_row.addWidget(self.forget_button)
        self.roots.currentItemChanged.connect(lambda *_: self._selection_changed())
        self._selection_changed_row = selected_row

        self.problems_title = QLabel("Problems")
        self.problems_title.setObjectName("SectionTitle")
        self.problems = _Tree()
        self.problems.setAccessibleName("Files that could not be indexed")
        self.problems.setHeaderHidden(True)
        self.problems.setColumnCount(1)
        self.problems.setRootIsDecorated(False)
        self.problems.setUniformRowHeights(False)
        self.problems.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.problems.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.problems.customContextMenuRequested.connect(lambda pos: self._menu(self.problems, pos))
        self.problems.forget_key.connect(lambda: self._forget_selected(self.problems))

        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        lay.setSpacing(6)
        lay.addLayout(head)
        lay.addLayout(buttons)
        self.state_details = DetailsButton()  # a failure's traceback (app/gui/errors.py)
        state_row = QHBoxLayout()
        state_row.addWidget(self.state_label, 1)
        state_row.addWidget(self.state_details, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(state_row)
        lay.addWidget(self.progress_box)
        lay.addWidget(self.roots, 3)
        lay.addLayout(self._selection_changed_row)
        lay.addWidget(self.problems_title)
        lay.addWidget(self.problems, 2)

        client.snapshot.connect(self.show_snapshot)
        client.progress.connect(self.show_progress)
        client.paused_changed.connect(self._paused)
        client.state.connect(self._state)
        client.watcher_state.connect(self._state)
        client.watcher_event.connect(lambda _e: self._schedule_refresh())
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(1500)
        self._refresh_timer.timeout.connect(client.refresh)
        self._live = QTimer(self)  # live folder states from the watcher (cheap, thread-safe call)
        self._live.timeout.connect(self._update_states)
        self._live.start(1000)
        self.snapshot: LibrarySnapshot | None = None
        self._paused(client.paused)
        self.problems_title.hide()  # until the first look at the index
        self.problems.hide()
        starting = QTreeWidgetItem(["Opening the index…", "", ""])
        starting.setDisabled(True)
        self.roots.addTopLevelItem(starting)
        self._selection_changed()

    # actions -----------------------------------------------------------------------------------------------------------
    def add_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a folder to Cove", os.path.expanduser("~"))
        if path:
            self.client.add_folder(path)

    def add_mail(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a mail folder (Maildir or Thunderbird)",
                                                os.path.expanduser("~"))
        if path:
            self.client.add_mail_store(path)

    def forget_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Forget a file", os.path.expanduser("~"))
        if path:
            self.confirm_forget(path)

    def confirm_forget(self, path: str) -> bool:
        name = short_path(path)
        answer = QMessageBox.question(
            self, "Forget", f"Forget {name}?\n\nIts text is removed from Cove's index and from the sources of past "
            "answers. A watched folder is no longer watched. The file itself is not touched.")
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self.client.forget([path])
        return True

    def _forget_selected(self, tree: QTreeWidget) -> None:
        item = tree.currentItem()
        if item is not None and item.data(0, PATH_ROLE):
            self.confirm_forget(item.data(0, PATH_ROLE))

    def _menu(self, tree: QTreeWidget, pos) -> None:  # noqa: ANN001
        item = tree.itemAt(pos)
        path = item.data(0, PATH_ROLE) if item is not None else None
        if not path:
            return
        menu = QMenu(self)
        if item.data(0, FORGOTTEN_ROLE):
            menu.addAction(icon("refresh"), "Index again", lambda: self.index_again(path))
            menu.exec(tree.viewport().mapToGlobal(pos))
            return
        is_root = tree is self.roots and item.parent() is None
        if is_root and path in self.client.watched_folders():
            menu.addAction(icon("refresh"), "Check for changes now", lambda: self._rescan(path))
            menu.addAction(icon("close"), "Stop watching", lambda: self.client.remove_folder(path))
        elif tree is self.problems:
            menu.addAction(icon("refresh"), "Try again", lambda: self.client.index([path]))
        menu.addAction(icon("folder"), "Open folder",
                       lambda: open_externally(path if os.path.isdir(path) else os.path.dirname(path)))
        menu.addSeparator()
        menu.addAction(icon("trash"), "Forget…", lambda: self.confirm_forget(path))
        menu.exec(tree.viewport().mapToGlobal(pos))

    def index_again(self, path: str) -> None:
        if path and path in {e.path for e in self.client.excluded()}:
            self.client.index_again(path)

    def _selected_path(self) -> str:
        item = self.roots.currentItem()
        return str(item.data(0, PATH_ROLE) or "") if item is not None else ""

    def _selection_changed(self) -> None:
        path = self._selected_path()
        item = self.roots.currentItem()
        forgotten = bool(item is not None and item.data(0, FORGOTTEN_ROLE))
        self.unwatch_button.setEnabled(path in self.client.watched_folders())
        self.forget_button.setEnabled(bool(path) and not forgotten)
        self.index_again_button.setVisible(forgotten)

    def _unwatch_selected(self) -> None:
        path = self._selected_path()
        if path in self.client.watched_folders():
            self.client.remove_folder(path)

    def _rescan(self, path: str) -> None:
        w = self.client.watcher
        if w is not None and w.running:
            w.rescan(path)
        else:
            self.client.index([path])

    # display -----------------------------------------------------------------------------------------------------------
    def _schedule_refresh(self) -> None:
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _paused(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_button.setIcon(icon("play" if paused else "pause"))
        self._update_states()

    def _state(self, text: str) -> None:
        self.state_label.setText(text)
        self.state_label.setVisible(bool(text))
        self.state_details.show_for(text)

    def show_progress(self, _source: str, p: IndexProgress) -> None:
        self._hide_timer.stop()
        self.progress_box.show()
        self.progress_label.setText(progress_text(p))
        if p.files_total and p.phase == "indexing":  # files and the messages or pages inside the current one
            self.progress.setRange(0, BAR_STEPS)
            self.progress.setValue(round(p.fraction * BAR_STEPS))
        elif p.phase in ("done", "cancelled"):
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
        else:
            self.progress.setRange(0, 0)
        self.current_label.setText(short_path(p.current) if p.current and p.phase == "indexing" else "")
        if p.phase in ("done", "cancelled"):
            self._hide_timer.start(4000)
            self._schedule_refresh()

    def show_snapshot(self, snap: LibrarySnapshot) -> None:
        self.snapshot = snap
        expanded = {self.roots.topLevelItem(i).data(0, PATH_ROLE) for i in range(self.roots.topLevelItemCount())
                    if self.roots.topLevelItem(i).isExpanded()}
        self.roots.clear()
        for root in snap.roots:  # how each root got here is the core's record (app/library.py), never a guess
            if root.origin == "drop":
                continue
            item = QTreeWidgetItem([short_path(root.path), "", counts_text(root.indexed, root.skipped, root.errors)])
            item.setIcon(0, icon("mail" if root.kind == "mail" else "folder"))
            item.setData(0, PATH_ROLE, root.path)
            item.setData(0, ORIGIN_ROLE, root.origin)
            item.setToolTip(0, root.path)
            item.setToolTip(1, root.label)
            self.roots.addTopLevelItem(item)
        dropped = snap.of("drop")
        if dropped:
            self._add_group("Dropped files", "drop", [(r.path, r.label, r) for r in dropped])
        other = snap.other
        if other.documents:  # in the index from before Cove recorded origins: said as it is
            group = self._add_group("Indexed files", "folder", [(p, "", None) for p in other.documents],
                                    counts_text(other.indexed, other.skipped, other.errors))
            group.setText(1, "how is not recorded")
            group.setToolTip(1, "Indexed before Cove recorded how files came in (watched, mail, cove index, dropped)")
        self._add_forgotten()
        for i in range(self.roots.topLevelItemCount()):
            it = self.roots.topLevelItem(i)
            if it.data(0, PATH_ROLE) in expanded:
                it.setExpanded(True)
        if not snap.roots and not other.documents:
            hint = QTreeWidgetItem(["Nothing yet: add a folder, or drop files on the window", "", ""])
            hint.setDisabled(True)
            self.roots.addTopLevelItem(hint)
        self.problems.clear()
        for p in snap.problems:  # two lines: the file, then why (the whole reason is in the tooltip)
            item = QTreeWidgetItem([f"{os.path.basename(p.path)}\n{p.status}: {p.reason}"])
            item.setData(0, PATH_ROLE, p.path)
            item.setToolTip(0, f"{p.path}\n{p.status}: {p.reason}")
            item.setIcon(0, icon("warning"))
            self.problems.addTopLevelItem(item)
        self._selection_changed()
        n = len(snap.problems)
        self.problems_title.show()
        self.problems_title.setText(f"Problems ({n})" if n else "Problems: none")
        self.problems.setVisible(bool(n))
        self._update_states()

    def _add_group(self, title: str, icon_name: str, rows: list[tuple[str, str, RootCounts | None]],
                   counts: str = "") -> QTreeWidgetItem:
        """A group of roots or files (dropped ones, ones indexed before origins were recorded), each forgettable."""
        if not counts:
            rs = [r for _, _, r in rows if r is not None]
            counts = counts_text(sum(r.indexed for r in rs), sum(r.skipped for r in rs), sum(r.errors for r in rs))
        group = QTreeWidgetItem([title, "", counts])
        group.setIcon(0, icon(icon_name))
        for path, label, r in rows:
            child = QTreeWidgetItem([os.path.basename(path) or path, label,
                                     counts_text(r.indexed, r.skipped, r.errors) if r is not None else ""])
            child.setData(0, PATH_ROLE, path)
            child.setToolTip(0, path)
            group.addChild(child)
        self.roots.addTopLevelItem(group)
        group.setExpanded(True)
        return group

    def _add_forgotten(self) -> None:
        """Forgotten items, listed so the user sees what Cove keeps out and can bring one back."""
        items = self.client.excluded()
        if not items:
            return
        group = QTreeWidgetItem([f"Forgotten ({len(items)})", "kept out", ""])
        group.setIcon(0, icon("trash"))
        group.setToolTip(0, "Cove does not index these again by itself; select one and choose Index again")
        for e in items:
            child = QTreeWidgetItem([short_path(e.path), e.kind, ""])
            child.setData(0, PATH_ROLE, e.path)
            child.setData(0, FORGOTTEN_ROLE, True)
            child.setToolTip(0, e.path)
            group.addChild(child)
        self.roots.addTopLevelItem(group)
        group.setExpanded(True)

    def _update_states(self) -> None:
        live = self.client.folder_status()
        busy_paths = {p for job in self.client.jobs.values() for p in job.paths}
        for i in range(self.roots.topLevelItemCount()):
            item = self.roots.topLevelItem(i)
            path = item.data(0, PATH_ROLE)
            if not path:
                continue
            s = live.get(path)
            if not os.path.exists(path):
                state = "missing"
            elif self.client.paused:
                state = "paused"
            elif s is not None:
                state = s.state + (f" · {s.pending} pending" if s.pending else "")
                item.setToolTip(1, s.detail or s.state)
            elif path in busy_paths:
                state = "indexing"
            elif not self.client.is_ready:
                state = "starting"
            else:
                state = ORIGIN_STATE.get(item.data(0, ORIGIN_ROLE) or "", "not watched")
            item.setText(1, state)
