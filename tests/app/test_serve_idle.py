"""The model is unloaded after `model_idle_minutes` without questions and the next question still answers (issue 12).
Real bundled model, real store; a short idle time (0.02 min = 1.2 s) set in the user's settings."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.answer.answering import Done, Token
from app.answer.assistant import Assistant
from app.core import CoveCore
from app.settings import Settings
from tests.app.conftest import squad_paragraph

pytestmark = pytest.mark.slow


def _wait(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _ask(assistant: Assistant, question: str) -> Done:
    events = list(assistant.ask(question))
    assert any(isinstance(e, Token) for e in events), "no token was generated"
    done = events[-1]
    assert isinstance(done, Done) and done.answer
    return done


def test_model_unloads_when_idle_and_reloads(tmp_path: Path, real_embedder, bundled_path) -> None:  # type: ignore[no-untyped-def]
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "newcastle.txt").write_text(squad_paragraph("Newcastle_upon_Tyne", "Geordie"), "utf-8")
    settings = Settings.load()
    settings.set("model_idle_minutes", 0.02)
    settings.set("temperature", 0)
    settings.save()
    core = CoveCore(embedder=real_embedder)
    core.index([str(docs)])
    assistant = Assistant(core)
    question = "What is the dialect of Newcastle known as?"
    first = _ask(assistant, question)
    assert assistant.model_loaded
    assert _wait(lambda: not assistant.model_loaded, timeout=20), "the model was not unloaded after 1.2 s idle"
    second = _ask(assistant, question)  # reloads transparently
    assert assistant.model_loaded
    assert second.answer == first.answer
    assistant.close()
    core.close()


def test_never_unloaded_mid_answer(tmp_path: Path, real_embedder, bundled_path) -> None:  # type: ignore[no-untyped-def]
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "oxygen.txt").write_text(squad_paragraph("Oxygen", "diatomic"), "utf-8")
    settings = Settings.load()
    settings.set("model_idle_minutes", 0.001)  # 60 ms: far shorter than one answer
    settings.save()
    core = CoveCore(embedder=real_embedder)
    core.index([str(docs)])
    assistant = Assistant(core)
    loaded_during = []
    for event in assistant.ask("What is the chemical formula of dioxygen?"):
        time.sleep(0.1)  # a slow reader: the idle timer fires many times meanwhile
        loaded_during.append(assistant.model_loaded)
    assert all(loaded_during)
    assert isinstance(event, Done)
    assert _wait(lambda: not assistant.model_loaded, timeout=10)
    assistant.close()
    core.close()


def test_zero_keeps_the_model(tmp_path: Path) -> None:
    settings = Settings.load()
    settings.set("model_idle_minutes", 0)
    settings.save()
    from app.models.idle import IdleUnloader

    class _A:
        core = CoveCore()
        model_loaded = True

    unloader = IdleUnloader(_A())
    assert unloader.idle_s() == 0
    unloader.watch()
    assert unloader._thread is None


def test_hold_keeps_the_model_for_other_streams(tmp_path: Path, bundled_path) -> None:  # type: ignore[no-untyped-def]
    """A summary (or anything streaming from `assistant.llm` outside `ask`) is held the same way."""
    settings = Settings.load()
    settings.set("model_idle_minutes", 0.001)
    settings.save()
    assistant = Assistant(CoveCore())
    llm = assistant.llm

    def slow_stream():  # type: ignore[no-untyped-def]
        for piece in llm.stream("The capital of France is", max_tokens=8, stop=[], stop_event=None,
                                temperature=0.0):
            time.sleep(0.1)
            yield assistant.model_loaded

    assert all(assistant.hold(slow_stream()))
    assert _wait(lambda: not assistant.model_loaded, timeout=10)
    assistant.close()
