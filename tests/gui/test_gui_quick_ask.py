"""The quick-ask popup: always on top, type, Enter, a streamed answer with its sources; Esc hides it."""
from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.gui.conftest import wait_done

pytestmark = pytest.mark.gui


def test_popup_answers_with_sources_and_escape_hides(qtbot: Any, make_controller: Any, indexed_core: Any,
                                                     shared_llm: Any) -> None:
    ctl = make_controller(indexed_core, llm=shared_llm)
    ctl.show_quick_ask()
    popup = ctl.popup
    qtbot.waitExposed(popup)
    assert popup.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    qtbot.keyClicks(popup.input, "How often is the lamp of the lighthouse cleaned?")
    qtbot.keyClick(popup.input, Qt.Key.Key_Return)
    turn = popup.turn
    wait_done(qtbot, turn)
    assert turn.state == "done" and turn.tokens_seen > 1
    assert turn.answer.toPlainText().strip()
    assert turn.sources.cards and turn.sources.cards[0].ref.path.endswith("lighthouse.md")
    qtbot.keyClick(popup, Qt.Key.Key_Escape)
    assert not popup.isVisible()
    # the question was kept in history like any other
    qtbot.waitUntil(lambda: ctl.window.sidebar.list.count() == 1)
