"""The source viewer for text formats shows the text around the chunk with the passage highlighted, and rich text in
Cove never loads remote resources."""
from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.gui


def test_markdown_source_opens_with_the_passage_highlighted(qtbot: Any, indexed_core: Any) -> None:
    from app.gui.models import SourceRef
    from app.gui.viewer import SourceViewer

    hit = indexed_core.search("how often is the lamp cleaned?", 1)[0]
    viewer = SourceViewer(indexed_core)
    qtbot.addWidget(viewer)
    viewer.show_source(SourceRef.from_hit(1, hit))
    qtbot.waitUntil(lambda: viewer.mode == "text", timeout=30_000)
    assert "isopropyl alcohol" in viewer.text.highlighted_text()
    assert "Logbook" in viewer.text.toPlainText()  # the text around the passage, not just the chunk
    assert viewer.text.extraSelections()
    assert viewer.locator.text().startswith("Lighthouse maintenance › Lamp")


def test_docx_source_shows_the_indexed_text_around_the_chunk(qtbot: Any, indexed_core: Any) -> None:
    from app.gui.models import SourceRef
    from app.gui.viewer import SourceViewer

    hit = next(h for h in indexed_core.search("header footer", 8) if h.path.endswith(".docx"))
    viewer = SourceViewer(indexed_core)
    qtbot.addWidget(viewer)
    viewer.show_source(SourceRef.from_hit(2, hit))
    qtbot.waitUntil(lambda: viewer.mode == "text", timeout=30_000)
    assert viewer.text.highlighted_text().split()[:3] == hit.text.split()[:3]
    assert viewer.note.isVisible()


def test_rich_text_never_loads_remote_resources(qtbot: Any) -> None:
    from app import privacy
    from app.gui.answer_view import AnswerBrowser

    before = len(privacy.blocked_attempts())
    browser = AnswerBrowser()
    qtbot.addWidget(browser)
    browser.resize(500, 300)
    browser.show()
    browser.setHtml('<p>mail <img src="https://tracker.example.com/pixel.gif"> '
                    '<link rel="stylesheet" href="http://example.org/x.css"></p>')
    qtbot.wait(50)
    assert "https://tracker.example.com/pixel.gif" in browser.refused_urls
    browser.set_markdown("See ![chart](http://example.com/chart.png) [1]")
    assert "[image: chart]" in browser.toPlainText()
    assert len(privacy.blocked_attempts()) == before  # nothing even tried to connect
