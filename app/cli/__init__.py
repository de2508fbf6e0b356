"""`cove` on the command line: the same operations as the app, headless.

Exit codes: 0 success (per-file errors are reported, not fatal), 2 bad usage, 1 a real failure. With no command,
`cove` opens the desktop app.
"""
from __future__ import annotations

import app  # noqa: F401  (installs the privacy guard before anything else is imported)

import argparse
import json
import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Sequence

from app.cli.errors import UsageError  # (also app.cli.UsageError)
from app.cli.mail import add_mail_filters, mail_filter_kwargs
from app.cli.output import ProgressLine, print_index_summary, print_search_hits, print_status
from app.resident.client import RemoteError, ServerGone, records, request

if TYPE_CHECKING:
    from app.core import CoveCore
    from app.resident.client import Request
    from indexer.hits import SearchHit
    from indexer.progress import IndexReport

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cove", description="Cove: a private assistant for your own documents and "
                                     "email. Everything stays on this computer.")
    parser.add_argument("--data-dir", help="keep the index, history and models here (default: the OS data dir; "
                        "also COVE_DATA_DIR)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="index files and folders (incremental)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--rebuild", action="store_true", help="drop an index built by another embedder/schema and rebuild")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")

    p = sub.add_parser("search", help="show the passages that match a query")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=None, help="how many results (default: settings search_k)")
    p.add_argument("--mode", choices=("hybrid", "vector", "fts"), default="hybrid")
    p.add_argument("--scope", action="append", metavar="PATH", help="only search under this file/folder (repeatable)")
    p.add_argument("--json", action="store_true")
    add_mail_filters(p)

    p = sub.add_parser("status", help="what is indexed, and every file that could not be")
    p.add_argument("--json", action="store_true")

    from app.cli import more

    more.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help → 0, bad usage → 2
        return int(exc.code or 0)
    if args.data_dir:
        os.environ["COVE_DATA_DIR"] = os.path.abspath(os.path.expanduser(args.data_dir))
    for stream in (sys.stdout, sys.stderr):  # file names with non-UTF-8 bytes print as \udcff, never crash the CLI
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    from app.logs import configure as configure_logging

    configure_logging()  # issue 15: once per run, after --data-dir; failures leave their traceback in the log file
    if args.command is None:
        from app.desktop.launch import launch_gui

        return launch_gui([])
    try:
        return int(COMMANDS.get(args.command, _more)(args))
    except UsageError as exc:
        print(f"cove: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\ncove: interrupted", file=sys.stderr)
        return 130
    except (RemoteError, ServerGone) as exc:  # issue 12: failed inside the resident Cove, printed as in-process
        plain = isinstance(exc, ServerGone) or exc.plain
        print(f"cove: {exc}" if plain else f"cove: {exc.type_name}: {exc}\n(set COVE_DEBUG=1 for the full traceback)",
              file=sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:  # a real failure: say what happened and what to do, no traceback wall
        import logging

        from app.faults import explain  # disk full, data dir unusable, damaged index or settings (issue 13)
        from app.logs import FILE_ONLY

        logging.getLogger("app.cli").error("cove %s failed", args.command, exc_info=exc, extra=FILE_ONLY)
        from indexer.store import StoreMismatch

        plain = str(exc) if isinstance(exc, StoreMismatch) else explain(exc)
        if plain:
            print(f"cove: {plain}", file=sys.stderr)
        else:
            print(f"cove: {type(exc).__name__}: {exc}\n(set COVE_DEBUG=1 for the full traceback)", file=sys.stderr)
        if os.environ.get("COVE_DEBUG"):
            raise
        return EXIT_FAILURE


def _core() -> CoveCore:
    from app.core import CoveCore

    return CoveCore()


def cmd_index(args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not os.path.lexists(os.path.expanduser(p))]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)} (check the path and try again)")
    progress = ProgressLine(sys.stderr, enabled=not args.json)
    remote = request("index", {"paths": [os.path.abspath(os.path.expanduser(p)) for p in args.paths],
                               "rebuild": args.rebuild})
    cancel = threading.Event()
    try:
        if remote is not None:  # a resident Cove runs: its single indexer does the work (issue 12)
            report = _index_remote(remote, progress)
        else:
            core = _core()
            for path in core.index_again(args.paths):  # naming a forgotten path is "index it again" (issue 13)
                print(f"cove: {path} was forgotten; indexing it again as asked", file=sys.stderr)
            core.open_store_for_writing(rebuild=args.rebuild)
            core.indexer.on_wait = lambda message: print(f"cove: {message}", file=sys.stderr, flush=True)  # one writer
            from app.cli.reembed import reembed_first  # issue 12: an index of another embedder is re-embedded first

            if not reembed_first(core, sys.stderr, show=not args.json, cancel=cancel):
                raise KeyboardInterrupt
            from indexer.priority import run_low_priority  # low CPU priority: the machine stays usable

            report = run_low_priority(core.index, args.paths, origin="cli", on_progress=progress.update,
                                      cancel=cancel)  # origin: the library says "indexed with cove index" (issue 15)
    except KeyboardInterrupt:
        cancel.set()
        progress.finish()
        print("cove: cancelled; what was written is kept, run the same command to finish", file=sys.stderr)
        return 130
    progress.finish()
    if args.json:
        print(json.dumps(_report_json(report), indent=2))
    else:
        print_index_summary(report, sys.stdout)
    return EXIT_OK


