"""The bundled model's one-time assembly, GGUF metadata without loading, and LocalLLM streaming on the real model."""
from __future__ import annotations

import json
import os
import struct
import threading
import time
from pathlib import Path

import pytest

from app.models import bundled_model
from app.models.llm import GGUFError, model_info, read_gguf_metadata, resolve_prompt_style


# bundled model -------------------------------------------------------------------------------------------------------
@pytest.mark.usefixtures("own_models_dir")
def test_bundled_model_is_assembled_once_and_not_rehashed(cove_data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    path = bundled_model.bundled_model_path()
    source = bundled_model.bundled_source_path()
    assert path.parent == source.parent == cove_data_dir / "models" and path.stat().st_size > 100_000_000
    assert not list(path.parent.glob(".*partial"))
    assert bundled_model._sha256(source) == bundled_model._package().EXPECTED_SHA256
    assert model_info(path).file_type == bundled_model.RUNTIME_TYPE and model_info(source).file_type == "Q4_K_M"
    assert bundled_model.is_bundled(path) and bundled_model.is_bundled(source)
    assert resolve_prompt_style(model_info(path)) == "completion"

    def no_work(*_a, **_k):
        raise AssertionError("hashed or re-encoded again although size and mtime are unchanged")

    monkeypatch.setattr(bundled_model, "_sha256", no_work)
    monkeypatch.setattr(bundled_model.subprocess, "run", no_work)
    assert bundled_model.bundled_model_path() == path


@pytest.mark.usefixtures("own_models_dir")
def test_the_first_use_of_the_bundled_model_is_announced(cove_data_dir: Path):
    """`cove ask` and the app say "Preparing the bundled model…" before the ~10 s first load, and only then."""
    from app.answer.assistant import Assistant
    from app.core import CoveCore

    assistant = Assistant(CoveCore())
    assert not bundled_model.bundled_model_ready() and assistant.model_needs_preparing()
    assert not Assistant(CoveCore(), model_path="/elsewhere/own.gguf").model_needs_preparing()
    bundled_model.bundled_model_path()
    assert bundled_model.bundled_model_ready() and not assistant.model_needs_preparing()
    assert "once" in bundled_model.PREPARING_NOTICE


def _damage(path: Path) -> None:
    with path.open("r+b") as f:  # flip bytes in place and truncate: size and mtime change
        f.seek(1000)
        f.write(b"\x00" * 64)
        f.truncate(path.stat().st_size - 10)


@pytest.mark.usefixtures("own_models_dir")
def test_bundled_model_damaged_file_is_reassembled(cove_data_dir: Path):
    path = bundled_model.bundled_model_path()
    source = bundled_model.bundled_source_path()
    good = bundled_model._sha256(path)
    _damage(source)
    _damage(path)
    again = bundled_model.bundled_model_path()
    assert again == path
    assert bundled_model._sha256(source) == bundled_model._package().EXPECTED_SHA256
    assert bundled_model._sha256(path) == good  # re-derived from the repaired source, byte for byte
    assert json.loads(Path(f"{path}.verified.json").read_text())["sha256"] == good


@pytest.mark.usefixtures("own_models_dir")
def test_bundled_model_stale_partial_is_removed(cove_data_dir: Path):
    import subprocess
    import sys

    models = cove_data_dir / "models"
    models.mkdir(parents=True)
    name = bundled_model._package().MODEL_NAME
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process that was killed mid-assembly: its pid no longer runs
    runtime = bundled_model._runtime_name(name)
    stale = [models / f".{name}.{gone.pid}.partial", models / f".{runtime}.{gone.pid}.partial"]
    busy = models / f".{runtime}.{os.getppid()}.partial"  # another Cove still writing
    for f in [*stale, busy]:
        f.write_bytes(b"half a model")
    bundled_model.bundled_model_path()
    assert not any(f.exists() for f in stale)
    assert busy.exists()


@pytest.mark.usefixtures("own_models_dir")
def test_bundled_model_is_re_encoded_by_the_bundle_itself_when_frozen(cove_data_dir: Path,
                                                                      monkeypatch: pytest.MonkeyPatch):
    """In the PyInstaller bundle sys.executable is Cove itself: packaging/cove_entry.py dispatches --cove-requantize."""
    import subprocess
    import sys

    bundled_model.bundled_source_path()
    seen: list[list[str]] = []

    def fake_run(cmd, **kwargs):
        seen.append(cmd)
        return subprocess.CompletedProcess(cmd, 1, "", "stopped by the test")

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(bundled_model.subprocess, "run", fake_run)
    with pytest.raises(OSError, match="could not prepare the bundled model"):
        bundled_model.bundled_model_path()
    assert seen[0][:2] == [sys.executable, "--cove-requantize"] and seen[0][4] == bundled_model.RUNTIME_TYPE
    entry = (Path(__file__).resolve().parents[2] / "packaging" / "cove_entry.py").read_text()
    assert '"--cove-requantize"' in entry and "app.models.requantize import main" in entry


# GGUF metadata -------------------------------------------------------------------------------------------------------
def _gguf_string(s: str) -> bytes:
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def _write_gguf(path: Path, kvs: list[tuple[str, int, bytes]]) -> None:
    body = b"".join(_gguf_string(k) + struct.pack("<I", t) + v for k, t, v in kvs)
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + body)


