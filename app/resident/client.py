"""The CLI's side of a resident Cove: connect if one runs, send one request, read its events.

Why a thin client: every in-process `cove search` pays for imports and loads (store, embedder) that a running Cove
already holds warm. This module and what it imports are standard library only, so the client path stays well under
the 0.5 s target; `None` from `connect()` means "no server: do the work here", which the CLI does with the same
output. `COVE_NO_SERVER=1` forces in-process work (benchmarks, debugging).
"""
from __future__ import annotations

import contextlib
import errno
import os
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from app.resident.protocol import PROTOCOL_VERSION, LineReader, api_address, encode, rebuild

if TYPE_CHECKING:
    from app.answer.events import AnswerEvent

T = TypeVar("T")


class ServerGone(RuntimeError):
    """The resident Cove went away in the middle of a request (killed, crashed, restarted)."""


class RemoteError(Exception):
    """The request failed inside the resident Cove; printed the way the same failure is printed in-process."""

    def __init__(self, type_name: str, message: str, plain: bool) -> None:
        super().__init__(message)
        self.type_name = type_name
        self.plain = plain  # a user-facing error (settings, index mismatch): "cove: message", no traceback hint


def connect(timeout: float = 2.0) -> socket.socket | None:
    """A connection to this data dir's resident Cove, or None when none runs (or COVE_NO_SERVER is set)."""
    if os.environ.get("COVE_NO_SERVER"):
        return None
    address = api_address()
    if not address or not os.path.exists(address):
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(address)
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.ECONNREFUSED, errno.ENOENT, errno.EACCES, errno.EPERM, errno.ENOTSOCK) \
                or isinstance(exc, socket.timeout):
            return None  # stale socket (server killed), or not ours: work in-process; `cove serve` cleans up
        raise
    sock.settimeout(None)  # replies may take as long as the work (an answer, an index run)
    return sock


class Request:
    """One request on its own connection. Iterate `events()`; `close()` (or leaving the `with`) tells the server to
    stop (a Ctrl-C during an answer or an index run)."""

    def __init__(self, sock: socket.socket, op: str, args: dict[str, Any]) -> None:
        self.sock = sock
        self.op = op
        self.server: dict[str, Any] | None = None
        sock.sendall(encode({"v": PROTOCOL_VERSION, "op": op, "args": args}))
        self._reader = LineReader(sock)

    def events(self) -> Iterator[dict[str, Any]]:
        while True:
            try:
                event = self._reader.read()
            except (ConnectionResetError, BrokenPipeError) as exc:
                raise ServerGone(self._gone_message()) from exc
            if event is None:
                raise ServerGone(self._gone_message())
            kind = event.get("event")
            if kind == "hello":
                self.server = {"pid": event.get("pid"), "since": event.get("since")}
                continue
            if kind == "end":
                return
            if kind == "error":
                raise RemoteError(str(event.get("type", "Error")), str(event.get("message", "")),
                                  bool(event.get("plain")))
            yield event

    def one(self, kind: str) -> dict[str, Any]:
        """The single event of this kind a simple request answers with."""
        found = None
        for event in self.events():
            if event.get("event") == kind:
                found = event
        if found is None:
            raise ServerGone(f"the running Cove gave no {kind!r} reply")
        return found

    def _gone_message(self) -> str:
        pid = (self.server or {}).get("pid")
        who = f"the running Cove (pid {pid})" if pid else "the running Cove"
        return (f"{who} stopped before it finished this {self.op}; run the command again "
                "(with no Cove running it runs here)")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self) -> "Request":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def request(op: str, args: dict[str, Any]) -> Request | None:
    """Send `op` to the resident Cove; None when none runs (then do the work in-process)."""
    sock = connect()
    if sock is None:
        return None
    try:
        return Request(sock, op, args)
    except OSError:  # it died between connect and send: same as not running
        sock.close()
        return None


def records(tp: type[T], items: list[Any]) -> list[T]:
    """Records of type `tp` rebuilt from their JSON form (see app.resident.protocol.rebuild)."""
    return [rebuild(tp, x) for x in items]


class RemoteAsk:
    """`cove ask` through the resident Cove: the same AnswerEvent objects the in-process assistant yields."""

    def __init__(self, req: Request) -> None:
        self.req = req
        self.last_conversation_id: int | None = None

    def events(self) -> Iterator[AnswerEvent]:
        from app.answer.events import Done, Retrieved, Token

        kinds = {"token": Token, "retrieved": Retrieved, "done": Done}
        with self.req:
            for event in self.req.events():
                tp = kinds.get(str(event.get("event")))
                if tp is None:
                    continue
                if tp is Done:
                    self.last_conversation_id = event.get("conversation")
                yield rebuild(tp, event.get("data"))
