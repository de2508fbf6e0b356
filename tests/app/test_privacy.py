"""Privacy you can prove: the in-process guard, owner-only permissions, and the whole product working with no
network at all (a network namespace without interfaces)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

from app import paths
from app.core import CoveCore
from app.privacy import guard
from app.privacy.report import loosened_permissions

ROOT = Path(__file__).resolve().parents[2]


def test_offline_switches_are_set_before_libraries_load():
    code = ("import app, os, sys; assert 'torch' not in sys.modules and 'lancedb' not in sys.modules; "
            "print(os.environ['HF_HUB_OFFLINE'], os.environ['TRANSFORMERS_OFFLINE'], os.environ['HF_HUB_DISABLE_TELEMETRY'])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env={
        k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "1", "1"]


def test_public_connection_is_refused_and_recorded():
    """In a child process, so the deliberate attempts do not count against this process's (expected zero) tally."""
    code = """
import json, socket, app
from app.privacy import guard
from app.privacy.report import report
out = {}
try:
    socket.create_connection(("93.184.216.34", 80), timeout=2)
except guard.NetworkBlocked as exc:
    out["connect"] = str(exc)
try:
    socket.getaddrinfo("example.com", 443)
except guard.NetworkBlocked as exc:
    out["lookup"] = str(exc)
attempts = guard.blocked_attempts()
out["destinations"] = [a.destination for a in attempts]
out["stack_mentions_caller"] = "<string>" in attempts[0].stack
out["reported"] = report()["network_attempts_blocked"]
print(json.dumps(out))
"""
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert "93.184.216.34" in out["connect"] and "nothing leaves this computer" in out["connect"]
    assert "example.com" in out["lookup"]
    assert out["destinations"] == ["93.184.216.34:80", "example.com:443"]
    assert out["stack_mentions_caller"] and out["reported"] == 2


def test_loopback_and_unix_sockets_are_allowed(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname(), timeout=2)
    client.close()
    server.close()
    path = str(tmp_path / "s.sock")
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(path)
    unix.listen(1)
    c = socket.socket(socket.AF_UNIX)
    c.connect(path)
    c.close()
    unix.close()


def test_index_search_ask_make_no_network_attempt(tmp_path, real_embedder):
    before = len(guard.blocked_attempts())
    folder = tmp_path / "docs"
    shutil.copytree(FIXTURES / "search", folder)
    core = CoveCore(embedder=real_embedder)
    core.index([str(folder)])
    assert core.search("lighthouse lamp", k=2)
    from app.answer.assistant import Assistant
    from app.answer.answering import Done

    done = [e for e in Assistant(core).ask("How often is the lamp cleaned?") if isinstance(e, Done)][0]
    assert done.answer
    assert guard.blocked_attempts()[before:] == []


def test_everything_written_is_owner_only(tmp_path, fake_embedder):
    doc = tmp_path / "n.md"
    doc.write_text("# T\n\nSome text about owls.\n")
    core = CoveCore(embedder=fake_embedder)
    core.index([str(doc)])
    core.settings.set("search_k", 5)
    core.settings.save()
    from app.history import History

    History().create_conversation("x")
    for base in (paths.data_dir(), paths.config_dir()):
        for root, dirs, files in os.walk(base):
            assert stat.S_IMODE(os.stat(root).st_mode) == 0o700, root
            for name in files:
                mode = stat.S_IMODE(os.lstat(os.path.join(root, name)).st_mode)
                assert mode & 0o077 == 0, f"{name}: {oct(mode)}"
    assert loosened_permissions() == []
    os.chmod(paths.config_dir() / "settings.json", 0o644)
    assert any("settings.json" in p for p in loosened_permissions())


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode == 0


@pytest.mark.slow
def test_whole_product_works_in_a_network_namespace_with_no_interfaces(tmp_path):
    if not _unshare_works():
        print("SKIP reason: `unshare --net` is unavailable here (needs util-linux and CAP_SYS_ADMIN)")
        pytest.skip("`unshare --net` unavailable (needs util-linux and CAP_SYS_ADMIN)")
    folder = tmp_path / "docs"
    shutil.copytree(FIXTURES / "search", folder)
    env = {**os.environ}
    base = ["unshare", "--net", sys.executable, "-m", "app.cli"]

    def cove(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
        return subprocess.run([*base, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)

    assert subprocess.run(["unshare", "--net", sys.executable, "-c",
                           "import socket; socket.create_connection(('1.1.1.1', 53), timeout=1)"],
                          capture_output=True).returncode != 0, "the namespace must have no network"
    r = cove("index", str(folder))
    assert r.returncode == 0, r.stderr
    r = cove("ask", "How often is the lamp cleaned?", "--json")
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout)
    assert answer["sources"] and answer["answer"]

    watcher = subprocess.Popen([*base, "watch", str(folder)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(3)
        (folder / "lighthouse.md").write_text("# Lighthouse\n\nThe foghorn is tested every Friday at noon.\n")
        deadline = time.monotonic() + 180
        found = False
        while time.monotonic() < deadline and not found:
            time.sleep(1)
            r = cove("search", "foghorn tested Friday", "-k", "1", "--json")
            found = r.returncode == 0 and "foghorn" in r.stdout
        assert found, "the watcher did not index the edit offline"
    finally:
        watcher.send_signal(signal.SIGINT)
        try:
            watcher.wait(timeout=60)
        except subprocess.TimeoutExpired:
            watcher.kill()
    assert watcher.returncode == 0, watcher.stdout.read() if watcher.stdout else ""
