"""Evidence in the desktop app (issue 11): the source card shows the sentence that supports the answer, the viewer
highlights exactly that sentence (in a text file, mapped from chunk offsets into the file; on a PDF page, found in
the page's own text even where the PDF hyphenated a word), and an answer the sources do not support is replaced by
what the documents say under a visible "Not verified" banner, in the main window, the quick-ask popup and a
reopened conversation. The evidence and verdicts come from the real core (app.answer.answering.check_answer with the
real embedder over real retrieval); one test asks the real bundled model in the popup."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.gui.conftest import wait_done

pytestmark = pytest.mark.gui

LAMP_Q = "How often is the lamp of the lighthouse cleaned?"


def _checked(core: Any, question: str, answer: str, k: int = 3) -> Any:
    """A finished answer as the core produces it: real hits, real evidence, real verification."""
    from app.answer.answering import check_answer

    hits = core.search(question, k)
    return check_answer(question, answer, [1], hits, core.searcher.embedder)


def _span(hit: Any, starts_with: str) -> Any:
    """An Evidence for the sentence of the hit's chunk that starts with these words (offsets from the real
    sentence splitter)."""
    from app.answer.evidence import Evidence
    from app.answer.sentences import split_sentences

    for sp in split_sentences(hit.text):
        if hit.text[sp.start:sp.end].startswith(starts_with):
            return Evidence(hit.text[sp.start:sp.end], sp.start, sp.end, hit.where.page, 1.0)
    raise AssertionError(f"no sentence starting {starts_with!r} in {hit.text!r}")


def _feed(turn: Any, done: Any, tokens: list[str]) -> None:
    from app.answer.answering import Retrieved, Token

    turn.handle(Retrieved(tuple(s.hit for s in done.sources), 5.0, "q"))
    for t in tokens:
        turn.handle(Token(t))
    turn.handle(done)


def test_markdown_viewer_highlights_the_evidence_sentence_not_the_chunk(qtbot: Any, indexed_core: Any) -> None:
    from app.gui.models import SourceRef
    from app.gui.source_cards import SourceCard
    from app.gui.viewer import SourceViewer

    done = _checked(indexed_core, LAMP_Q, "Every Tuesday [1].")
    assert done.verified, done
    src = done.sources[0]
    ev = src.evidence[0]
    assert src.hit.path.endswith("lighthouse.md") and src.hit.text[ev.start:ev.end] == ev.text
    assert ev.text == "The lamp of the Skerryvore lighthouse is cleaned every Tuesday with isopropyl alcohol."
    assert src.hit.text != ev.text  # the chunk also holds its heading: highlighting the chunk would be wrong
    ref = SourceRef.from_source(src)
    card = SourceCard(ref)
    qtbot.addWidget(card)
    assert card.snippet_label is not None and card.snippet_label.text() == f"“{ev.text}”"
    viewer = SourceViewer(indexed_core)
    qtbot.addWidget(viewer)
    viewer.show_source(ref)
    qtbot.waitUntil(lambda: viewer.mode == "text", timeout=30_000)
    assert viewer.text.highlighted_text() == ev.text
    assert len(viewer.text.content.highlights) == 1


def test_text_viewer_maps_the_offsets_to_the_cited_occurrence(qtbot: Any, fresh_core: Any, tmp_path: Path) -> None:
    """The same sentence stands in two places of the file; the one in the cited chunk is highlighted."""
    from app.gui.models import SourceRef
    from app.gui.viewer import SourceViewer

    shared = "Keys are kept in the blue box beside the door."
    east = ("EAST WAREHOUSE. The east warehouse stores grain sacks and tractor parts for the farm cooperative. "
            f"{shared} " + "Deliveries of grain arrive on Mondays from the mill in the valley. " * 12)
    west = ("WEST WAREHOUSE. The west warehouse holds the night guard's radio, torches and first aid kits. "
            f"{shared} " + "The night guard walks the fence line of the west yard every hour with a torch. " * 12)
    doc = tmp_path / "docs" / "warehouses.txt"
    doc.parent.mkdir()
    doc.write_text(east + "\n\n" + west + "\n", encoding="utf-8")
    fresh_core.index([str(doc.parent)])
    hit = next(h for h in fresh_core.search("Where does the night guard of the west warehouse keep keys?", 5)
               if "WEST WAREHOUSE" in h.text and shared in h.text)
    ev = _span(hit, "Keys are kept")
    viewer = SourceViewer(fresh_core)
    qtbot.addWidget(viewer)
    viewer.show_source(SourceRef.from_hit(1, hit, evidence=ev))
    qtbot.waitUntil(lambda: viewer.mode == "text", timeout=30_000)
    shown = viewer.text.toPlainText()
    assert shown.count(shared) == 2
    (a, b), = viewer.text.content.highlights
    assert shown[a:b] == shared
    assert a > shown.index("WEST WAREHOUSE"), "highlighted the first occurrence, not the cited one"


def test_email_viewer_highlights_the_evidence_sentence_in_the_message(qtbot: Any, fresh_core: Any,
                                                                     tmp_path: Path) -> None:
    """A real notmuch-list message: the chunk starts with its header lines; the sentence of the body is marked."""
    import shutil

    from app.gui.models import SourceRef
    from app.gui.viewer import SourceViewer
    from app.gui.viewer_content import same_text
    from tests.conftest import corpus

    folder = tmp_path / "mail"
    folder.mkdir()
    shutil.copy(corpus("email", "notmuch-corpora", "default", "cur", "46:2,"), folder / "new-to-the-list.eml")
    fresh_core.index([str(folder)])
    hit = next(h for h in fresh_core.search("Why does the notmuch command line not elide comments?", 5)
               if "The reason for that is to let the emacs code" in h.text)
    ev = _span(hit, "The reason for that is to let the emacs code")
    viewer = SourceViewer(fresh_core)
    qtbot.addWidget(viewer)
    viewer.show_source(SourceRef.from_hit(1, hit, evidence=ev))
    qtbot.waitUntil(lambda: viewer.mode == "text", timeout=30_000)
    assert "Subject: [notmuch] New to the list" in viewer.text.toPlainText()  # the whole message is shown
    marked = viewer.text.highlighted_text()
    assert same_text(marked, ev.text) and marked.startswith("The reason for that"), marked


def test_pdf_viewer_highlights_the_evidence_sentence_on_the_page(qtbot: Any, indexed_core: Any) -> None:
    from app.gui.models import SourceRef
    from app.gui.viewer import SourceViewer
    from app.gui.viewer_content import same_text

    question = "What is the Inverse Cluster Frequency of a basic pattern?"
    done = _checked(indexed_core, question, "ICF is computed for each unique basic pattern [1].")
    src = done.sources[0]
    assert src.hit.path.endswith("naacl06-shinyama.pdf") and src.hit.where.page == 6
    ev = src.evidence[0]
    assert src.hit.text[ev.start:ev.end] == ev.text and ev.page == 6
    viewer = SourceViewer(indexed_core)
    qtbot.addWidget(viewer)
    viewer.show_source(SourceRef.from_source(src))
    assert viewer.mode == "pdf" and viewer.pdf.is_evidence
    qtbot.waitUntil(lambda: viewer.pdf.highlight_page == 6, timeout=30_000)
    marked = viewer.pdf.highlighted_text()
    assert same_text(marked, ev.text), (marked, ev.text)
    assert not same_text(marked, src.hit.text)
    # a sentence the PDF hyphenated across a line break ("ta-\nbles") is still found and marked whole
    hyphenated = _span(src.hit, "3.5 Metaclustering")
    assert "tables." in hyphenated.text
    viewer.show_source(SourceRef.from_hit(1, src.hit, evidence=hyphenated))
    assert viewer.pdf.is_evidence and not viewer.note.isVisible()
    qtbot.waitUntil(lambda: viewer.pdf.highlight_page == 6, timeout=30_000)
    assert same_text(viewer.pdf.highlighted_text(), hyphenated.text), viewer.pdf.highlighted_text()


def test_unsupported_answer_is_replaced_and_flagged(qtbot: Any, make_controller: Any, indexed_core: Any) -> None:
    """A real verdict: "every 128 days" is in no source, so the core answers with the evidence instead; the
    window shows that answer (not the streamed words), the amber banner, and the draft on demand; the card shows
    the evidence sentence. Reopening the conversation shows the same."""
    from app.history import StoredSource
    from app.answer.assistant import _stored_source

    done = _checked(indexed_core, LAMP_Q, "The lamp is cleaned every 128 days by Captain Horatio [1].")
    assert not done.verified and done.draft and done.answer.startswith("Your documents say:"), done
    ctl = make_controller(indexed_core, start=False)
    turn = ctl.window._new_turn(LAMP_Q)
    _feed(turn, done, ["The lamp is cleaned ", "every 128 days ", "by Captain Horatio [1]."])
    assert turn.state == "done"
    shown = turn.answer.toPlainText()
    assert "128" not in shown and shown.startswith("Your documents say:"), shown
    assert "isopropyl alcohol" in shown
    banner = turn.banner
    assert banner.isVisibleTo(turn) and banner.title.text() == "Not verified — showing what your documents say"
    assert "128 days" in banner.toolTip() and not banner.detail.isVisibleTo(turn)
    banner.toggle.click()
    assert banner.detail.isVisibleTo(turn) and "Captain Horatio" in banner.detail.text()
    card = turn.sources.cards[0]
    ev = done.cited_sources[0].evidence[0]
    assert card.ref.evidence == ev.text and card.snippet_label.text() == f"“{ev.text}”"
    # a verified answer shows no banner
    ok = ctl.window._new_turn(LAMP_Q)
    _feed(ok, _checked(indexed_core, LAMP_Q, "Every Tuesday [1]."), ["Every Tuesday [1]."])
    assert ok.state == "done" and not ok.banner.isVisibleTo(ok)
    # stored and reopened: same answer, same evidence, same cue
    h = ctl.history
    cid = h.create_conversation("Lamp")
    h.add_turn(cid, LAMP_Q, done.answer, [_stored_source(s, StoredSource) for s in done.sources],
               verified=done.verified, draft=done.draft)
    ctl.window.load_conversation(cid)
    again = ctl.window.chat.turns[-1]
    assert again.banner.isVisibleTo(again) and "128 days" in again.banner.toolTip()
    assert again.answer.toPlainText() == shown
    assert again.sources.card(1).snippet_label.text() == f"“{ev.text}”"


def test_quick_ask_popup_shows_the_cue_and_the_evidence(qtbot: Any, make_controller: Any,
                                                        indexed_core: Any) -> None:
    from app.gui.answer_view import TurnWidget

    done = _checked(indexed_core, LAMP_Q, "It is cleaned every 128 days [1].")
    ctl = make_controller(indexed_core, start=False)
    ctl.show_quick_ask()
    popup = ctl.popup
    qtbot.waitExposed(popup)
    turn = popup._replace_turn(TurnWidget(LAMP_Q, show_question=False))
    _feed(turn, done, ["It is cleaned every ", "128 days [1]."])
    assert turn.banner.isVisibleTo(turn) and turn.answer.toPlainText().startswith("Your documents say:")
    ev = done.cited_sources[0].evidence[0]
    card = turn.sources.cards[0]
    assert card.isVisibleTo(turn) and card.snippet_label.text() == f"“{ev.text}”"


@pytest.mark.slow
def test_real_answer_in_the_popup_carries_its_evidence(qtbot: Any, make_controller: Any, indexed_core: Any,
                                                       shared_llm: Any) -> None:
    from PySide6.QtCore import Qt

    from app.answer.record import verdict_of

    ctl = make_controller(indexed_core, llm=shared_llm)
    ctl.show_quick_ask()
    popup = ctl.popup
    qtbot.waitExposed(popup)
    qtbot.keyClicks(popup.input, LAMP_Q)
    qtbot.keyClick(popup.input, Qt.Key.Key_Return)
    turn = popup.turn
    wait_done(qtbot, turn)
    done = turn.done_event
    assert turn.state == "done" and turn.answer.toPlainText().strip()
    assert turn.answer.markdown == done.answer  # the final answer replaced what was streamed
    card = turn.sources.cards[0]
    assert card.ref.path.endswith("lighthouse.md")
    ev = next(s for s in done.sources if s.n == card.ref.n).evidence[0]
    assert card.ref.text[card.ref.evidence_start:card.ref.evidence_end] == card.ref.evidence == ev.text
    assert card.snippet_label.text() == f"“{ev.text}”"
    assert turn.banner.isVisibleTo(turn) == verdict_of(done).warns
