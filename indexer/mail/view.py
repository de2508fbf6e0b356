"""Show one message (for `cove mail show`, citations and the GUI viewer): headers and a plain-text body.

Why plain text only: an HTML mail can load remote images and trackers the moment it is rendered. The viewer gets
text (HTML-only mail converted with the same walk the indexer uses), so opening a message never touches the network.
"""
from __future__ import annotations

from dataclasses import dataclass

from indexer.documents import ParseError
from indexer.mail.headers import envelope_date
from indexer.mail.message import MailContent, parse_message_bytes, read_message
from indexer.mail.stores import read_location, split_locator

_SHOWN = ("From", "To", "Cc", "Date", "Subject")


@dataclass(frozen=True)
class RenderedMessage:
    """A message ready to show: decoded headers (in order), the plain-text body, attachment names."""

    path: str
    headers: tuple[tuple[str, str], ...]
    body: str
    attachments: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")

    def as_text(self) -> str:
        lines = [f"{k}: {v}" for k, v in self.headers]
        if self.attachments:
            lines.append("Attachments: " + ", ".join(self.attachments))
        lines.extend(f"[{n}]" for n in self.notes)
        return "\n".join(lines) + "\n\n" + self.body.rstrip() + "\n"


def _content(path: str, max_bytes: int) -> MailContent:
    base, _ = split_locator(path)
    if base.lower().endswith(".msg"):
        from indexer.mail.outlook import parse_msg_file

        return parse_msg_file(base, max_bytes=max_bytes)
    envelope, raw = read_location(path)
    try:
        msg = parse_message_bytes(raw)
        # The viewer needs headers and body only: attachments are listed, not parsed.
        content = read_message(msg, max_bytes=max_bytes, with_attachments=False)
    except Exception as exc:  # noqa: BLE001 - show what we can say instead of a traceback
        raise ParseError(f"unreadable message: {type(exc).__name__}: {exc}") from exc
    if not content.date and envelope:
        content.date = envelope_date(envelope)
    mid = content.message_id
    if mid:
        content.header_lines.append(("Message-ID", mid))
    return content


def render_message(path: str, *, max_bytes: int = 100 * 1024 * 1024) -> RenderedMessage:
    """Headers + plain-text body of the message at a document path (`mbox#offset`, a Maildir/.eml/.msg file).
    Raises OSError when the file is gone and ParseError when it cannot be read."""
    content = _content(path, max_bytes)
    headers = [(k, v) for k, v in content.header_lines if v]
    if not any(k == "Date" for k, _ in headers) and content.date:
        headers.append(("Date", content.date))
    order = {name: i for i, name in enumerate(_SHOWN)}
    headers.sort(key=lambda kv: order.get(kv[0], len(order)))
    body = content.body or ("\n".join(f"[{n}]" for n in content.notes) if content.notes else "")
    return RenderedMessage(path=path, headers=tuple(headers), body=body, attachments=tuple(content.attachments),
                           notes=tuple(content.notes))
