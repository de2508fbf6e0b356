"""Issue 13 in the app: a forgotten file is listed under "Forgotten" in the library, a drop of it indexes nothing,
and "Index again" (the explicit user action) brings it back."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.gui


def _docs(core: Any) -> set[str]:
    return {d.path for d in core.store.load_documents().values()}


def test_forgotten_item_is_listed_stays_out_of_drops_and_comes_back_with_index_again(
        qtbot: Any, make_controller: Any, fresh_core: Any, tmp_path: Path) -> None:
    note = tmp_path / "secret-note.md"
    note.write_text("# Vault\n\nThe vault code word is lanternfish.\n")
    ctl = make_controller(fresh_core, watch=False)
    panel = ctl.window.library
    finished: list[Any] = []
    ctl.index.job_finished.connect(finished.append)
    ctl.index.index([str(note)])
    qtbot.waitUntil(lambda: str(note) in _docs(fresh_core), timeout=120_000)

    done: list[Any] = []
    ctl.index.forgotten.connect(done.append)
    ctl.index.forget([str(note)])
    qtbot.waitUntil(lambda: bool(done), timeout=120_000)
    assert str(note) not in _docs(fresh_core)

    def forgotten_item() -> Any:
        for i in range(panel.roots.topLevelItemCount()):
            group = panel.roots.topLevelItem(i)
            if group.text(0).startswith("Forgotten"):
                return group.child(0)
        return None

    qtbot.waitUntil(lambda: forgotten_item() is not None, timeout=30_000)
    item = forgotten_item()
    assert item.toolTip(0) == str(note) and item.text(1) == "file"
    panel.roots.setCurrentItem(item)
    assert not panel.index_again_button.isHidden() and not panel.forget_button.isEnabled()

    finished.clear()
    ctl.index.index([str(note)], origin="drop")  # what a drop of the file does: nothing comes back in
    qtbot.waitUntil(lambda: bool(finished), timeout=60_000)
    assert str(note) not in _docs(fresh_core)
    assert any(o.outcome == "skipped" and "forgotten" in o.reason for o in finished[-1].report.outcomes)

    qtbot.waitUntil(lambda: forgotten_item() is not None, timeout=30_000)  # the list was refreshed after the job
    panel.roots.setCurrentItem(forgotten_item())
    panel.index_again_button.click()  # the explicit action
    qtbot.waitUntil(lambda: str(note) in _docs(fresh_core), timeout=120_000)
    assert fresh_core.exclusions.items() == []
    qtbot.waitUntil(lambda: forgotten_item() is None, timeout=30_000)
