"""One Assistant — hence one loaded model — per core, shared by every part of a process that answers questions.

Why: the desktop app hosts the resident API in its own process (app/gui/main.py → `start_resident(core)`). Its chat
worker and the API server each made their own `Assistant`, so a question from the window and one from `cove ask`
loaded two copies of the model side by side (measured with the bundled Gemma 3 270M: +~300 MB RSS for the second
copy; see tests/benchmarks/bench_app_memory.py). Now both take `shared_assistant(core)`.

llama.cpp is not thread-safe, and the two users run on different threads (the GUI's chat thread, the API's
connection threads), so the shared assistant makes them take turns: a question, a summary and a model switch each
hold one lock for their whole duration. The API server keeps its own per-server lock too; the GUI then waits at most
for one CLI answer, and the other way round.
"""
from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from app.answer.assistant import Assistant

if TYPE_CHECKING:
    from app.answer.answering import AnswerEvent
    from app.core import CoveCore

T = TypeVar("T")
_SHARED: "weakref.WeakKeyDictionary[CoveCore, TurnTakingAssistant]" = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


class TurnTakingAssistant(Assistant):
    """An Assistant used from several threads: questions, summaries and model switches take turns on the model."""

    def __init__(self, core: CoveCore, *, model_path: str | None = None) -> None:
        super().__init__(core, model_path=model_path)
        self._turn = threading.Lock()  # a plain Lock: a generator closed by the GC may release it from any thread

    def ask(self, *args: Any, **kwargs: Any) -> Iterator[AnswerEvent]:
        with self._turn:
            yield from super().ask(*args, **kwargs)

    def hold(self, events: Iterator[T]) -> Iterator[T]:
        with self._turn:
            yield from super().hold(events)

    def switch_model(self, model_path: str | None) -> None:
        with self._turn:  # never close the model under another thread's answer
            super().switch_model(model_path)


def shared_assistant(core: CoveCore) -> TurnTakingAssistant:
    """The one Assistant of `core` (made on first use). Pass it as the assistant factory of every user in a process."""
    with _GUARD:
        assistant = _SHARED.get(core)
        if assistant is None:
            assistant = _SHARED[core] = TurnTakingAssistant(core)
        return assistant
