"""`cove` against a running `cove serve` (real subprocesses, a real store, the real bundled model): the same JSON as
in-process work, streamed answers, the `server` field, no network sockets, and a clean fall-back when the server
dies mid-question (issue 12). The kill test comes last: it ends this module's server."""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.app.serve_helpers import QUESTION, REPO, SQUAD, Server, cove, env_for, make_docs, write_settings
from tests.conftest import CORPORA, corpus

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    corpus(*SQUAD.relative_to(CORPORA).parts)  # skips with a message when absent, fails when CI is set
    base = tmp_path_factory.mktemp("serve")
    data = base / "data"
    docs = make_docs(base / "docs")
    write_settings(data, temperature=0)  # greedy decoding: the same answer in and out of the server
    r = cove(data, "index", str(docs), "--json", server=False)
    assert r.returncode == 0, r.stderr
    server = Server(data)
    server.wait_ready()
    yield data, docs, server
    server.stop()


def _json(r: subprocess.CompletedProcess[str]) -> dict:
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_search_same_json(served) -> None:  # type: ignore[no-untyped-def]
    data, docs, server = served
    for args in (["search", "Geordie dialect", "--json"], ["search", "oxygen", "-k", "3", "--mode", "vector",
                                                          "--scope", str(docs / "Oxygen.txt"), "--json"]):
        remote, local = _json(cove(data, *args)), _json(cove(data, *args, server=False))
        assert remote["results"], "the server found nothing"
        remote.pop("took_ms"), local.pop("took_ms")
        assert remote == local
    text_remote, text_local = cove(data, "search", "Normandy"), cove(data, "search", "Normandy", server=False)
    assert text_remote.returncode == text_local.returncode == 0
    assert text_remote.stdout == text_local.stdout


def test_status_says_who_served(served) -> None:  # type: ignore[no-untyped-def]
    data, _docs, server = served
    remote, local = _json(cove(data, "status", "--json")), _json(cove(data, "status", "--json", server=False))
    assert remote.pop("server") == {"pid": server.pid, "since": remote_since(server)}
    assert local.pop("server") is None
    assert remote == local
    assert remote["documents"] == 5


def remote_since(server: Server) -> str:
    return server.ping()["server"]["since"]


def test_usage_errors_same_exit_code(served) -> None:  # type: ignore[no-untyped-def]
    data, _docs, _server = served
    for args in (["search", "x", "-k", "0"], ["ask", "x", "-k", "0"], ["index", "/no/such/path"]):
        remote, local = cove(data, *args), cove(data, *args, server=False)
        assert remote.stderr == local.stderr
        assert remote.returncode == local.returncode == 2  # (ask too: UsageError is one class under `python -m`)


def test_ask_same_answer_and_streamed(served) -> None:  # type: ignore[no-untyped-def]
    data, _docs, server = served
    remote, local = _json(cove(data, "ask", QUESTION, "--json")), _json(cove(data, "ask", QUESTION, "--json",
                                                                               server=False))
    assert remote["answer"] and remote["sources"]  # (its quality is tested elsewhere: test_ask_real.py)
    for d in (remote, local):
        d.pop("timings"), d.pop("conversation")
    assert remote == local
    assert {"verified", "sources"} <= set(remote) and all("evidence" in s for s in remote["sources"])
    # streamed: the first words are on stdout while the process is still running
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "ask", QUESTION], cwd=REPO, env=env_for(data),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    first = _read_some(proc.stdout, timeout=120)
    still_running = proc.poll() is None
    rest, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert first and "Sources:" not in first.decode()
    assert still_running and "Sources:" in rest.decode()


def _read_some(stream, timeout: float) -> bytes:  # type: ignore[no-untyped-def]
    ready, _, _ = select.select([stream], [], [], timeout)
    return os.read(stream.fileno(), 4096) if ready else b""


def test_server_has_no_network_socket(served) -> None:  # type: ignore[no-untyped-def]
    _data, _docs, server = served
    fds = Path(f"/proc/{server.pid}/fd")
    if not fds.exists():
        pytest.skip("no /proc on this OS")
    inodes = set()
    for fd in fds.iterdir():
        target = os.readlink(fd) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    assert inodes, "the server has no socket at all?"
    for table in ("tcp", "tcp6", "udp", "udp6"):
        path = Path(f"/proc/{server.pid}/net/{table}")
        if path.exists():
            rows = path.read_text().splitlines()[1:]
            assert not inodes & {row.split()[9] for row in rows if len(row.split()) > 9}, table


