"""The settings dialog: every key of settings.json with a matching editor (ranges and choices from app.settings'
rules), validated with app.settings.validate before anything is stored, then saved atomically by Settings.save."""
from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton,
                               QScrollArea, QSizePolicy, QSpinBox, QTabWidget, QVBoxLayout, QWidget)

from app.settings import RULES, SettingsError, validate

TABS: dict[str, list[str]] = {
    "Library": ["watched_folders", "mail_stores", "ignore_globs", "max_file_mb", "debounce_seconds",
                "chunk_tokens", "chunk_overlap_tokens", "embed_batch_size"],
    "Answers": ["model_path", "prompt_style", "n_ctx", "max_answer_tokens", "temperature", "answer_k", "search_k",
                "min_similarity", "n_threads", "n_gpu_layers"],
    "App": ["theme", "remember_dropped", "autostart_tray"],
}
LABELS: dict[str, tuple[str, str]] = {
    "watched_folders": ("Watched folders", "Kept indexed as files change. One folder per line."),
    "mail_stores": ("Mail stores", "mbox files, Maildir or Thunderbird folders. One per line."),
    "ignore_globs": ("Ignore patterns", "File name patterns never indexed, such as *.log. One per line."),
    "max_file_mb": ("Largest file (MB)", "Bigger files are listed as skipped, with the reason."),
    "debounce_seconds": ("Wait after a change (s)", "A burst of saves is indexed once, this long after the last."),
    "chunk_tokens": ("Passage length (tokens)", "Applies to files indexed from now on."),
    "chunk_overlap_tokens": ("Passage overlap (tokens)", "Applies to files indexed from now on."),
    "embed_batch_size": ("Embedding batch size", "Larger is faster on big machines and uses more memory."),
    "model_path": ("Model file", "A GGUF file. Empty means the bundled Gemma 3 270M."),
    "prompt_style": ("Prompt style", "auto: chat template for instruct models, completion for base models."),
    "n_ctx": ("Context length (tokens)", "Never more than the model supports. Reloads the model."),
    "max_answer_tokens": ("Longest answer (tokens)", ""),
    "temperature": ("Temperature", "0 gives the same answer every time; higher is more varied."),
    "answer_k": ("Passages per answer", "How many retrieved passages the model reads to answer."),
    "search_k": ("Search results", "How many passages `cove search` and the library search return."),
    "min_similarity": ("Relevance threshold", "Below this, Cove says it found nothing instead of guessing."),
    "n_threads": ("CPU threads", "0 lets the model decide."),
    "n_gpu_layers": ("GPU layers", "0 runs on the CPU; -1 puts every layer on the GPU."),
    "theme": ("Theme", "system follows your desktop's light or dark setting."),
    "remember_dropped": ("Remember dropped files", "Keep dropped files in the index after you stop asking "
                                                   "about them. Off: they are forgotten."),
    "autostart_tray": ("Start in the tray at login", "Stored for the installer's autostart entry."),
}
RELOAD_MODEL = frozenset({"model_path", "prompt_style", "n_ctx", "n_threads", "n_gpu_layers"})


