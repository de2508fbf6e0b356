"""Summarising a whole document longer than the model's context, with the real bundled model: parts sized with the
model's own tokenizer, each summarised, then combined; the final pass streams; Stop works between and within parts."""
from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from app.answer.summarize import (SummaryDone, SummaryProgress, SummaryToken, document_text, part_budget,
                                  split_by_tokens, summarize)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PAPER = FIXTURES / "search" / "naacl06-shinyama.pdf"


@pytest.fixture(scope="module")
def paper_text() -> str:
    return document_text(PAPER)


def test_document_text_reads_the_whole_pdf(paper_text: str) -> None:
    assert "Inverse Cluster Frequency" in paper_text
    assert "Preemptive Information Extraction" in paper_text
    assert len(paper_text) > 20_000


def test_parts_fit_the_budget_and_lose_nothing(paper_text: str, small_llm) -> None:  # type: ignore[no-untyped-def]
    budget = 150
    parts = split_by_tokens(paper_text, small_llm, budget)
    assert len(parts) > 10
    assert all(small_llm.count_text_tokens(p) <= budget for p in parts)
    assert " ".join(parts).split() == paper_text.split()


def test_a_text_longer_than_the_context_is_summarised_in_parts(paper_text: str, small_llm) -> None:  # type: ignore[no-untyped-def]
    n_ctx = small_llm.n_ctx  # 512
    text = small_llm.truncate_to_tokens(paper_text, int(n_ctx * 2.1))
    assert small_llm.count_text_tokens(text) > 2 * n_ctx
    events = list(summarize(text, small_llm, summary_tokens=80, part_summary_tokens=40))
    done = events[-1]
    assert isinstance(done, SummaryDone) and not done.cancelled
    maps = [e for e in events if isinstance(e, SummaryProgress) and e.stage == "map"]
    assert done.parts >= 3 and len(maps) >= done.parts
    assert [e.part for e in maps[: done.parts]] == list(range(1, done.parts + 1))
    assert any(isinstance(e, SummaryProgress) and e.stage == "reduce" for e in events)
    streamed = "".join(e.text for e in events if isinstance(e, SummaryToken))
    assert done.summary and streamed.strip() == done.summary
    source_words = {w.lower() for w in re.findall(r"[A-Za-z]{5,}", text)}
    summary_words = {w.lower() for w in re.findall(r"[A-Za-z]{5,}", done.summary)}
    assert len(source_words & summary_words) >= 2, done.summary  # about the document, not invented
    assert part_budget(small_llm, 80) < n_ctx


def test_a_short_text_is_summarised_in_one_pass(small_llm) -> None:  # type: ignore[no-untyped-def]
    text = (FIXTURES / "search" / "lighthouse.md").read_text(encoding="utf-8")
    events = list(summarize(text, small_llm, summary_tokens=80))
    done = events[-1]
    assert isinstance(done, SummaryDone) and done.parts == 1 and done.rounds == 1
    assert not any(isinstance(e, SummaryProgress) for e in events)
    assert done.summary


def test_stop_ends_a_long_summary_early(paper_text: str, small_llm) -> None:  # type: ignore[no-untyped-def]
    stop = threading.Event()
    events = []
    for ev in summarize(paper_text, small_llm, summary_tokens=120, stop_event=stop):
        events.append(ev)
        if isinstance(ev, SummaryProgress) and ev.part == 2:
            stop.set()
    done = events[-1]
    assert isinstance(done, SummaryDone) and done.cancelled
    assert sum(1 for e in events if isinstance(e, SummaryProgress)) <= 3
