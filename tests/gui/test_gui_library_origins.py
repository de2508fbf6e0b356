"""Issue 15: the desktop library shows how each root got there, from the core's record, the same as `cove status`. A
folder indexed with `cove index` shows as such (it used to show as "Dropped files"); a dropped file shows under
"Dropped files"; an index from before origins were recorded says so instead of guessing."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from app import paths
from app.cli import main
from app.library import ROOTS_FILE
from tests.conftest import FIXTURES
from tests.gui.conftest import drop_files, make_settings

pytestmark = pytest.mark.gui


def _top(panel: Any) -> dict[str, Any]:
    return {panel.roots.topLevelItem(i).text(0): panel.roots.topLevelItem(i)
            for i in range(panel.roots.topLevelItemCount())}


def test_a_folder_indexed_with_the_cli_shows_as_such_not_as_dropped(qtbot: Any, make_controller: Any,
                                                                     tmp_path: Path) -> None:
    from app.core import CoveCore

    notes = tmp_path / "Notes"
    notes.mkdir()
    shutil.copy(FIXTURES / "search" / "lighthouse.md", notes)
    (notes / "ferry.txt").write_text("The ferry to the island leaves at seven every morning.\n")
    assert main(["index", str(notes)]) == 0  # the CLI, in this test's data dir, with the default embedder

    core = CoveCore(make_settings(tmp_path))  # the desktop app on the same data dir
    ctl = make_controller(core, watch=False)
    panel = ctl.window.library
    qtbot.waitUntil(lambda: ctl.index.last_snapshot is not None and bool(ctl.index.last_snapshot.roots),
                    timeout=60_000)
    snap = ctl.index.last_snapshot
    assert [(r.path, r.origin, r.indexed) for r in snap.roots] == [(str(notes), "cli", 2)]
    assert not snap.other.documents
    qtbot.waitUntil(lambda: any(it.toolTip(0) == str(notes) for it in _top(panel).values()), timeout=10_000)
    item = next(it for it in _top(panel).values() if it.toolTip(0) == str(notes))
    assert item.toolTip(1) == "Indexed with cove index"
    qtbot.waitUntil(lambda: item.text(1) == "indexed with cove index", timeout=10_000)
    assert item.text(2) == "2 indexed"
    assert not any(t.startswith("Dropped") for t in _top(panel)), list(_top(panel))

    # a file dropped on the window is a dropped file, beside the folder
    elsewhere = tmp_path / "Downloads"
    elsewhere.mkdir()
    dropped = elsewhere / "receipt.txt"
    dropped.write_text("Receipt: two tickets for the lighthouse tour, paid in cash.\n")
    drop_files(ctl.window, [str(dropped)])
    qtbot.waitUntil(lambda: any(r.origin == "drop" for r in ctl.index.last_snapshot.roots), timeout=120_000)
    qtbot.waitUntil(lambda: "Dropped files" in _top(panel), timeout=10_000)
    group = _top(panel)["Dropped files"]
    assert [group.child(i).toolTip(0) for i in range(group.childCount())] == [str(dropped)]
    assert group.child(0).text(1) == "Dropped file"
    assert any(it.toolTip(0) == str(notes) for it in _top(panel).values())  # the CLI folder is not among them

    # an index from before origins were recorded: said as it is, not called dropped
    (paths.data_dir() / ROOTS_FILE).unlink()
    ctl.index.refresh()
    qtbot.waitUntil(lambda: not ctl.index.last_snapshot.roots, timeout=30_000)
    qtbot.waitUntil(lambda: "Indexed files" in _top(panel), timeout=10_000)
    old = _top(panel)["Indexed files"]
    assert old.text(1) == "how is not recorded"
    assert {old.child(i).toolTip(0) for i in range(old.childCount())} == {
        str(notes / "lighthouse.md"), str(notes / "ferry.txt"), str(dropped)}
    assert "Dropped files" not in _top(panel)
