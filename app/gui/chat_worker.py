"""The chat worker: one QThread that owns the LocalLLM (llama-cpp is not thread-safe) and runs retrieval, generation
and summaries there. The GUI talks to it only through queued signals carrying frozen records; a per-request stop
Event (set directly from the GUI thread) is checked by the model on every token."""
from __future__ import annotations

import itertools
import logging
from typing import TYPE_CHECKING, Any, Callable, Protocol

import shiboken6
from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.gui.errors import failure
from app.gui.models import AskRequest, Saved, Status, SummarizeRequest

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from app.answer.assistant import Assistant
    from app.core import CoveCore
    from app.models.llm import LocalLLM

AssistantFactory = Callable[["CoveCore"], "Assistant"]  # core -> answer.assistant.Assistant (or a test's subclass)


def default_assistant(core: CoveCore) -> Assistant:
    from app.answer.assistant import Assistant

    return Assistant(core)


class ChatWorker(QObject):
    """Lives on the chat thread. Owns the Assistant, hence the loaded model; every slot runs on that thread."""

    model_state = Signal(str)
    model_ready = Signal(object)  # app.models.llm.ModelInfo
    model_failed = Signal(str)
    event = Signal(str, object)  # request id, Retrieved | Token | Done | Status | Saved
    failed = Signal(str, object)  # request id, app.gui.errors.Failure (the message, with details)

    def __init__(self, core: CoveCore, assistant_factory: AssistantFactory | None = None) -> None:
        super().__init__()
        self.core = core
        self._factory = assistant_factory or default_assistant
        self.assistant: Assistant | None = None
        self.loaded_path: str | None = None

    def _get_assistant(self) -> Assistant:
        if self.assistant is None:
            self.assistant = self._factory(self.core)
        return self.assistant

    # model --------------------------------------------------------------------------------------------------------
    @Slot(str)
    def load_model(self, path: str) -> None:
        """path "" means "whatever the model_path setting says" (the bundled default when that is empty)."""
        try:
            self._load(path or None)
        except Exception as exc:
            self.model_failed.emit(failure(log, exc, "loading the language model"))

    def _load(self, path: str | None) -> LocalLLM:
        from app.models.llm import model_info

        a = self._get_assistant()
        if not (path or self.core.settings.get_str("model_path")):
            self.model_state.emit("Preparing the bundled model…")
        a.model_path = path
        resolved = str(a.resolve_model_path())
        if self.loaded_path == resolved:
            llm = a.llm
            self.model_ready.emit(llm.info)
            return llm
        self.model_state.emit(f"Loading {model_info(resolved).name}…")
        a.switch_model(path)  # releases the old model first, so two never sit in memory together
        self.loaded_path = None
        llm = a.llm
        self.loaded_path = resolved
        self.model_ready.emit(llm.info)
        return llm

    def _llm(self, request_id: str) -> LocalLLM:
        if self.loaded_path is None:
            from app.models.bundled_model import PREPARING_NOTICE

            first = self._get_assistant().model_needs_preparing()
            self.event.emit(request_id, Status(PREPARING_NOTICE if first else "Loading the model…"))
            return self._load(self._get_assistant().model_path)
        return self._get_assistant().llm

    # questions ----------------------------------------------------------------------------------------------------
    @Slot(object)
    def ask(self, req: AskRequest) -> None:
        from app.answer.answering import Done

        try:
            log.debug("question: %s", req.question)  # the user's words: only when they turned DEBUG on
            if req.stop.is_set():
                self.event.emit(req.id, Done("", (), {}, cancelled=True))
                return
            self._llm(req.id)
            a = self._get_assistant()
            self.event.emit(req.id, Status("Searching your documents…"))
            for ev in a.ask(req.question, conversation_id=req.conversation_id, scope=list(req.scope) or None,
                            stop_event=req.stop):
                if isinstance(ev, Done):
                    conv = getattr(a, "last_conversation_id", None)
                    if conv is not None:
                        self.event.emit(req.id, Saved(int(conv)))
                self.event.emit(req.id, ev)
        except Exception as exc:
            self.failed.emit(req.id, failure(log, exc, "answering a question"))

    @Slot(object)
    def summarize(self, req: SummarizeRequest) -> None:
        """Thread plumbing around `Assistant.summarize` (which reads, summarises and saves to history)."""
        from app.answer.answering import Done, Token
        from app.answer.assistant import SummarySaved
        from app.answer.summarize import SummaryDone, SummaryProgress, SummaryToken

        try:
            self._llm(req.id)
            self.event.emit(req.id, Status("Reading the document…"))
            for ev in self._get_assistant().summarize(req.path, conversation_id=req.conversation_id,
                                                      stop_event=req.stop):
                if isinstance(ev, SummaryProgress):
                    self.event.emit(req.id, Status(ev.describe()))
                elif isinstance(ev, SummaryToken):
                    self.event.emit(req.id, Token(ev.text))
                elif isinstance(ev, SummarySaved):
                    self.event.emit(req.id, Saved(ev.conversation_id))
                elif isinstance(ev, SummaryDone):
                    timings = {"parts": ev.parts, "rounds": ev.rounds, "total_ms": ev.elapsed_ms}
                    self.event.emit(req.id, Done(ev.summary, (), timings, cancelled=ev.cancelled))
        except Exception as exc:
            self.failed.emit(req.id, failure(log, exc, "summarizing a document"))

    def close(self) -> None:
        """Called after the thread has stopped: the model is no longer in use by anyone."""
        if self.assistant is not None:
            self.assistant.close()
        self.assistant = None


