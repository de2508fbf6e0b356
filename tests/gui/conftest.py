"""Shared fixtures for the GUI tests (pytest-qt, offscreen): the real bundled model loaded once per session, one real
index of tests/fixtures/search built once with the real embedder, and a controller per test whose workers are shut
down afterwards. Every test still gets its own data/config dir (tests/conftest.py)."""
from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

import app.gui  # noqa: F401  (applies the PySide6 reference-count workaround before any Qt call)
from tests.conftest import FIXTURES

ANSWER_TIMEOUT_MS = 180_000  # a shared 2-core machine; a real answer usually takes 3-10 s


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gui-session")


@pytest.fixture(scope="session")
def shared_llm(session_dir: Path) -> Iterator[Any]:
    """The real bundled Gemma 3 270M, loaded once (n_ctx 1024 keeps prompts short on a busy machine)."""
    pytest.importorskip("llama_cpp")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COVE_DATA_DIR", str(session_dir / "model-data"))
        from app.models.bundled_model import bundled_model_path
        from app.models.llm import LocalLLM

        llm = LocalLLM(bundled_model_path(), n_ctx=1024)
    yield llm
    llm.close()


def make_assistant_factory(llm: Any):  # type: ignore[no-untyped-def]
    """The real Assistant (real retrieval, answering, history), sharing the session's loaded model."""
    from app.answer.assistant import Assistant

    class SessionAssistant(Assistant):
        @property
        def llm(self) -> Any:  # type: ignore[override]
            return llm

        def resolve_model_path(self) -> Path:
            return Path(llm.info.path)

        def switch_model(self, model_path: str | None) -> None:
            self.model_path = model_path

        def close(self) -> None:
            pass

    return lambda core: SessionAssistant(core)


def make_settings(directory: Path, **overrides: Any) -> Any:
    import json

    from app.settings import Settings, defaults_path

    defaults = json.loads(defaults_path().read_text(encoding="utf-8"))
    values = {"first_run_done": True, "max_answer_tokens": 96, "n_ctx": 1024, "temperature": 0.0, **overrides}
    return Settings(defaults, values, directory / "settings.json")


@pytest.fixture(scope="session")
def search_folder(session_dir: Path) -> Path:
    folder = session_dir / "Documents"
    shutil.copytree(FIXTURES / "search", folder)
    return folder


@pytest.fixture(scope="session")
def indexed_core(session_dir: Path, search_folder: Path, real_embedder: Any) -> Any:
    """A core whose index (in the session dir) holds the three search fixtures, built once with the real embedder."""
    from app.core import CoveCore

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COVE_DATA_DIR", str(session_dir / "core-data"))
        core = CoveCore(make_settings(session_dir), embedder=real_embedder)
        report = core.index([str(search_folder)])
        assert report.counts.get("indexed", 0) + report.counts.get("unchanged", 0) == 3, report.outcomes
        _ = core.searcher
    return core


@pytest.fixture
def fresh_core(tmp_path: Path, real_embedder: Any) -> Any:
    """A core with an empty index of its own (for tests that add, drop or forget files)."""
    from app.core import CoveCore

    return CoveCore(make_settings(tmp_path), embedder=real_embedder)


@pytest.fixture
def make_controller(qtbot: Any, qapp: Any) -> Iterator[Any]:
    """Build a Controller (tray off unless asked), show its window; shut every worker down afterwards."""
    from app.gui.controller import Controller
    from app.gui.theme import apply_theme

    apply_theme(qapp, "light")
    from app.gui.gc_guard import collect_on_gui_thread

    collect_on_gui_thread(qapp)  # as the app does: the collector never runs in a worker thread (a CI segfault)
    made: list[Any] = []

    def make(core: Any, *, llm: Any = None, start: bool = True, watch: bool = False, tray: bool = False,
             load_model: bool = True) -> Any:
        factory = make_assistant_factory(llm) if llm is not None else None
        ctl = Controller(qapp, core=core, assistant_factory=factory, tray=tray)
        made.append(ctl)
        ctl.window.resize(1200, 780)
        ctl.show_main()
        qtbot.waitExposed(ctl.window)
        if start:
            ctl.start(load_model=load_model and llm is not None, watch=watch)
            qtbot.waitUntil(lambda: ctl.index.is_ready, timeout=120_000)
            if load_model and llm is not None:
                qtbot.waitUntil(lambda: ctl.chat.model_info is not None, timeout=60_000)
        return ctl

    yield make
    for ctl in made:
        ctl._quitting = True
        for w in (ctl.popup, ctl.viewer):
            if w is not None:
                w.hide()
        ctl.window.hide()
        ctl.shutdown()
        for w in (ctl.popup, ctl.viewer, ctl.window):
            if w is not None:
                w.deleteLater()
    qapp.processEvents()


def wait_done(qtbot: Any, turn: Any, timeout: int = ANSWER_TIMEOUT_MS) -> None:
    assert turn is not None, "the question was not accepted (busy?)"
    qtbot.waitUntil(lambda: not turn.is_active, timeout=timeout)


def drop_files(widget: Any, paths: list[str]) -> None:
    """What a real drag-and-drop delivers: a drag-enter, then a drop event carrying file URLs."""
    from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPoint(widget.width() // 2, widget.height() // 2)
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)


def pump(qtbot: Any, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        qtbot.wait(20)


@pytest.fixture(autouse=True, scope="package")
def _collector_back_on_after_the_gui_tests() -> Iterator[None]:
    """The GUI guard (app/gui/gc_guard.py) turns automatic collection off; the tests after these run as usual."""
    import gc

    yield
    gc.enable()
