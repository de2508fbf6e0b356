"""`cove serve`: a resident Cove without a window. It keeps the store, the query embedder and the model warm, watches
the watched folders, and answers `cove search/ask/status/index` over the owner-only local socket until stopped
(Ctrl-C, SIGTERM, logout). The headless autostart entry (`cove desktop autostart on --headless`) runs this."""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import Any

log = logging.getLogger(__name__)


def add_commands(sub: Any) -> None:
    p = sub.add_parser("serve", help="run Cove in the background (no window): other `cove` commands use it, warm",
                       description="Keep Cove warm in the background so `cove search` and `cove ask` answer at once. "
                       "Only you can talk to it (an owner-only local socket; no network).")
    p.add_argument("--no-watch", action="store_true", help="do not watch the watched folders")
    p.add_argument("--lazy-model", action="store_true",
                   help="load the language model on the first question, not at start")
    p.set_defaults(handler=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from app import paths
    from app.logs import configure as configure_logging
    from app.resident.client import request
    from app.resident.server import ResidentServer, serve_forever

    configure_logging()  # issue 15: a no-op after `cove`'s own set-up; here so every way into serve logs to the file
    server = ResidentServer()
    if not server.start():
        who = ""
        remote = request("ping", {})
        if remote is not None:
            with remote:
                info = remote.one("result")["server"]
            who = f" (pid {info['pid']}, since {info['since']})"
        print(f"cove: a Cove is already running for {paths.data_dir()}{who}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, lambda *_: stop.set())
    watcher = None
    try:
        server.warm_up(model=not args.lazy_model)
        if not args.no_watch and server.core.watched_folders():
            try:
                watcher = server.core.watcher()
                watcher.start()
            except Exception as exc:  # another Cove (the app, `cove watch`) already watches: serve anyway
                watcher = None
                print(f"cove: not watching folders: {exc}", file=sys.stderr)
                log.info("serve: not watching folders: %s", exc)
        print(f"cove: serving {paths.data_dir()} (pid {server.pid}) on {server.address}; Ctrl-C stops", file=sys.stderr,
              flush=True)
        log.info("serving %s (pid %d)", paths.data_dir(), server.pid)
        serve_forever(server, stop=stop)
    finally:
        log.info("serve: stopping")
        if watcher is not None:
            watcher.stop()
        server.stop()
        server.core.close()
    return 0