def _index_remote(remote: Request, progress: ProgressLine) -> IndexReport:
    """Stream a resident Cove's index run into the same progress line; closing the request (Ctrl-C) cancels it."""
    from app.resident.protocol import rebuild
    from indexer.progress import IndexProgress, IndexReport

    report = None
    with remote:
        for event in remote.events():
            if event["event"] == "notice":
                print(f"cove: {event['message']}", file=sys.stderr, flush=True)
            elif event["event"] == "progress":
                progress.update(rebuild(IndexProgress, event["progress"]))
            elif event["event"] == "report":
                report = rebuild(IndexReport, event["report"])
    if report is None:
        raise ServerGone("the running Cove sent no index report; run the command again")
    return report


def _report_json(report: IndexReport) -> dict[str, Any]:
    return {
        "elapsed_s": round(report.elapsed_s, 3),
        "chunks_written": report.chunks_written,
        "ocr_pages": getattr(report, "ocr_pages", 0),  # issue 14
        "counts": {k: report.counts.get(k, 0) for k in ("indexed", "unchanged", "skipped", "error", "removed")},
        "problems": [{"path": o.path, "status": o.outcome, "reason": o.reason}
                     for o in report.outcomes if o.outcome in ("skipped", "error")],
        "removed": [o.path for o in report.outcomes if o.outcome == "removed"],
        "cancelled": report.cancelled,
    }


def cmd_search(args: argparse.Namespace) -> int:
    if args.k is not None and args.k < 1:
        raise UsageError("-k must be at least 1")
    filters = mail_filter_kwargs(args)
    scope = [os.path.abspath(os.path.expanduser(s)) for s in args.scope] if args.scope else None
    remote = request("search", {"query": args.query, "k": args.k, "scope": scope, "mode": args.mode,
                                "filters": filters})
    if remote is not None:  # a resident Cove answers, warm (issue 12); the same hits as in-process
        from indexer.hits import SearchHit

        with remote:
            reply = remote.one("result")
        hits, elapsed_ms, where = records(SearchHit, reply["hits"]), reply["took_ms"], reply["locations"]
    else:
        core = _core()
        started = time.perf_counter()
        hits = core.search(args.query, args.k, scope=scope, mode=args.mode, **filters)
        elapsed_ms = (time.perf_counter() - started) * 1000
        from app.core import locations_of

        where = locations_of(core, hits)  # a message stored in several places cites all of them
    if args.json:
        results = [{**hit_json(h), **({"locations": where[h.doc_id]} if h.doc_id in where else {})} for h in hits]
        print(json.dumps({"query": args.query, "took_ms": round(elapsed_ms, 1), "results": results},
                         indent=2, ensure_ascii=False))
    else:
        print_search_hits(hits, sys.stdout)
        for i, h in enumerate(hits, 1):
            if len(where.get(h.doc_id, ())) > 1:
                print(f"  [{i}] is also stored at: {', '.join(where[h.doc_id][1:])}")
    return EXIT_OK


def hit_json(h: SearchHit, n: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {} if n is None else {"n": n}
    out.update({"path": h.path, "title": h.title, "kind": h.kind, **h.where.columns(), "score": round(h.score, 6),
                "similarity": round(h.similarity, 4), "snippet": h.snippet(), "doc_id": h.doc_id,
                "chunk_id": h.chunk_id})
    if h.kind == "email":
        out.update({"sender": h.sender, "date": h.date, "subject": h.subject})
    return out


def cmd_status(args: argparse.Namespace) -> int:
    remote = request("status", {})
    if remote is not None:  # "server": who answered (issue 12)
        with remote:
            status = remote.one("result")["status"]
    else:
        status = {**_core().status(), "server": None}
    if args.json:
        print(json.dumps(status, indent=2, ensure_ascii=False))
    else:
        print_status(status, sys.stdout)
        if status.get("server"):
            print(f"Served by: the running Cove (pid {status['server']['pid']}, since {status['server']['since']})")
    return EXIT_OK


def _more(args: argparse.Namespace) -> int:
    from app.cli import more

    return more.run(args)


COMMANDS = {"index": cmd_index, "search": cmd_search, "status": cmd_status}
