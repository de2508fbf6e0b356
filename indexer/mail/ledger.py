"""One document per message across every mail store: duplicates, moves and deletions.

Why a ledger in the writer: a message's id comes from its Message-ID, so the same message can turn up in several
files (a Maildir `new/`→`cur/` rename, a folder move, Gmail's "All Mail" next to INBOX, an .eml saved from an mbox).
Each file is prepared on its own and cannot see the others, and the pipeline deletes a file's documents when the
file no longer returns them. The ledger sits between the two, in the single writer thread, and keeps this true:

- Exactly one row per message owns the chunks (kind "email"); other locations are "email-copy" rows without chunks,
  and the owner's `mailbox` lists every location's folder.
- A new location of a message whose owner's file still exists becomes a copy: nothing is embedded again.
- A message whose owner's file is gone (a Maildir move) is taken over by the new location: same id, same chunks.
- Deleting the owner's location while a copy exists re-points the owner row to the copy's location (no re-embed)
  and drops the copy row; the message disappears only with its last location.

Rows pending in the current batch are the same objects the ledger holds, so a promotion made before they are
flushed is written by that flush; `commit()` (called after each flush) writes whatever else changed.
"""
from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING, Iterable

from indexer.mail.stores import (COPY_KIND, KIND, MAILBOX_SEP, as_copy, is_owner_row, local_id, owner_of,
                                 prepare_location)
from indexer.prepared import Prepared
from indexer.store import DocRow

if TYPE_CHECKING:
    from indexer.chunking import TokenCounter
    from indexer.prepared import PrepareConfig
    from indexer.store import Store


def _alive(row: DocRow) -> bool:
    return os.path.exists(row.source or row.path)


def _own_label(row: DocRow) -> str:
    return row.mailbox.split(MAILBOX_SEP)[0]


