"""The assistant: one object that answers questions over the index with the local model and remembers the
conversation. Qt-free; the CLI uses it directly, the GUI's chat worker owns one on its own thread.

Why here and not in answering.py: answering is pure orchestration over protocols; this wires the real parts
(settings → model path, the searcher, SQLite history) and owns the loaded model, which is expensive to create.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from app.answer.answering import AnswerEvent, Done, Source, answer
from app.answer.summarize import SummaryEvent

if TYPE_CHECKING:
    from app.core import CoveCore
    from app.history import StoredSource
    from app.models.llm import LocalLLM, PromptStyle  # prompt_style: the schema lets only these choices through
    from indexer.hits import SearchHit
    from indexer.retrieval import Searcher

T = TypeVar("T")


@dataclass(frozen=True)
class SummarySaved:
    """The summary was stored as a turn of this conversation (sent just before the final SummaryDone)."""

    conversation_id: int


class ModelNotFound(FileNotFoundError):
    """The configured GGUF does not exist; the message says which setting or flag to fix."""


class Assistant:
    def __init__(self, core: CoveCore, *, model_path: str | None = None) -> None:
        self.core = core
        self.model_path = model_path
        self._llm: LocalLLM | None = None
        self._lock = threading.Lock()
        from app.models.idle import IdleUnloader

        self._idle = IdleUnloader(self)  # model_idle_minutes: unload an unused model, reload on the next question
        from app.history import History

        self.history = History()

    def resolve_model_path(self) -> Path:
        chosen = self.model_path or self.core.settings.get_str("model_path")
        if chosen:
            path = Path(os.path.expanduser(chosen))
            if not path.is_file():
                raise ModelNotFound(f"model file not found: {path} (fix `model_path` in settings or --model)")
            return path
        from app.models.bundled_model import bundled_model_path

        return bundled_model_path()

    def model_needs_preparing(self) -> bool:
        """True when the next load assembles and re-encodes the bundled model first (app/models/bundled_model.py)."""
        if self.model_path or self.core.settings.get_str("model_path"):
            return False
        try:
            from app.models.bundled_model import bundled_model_ready

            return not bundled_model_ready()
        except (ImportError, OSError):
            return False

    @property
    def llm(self) -> LocalLLM:
        with self._lock:
            if self._llm is None:
                from app.models.llm import LocalLLM

                s = self.core.settings
                threads = s.get_int("n_threads") or None
                self._llm = LocalLLM(self.resolve_model_path(), n_ctx=s.get_int("n_ctx"), n_threads=threads,
                                     n_gpu_layers=s.get_int("n_gpu_layers"),
                                     prompt_style=cast("PromptStyle", s.get_str("prompt_style")))
                self._idle.watch()
            self._idle.touch()
            return self._llm

    @property
    def model_loaded(self) -> bool:
        return self._llm is not None

    def hold(self, events: Iterator[T]) -> Iterator[T]:
        """Yield from `events` (a summary, anything else that streams from `self.llm`) with the model held: it is not
        unloaded for idleness until they are done."""
        with self._idle.in_use():
            yield from events

    def unload_if_idle(self, idle_s: float) -> bool:
        """Release the model if nobody used it for `idle_s` seconds and no question is running (issue 12: an idle
        Cove gives its ~0.3–5 GB back; the next question reloads it). True if it was released."""
        with self._lock:
            if self._llm is None or self._idle.busy or self._idle.idle_for() < idle_s:
                return False
            self._llm.close()
            self._llm = None
            return True

    def switch_model(self, model_path: str | None) -> None:
        """Use another GGUF from the next question on (the old one is released first to bound memory)."""
        with self._lock:
            if self._llm is not None:
                self._llm.close()
            self._llm = None
            self.model_path = model_path

    def ask(self, question: str, *, conversation_id: int | None = None, k: int | None = None,
            scope: list[str] | None = None, email_only: bool = False,
            stop_event: threading.Event | None = None, filters: dict[str, Any] | None = None) -> Iterator[AnswerEvent]:
        """Stream the answer events; the finished turn is saved to the conversation (created if None).
        `filters` are extra keyword filters for the searcher (e.g. email sender/date range)."""
        s = self.core.settings
        turns = self.history.turns(conversation_id) if conversation_id is not None else []
        history_pairs = [(t.question, t.answer) for t in turns[-4:]]
        retriever = _FilteredRetriever(self.core.searcher, filters or {})
        events = answer(question, retriever=retriever, llm=self.llm, history_turns=history_pairs,
                        k=k or s.get_int("answer_k"), scope=scope, email_only=email_only,
                        stop_event=stop_event, min_similarity=s.get_float("min_similarity"),
                        answer_tokens=s.get_int("max_answer_tokens"),
                        temperature=s.get_float("temperature"),
                        embedder=getattr(self.core.searcher, "embedder", None))
        with self._idle.in_use():  # never unloaded mid-answer
            for event in events:
                if isinstance(event, Done):
                    self.last_conversation_id = self._remember(question, event, conversation_id)
                yield event

    def summarize(self, path: str, *, conversation_id: int | None = None,
                  stop_event: threading.Event | None = None) -> Iterator[SummaryEvent | SummarySaved]:
        """Summarise one document with the local model (map-reduce past n_ctx, summarize.py) and save the summary
        to history as a turn citing the document (a new conversation when None): `SummarySaved` comes just before
        the final `SummaryDone`. The model is held (not unloaded for idleness) until it is done."""
        from app.history import StoredSource
        from app.answer.summarize import SummaryDone, document_text, summarize

        llm = self.llm
        text = document_text(path)
        answer_tokens = self.core.settings.get_int("max_answer_tokens")
        events = summarize(text, llm, stop_event=stop_event, summary_tokens=min(answer_tokens, 256))
        for ev in self.hold(events):
            if isinstance(ev, SummaryDone) and ev.summary:
                name = os.path.basename(path)
                conv = conversation_id or self.history.create_conversation(f"Summary of {name}"[:60])
                self.history.add_turn(conv, f"Summarize {name}", ev.summary,
                                      [StoredSource(1, path, snippet=text[:240])], model=llm.name)
                self.last_conversation_id = conv
                yield SummarySaved(conv)
            yield ev

    def _remember(self, question: str, done: Done, conversation_id: int | None) -> int:
        from app.history import StoredSource

        if conversation_id is None:
            conversation_id = self.history.create_conversation(question[:60] or "New chat")
        sources = [_stored_source(s, StoredSource) for s in done.sources]
        self.history.add_turn(conversation_id, question, done.answer, sources, model=str(done.timings.get("model", "")),
                              verified=bool(getattr(done, "verified", False)), draft=getattr(done, "draft", ""))
        return conversation_id

    def close(self) -> None:
        self.switch_model(self.model_path)


def _stored_source(s: Source, stored: type[StoredSource]) -> StoredSource:
    """A reopened conversation shows the same evidence: the evidence sentence is kept as the snippet."""
    ev = s.evidence[0] if getattr(s, "evidence", ()) else None
    if ev is None:
        return stored(s.n, s.hit.path, s.hit.where, s.hit.doc_id, s.hit.snippet())
    return stored(s.n, s.hit.path, s.hit.where, s.hit.doc_id, ev.text, ev.start, ev.end)


class _FilteredRetriever:
    """Adapts the searcher to the answering Retriever protocol, adding fixed filters (sender, dates)."""

    def __init__(self, searcher: Searcher, filters: dict[str, Any]) -> None:
        self.searcher = searcher
        self.filters = {k: v for k, v in filters.items() if v}

    def search(self, query: str, k: int, *, scope: list[str] | None = None,
               email_only: bool = False, weak_below: float | None = None) -> list[SearchHit]:
        return self.searcher.search(query, k, scope=scope, email_only=email_only, weak_below=weak_below,
                                    **self.filters)