def test_model_info_of_a_handmade_instruct_gguf(tmp_path: Path):
    p = tmp_path / "tiny-instruct.gguf"
    vocab = struct.pack("<IQ", 8, 3) + b"".join(_gguf_string(t) for t in ("<s>", "hello", "world"))
    _write_gguf(p, [
        ("general.architecture", 8, _gguf_string("llama")),
        ("general.name", 8, _gguf_string("Tiny Instruct")),
        ("tokenizer.ggml.tokens", 9, vocab),
        ("llama.context_length", 4, struct.pack("<I", 8192)),
        ("general.file_type", 4, struct.pack("<I", 7)),
        ("tokenizer.chat_template", 8, _gguf_string("{% for m in messages %}{{ m.content }}{% endfor %}")),
    ])
    info = model_info(p)
    assert (info.name, info.architecture, info.file_type, info.context_length) == ("Tiny Instruct", "llama",
                                                                                   "Q8_0", 8192)
    assert info.has_chat_template and info.size_bytes == p.stat().st_size
    assert resolve_prompt_style(info) == "chat"
    assert resolve_prompt_style(info, "completion") == "completion"


def test_not_a_gguf_is_refused(tmp_path: Path):
    p = tmp_path / "x.gguf"
    p.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(GGUFError):
        read_gguf_metadata(p)


def test_bundled_model_info_is_a_base_model(bundled_path: Path):
    info = model_info(bundled_path)
    assert info.architecture == "gemma3" and info.file_type == bundled_model.RUNTIME_TYPE
    assert info.context_length == 32768
    assert not info.has_chat_template  # the 270M base GGUF ships no chat template
    assert resolve_prompt_style(info) == "completion"
    assert resolve_prompt_style(info, "chat") == "chat"


# LocalLLM on the real model ------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_count_tokens_is_the_models_tokenizer(llm):
    assert llm.count_text_tokens("") == 0
    n = llm.count_text_tokens("Geordie is the dialect of Newcastle.")
    assert 5 <= n <= 15
    assert llm.count_tokens("Geordie is the dialect of Newcastle.") == n + 1  # + BOS
    assert llm.count_text_tokens("word " * 200) >= 200  # not a character guess
    cut = llm.truncate_to_tokens("word " * 200, 50)
    assert llm.count_text_tokens(cut) <= 50


@pytest.mark.slow
def test_stream_yields_pieces_and_honours_stop_sequences(llm):
    prompt = "Count: one, two, three, four, five, six, seven,"
    pieces = list(llm.stream(prompt, max_tokens=40, stop=[" ten"], temperature=0.0))
    text = "".join(pieces)
    assert len(pieces) > 1
    assert "eight" in text and " ten" not in text
    t = llm.last_timings
    assert t.stopped == "stop_sequence" and 0 < t.tokens <= 40
    assert t.ttft_ms > 0 and t.total_ms >= t.ttft_ms and t.prompt_tokens == llm.count_tokens(prompt)


