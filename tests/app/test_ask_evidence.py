"""`cove ask` carries evidence (issue 11): real files indexed into a LanceDB on disk with the bundled embedder, the
bundled model answering; every source's evidence offsets point at text that really is in that chunk as stored,
the human output quotes the evidence sentence under each source, and an unsupported answer is flagged plainly."""
from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from app.cli import main
from tests.conftest import FIXTURES


@pytest.fixture
def indexed(tmp_path, real_embedder, capsys):  # type: ignore[no-untyped-def]
    folder = tmp_path / "docs"
    shutil.copytree(FIXTURES / "search", folder)
    assert main(["index", str(folder)]) == 0
    capsys.readouterr()
    return folder


def _stored_chunks() -> dict[str, Any]:
    from app.core import CoveCore

    core = CoveCore()
    try:
        rows = core.store.chunks_table.search().select(["chunk_id", "text", "page"]).limit(100_000).to_list()
    finally:
        core.close()
    return {r["chunk_id"]: r for r in rows}


def _ask_json(capsys, question: str) -> dict:  # type: ignore[no-untyped-def]
    assert main(["ask", question, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_json_evidence_offsets_point_into_the_stored_chunks(indexed, capsys):  # type: ignore[no-untyped-def]
    outs = [_ask_json(capsys, q) for q in ("How often is the lamp of the Skerryvore lighthouse cleaned?",
                                           "What is the Inverse Cluster Frequency of a basic pattern?")]
    chunks = _stored_chunks()
    for out in outs:
        assert isinstance(out["verified"], bool) and out["answer"].strip()
        if "draft" in out:
            assert not out["verified"] and out["draft"].strip()
        assert out["sources"] and all("evidence" in s for s in out["sources"])
        for s in out["sources"]:
            chunk = chunks[s["chunk_id"]]
            assert s["evidence"] or not s["cited"], s  # a cited source always has its supporting sentence
            for ev in s["evidence"]:
                assert set(ev) == {"text", "start", "end", "page", "score"}
                assert chunk["text"][ev["start"]:ev["end"]] == ev["text"] and ev["text"].strip()
                assert ev["page"] == chunk["page"] == s["page"]
    lamp, icf = outs
    top = lamp["sources"][0]
    assert top["path"].endswith("lighthouse.md")
    assert top["evidence"][0]["text"] == ("The lamp of the Skerryvore lighthouse is cleaned every Tuesday with "
                                          "isopropyl alcohol.")
    pdf = next(s for s in icf["sources"] if s["path"].endswith(".pdf"))
    assert pdf["page"] == 6 and pdf["evidence"][0]["page"] == 6


@pytest.mark.slow
def test_human_output_quotes_the_evidence_sentence(indexed, capsys):  # type: ignore[no-untyped-def]
    assert main(["ask", "How often is the lamp of the Skerryvore lighthouse cleaned?"]) == 0
    out = capsys.readouterr().out
    sources = out.split("\nSources:\n", 1)[1]
    assert ("“The lamp of the Skerryvore lighthouse is cleaned every Tuesday with isopropyl alcohol.”"
            in sources), out
    assert "Lamp The lamp" not in sources  # not the chunk's first lines


def test_unsupported_answer_is_flagged_in_both_outputs(indexed, capsys, monkeypatch):  # type: ignore[no-untyped-def]
    """The verdict is the real core's (check_answer over the real store and embedder); the model's words are fixed
    so the test does not depend on the 270M model choosing to invent something."""
    from app.answer.answering import Retrieved, Token, check_answer
    from app.answer.assistant import Assistant

    question = "How often is the lamp of the Skerryvore lighthouse cleaned?"
    words = ["It is cleaned ", "every 128 days ", "by Captain Horatio [1]."]

    def fake_ask(self, q, **kwargs):  # type: ignore[no-untyped-def]
        hits = self.core.searcher.search(q, 3)
        yield Retrieved(tuple(hits), 1.0, q)
        for w in words:
            yield Token(w)
        done = check_answer(q, "".join(words), [1], hits, self.core.searcher.embedder)
        self.last_conversation_id = None
        yield done

    monkeypatch.setattr(Assistant, "ask", fake_ask)
    monkeypatch.setattr(Assistant, "llm", property(lambda self: None))
    assert main(["ask", question]) == 0
    out = capsys.readouterr().out
    assert out.startswith("".join(words))  # what was streamed …
    assert "\n⚠ Not supported by your documents: “It is cleaned every 128 days by Captain Horatio.”\n" in out
    after = out.split("⚠", 1)[1].splitlines()[1]
    assert after.startswith("Your documents say: “The lamp of the Skerryvore lighthouse is cleaned every Tuesday")
    data = _ask_json(capsys, question)
    assert data["verified"] is False and data["draft"] == "".join(words)
    assert data["answer"].startswith("Your documents say: “")
    cited = [s for s in data["sources"] if s["cited"]]
    assert cited and cited[0]["evidence"][0]["text"] in data["answer"]
