"""The library panel with the real folder watcher: adding a folder indexes it with visible progress, shows state and
counts, lists every file that could not be indexed with its reason, pauses, and forgets a file."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES

pytestmark = pytest.mark.gui


def test_add_folder_shows_progress_counts_problems_and_forget(qtbot: Any, make_controller: Any, fresh_core: Any,
                                                               tmp_path: Path) -> None:
    folder = tmp_path / "Papers"
    folder.mkdir()
    for name in ("crazyones.pdf", "invalid.pdf", "libreoffice-writer-password.pdf"):
        shutil.copy(FIXTURES / "pdf" / name, folder)
    shutil.copy(FIXTURES / "search" / "lighthouse.md", folder)
    ctl = make_controller(fresh_core, watch=True)
    qtbot.waitUntil(lambda: ctl.index.watcher is not None, timeout=30_000)
    panel = ctl.window.library
    progress: list[Any] = []
    ctl.index.progress.connect(lambda _s, p: progress.append(p))
    ctl.index.add_folder(str(folder))

    def indexed() -> bool:
        snap = ctl.index.last_snapshot
        return bool(snap and snap.roots and snap.roots[0].indexed == 2 and snap.roots[0].errors == 2)

    qtbot.waitUntil(indexed, timeout=120_000)
    assert progress and any(p.files_total for p in progress), "no progress was reported"
    assert panel.progress_box.isVisible() or any(p.phase == "done" for p in progress)
    root = panel.roots.topLevelItem(0)
    assert root.toolTip(0) == str(folder)
    assert root.text(2) == "2 indexed · 2 errors"
    qtbot.waitUntil(lambda: root.text(1).startswith("watching"), timeout=30_000)
    reasons = {panel.problems.topLevelItem(i).toolTip(0) for i in range(panel.problems.topLevelItemCount())}
    assert any("invalid.pdf" in r for r in reasons)
    assert any("libreoffice-writer-password.pdf" in r and "password" in r for r in reasons), reasons
    assert panel.problems_title.text() == "Problems (2)"

    panel.pause_button.click()
    assert ctl.index.paused and panel.pause_button.text() == "Resume"
    qtbot.waitUntil(lambda: root.text(1) == "paused", timeout=5_000)
    panel.pause_button.click()
    assert not ctl.index.paused

    doomed = str(folder / "crazyones.pdf")
    done: list[Any] = []
    ctl.index.forgotten.connect(done.append)
    ctl.index.forget([doomed])
    qtbot.waitUntil(lambda: bool(done), timeout=120_000)
    assert done[0].documents == 1
    assert doomed not in {d.path for d in fresh_core.store.load_documents().values()}
