"""The application controller: builds the core (lazily — no heavy import here), the chat and index workers, the
main window, the quick-ask popup, the source viewer and the tray, and connects them. It decides what closing the
window means (stay in the tray when there is one, quit otherwise) and shuts the workers down in order."""
from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

from app.gui import theme
from app.gui.chat_worker import AssistantFactory, ChatClient
from app.gui.drops import plan_drop
from app.gui.errors import reword
from app.gui.index_worker import IndexClient
from app.gui.models import SourceRef
from app.gui.window import MainWindow


def make_core() -> Any:
    """The core; its embedder loads lazily (in a worker) and is thread-safe (indexer.embedding)."""
    from app.core import CoveCore
    from app.settings import Settings

    return CoveCore(Settings.load())


class Controller(QObject):
    quitting = Signal()

    def __init__(self, app: QApplication, *, core: Any = None, assistant_factory: AssistantFactory | None = None,
                 tray: bool | None = None, history: Any = None) -> None:
        super().__init__()
        from app.history import History

        self.app = app
        self.core = core if core is not None else make_core()
        self.settings = self.core.settings
        self.history = history if history is not None else History()
        self.chat = ChatClient(self.core, assistant_factory, self)
        self.index = IndexClient(self.core, self)
        self.window = MainWindow(self)
        self.popup: Any = None
        self.viewer: Any = None
        self._quitting = False
        self._started = False
        from app.gui.tray import Tray, tray_available

        use_tray = tray_available() if tray is None else tray
        self.tray = Tray(self) if use_tray else None

        self.chat.busy_changed.connect(self._busy)
        self.chat.model_state.connect(self._model_state)
        self.chat.model_ready.connect(self._model_ready)
        self.chat.model_failed.connect(self._model_failed)
        self.chat.saved.connect(lambda _cid: self.conversations_changed())
        self.index.state.connect(self._index_state)
        self.index.progress.connect(self._index_progress)
        self.index.forgotten.connect(self._forgotten)
        self.index.job_failed.connect(lambda _id, msg: self.window.show_notice(reword(msg, f"Indexing failed: {msg}")))
        self._states = {"model": "", "index": ""}

    # life cycle -----------------------------------------------------------------------------------------------------
    def start(self, *, load_model: bool = True, watch: bool = True) -> None:
        """Begin the background work: the embedder and index, the watcher, and the model (each in its worker)."""
        if self._started:
            return
        self._started = True
        self._states = {"model": "Loading the model…" if load_model else "", "index": "Opening the index…"}
        self._set_state("index", "Opening the index…")
        self.index.start(watch=watch)
        if load_model:
            self.chat.load_model("")

    def show_main(self) -> None:
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()

    def maybe_first_run(self) -> None:
        from app.gui.first_run import FirstRunDialog, needs_first_run

        if needs_first_run(self.settings):
            dialog = FirstRunDialog(self.settings, self.window)
            dialog.chosen.connect(self._first_run_chosen)
            dialog.open()

    def _first_run_chosen(self, folders: tuple[str, ...], mail: tuple[str, ...]) -> None:
        for folder in folders:
            self.index.add_folder(folder)
        for store in mail:
            self.index.add_mail_store(store)

    def window_closing(self) -> bool:
        """True: keep running in the tray (the window only hides). False: the app quits."""
        if self._quitting:
            return False
        if self.tray is not None and self.tray.visible:
            self.tray.tell_still_running()
            return True
        QTimer.singleShot(0, self.quit)
        return False

    def popup_hidden(self) -> None:
        """Popup-only start without a tray: hiding the popup is the way out."""
        if self.tray is None and not self.window.isVisible():
            QTimer.singleShot(0, self.quit)

    def quit(self) -> None:
        if self._quitting:
            return
        self._quitting = True
        self.quitting.emit()
        for view in (self.window, self.popup):  # dropped items are forgotten now unless remember_dropped is on
            if view is not None:
                view.scope.clear()
        for w in (self.popup, self.viewer):
            if w is not None:
                w.hide()
        self.window.close()
        self.shutdown()
        self.app.quit()

    def shutdown(self) -> None:
        """Stop generation and indexing, stop the watcher, join the workers (safe to call twice)."""
        self.chat.stop()
        self.index.shutdown()
        self.chat.shutdown()
        if self.tray is not None:
            self.tray.hide()
        from app.gui.tasks import wait_for_tasks

        wait_for_tasks(5000)

    # chat -----------------------------------------------------------------------------------------------------------
    def stop(self) -> None:
        self.chat.stop()

    def load_model(self, path: str) -> None:
        self.chat.load_model(path)

    def _busy(self, busy: bool) -> None:
        self.window.set_busy(busy)

    def conversations_changed(self) -> None:
        self.window.sidebar.refresh()

    def open_source(self, ref: SourceRef) -> None:
        if self.viewer is None:
            from app.gui.viewer import SourceViewer

            self.viewer = SourceViewer(self.core)
        self.viewer.show_source(ref)

    # popup ----------------------------------------------------------------------------------------------------------
    def quick_ask(self) -> Any:
        if self.popup is None:
            from app.gui.quick_ask import QuickAskPopup

            self.popup = QuickAskPopup(self)
        return self.popup

    def show_quick_ask(self) -> None:
        self.quick_ask().show_popup()

    def toggle_quick_ask(self) -> None:
        popup = self.quick_ask()
        if popup.isVisible():
            popup.hide_popup()
        else:
            popup.show_popup()

    def handle_instance_message(self, message: Any) -> None:
        """From a second launch: files to ask about (like a drop on the window), or which window to show."""
        if message.action == "quick-ask":
            self.show_quick_ask()
            return
        self.show_main()
        if message.files:
            self.handle_drop(list(message.files), self.window)

    # drops ----------------------------------------------------------------------------------------------------------
    def handle_drop(self, paths: list[str], view: QWidget) -> None:
        """Index dropped documents now and scope `view`'s next questions to them; a .gguf becomes the model."""
        plan = plan_drop(paths)
        notify = view.show_notice if hasattr(view, "show_notice") else self.window.show_notice
        if plan.unsupported:
            notify(plan.unsupported_message())
        if plan.models:
            self.window.picker.add_model(plan.models[0])
        if plan.documents:
            view.scope.start(plan.documents)  # type: ignore[attr-defined]

    # status ---------------------------------------------------------------------------------------------------------
    def _model_state(self, text: str) -> None:
        self.window.picker.set_loading(text)
        self._set_state("model", text)

    def _model_ready(self, info: Any) -> None:
        n_ctx = self.settings.get_int("n_ctx")
        self.window.picker.set_ready(info, n_ctx)
        self._set_state("model", "")

    def _model_failed(self, message: str) -> None:
        self.window.picker.set_failed(message)
        self._set_state("model", "")
        self.window.show_notice(f"The language model could not be loaded: {message}")

    def _index_state(self, text: str) -> None:
        self._set_state("index", text)

    def _index_progress(self, _source: str, p: Any) -> None:
        if p.phase == "indexing" and p.files_total:
            self._set_state("index", f"Indexing {p.files_done:,} of {p.files_total:,} files")
        elif p.phase in ("done", "cancelled"):
            self._set_state("index", "")

    def _set_state(self, key: str, text: str) -> None:
        self._states[key] = text
        shown = " · ".join(t for t in self._states.values() if t)
        self.window.set_state(shown or "Ready")

    def _forgotten(self, result: Any) -> None:
        names = ", ".join(os.path.basename(t) or t for t in result.targets)
        self.window.set_state(f"Forgot {names}: {result.documents} document{'s' * (result.documents != 1)} removed")
        self.window.sidebar.refresh()

    # settings -------------------------------------------------------------------------------------------------------
    def show_settings(self) -> None:
        from app.gui.settings_dialog import RELOAD_MODEL, SettingsDialog

        dialog = SettingsDialog(self.settings, self.window)

        def saved(changed: frozenset[str]) -> None:
            if "theme" in changed:
                theme.apply_theme(self.app, self.settings.get_str("theme"))
            if changed & RELOAD_MODEL:
                self.window.picker._populate()
                self.chat.load_model("")
            if changed & {"watched_folders", "mail_stores"}:
                self.index.refresh()
                self.window.show_notice("Folder changes take effect when Cove restarts; use the Library panel to "
                                        "add or remove folders right away.")

        dialog.saved.connect(saved)
        dialog.open()
        self.settings_dialog = dialog
