"""Asking in the main window with the real index, embedder and bundled model: a streamed Markdown answer with
numbered source cards, clickable citations that open the source viewer at the cited PDF page, Stop, and the
conversation sidebar."""
from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt

from tests.gui.conftest import wait_done
from indexer.locator import Locator

pytestmark = pytest.mark.gui


def _type_and_send(qtbot: Any, window: Any, question: str) -> Any:
    box = window.composer.input
    box.setFocus()
    qtbot.keyClicks(box, question)
    before = len(window.chat.turns)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert len(window.chat.turns) == before + 1, "Enter did not send"
    return window.chat.turns[-1]


def _citation_point(browser: Any, n: int) -> QPoint:
    """Where "[n]" is drawn in the answer, to click it like a user would."""
    doc = browser.document()
    cursor = doc.find(f"[{n}]")
    assert not cursor.isNull(), browser.toPlainText()
    cursor.setPosition(cursor.selectionStart() + 1)
    return browser.cursorRect(cursor).center()


def test_ask_shows_a_streamed_answer_with_source_cards(qtbot: Any, make_controller: Any, indexed_core: Any,
                                                       shared_llm: Any) -> None:
    ctl = make_controller(indexed_core, llm=shared_llm)
    turn = _type_and_send(qtbot, ctl.window, "How often is the lamp of the lighthouse cleaned?")
    assert ctl.window.composer.busy and ctl.window.composer.send.text() == "Stop"
    wait_done(qtbot, turn)
    assert turn.state == "done"
    assert turn.tokens_seen > 1, "the answer arrived in one piece, not streamed"
    renders = turn.answer.render_times
    assert len(renders) >= 3, "need at least two streamed repaints before the final one to check their pace"
    gaps = [b - a for a, b in zip(renders[:-2], renders[1:-1])]  # the last render is the final answer
    assert all(g >= 0.035 for g in gaps), f"repainted faster than every ~40 ms: {gaps}"
    assert turn.answer.toPlainText().strip()  # the wording is the 270M model's; the GUI's job is to show it
    assert turn.sources.cards, "no source cards"
    card = turn.sources.cards[0]
    assert card.ref.path.endswith("lighthouse.md") and card.ref.n == 1
    assert card.isVisible() and card.title_label.full_text() == "Lighthouse maintenance"
    assert "lighthouse.md" in card.meta_label.full_text()
    assert "Lamp" in card.ref.locator
    assert not ctl.window.composer.busy and ctl.window.composer.send.text() == "Send"
    # copied with its sources
    turn.copy_to_clipboard()
    from PySide6.QtGui import QGuiApplication

    copied = QGuiApplication.clipboard().text()
    assert copied.startswith(turn.answer.markdown.strip())
    assert all(r.citation_line() in copied for r in turn.refs if r.cited)
    # the turn was saved: the conversation is in the sidebar
    qtbot.waitUntil(lambda: ctl.window.sidebar.list.count() == 1)
    assert ctl.window.conversation_id is not None


def test_clicking_a_citation_opens_the_pdf_at_the_cited_page(qtbot: Any, make_controller: Any,
                                                             indexed_core: Any) -> None:
    """Real retrieval feeds the real answer widget; the answer text is fixed so the click does not depend on what
    the 270M model chooses to cite (test_ask_… covers the model end to end)."""
    from app.answer.answering import Done, Retrieved, Source, Token

    ctl = make_controller(indexed_core, start=False)
    hits = indexed_core.search("What is the Inverse Cluster Frequency of a basic pattern?", 3)
    assert hits[0].path.endswith("naacl06-shinyama.pdf") and hits[0].where.page == 6
    turn = ctl.window._new_turn("What is the Inverse Cluster Frequency?")
    turn.handle(Retrieved(tuple(hits), 12.0, "icf"))
    for piece in ("ICF weighs each basic pattern ", "by how many clusters contain it ", "[1]."):
        turn.handle(Token(piece))
    turn.handle(Done("ICF weighs each basic pattern by how many clusters contain it [1].",
                     tuple(Source(i + 1, h, i == 0) for i, h in enumerate(hits)), {"total_ms": 1.0}))
    assert turn.state == "done" and [c.ref.n for c in turn.sources.cards if not c.isHidden()] == [1]
    browser = turn.answer
    qtbot.waitUntil(lambda: browser.height() > 10)
    qtbot.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton, pos=_citation_point(browser, 1))
    viewer = ctl.viewer
    assert viewer is not None and viewer.isVisible()
    assert viewer.mode == "pdf"
    qtbot.waitUntil(lambda: viewer.current_page() == 6, timeout=10_000)
    qtbot.waitUntil(lambda: viewer.pdf.highlight_page == 6, timeout=20_000)  # passage found and highlighted
    assert "Inverse Cluster Frequency" in viewer.pdf.phrase
    assert viewer.title.text().startswith("Preemptive Information Extraction")
    assert viewer.locator.text() == "p. 6" and viewer.open_button.isEnabled()
    # the source card opens the same place from the keyboard
    viewer.hide()
    viewer.pdf.go(1)
    card = turn.sources.card(1)
    card.setFocus()
    qtbot.keyClick(card, Qt.Key.Key_Return)
    assert viewer.isVisible()
    qtbot.waitUntil(lambda: viewer.current_page() == 6, timeout=10_000)


