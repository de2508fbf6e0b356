"""Issue 15: the library's progress bar and label move with the messages of a real mbox, not only with files (an
mbox of 108 messages among 5 files used to show "Indexing 0 of 5 files" and an empty bar for most of its run)."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import corpus

pytestmark = pytest.mark.gui


def test_the_bar_moves_with_the_messages_of_a_mailbox(qtbot: Any, make_controller: Any, fresh_core: Any,
                                                      tmp_path: Path) -> None:
    box = tmp_path / "Mail"
    box.mkdir()
    shutil.copy(corpus("email", "ponymail-mbox", "httpd-users-2020-07.mbox"), box / "httpd-users.mbox")
    for i in range(4):
        (box / f"note{i}.txt").write_text(f"Note {i}: the Apache httpd config was reloaded after the upgrade.\n")
    ctl = make_controller(fresh_core, watch=False)
    panel = ctl.window.library
    shown: list[tuple[str, int, int, Any]] = []
    # connected after the panel's own slot, so this sees what the panel just drew
    ctl.index.progress.connect(lambda _s, p: shown.append((panel.progress_label.text(), panel.progress.value(),
                                                           panel.progress.maximum(), p)))
    job = ctl.index.index([str(box)])
    done: list[Any] = []
    ctl.index.job_finished.connect(lambda f: done.append(f) if f.id == job else None)
    qtbot.waitUntil(lambda: bool(done), timeout=600_000)
    assert done[0].report.counts.get("indexed", 0) == 112

    inside = [(text, value, top) for text, value, top, p in shown
              if p.phase == "indexing" and p.file_unit == "messages" and 0 < p.file_done and p.files_done == 0]
    assert inside, [s[0] for s in shown]
    text, value, top = inside[0]
    assert "· message " in text and text.endswith("/108") or "/108 ·" in text, text
    assert 0 < value < top, (value, top)  # the bar is not empty while no file is finished yet
    assert any("message 108/108" in t for t, *_ in shown)
