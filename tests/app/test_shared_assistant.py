"""Issue 12: the desktop app and the resident API it hosts share one Assistant (one loaded model) per process, and
its users on different threads take turns on the model (llama.cpp is not thread-safe)."""
from __future__ import annotations

import threading
import time

from app.core import CoveCore
from app.resident.server import ResidentServer
from app.resident.shared_assistant import TurnTakingAssistant, shared_assistant


def test_the_api_server_and_the_app_chat_get_the_same_assistant(tmp_path):
    core = CoveCore()
    server = ResidentServer(core, address=str(tmp_path / "api.sock"))
    assert server.assistant is shared_assistant(core)  # what app/gui/main.py hands the chat worker
    assert isinstance(server.assistant, TurnTakingAssistant)
    assert shared_assistant(CoveCore()) is not server.assistant  # one per core, not one per interpreter


def test_a_model_switch_waits_for_the_answer_in_progress_on_another_thread():
    a = shared_assistant(CoveCore())
    inside, release = threading.Event(), threading.Event()

    def answer_tokens():  # stands for a summary streaming from the model on the chat thread
        yield "first"
        inside.set()
        release.wait(10)
        yield "last"

    got: list[str] = []
    reader = threading.Thread(target=lambda: got.extend(a.hold(answer_tokens())))
    reader.start()
    assert inside.wait(10)
    switched = threading.Event()
    switcher = threading.Thread(target=lambda: (a.switch_model(None), switched.set()))
    switcher.start()
    time.sleep(0.3)
    assert not switched.is_set(), "the model was switched (closed) under a running answer"
    release.set()
    reader.join(10)
    assert switched.wait(10) and got == ["first", "last"]


def test_an_abandoned_answer_gives_the_turn_back():
    a = shared_assistant(CoveCore())
    events = a.hold(iter(["a", "b"]))
    assert next(events) == "a"
    del events  # closed by the garbage collector mid-answer (a client that hung up)
    done = threading.Event()
    threading.Thread(target=lambda: (a.switch_model(None), done.set())).start()
    assert done.wait(5), "the turn lock stayed held after the answer was abandoned"
