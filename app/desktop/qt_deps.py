"""Before the desktop app starts on Linux/X11: are the system libraries Qt's xcb platform plugin needs installed?

Why: without them Qt only prints "could not load the Qt platform plugin "xcb"" and aborts, which names no package
(seen on a fresh machine: libxcb-icccm4 and libxcb-keysyms1 were missing). PySide6 ships Qt itself (and
libxcb-cursor) but not the xcb-util libraries, so we try to load each one the plugin links against — in PySide6's own
Qt/lib first, then the system — and name the Debian/Ubuntu and Fedora packages for the ones that are missing.
Qt-free: runs before anything imports PySide6.
"""
from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path
from typing import Callable, Mapping, NamedTuple


class XcbLib(NamedTuple):
    soname: str
    debian: str
    fedora: str


# Every X11 library `ldd PySide6/Qt/lib/libQt6XcbQpa.so.6` lists (PySide6 6.x wheel, measured on this machine, where
# libxcb-icccm.so.4 and libxcb-keysyms.so.1 were "not found").
XCB_LIBS: tuple[XcbLib, ...] = (
    XcbLib("libxcb.so.1", "libxcb1", "libxcb"),
    XcbLib("libX11.so.6", "libx11-6", "libX11"),
    XcbLib("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
    XcbLib("libxcb-util.so.1", "libxcb-util1", "xcb-util"),
    XcbLib("libxcb-render.so.0", "libxcb-render0", "libxcb"),
    XcbLib("libxcb-shm.so.0", "libxcb-shm0", "libxcb"),
    XcbLib("libxcb-sync.so.1", "libxcb-sync1", "libxcb"),
    XcbLib("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
    XcbLib("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    XcbLib("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    XcbLib("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    XcbLib("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    XcbLib("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    XcbLib("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    XcbLib("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    XcbLib("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb"),
    XcbLib("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
    XcbLib("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
)


def uses_xcb(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Will Qt pick its xcb plugin? Linux, an X display, and no other platform asked for (nor a Wayland session,
    where Qt 6 uses its Wayland plugin)."""
    if not platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen == "xcb" and bool(env.get("DISPLAY"))
    return bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")


def _pyside_lib_dir() -> Path | None:
    try:
        import importlib.util

        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "Qt" / "lib"


def _loadable(soname: str, bundled: Path | None) -> bool:
    for candidate in ([str(bundled / soname)] if bundled is not None and (bundled / soname).exists() else []) + [soname]:
        try:
            ctypes.CDLL(candidate)
            return True
        except OSError:
            continue
    return False


def missing_xcb_libs(load: Callable[[str], bool] | None = None) -> list[XcbLib]:
    bundled = _pyside_lib_dir()
    check = load or (lambda s: _loadable(s, bundled))
    return [lib for lib in XCB_LIBS if not check(lib.soname)]


def xcb_problem(env: Mapping[str, str] | None = None, load: Callable[[str], bool] | None = None,
                platform: str = sys.platform) -> str | None:
    """The message to show instead of starting Qt, or None when the window can start (or it is not X11)."""
    env = os.environ if env is None else env
    if not uses_xcb(env, platform):
        return None
    missing = missing_xcb_libs(load)
    if not missing:
        return None
    debian = " ".join(dict.fromkeys(m.debian for m in missing))
    fedora = " ".join(dict.fromkeys(m.fedora for m in missing))
    return ("Cove's window cannot start: system libraries that Qt needs on X11 are missing "
            f"({', '.join(m.soname for m in missing)}). Install them, then start Cove again:\n"
            f"  Debian/Ubuntu:  sudo apt install {debian}\n"
            f"  Fedora:         sudo dnf install {fedora}\n"
            "Everything else works without them from the command line: cove --help")
