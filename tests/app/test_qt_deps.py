"""Issue 13: on Linux/X11 without Qt's xcb libraries the app names the packages to install (Debian/Ubuntu and Fedora)
instead of Qt's bare "could not load the Qt platform plugin" — checked before any Qt import."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.desktop.qt_deps import XCB_LIBS, missing_xcb_libs, uses_xcb, xcb_problem

REPO = Path(__file__).resolve().parents[2]


def test_only_when_qt_would_use_xcb():
    assert uses_xcb({"DISPLAY": ":0"}, "linux")
    assert uses_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, "linux")
    assert not uses_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not uses_xcb({}, "linux")  # no X display: Qt's own message about the display is clear enough
    assert not uses_xcb({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not uses_xcb({"DISPLAY": ":0"}, "darwin")


def test_message_names_the_debian_and_fedora_packages():
    gone = {"libxcb-icccm.so.4", "libxcb-keysyms.so.1"}  # what a fresh machine here lacked
    msg = xcb_problem({"DISPLAY": ":0"}, load=lambda s: s not in gone, platform="linux")
    assert msg is not None
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1" in msg
    assert "sudo dnf install xcb-util-wm xcb-util-keysyms" in msg
    assert xcb_problem({"DISPLAY": ":0"}, load=lambda s: True, platform="linux") is None


def test_real_check_on_this_machine_matches_the_dynamic_loader():
    """Each library is judged as the loader would: compare with `ldd` of the real plugin where ldd exists."""
    missing = {m.soname for m in missing_xcb_libs()}
    assert missing <= {lib.soname for lib in XCB_LIBS}
    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "lib" / "libQt6XcbQpa.so.6"
    if plugin.exists() and sys.platform.startswith("linux"):
        out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True).stdout
        not_found = {ln.split("=>")[0].strip() for ln in out.splitlines() if "not found" in ln}
        assert not_found <= missing, "every library ldd cannot find is reported"


def test_cove_gui_prints_the_packages_and_exits_1_without_touching_qt(tmp_path):
    if not missing_xcb_libs():
        import pytest

        pytest.skip("all xcb libraries are installed here: nothing to report")
    env = {**os.environ, "DISPLAY": ":99", "COVE_DATA_DIR": str(tmp_path / "d"), "COVE_CONFIG_DIR": str(tmp_path / "c")}
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("WAYLAND_DISPLAY", None)
    r = subprocess.run([sys.executable, "-m", "app.cli"], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert "sudo apt install" in r.stderr and "sudo dnf install" in r.stderr
    assert "could not load the Qt platform plugin" not in r.stderr and "Traceback" not in r.stderr