class SettingsDialog(QDialog):
    saved = Signal(object)  # frozenset of changed keys

    def __init__(self, settings: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Settings — Cove")
        self.resize(620, 560)
        self.editors: dict[str, QWidget] = {}
        self.tabs = QTabWidget()
        listed = {k for keys in TABS.values() for k in keys}
        other = [k for k in RULES if k not in listed and k != "version"]
        for name, keys in [*TABS.items(), *([("Other", other)] if other else [])]:
            self.tabs.addTab(self._page(keys), name)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b;")
        self.error.hide()
        note = QLabel(f"Saved to {settings.path}")
        note.setObjectName("Muted")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self.restore_defaults)
        self.buttons = buttons
        lay = QVBoxLayout(self)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(self.error)
        lay.addWidget(note)
        lay.addWidget(buttons)
        self.load(settings.as_dict())

    # editors --------------------------------------------------------------------------------------------------------
    def _page(self, keys: list[str]) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        for key in keys:
            rule = RULES.get(key)
            if rule is None:
                continue
            label, help_text = LABELS.get(key, (key.replace("_", " ").capitalize(), ""))
            editor = self._editor(key, rule)
            editor.setToolTip(f"{help_text}\n(settings key: {key})".strip())
            editor.setAccessibleName(label)
            self.editors[key] = editor
            field: QWidget = editor
            if key == "model_path":
                field = QWidget()
                row = QHBoxLayout(field)
                row.setContentsMargins(0, 0, 0, 0)
                row.addWidget(editor, 1)
                browse = QPushButton("Browse…")
                browse.clicked.connect(self._browse_model)
                row.addWidget(browse)
            if isinstance(editor, (QSpinBox, QDoubleSpinBox, QComboBox)):
                editor.setMaximumWidth(220)
            if help_text:
                box = QWidget()
                box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
                col = QVBoxLayout(box)
                col.setContentsMargins(0, 0, 0, 4)
                col.setSpacing(2)
                col.addWidget(field)
                hint = QLabel(help_text)
                hint.setObjectName("Muted")
                hint.setWordWrap(True)
                col.addWidget(hint)
                field = box
            form.addRow(label, field)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(page)
        return scroll

    @staticmethod
    def _editor(key: str, rule: Any) -> QWidget:
        kinds = rule.kind if isinstance(rule.kind, tuple) else (rule.kind,)
        if bool in kinds:
            return QCheckBox()
        if rule.choices:
            combo = QComboBox()
            combo.addItems(list(rule.choices))
            return combo
        if list in kinds:
            edit = QPlainTextEdit()
            edit.setFixedHeight(72)
            edit.setTabChangesFocus(True)
            return edit
        if float in kinds:
            spin = QDoubleSpinBox()
            spin.setDecimals(3)
            spin.setSingleStep(0.05)
            spin.setRange(rule.minimum if rule.minimum is not None else -1e9,
                          rule.maximum if rule.maximum is not None else 1e9)
            return spin
        if int in kinds:
            spin = QSpinBox()
            spin.setRange(int(rule.minimum) if rule.minimum is not None else -(2**31 - 1),
                          int(rule.maximum) if rule.maximum is not None else 2**31 - 1)
            return spin
        return QLineEdit()

    def load(self, values: dict[str, Any]) -> None:
        for key, editor in self.editors.items():
            value = values.get(key)
            if isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, QComboBox):
                editor.setCurrentText(str(value))
            elif isinstance(editor, QPlainTextEdit):
                editor.setPlainText("\n".join(str(v) for v in (value or [])))
            elif isinstance(editor, QDoubleSpinBox):
                editor.setValue(float(value or 0))
            elif isinstance(editor, QSpinBox):
                editor.setValue(int(value or 0))
            elif isinstance(editor, QLineEdit):
                editor.setText("" if value is None else str(value))

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, editor in self.editors.items():
            if isinstance(editor, QCheckBox):
                out[key] = editor.isChecked()
            elif isinstance(editor, QComboBox):
                out[key] = editor.currentText()
            elif isinstance(editor, QPlainTextEdit):
                out[key] = [line.strip() for line in editor.toPlainText().splitlines() if line.strip()]
            elif isinstance(editor, QDoubleSpinBox):
                value = editor.value()
                out[key] = int(value) if value.is_integer() and int in _kinds(key) else value
            elif isinstance(editor, QSpinBox):
                out[key] = editor.value()
            elif isinstance(editor, QLineEdit):
                out[key] = editor.text().strip()
        return out

    def restore_defaults(self) -> None:
        self.load(self.settings.defaults)

    def _browse_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a language model", os.path.expanduser("~"),
                                              "GGUF models (*.gguf);;All files (*)")
        if path:
            editor = self.editors["model_path"]
            assert isinstance(editor, QLineEdit)
            editor.setText(path)

    # saving ---------------------------------------------------------------------------------------------------------
    def save(self) -> bool:
        """Validate everything first; store nothing unless every value is valid."""
        values = self.values()
        for key, value in values.items():
            try:
                validate(key, value)
            except SettingsError as exc:
                self._show_error(key, str(exc))
                return False
        current = self.settings.as_dict()
        changed = frozenset(k for k, v in values.items() if current.get(k) != v)
        for key in changed:
            self.settings.set(key, values[key])
        self.settings.save()
        self.error.hide()
        self.saved.emit(changed)
        self.accept()
        return True

    def _show_error(self, key: str, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        editor = self.editors[key]
        for i in range(self.tabs.count()):
            if self.tabs.widget(i).isAncestorOf(editor):
                self.tabs.setCurrentIndex(i)
        editor.setFocus()


def _kinds(key: str) -> tuple[type, ...]:
    kind = RULES[key].kind
    return kind if isinstance(kind, tuple) else (kind,)
