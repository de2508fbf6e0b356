"""The model picker: the bundled default and any GGUF the user chose (file dialog or a dropped .gguf), with name,
size, quantisation and context length read from the file's header (never loading it). Choosing one only saves the
setting and asks the chat worker to load it there; the GUI never waits for a model."""
from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QMessageBox, QWidget

from app.gui.icons import IconLabel
from app.gui.tasks import run_task

CHOOSE = "__choose__"
RECENT_KEY = "recent_models"  # an extra settings key (unknown keys are kept by app.settings)


def describe(info: Any, in_use_ctx: int | None = None) -> str:
    """"Q4_K_M · 241 MB · 32,768-token context"."""
    size = info.size_bytes / 1e6
    size_text = f"{size / 1000:.1f} GB" if size >= 1000 else f"{size:.0f} MB"
    ctx = f"{info.context_length:,}-token context" if info.context_length else "context unknown"
    if in_use_ctx and info.context_length and in_use_ctx < info.context_length:
        ctx += f" (using {in_use_ctx:,})"
    return f"{info.file_type} · {size_text} · {ctx}"


def read_info(path: str) -> Any:
    from app.llm import model_info

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
        self._populate()
        self.combo.activated.connect(self._on_activated)

    def current_path(self) -> str:
        return str(self.settings.get("model_path", "") or "")

    def _recent(self) -> list[str]:
        recent = self.settings.get(RECENT_KEY, [])
        return [p for p in recent if isinstance(p, str)] if isinstance(recent, list) else []

    def _populate(self) -> None:
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem("Gemma 3 270M (bundled)", "")
        paths = self._recent()
        current = self.current_path()
        if current and current not in paths:
            paths.insert(0, current)
        for p in paths:
            self.combo.addItem(os.path.basename(p), p)
            self.combo.setItemData(self.combo.count() - 1, p, Qt.ItemDataRole.ToolTipRole)
        self.combo.insertSeparator(self.combo.count())
        self.combo.addItem("Choose a GGUF file…", CHOOSE)
        idx = self.combo.findData(current)
        self.combo.setCurrentIndex(idx if idx >= 0 else 0)
        self.combo.blockSignals(False)

    def _on_activated(self, index: int) -> None:
        data = self.combo.itemData(index)
        if data == CHOOSE:
            self._populate()  # back to the current model until a file is chosen
            self.choose_file()
        elif data != self.current_path():
            self.select(str(data))

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
