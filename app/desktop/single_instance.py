"""One Cove per user and data dir: a second launch hands its files to the running window over a local socket.

Why a socket and not a lock file: the second process must deliver a message ("open these files, scope the next
question to them"), and a socket that answers is also the only reliable proof that the first process is alive; a
socket file nobody listens on (a crash, a kill -9) is stale and removed.

Transport: POSIX uses an AF_UNIX stream socket, 0600, in $XDG_RUNTIME_DIR (else the data dir, else a private dir
under /tmp when the path would be too long); its name carries a hash of the data dir, so a portable or test data
dir (COVE_DATA_DIR) gets its own instance. Windows will use a named pipe through multiprocessing.connection (the
`_pipe_*` helpers); nothing else changes. AF_UNIX is local by definition and allowed by the privacy guard.

Protocol: the client sends one JSON object and a newline; the server answers {"ok": true} once `on_message` has
taken it. Messages: {"open": [absolute paths], "action": "ask"} (index these, scope the next question to them),
{"action": "show"} (raise the window), {"action": "quick-ask"} (the quick-ask popup). {"action": "ping"} is answered
by the server itself (used to ask "is Cove running?") and never reaches `on_message`.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import socket
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

from app import paths

log = logging.getLogger(__name__)

MAX_MESSAGE = 1 << 20  # 1 MiB: thousands of paths; anything bigger is not a Cove client
_SUN_PATH_MAX = 100  # sockaddr_un.sun_path is 108 bytes on Linux, 104 on macOS; keep a margin
ACTIONS = ("ask", "show", "quick-ask", "ping")
IS_WINDOWS = os.name == "nt"


def _instance_key() -> str:
    return hashlib.sha256(str(paths.data_dir()).encode("utf-8")).hexdigest()[:16]


def default_address() -> str:
    """Where this data dir's instance listens: a socket path (POSIX) or a pipe name (Windows)."""
    key = _instance_key()
    if IS_WINDOWS:
        return rf"\\.\pipe\cove-{key}"
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    candidates = []
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime) and os.access(runtime, os.W_OK):
        candidates.append(Path(runtime) / f"cove-{key}.sock")
    candidates.append(paths.data_dir() / "instance.sock")
    for candidate in candidates:
        if len(os.fsencode(str(candidate))) <= _SUN_PATH_MAX:
            return str(candidate)
    private = Path(tempfile.gettempdir()) / f"cove-{os.getuid()}"
    private.mkdir(mode=0o700, exist_ok=True)
    if private.stat().st_uid != os.getuid() or stat.S_IMODE(private.stat().st_mode) & 0o077:
        raise PermissionError(f"{private} is not a private directory owned by you; remove it and retry")
    return str(private / f"cove-{key}.sock")


def open_message(files: list[str], action: str = "ask") -> dict[str, Any]:
    """The message a second launch sends: absolute paths, because the running instance has another cwd."""
    return {"open": [os.path.abspath(os.path.expanduser(f)) for f in files], "action": action}


def _validate(message: Any) -> dict[str, Any]:
    if not isinstance(message, dict):
        raise ValueError("a message is a JSON object")
    action = message.get("action", "ask" if message.get("open") else "show")
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    files = message.get("open", [])
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise ValueError("'open' must be a list of paths")
    return {**message, "action": action, "open": files}