def test_index_through_the_server(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data, docs, server = served
    extra = docs / "Normans.txt"
    r = cove(data, "index", str(extra), "--json")
    out = _json(r)
    assert out["counts"]["unchanged"] == 1 and not out["cancelled"]
    assert server.proc.poll() is None


HEAVY = ("torch", "sentence_transformers", "transformers", "lancedb", "llama_cpp", "onnxruntime", "pyarrow")


def test_client_path_imports_nothing_heavy(served) -> None:  # type: ignore[no-untyped-def]
    """What makes `cove search` with a server fast: the client never imports the heavy libraries."""
    data, _docs, _server = served
    for args in (["search", "Geordie", "--json"], ["status", "--json"], ["ask", QUESTION, "--json"]):
        r = cove(data, *args, PYTHONPROFILEIMPORTTIME="1")
        assert r.returncode == 0, r.stderr[-2000:]
        imported = {line.split("|")[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")}
        assert len(imported) > 50, "no -X importtime output?"
        heavy = {m for m in imported if m.split(".")[0] in HEAVY}
        assert not heavy, f"{args[0]} imported {sorted(heavy)[:5]}"


def test_search_while_the_server_indexes(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Index requests run on the server's single indexer; searches are answered meanwhile."""
    data, _docs, server = served
    bulk = tmp_path / "bulk"
    bulk.mkdir()
    paragraphs = [p["context"] for a in json.loads(SQUAD.read_text("utf-8"))["data"][10:30] for p in a["paragraphs"]]
    for i, text in enumerate(paragraphs[:300]):
        (bulk / f"p{i:03d}.txt").write_text(text, "utf-8")
    indexing = subprocess.Popen([sys.executable, "-m", "app.cli", "index", str(bulk), "--json"], cwd=REPO,
                                env=env_for(data), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(3)  # the index request is queued on the server and running
        searched = _json(cove(data, "search", "Geordie dialect", "--json"))
        assert searched["results"]
        assert indexing.poll() is None, "indexing finished before the search: nothing was shown to overlap"
        out, err = indexing.communicate(timeout=900)
        assert indexing.returncode == 0, err
        assert json.loads(out)["counts"]["indexed"] == 300
    finally:
        if indexing.poll() is None:
            indexing.kill()


def test_ctrl_c_cancels_the_server_index_run(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data, _docs, server = served
    bulk = tmp_path / "bulk2"
    bulk.mkdir()
    paragraphs = [p["context"] for a in json.loads(SQUAD.read_text("utf-8"))["data"][20:48] for p in a["paragraphs"]]
    for i in range(200):  # five paragraphs a file: on a quiet machine one paragraph a file was indexed before Ctrl-C
        (bulk / f"q{i:03d}.txt").write_text("\n\n".join(paragraphs[5 * i:5 * i + 5]), "utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "index", str(bulk)], cwd=REPO, env=env_for(data),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + 300
    while b"indexing" not in seen and time.monotonic() < deadline and proc.poll() is None:
        seen += _read_some(proc.stderr, timeout=5)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    assert b"cancelled" in seen + err
    assert server.proc.poll() is None  # the server lives on
    again = _json(cove(data, "index", str(bulk), "--json"))  # the next run finishes the job
    assert again["counts"]["indexed"] + again["counts"]["unchanged"] == 200 and not again["cancelled"]
    assert again["counts"]["indexed"] > 0, "the first run was not cancelled: it indexed everything"


def test_killed_mid_question_then_in_process(served) -> None:  # type: ignore[no-untyped-def]
    data, _docs, server = served
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "ask", QUESTION], cwd=REPO, env=env_for(data),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    first = _read_some(proc.stdout, timeout=120)
    assert first, "no token arrived"
    server.kill(signal.SIGKILL)  # mid-answer: tokens flowed, the Done event has not
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert "stopped before it finished this ask" in err.decode() and "Traceback" not in err.decode()
    # the next calls work in-process (the stale socket file is ignored) and say so
    status = _json(cove(data, "status", "--json"))
    assert status["server"] is None and status["documents"] >= 5
    search = _json(cove(data, "search", "Geordie", "--json"))
    assert search["results"]
