"""Drag-and-drop: files and folders dropped on the window or the quick-ask popup are indexed right away (with
progress on the "Asking about" chip) and the next questions are scoped to them; a dropped .gguf becomes the model;
anything Cove cannot read gets a clear message. Dropped items are kept or forgotten per `remember_dropped`."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QMimeData, QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QWidget

from app.gui.errors import reword

if TYPE_CHECKING:
    from app.gui.index_worker import IndexClient
    from indexer.progress import IndexProgress

MAIL_EXTENSIONS = frozenset({".eml", ".msg", ".mbox", ".emlx", ".mbx"})
READABLE = "PDF, Word (.docx), text and Markdown, HTML, EPUB and email (.eml, .msg, mbox)"


@dataclass(frozen=True)
class DropPlan:
    documents: tuple[str, ...]  # files and folders to index and ask about
    models: tuple[str, ...]  # .gguf files
    unsupported: tuple[str, ...]

    def unsupported_message(self) -> str:
        names = [os.path.basename(p) or p for p in self.unsupported]
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        kinds = sorted({os.path.splitext(n)[1].lower() or "files without an extension" for n in names})
        what = ", ".join(kinds)
        return (f"Cove can't read {shown} ({what}). It reads {READABLE}; "
                "drop a .gguf file to use it as the language model.")


def local_paths(mime: QMimeData) -> list[str]:
    """Local files and folders in a drag; remote URLs are ignored (Cove never downloads)."""
    if not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]


def is_readable(path: str) -> bool:
    from indexer.parsers import SUPPORTED_EXTENSIONS

    ext = os.path.splitext(path)[1].lower()
    if not ext:
        return True  # mbox files and Maildir messages often have none; the indexer sniffs the content
    return ext in SUPPORTED_EXTENSIONS or ext in MAIL_EXTENSIONS


def plan_drop(paths: list[str]) -> DropPlan:
    docs: list[str] = []
    models: list[str] = []
    bad: list[str] = []
    for raw in paths:
        path = os.path.abspath(raw)
        if os.path.isdir(path):
            docs.append(path)
        elif path.lower().endswith(".gguf"):
            models.append(path)
        elif os.path.isfile(path) and is_readable(path):
            docs.append(path)
        else:
            bad.append(path)
    return DropPlan(tuple(docs), tuple(models), tuple(bad))


class DropOverlay(QLabel):
    """Shown over the chat while files are dragged over it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()

    def show_over(self, target: QWidget, accepted: bool) -> None:
        from app.gui import theme

        c = theme.colors(self.palette())
        self.setText("Drop to ask about these files" if accepted else "Cove can't read these files")
        self.setStyleSheet(f"background: {c.accent_soft}; border: 2px dashed {c.accent}; border-radius: 12px;"
                           f"font-size: 18px; font-weight: 600; color: {c.accent};")
        self.setGeometry(target.geometry().adjusted(12, 12, -12, -12))
        self.raise_()
        self.show()


class DropScope(QObject):
    """The dropped items one view (main window or popup) is asking about, and the chip that shows them."""

    changed = Signal()
    notice = Signal(object)  # str, or an app.gui.errors.Failure with details

    def __init__(self, chip: Any, index: IndexClient, settings: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.chip = chip
        self.index = index  # IndexClient
        self.settings = settings
        self.paths: tuple[str, ...] = ()
        self.job_id: str | None = None
        self.ready = False
        chip.removed.connect(self.clear)
        index.progress.connect(self._progress)
        index.job_finished.connect(self._finished)
        index.job_failed.connect(self._failed)

    @property
    def indexing(self) -> bool:
        return self.job_id is not None

    @property
    def scope(self) -> tuple[str, ...]:
        return self.paths if self.ready else ()

    def start(self, documents: tuple[str, ...]) -> None:
        self.clear()
        self.paths = documents
        self.ready = False
        self.chip.show_for(documents)
        self.job_id = self.index.index(documents, origin="drop")
        self.changed.emit()

    def clear(self) -> None:
        """Stop asking about the dropped items; forget them unless remember_dropped is on."""
        if not self.paths:
            return
        old = self.paths
        self.paths, self.ready, self.job_id = (), False, None
        self.chip.clear()
        doomed = self.index.core.dropped_to_release(old)  # the core's rule (remember_dropped, roots kept elsewhere)
        if doomed:
            self.index.forget(doomed, exclude=False)  # Cove's own clean-up: dropping it again works
        self.changed.emit()

    def _progress(self, source: str, p: IndexProgress) -> None:
        if source == self.job_id and p.files_total:  # files and the messages or pages inside them (issue 15)
            self.chip.set_progress(round(p.fraction * 1000), 1000)

    def _finished(self, done: Any) -> None:
        if done.id != self.job_id:
            return
        self.job_id = None
        report = done.report
        bad = [o for o in report.outcomes if o.outcome in ("error", "skipped")]
        good = [o for o in report.outcomes if o.outcome in ("indexed", "unchanged")]
        if bad:
            lines = "; ".join(f"{os.path.basename(o.path)}: {o.reason or o.outcome}" for o in bad[:5])
            more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
            self.notice.emit(f"Some dropped files could not be read — {lines}{more}.")
        if not good:
            self.paths, self.ready = (), False
            self.chip.clear()
        else:
            self.ready = True
            self.chip.set_ready()
        self.changed.emit()

    def _failed(self, job_id: str, message: str) -> None:
        if job_id == self.job_id:
            self.job_id = None
            self.paths, self.ready = (), False
            self.chip.clear()
            self.notice.emit(reword(message, f"The dropped files could not be indexed: {message}"))
            self.changed.emit()


class DropTarget:
    """Mixin for the main window and the quick-ask popup: show the overlay over `drop_area()` while files are
    dragged in, and hand dropped paths to the controller (after the drop event returns, so the source app is freed)."""

    overlay: DropOverlay
    ctl: Any

    def drop_area(self) -> QWidget:
        raise NotImplementedError

    def dragEnterEvent(self, event) -> None:  # noqa: N802, ANN001
        paths = local_paths(event.mimeData())
        if paths:
            plan = plan_drop(paths)
            self.overlay.show_over(self.drop_area(), bool(plan.documents or plan.models))
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802, ANN001
        event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802, ANN001
        self.overlay.hide()

    def dropEvent(self, event) -> None:  # noqa: N802, ANN001
        from PySide6.QtCore import QTimer

        self.overlay.hide()
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.ctl.handle_drop(paths, self))
