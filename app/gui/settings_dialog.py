"""The settings dialog, built from app/settings_schema.py: one tab per group, one editor per option shown in the
dialog (its kind, range and choices), its label, and its help as hint and tooltip. Values are validated with
app.settings.validate before anything is stored, then saved atomically by Settings.save."""
from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton,
                               QScrollArea, QSizePolicy, QSpinBox, QTabWidget, QVBoxLayout, QWidget)

from app import settings_schema
from app.settings import SettingsError, validate
from app.settings_schema import RELOAD_MODEL, Option

__all__ = ["RELOAD_MODEL", "SettingsDialog"]


class SettingsDialog(QDialog):
    saved = Signal(object)  # frozenset of changed keys

    def __init__(self, settings: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Settings — Cove")
        self.resize(620, 560)
        self.editors: dict[str, QWidget] = {}
        self.tabs = QTabWidget()
        for name, options in settings_schema.dialog_groups():
            self.tabs.addTab(self._page(options), name)
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
    def _page(self, options: list[Option]) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        for opt in options:
            key, label, help_text = opt.name, opt.label, opt.help
            editor = self._editor(opt)
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
    def _editor(opt: Option) -> QWidget:
        if opt.kind is bool:
            return QCheckBox()
        if opt.choices:
            combo = QComboBox()
            combo.addItems(list(opt.choices))
            return combo
        if opt.kind is list:
            edit = QPlainTextEdit()
            edit.setFixedHeight(72)
            edit.setTabChangesFocus(True)
            return edit
        if opt.kind is float:
            spin = QDoubleSpinBox()
            spin.setDecimals(3)
            spin.setSingleStep(0.05)
            spin.setRange(opt.minimum if opt.minimum is not None else -1e9,
                          opt.maximum if opt.maximum is not None else 1e9)
            return spin
        if opt.kind is int:
            spin = QSpinBox()
            spin.setRange(int(opt.minimum) if opt.minimum is not None else -(2**31 - 1),
                          int(opt.maximum) if opt.maximum is not None else 2**31 - 1)
            return spin
        return QLineEdit()

    def load(self, values: dict[str, Any]) -> None:
        """Show `values`; a key they lack (a shipped settings.json older than the schema) shows the schema's default."""
        for key, editor in self.editors.items():
            opt = settings_schema.option(key)
            value = values.get(key, opt.default if opt is not None else None)
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
                out[key] = int(value) if value.is_integer() else value  # a number option keeps 100, not 100.0
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

