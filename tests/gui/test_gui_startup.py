"""Never freeze at start-up: the window is built and shown before torch, the embedder, LanceDB or llama-cpp are
imported (they load later, in the workers), and the launch reports when the window is really on screen."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui
REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "llama_cpp", "lancedb", "sentence_transformers", "pyarrow", "transformers")

_CHILD = """
import sys
import app.gui.main
from PySide6.QtWidgets import QApplication
from app.gui.controller import Controller
qt_app = QApplication([])
ctl = Controller(qt_app, tray=False)
ctl.show_main()
qt_app.processEvents()
assert ctl.window.isVisible()
loaded = [m for m in {heavy!r} if m in sys.modules]
print("HEAVY:" + ",".join(loaded))
ctl.shutdown()
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", COVE_DATA_DIR=str(tmp_path / "data"),
               COVE_CONFIG_DIR=str(tmp_path / "config"), PYTHONPATH=str(REPO))
    return env


def test_window_is_built_and_shown_without_heavy_imports(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", _CHILD.format(heavy=HEAVY)], cwd=REPO, env=_env(tmp_path),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    line = next(l for l in out.stdout.splitlines() if l.startswith("HEAVY:"))
    assert line == "HEAVY:", f"imported on the GUI thread at start-up: {line[6:]}"


def test_launch_reports_the_window_exposed(tmp_path: Path) -> None:
    env = _env(tmp_path)
    env["COVE_STARTUP_PROBE"] = "exit"
    started = time.time()
    out = subprocess.run([sys.executable, "-m", "app.gui"], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    stamp = next(float(l.split()[1]) for l in out.stdout.splitlines() if l.startswith("COVE_WINDOW_EXPOSED"))
    assert started < stamp < time.time()


def test_a_second_launch_hands_over_to_the_running_instance(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`python -m app.gui --quick-ask` (what users bind to a desktop shortcut) and `cove gui FILE` reach the running
    Cove through app.desktop.single_instance and exit at once."""
    from app.gui.single_instance import InstanceBridge, InstanceMessage

    received: list[InstanceMessage] = []
    bridge = InstanceBridge()
    bridge.received.connect(received.append)
    assert bridge.start()
    try:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
        note = tmp_path / "note.md"
        note.write_text("# Note\n")
        for args in (["--quick-ask"], [str(note)]):
            out = subprocess.run([sys.executable, "-m", "app.gui", *args], cwd=REPO, env=env, capture_output=True,
                                 text=True, timeout=60)
            assert out.returncode == 0, out.stderr[-2000:]
        qtbot.waitUntil(lambda: len(received) == 2, timeout=5_000)
        assert received == [InstanceMessage("quick-ask"), InstanceMessage("ask", (str(note),))]
    finally:
        bridge.stop()
