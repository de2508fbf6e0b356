"""A failure in a GUI worker is logged with its traceback (the log file, app/logs.py) and shown as one short sentence
with a "Details…" button, never printed; the question asked stays out of the log at the default level."""
from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pytestmark = pytest.mark.gui

QUESTION = "What is the combination of the blue-heron-8812 safe?"


@pytest.fixture
def log_file(cove_dirs: Path) -> Any:
    from app import logs

    def drop() -> None:
        root = logging.getLogger()
        for h in list(root.handlers):
            if isinstance(h, (logs.OwnerOnlyRotatingFileHandler, logs._CurrentStderr)):
                root.removeHandler(h)
                h.close()

    drop()
    path = logs.configure()

    def read() -> str:
        for h in logging.getLogger().handlers:
            h.flush()
        return path.read_text(encoding="utf-8") if path.exists() else ""

    yield read
    drop()


def _broken_assistant(_core: Any) -> Any:
    raise RuntimeError("the model file is damaged")


def test_a_chat_worker_failure_is_logged_and_shown_short_with_details(qtbot: Any, log_file: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    from app import logs
    from app.gui.answer_view import TurnWidget
    from app.gui.chat_worker import ChatClient

    client = ChatClient(SimpleNamespace(settings=None), assistant_factory=_broken_assistant)  # type: ignore[arg-type]
    try:
        turn = TurnWidget(QUESTION)
        qtbot.addWidget(turn)
        with qtbot.waitSignal(turn.finished, timeout=30_000):
            client.ask(QUESTION, turn)
        assert turn.state == "failed"
        assert turn.status.text() == "Something went wrong: the model file is damaged"  # short: no traceback
        assert not turn.details.isHidden()
        turn.details.click()
        box = turn.details.box
        assert isinstance(box, QMessageBox) and box.text() == "the model file is damaged"
        details = box.detailedText()
        assert details.startswith("Traceback (most recent call last)") and "_broken_assistant" in details
        assert details.rstrip().endswith("RuntimeError: the model file is damaged")
        box.close()

        text = log_file()
        assert "ERROR app.gui.chat_worker" in text and "answering a question failed" in text
        assert "Traceback (most recent call last)" in text and "RuntimeError: the model file is damaged" in text
        assert QUESTION not in text and "blue-heron" not in text  # INFO, the default: the question stays out
        print(f"\nbytes of the logged worker failure: {len(text.encode())}")

        monkeypatch.setenv("COVE_LOG_LEVEL", "DEBUG")  # the user turned DEBUG on: now the question is there
        logs.configure()
        turn2 = TurnWidget(QUESTION)
        qtbot.addWidget(turn2)
        with qtbot.waitSignal(turn2.finished, timeout=30_000):
            client.ask(QUESTION, turn2)
        assert f"question: {QUESTION}" in log_file()
    finally:
        client.shutdown()


def test_a_notice_offers_details_only_for_a_failure(qtbot: Any) -> None:
    from app.gui.chat_view import Notice
    from app.gui.errors import Failure, reword

    plain = Notice("Some dropped files could not be read — a.xyz.")
    qtbot.addWidget(plain)
    assert plain.details.isHidden()
    failed = Failure("disk full", "Traceback (most recent call last):\n  ...\nOSError: [Errno 28] No space left")
    notice = Notice(reword(failed, f"Indexing failed: {failed}"))
    qtbot.addWidget(notice)
    assert notice.text.text() == "Indexing failed: disk full" and not notice.details.isHidden()
    notice.details.click()
    assert notice.details.box.detailedText() == failed.details
    notice.details.box.close()


def test_a_failed_background_task_is_logged_and_reported(qtbot: Any, log_file: Any) -> None:
    from app.gui.tasks import run_task, wait_for_tasks

    errors: list[Any] = []

    def boom() -> str:
        raise KeyError("no such page")

    run_task(boom, lambda _r: None, errors.append)
    wait_for_tasks()
    qtbot.waitUntil(lambda: bool(errors), timeout=10_000)
    assert errors == ["KeyError: 'no such page'"] and "Traceback" in errors[0].details
    text = log_file()
    assert "ERROR app.gui.tasks" in text and "a background task failed" in text and "KeyError" in text



def test_an_index_worker_failure_reaches_the_library_line_with_details(qtbot: Any, log_file: Any) -> None:
    """Index failures cross the thread as Failure objects (a `str` signal would drop the traceback): a failed job
    reaches `job_failed` with its details, a failed refresh reaches the library's status line with Details…."""
    from app.gui.index_worker import IndexClient
    from app.gui.library import LibraryPanel

    def index(*_a: Any, **_k: Any) -> Any:
        raise PermissionError(13, "Permission denied", "/home/me/Private/notes.txt")

    def library() -> Any:
        raise RuntimeError("lance error: the manifest is damaged")

    core = SimpleNamespace(index=index, library=library, watched_folders=lambda: [], mail_stores=lambda: [],
                           settings=SimpleNamespace(get_paths=lambda _key: []))
    client = IndexClient(core)  # type: ignore[arg-type]
    try:
        panel = LibraryPanel(client)
        qtbot.addWidget(panel)
        with qtbot.waitSignal(client.job_failed, timeout=30_000) as job:
            client.index(["/home/me/Private"])
        message = job.args[1]
        assert "Permission denied" in message and "PermissionError" in message.details
        with qtbot.waitSignal(client.state, timeout=30_000):
            client.refresh()
        assert panel.state_label.text() == "Could not read the index: lance error: the manifest is damaged"
        assert not panel.state_details.isHidden() and "RuntimeError: lance error" in panel.state_details.details
        client.state.emit("Opening the index…")  # an ordinary state: no Details…
        assert panel.state_details.isHidden()
    finally:
        client.shutdown()
    text = log_file()
    assert "indexing failed" in text and "reading the library failed" in text and text.count("Traceback") == 2
