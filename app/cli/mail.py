"""Email on the command line: `cove mail discover`, `cove mail show`, and the sender/date filters for `cove search`.

The filters are shared: `add_mail_filters(parser)` adds `--email --from --since --until` to any command and
`mail_filter_kwargs(args)` turns them into the keyword arguments `Searcher.search` takes (ask can reuse both).
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any



def add_mail_filters(parser: argparse.ArgumentParser, *, include_email: bool = True) -> None:
    g = parser.add_argument_group("email filters")
    if include_email:
        g.add_argument("--email", action="store_true", help="only search email")
    g.add_argument("--from", dest="sender", metavar="WHO", help="only email whose sender contains WHO (name or address)")
    g.add_argument("--since", metavar="YYYY-MM-DD", help="only email sent on or after this date")
    g.add_argument("--until", metavar="YYYY-MM-DD", help="only email sent on or before this date")


def _check_date(value: str | None, flag: str) -> str | None:
    if not value:
        return None
    try:
        date.fromisoformat(value[:10])
    except ValueError as exc:
        from app.cli.errors import UsageError

        raise UsageError(f"{flag} wants a date like 2024-01-31, not {value!r}") from exc
    return value


def mail_filter_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """`Searcher.search` keyword arguments for the email filters given on the command line."""
    since = _check_date(getattr(args, "since", None), "--since")
    until = _check_date(getattr(args, "until", None), "--until")
    if since and until and since[:10] > until[:10]:
        from app.cli.errors import UsageError

        raise UsageError(f"--since {since} is after --until {until}")
    out: dict[str, Any] = {}
    if getattr(args, "email", False):
        out["email_only"] = True
    if getattr(args, "sender", None):
        out["sender"] = args.sender
    if since:
        out["since"] = since
    if until:
        out["until"] = until
    return out


def add_commands(sub: Any) -> None:
    """`cove mail discover` and `cove mail show`."""
    p = sub.add_parser("mail", help="local mail stores: find them, show a message")
    p.set_defaults(handler=run, mail_command=None)
    msub = p.add_subparsers(dest="mail_command", metavar="ACTION")
    d = msub.add_parser("discover", help="list the mail stores on this computer (nothing is indexed)")
    d.add_argument("--json", action="store_true")
    s = msub.add_parser("show", help="show one message (headers and plain-text body; nothing remote is loaded)")
    s.add_argument("path", help="a message path as shown by search (file, or mbox#offset)")
    s.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    if args.mail_command == "discover":
        return _discover(args)
    if args.mail_command == "show":
        return _show(args)
    from app.cli.errors import UsageError

    raise UsageError("cove mail: say what to do: `cove mail discover` or `cove mail show PATH`")


def _human(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _discover(args: argparse.Namespace) -> int:
    from indexer.mail.discover import discover_stores

    from app import paths
    from indexer.exclusions import Exclusions

    excluded = Exclusions(paths.data_dir()).excluded  # forgotten stores are not offered again (issue 13)
    found = discover_stores()
    stores = [s for s in found if excluded(s.path) is None]
    forgotten = [s.path for s in found if excluded(s.path) is not None]
    if args.json:
        print(json.dumps({"stores": [s.as_dict() for s in stores], "forgotten": forgotten}, indent=2,
                         ensure_ascii=False))
        return 0
    if forgotten:
        print(f"Not listed because you forgot them (`cove index PATH` indexes one again): {', '.join(forgotten)}")
    if not stores:
        print("No local mail stores found (looked for Thunderbird, Evolution, KMail, notmuch, ~/Maildir, ~/mail, "
              "Apple Mail). Add any mbox file or Maildir folder with `cove index PATH`.")
        return 0
    print("Local mail stores (nothing indexed yet; add one with `cove index PATH`):")
    for s in stores:
        approx = "~" if s.estimated else ""
        print(f"  [{s.kind}] {s.label}\n      {s.path}\n      {approx}{s.messages} messages in {s.folders} "
              f"folder(s), {_human(s.size_bytes)}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from indexer.documents import ParseError
    from indexer.mail.view import render_message

    try:
        msg = render_message(args.path)
    except FileNotFoundError:
        from app.cli.errors import UsageError

        raise UsageError(f"no such message: {args.path} (the mailbox moved? re-run `cove index`)") from None
    except ParseError as exc:
        print(f"cove: {exc.reason}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"path": msg.path, "headers": dict(msg.headers), "body": msg.body,
                          "attachments": list(msg.attachments), "notes": list(msg.notes)}, indent=2,
                         ensure_ascii=False))
    else:
        sys.stdout.write(msg.as_text())
    return 0