@pytest.mark.slow
def test_stream_respects_max_tokens(llm):
    list(llm.stream("Once upon a time", max_tokens=7, temperature=0.0))
    assert llm.last_timings.tokens == 7 and llm.last_timings.stopped == "length"


@pytest.mark.slow
def test_stop_event_ends_generation_at_once(llm):
    stop = threading.Event()
    got: list[str] = []
    for piece in llm.stream("Once upon a time", max_tokens=200, stop_event=stop, temperature=0.0):
        got.append(piece)
        stop.set()
    assert len(got) == 1
    assert llm.last_timings.tokens <= 2 and llm.last_timings.stopped == "cancelled"


@pytest.mark.slow
def test_chat_style_renders_a_template(small_chat_llm):
    text = small_chat_llm.render([{"role": "user", "content": "hello"}])
    assert "hello" in text and "<start_of_turn>" in text
    assert small_chat_llm.tokenize([{"role": "user", "content": "hi"}]).count(small_chat_llm._llm.token_bos()) == 1


def test_threads_follow_the_machines_load():
    from app.models.llm import threads_for_now

    assert threads_for_now(2, 0.3) == 2  # a quiet machine: every CPU for the prompt
    assert threads_for_now(2, 1.8) == 1  # busy: half, as llama.cpp's spinning threads fall off a cliff
    assert threads_for_now(8, 3.0) == 8 and threads_for_now(8, 7.9) == 4 and threads_for_now(1, 0.0) == 1
    # what other work keeps busy now, where it can be read, decides instead of the load average
    assert threads_for_now(2, busy=0) == 2 and threads_for_now(2, busy=1) == 1 and threads_for_now(2, busy=3) == 1
    assert threads_for_now(8, busy=1) == 7 and threads_for_now(8, busy=5) == 4 and threads_for_now(1, busy=0) == 1


@pytest.mark.skipif(not Path("/proc/loadavg").exists(), reason="busy CPUs are read from Linux's /proc/loadavg")
def test_busy_cpus_count_other_work_running_now():
    """Two CPU-bound processes beside the asking thread are seen as busy CPUs, so the model does not take every
    CPU from them (the count may be higher on a shared machine, never lower)."""
    import subprocess
    import sys

    from app.models.llm import busy_cpus_now, threads_for_now

    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        time.sleep(0.3)
        busy = busy_cpus_now()
        assert busy is not None and busy >= 2, busy
        assert threads_for_now(2, busy=busy) == 1
    finally:
        for p in spinners:
            p.kill()
            p.wait()


def test_an_automatic_thread_count_is_applied_to_the_next_answer(bundled_path, monkeypatch: pytest.MonkeyPatch):
    import llama_cpp

    from app.models import llm as llm_module
    from app.models.llm import LocalLLM

    model = LocalLLM(bundled_path, n_ctx=512, n_threads=0)
    try:
        for wanted in (2, 1):
            monkeypatch.setattr(llm_module, "threads_for_now", lambda: wanted)
            assert "".join(model.stream("The capital of France is", max_tokens=2))
            ctx = model._llm._ctx.ctx
            assert (llama_cpp.llama_n_threads(ctx), llama_cpp.llama_n_threads_batch(ctx)) == (wanted, wanted)
    finally:
        model.close()
    fixed = LocalLLM(bundled_path, n_ctx=512, n_threads=1)  # the user's own setting is kept as it is
    try:
        monkeypatch.setattr(llm_module, "threads_for_now", lambda: 2)
        "".join(fixed.stream("The capital of France is", max_tokens=2))
        assert llama_cpp.llama_n_threads(fixed._llm._ctx.ctx) == 1
    finally:
        fixed.close()
