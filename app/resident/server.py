"""A resident Cove: one long-lived process (`cove serve`, or the desktop app) keeps the store, the query embedder and
the model warm and answers the CLI's search / ask / status / index requests over the owner-only API socket.

Why: a cold `cove search` paid ~14 s of imports and loads per call and `cove ask` ~20 s (issue 12); a warm process
answers in milliseconds. Threads: the accept loop checks each peer's uid (SO_PEERCRED) and hands the connection to
its own thread. Searches and status run concurrently (the searcher is safe beside the writer); questions take turns
on the one model; index requests queue for the single low-priority indexer thread, one writer at a time.
Only an AF_UNIX socket is ever opened: no TCP, nothing reachable from another machine.
"""
from __future__ import annotations

import contextlib
import errno
import logging
import os
import queue
import socket
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from app.resident.protocol import LineReader, api_address, encode, peer_allowed, to_wire

if TYPE_CHECKING:
    from app.answer.assistant import Assistant
    from app.core import CoveCore
    from indexer.progress import IndexProgress, IndexReport

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 32  # concurrent clients; more are told to retry (a person's shell never gets near this)
PROGRESS_INTERVAL_S = 0.1  # index progress events at most 10/s: the CLI's live line repaints no faster


class _Conn:
    """One client connection: thread-safe sends, and an Event set when the client hangs up (= stop)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.hung_up = threading.Event()
        self._send_lock = threading.Lock()

    def send(self, event: dict[str, Any]) -> None:
        with self._send_lock:
            try:
                self.sock.sendall(encode(event))
            except OSError:
                self.hung_up.set()
                raise

    def watch_hangup(self, reader: LineReader) -> None:
        """While a long request runs, anything but more data from the client means it went away."""
        def watch() -> None:
            try:
                while reader.read() is not None:
                    pass
            except (OSError, ValueError):
                pass
            self.hung_up.set()

        threading.Thread(target=watch, name="cove-api-hangup", daemon=True).start()


class ResidentServer:
    def __init__(self, core: CoveCore | None = None, *, assistant: Assistant | None = None,
                 address: str | None = None, assistant_factory: Callable[[CoveCore], Assistant] | None = None) -> None:
        if core is None:
            from app.core import CoveCore

            core = CoveCore()
        self.core = core
        self._assistant = assistant
        self._assistant_factory = assistant_factory
        self.address = address or api_address()
        self.pid = os.getpid()
        self.since = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self._sock: socket.socket | None = None
        self._inode: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._ask_lock = threading.Lock()  # one model, one question at a time
        self._indexer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cove-indexer",
                                           initializer=_lower_priority)  # the single writer
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._lock = threading.Lock()

    # --- lifecycle -----------------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def info(self) -> dict[str, Any]:
        return {"pid": self.pid, "since": self.since}

    def start(self) -> bool:
        """Listen. False when another resident Cove already serves this data dir."""
        if self.running:
            return True
        if not self.address:
            return False
        from app.desktop.single_instance import _remove_if_stale, _startup_lock

        Path(self.address).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _startup_lock(self.address):
            _remove_if_stale(self.address)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            old_umask = os.umask(0o177)  # created 0600: the file system is the first guard, SO_PEERCRED the second
            try:
                sock.bind(self.address)
            except OSError as exc:
                sock.close()
                if exc.errno == errno.EADDRINUSE:
                    return False
                raise
            finally:
                os.umask(old_umask)
            os.chmod(self.address, 0o600)
            sock.listen(16)
        sock.settimeout(0.2)  # the accept loop notices stop()
        st = os.stat(self.address)
        self._sock, self._inode = sock, (st.st_dev, st.st_ino)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="cove-api", daemon=True)
        self._thread.start()
        return True

    def warm_up(self, model: bool = True) -> None:
        """Open the store, load the query embedder and (optionally) the model, so the first request is fast."""
        self.core.searcher.documents()
        self.core.query_embedder.embed(["warm up"])
        if model:
            _ = self.assistant.llm

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            with contextlib.suppress(OSError):
                st = os.stat(self.address)  # type: ignore[arg-type]
                if (st.st_dev, st.st_ino) == self._inode and stat.S_ISSOCK(st.st_mode):
                    os.unlink(self.address)  # type: ignore[arg-type]
        self._indexer.shutdown(wait=False, cancel_futures=True)

    @property
    def assistant(self) -> Assistant:
        with self._lock:
            if self._assistant is None:
                if self._assistant_factory is not None:
                    self._assistant = self._assistant_factory(self.core)
                else:  # the one model of this process: the desktop app's chat shares it (shared_assistant.py)
                    from app.resident.shared_assistant import shared_assistant

                    self._assistant = shared_assistant(self.core)
            return self._assistant

    # --- connections ---------------------------------------------------------------------------------------------
    def _serve(self) -> None:
        from app.desktop.single_instance import accepted

        assert self._sock is not None
        for sock in accepted(self._sock, self._stop):
            try:
                allowed = peer_allowed(sock)
            except OSError:  # the kernel could not say who it is: refuse
                allowed = False
            if not allowed:
                log.warning("refused a Cove API connection from another user")
                with contextlib.suppress(OSError):
                    sock.sendall(encode({"event": "error", "type": "PermissionError", "plain": True,
                                         "message": "refused: this Cove belongs to another user"}))
                sock.close()
                continue
            if not self._slots.acquire(blocking=False):
                with contextlib.suppress(OSError):
                    sock.sendall(encode({"event": "error", "type": "BusyError", "plain": True,
                                         "message": "the running Cove is busy; try again"}))
                sock.close()
                continue
            threading.Thread(target=self._handle, args=(sock,), name="cove-api-conn", daemon=True).start()

    def _handle(self, sock: socket.socket) -> None:
        conn = _Conn(sock)
        try:
            sock.settimeout(10.0)  # the request line comes right away; replies may take as long as the work
            reader = LineReader(sock)
            request = reader.read()
            sock.settimeout(None)
            if not isinstance(request, dict) or not isinstance(request.get("op"), str):
                raise ValueError("a request is a JSON object with an 'op'")
            handler = getattr(self, "_op_" + request["op"].replace("-", "_"), None)
            if handler is None:
                raise ValueError(f"unknown request {request['op']!r}")
            conn.send({"event": "hello", **self.info()})
            conn.watch_hangup(reader)
            handler(conn, dict(request.get("args") or {}))
            conn.send({"event": "end"})
        except Exception as exc:  # the server survives any one request
            if not conn.hung_up.is_set():
                with contextlib.suppress(OSError):
                    conn.send(_error_event(exc))
                if not isinstance(exc, (OSError, ValueError)):
                    log.exception("Cove API request failed")
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            self._slots.release()

    # --- operations ----------------------------------------------------------------------------------------------
    def _op_ping(self, conn: _Conn, args: dict[str, Any]) -> None:
        loaded = self._assistant is not None and bool(getattr(self._assistant, "model_loaded", False))
        conn.send({"event": "result", "server": self.info(), "model_loaded": loaded})

    def _op_status(self, conn: _Conn, args: dict[str, Any]) -> None:
        status = self.core.status()
        status["server"] = self.info()
        conn.send({"event": "result", "status": status})

    def _op_search(self, conn: _Conn, args: dict[str, Any]) -> None:
        from app.core import locations_of

        started = time.perf_counter()
        hits = self.core.search(str(args["query"]), args.get("k"), scope=args.get("scope"),
                                mode=args.get("mode", "hybrid"), **dict(args.get("filters") or {}))
        took_ms = (time.perf_counter() - started) * 1000
        conn.send({"event": "result", "took_ms": took_ms, "hits": [to_wire(h) for h in hits],
                   "locations": locations_of(self.core, hits)})

    def _op_ask(self, conn: _Conn, args: dict[str, Any]) -> None:
        from app.answer.answering import Done, Retrieved, Token

        assistant = self.assistant
        conversation = args.get("conversation")
        if args.get("follow_up") and conversation is None:
            recent = assistant.history.list_conversations()
            conversation = recent[0].id if recent else None
        names = {Token: "token", Retrieved: "retrieved", Done: "done"}
        with self._ask_lock:
            for event in assistant.ask(str(args["question"]), conversation_id=conversation, k=args.get("k"),
                                       scope=args.get("scope"), email_only=bool(args.get("email")),
                                       stop_event=conn.hung_up, filters=dict(args.get("filters") or {})):
                out: dict[str, Any] = {"event": names.get(type(event), type(event).__name__.lower()),
                                       "data": to_wire(event)}
                if isinstance(event, Done):
                    out["conversation"] = getattr(assistant, "last_conversation_id", None)
                try:
                    conn.send(out)
                except OSError:
                    return  # the client left: hung_up is set, generation stops at the next token

    def _op_index(self, conn: _Conn, args: dict[str, Any]) -> None:
        paths_ = [str(p) for p in args["paths"]]
        events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        future = self._indexer.submit(self._index_job, paths_, bool(args.get("rebuild")), events, conn.hung_up)
        while True:
            try:
                item = events.get(timeout=0.5)
            except queue.Empty:
                if future.done() and events.empty():  # never started (server stopping) or already finished
                    break
                continue
            if item is None:
                break
            with contextlib.suppress(OSError):
                conn.send(item)
        report = future.result()  # raises what the run raised
        conn.send({"event": "report", "report": to_wire(report)})

    def _index_job(self, paths_: list[str], rebuild: bool, events: queue.Queue, cancel: threading.Event) -> IndexReport:
        """On the single indexer thread (low priority): the same steps as an in-process `cove index`."""
        last = [0.0]

        def notice(message: str) -> None:
            events.put({"event": "notice", "message": message})

        def progress(p: IndexProgress) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_INTERVAL_S or p.phase != "indexing" or 0 < p.file_total == p.file_done:
                last[0] = now
                events.put({"event": "progress", "progress": to_wire(p)})

        try:
            core = self.core
            if cancel.is_set():
                raise RuntimeError("cancelled before it started")
            for path in core.index_again(paths_):
                notice(f"{path} was forgotten; indexing it again as asked")
            if rebuild:
                core.close()  # drop the open (mismatched) store; the next open rebuilds it
            core.open_store_for_writing(rebuild=rebuild)
            core.indexer.on_wait = notice
            return core.index(paths_, origin="cli", on_progress=progress, cancel=cancel)  # only `cove index` asks
        finally:
            events.put(None)


def _lower_priority() -> None:
    from indexer.priority import lower_this_thread

    lower_this_thread()


_PLAIN_ERRORS = ("SettingsError", "StoreMismatch")  # printed as "cove: message", as app.cli.main does


def _error_event(exc: BaseException) -> dict[str, Any]:
    name = type(exc).__name__
    return {"event": "error", "type": name, "message": str(exc), "plain": name in _PLAIN_ERRORS}


def serve_forever(server: ResidentServer, *, stop: threading.Event | None = None,
                  on_ready: Callable[[], None] | None = None) -> None:
    """Block until `stop` is set (the `cove serve` command wires SIGTERM/SIGINT to it)."""
    stop = stop or threading.Event()
    if on_ready is not None:
        on_ready()
    try:
        while not stop.wait(0.5):
            if not server.running:
                break
    finally:
        server.stop()


def start_resident(core: CoveCore) -> ResidentServer | None:
    """The desktop app's resident API over its own core (window or tray). None when a `cove serve` (or another app)
    already serves this data dir, or the socket cannot be made: the app works the same, the CLI then uses the other
    server or works in-process."""
    try:
        server = ResidentServer(core)
        return server if server.start() else None
    except OSError as exc:
        log.warning("the resident Cove API could not start: %s", exc)
        return None
