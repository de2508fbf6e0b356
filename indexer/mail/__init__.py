"""Local mail stores (mbox, Maildir, .eml, .msg): each message is one document. Placeholder until email lands:
no file is treated as a mail store yet, so every file goes through the document parsers."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from indexer.chunking import TokenCounter
    from indexer.prepare import PrepareConfig, Prepared
    from indexer.store import DocRow


def prepare_mail(path: str, previous: "list[DocRow]", config: "PrepareConfig", counter: "TokenCounter") -> "list[Prepared] | None":
    """Return the prepared messages if `path` is a mail file, else None."""
    return None
