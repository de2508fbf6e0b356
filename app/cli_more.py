"""Commands beyond index/search/status (ask, watch, forget, privacy, mail, desktop) register here as they land."""
from __future__ import annotations

import argparse
from typing import Any


def add_commands(sub: Any) -> None:
    """Add further sub-commands to the `cove` parser."""


def run(args: argparse.Namespace) -> int:
    raise SystemExit(f"cove: unknown command {args.command!r}")
