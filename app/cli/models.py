"""`cove models`: the bundled models and the GGUF models other apps already keep on this computer (Ollama, LM Studio,
GPT4All, Jan, llamafile, the Hugging Face cache), with a recommendation; `cove models --use N|PATH` makes one the
model Cove answers with. Nothing is downloaded, copied or changed in those apps' folders: --use only writes
`model_path` in Cove's own settings."""
from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the catalog loads only for `cove models`, not while every other command starts
    from app.models.catalog import Catalog, ModelEntry


def add_commands(sub: Any) -> None:
    p = sub.add_parser("models", help="list the language models on this computer; choose one with --use")
    p.add_argument("--json", action="store_true", help="print the list as JSON (shape in the README)")
    p.add_argument("--use", metavar="N|PATH", help="answer with model N of the list, or a GGUF file (sets model_path)")
    p.set_defaults(handler=run)


def _size(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def _ctx(n: int) -> str:
    return f"{n // 1024}k" if n >= 1024 and n % 1024 == 0 else (str(n) if n else "?")


def print_catalog(cat: Catalog, out: Any) -> None:
    usable = [(i, e) for i, e in enumerate(cat.entries, 1) if e.usable]
    other = [(i, e) for i, e in enumerate(cat.entries, 1) if not e.usable]
    out.write(f"{'':2}{'N':>3}  {'source':<11} {'name':<34} {'params':>7} {'quant':<7} {'ctx':>5} {'chat':<4} "
              f"{'size':>7}\n")
    for i, e in usable:
        mark = ("*" if e.recommended else " ") + (">" if e.configured else " ")
        name = e.name if len(e.name) <= 34 else e.name[:33] + "…"
        fits = "" if e.fits else "  (too big for free memory)"
        out.write(f"{mark}{i:>3}  {e.source:<11} {name:<34} {e.params:>7} {e.quant:<7} {_ctx(e.context_length):>5} "
                  f"{'yes' if e.chat else 'no':<4} {_size(e.size_bytes):>7}{fits}\n")
        out.write(f"{'':18}{e.path}\n")
    out.write("\n  > in use   * recommended\n")
    out.write(f"Recommendation: {cat.recommendation}\n")
    if cat.available_bytes is not None:
        out.write(f"Free memory now: {_size(cat.available_bytes)}; estimates are for a {cat.n_ctx:,}-token context.\n")
    if other:
        out.write("\nFound but not usable:\n")
        for i, e in other:
            out.write(f"  {i:>3}  {e.source:<11} {e.path}\n       {e.reason}\n")
    looked = sorted({s.source for s in cat.searched if s.exists})
    out.write(f"\nLooked in: {', '.join(looked) if looked else 'no model folders exist'} "
              "(details with --json). Use one with `cove models --use N`.\n")


def _entry_for_path(path: str, cat: Catalog) -> ModelEntry:
    """A GGUF that no store lists: read its header the same way, so the same checks apply."""
    import os
    from pathlib import Path

    from app.cli.errors import UsageError
    from app.models.catalog import _entry, _summarise

    p = Path(os.path.abspath(os.path.expanduser(path)))
    if not p.is_file():
        raise UsageError(f"--use: no such file: {path} (give a number from `cove models` or a .gguf path)")
    summary = _summarise(p, p.resolve())
    if summary is None:
        raise UsageError(f"--use: {p.name} is a later part of a split model; give the part named -00001-of-…")
    return _entry("file", p, p.resolve(), p.name, summary, cat.n_ctx)


def _use(choice: str, cat: Catalog, as_json: bool) -> int:
    from app.cli.errors import UsageError
    from app.models.catalog import entry_by_choice, model_path_setting
    from app.settings import Settings

    entry = entry_by_choice(cat, choice)
    if entry is None:
        if choice.isdigit():
            raise UsageError(f"--use: there is no model {choice}; `cove models` numbers them 1 to {len(cat.entries)}")
        entry = _entry_for_path(choice, cat)
    if not entry.usable:
        raise UsageError(f"--use: {entry.path} cannot be used: {entry.reason}")
    value = model_path_setting(entry, cat)
    settings = Settings.load()
    settings.set("model_path", value)
    settings.save()
    if as_json:
        print(json.dumps({"model_path": value, "model": entry.as_dict()}, indent=2, ensure_ascii=False))
    else:
        print(f"Cove now answers with {entry.name} ({entry.params}, {entry.quant}).")
        if not entry.fits:
            print("Note: it may not fit in the memory that is free now; close other programs if answers fail.")
        print(f"model_path = {value!r} in {settings.path}")
    return 0


def run(args: argparse.Namespace) -> int:
    from app.models.catalog import build_catalog
    from app.settings import Settings

    cat = build_catalog(Settings.load())
    if args.use:
        return _use(args.use, cat, args.json)
    if args.json:
        print(json.dumps(cat.as_dict(), indent=2, ensure_ascii=False))
    else:
        print_catalog(cat, sys.stdout)
    return 0