@contextlib.contextmanager
def _startup_lock(address: str) -> Iterator[None]:
    """Serialises "is it stale? remove it, bind mine" between two launches racing each other (POSIX only)."""
    import fcntl

    fd = os.open(address + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _listener_alive(address: str, timeout: float) -> bool:
    """True when something accepts connections on the socket file; False when nobody listens (stale) or no file."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(timeout)
    try:
        probe.connect(address)
        return True
    except socket.timeout:
        return True  # a listener so busy that its backlog is full is still alive
    except OSError as exc:
        if exc.errno in (errno.ECONNREFUSED, errno.ENOENT, errno.ENOTSOCK):
            return False
        raise
    finally:
        probe.close()


def _remove_if_stale(address: str, timeout: float = 0.5) -> bool:
    """Delete a socket file nobody listens on. Returns True if one was removed. Never deletes a non-socket."""
    try:
        st = os.lstat(address)
    except FileNotFoundError:
        return False
    if not stat.S_ISSOCK(st.st_mode):
        raise FileExistsError(f"{address} exists and is not a socket; remove it and retry")
    if _listener_alive(address, timeout):
        return False
    with contextlib.suppress(FileNotFoundError):
        os.unlink(address)
    log.info("removed a stale Cove instance socket %s", address)
    return True


def _read_json_line(conn: socket.socket) -> Any:
    buf = bytearray()
    while b"\n" not in buf:
        block = conn.recv(65536)
        if not block:
            break
        buf += block
        if len(buf) > MAX_MESSAGE:
            raise ValueError("message too large")
    line = bytes(buf).split(b"\n", 1)[0]
    return json.loads(line.decode("utf-8")) if line.strip() else None


def _send_json_line(conn: socket.socket, obj: Any) -> None:
    conn.sendall(json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n")


def accepted(sock: socket.socket, stop: threading.Event) -> Iterator[socket.socket]:
    """Connections on a listening socket (which has a timeout, so `stop` is seen) until `stop` is set; the error of a
    socket closed by stop() ends the loop quietly. Shared by this server and the resident API (app/resident)."""
    while not stop.is_set():
        try:
            conn, _ = sock.accept()
        except socket.timeout:
            continue
        except OSError:
            if stop.is_set():
                return
            raise
        yield conn


class InstanceServer:
    """The first instance's listener: a daemon thread that hands each valid message to `on_message`.

    `on_message` runs on the listener thread; a GUI must forward it to its own thread (a Qt signal). `start()` returns
    False when another instance already listens (then send it your message and exit)."""

    def __init__(self, on_message: Callable[[dict[str, Any]], None], address: str | None = None) -> None:
        self.on_message = on_message
        self.address = address or default_address()
        self._sock: socket.socket | None = None
        self._inode: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        if self.running:
            return True
        if IS_WINDOWS:
            return self._pipe_start()
        Path(self.address).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _startup_lock(self.address):
            _remove_if_stale(self.address)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            old_umask = os.umask(0o177)  # the socket file is created 0600: nobody else may talk to Cove
            try:
                sock.bind(self.address)
            except OSError as exc:
                sock.close()
                if exc.errno == errno.EADDRINUSE:
                    return False  # a live instance owns it (stale ones were just removed under the lock)
                raise
            finally:
                os.umask(old_umask)
            os.chmod(self.address, 0o600)
            sock.listen(8)
        sock.settimeout(0.2)  # the accept loop wakes up to notice stop()
        st = os.stat(self.address)
        self._sock, self._inode = sock, (st.st_dev, st.st_ino)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="cove-single-instance", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        """Stop listening and remove the socket file (only if it is still ours, not a successor's)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            with contextlib.suppress(OSError):
                st = os.stat(self.address)
                if (st.st_dev, st.st_ino) == self._inode:
                    os.unlink(self.address)

    def __enter__(self) -> "InstanceServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        assert self._sock is not None
        for conn in accepted(self._sock, self._stop):
            with conn:
                conn.settimeout(2.0)
                self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        try:
            message = _validate(_read_json_line(conn))
        except (ValueError, OSError) as exc:  # JSONDecodeError is a ValueError
            with contextlib.suppress(OSError):
                _send_json_line(conn, {"ok": False, "error": str(exc)})
            return
        reply: dict[str, Any] = {"ok": True}
        if message["action"] != "ping":
            try:
                self.on_message(message)
            except Exception as exc:  # the running app must survive a bad hand-off
                log.exception("single-instance message handler failed")
                reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        with contextlib.suppress(OSError):
            _send_json_line(conn, reply)

    def _pipe_start(self) -> bool:  # pragma: no cover - Windows
        from multiprocessing.connection import Listener

        try:
            listener = Listener(self.address, family="AF_PIPE")
        except OSError:
            return False  # the pipe name is taken: a live instance
        self._stop.clear()

        def serve() -> None:
            while not self._stop.is_set():
                with listener.accept() as conn:
                    try:
                        message = _validate(json.loads(conn.recv_bytes(MAX_MESSAGE).decode("utf-8")))
                        if message["action"] != "ping":
                            self.on_message(message)
                        conn.send_bytes(b'{"ok": true}')
                    except Exception as exc:
                        conn.send_bytes(json.dumps({"ok": False, "error": str(exc)}).encode("utf-8"))

        self._thread = threading.Thread(target=serve, name="cove-single-instance", daemon=True)
        self._thread.start()
        return True


def send_to_running(message: dict[str, Any], timeout: float = 1.0, address: str | None = None) -> bool:
    """Give `message` to the running instance. True only if one took it; False if none runs (stale socket removed)."""
    message = _validate(message)
    address = address or default_address()
    if IS_WINDOWS:
        return _pipe_send(address, message)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(address)
        _send_json_line(sock, message)
        sock.shutdown(socket.SHUT_WR)
        reply = _read_json_line(sock)
    except (FileNotFoundError, ConnectionRefusedError):
        sock.close()
        if os.path.lexists(address):
            with contextlib.suppress(OSError), _startup_lock(address):
                _remove_if_stale(address)
        return False
    except (OSError, ValueError) as exc:  # a timeout, a reset, or garbage back: treat as not taken
        log.warning("single-instance hand-off to %s failed: %s", address, exc)
        return False
    finally:
        sock.close()
    return isinstance(reply, dict) and reply.get("ok") is True


def is_running(timeout: float = 1.0, address: str | None = None) -> bool:
    """Whether an instance answers, without disturbing it."""
    return send_to_running({"action": "ping"}, timeout=timeout, address=address)


def _pipe_send(address: str, message: dict[str, Any]) -> bool:  # pragma: no cover - Windows
    from multiprocessing.connection import Client

    try:
        with Client(address, family="AF_PIPE") as conn:
            conn.send_bytes(json.dumps(message).encode("utf-8"))
            if not conn.poll(1.0):
                return False
            reply = json.loads(conn.recv_bytes(MAX_MESSAGE).decode("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(reply, dict) and reply.get("ok") is True
