"""Answers end to end with everything real: real files (a real mailing-list mbox, a PDF, Markdown) indexed into a
LanceDB on disk with the bundled embedder, the bundled model answering through the Assistant the CLI and GUI use."""
from __future__ import annotations

import shutil

import pytest

from app.answer.answering import Done
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, real_embedder):  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("answers-real")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COVE_DATA_DIR", str(base / "data"))
        mp.setenv("COVE_CONFIG_DIR", str(base / "config"))
        from app.answer.assistant import Assistant
        from app.core import CoveCore

        folder = base / "docs"
        shutil.copytree(FIXTURES / "search", folder)
        shutil.copy(FIXTURES / "mail" / "httpd-ssl-thread.mbox", folder / "httpd-ssl-thread.mbox")
        core = CoveCore(embedder=real_embedder)
        report = core.index([str(folder)])
        assert report.counts.get("indexed", 0) >= 4, report.counts
        helper = Assistant(core)
        yield helper
        helper.close()
        core.close()


def _ask(assistant, question: str) -> Done:  # type: ignore[no-untyped-def]
    done = None
    for event in assistant.ask(question):
        if isinstance(event, Done):
            done = event
    assert done is not None
    return done


def _assert_offsets_are_real(done: Done) -> None:
    assert any(s.evidence for s in done.sources)
    for s in done.sources:
        for ev in s.evidence:
            assert s.hit.text[ev.start:ev.end] == ev.text and ev.text.strip(), (s.n, ev)
            assert ev.page == s.hit.where.page


@pytest.mark.slow
def test_a_senders_full_name_is_not_cut_at_the_initial(assistant):
    done = _ask(assistant, "Who had trouble starting apache2 after updating an SSL certificate?")
    assert "Jack M. Nilles" in done.answer, done.answer
    assert done.verified, (done.answer, done.draft)
    cited = done.cited_sources
    assert cited and cited[0].hit.kind == "email"
    assert any("Nilles" in ev.text or "SSL" in ev.text for ev in cited[0].evidence)
    _assert_offsets_are_real(done)


@pytest.mark.slow
def test_email_answers_do_not_repeat_header_lines(assistant):
    done = _ask(assistant, "What did Antony Stone suggest checking after the SSL certificate update broke apache?")
    for line in ("Subject:", "From:", "Email from", "To:"):
        assert line not in done.answer, done.answer
    assert done.cited_sources and done.cited_sources[0].hit.kind == "email"
    for s in done.sources:  # the selector knows what a header is: body sentences are the evidence
        for ev in s.evidence:
            assert not ev.text.startswith(("Subject:", "From:", "To:", "Date:")), ev.text
    _assert_offsets_are_real(done)


@pytest.mark.slow
def test_evidence_points_at_the_sentence_that_holds_the_fact(assistant):
    done = _ask(assistant, "How often is the lamp of the Skerryvore lighthouse cleaned?")
    assert "tuesday" in done.answer.lower() and done.verified, done.answer
    top = done.cited_sources[0]
    assert top.hit.path.endswith("lighthouse.md")
    assert "Tuesday" in top.evidence[0].text
    assert len(top.evidence[0].text) < len(top.hit.text), "the evidence is a sentence, not the whole chunk"
    _assert_offsets_are_real(done)


@pytest.mark.slow
def test_an_answer_the_sources_do_not_support_is_not_presented_as_fact(assistant):
    # Nothing indexed holds a phone number; the bundled base model makes one up (temperature 0: always the same).
    done = _ask(assistant, "What is the phone number of the Skerryvore lighthouse keeper?")
    assert not done.not_found
    assert not done.verified, done.answer
    # no passage holds a phone number: the answer says so, and still shows the closest passage as evidence
    from app.answer.answering import CLOSEST_PREFIX

    assert done.answer.startswith(CLOSEST_PREFIX + " “"), done.answer
    assert done.draft and done.draft != done.answer
    quote = done.answer.split("“", 1)[1].rsplit("”", 1)[0]
    cited = done.cited_sources
    assert len(cited) == 1 and " ".join(cited[0].evidence[0].text.split()) == quote
    _assert_offsets_are_real(done)


@pytest.fixture(scope="module")
def chat_assistant(assistant):  # type: ignore[no-untyped-def]
    """The same real store, answered by the bundled instruct model through its own chat template."""
    from app.answer.assistant import Assistant
    from app.models.bundled_smollm2 import smollm2_path

    helper = Assistant(assistant.core, model_path=str(smollm2_path()))
    assert helper.llm.is_chat, "SmolLM2 carries a chat template: the chat prompt path must be used"
    yield helper
    helper.close()


@pytest.mark.slow
def test_chat_model_answers_with_evidence_and_no_copied_source_header(chat_assistant):
    done = _ask(chat_assistant, "How often is the lamp of the Skerryvore lighthouse cleaned?")
    assert "tuesday" in done.answer.lower(), (done.answer, done.draft)
    for copied in ("lighthouse.md", "/", "lines ", "— "):
        assert copied not in done.answer.replace("[", "").split("“")[0], done.answer
    assert done.cited_sources and done.cited_sources[0].hit.path.endswith("lighthouse.md")
    _assert_offsets_are_real(done)


@pytest.mark.slow
def test_chat_model_names_the_sender_in_full(chat_assistant):
    done = _ask(chat_assistant, "Who had trouble starting apache2 after updating an SSL certificate?")
    assert "Jack M. Nilles" in done.answer and done.verified, (done.answer, done.draft)