class Sink(Protocol):
    def handle(self, event: Any) -> None: ...
    def fail(self, message: str) -> None: ...


class ChatClient(QObject):
    """GUI-side handle of the chat worker: starts its thread, routes events to the widget that asked (a "sink")."""

    _ask = Signal(object)
    _summarize = Signal(object)
    _load = Signal(str)
    model_state = Signal(str)
    model_ready = Signal(object)
    model_failed = Signal(str)
    busy_changed = Signal(bool)
    finished = Signal(str, object)  # request id, final event (Done) — for tests and the tray
    saved = Signal(int)  # a conversation got a new turn (the sidebar refreshes)

    _ids = itertools.count(1)

    def __init__(self, core: CoveCore, assistant_factory: AssistantFactory | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("cove-chat")
        self.worker = ChatWorker(core, assistant_factory)
        self.worker.moveToThread(self.thread)
        self._ask.connect(self.worker.ask)
        self._summarize.connect(self.worker.summarize)
        self._load.connect(self.worker.load_model)
        self.worker.event.connect(self._on_event)
        self.worker.failed.connect(self._on_failed)
        self.worker.model_state.connect(self._on_model_state)
        self.worker.model_ready.connect(self._on_model_ready)
        self.worker.model_failed.connect(self._on_model_failed)
        self._sinks: dict[str, Sink] = {}
        self._requests: dict[str, AskRequest | SummarizeRequest] = {}
        self.model_info: Any = None
        self.model_loading = False
        self.thread.start()

    @property
    def busy(self) -> bool:
        return bool(self._requests)

    def load_model(self, path: str = "") -> None:
        """Switch models without blocking: an answer in progress is stopped, the load runs in the worker.
        "" loads what the model_path setting names (the bundled default when empty)."""
        self.stop()
        self.model_loading = True
        self._load.emit(path)

    def ask(self, question: str, sink: Sink, *, scope: tuple[str, ...] = (),
            conversation_id: int | None = None) -> str:
        req = AskRequest(f"q{next(self._ids)}", question, tuple(scope), conversation_id)
        self._start(req, sink)
        self._ask.emit(req)
        return req.id

    def summarize(self, path: str, sink: Sink, conversation_id: int | None = None) -> str:
        req = SummarizeRequest(f"s{next(self._ids)}", path, conversation_id)
        self._start(req, sink)
        self._summarize.emit(req)
        return req.id

    def stop(self) -> bool:
        """Stop every request in flight; returns whether there was one."""
        for req in self._requests.values():
            req.stop.set()
        return bool(self._requests)

    def _start(self, req: AskRequest | SummarizeRequest, sink: Sink) -> None:
        was_busy = self.busy
        self._sinks[req.id] = sink
        self._requests[req.id] = req
        if not was_busy:
            self.busy_changed.emit(True)

    def _finish(self, request_id: str) -> Sink | None:
        sink = self._sinks.pop(request_id, None)
        self._requests.pop(request_id, None)
        if not self.busy:
            self.busy_changed.emit(False)
        return sink

    def _sink(self, request_id: str) -> Sink | None:
        sink = self._sinks.get(request_id)
        if sink is not None and isinstance(sink, QObject) and not shiboken6.isValid(sink):
            return None
        return sink

    @Slot(str, object)
    def _on_event(self, request_id: str, event: Any) -> None:
        from app.answer.answering import Done

        sink = self._sink(request_id)
        if isinstance(event, Saved):
            self.saved.emit(event.conversation_id)
        if isinstance(event, Done):
            self._finish(request_id)
        if sink is not None:
            sink.handle(event)
        if isinstance(event, Done):
            self.finished.emit(request_id, event)

    @Slot(str, object)
    def _on_failed(self, request_id: str, message: str) -> None:  # a Failure: the sink may offer its details
        sink = self._sink(request_id)
        self._finish(request_id)
        if sink is not None:
            sink.fail(message)

    @Slot(str)
    def _on_model_state(self, text: str) -> None:
        self.model_loading = True
        self.model_state.emit(text)

    @Slot(object)
    def _on_model_ready(self, info: Any) -> None:
        self.model_loading = False
        self.model_info = info
        self.model_ready.emit(info)

    @Slot(str)
    def _on_model_failed(self, message: str) -> None:
        self.model_loading = False
        self.model_failed.emit(message)

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        self.stop()
        self.thread.quit()
        if self.thread.wait(timeout_ms):
            self.worker.close()