def test_escape_stops_generation(qtbot: Any, make_controller: Any, indexed_core: Any, shared_llm: Any) -> None:
    ctl = make_controller(indexed_core, llm=shared_llm)
    turn = ctl.window.ask("What happens to storms in the logbook of the lighthouse keeper?")
    qtbot.waitUntil(lambda: turn.tokens_seen >= 1 or not turn.is_active, timeout=120_000)
    qtbot.keyClick(ctl.window.composer.input, Qt.Key.Key_Escape)
    wait_done(qtbot, turn, timeout=30_000)
    assert turn.state == "stopped", turn.state
    assert turn.done_event.cancelled
    assert turn.status.text() == "Stopped."
    assert not ctl.chat.busy and ctl.window.composer.send.text() == "Send"
    # the app is usable again right away
    again = ctl.window.ask("How often is the lamp cleaned?")
    wait_done(qtbot, again)
    assert again.state == "done"


def test_sidebar_new_reopen_rename_delete(qtbot: Any, make_controller: Any, indexed_core: Any) -> None:
    from app.history import StoredSource

    ctl = make_controller(indexed_core, start=False)
    h = ctl.history
    cid = h.create_conversation("Lighthouse questions")
    h.add_turn(cid, "How often is the lamp cleaned?", "Every Tuesday [1].",
               [StoredSource(1, "/docs/lighthouse.md", Locator(section="Lighthouse maintenance › Lamp"), "",
                             "The lamp is…")])
    side = ctl.window.sidebar
    side.refresh()
    assert side.list.count() == 1
    side.list.setCurrentRow(0)
    side.list.itemClicked.emit(side.list.item(0))
    turns = ctl.window.chat.turns
    assert len(turns) == 1 and "Tuesday" in turns[0].answer.toPlainText()
    assert turns[0].sources.cards[0].ref.where.section == "Lighthouse maintenance › Lamp"
    side.rename(cid, "Renamed chat")
    assert h.get_conversation(cid).title == "Renamed chat"
    ctl.window.new_action.trigger()
    assert ctl.window.conversation_id is None and not ctl.window.chat.turns
    side.list.setCurrentRow(0)
    side.delete_current(confirm=False)
    assert h.list_conversations() == [] and side.list.count() == 0


def test_enter_sends_and_shift_enter_adds_a_line(qtbot: Any) -> None:
    from app.gui.chat_view import ChatInput

    box = ChatInput()
    qtbot.addWidget(box)
    sent: list[str] = []
    box.submitted.connect(sent.append)
    qtbot.keyClicks(box, "first line")
    qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(box, "second line")
    assert box.toPlainText() == "first line\nsecond line" and sent == []
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert sent == ["first line\nsecond line"]


def test_streamed_words_read_as_a_draft_until_checked(qtbot: Any, indexed_core: Any) -> None:
    """The model's words arrive before they are checked: they are shown muted and slanted with a "Draft" status,
    and the checked answer replaces them (here the model's wrong sentence gives way to what the documents say)."""
    from app.answer.answering import Done, Retrieved, Source, Token
    from app.answer.record import REPLACED_PREFIX
    from app.gui.answer_view import TurnWidget
    from app.gui import theme

    hits = indexed_core.search("What is the Inverse Cluster Frequency of a basic pattern?", 3)
    turn = TurnWidget("What is the Inverse Cluster Frequency?")
    qtbot.addWidget(turn)
    turn.handle(Retrieved(tuple(hits), 12.0, "icf"))
    assert not turn.answer.draft
    for piece in ("ICF is a kind ", "of hurricane."):
        turn.handle(Token(piece))
    assert turn.answer.draft and "italic" in turn.answer.styleSheet()
    assert theme.colors(turn.answer.palette()).muted in turn.answer.styleSheet()
    assert turn.status.text().startswith("Draft")
    qtbot.waitUntil(lambda: "hurricane" in turn.answer.toPlainText())
    final = f"{REPLACED_PREFIX} “The ICF of a basic pattern is the inverse of the number of clusters.” [1]"
    turn.handle(Done(final, tuple(Source(i + 1, h, i == 0) for i, h in enumerate(hits)), {"total_ms": 1.0},
                     verified=False, draft="ICF is a kind of hurricane."))
    assert not turn.answer.draft and "italic" not in turn.answer.styleSheet()
    assert "hurricane" not in turn.answer.toPlainText() and "inverse of the number" in turn.answer.toPlainText()
    assert not turn.status.text().startswith("Draft") and turn.banner.isVisibleTo(turn)
