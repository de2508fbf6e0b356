"""The real mail in ../shared/corpora/email (see its SOURCES.md): every message of every mbox, Maildir, .eml and .msg
is indexed or reported with a reason; .msg results match the expected-output files shipped with msgreader-js; known
subjects and senders come out right; a fact stated in one mailing-list message is found with that message on top."""
from __future__ import annotations

import json
import mailbox
import os
from collections import Counter
from pathlib import Path

import pytest

from indexer.mail.detect import classify
from indexer.mail.outlook import parse_msg_file
from indexer.pipeline import IndexConfig, Indexer
from indexer.retrieval import Searcher
from indexer.store import Store
from tests.indexer.helpers import consistency_problems, make_indexer

from tests.conftest import CORPORA  # noqa: E402  (one definition: ../shared/corpora or COVE_CORPORA)
EMAIL = CORPORA / "email"
MBOX_DIRS = ("ponymail-mbox", "perceval-mbox", "bigbang-3gpp-mbox")
BIG = 100 * 1024 * 1024


def _need_corpus() -> Path:
    from tests.conftest import corpus

    return corpus("email")


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The whole mail corpus indexed once (fake embedder: these tests count and compare, they do not rank)."""
    from tests.conftest import FakeEmbedder

    root = _need_corpus()
    emb = FakeEmbedder()
    store = Store(tmp_path_factory.mktemp("mailcorpus"), emb.id, emb.dim)
    idx = Indexer(store, emb, IndexConfig())
    report = idx.index_paths([str(root)])
    return idx, report, store.load_documents()


def _mail_files(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            mf = classify(os.path.join(dirpath, f))
            if mf is not None and mf.fmt != "ignore":
                out[os.path.join(dirpath, f)] = mf.fmt
    return out


def test_every_message_indexed_or_reported(indexed):  # type: ignore[no-untyped-def]
    idx, report, docs = indexed
    files = _mail_files(EMAIL)
    rows_by_source: dict[str, list] = {}
    for d in docs.values():
        if d.kind in ("email", "email-copy"):
            rows_by_source.setdefault(d.source, []).append(d)
    per_type: Counter[str] = Counter()
    status: Counter[tuple[str, str]] = Counter()
    for path, fmt in files.items():
        rows = rows_by_source.get(path, [])
        expected = len(mailbox.mbox(path, create=False)) if fmt == "mbox" else 1
        assert len(rows) == expected, f"{path}: {len(rows)} documents for {expected} messages"
        kind = "mbox" if fmt == "mbox" and path.startswith(tuple(str(EMAIL / d) for d in MBOX_DIRS)) else \
            "msg" if fmt == "msg" else "single"
        per_type[kind] += expected
        for d in rows:
            status[(kind, d.status)] += 1
            if d.status != "indexed":
                assert d.error and "message" in d.error and "mailbox" in d.error, d
    print("\nmail corpus:", dict(per_type), dict(status))
    # SOURCES.md: 646 mbox messages in 28 mbox files; 60 .msg files that all open with extract-msg (one more
    # Outlook message hides in mail-parser-tests as an extension-less file); about 400 single-message files.
    mbox_files = [p for p, f in files.items() if f == "mbox" and p.startswith(tuple(str(EMAIL / d) for d in MBOX_DIRS))]
    assert len(mbox_files) == 28 and per_type["mbox"] == 646
    assert len([p for p in files if p.endswith(".msg")]) == 60 and per_type["msg"] == 61
    assert 390 <= per_type["single"] <= 410
    assert status[("msg", "indexed")] == 61
    assert report.counts.get("error", 0) == sum(n for (_, st), n in status.items() if st == "error")
    assert sum(n for (_, st), n in status.items() if st != "indexed") <= 5  # only genuinely empty messages
    assert consistency_problems(idx.store) == []


def test_duplicates_across_the_corpus_are_indexed_once(indexed):  # type: ignore[no-untyped-def]
    _idx, _report, docs = indexed
    owners = Counter(d.message_id for d in docs.values() if d.kind == "email" and d.message_id and "." not in d.doc_id)
    assert owners and max(owners.values()) == 1
    dup = [d for d in docs.values() if d.kind == "email-copy" and "notmuch-corpora/duplicate" in d.path]
    assert len(dup) == 6  # msg-1-2, msg-2-2 and msg-3-2..5 repeat the Message-ID of msg-1-1, msg-2-1, msg-3-1
    for d in dup:
        owner = docs[d.doc_id.split(".")[0]]
        assert owner.message_id == d.message_id and owner.n_chunks > 0 and "duplicate" in owner.mailbox


def test_msg_files_match_msgreader_expected_output():
    root = _need_corpus() / "msg" / "msgreader-js"
    checked = 0
    for js in sorted(root.glob("*.json")):
        msg = js.with_suffix(".msg")
        if not msg.exists() or js.stem == "contactAnsi":  # its expected subject is itself undecoded CP932
            continue
        want = json.loads(js.read_text(encoding="utf-8"))
        got = parse_msg_file(str(msg), max_bytes=BIG)
        assert got.subject == " ".join(want.get("subject", "").split()), js.name
        name, addr = want.get("senderName", ""), want.get("senderEmail", "")
        if name and name != "Unknown":
            assert name in got.sender, (js.name, got.sender)
        if "@" in addr:
            assert addr in got.sender, (js.name, got.sender)
        body = " ".join(want.get("body", "").split())
        if len(body) > 3:
            assert body[:40] in " ".join(got.body.split()), js.name
        checked += 1
    assert checked >= 30


@pytest.mark.parametrize("rel, subject, sender", [
    ("notmuch-corpora/default/01:2,", "[notmuch] [PATCH 1/2] Close message file after parsing message headers",
     "Mikhail Gusarov <dottedmag@dottedmag.net>"),
    ("mail-parser-tests/mail_test_12", "代开各地增值税发票", "张先生 <baoguan@hotmail.com>"),
    ("mail-parser-tests/mail_test_6", "Быстрее вкладывайте в золото!", "Время пришло <noreply@ggg.com>"),
    ("msg/MSGReader-dotnet/EmailWithISO_8859_1_From.eml", "Test", "Some ßtring <some@example.com>"),
    ("msg/MSGReader-dotnet/UTF-8_Test.eml", "【要確認】●普通自転車（ノーパンクタイヤ） 再予約通知 2023/11/29 12:00 - 13:00",
     "設備予約systemシステム <system@example.com>"),
    ("perceval-mbox/mbox/mbox_iso8859_encoding.mbox#0", "[ovs-dev] Remittance Advice",
     "Lucía Charlie <lucíacharlie@wellsfargo.com>"),
    ("msg/msgreader-js/nonUnicodeCP932.msg", "日本語 Non Unicode タイトル", ""),
    ("mail-parser-tests/mail_outlook_1", "Newsletter Prüfung Personalwesen", "NueblingV@w-vwa.de"),
])
def test_known_subject_and_sender(indexed, rel, subject, sender):  # type: ignore[no-untyped-def]
    _idx, _report, docs = indexed
    path = str(EMAIL / rel)
    row = next((d for d in docs.values() if d.path == path), None)
    assert row is not None, f"{rel} not indexed"
    assert row.subject.startswith(subject) and row.status == "indexed"
    if sender:
        assert row.sender == sender


def test_mailing_list_fact_found_with_that_message_on_top(tmp_path, real_embedder):  # type: ignore[no-untyped-def]
    """httpd-users, July 2020: only one reply states that a balancer route must be under 64 characters, and only
    the original poster says the virtual-host trouble was a firewall issue."""
    from indexer.mail import mbox as mboxfmt

    src = _need_corpus() / "ponymail-mbox" / "httpd-users-2020-07.mbox"
    data = src.read_bytes()
    spans = list(mboxfmt.spans(data, 0, len(data)))[:24]  # the first threads keep the real embedder quick
    box = tmp_path / "lists" / "httpd-users.mbox"
    box.parent.mkdir()
    box.write_bytes(data[: spans[-1][1]])
    idx = make_indexer(real_embedder)
    idx.index_paths([str(box.parent)])
    s = Searcher(idx.store, real_embedder)
    top = s.search("How many characters may a mod_proxy balancer route have at most?", k=5, email_only=True)[0]
    assert top.subject == "Re: [users@httpd] Mod proxy balancer route length issue?"
    assert top.sender.startswith("angel Hall-Coulston") and "64 characters" in top.text
    top = s.search("What turned out to be the cause of Dave's virtual hosts problem?", k=5)[0]
    assert top.sender == "David Mehler <dave.mehler@gmail.com>" and "firewall" in top.text
    assert top.date.startswith("2020-") and top.path.startswith(str(box) + "#")
    assert consistency_problems(idx.store) == []
