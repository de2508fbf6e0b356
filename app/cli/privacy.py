"""`cove privacy` (where your data lives, what was blocked) and `cove forget` (remove documents for good)."""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def add_commands(sub: Any) -> None:
    p = sub.add_parser("privacy", help="where your data lives, and network attempts blocked (expected: none)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_privacy)

    p = sub.add_parser("forget", help="remove files, folders or mail stores from the index, for good")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.add_argument("--all", action="store_true", help="wipe every byte Cove wrote (index, history, model, settings)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation with --all")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_forget)


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def cmd_privacy(args: argparse.Namespace) -> int:
    from app.privacy.report import report

    data = report()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print("Everything stays on this computer. Network guard: only loopback connections are allowed (always on).")
    print(f"Network attempts blocked since start: {data['network_attempts_blocked']}")
    for b in data["blocked"]:
        print(f"  blocked {b['destination']}")
    print("Your data:")
    for loc in data["data"]:
        state = _human(loc["bytes"]) if loc["exists"] else "not created yet"
        print(f"  {loc['what']:<45} {state:>10}  {loc['path']}")
    enc = data["disk_encryption"]
    where = f" ({enc['how']})" if enc["how"] else ""
    print(f"Disk encryption of the data folder: {enc['state']}{where}. {enc['advice']}")
    print(f"Telemetry switches set: {', '.join(f'{k}={v}' for k, v in data['telemetry_switches'].items())}")
    if data["loosened_permissions"]:
        print("WARNING: these are readable by other users; run `chmod -R go-rwx` on them:")
        for p in data["loosened_permissions"]:
            print(f"  {p}")
    else:
        print("Permissions: owner-only (0700 folders, 0600 files).")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    from app.cli.errors import UsageError

    if args.all:
        if args.paths:
            raise UsageError("give either PATHs or --all, not both")
        if not args.yes:
            if not sys.stdin.isatty():
                raise UsageError("--all wipes everything; add --yes to confirm when not running in a terminal")
            if input("Wipe the whole index, chat history, model and settings? Type 'yes': ").strip() != "yes":
                print("Nothing was removed.")
                return 0
        from app.forget import forget_all

        wiped = forget_all()
        print(json.dumps({"wiped": wiped}) if args.json else "Wiped: " + (", ".join(wiped) or "nothing to wipe"))
        return 0
    if not args.paths:
        raise UsageError("give the files, folders or mail stores to forget, or --all")
    from app.core import CoveCore
    from app.forget import forget

    result = forget(CoveCore(), [os.path.abspath(p) for p in args.paths])
    if args.json:
        print(json.dumps({"documents": result.documents, "history_sources": result.history_sources,
                          "paths": list(result.paths)}, indent=2))
    elif result.documents == 0:
        print("Nothing indexed at those paths (see `cove status`).")
    else:
        print(f"Forgot {result.documents} documents ({result.history_sources} citations removed from chat history); "
              "old versions and full-text entries were purged from disk.")
    return 0
