"""Commands beyond index/search/status. Each command module has `add_commands(sub)` (register sub-parsers, setting
`handler=` via set_defaults) so `cove --help` lists everything without importing anything heavy."""
from __future__ import annotations

import argparse
import importlib
from typing import Any

# One module per feature; a module that is missing (feature not built) is simply not listed.
COMMAND_MODULES = ("app.cli.ask", "app.cli.watch", "app.cli.mail", "app.cli.privacy", "app.cli.desktop",
                   "app.cli.models", "app.cli.serve")


def add_commands(sub: Any) -> None:
    """Add further sub-commands to the `cove` parser."""
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.add_commands(sub)


def run(args: argparse.Namespace) -> int:
    handler = getattr(args, "handler", None)
    if handler is None:
        raise SystemExit(f"cove: unknown command {args.command!r}")
    return int(handler(args))
