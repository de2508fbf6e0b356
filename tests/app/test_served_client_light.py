"""`cove ask` talking to a resident Cove prints the first token before it imports the answering modules, numpy, the
store or the model: on 2 cores their ~0.1 s of import CPU slowed the server's first token by ~0.5 s (issue 12,
app/answer/events.py). A stand-in server on the real socket path answers, so what is imported is the client's own."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CLIENT = r"""
import json, os, socket, sys, threading
import app
from app.resident.protocol import api_address, encode

path = api_address()
os.makedirs(os.path.dirname(path), exist_ok=True)
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(path)
listener.listen(1)

def serve():
    conn, _ = listener.accept()
    conn.makefile("rb").readline()  # the request
    hit = {"chunk_id": "c1", "doc_id": "d1", "ordinal": 0, "path": "/docs/a.txt", "title": "a.txt", "kind": "text",
           "text": "Oxygen was named by Lavoisier.", "score": 1.0, "similarity": 0.8}
    for event in ({"event": "hello", "pid": 1, "since": "now"},
                  {"event": "retrieved", "data": {"hits": [hit], "retrieve_ms": 1.0, "query": "q"}},
                  {"event": "token", "data": {"text": "Lavoisier"}},
                  {"event": "done", "data": {"answer": "Lavoisier [1].", "verified": True,
                   "sources": [{"n": 1, "hit": hit, "cited": True,
                                "evidence": [{"text": "Oxygen was named by Lavoisier.", "start": 0, "end": 30}]}],
                   "timings": {"ttft_ms": 5.0}}, "conversation": 1},
                  {"event": "end"}):
        conn.sendall(encode(event))
    conn.close()

threading.Thread(target=serve, daemon=True).start()
seen = {}
real_write = sys.stdout.write

def write(text):
    if "first" not in seen and text.strip():
        seen["first"] = sorted(m for m in sys.modules if m.split(".")[0] in ("numpy", "lancedb", "pyarrow", "llama_cpp",
                               "onnxruntime", "torch") or m in ("app.answer.answering", "app.answer.evidence",
                               "app.answer.assistant", "app.core", "indexer.store"))
        seen["text"] = text
    return real_write(text)

sys.stdout.write = write
if os.environ.get("TEST_FAKE_TTY"):
    sys.stdout.isatty = lambda: True
from app.cli import main
code = main(["ask", "Who named oxygen?"])
sys.stdout.write = real_write
print("\nRESULT " + json.dumps({"code": code, **seen}))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="the resident API is a Unix socket")
def test_served_ask_prints_the_first_token_before_any_heavy_import(tmp_path: Path):
    env = {k: v for k, v in __import__("os").environ.items() if k != "COVE_NO_SERVER"}
    env["COVE_DATA_DIR"] = str(tmp_path / "data")
    r = subprocess.run([sys.executable, "-c", CLIENT], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout.rsplit("RESULT ", 1)[1])
    assert result["code"] == 0 and result["text"] == "Lavoisier"
    assert result["first"] == [], f"imported before the first token was printed: {result['first']}"
    assert "Sources:" in r.stdout and "[1] a.txt" in r.stdout  # the rest of the answer still prints in full


@pytest.mark.skipif(sys.platform == "win32", reason="the resident API is a Unix socket")
@pytest.mark.parametrize("no_color", ["", "1"])
def test_in_a_terminal_the_streamed_words_are_shown_as_a_draft(tmp_path: Path, no_color: str):
    """The model's words stream dim and slanted in a terminal (a draft until checked), and the style is reset before
    the verdict and the sources; NO_COLOR keeps them plain."""
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("COVE_NO_SERVER", "NO_COLOR")}
    env.update(COVE_DATA_DIR=str(tmp_path / "data"), TEST_FAKE_TTY="1", **({"NO_COLOR": no_color} if no_color else {}))
    r = subprocess.run([sys.executable, "-c", CLIENT], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    if no_color:
        assert "\x1b[" not in r.stdout and r.stdout.startswith("Lavoisier")
    else:
        assert r.stdout.startswith("\x1b[2;3mLavoisier\x1b[0m")
        assert "\x1b[" not in r.stdout.split("\x1b[0m", 1)[1]  # the checked answer and the sources are plain
    assert "Sources:" in r.stdout
