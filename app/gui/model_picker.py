"""The model picker: the bundled models, the GGUF models other apps already keep on this computer (Ollama, LM Studio,
GPT4All, Jan, the Hugging Face cache; found by app.models.catalog in the background, the recommended one starred) and
any GGUF the user chose (file dialog or a dropped .gguf), with name, size, quantisation and context length read from
the file's header (never loading it). "Models on this computer…" opens a table of them all with a Use button per
row. Choosing one only saves the setting and asks the chat worker to load it there; the GUI never waits for a
model."""
from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QMessageBox, QWidget

from app.gui.icons import IconLabel
from app.gui.model_list import ModelListDialog, entry_label
from app.gui.tasks import run_task

CHOOSE = "__choose__"
ON_THIS_COMPUTER = "__on_this_computer__"
RECENT_KEY = "recent_models"  # declared in app/settings_schema.py (kept by Cove, not in the dialog)


def describe(info: Any, in_use_ctx: int | None = None) -> str:
    """"Q4_K_M · 241 MB · 32,768-token context"."""
    size = info.size_bytes / 1e6
    size_text = f"{size / 1000:.1f} GB" if size >= 1000 else f"{size:.0f} MB"
    ctx = f"{info.context_length:,}-token context" if info.context_length else "context unknown"
    if in_use_ctx and info.context_length and in_use_ctx < info.context_length:
        ctx += f" (using {in_use_ctx:,})"
    return f"{info.file_type} · {size_text} · {ctx}"


def discover(settings: Any) -> Any:
    """The catalog without assembling the bundled Gemma (the chat worker does that when it loads it)."""
    from app.models.catalog import build_catalog

    return build_catalog(settings, assemble=False)


def read_info(path: str) -> Any:
    from app.models.llm import model_info

    return model_info(path)


class ModelPicker(QWidget):
    model_chosen = Signal(str)  # "" = bundled default

    def __init__(self, settings: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.combo = QComboBox()
        self.combo.setMinimumWidth(230)
        self.combo.setAccessibleName("Language model")
        self.combo.setToolTip("The language model that writes answers. It runs on this computer.")
        self.info_label = QLabel("")
        self.info_label.setObjectName("Muted")
        self.state_label = QLabel("")
        self.state_label.setObjectName("Muted")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(8)
        mark = IconLabel("model", 18)
        lay.addWidget(mark)
        lay.addWidget(self.combo)
        lay.addWidget(self.info_label)
        lay.addWidget(self.state_label)
        self.loaded_info: Any = None
        self.catalog: Any = None  # app.models.catalog.Catalog once discovery has run
        self.dialog: Any = None
        self._populate()
        self.combo.activated.connect(self._on_activated)
        self.refresh_catalog()

    def refresh_catalog(self, then: Any = None) -> None:
        """Discover the models on this computer off the GUI thread (header reads; a second or so the first time)."""
        settings = self.settings

        def done(catalog: Any) -> None:
            self.catalog = catalog
            self._populate()
            if then is not None:
                then()

        run_task(lambda: discover(settings), done, lambda message: None, owner=self)

    def current_path(self) -> str:
        return self.settings.get_str("model_path")

    def _recent(self) -> list[str]:
        return [p for p in self.settings.get_list(RECENT_KEY) if isinstance(p, str)]

    def _populate(self) -> None:
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem("Gemma 3 270M (bundled)", "")
        listed: set[str] = set()
        if self.catalog is not None:
            from app.models.catalog import model_path_setting

            for e in self.catalog.entries:
                value = model_path_setting(e, self.catalog)
                if e.usable and value:
                    self.combo.addItem(entry_label(e), value)
                    tip = f"{e.path}\n{self.catalog.recommendation}" if e.recommended else e.path
                    self.combo.setItemData(self.combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
                    listed.add(os.path.realpath(value))
        paths = self._recent()
        current = self.current_path()
        if current and current not in paths:
            paths.insert(0, current)
        for p in paths:
            if os.path.realpath(p) in listed and self.combo.findData(p) >= 0:
                continue
            self.combo.addItem(os.path.basename(p), p)
            self.combo.setItemData(self.combo.count() - 1, p, Qt.ItemDataRole.ToolTipRole)
        self.combo.insertSeparator(self.combo.count())
        self.combo.addItem("Models on this computer…", ON_THIS_COMPUTER)
        self.combo.addItem("Choose a GGUF file…", CHOOSE)
        idx = self.combo.findData(current)
        self.combo.setCurrentIndex(idx if idx >= 0 else 0)
        self.combo.blockSignals(False)

    def _on_activated(self, index: int) -> None:
        data = self.combo.itemData(index)
        if data == CHOOSE:
            self._populate()  # back to the current model until a file is chosen
            self.choose_file()
        elif data == ON_THIS_COMPUTER:
            self._populate()
            self.show_models()
        elif data != self.current_path():
            self.select(str(data))

    def show_models(self) -> None:
        """The table of every model found, with the recommendation; its Use buttons switch in one click."""
        if self.catalog is None:
            self.state_label.setText("Looking for models…")
            self.refresh_catalog(then=self.show_models)
            return
        self.state_label.setText("")
        self.dialog = ModelListDialog(self.catalog, self)
        self.dialog.use_requested.connect(self.select)
        self.dialog.open()

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a language model", os.path.expanduser("~"),
                                              "GGUF models (*.gguf);;All files (*)")
        if path:
            self.add_model(path)

    def add_model(self, path: str) -> None:
        """Check the file is a readable GGUF (header only, in the background), then switch to it."""
        path = os.path.abspath(path)
        self.state_label.setText("Reading the model file…")

        def ok(info: Any) -> None:
            recent = [p for p in self._recent() if p != path]
            self.settings.set(RECENT_KEY, [path, *recent][:8])
            self.select(path)

        def bad(message: str) -> None:
            self.state_label.setText("")
            QMessageBox.warning(self, "Not a usable model", f"{os.path.basename(path)} cannot be used: {message}")

        run_task(lambda: read_info(path), ok, bad, owner=self)

    def select(self, path: str) -> None:
        self.settings.set("model_path", path)
        self.settings.save()
        self._populate()
        self.set_loading("Loading…")
        self.model_chosen.emit(path)
        if self.catalog is not None:
            self.refresh_catalog()  # the "in use" mark moves

    def set_loading(self, text: str) -> None:
        self.state_label.setText(text)
        self.combo.setEnabled(True)

    def set_ready(self, info: Any, n_ctx: int | None = None) -> None:
        self.loaded_info = info
        self.state_label.setText("")
        self.info_label.setText(describe(info, n_ctx))
        self.info_label.setToolTip(f"{info.name}\n{info.path}\narchitecture: {info.architecture}")
        idx = self.combo.findData(self.current_path())
        if idx >= 0:
            self.combo.setItemText(idx, f"{info.name}{' (bundled)' if idx == 0 else ''}")

    def set_failed(self, message: str) -> None:
        self.state_label.setText("Model not loaded")
        self.state_label.setToolTip(message)
