"""`cove ask` end to end with everything real: files indexed into a LanceDB on disk with the bundled embedder, the
bundled Gemma model answering, SQLite history for the follow-up."""
from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import FIXTURES

from app.cli import main


@pytest.fixture
def indexed(tmp_path, real_embedder, capsys):  # type: ignore[no-untyped-def]
    folder = tmp_path / "docs"
    shutil.copytree(FIXTURES / "search", folder)
    assert main(["index", str(folder)]) == 0
    capsys.readouterr()
    return folder


def _ask(capsys, *argv: str) -> dict:  # type: ignore[no-untyped-def]
    assert main(["ask", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_answer_contains_the_fact_and_cites_the_right_file(indexed, capsys):
    out = _ask(capsys, "How often is the lamp of the Skerryvore lighthouse cleaned?")
    assert not out["not_found"]
    assert "tuesday" in out["answer"].lower()
    cited = [s for s in out["sources"] if s["cited"]]
    assert cited and cited[0]["path"] == str(indexed / "lighthouse.md")
    assert f"[{cited[0]['n']}]" in out["answer"]
    assert out["timings"]["tokens"] > 0 and out["timings"]["ttft_ms"] > 0


@pytest.mark.slow
def test_something_absent_says_so_without_the_model(indexed, capsys):
    out = _ask(capsys, "What was the price of my car insurance renewal in 2019?")
    assert out["not_found"] and "couldn't find" in out["answer"]
    assert out["sources"] == [] and out["timings"]["tokens"] == 0


@pytest.mark.slow
def test_follow_up_resolves_against_the_previous_turn(indexed, capsys):
    first = _ask(capsys, "How often is the lamp of the Skerryvore lighthouse cleaned?")
    assert main(["ask", "-c", "what is it cleaned with?", "--json"]) == 0
    captured = capsys.readouterr()
    follow = json.loads(captured.out)
    assert follow["conversation"] == first["conversation"]
    assert follow["sources"] and follow["sources"][0]["path"] == str(indexed / "lighthouse.md")
    assert "isopropyl" in " ".join(s["snippet"] for s in follow["sources"]).lower()
