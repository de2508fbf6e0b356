"""Single-instance hand-off: a second launch gives its files to the running Cove over a local socket."""
from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from app.cli import main
from app.desktop import single_instance as si
from app.privacy import guard

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def address() -> Iterator[str]:
    """A short socket path (sun_path is ~100 bytes; pytest's tmp paths can be longer)."""
    directory = tempfile.mkdtemp(prefix="cv-", dir="/tmp")
    yield os.path.join(directory, "cove.sock")
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def inbox() -> "queue.Queue[tuple[dict[str, Any], str]]":
    return queue.Queue()


@pytest.fixture
def server(address: str, inbox: "queue.Queue[tuple[dict[str, Any], str]]") -> Iterator[si.InstanceServer]:
    srv = si.InstanceServer(lambda msg: inbox.put((msg, threading.current_thread().name)), address=address)
    assert srv.start() is True
    yield srv
    srv.stop()


def test_second_instance_hands_files_to_the_first(server: si.InstanceServer, inbox: queue.Queue,
                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert si.send_to_running(si.open_message(["report.pdf"]), address=server.address) is True
    message, thread = inbox.get(timeout=2)
    assert message == {"open": [str(tmp_path / "report.pdf")], "action": "ask"}
    assert thread == "cove-single-instance"  # the GUI must forward it to its own thread
    assert si.send_to_running({"action": "show"}, address=server.address) is True
    assert inbox.get(timeout=2)[0] == {"action": "show", "open": []}


def test_ping_does_not_reach_the_app(server: si.InstanceServer, inbox: queue.Queue) -> None:
    assert si.is_running(address=server.address) is True
    assert inbox.empty()


def test_no_instance_means_false_quickly(address: str) -> None:
    started = time.perf_counter()
    assert si.send_to_running(si.open_message(["/x.pdf"]), address=address) is False
    assert si.is_running(address=address) is False
    assert time.perf_counter() - started < 0.5


def test_socket_is_owner_only_and_removed_on_stop(address: str) -> None:
    srv = si.InstanceServer(lambda msg: None, address=address)
    assert srv.start()
    assert stat.S_ISSOCK(os.lstat(address).st_mode)
    assert stat.S_IMODE(os.lstat(address).st_mode) == 0o600
    srv.stop()
    assert not os.path.exists(address)
    assert si.send_to_running({"action": "show"}, address=address) is False


def test_only_one_server_per_address(server: si.InstanceServer) -> None:
    other = si.InstanceServer(lambda msg: None, address=server.address)
    assert other.start() is False
    other.stop()  # must not remove the live server's socket
    assert si.is_running(address=server.address) is True


def _stale_socket(address: str) -> None:
    """What a crashed Cove leaves behind: a bound socket file nobody listens on."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(address)
    sock.close()
    assert stat.S_ISSOCK(os.lstat(address).st_mode)


def test_stale_socket_is_removed_by_a_client(address: str) -> None:
    _stale_socket(address)
    assert si.send_to_running({"action": "show"}, address=address) is False
    assert not os.path.exists(address)


def test_stale_socket_is_replaced_by_a_new_server(address: str, inbox: queue.Queue) -> None:
    _stale_socket(address)
    with si.InstanceServer(lambda msg: inbox.put(msg), address=address) as srv:
        assert srv.running
        assert si.send_to_running(si.open_message(["/a.eml"]), address=address)
        assert inbox.get(timeout=2)["open"] == ["/a.eml"]


def test_a_regular_file_in_the_way_is_never_deleted(address: str) -> None:
    Path(address).write_text("not a socket")
    with pytest.raises(FileExistsError):
        si.InstanceServer(lambda msg: None, address=address).start()
    assert Path(address).read_text() == "not a socket"


def test_bad_messages_and_failing_handler_do_not_kill_the_server(address: str) -> None:
    calls: list[dict[str, Any]] = []

    def handler(msg: dict[str, Any]) -> None:
        calls.append(msg)
        raise RuntimeError("window closing")

    with si.InstanceServer(handler, address=address):
        for garbage in (b"not json\n", b"[1, 2]\n", b'{"action": "format-disk"}\n', b'{"open": "x"}\n'):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
                raw.settimeout(2)
                raw.connect(address)
                raw.sendall(garbage)
                assert b'"ok": false' in raw.recv(4096)
        assert si.send_to_running({"action": "show"}, address=address) is False  # the handler failed
        assert calls == [{"action": "show", "open": []}]
        assert si.is_running(address=address) is True
    with pytest.raises(ValueError):
        si.send_to_running({"action": "format-disk"}, address=address)


def test_privacy_guard_allows_the_local_socket(server: si.InstanceServer) -> None:
    before = len(guard.blocked_attempts())
    assert si.send_to_running({"action": "show"}, address=server.address)
    assert len(guard.blocked_attempts()) == before
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        guard._audit("socket.connect", (sock, server.address))  # raises NetworkBlocked if it were refused


def test_address_is_per_data_dir_and_prefers_the_runtime_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp"))
    try:
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
        monkeypatch.setenv("COVE_DATA_DIR", str(tmp_path / "a"))
        first = si.default_address()
        monkeypatch.setenv("COVE_DATA_DIR", str(tmp_path / "b"))
        second = si.default_address()
        assert first != second and Path(first).parent == runtime and first.endswith(".sock")
        monkeypatch.delenv("XDG_RUNTIME_DIR")
        monkeypatch.setenv("COVE_DATA_DIR", str(tmp_path / ("long-" * 30)))
        fallback = si.default_address()  # the data dir path is too long for a socket: a private temp dir
        assert len(fallback) <= 100 and stat.S_IMODE(os.stat(Path(fallback).parent).st_mode) == 0o700
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


def test_cove_gui_hands_off_to_the_running_instance(server: si.InstanceServer, inbox: queue.Queue,
                                                    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(si, "default_address", lambda: server.address)
    launched: list[list[str]] = []
    monkeypatch.setattr("app.desktop.launch.launch_gui", lambda argv: launched.append(argv) or 0)
    doc = tmp_path / "notes.pdf"
    doc.write_bytes(b"%PDF-1.4")
    assert main(["gui", str(doc)]) == 0
    assert inbox.get(timeout=2)[0]["open"] == [str(doc)]
    assert "already open" in capsys.readouterr().out
    assert main(["gui", "--tray"]) == 0  # autostart while running: no window pops up, no message
    assert inbox.empty() and launched == []
    assert main(["gui", str(tmp_path / "missing.pdf")]) == 2


def test_cove_gui_starts_the_app_when_none_runs(address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(si, "default_address", lambda: address)
    launched: list[list[str]] = []
    monkeypatch.setattr("app.desktop.launch.launch_gui", lambda argv: launched.append(argv) or 0)
    doc = tmp_path / "a.docx"
    doc.write_bytes(b"PK")
    assert main(["gui", "--tray", str(doc)]) == 0
    assert launched == [["--tray", str(doc)]]


CHILD = """
import sys, time
from app.desktop.single_instance import InstanceServer
got = []
srv = InstanceServer(got.append, address=sys.argv[1])
print("started" if srv.start() else "taken", flush=True)
while not got:
    time.sleep(0.02)
print("got", got[0]["open"], flush=True)
time.sleep(30)  # stay alive until killed: the test kills it hard, as a crash would
"""


@pytest.mark.slow
def test_real_second_process_and_a_killed_first_one(address: str, tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen([sys.executable, "-c", CHILD, address], stdout=subprocess.PIPE, text=True, env=env,
                             cwd=ROOT)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "started"
        assert si.InstanceServer(lambda msg: None, address=address).start() is False  # the child owns it
        assert si.send_to_running(si.open_message([str(tmp_path / "x.eml")]), address=address) is True
        assert child.stdout.readline().strip() == f"got ['{tmp_path / 'x.eml'}']"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        assert stat.S_ISSOCK(os.lstat(address).st_mode)  # a crash leaves the socket file behind
        assert si.send_to_running({"action": "show"}, address=address) is False
        assert not os.path.exists(address)  # ... and the next launch cleans it up
    finally:
        child.kill()
        child.wait(timeout=10)
