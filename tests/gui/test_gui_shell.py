"""The app around the chat: tray present or absent, the privacy indicator, settings round-trip, the model picker
and the first-run proposal."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

pytestmark = pytest.mark.gui


def test_without_a_tray_closing_the_window_quits(qtbot: Any, make_controller: Any, fresh_core: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: False))
    quits: list[bool] = []
    monkeypatch.setattr(QApplication, "quit", staticmethod(lambda: quits.append(True)))
    ctl = make_controller(fresh_core, start=False, tray=None)
    assert ctl.tray is None
    ctl.window.close()
    qtbot.waitUntil(lambda: bool(quits))
    assert not ctl.window.isVisible()
    assert not ctl.chat.thread.isRunning() and not ctl.index.thread.isRunning()


def test_with_a_tray_closing_keeps_cove_running(qtbot: Any, make_controller: Any, fresh_core: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    quits: list[bool] = []
    monkeypatch.setattr(QApplication, "quit", staticmethod(lambda: quits.append(True)))
    ctl = make_controller(fresh_core, start=False, tray=None)
    assert ctl.tray is not None
    texts = [a.text() for a in ctl.tray.menu.actions() if a.text()]
    assert texts == ["Ask…", "Open Cove", "Pause indexing", "Quit Cove"]
    ctl.window.close()
    qtbot.wait(50)
    assert not ctl.window.isVisible() and not quits and ctl.chat.thread.isRunning()
    ctl.tray.pause_action.trigger()
    assert ctl.index.paused and ctl.tray.pause_action.text() == "Resume indexing"
    ctl.tray.ask_action.trigger()
    assert ctl.popup is not None and ctl.popup.isVisible()
    ctl.tray.open_action.trigger()
    assert ctl.window.isVisible()
    ctl.tray.quit_action.trigger()
    assert quits


def test_privacy_indicator_shows_zero_blocked(qtbot: Any, make_controller: Any, fresh_core: Any) -> None:
    ctl = make_controller(fresh_core, start=False)
    indicator = ctl.window.privacy
    assert indicator.isVisible()
    assert indicator.text() == "Local only · 0 network attempts blocked"
    assert "never leave" in indicator.toolTip()


def test_settings_round_trip(qtbot: Any, tmp_path: Path) -> None:
    from app.gui.settings_dialog import SettingsDialog
    from app.settings import Settings

    path = tmp_path / "config" / "settings.json"
    settings = Settings.load(path)
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    ed = dialog.editors
    ed["search_k"].setValue(5)
    ed["temperature"].setValue(0.4)
    ed["theme"].setCurrentText("dark")
    ed["remember_dropped"].setChecked(False)
    ed["ignore_globs"].setPlainText("*.log\n*.tmp\n")
    ed["model_path"].setText("")
    saved: list[Any] = []
    dialog.saved.connect(saved.append)
    assert dialog.save()
    assert saved and {"search_k", "temperature", "theme", "remember_dropped", "ignore_globs"} <= set(saved[0])
    again = Settings.load(path)
    assert again.get("search_k") == 5 and again.get("temperature") == pytest.approx(0.4)
    assert again.get("theme") == "dark" and again.get("remember_dropped") is False
    assert again.get("ignore_globs") == ["*.log", "*.tmp"]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    reopened = SettingsDialog(again)
    qtbot.addWidget(reopened)
    assert reopened.editors["search_k"].value() == 5 and reopened.editors["theme"].currentText() == "dark"
    # an invalid value is refused with a message naming the key, and nothing is stored
    reopened.editors["prompt_style"].addItem("sideways")
    reopened.editors["prompt_style"].setCurrentText("sideways")
    assert not reopened.save()
    assert "prompt_style" in reopened.error.text()
    assert Settings.load(path).get("prompt_style") == "auto"


def test_model_picker_shows_what_the_gguf_says(qtbot: Any, make_controller: Any, indexed_core: Any,
                                               shared_llm: Any) -> None:
    # the real Assistant (not the session's shared model), so that switching models really loads another one
    ctl = make_controller(indexed_core, start=False)
    ctl.start(load_model=True, watch=False)
    picker = ctl.window.picker
    qtbot.waitUntil(lambda: picker.loaded_info is not None, timeout=120_000)
    text = picker.info_label.text()
    from app.models.bundled_model import RUNTIME_TYPE

    assert RUNTIME_TYPE in text and "MB" in text and "32,768-token context" in text
    assert picker.combo.currentText().startswith("Gemma 3 270m")
    # a dropped .gguf becomes the model, loaded in the chat worker (the UI keeps running)
    from tests.gui.conftest import drop_files

    from app.models.bundled_smollm2 import smollm2_path

    other = str(smollm2_path())  # a different real model, so the switch really happens
    states: list[str] = []
    ctl.chat.model_state.connect(states.append)
    drop_files(ctl.window, [other])
    qtbot.waitUntil(lambda: ctl.settings.get("model_path") == other, timeout=10_000)
    qtbot.waitUntil(lambda: picker.loaded_info is not None and str(picker.loaded_info.path) == other,
                    timeout=120_000)
    assert not ctl.chat.model_loading
    assert any("Loading" in s for s in states), states  # the worker really loaded the dropped model
    assert picker.loaded_info.has_chat_template and "Q4_1" in picker.info_label.text()


def test_first_run_proposes_documents_and_says_what_stays_local(qtbot: Any, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from app.gui import first_run
    from app.settings import Settings

    docs = tmp_path / "home" / "Documents"
    docs.mkdir(parents=True)
    monkeypatch.setattr(first_run, "documents_folder", lambda: str(docs))
    mailbox = tmp_path / "home" / "Maildir"
    mailbox.mkdir()
    settings = Settings.load(tmp_path / "settings.json")
    assert first_run.needs_first_run(settings)
    dialog = first_run.FirstRunDialog(settings, discover=lambda: [str(mailbox)])
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: len(dialog.mail_boxes) == 1)
    assert "Nothing is uploaded" in first_run.LOCAL_PROMISE
    folders, mail = dialog.selection()
    assert folders == (str(docs),) and mail == (str(mailbox),)
    dialog.accept()
    saved = Settings.load(tmp_path / "settings.json")
    assert saved.get("watched_folders") == [str(docs)] and saved.get("mail_stores") == [str(mailbox)]
    assert not first_run.needs_first_run(saved)


def test_garbage_is_collected_on_the_gui_thread_only(qapp, qtbot) -> None:
    """A fresh-clone CI run segfaulted with the collector running in the embedder's warm-up thread: with the guard,
    automatic collection is off and the GUI thread's timer collects instead (cycles still go away)."""
    import gc
    import weakref

    from app.gui.gc_guard import collect_on_gui_thread

    guard = collect_on_gui_thread(qapp)
    assert collect_on_gui_thread(qapp) is guard and not gc.isenabled()

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle only the collector frees
    gone = weakref.ref(a)
    del a, b
    kept = [Node() for _ in range(gc.get_threshold()[0] + 10)]  # past generation 0's threshold
    assert gone() is not None  # nothing collected it on the spot
    qtbot.waitUntil(lambda: gone() is None, timeout=5000)
    del kept
