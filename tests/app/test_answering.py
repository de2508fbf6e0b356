"""End-to-end answering with a fake retriever over real passages and the real bundled model."""
from __future__ import annotations

import threading

import pytest

from app.answer.answering import (
    DEFAULT_MIN_SIMILARITY, NOT_FOUND_ANSWER, Done, Retrieved, Token, answer,
)
from tests.app.conftest import FakeRetriever, make_hit


class ExplodingLLM:
    """Fails the test if anything tries to prompt or run it."""

    name = "explodes"
    n_ctx = 2048
    is_chat = False

    def __getattr__(self, item):
        raise AssertionError(f"the model must not be used here (called .{item})")

    def stream(self, *a, **k):
        raise AssertionError("the model must not be called when nothing relevant was found")


def _run(events_iter):
    events = list(events_iter)
    assert isinstance(events[0], Retrieved) and isinstance(events[-1], Done)
    assert sum(isinstance(e, Done) for e in events) == 1
    return events, events[-1]


def test_not_found_does_not_call_the_model():
    weak = [make_hit("Tomatoes need sun.", similarity=0.12, n=1), make_hit("Rent is 1200.", similarity=0.05, n=2)]
    events, done = _run(answer("What is my passport number?", retriever=FakeRetriever(weak), llm=ExplodingLLM()))
    assert done.not_found and done.answer == NOT_FOUND_ANSWER and done.sources == ()
    assert not any(isinstance(e, Token) for e in events)


def test_no_hits_at_all_is_not_found():
    _, done = _run(answer("anything", retriever=FakeRetriever([]), llm=ExplodingLLM()))
    assert done.not_found and "couldn't find" in done.answer


def test_threshold_is_inclusive_and_configurable():
    hits = [make_hit("x", similarity=0.5, n=1)]
    _, done = _run(answer("q", retriever=FakeRetriever(hits), llm=ExplodingLLM(), min_similarity=0.9))
    assert done.not_found
    assert 0.2 < DEFAULT_MIN_SIMILARITY < 0.4


_TYNE = ("The Tyne Tunnel links Jarrow and Howdon. In November 2011 the capacity of the Tyne Tunnel was increased when "
         "a project to build a second road tunnel and refurbish the first tunnel was completed.")


def _low_cosine_hits() -> list:
    """What retrieval gave for "What was increased in November 2011?" over SQuAD's 48 articles: every chunk below the
    relevance line, the one that answers at 0.03 (tests/benchmarks/bench_answers.py, question #37)."""
    return [make_hit("Saudi Arabia and Iran became increasingly dependent on American security assurances.",
                     similarity=0.22, n=1),
            make_hit(_TYNE, title="Newcastle upon Tyne", path="/docs/newcastle.txt", similarity=0.03, n=2)]


def test_a_question_no_sentence_says_in_full_stays_not_found_without_the_model():
    _, done = _run(answer("What was increased in March 2011?", retriever=FakeRetriever(_low_cosine_hits()),
                          llm=ExplodingLLM()))
    assert done.not_found


@pytest.mark.slow
def test_a_sentence_that_says_every_word_of_the_question_is_relevant_whatever_its_chunks_cosine(llm):
    _, done = _run(answer("What was increased in November 2011?", retriever=FakeRetriever(_low_cosine_hits()),
                          llm=llm))
    assert not done.not_found
    assert [s.hit.path for s in done.cited_sources] == ["/docs/newcastle.txt"], done.answer
    evidence = [e.text for s in done.cited_sources for e in s.evidence]
    assert any("capacity of the Tyne Tunnel was increased" in t for t in evidence), evidence


def test_retrieval_is_asked_to_drop_documents_below_the_relevance_line():
    """The same line that says "nothing relevant" keeps unrelated documents out of the sources (a chunk of another
    document below it gives its place to more of a relevant one: indexer.retrieval._displace_weak)."""
    retriever = FakeRetriever([make_hit("x", similarity=0.5, n=1)])
    _run(answer("q", retriever=retriever, llm=ExplodingLLM(), min_similarity=0.9))
    assert retriever.weak_below == 0.9


def test_follow_up_is_rewritten_before_retrieval():
    retriever = FakeRetriever([])
    history = [("How big is the Tesla Model 3 battery?", "About 60 kWh [1].")]
    events, _ = _run(answer("what about its price?", retriever=retriever, llm=ExplodingLLM(),
                            history_turns=history))
    assert "Tesla" in retriever.queries[0] and "price" in retriever.queries[0]
    assert events[0].query == retriever.queries[0]


@pytest.mark.slow
def test_answer_contains_the_fact_and_cites_its_source(llm, newcastle_hits):
    for _ in range(2):  # temperature 0: the same answer every time
        events, done = _run(answer("What is the dialect of Newcastle known as?",
                                   retriever=FakeRetriever(newcastle_hits), llm=llm))
        assert "geordie" in done.answer.lower(), done.answer
        assert "[1]" in done.answer, done.answer
        assert [s.n for s in done.cited_sources] == [1]
        assert done.cited_sources[0].hit.path == "/docs/newcastle.txt"
        # the focused prompt shows only sources with a selected sentence, numbered in the order shown
        assert [s.n for s in done.sources] == list(range(1, len(done.sources) + 1)) and len(done.sources) >= 1
        streamed = "".join(e.text for e in events if isinstance(e, Token))
        assert "eordie" in streamed
        assert not done.not_found and not done.cancelled
        t = done.timings
        assert t["tokens"] > 0 and t["ttft_ms"] > 0 and t["total_ms"] >= t["ttft_ms"]
        assert t["model"] == llm.name and "retrieve_ms" in t


@pytest.mark.slow
def test_stop_event_after_first_token_stops_promptly(llm, newcastle_hits):
    stop = threading.Event()
    tokens = 0
    done = None
    for event in answer("Describe the history of Newcastle in detail.", retriever=FakeRetriever(newcastle_hits),
                        llm=llm, stop_event=stop, answer_tokens=200):
        if isinstance(event, Token):
            tokens += 1
            stop.set()
        elif isinstance(event, Done):
            done = event
    assert done is not None and done.cancelled
    assert tokens == 1 and done.timings["tokens"] <= 2


def test_stop_event_set_before_generation_skips_the_model(newcastle_hits):
    stop = threading.Event()
    stop.set()
    _, done = _run(answer("What is the dialect of Newcastle known as?", retriever=FakeRetriever(newcastle_hits),
                          llm=ExplodingLLM(), stop_event=stop))
    assert done.cancelled and done.answer == ""
