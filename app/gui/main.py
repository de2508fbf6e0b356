"""Start the desktop app: `cove` / `cove gui [--tray] [FILE...]`, or `python -m app.gui [--quick-ask] [FILE...]`.

The window is shown before anything heavy is imported (torch, the embedder, LanceDB, llama-cpp): those load in the
workers afterwards, with their state in the status bar. COVE_STARTUP_PROBE=1 prints the wall-clock time at which
the window was first exposed (`COVE_WINDOW_EXPOSED <epoch seconds>`); COVE_STARTUP_PROBE=exit then quits at once,
which is how tests/benchmarks/bench_gui.py measures launch-to-visible."""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Sequence

import app  # noqa: F401  (the privacy guard, before any other import)
from app.gui import _pyside_fix  # noqa: F401

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="cove gui", description="Cove desktop app")
    p.add_argument("files", nargs="*", metavar="FILE", help="files or folders to index and ask about")
    p.add_argument("--quick-ask", action="store_true",
                   help="open only the quick-ask popup (or show it in the running Cove); bind this to a desktop "
                        "keyboard shortcut for a global hotkey")
    p.add_argument("--tray", "--hidden", dest="tray", action="store_true",
                   help="start in the system tray without showing the window (autostart)")
    p.add_argument("--data-dir", help="keep the index, history and models here (also COVE_DATA_DIR)")
    return p.parse_args(list(argv))


class _ExposeProbe(QObject):
    """Prints when the window is first really on screen (an Expose event of its native window)."""

    def __init__(self, quit_after: bool) -> None:
        super().__init__()
        self.quit_after = quit_after
        self.done = False

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if not self.done and event.type() == QEvent.Type.Expose:
            self.done = True
            print(f"COVE_WINDOW_EXPOSED {time.time():.6f}", flush=True)
            if self.quit_after:
                QTimer.singleShot(0, QApplication.instance().quit)  # type: ignore[union-attr]
        return False


def _load_core():  # type: ignore[no-untyped-def]
    """Settings problems are shown, not fatal: Cove can run on its defaults."""
    from app.gui.controller import make_core
    from app.settings import SettingsError

    try:
        return make_core()
    except SettingsError as exc:
        answer = QMessageBox.warning(None, "Cove settings", f"{exc}\n\nStart with the default settings for now? "
                                     "Your file is left as it is.", QMessageBox.StandardButton.Yes
                                     | QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return None
        import json

        from app.core import CoveCore
        from app.settings import Settings, defaults_path, user_settings_path

        defaults = json.loads(defaults_path().read_text(encoding="utf-8"))
        settings = Settings(defaults, {}, user_settings_path().with_name("settings.recovered.json"))
        return CoveCore(settings)


def run(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.data_dir:
        os.environ["COVE_DATA_DIR"] = os.path.abspath(os.path.expanduser(args.data_dir))
    from app.logs import configure as configure_logging

    configure_logging()  # issue 15: worker failures go to the log file (a no-op when `cove` already did it)
    probe_mode = os.environ.get("COVE_STARTUP_PROBE", "")
    if QApplication.instance() is None:
        from app.desktop.qt_deps import xcb_problem

        problem = xcb_problem()  # `python -m app.gui` too: name the missing packages, not Qt's bare plugin error
        if problem:
            print(f"cove: {problem}", file=sys.stderr)
            return 1
    qt_app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "cove"])
    assert isinstance(qt_app, QApplication)
    qt_app.setApplicationName("Cove")
    qt_app.setApplicationDisplayName("Cove")
    qt_app.setDesktopFileName("cove")
    qt_app.setQuitOnLastWindowClosed(False)
    from app.gui.gc_guard import collect_on_gui_thread

    collect_on_gui_thread(qt_app)  # a worker thread must never run the collector over Qt objects
    from app.gui import single_instance
    from app.gui.icons import app_icon
    from app.gui.theme import apply_theme

    files = [os.path.abspath(os.path.expanduser(f)) for f in args.files]
    if not probe_mode and single_instance.hand_off(files, quick_ask=args.quick_ask, tray=args.tray):
        return 0  # the running Cove took over
    qt_app.setWindowIcon(app_icon())
    core = _load_core()
    if core is None:
        return 1
    apply_theme(qt_app, core.settings.get_str("theme"))
    qt_app.styleHints().colorSchemeChanged.connect(
        lambda _s: apply_theme(qt_app, core.settings.get_str("theme")))
    from app.gui.controller import Controller
    from app.resident.shared_assistant import shared_assistant

    ctl = Controller(qt_app, core=core, assistant_factory=shared_assistant)  # one model with the resident API below
    bridge = None
    if not probe_mode:
        bridge = single_instance.InstanceBridge(ctl)
        bridge.received.connect(ctl.handle_instance_message)
        bridge.start()
    from app.resident.server import start_resident

    resident = None if probe_mode else start_resident(core)  # issue 12: the CLI talks to this warm app too
    probe = _ExposeProbe(quit_after=probe_mode == "exit") if probe_mode else None
    if args.quick_ask:
        target = ctl.quick_ask()
        ctl.show_quick_ask()
    elif args.tray and ctl.tray is not None:
        target = None
    else:
        target = ctl.window
        ctl.show_main()
    if probe is not None and target is not None and target.windowHandle() is not None:
        target.windowHandle().installEventFilter(probe)
    if probe_mode != "exit":
        QTimer.singleShot(150, ctl.start)  # after the first paint: heavy imports then run in the workers
        if files:
            QTimer.singleShot(200, lambda: ctl.handle_instance_message(single_instance.InstanceMessage("ask",
                                                                                                  tuple(files))))
        elif not args.quick_ask and not args.tray:
            QTimer.singleShot(400, ctl.maybe_first_run)
    code = qt_app.exec()
    if bridge is not None:
        bridge.stop()
    if resident is not None:
        resident.stop()
    ctl.shutdown()
    return code


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
