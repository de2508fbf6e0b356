"""Start the desktop app. Kept apart so `cove --help` and the CLI never import Qt."""
from __future__ import annotations

import sys
from typing import Sequence


def launch_gui(argv: Sequence[str]) -> int:
    from app.desktop.qt_deps import xcb_problem

    problem = xcb_problem()  # before Qt: name the missing system packages instead of Qt's bare plugin error
    if problem:
        print(f"cove: {problem}", file=sys.stderr)
        return 1
    try:
        from app.gui.main import run
    except ImportError as exc:
        print(f"cove: the desktop app is not available ({exc}). Use the CLI: cove --help", file=sys.stderr)
        return 1
    return run(list(argv))
