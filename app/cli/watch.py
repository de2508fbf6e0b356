"""`cove watch`: keep the watched folders indexed, headless, in the foreground. It catches up first (a progress
line), then prints one line per change it applies. Ctrl-C or SIGTERM stop it cleanly: observers stopped, the batch
in progress parked in the journal, the store closed. `--add` / `--remove` only edit the settings."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from typing import Any, TextIO

from app.cli.output import ProgressLine


def add_commands(sub: Any) -> None:
    p = sub.add_parser("watch", help="keep folders indexed as they change (runs until Ctrl-C)")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="folders to watch, added to the watched folders in settings (default: those folders)")
    p.add_argument("--add", action="append", default=[], metavar="PATH", help="add a watched folder and exit")
    p.add_argument("--remove", action="append", default=[], metavar="PATH",
                   help="stop watching a folder and exit (its documents stay indexed; `cove forget` removes them)")
    p.add_argument("--poll", action="store_true", help="poll instead of OS notifications (e.g. network drives)")
    p.set_defaults(handler=cmd_watch)


def cmd_watch(args: argparse.Namespace) -> int:
    from app.cli.errors import UsageError
    from app.core import CoveCore

    for p in [*args.paths, *args.add]:
        if not os.path.isdir(os.path.expanduser(p)):
            raise UsageError(f"not a folder: {p} (cove watches folders; check the path)")
    core = CoveCore()
    if args.add or args.remove:
        if args.paths:
            raise UsageError("give folders either as PATH (watch now) or with --add/--remove (edit settings), not both")
        for p in args.add:
            done = core.set_watched(p, True)
            print(f"{'Added' if done else 'Already watched'}: {os.path.abspath(os.path.expanduser(p))}")
        for p in args.remove:
            done = core.set_watched(p, False)
            print(f"{'Removed' if done else 'Was not watched'}: {os.path.abspath(os.path.expanduser(p))}")
        return 0
    for p in args.paths:
        core.set_watched(p, True)
    folders = core.watched_folders()
    if not folders:
        raise UsageError("no folders to watch: give a PATH, or add one with `cove watch --add PATH`")
    return _run(core, folders, poll=args.poll)


def _run(core: Any, folders: list[str], *, poll: bool) -> int:
    from indexer.watch_state import WatcherBusy

    stop = threading.Event()
    printer = _Printer(sys.stdout, ProgressLine(sys.stderr), set(folders))
    watcher = core.watcher(folders, on_event=printer.event, on_progress=printer.progress, force_polling=poll)
    core.indexer.on_wait = lambda message: print(f"cove: {message}", file=sys.stderr, flush=True)  # one writer
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            watcher.start()
        except WatcherBusy as exc:
            print(f"cove: {exc}", file=sys.stderr)
            return 1
        print(f"Watching {len(folders)} folder{'s' * (len(folders) != 1)}; catching up first. Ctrl-C stops.",
              file=sys.stderr, flush=True)
        while not stop.wait(0.25):
            if not watcher.running:
                break
        died = not watcher.running and not stop.is_set()
        pending = sum(s.pending for s in watcher.status())
        watcher.stop()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        core.close()
    printer.end_progress()
    if died:
        print("cove: the watcher stopped unexpectedly (see the lines above)", file=sys.stderr)
        return 1
    note = f"; {pending} pending change{'s' * (pending != 1)} will be applied next time" if pending else ""
    print(f"Stopped{note}.", file=sys.stderr, flush=True)
    return 0


class _Printer:
    """Turns watcher callbacks (on the watcher's thread) into lines: a progress line while catching up, then one
    line per applied change."""

    def __init__(self, out: TextIO, progress_line: ProgressLine, folders: set[str]) -> None:
        self.out = out
        self.progress_line = progress_line
        self.catching_up = set(folders)
        self._lock = threading.Lock()
        self._ended = False

    def progress(self, p: Any) -> None:
        if self.catching_up and not self._ended and p.files_total:
            self.progress_line.update(p)

    def end_progress(self) -> None:
        if not self._ended:
            self._ended = True
            self.progress_line.finish()

    def event(self, e: Any) -> None:
        with self._lock:
            if e.kind == "reconciled" and e.path in self.catching_up:
                self.catching_up.discard(e.path)
                self.end_progress()
            self.out.write(f"{time.strftime('%H:%M:%S', time.localtime(e.at))} {_describe(e)}\n")
            self.out.flush()


def _describe(e: Any) -> str:
    if e.kind == "indexed":
        return f"indexed   {e.path} ({e.n_chunks} chunk{'s' * (e.n_chunks != 1)})"
    if e.kind == "moved":
        return f"moved     {e.path} -> {e.dest} ({e.detail})"
    if e.kind == "removed":
        return f"removed   {e.path}"
    if e.kind in ("skipped", "error"):
        return f"{e.kind:<9} {e.path}: {e.detail}"
    if e.kind == "reconciled":
        return f"caught up {e.path or 'journal'}: {e.detail}"
    return f"{e.kind:<9} {e.path}: {e.detail}"
