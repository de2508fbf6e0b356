"""Local mail stores (mbox, Maildir, .eml, .emlx, Outlook .msg): each message is one document.

Everything is read from local files; nothing here opens a network connection. `prepare_mail` is what the pipeline
calls for every file (it returns None for files that are not mail, which then go through the document parsers);
`MailLedger` keeps one document per message across stores; `render_message` shows a message for the viewer and
`discover_stores` lists the mail stores on this computer.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from indexer.documents import ParseError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from indexer.chunking import TokenCounter
    from indexer.prepared import PrepareConfig, Prepared
    from indexer.store import DocRow

__all__ = ["prepare_mail", "render_message", "discover_stores", "locations", "MailLedger", "is_mail_kind"]

MAIL_KINDS = ("email", "email-copy")


def is_mail_kind(kind: str) -> bool:
    return kind in MAIL_KINDS


def prepare_mail(path: str, previous: "list[DocRow]", config: "PrepareConfig", counter: "TokenCounter") -> "list[Prepared] | None":
    """Return the prepared messages if `path` is a mail file, else None."""
    from indexer.mail.detect import classify
    from indexer.mail.stores import prepare_mbox, prepare_single

    mail = classify(path)
    if mail is None:
        return None
    if mail.fmt == "ignore":
        return []
    try:
        if mail.fmt == "mbox":
            return prepare_mbox(path, previous, config, counter, mail.mailbox)
        return prepare_single(path, previous, config, counter, mail)
    except FileNotFoundError:
        return _vanished(path, previous)
    except (OSError, ValueError, ParseError) as exc:
        return _store_error(path, previous, mail.mailbox, f"cannot read mailbox: {getattr(exc, 'strerror', None) or exc}")
    except Exception as exc:  # noqa: BLE001 - a bug on one odd file must be reported, never stop the whole run
        return _store_error(path, previous, mail.mailbox, f"mailbox read failed: {type(exc).__name__}: {exc}")


def iter_mail(path: str, previous: "list[DocRow]", config: "PrepareConfig", counter: "TokenCounter") -> "Iterator[Prepared] | None":
    """`prepare_mail` as a stream (mbox messages one by one, so a big mailbox is never one list); None if not mail.
    A failure part-way keeps what was already yielded and reports the rest like `prepare_mail` does."""
    from indexer.mail.detect import classify
    from indexer.mail.stores import iter_mbox

    mail = classify(path)
    if mail is None:
        return None
    if mail.fmt != "mbox":
        return iter(prepare_mail(path, previous, config, counter) or [])

    def stream() -> "Iterator[Prepared]":
        seen: set[str] = set()
        try:
            for p in iter_mbox(path, previous, config, counter, mail.mailbox):
                seen.add(p.doc.doc_id)
                yield p
        except FileNotFoundError:
            yield from _vanished(path, previous)
        except MemoryError:
            raise  # the parse worker reports its cap
        except (OSError, ValueError, ParseError) as exc:
            yield from _store_error(path, [d for d in previous if d.doc_id not in seen], mail.mailbox,
                                    f"cannot read mailbox: {getattr(exc, 'strerror', None) or exc}")
        except Exception as exc:  # noqa: BLE001 - a bug on one odd file must be reported, never stop the whole run
            yield from _store_error(path, [d for d in previous if d.doc_id not in seen], mail.mailbox,
                                    f"mailbox read failed: {type(exc).__name__}: {exc}")

    return stream()


def _vanished(path: str, previous: "list[DocRow]") -> "list[Prepared]":
    from indexer.prepared import Prepared
    from indexer.store import DocRow

    row = previous[0] if previous else DocRow(doc_id="vanished", path=path, kind="email", source=path)
    return [Prepared(row, None, "vanished", "vanished (deleted while indexing)")]


def _store_error(path: str, previous: "list[DocRow]", mailbox: str, reason: str) -> "list[Prepared]":
    """The whole file could not be read: keep what was indexed from it and record the problem on one row."""
    from indexer.mail.stores import failure, local_id, owner_id, unchanged

    kept = [unchanged(d, d.size, 0.0) for d in previous if d.status == "indexed"]  # mtime 0: retried next run
    try:
        st = os.stat(path)
        size = st.st_size
    except OSError:
        size = 0
    return kept + [failure(local_id(owner_id(path)), f"{path}#error", path, size, 0.0, mailbox, "", "error",
                           f"mailbox {mailbox or os.path.basename(path)}: {reason}")]


def render_message(path: str):  # type: ignore[no-untyped-def]
    from indexer.mail.view import render_message as _render

    return _render(path)


def discover_stores(home: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    from indexer.mail.discover import discover_stores as _discover

    return _discover(home, env)


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    if name == "MailLedger":
        from indexer.mail.ledger import MailLedger

        return MailLedger
    raise AttributeError(name)


def locations(docs: "dict[str, DocRow]", doc_id: str) -> list[str]:
    """Every place a message is stored (the owner's path first, then its copies'): citations list them all."""
    from indexer.mail.stores import COPY_KIND, owner_of

    owner = owner_of(doc_id)
    first = [docs[owner].path] if owner in docs else []
    return first + sorted(d.path for d in docs.values() if d.kind == COPY_KIND and owner_of(d.doc_id) == owner)
