"""`cove desktop install|uninstall|autostart|status` and `cove gui [--tray] [FILE...]`.

`cove gui` is what the launcher and the autostart entry run: it hands files to a running Cove over the single-instance
socket before importing Qt (a second double-click is instant), and otherwise opens the desktop app with the same
arguments (`--tray`, files) for app.gui.main.run(argv).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
TRAY = "--tray"  # understood by app.gui.main.run(argv): start hidden in the tray


def add_commands(sub: Any) -> None:
    p = sub.add_parser("desktop", help="add Cove to the desktop: launcher, icons, Open with, autostart (Linux)",
                       description="Register Cove with your desktop (Linux/XDG, your own user only). "
                       "`uninstall` removes exactly what `install` created.")
    actions = p.add_subparsers(dest="desktop_action", metavar="ACTION", required=True)
    a = actions.add_parser("install", help="add the launcher, icons and 'Open with Cove' for PDF, DOCX and EML")
    a.add_argument("--default", action="store_true",
                   help="also make Cove the default app for PDF, DOCX and EML (never done without this flag)")
    a.add_argument("--json", action="store_true")
    a = actions.add_parser("uninstall", help="remove everything `install` added and restore previous defaults")
    a.add_argument("--json", action="store_true")
    a = actions.add_parser("autostart", help="start Cove in the tray when you log in (on) or not (off)")
    a.add_argument("state", choices=("on", "off"))
    a.add_argument("--headless", action="store_true",
                   help="start `cove serve` instead (no window, no tray icon; the CLI answers at once)")
    a.add_argument("--json", action="store_true")
    a = actions.add_parser("status", help="what is installed")
    a.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_desktop)

    g = sub.add_parser("gui", help="open the desktop app (what the launcher runs)",
                       description="Open Cove's window, or hand FILEs to the Cove that is already running so the "
                       "next question is about them.")
    g.add_argument("--tray", action="store_true", help="start hidden in the system tray (used by autostart)")
    g.add_argument("--quick-ask", action="store_true",
                   help="open just the quick-ask popup (bind this to a desktop keyboard shortcut)")
    g.add_argument("files", nargs="*", metavar="FILE", help="files to index and ask about")
    g.set_defaults(handler=cmd_gui)


def cmd_desktop(args: argparse.Namespace) -> int:
    from app.desktop import integration as di

    try:
        backend = di.backend()
        if args.desktop_action == "install":
            result = backend.install(set_default=args.default)
        elif args.desktop_action == "uninstall":
            result = backend.uninstall()
        elif args.desktop_action == "autostart":
            result = backend.set_autostart(args.state == "on", headless=args.headless if args.state == "on" else None)
        else:
            result = backend.status()
    except di.DesktopError as exc:
        print(f"cove: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        PRINTERS[args.desktop_action](result)
    return EXIT_OK


def _home(path: str) -> str:
    home = os.path.expanduser("~")
    return "~" + path[len(home):] if home != "/" and path.startswith(home + os.sep) else path


def _tools_line(tools: dict[str, str]) -> str:
    return ", ".join(f"{name} {'refreshed' if state == 'ran' else state}" for name, state in tools.items())


def _print_install(r: dict[str, Any]) -> None:
    import shlex

    icons = [f for f in r["files"] if f.endswith((".png", ".svg"))]
    print("Cove is in your applications menu.")
    print(f"  launcher: {_home(r['desktop_file'])}")
    print(f"  runs:     {shlex.join(r['exec'][:-1])} %F")
    print(f"  icons:    {len(icons)} in {_home(str(os.path.commonpath(icons)))}" if icons else "  icons:    none")
    kinds = "PDF, DOCX and EML"
    if r["defaults_set"]:
        print(f"  Cove is now the default app for {kinds} files (uninstall gives the previous default back)")
    else:
        print(f"  'Open with Cove' is offered for {kinds} files; your default apps are unchanged "
              "(`cove desktop install --default` to change them)")
    if r["tools"]:
        print(f"  {_tools_line(r['tools'])}")
    print("Undo with: cove desktop uninstall")


def _print_uninstall(r: dict[str, Any]) -> None:
    if not r["removed"] and not r["autostart_removed"]:
        print(f"Nothing to remove: Cove's desktop integration is not installed (no {_home(r['manifest'])}).")
        return
    print(f"Removed Cove's launcher and icons ({len(r['removed'])} files and folders).")
    for mime, previous in r["restored_defaults"].items():
        print(f"  default for {mime}: {previous or 'none (as before)'}")
    if r["autostart_removed"]:
        print("  autostart: removed")
    if r["tools"]:
        print(f"  {_tools_line(r['tools'])}")


def _print_autostart(r: dict[str, Any]) -> None:
    if r["autostart"]:
        where = "in the background (`cove serve`, no window)" if r.get("headless") else "in the tray"
        print(f"Cove will start {where} when you log in ({_home(r['file'])}).")
    else:
        print("Cove will not start when you log in.")


def _print_status(r: dict[str, Any]) -> None:
    print(f"launcher:  {'installed' if r['installed'] else 'not installed'} ({_home(r['desktop_file'])})")
    if r["installed_command"] and r["installed_command"] != r["command"]:
        print(f"  note: it runs {r['installed_command'][0]}; this Cove is {r['command'][0]} "
              "(run `cove desktop install` again to switch)")
    print(f"defaults:  {', '.join(r['defaults_set']) if r['defaults_set'] else 'unchanged'}")
    print(f"autostart: {'on' if r['autostart'] else 'off'}")


PRINTERS = {"install": _print_install, "uninstall": _print_uninstall, "autostart": _print_autostart,
            "status": _print_status}


def cmd_gui(args: argparse.Namespace) -> int:
    from app.desktop.single_instance import is_running, open_message, send_to_running

    missing = [f for f in args.files if not os.path.exists(os.path.expanduser(f))]
    if missing:
        print(f"cove: no such file: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.files:
            if send_to_running(open_message(args.files)):
                print("Handed to the Cove window that is already open.")
                return EXIT_OK
        elif args.quick_ask:
            if send_to_running({"action": "quick-ask"}):
                return EXIT_OK
        elif args.tray:
            if is_running():
                return EXIT_OK  # autostart while Cove already runs: nothing to do, and do not pop up a window
        elif send_to_running({"action": "show"}):
            return EXIT_OK
    except OSError as exc:  # a hand-off problem must never stop Cove from opening
        print(f"cove: could not reach a running Cove ({exc}); opening a new window", file=sys.stderr)
    from app.desktop.launch import launch_gui

    argv = ([TRAY] if args.tray else []) + (["--quick-ask"] if args.quick_ask else []) + [os.path.abspath(os.path.expanduser(f)) for f in args.files]
    return launch_gui(argv)

