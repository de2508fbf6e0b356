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
    from app.privacy import guard
    from app.gui.answer_view import AnswerBrowser

    before = len(guard.blocked_attempts())
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
    assert len(guard.blocked_attempts()) == before  # nothing even tried to connect


def test_email_source_shows_the_message_with_its_headers(qtbot: Any) -> None:
    from app.gui.models import SourceRef
    from app.gui.source_cards import SourceCard
    from app.gui.viewer import SourceViewer
    from tests.conftest import corpus

    eml = corpus("email", "notmuch-corpora", "protected-headers", "simple-signed-mail.eml")
    ref = SourceRef(n=3, path=str(eml), kind="email", sender="test_suite@notmuchmail.org",
                    date="2000-01-01T12:00:00+00:00", subject="This is a signed message",
                    text="Here is the signed message body.", snippet="Here is the signed message body.")
    card = SourceCard(ref)
    qtbot.addWidget(card)
    assert card.title_label.full_text() == "This is a signed message"
    assert card.meta_label.full_text().startswith("From test_suite@notmuchmail.org")
    viewer = SourceViewer(None)
    qtbot.addWidget(viewer)
    viewer.show_source(ref)
    qtbot.waitUntil(lambda: viewer.mode == "text", timeout=30_000)
    shown = viewer.text.toPlainText()
    assert "Subject: This is a signed message" in shown and "From: test_suite@notmuchmail.org" in shown
    assert viewer.text.highlighted_text() == "Here is the signed message body."
