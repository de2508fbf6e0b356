"""The answer development set (tests/benchmarks/devset.jsonl) is sound: every gold answer sits in its evidence, and
every evidence string is in the text Cove's own parsers extract from the named source (a data error must never be
scored as a model error). Also the issue-11 quotas and the corpus subset the benchmark indexes."""
from __future__ import annotations

import pytest

from tests.conftest import corpus


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    corpus("email", "ponymail-mbox", "httpd-users-2020-07.mbox")  # skips (or fails in CI) without the corpora
    from tests.benchmarks.devset_check import load

    return load()


def test_every_row_is_backed_by_the_parsed_source(questions: list[dict]) -> None:
    from tests.benchmarks.devset_check import check

    problems = {q["id"]: p for q in questions if (p := check(q))}
    assert problems == {}


def test_quotas_and_required_questions(questions: list[dict]) -> None:
    kinds = [q["kind"] for q in questions]
    assert len(questions) >= 44
    assert kinds.count("email") >= 12 and kinds.count("pdf") >= 12 and kinds.count("docs") >= 12
    assert kinds.count("unanswerable") >= 6
    assert len({q["id"] for q in questions}) == len(questions)
    nilles = next(q for q in questions if q["question"].startswith("Who had trouble starting apache2"))
    assert "Jack M. Nilles" in nilles["answers"] and nilles["source"].endswith("httpd-users-2020-07.mbox")
    formats = {q["source"].rsplit(".", 1)[-1] if "." in q["source"].rsplit("/", 1)[-1] else "maildir"
               for q in questions if q["kind"] == "email"}
    assert {"mbox", "maildir", "msg", "eml"} <= formats


def test_checker_rejects_evidence_the_parser_does_not_produce(questions: list[dict]) -> None:
    from tests.benchmarks.devset_check import check

    row = dict(next(q for q in questions if q["id"] == "p01"))
    assert check(row) == []
    assert check({**row, "locator": "p. 2"})  # right text, wrong page
    assert check({**row, "evidence": row["evidence"] + " and Vice President Gore"})
    assert check({**row, "answers": ["November 1998"]})  # a gold answer not in the evidence


def test_subset_holds_every_source_within_the_cap(questions: list[dict]) -> None:
    from tests.benchmarks.devset_subset import CORPORA, TOTAL_BYTES_CAP, subset_files

    files = subset_files(questions)
    assert {CORPORA / q["source"] for q in questions if q["source"]} <= set(files)
    assert sum(f.stat().st_size for f in files) <= TOTAL_BYTES_CAP
    assert not any(f.name == "expected.html" or f.suffix == ".native" for f in files)  # no duplicate copies


def test_the_held_out_set_is_backed_by_the_parsed_source_and_new(questions: list[dict]) -> None:
    """tests/benchmarks/devset_heldout.jsonl: 16 questions written after the answer rules were tuned on the
    development set, to see whether they carry over (bench_devset --devset …). Sound in the same way, and none of
    its questions is one of the development set's."""
    from pathlib import Path

    from tests.benchmarks.devset_check import check, load

    held = load(Path(__file__).parent / "benchmarks" / "devset_heldout.jsonl")
    assert len(held) == 16 and sum(q["kind"] == "unanswerable" for q in held) == 2
    assert {q["id"] for q in held}.isdisjoint(q["id"] for q in questions)
    assert {q["question"] for q in held}.isdisjoint(q["question"] for q in questions)
    assert {q["id"]: p for q in held if (p := check(q))} == {}
