""""Models on this computer": a table of the catalog app.models.catalog built (bundled models and the GGUFs of Ollama,
LM Studio, GPT4All, Jan and the Hugging Face cache) with each model's details, the recommendation on top, and a Use
button per row, so switching is one click. Only Qt plumbing: discovery and the recommendation live in the core."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QLabel, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

COLUMNS = ("", "Name", "From", "Parameters", "Quantisation", "Context", "Instruct", "File", "Memory needed")
SOURCE_NAMES = {"bundled": "Cove", "ollama": "Ollama", "lmstudio": "LM Studio", "gpt4all": "GPT4All", "jan": "Jan",
                "huggingface": "Hugging Face", "llamafile": "llamafile", "downloads": "Downloads", "file": "File"}


def human_bytes(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def entry_label(e: Any) -> str:
    """One line for the picker's combo: "★ Qwen2.5 7B Instruct · 7.6B · Q4_K_M (Ollama)"."""
    star = "★ " if e.recommended else ""
    return f"{star}{e.name} · {e.params} · {e.quant} ({SOURCE_NAMES.get(e.source, e.source)})"


class ModelListDialog(QDialog):
    use_requested = Signal(str)  # the model_path value ("" = the bundled default)

    def __init__(self, catalog: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models on this computer")
        self.setModal(True)
        self.resize(980, 420)
        self.catalog = catalog
        self.recommendation = QLabel(("★ " if catalog.recommended is not None else "") + catalog.recommendation)
        self.recommendation.setWordWrap(True)
        free = (f"Free memory now: {human_bytes(catalog.available_bytes)}. " if catalog.available_bytes else "")
        note = QLabel(f"{free}Models are used where they are: nothing is copied or downloaded.")
        note.setObjectName("Muted")
        self.table = QTableWidget(len(catalog.entries), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAccessibleName("Language models found on this computer")
        self.buttons: dict[int, QPushButton] = {}
        for row, e in enumerate(catalog.entries):
            self._fill(row, e)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.recommendation)
        lay.addWidget(note)
        lay.addWidget(self.table, 1)
        lay.addWidget(close)

    def _fill(self, row: int, e: Any) -> None:
        ctx = f"{e.context_length:,}" if e.context_length else "?"
        values = ("", e.name + ("  ★ recommended" if e.recommended else ""), SOURCE_NAMES.get(e.source, e.source),
                  e.params, e.quant, ctx, "yes" if e.chat else "no", human_bytes(e.size_bytes),
                  "" if not e.usable else human_bytes(e.needed_bytes) + ("" if e.fits else " (more than is free)"))
        tip = f"{e.path}\n{e.store_label}\narchitecture: {e.architecture}" + (f"\n{e.reason}" if e.reason else "")
        for col, text in enumerate(values):
            item = QTableWidgetItem(text)
            item.setToolTip(tip)
            if not e.usable:
                item.setForeground(Qt.GlobalColor.gray)
            self.table.setItem(row, col, item)
        if not e.usable:
            self.table.item(row, 1).setText(f"{e.name} — {e.reason}")
            return
        button = QPushButton("In use" if e.configured else "Use")
        button.setEnabled(not e.configured)
        button.setAccessibleName(f"Use {e.name}")
        button.clicked.connect(lambda _=False, entry=e: self._use(entry))
        self.buttons[row] = button
        self.table.setCellWidget(row, 0, button)

    def _use(self, entry: Any) -> None:
        from app.models.catalog import model_path_setting

        self.use_requested.emit(model_path_setting(entry, self.catalog))
        self.accept()
