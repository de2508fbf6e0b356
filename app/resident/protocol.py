"""The wire between the `cove` CLI and a resident Cove (`cove serve`, or the desktop app): where it listens, how a
message is framed, how records cross it, and who may talk.

Why a sibling of the single-instance socket and not the same one: that socket belongs to the window (a second launch
hands it files to show); the resident API must also exist without any window (`cove serve`), may be held by a
different process than the window, and streams long replies (answers, indexing) on connections that stay open. It
lives next to it, in the same owner-only runtime dir, with the same data-dir key, so each data dir has its own.

Framing: newline-delimited JSON. The client sends one request object `{"v": 1, "op": ..., "args": {...}}` and keeps
its side open (closing it means "stop": a cancelled question or index). The server answers with event objects, one
per line, ending with `{"event": "end"}` or `{"event": "error", ...}`. Records (SearchHit, Done, IndexReport...) are
dataclasses sent with `dataclasses.asdict` and rebuilt from the receiver's own type hints (`rebuild`), so a field
added to a dataclass flows through without touching this module.

This module is imported by the CLI's client path: standard library only (no numpy, torch, lancedb, llama_cpp).
"""
from __future__ import annotations

import json
import os
import socket
import struct
import sys
import types
import typing
from typing import Any

PROTOCOL_VERSION = 1
MAX_LINE = 64 << 20  # 64 MiB: a status of a huge index is big; anything larger is not a Cove peer
IS_LINUX = sys.platform.startswith("linux")


def api_address() -> str | None:
    """The resident API socket of this data dir, or None where Cove has no Unix sockets (Windows: in-process)."""
    if os.name == "nt":
        return None
    from app.desktop.single_instance import default_address

    base = default_address()
    stem = base[:-5] if base.endswith(".sock") else base
    return stem + ".api.sock"


# --- framing ---------------------------------------------------------------------------------------------------------
def _default(obj: Any) -> Any:
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars in timings
        return obj.item()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def encode(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, default=_default).encode("utf-8") + b"\n"


def to_wire(record: Any) -> Any:
    """A dataclass (nested ones too) as plain JSON-ready data."""
    import dataclasses  # here, not at the top: the client sends its request before it needs it (~10 ms with inspect)

    return dataclasses.asdict(record) if dataclasses.is_dataclass(record) else record


class LineReader:
    """Reads newline-delimited JSON from a socket; None at end of stream."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()

    def read(self) -> Any:
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[: i + 1]
                if line.strip():
                    return json.loads(line.decode("utf-8"))
                continue
            block = self.sock.recv(1 << 16)
            if not block:
                return None
            self.buf += block
            if len(self.buf) > MAX_LINE:
                raise ValueError("message too large")


# --- records ---------------------------------------------------------------------------------------------------------
def rebuild(tp: Any, data: Any) -> Any:
    """Rebuild a value of type `tp` (a dataclass, tuple[X, ...], list[X], dict[K, V], Optional...) from JSON data.
    Unknown keys are ignored (a newer server), missing ones take the dataclass default (an older one)."""
    import dataclasses

    if data is None:
        return None
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(data, dict):
            return data
        hints = _hints(tp)
        kwargs = {f.name: rebuild(hints.get(f.name, Any), data[f.name])
                  for f in dataclasses.fields(tp) if f.init and f.name in data}
        return tp(**kwargs)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is tuple and isinstance(data, list):
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(rebuild(args[0], x) for x in data)
        if args:
            return tuple(rebuild(a, x) for a, x in zip(args, data))
        return tuple(data)
    if origin is list and isinstance(data, list):
        return [rebuild(args[0], x) for x in data] if args else list(data)
    if origin is dict and isinstance(data, dict):
        return {k: rebuild(args[1], v) for k, v in data.items()} if len(args) == 2 else dict(data)
    if origin in (typing.Union, types.UnionType):
        for option in args:
            if option is not type(None) and dataclasses.is_dataclass(option) and isinstance(data, dict):
                return rebuild(option, data)
        for option in args:
            if typing.get_origin(option) in (tuple, list) and isinstance(data, list):
                return rebuild(option, data)
        return data
    if tp is tuple and isinstance(data, list):
        return tuple(data)
    return data


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(tp: type) -> dict[str, Any]:
    if tp not in _HINTS:
        try:
            _HINTS[tp] = typing.get_type_hints(tp)
        except Exception:  # an unresolvable annotation: keep raw values for that class
            _HINTS[tp] = {}
    return _HINTS[tp]


# --- who may talk ----------------------------------------------------------------------------------------------------
def peer_uid(conn: socket.socket) -> int | None:
    """The connecting process's uid from the kernel (SO_PEERCRED on Linux), or None where the OS does not say."""
    if IS_LINUX and hasattr(socket, "SO_PEERCRED"):
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
        return uid
    getpeereid = getattr(conn, "getpeereid", None)  # not in CPython today; kept for BSD/macOS builds that add it
    if getpeereid is not None:
        return int(getpeereid()[0])
    return None


def peer_allowed(conn: socket.socket) -> bool:
    """Only the user who runs this Cove. Where the kernel cannot tell, the socket's 0600 mode in a 0700 dir is the
    guard (the same as the single-instance socket)."""
    uid = peer_uid(conn)
    return uid is None or uid == os.getuid()