class MailLedger:
    """Live view of all mail rows for one indexing run (or one remove)."""

    def __init__(self, store: "Store", docs: dict[str, DocRow]) -> None:
        self.store = store
        self.live: dict[str, DocRow] = {}
        self.copies: dict[str, set[str]] = {}
        self._dirty: dict[str, DocRow] = {}
        self._doomed: set[str] = set()
        self._written: set[str] = set()  # owner ids handed to the pipeline in this run (maybe still pending)
        for d in docs.values():
            if d.kind in (KIND, COPY_KIND):
                self._track(replace(d))
        for owner, ids in self.copies.items():  # a kill mid-promotion can leave a copy at its owner's path
            row = self.live.get(owner)
            for cid in list(ids):
                if row is not None and self.live[cid].path == row.path:
                    self._forget(cid)
                    self._doomed.add(cid)

    # --- bookkeeping ----------------------------------------------------------------------------------------------
    def _track(self, row: DocRow) -> None:
        self.live[row.doc_id] = row
        if row.kind == COPY_KIND:
            self.copies.setdefault(owner_of(row.doc_id), set()).add(row.doc_id)

    def _forget(self, doc_id: str) -> None:
        self._dirty.pop(doc_id, None)
        row = self.live.pop(doc_id, None)
        if row is not None and row.kind == COPY_KIND:
            self.copies.get(owner_of(doc_id), set()).discard(doc_id)

    def _refresh_mailbox(self, owner: DocRow) -> None:
        labels = [_own_label(owner)]
        for cid in sorted(self.copies.get(owner.doc_id, ())):
            label = self.live[cid].mailbox
            if label and label not in labels:
                labels.append(label)
        text = MAILBOX_SEP.join(x for x in labels if x)
        if text != owner.mailbox:
            owner.mailbox = text
            self._dirty[owner.doc_id] = owner

    def locations(self, owner: str) -> list[str]:
        """Every path a message lives at, the owner's first."""
        row = self.live.get(owner)
        paths = [row.path] if row else []
        return paths + sorted(self.live[c].path for c in self.copies.get(owner, ()))

    # --- results of one source -----------------------------------------------------------------------------------
    def resolve(self, source: str, results: list["Prepared"], config: "PrepareConfig",
                counter: "TokenCounter") -> list["Prepared"]:
        """Turn a file's prepared messages into owners, copies, moves and promotions (see the module doc)."""
        out: list[Prepared] = []
        for p in results:
            d = p.doc
            if p.outcome == "vanished" or d.kind not in (KIND, COPY_KIND):
                out.append(p)
            elif d.kind == KIND and not is_owner_row(d):  # a failure row: bound to its location
                self._track(d)
                out.append(p)
            elif is_owner_row(d):
                out.append(self._owner_candidate(p, self.live.get(d.doc_id), source))
            else:
                out.append(self._copy(p, self.live.get(owner_of(d.doc_id)), config, counter))
        return out

    def _owner_candidate(self, p: "Prepared", cur: DocRow | None, source: str) -> "Prepared":
        d = p.doc
        if cur is not None and (cur.source or cur.path) != source:
            # Already written in this run from elsewhere, or its file still exists: this location is a copy.
            if cur.doc_id in self._written or _alive(cur):
                copy = as_copy(d, local_id(d.doc_id))
                self._track(copy)
                self._refresh_mailbox(cur)
                return Prepared(copy, None, "indexed", f"duplicate of {cur.path} (indexed once)")
            if cur.sha256 == d.sha256 and cur.n_chunks:  # moved: same id, same chunks, nothing embedded
                d = replace(d, n_chunks=cur.n_chunks, status="indexed", error="")
                p = Prepared(d, None, "unchanged", f"moved from {cur.path}")
        self._track(d)
        self._refresh_mailbox(d)
        self._dirty.pop(d.doc_id, None)  # the flush of this result writes it
        self._written.add(d.doc_id)
        return p

    def _copy(self, p: "Prepared", cur: DocRow | None, config: "PrepareConfig",
              counter: "TokenCounter") -> "Prepared":
        d = p.doc
        owner = owner_of(d.doc_id)
        if owner not in self._written:
            if cur is None:  # the owner vanished without a hand-over: this location becomes the document
                fresh = prepare_location(d, owner, config, counter)
                if fresh is not None and fresh.doc.status == "indexed":
                    self._track(fresh.doc)
                    self._refresh_mailbox(fresh.doc)
                    self._written.add(owner)
                    self._doomed.add(d.doc_id)
                    return fresh
            elif (cur.source or cur.path) != d.source and not _alive(cur):  # owner's file gone: hand it over
                self._forget(d.doc_id)
                self._doomed.add(d.doc_id)
                moved = replace(cur, path=d.path, source=d.source, size=d.size, mtime=d.mtime, mailbox=d.mailbox)
                self.live[owner] = moved
                self._refresh_mailbox(moved)
                self._dirty.pop(owner, None)
                self._written.add(owner)
                return Prepared(moved, None, "unchanged", f"moved from {cur.path}")
        self._track(d)
        if cur is not None:
            self._refresh_mailbox(cur)
        return p

    # --- deletions -----------------------------------------------------------------------------------------------
    def delete(self, rows: Iterable[DocRow]) -> list[str]:
        """Delete these documents, except messages that live on elsewhere (re-pointed instead). Returns ids deleted
        now; re-pointed owners and dropped copies are written by `commit`."""
        rows = list(rows)
        doomed = {r.doc_id for r in rows}
        now_ids: list[str] = []
        for r in rows:
            live = self.live.get(r.doc_id)
            if r.kind not in (KIND, COPY_KIND):
                now_ids.append(r.doc_id)
                continue
            if live is not None and (live.source or live.path) != (r.source or r.path):
                continue  # moved or taken over in this run: the row no longer belongs to the deleted location
            if is_owner_row(r):
                heir = next((self.live[c] for c in sorted(self.copies.get(r.doc_id, ()))
                             if c not in doomed and _alive(self.live[c])), None)
                if heir is not None and live is not None:
                    self._promote(live, heir)
                    continue
            now_ids.append(r.doc_id)
            self._forget(r.doc_id)
            owner = self.live.get(owner_of(r.doc_id))
            if r.kind == COPY_KIND and owner is not None:
                self._refresh_mailbox(owner)
        if now_ids:
            self.store.delete_documents(now_ids)
        return now_ids

    def _promote(self, owner: DocRow, heir: DocRow) -> None:
        """Re-point `owner` at `heir`'s location. If the heir row is pending in the current batch, mutate it into the
        owner so the flush writes the owner (never a stale copy); otherwise commit writes the owner."""
        self._forget(heir.doc_id)
        self._doomed.add(heir.doc_id)
        old_id = heir.doc_id
        for field_name in ("path", "source", "size", "mtime"):
            setattr(owner, field_name, getattr(heir, field_name))
        owner.mailbox = heir.mailbox
        # The heir object may sit in the pipeline's pending batch: turn it into the owner row in place.
        for field_name in owner.__dataclass_fields__:
            setattr(heir, field_name, getattr(owner, field_name))
        self.live[owner.doc_id] = heir
        self._refresh_mailbox(heir)
        self._dirty[heir.doc_id] = heir
        self._doomed.add(old_id)

    def commit(self) -> None:
        """Write re-pointed owners, then drop the copy rows they replaced (after the batch that held them)."""
        rows = [row for doc_id, row in self._dirty.items() if self.live.get(doc_id) is row]
        self._dirty.clear()
        if rows:
            self.store.upsert_documents(rows)
        gone = sorted(i for i in self._doomed if i not in self.live)
        if gone:
            self.store.delete_documents(gone)
        self._doomed.clear()
