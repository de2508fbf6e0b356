"""How a finished answer is presented (app.answer.record) and remembered (history keeps the evidence sentence and
the verdict): verdicts from real check_answer results, an old history file gaining the new columns, forgetting a
document also removing the draft that quoted it."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app.answer.record import cli_notice, evidence_json, source_line, verdict, verdict_of
from app.answer.answering import Done, Source, check_answer
from app.history import History, StoredSource
from indexer.hits import SearchHit
from indexer.locator import Locator

LAMP = SearchHit("c1", "d1", 0, "/docs/lighthouse.md", "Lighthouse maintenance", "markdown",
                 "Lamp\n\nThe lamp of the Skerryvore lighthouse is cleaned every Tuesday with isopropyl alcohol.",
                 1.0, 0.7)


def test_verdicts_of_real_checks(real_embedder) -> None:  # type: ignore[no-untyped-def]
    q = "How often is the lamp cleaned?"
    ok = check_answer(q, "Every Tuesday [1].", [1], [LAMP], real_embedder)
    assert verdict_of(ok).state == "verified" and not verdict_of(ok).warns and cli_notice(verdict_of(ok)) == ""
    bad = check_answer(q, "Every 128 days [1].", [1], [LAMP], real_embedder)
    v = verdict_of(bad)
    assert v.state == "replaced" and v.warns and "128" in v.detail
    assert cli_notice(v) == "⚠ Not supported by your documents: “Every 128 days.”"
    ev = bad.sources[0].evidence[0]
    assert LAMP.text[ev.start:ev.end] == ev.text and source_line(bad.sources[0]) == f"“{ev.text}”"
    assert evidence_json(ev) == {"text": ev.text, "start": ev.start, "end": ev.end, "page": None, "score": ev.score}


def test_verdicts_that_must_not_warn() -> None:
    assert verdict("I couldn't find that.", verified=False, not_found=True).state == "not_found"
    assert verdict("", verified=False, cancelled=True).state == "cancelled"
    assert verdict("A summary.", verified=False, has_sources=False).state == "none"  # summaries check nothing
    assert verdict("The sources do not mention it.", verified=False).state == "refusal"
    assert verdict("Blue [1].", verified=False).warns  # kept as is but unchecked: say so
    no_ev = Done("x", (Source(1, LAMP, True),), verified=True)
    assert source_line(no_ev.sources[0]).startswith("Lamp The lamp")  # no evidence: the chunk's start


def test_history_keeps_evidence_and_verdict_and_upgrades_an_old_file(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    old = sqlite3.connect(path)  # the schema as first released, with one turn in it
    old.executescript("""
        CREATE TABLE conversations (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, created REAL NOT NULL,
                                    updated REAL NOT NULL);
        CREATE TABLE turns (id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id INTEGER NOT NULL
                            REFERENCES conversations(id) ON DELETE CASCADE, question TEXT NOT NULL,
                            answer TEXT NOT NULL, sources TEXT NOT NULL DEFAULT '[]', model TEXT NOT NULL DEFAULT '',
                            created REAL NOT NULL);
        INSERT INTO conversations VALUES (1, 'old', 1.0, 1.0);
        INSERT INTO turns(conversation_id, question, answer, sources, created)
            VALUES (1, 'q', 'a [1].', '[{"n": 1, "path": "/docs/a.txt", "snippet": "chunk start…"}]', 1.0);
    """)
    old.commit()
    old.close()
    h = History(path)
    (before,) = h.turns(1)
    assert before.verified is None and before.draft == "" and before.sources[0].evidence_start is None
    ev = StoredSource(1, "/docs/lighthouse.md", Locator(section="Lamp"), "d1", "The lamp is cleaned every Tuesday.",
                      6, 40)
    h.add_turn(1, "How often?", "Your documents say: “…” [1]", [ev], verified=False, draft="Every 128 days.")
    after = h.turns(1)[-1]
    assert after.sources == (ev,) and after.verified is False and after.draft == "Every 128 days."
    assert History(path).turns(1)[-1] == after  # a second open does not add the columns again
    # forgetting the source removes the draft that came from it too
    assert h.forget_paths(["/docs/lighthouse.md"]) == 1
    assert h.turns(1)[-1].draft == ""
    raw = sqlite3.connect(path).execute("SELECT sources FROM turns WHERE id = 1").fetchone()[0]
    assert json.loads(raw)[0]["snippet"] == "chunk start…"  # older rows untouched


@pytest.mark.parametrize("draft", ["", "Blue."])
def test_replaced_without_usable_draft_still_warns(draft: str) -> None:
    v = verdict("Your documents say: “Keys are in the box.” [1]", verified=False, draft=draft)
    assert v.state == "replaced" and v.warns and cli_notice(v).startswith("⚠ Not supported by your documents")


def test_a_closest_passage_answer_loaded_from_history_is_still_marked_replaced() -> None:
    from app.answer.record import is_replaced
    from app.answer.answering import CLOSEST_PREFIX

    answer = f"{CLOSEST_PREFIX} “Call the front desk for keys.” [1]"
    assert is_replaced(answer) and not is_replaced("Call the front desk [1].")
    v = verdict(answer, verified=False)  # a history row: no draft kept
    assert v.state == "replaced" and v.warns
