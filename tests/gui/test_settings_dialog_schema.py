"""The settings dialog is built from app/settings_schema.py: every option shown in the dialog has an editor of its
kind, in its tab, with its label and help; options Cove keeps for itself are not shown; and an option declared only in
the schema appears in the dialog and round-trips through a save."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QLineEdit, QPlainTextEdit, \
    QScrollArea, QSpinBox

pytestmark = pytest.mark.gui

EDITORS = {bool: QCheckBox, list: QPlainTextEdit, float: QDoubleSpinBox, int: QSpinBox, str: QLineEdit}


def _tab_of(dialog: Any, key: str) -> str:
    editor = dialog.editors[key]
    return next(dialog.tabs.tabText(i) for i in range(dialog.tabs.count())
                if dialog.tabs.widget(i).isAncestorOf(editor))


def _row_label(dialog: Any, key: str) -> str:
    editor = dialog.editors[key]
    for i in range(dialog.tabs.count()):
        scroll = dialog.tabs.widget(i)
        assert isinstance(scroll, QScrollArea)
        form = scroll.widget().layout()
        assert isinstance(form, QFormLayout)
        for row in range(form.rowCount()):
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if field and field.widget() and (field.widget() is editor or field.widget().isAncestorOf(editor)):
                label = form.itemAt(row, QFormLayout.ItemRole.LabelRole).widget()
                assert isinstance(label, QLabel)
                return label.text()
    raise AssertionError(f"no row for {key}")


def test_the_dialog_shows_every_dialog_option_as_the_schema_says(qtbot: Any, tmp_path: Path) -> None:
    from app.gui.settings_dialog import SettingsDialog
    from app.settings import Settings
    from app.settings_schema import SCHEMA

    settings = Settings.load(tmp_path / "settings.json")
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    shown = {o.name for o in SCHEMA.values() if o.in_dialog}
    assert set(dialog.editors) == shown
    assert {"version", "first_run_done", "recent_models"}.isdisjoint(dialog.editors)
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == ["Library", "Answers", "App", "Other"]
    for name in shown:
        opt, editor = SCHEMA[name], dialog.editors[name]
        assert _tab_of(dialog, name) == opt.group
        assert _row_label(dialog, name) == opt.label
        assert isinstance(editor, QComboBox if opt.choices else EDITORS[opt.kind]), name
        assert opt.help in editor.toolTip() and f"settings key: {name}" in editor.toolTip()
        if isinstance(editor, (QSpinBox, QDoubleSpinBox)) and opt.minimum is not None and opt.maximum is not None:
            assert (editor.minimum(), editor.maximum()) == (opt.minimum, opt.maximum), name
        if isinstance(editor, QComboBox):
            assert [editor.itemText(i) for i in range(editor.count())] == list(opt.choices)
    # the values shown are the shipped defaults
    assert dialog.editors["n_ctx"].value() == 4096 and dialog.editors["ocr"].isChecked()
    assert dialog.editors["embedder_backend"].currentText() == "onnx-int8"


def test_an_option_declared_only_in_the_schema_appears_and_saves(qtbot: Any, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from app import settings_schema
    from app.gui.settings_dialog import SettingsDialog
    from app.settings import Settings
    from app.settings_schema import Option

    monkeypatch.setitem(settings_schema.SCHEMA, "preview_lines",
                        Option("preview_lines", int, 7, "Preview lines", "Lines shown under each source.", "Library",
                               1, 9))
    monkeypatch.setitem(settings_schema.SCHEMA, "sparkle",
                        Option("sparkle", bool, False, "Sparkle", "A brand-new tab for a brand-new group.", "Labs"))
    path = tmp_path / "settings.json"
    settings = Settings.load(path)  # the shipped settings.json does not have these keys
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    spin = dialog.editors["preview_lines"]
    assert isinstance(spin, QSpinBox) and (spin.minimum(), spin.maximum(), spin.value()) == (1, 9, 7)
    assert _tab_of(dialog, "preview_lines") == "Library" and _row_label(dialog, "preview_lines") == "Preview lines"
    assert "Lines shown under each source." in spin.toolTip()
    assert _tab_of(dialog, "sparkle") == "Labs" and dialog.tabs.tabText(dialog.tabs.count() - 1) == "Labs"
    spin.setValue(9)
    dialog.editors["sparkle"].setChecked(True)
    saved: list[Any] = []
    dialog.saved.connect(saved.append)
    assert dialog.save()
    assert {"preview_lines", "sparkle"} <= set(saved[0])
    again = Settings.load(path)
    assert again.get_int("preview_lines") == 9 and again.get_bool("sparkle") is True
    # validated like every other option: a value outside its bounds is refused at load
    path.write_text('{"preview_lines": 10}', encoding="utf-8")
    with pytest.raises(ValueError, match="preview_lines"):
        Settings.load(path)


def test_a_change_to_a_reload_option_is_reported_for_the_model_reload(qtbot: Any, tmp_path: Path) -> None:
    from app.gui.settings_dialog import RELOAD_MODEL, SettingsDialog
    from app.settings import Settings

    dialog = SettingsDialog(Settings.load(tmp_path / "settings.json"))
    qtbot.addWidget(dialog)
    saved: list[Any] = []
    dialog.saved.connect(saved.append)
    dialog.editors["temperature"].setValue(0.5)
    assert dialog.save()
    assert saved[-1] == {"temperature"} and not saved[-1] & RELOAD_MODEL
    dialog2 = SettingsDialog(Settings.load(tmp_path / "settings.json"))
    qtbot.addWidget(dialog2)
    dialog2.saved.connect(saved.append)
    dialog2.editors["n_ctx"].setValue(2048)
    assert dialog2.save()
    assert saved[-1] == {"n_ctx"} and saved[-1] & RELOAD_MODEL
