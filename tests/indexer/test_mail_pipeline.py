"""Mail stores through the real pipeline and LanceDB (fake embedder: this tests bookkeeping and counts embeddings):
grown mbox, Maildir moves, duplicates across stores, deletions, malformed messages, sender/date filters."""
from __future__ import annotations

import os
import shutil
import time
from email.message import EmailMessage
from pathlib import Path

from indexer.mail import locations
from indexer.retrieval import Searcher
from tests.indexer.helpers import consistency_problems, make_indexer

MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mail"


def message(n: int, body: str, *, sender: str = "Alice Archer <alice@example.org>", date: str | None = None,
            mid: str | None = None, subject: str | None = None) -> bytes:
    m = EmailMessage()
    m["From"], m["To"] = sender, "team@example.org"
    m["Subject"] = subject or f"Note {n}"
    m["Date"] = date or f"Mon, {n % 28 + 1:02d} Jan 2024 09:00:00 +0000"
    m["Message-ID"] = mid or f"<note-{n}@example.org>"
    m.set_content(body)
    return m.as_bytes()


def mbox_entry(raw: bytes) -> bytes:
    return b"From sender@example.org Mon Jan  1 09:00:00 2024\n" + raw.replace(b"\nFrom ", b"\n>From ") + b"\n"


def write_mbox(path: Path, raws: list[bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(mbox_entry(r) for r in raws))
    return path


def maildir(root: Path) -> Path:
    for d in ("cur", "new", "tmp"):
        (root / d).mkdir(parents=True, exist_ok=True)
    return root


def emails(idx) -> dict:  # type: ignore[no-untyped-def]
    return {d.doc_id: d for d in idx.store.load_documents().values() if d.kind in ("email", "email-copy")}


def test_mbox_messages_are_documents_with_metadata(tmp_path, fake_embedder):
    box = tmp_path / "mail" / "Inbox"
    box.parent.mkdir()
    shutil.copy(MAIL / "Inbox", box)
    shutil.copy(MAIL / "Inbox.msf", tmp_path / "mail" / "Inbox.msf")
    idx = make_indexer(fake_embedder)
    report = idx.index_paths([str(tmp_path / "mail")])
    docs = emails(idx)
    assert len(docs) == 3 and report.counts.get("error", 0) == 0
    first = next(d for d in docs.values() if d.message_id == "<survey-1@example.org>")
    assert first.path == f"{box}#0" and first.source == str(box) and first.kind == "email"
    assert (first.title, first.subject) == ("Glacier survey dates", "Glacier survey dates")
    assert first.sender == "Alice Archer <alice@example.org>" and first.recipients == "bob@example.org"
    assert first.date == "2024-01-08T09:00:00Z" and first.mailbox == "Inbox"
    assert not [d for d in idx.store.load_documents().values() if d.path.endswith(".msf")]
    hits = Searcher(idx.store, fake_embedder).search("booking number HUT-7731", k=3, email_only=True)
    assert hits and hits[0].subject == "Fwd: hut booking" and hits[0].where.part == "booking.eml"
    assert hits[0].sender == "Carol Chen <carol@example.org>" and hits[0].date.startswith("2024-01-10")
    assert consistency_problems(idx.store) == []


def test_grown_mbox_embeds_only_the_new_message(tmp_path, fake_embedder, monkeypatch):
    box = write_mbox(tmp_path / "box" / "archive.mbox", [message(i, f"Body of note {i} about topic {i}.") for i in range(30)])
    idx = make_indexer(fake_embedder)
    idx.index_paths([str(box.parent)])
    before_texts, before_docs = fake_embedder.texts_embedded, emails(idx)
    assert len(before_docs) == 30
    new = message(99, "The appended message mentions the zeppelin hangar.")
    with open(box, "ab") as fh:
        fh.write(mbox_entry(new))
    import indexer.mail.stores as stores

    parsed: list[int] = []
    real = stores.parse_rfc822

    def counting(raw, **kw):  # type: ignore[no-untyped-def]
        parsed.append(1)
        return real(raw, **kw)

    monkeypatch.setattr(stores, "parse_rfc822", counting)
    report = idx.index_paths([str(box.parent)])
    after = emails(idx)
    assert len(after) == 31 and len(parsed) == 1, "the old messages must not be re-read"
    added = fake_embedder.texts_embedded - before_texts
    assert added == after[next(k for k, d in after.items() if d.message_id == "<note-99@example.org>")].n_chunks
    assert report.counts.get("unchanged") == 30 and report.counts.get("indexed") == 1
    for doc_id, d in before_docs.items():  # same ids, same chunks, new file size recorded
        assert after[doc_id].sha256 == d.sha256 and after[doc_id].size == box.stat().st_size
    assert consistency_problems(idx.store) == []
    # nothing changed: the pipeline does not even open the file
    texts = fake_embedder.texts_embedded
    assert idx.index_paths([str(box.parent)]).counts == {"unchanged": 1}
    assert fake_embedder.texts_embedded == texts


def test_rewritten_mbox_reuses_unchanged_messages_and_drops_deleted_ones(tmp_path, fake_embedder):
    raws = [message(i, f"Body {i} with the word marmot{i}.") for i in range(6)]
    box = write_mbox(tmp_path / "box" / "Inbox.mbox", raws)
    idx = make_indexer(fake_embedder)
    idx.index_paths([str(box.parent)])
    texts = fake_embedder.texts_embedded
    write_mbox(box, raws[:2] + raws[3:])  # message 2 deleted and the folder compacted: offsets shift
    later = time.time() + 5
    os.utime(box, (later, later))
    idx.index_paths([str(box.parent)])
    docs = emails(idx)
    assert len(docs) == 5 and "<note-2@example.org>" not in {d.message_id for d in docs.values()}
    assert fake_embedder.texts_embedded == texts, "unchanged messages are recognised by content, not re-embedded"
    offsets = sorted(int(d.path.rpartition("#")[2]) for d in docs.values())
    data = box.read_bytes()
    assert all(data[o:o + 5] == b"From " for o in offsets)
    assert consistency_problems(idx.store) == []


def test_maildir_move_is_not_a_new_document(tmp_path, fake_embedder):
    root = maildir(tmp_path / "Maildir")
    maildir(root / ".Archive")
    new_file = root / "new" / "1700000000.1.host"
    new_file.write_bytes(message(1, "The moved message talks about the narwhal census."))
    idx = make_indexer(fake_embedder)
    idx.index_paths([str(root)])
    (doc_id, doc), = emails(idx).items()
    assert doc.mailbox == "INBOX" and doc.path == str(new_file)
    texts = fake_embedder.texts_embedded
    seen = root / "cur" / "1700000000.1.host:2,S"  # the client marked it read: new/ → cur/
    new_file.rename(seen)
    report = idx.index_paths([str(root)])
    (doc_id2, doc2), = emails(idx).items()
    assert (doc_id2, doc2.path, doc2.n_chunks) == (doc_id, str(seen), doc.n_chunks)
    assert report.counts.get("indexed", 0) == 0  # (the old path is reported as removed: that file is gone)
    archived = root / ".Archive" / "cur" / seen.name  # then filed into another folder
    seen.rename(archived)
    idx.index_paths([str(root)])
    (doc_id3, doc3), = emails(idx).items()
    assert (doc_id3, doc3.path, doc3.mailbox) == (doc_id, str(archived), "Archive")
    assert fake_embedder.texts_embedded == texts, "a move must not re-embed"
    assert Searcher(idx.store, fake_embedder).search("narwhal census", k=1)[0].path == str(archived)
    assert consistency_problems(idx.store) == []


def test_duplicate_message_id_indexed_once_and_survives_deleting_one_copy(tmp_path, fake_embedder):
    shared = message(7, "The shared message says the budget review is on the ninth.", mid="<dup-7@example.org>")
    box = write_mbox(tmp_path / "store" / "Archive.mbox", [message(1, "Only in the archive."), shared])
    md = maildir(tmp_path / "store" / "Maildir")
    (md / "cur" / "42.host:2,S").write_bytes(shared)
    eml = tmp_path / "store" / "saved" / "budget.eml"
    eml.parent.mkdir()
    eml.write_bytes(shared)
    idx = make_indexer(fake_embedder)
    idx.index_paths([str(tmp_path / "store")])
    docs = emails(idx)
    owners = [d for d in docs.values() if d.message_id == "<dup-7@example.org>" and d.kind == "email"]
    copies = [d for d in docs.values() if d.message_id == "<dup-7@example.org>" and d.kind == "email-copy"]
    assert len(owners) == 1 and len(copies) == 2 and all(c.n_chunks == 0 for c in copies)
    owner = owners[0]
    assert set(owner.mailbox.split("; ")) == {"Archive", "INBOX", "saved"}  # every location's folder
    assert len(locations(docs, owner.doc_id)) == 3
    chunk_rows = idx.store.chunks_table.to_arrow().column("doc_id").to_pylist()
    assert chunk_rows.count(owner.doc_id) == owner.n_chunks
    searcher = Searcher(idx.store, fake_embedder)
    hits = searcher.search("budget review ninth", k=5)
    assert [h.doc_id for h in hits].count(owner.doc_id) >= 1 and not [h for h in hits if h.kind != "email"]
    texts = fake_embedder.texts_embedded

    Path(owner.source).unlink()  # delete the location that owns the chunks
    idx.index_paths([str(tmp_path / "store")])
    docs = emails(idx)
    kept = docs[owner.doc_id]
    assert kept.source != owner.source and os.path.exists(kept.source), "re-pointed to a remaining copy"
    assert kept.n_chunks == owner.n_chunks and fake_embedder.texts_embedded == texts
    assert len([d for d in docs.values() if d.message_id == "<dup-7@example.org>"]) == 2
    assert searcher.search("budget review ninth", k=1)[0].doc_id == owner.doc_id
    assert consistency_problems(idx.store) == []

    for d in list(docs.values()):  # remove every remaining location: now the message is gone
        if d.message_id == "<dup-7@example.org>" and os.path.exists(d.source) and not d.source.endswith(".mbox"):
            Path(d.source).unlink()
    write_mbox(box, [message(1, "Only in the archive.")])
    idx.index_paths([str(tmp_path / "store")])
    assert not [d for d in emails(idx).values() if d.message_id == "<dup-7@example.org>"]
    assert consistency_problems(idx.store) == []


def test_forgetting_one_store_keeps_messages_also_in_another(tmp_path, fake_embedder):
    shared = message(3, "Shared text about the orchard harvest.", mid="<orchard@example.org>")
    a = write_mbox(tmp_path / "a" / "one.mbox", [shared])
    b = write_mbox(tmp_path / "b" / "two.mbox", [shared])
    idx = make_indexer(fake_embedder)
    idx.index_paths([str(tmp_path / "a"), str(tmp_path / "b")])
    owner = next(d for d in emails(idx).values() if d.kind == "email")
    forget = a if owner.source == str(a) else b
    idx.remove_paths([str(forget.parent)])
    docs = emails(idx)
    assert list(docs) == [owner.doc_id] and docs[owner.doc_id].source != str(forget)
    assert consistency_problems(idx.store) == []


def test_malformed_messages_recorded_with_mailbox_and_position(tmp_path, fake_embedder, monkeypatch):
    raws = [message(i, f"Fine message {i}.") for i in range(4)]
    box = write_mbox(tmp_path / "m" / "Lists.mbox", raws)
    import indexer.mail.stores as stores

    real = stores.parse_rfc822

    def flaky(raw, **kw):  # type: ignore[no-untyped-def]
        if b"note-2@" in raw:
            raise stores.ParseError("unreadable message: boom")
        return real(raw, **kw)

    monkeypatch.setattr(stores, "parse_rfc822", flaky)
    idx = make_indexer(fake_embedder)
    report = idx.index_paths([str(box.parent)])
    docs = emails(idx)
    errors = [d for d in docs.values() if d.status == "error"]
    assert len(docs) == 4 and len(errors) == 1
    assert "mailbox Lists, message 3 (byte " in errors[0].error and "boom" in errors[0].error
    assert report.counts.get("error") == 1 and report.counts.get("indexed") == 3
    assert consistency_problems(idx.store) == []


def test_sender_and_date_filters(tmp_path, fake_embedder):
    raws = [message(1, "Quarterly figures look strong.", sender="Alice Archer <alice@example.org>",
                    date="Mon, 15 Jan 2024 09:00:00 +0000"),
            message(2, "Quarterly figures need review.", sender="Bob Baker <bob@example.org>",
                    date="Thu, 15 Feb 2024 09:00:00 +0000"),
            message(3, "Quarterly figures are final.", sender="Alice Archer <alice@example.org>",
                    date="Fri, 15 Mar 2024 09:00:00 +0000")]
    write_mbox(tmp_path / "m" / "box.mbox", raws)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "figures.md").write_text("# Quarterly figures\n\nThe quarterly figures document.\n")
    idx = make_indexer(fake_embedder)
    idx.index_paths([str(tmp_path / "m"), str(tmp_path / "docs")])
    s = Searcher(idx.store, fake_embedder)
    subjects = lambda hits: sorted(h.subject for h in hits)  # noqa: E731
    assert subjects(s.search("quarterly figures", k=10, sender="alice")) == ["Note 1", "Note 3"]
    assert subjects(s.search("quarterly figures", k=10, sender="BOB@example")) == ["Note 2"]
    assert subjects(s.search("quarterly figures", k=10, since="2024-02-01")) == ["Note 2", "Note 3"]
    assert subjects(s.search("quarterly figures", k=10, until="2024-02-15")) == ["Note 1", "Note 2"]
    assert subjects(s.search("quarterly figures", k=10, since="2024-02", until="2024-02")) == ["Note 2"]
    assert s.search("quarterly figures", k=10, sender="nobody") == []
    assert all(h.kind == "email" for h in s.search("quarterly figures", k=10, email_only=True))
    assert any(h.kind != "email" for h in s.search("quarterly figures", k=10))


