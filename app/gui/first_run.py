"""First run: propose the user's Documents folder and the mail stores found on this computer, say plainly what
stays local, and save the choice (watched_folders / mail_stores) so indexing can start in the background."""
from __future__ import annotations

import glob
import importlib
import os
from typing import Any, Callable

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QLabel, QPushButton, QVBoxLayout,
                               QWidget)

from app.gui.icons import app_icon
from app.gui.models import short_path
from app.gui.tasks import run_task

FIRST_RUN_KEY = "first_run_done"  # declared in app/settings_schema.py (kept by Cove, not in the dialog)
LOCAL_PROMISE = ("Cove reads your files and email on this computer and builds a private search index here. The "
                 "language model runs here too. Nothing is uploaded, there is no account, and no telemetry is sent; "
                 "a guard blocks every network connection and the window shows the count. You can forget any file "
                 "or folder later.")

_MAIL_CANDIDATES = ("~/.thunderbird/*/Mail/Local Folders", "~/.thunderbird/*/ImapMail/*",
                    "~/snap/thunderbird/common/.thunderbird/*/Mail/Local Folders",
                    "~/.var/app/org.mozilla.Thunderbird/.thunderbird/*/Mail/Local Folders",
                    "~/Maildir", "~/.maildir", "~/mail", "~/Mail", "~/.mail",
                    "~/.local/share/evolution/mail/local", "~/Library/Mail/V*",
                    "~/AppData/Roaming/Thunderbird/Profiles/*/Mail/Local Folders")


def needs_first_run(settings: Any) -> bool:
    return not (settings.get_bool(FIRST_RUN_KEY) or settings.get_list("watched_folders") or settings.get_list("mail_stores"))


def documents_folder() -> str | None:
    path = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if path and os.path.isdir(path) and os.path.abspath(path) != os.path.expanduser("~"):
        return os.path.abspath(path)
    fallback = os.path.expanduser("~/Documents")
    return fallback if os.path.isdir(fallback) else None


def discover_mail_stores() -> list[str]:
    """indexer.mail's discovery (Thunderbird, Evolution, KMail, notmuch, Maildir, mbox, Apple Mail); the usual
    places mail clients keep local mail when that is unavailable."""
    mail = importlib.import_module("indexer.mail")
    discover: Callable[[], Any] | None = getattr(mail, "discover_stores", None)
    from app import paths
    from indexer.exclusions import Exclusions

    excluded = Exclusions(paths.data_dir()).excluded  # a forgotten store is never offered again (issue 13)
    if callable(discover):
        try:
            return [str(getattr(s, "path", s)) for s in discover() if excluded(str(getattr(s, "path", s))) is None]
        except Exception:
            pass
    found: list[str] = []
    for pattern in _MAIL_CANDIDATES:
        for path in sorted(glob.glob(os.path.expanduser(pattern))):
            if os.path.isdir(path) and path not in found and excluded(path) is None:
                found.append(path)
    return found


class FirstRunDialog(QDialog):
    chosen = Signal(object, object)  # folders, mail stores (tuples of str)

    def __init__(self, settings: Any, parent: QWidget | None = None, discover: Callable[[], list[str]] | None = None) \
            -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Welcome to Cove")
        self.setWindowIcon(app_icon())
        self.setMinimumWidth(560)
        lay = QVBoxLayout(self)
        lay.setSpacing(10)
        title = QLabel("Welcome to Cove")
        title.setObjectName("EmptyTitle")
        promise = QLabel(LOCAL_PROMISE)
        promise.setWordWrap(True)
        lay.addWidget(title)
        lay.addWidget(promise)
        lay.addWidget(QLabel("<b>What should Cove read?</b>"))
        self.folder_boxes: list[QCheckBox] = []
        self.mail_boxes: list[QCheckBox] = []
        self.list_layout = QVBoxLayout()
        lay.addLayout(self.list_layout)
        docs = documents_folder()
        if docs:
            self._add_box(docs, self.folder_boxes, f"Documents folder ({short_path(docs)})", checked=True)
        self.mail_note = QLabel("Looking for mail on this computer…")
        self.mail_note.setObjectName("Muted")
        lay.addWidget(self.mail_note)
        more = QPushButton("Add another folder…")
        more.clicked.connect(self._add_folder)
        lay.addWidget(more, 0, Qt.AlignmentFlag.AlignLeft)
        note = QLabel("Indexing runs in the background; you can ask questions as soon as the first files are in.")
        note.setObjectName("Muted")
        note.setWordWrap(True)
        lay.addWidget(note)
        buttons = QDialogButtonBox()
        self.start_button = buttons.addButton("Start", QDialogButtonBox.ButtonRole.AcceptRole)
        self.later_button = buttons.addButton("Not now", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        run_task(discover or discover_mail_stores, self._mail_found, lambda _m: self._mail_found([]), owner=self)

    def _add_box(self, path: str, group: list[QCheckBox], label: str | None = None, checked: bool = True) -> None:
        box = QCheckBox(label or short_path(path))
        box.setToolTip(path)
        box.setProperty("path", path)
        box.setChecked(checked)
        group.append(box)
        self.list_layout.addWidget(box)

    def _mail_found(self, stores: list[str]) -> None:
        for path in stores:
            self._add_box(path, self.mail_boxes, f"Mail: {short_path(path)}", checked=True)
        self.mail_note.setText(f"Found {len(stores)} mail store{'s' * (len(stores) != 1)}." if stores
                               else "No local mail found (mbox, Maildir or Thunderbird). You can add it later.")
        self.adjustSize()

    def _add_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a folder", os.path.expanduser("~"))
        if path:
            self._add_box(os.path.abspath(path), self.folder_boxes)

    def selection(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        folders = tuple(b.property("path") for b in self.folder_boxes if b.isChecked())
        mail = tuple(b.property("path") for b in self.mail_boxes if b.isChecked())
        return folders, mail

    def accept(self) -> None:
        folders, mail = self.selection()
        self.settings.set("watched_folders", sorted(set(self.settings.get_list("watched_folders")) | set(folders)))
        self.settings.set("mail_stores", sorted(set(self.settings.get_list("mail_stores")) | set(mail)))
        self.settings.set(FIRST_RUN_KEY, True)
        self.settings.save()
        self.chosen.emit(folders, mail)
        super().accept()

    def reject(self) -> None:
        self.settings.set(FIRST_RUN_KEY, True)
        self.settings.save()
        super().reject()
