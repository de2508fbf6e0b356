"""Only the owner talks to a resident Cove: another uid cannot even open the socket (0600 in a private dir), and if
the file system were opened up, the server still refuses it by its kernel-reported uid (SO_PEERCRED). Real sockets,
a real second user (`nobody`) in a forked child; skipped where this process cannot switch uid."""
from __future__ import annotations

import errno
import os
import pwd
import socket
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from app.resident.protocol import encode
from app.resident.server import ResidentServer


def _nobody() -> int:
    if not sys.platform.startswith("linux"):
        pytest.skip("SO_PEERCRED and this test are Linux-only")
    if os.getuid() != 0:
        pytest.skip("switching to another uid needs root (run as root to test refusal of another user)")
    try:
        return pwd.getpwnam("nobody").pw_uid
    except KeyError:
        pytest.skip("no 'nobody' user on this machine")


def _as_other_user(uid: int, address: str) -> str:
    """In a forked child running as `uid`: connect, send a ping, report what happened."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        outcome = "?"
        try:
            os.setgid(uid)
            os.setuid(uid)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(10)
            try:
                s.connect(address)
            except PermissionError:
                outcome = "EACCES"
            else:
                s.settimeout(3)
                try:  # a refused peer is told at once, before it sends anything
                    reply = s.recv(65536)
                except socket.timeout:  # an accepted peer: the server waits for its request
                    s.settimeout(10)
                    s.sendall(encode({"v": 1, "op": "status", "args": {}}))
                    reply = s.recv(65536)
                outcome = "reply:" + reply.decode("utf-8", "replace")
        except OSError as exc:
            outcome = f"error:{errno.errorcode.get(exc.errno or 0, exc.errno)}"
        finally:
            os.write(w, outcome.encode())
            os._exit(0)
    os.close(w)
    chunks = []
    while True:
        block = os.read(r, 65536)
        if not block:
            break
        chunks.append(block)
    os.close(r)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode()


class _NoCore:
    """A refused peer must never reach the core: any use of it fails the test."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"a refused peer reached the core ({name})")


def test_another_user_cannot_open_the_socket(tmp_path: Path) -> None:
    uid = _nobody()
    private = tmp_path / "run"
    private.mkdir(mode=0o700)
    server = ResidentServer(_NoCore(), address=str(private / "cove.api.sock"))
    assert server.start()
    try:
        assert oct(os.stat(server.address).st_mode & 0o777) == "0o600"
        assert _as_other_user(uid, server.address) == "EACCES"
    finally:
        server.stop()


def test_another_user_is_refused_by_uid_even_if_the_file_allows_it(tmp_path: Path) -> None:
    uid = _nobody()
    open_dir = Path(tempfile.mkdtemp(prefix="cove-open-"))  # under /tmp: every parent searchable by others
    os.chmod(open_dir, 0o777)
    server = ResidentServer(_NoCore(), address=str(open_dir / "cove.api.sock"))
    assert server.start()
    try:
        os.chmod(server.address, 0o666)  # a mistake by someone: the second guard must still hold
        outcome = _as_other_user(uid, server.address)
        assert outcome.startswith("reply:"), outcome
        assert '"PermissionError"' in outcome and "another user" in outcome
        assert '"status"' not in outcome and '"hello"' not in outcome  # refused before any request was read
    finally:
        server.stop()
        shutil.rmtree(open_dir, ignore_errors=True)