def test_thunderbird_flag_rewrites_are_not_changes_and_expunged_messages_go(tmp_path, fake_embedder):
    raws = [message(i, f"Body {i} about the lynx{i} sighting.") for i in range(5)]
    tb = [r.replace(b"\nSubject:", b"\nX-Mozilla-Status: 0000\nX-Mozilla-Status2: 00000000\nSubject:", 1) for r in raws]
    box = write_mbox(tmp_path / "Local Folders" / "Inbox", tb)
    (tmp_path / "Local Folders" / "Inbox.msf").write_bytes(b"x")
    idx = make_indexer(fake_embedder)
    idx.index_paths([str(box.parent)])
    texts, ids = fake_embedder.texts_embedded, set(emails(idx))
    data = box.read_bytes()
    data = data.replace(b"X-Mozilla-Status: 0000", b"X-Mozilla-Status: 0001", 3)  # three marked read, in place
    box.write_bytes(data)
    os.utime(box, (time.time() + 5, time.time() + 5))
    report = idx.index_paths([str(box.parent)])
    assert fake_embedder.texts_embedded == texts and set(emails(idx)) == ids and report.counts.get("unchanged") == 5
    i = data.find(b"X-Mozilla-Status: 0000")  # the fourth message deleted: flagged expunged, bytes kept
    box.write_bytes(data[:i] + b"X-Mozilla-Status: 0009" + data[i + 22:])
    os.utime(box, (time.time() + 10, time.time() + 10))
    idx.index_paths([str(box.parent)])
    assert "<note-3@example.org>" not in {d.message_id for d in emails(idx).values()} and len(emails(idx)) == 4
    assert fake_embedder.texts_embedded == texts
    assert consistency_problems(idx.store) == []


def test_unreadable_mailbox_is_reported_not_fatal(tmp_path, fake_embedder, monkeypatch):
    write_mbox(tmp_path / "m" / "Broken.mbox", [message(1, "Never read.")])
    write_mbox(tmp_path / "m" / "Fine.mbox", [message(2, "Read fine.")])
    import indexer.mail.stores as stores

    real = stores.mboxfmt.mapped

    def picky(path):  # type: ignore[no-untyped-def]
        if "Broken" in path:
            raise RuntimeError("simulated bug")
        return real(path)

    monkeypatch.setattr(stores.mboxfmt, "mapped", picky)
    idx = make_indexer(fake_embedder)
    report = idx.index_paths([str(tmp_path / "m")])
    docs = emails(idx)
    bad = [d for d in docs.values() if d.status == "error"]
    assert len(bad) == 1 and "mailbox Broken" in bad[0].error and "simulated bug" in bad[0].error
    assert [d.subject for d in docs.values() if d.status == "indexed"] == ["Note 2"]
    assert report.counts.get("error") == 1
