"""Drag-and-drop onto the window: a real PDF is indexed at once (progress on the chip), the next question is scoped
to it ("Asking about: …"), Summarize works on it, unsupported drops get a clear message, and with
remember_dropped off the dropped file leaves the index when the chip is removed."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES
from tests.gui.conftest import drop_files, wait_done

pytestmark = pytest.mark.gui


def _documents(core: Any) -> dict[str, Any]:
    return {d.path: d for d in core.store.load_documents().values()}


def test_dropped_pdf_is_indexed_and_scopes_the_next_question(qtbot: Any, make_controller: Any, fresh_core: Any,
                                                             shared_llm: Any, search_folder: Path,
                                                             tmp_path: Path) -> None:
    fresh_core.index([str(search_folder / "lighthouse.md"), str(search_folder / "hdr-header-footer.docx")])
    ctl = make_controller(fresh_core, llm=shared_llm)
    dropped = tmp_path / "crazyones.pdf"
    shutil.copy(FIXTURES / "pdf" / "crazyones.pdf", dropped)
    win = ctl.window
    drop_files(win, [str(dropped)])
    chip = win.composer.chip
    qtbot.waitUntil(chip.isVisible)
    assert chip.label.text() == "Asking about: crazyones.pdf"
    assert win.scope.indexing and not win.composer.send.isEnabled()  # asking waits for the index
    qtbot.waitUntil(lambda: win.scope.ready, timeout=120_000)
    assert str(dropped) in _documents(fresh_core)
    assert win.composer.send.isEnabled() and chip.summarize_button.isVisible()

    turn = win.ask("Who are the misfits and the rebels?")
    wait_done(qtbot, turn)
    assert turn.state == "done"
    assert turn.refs, turn.answer.toPlainText()
    assert {r.path for r in turn.refs} == {str(dropped)}, "sources came from outside the dropped file"

    summary = win.summarize(str(dropped))
    wait_done(qtbot, summary)
    assert summary.state == "done" and summary.answer.toPlainText().strip()
    assert summary.refs and summary.refs[0].path == str(dropped)

    qtbot.mouseClick(chip.close_button, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.MouseButton.LeftButton)
    assert not chip.isVisible() and win.scope.scope == ()
    assert str(dropped) in _documents(fresh_core), "remember_dropped is on: the file stays indexed"


def test_unsupported_drop_gets_a_clear_message(qtbot: Any, make_controller: Any, fresh_core: Any,
                                               tmp_path: Path) -> None:
    ctl = make_controller(fresh_core, start=False)
    odd = tmp_path / "holiday.zip"
    odd.write_bytes(b"PK\x03\x04" + b"\0" * 64)
    drop_files(ctl.window, [str(odd)])
    qtbot.waitUntil(lambda: ctl.window.chat.column.count() > 2)
    from app.gui.chat_view import Notice

    notices = ctl.window.findChildren(Notice)
    assert notices and "can't read holiday.zip" in notices[-1].text.text()
    assert "PDF" in notices[-1].text.text()
    assert not ctl.window.composer.chip.isVisible() and not ctl.index.jobs


def test_dropped_items_are_forgotten_when_remember_dropped_is_off(qtbot: Any, make_controller: Any,
                                                                  fresh_core: Any, tmp_path: Path) -> None:
    fresh_core.settings.set("remember_dropped", False)
    ctl = make_controller(fresh_core)
    note = tmp_path / "note.md"
    note.write_text("# Boat\n\nThe boat is moored at pier seven.\n")
    drop_files(ctl.window, [str(note)])
    qtbot.waitUntil(lambda: ctl.window.scope.ready, timeout=120_000)
    assert str(note) in _documents(fresh_core)
    forgotten: list[Any] = []
    ctl.index.forgotten.connect(forgotten.append)
    ctl.window.composer.chip.close_button.click()
    qtbot.waitUntil(lambda: bool(forgotten), timeout=60_000)
    assert forgotten[0].documents == 1
    assert str(note) not in _documents(fresh_core)
