"""`cove mail discover` on a fake home (Thunderbird profile, Maildir, notmuch), and the mail CLI commands."""
from __future__ import annotations

import json
import shutil
from pathlib import Path


from indexer.mail.discover import discover_stores

MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mail"


def fake_home(home: Path) -> Path:
    tb = home / ".thunderbird"
    profile = tb / "abcd1234.default-release"
    local = profile / "Mail" / "Local Folders"
    (local / "Archives.sbd").mkdir(parents=True)
    (profile / "prefs.js").write_text("// prefs\n")
    (tb / "profiles.ini").write_text("[Profile0]\nName=default-release\nIsRelative=1\nPath=abcd1234.default-release\n")
    shutil.copy(MAIL / "Inbox", local / "Inbox")  # 3 messages
    (local / "Inbox.msf").write_bytes(b"x")
    shutil.copy(MAIL / "Inbox", local / "Archives.sbd" / "2023")
    (local / "Archives.sbd" / "2023.msf").write_bytes(b"x")
    (local / "Trash").write_bytes(b"")
    (local / "Trash.msf").write_bytes(b"x")
    imap = profile / "ImapMail" / "imap.example.org"
    imap.mkdir(parents=True)
    shutil.copy(MAIL / "Inbox", imap / "INBOX")
    (imap / "INBOX.msf").write_bytes(b"x")
    md = home / "Maildir"
    for d in ("cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp"):
        (md / d).mkdir(parents=True)
    for i in range(4):
        shutil.copy(MAIL / "html-only.eml", md / "cur" / f"{i}.host:2,S")
    shutil.copy(MAIL / "charsets.eml", md / "new" / "9.host")
    shutil.copy(MAIL / "charsets.eml", md / ".Sent" / "cur" / "10.host:2,S")
    shutil.copy(MAIL / "charsets.eml", md / "tmp" / "11.host")  # being delivered: not counted
    nm = home / "archive" / "mailroot"
    (nm / "lists" / "cur").mkdir(parents=True)
    (nm / "lists" / "new").mkdir()
    shutil.copy(MAIL / "charsets.eml", nm / "lists" / "cur" / "1:2,")
    (home / ".notmuch-config").write_text(f"[database]\npath={nm}\n")
    (home / "Documents").mkdir()
    (home / "Documents" / "report.txt").write_text("not mail\n")
    return home


def test_discover_finds_thunderbird_maildir_and_notmuch(tmp_path):
    home = fake_home(tmp_path / "home")
    stores = discover_stores(str(home), env={"HOME": str(home)})
    by_kind = {s.kind: s for s in stores}
    tb = [s for s in stores if s.kind == "thunderbird"]
    assert {Path(s.path).name for s in tb} == {"Local Folders", "imap.example.org"}
    local = next(s for s in tb if s.path.endswith("Local Folders"))
    assert (local.messages, local.folders) == (6, 3)  # Inbox + Archives/2023 (3 each) and the empty Trash
    assert "Thunderbird abcd1234.default-release" in local.label
    md = by_kind["maildir"]
    assert md.path == str(home / "Maildir") and md.messages == 6 and md.folders == 2
    assert by_kind["notmuch"].path == str(home / "archive" / "mailroot") and by_kind["notmuch"].messages == 1
    assert not any("Documents" in s.path for s in stores)
    assert discover_stores(str(tmp_path / "empty"), env={}) == []


def test_discover_windows_appdata_and_apple_mail(tmp_path):
    home = tmp_path / "home"
    appdata = tmp_path / "AppData" / "Roaming"
    profile = appdata / "Thunderbird" / "Profiles" / "x.default"
    (profile / "Mail" / "pop.example.org").mkdir(parents=True)
    (profile / "prefs.js").write_text("")
    shutil.copy(MAIL / "Inbox", profile / "Mail" / "pop.example.org" / "Inbox")
    apple = home / "Library" / "Mail" / "V10" / "UUID" / "INBOX.mbox" / "X" / "Data" / "Messages"
    apple.mkdir(parents=True)
    raw = (MAIL / "charsets.eml").read_bytes()
    (apple / "1.emlx").write_bytes(str(len(raw)).encode() + b"\n" + raw + b"<?xml version=\"1.0\"?><plist/>")
    stores = discover_stores(str(home), env={"APPDATA": str(appdata)})
    kinds = {s.kind: s for s in stores}
    assert kinds["thunderbird"].messages == 3
    assert kinds["apple-mail"].messages == 1


def test_cli_mail_discover_json_and_text(tmp_path, monkeypatch, capsys):
    from app import cli

    home = fake_home(tmp_path / "home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("NOTMUCH_CONFIG", raising=False)
    monkeypatch.delenv("APPDATA", raising=False)
    assert cli.main(["mail", "discover", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {s["kind"] for s in data["stores"]} >= {"thunderbird", "maildir", "notmuch"}
    assert all({"path", "label", "messages", "folders", "size_bytes"} <= set(s) for s in data["stores"])
    assert cli.main(["mail", "discover"]) == 0
    out = capsys.readouterr().out
    assert "Local Folders" in out and "messages" in out and "cove index" in out


def test_cli_mail_show_and_search_filters(tmp_path, monkeypatch, capsys, fake_embedder):
    from app import cli
    from app.core import CoveCore
    from indexer.mail import mbox as mboxfmt

    box = tmp_path / "mail" / "Inbox"
    box.parent.mkdir()
    shutil.copy(MAIL / "Inbox", box)
    core = CoveCore(embedder=fake_embedder)
    core.index([str(box.parent)])
    core.close()
    monkeypatch.setattr(cli, "_core", lambda: CoveCore(embedder=fake_embedder))
    assert cli.main(["search", "glacier survey", "--email", "--from", "bob", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert results and {r["sender"] for r in results} == {"Bob Baker <bob@example.org>"}
    assert cli.main(["search", "glacier survey", "--since", "2024-01-10", "--json"]) == 0
    assert {r["subject"] for r in json.loads(capsys.readouterr().out)["results"]} == {"Fwd: hut booking"}
    assert cli.main(["search", "glacier", "--until", "2024-13-45"]) == 2
    assert "--until wants a date" in capsys.readouterr().err
    data = box.read_bytes()
    offset = list(mboxfmt.spans(data, 0, len(data)))[2][0]
    assert cli.main(["mail", "show", f"{box}#{offset}"]) == 0
    out = capsys.readouterr().out
    assert "Subject: Fwd: hut booking" in out and "Attachments: booking.eml" in out
    assert cli.main(["mail", "show", str(tmp_path / "nope.eml")]) == 2


def test_ask_gets_the_mail_filters():
    from app import cli
    from app.cli.mail import mail_filter_kwargs

    parser = cli.build_parser()
    args = parser.parse_args(["ask", "q", "--from", "alice", "--since", "2024-01-01"])
    assert mail_filter_kwargs(args) == {"sender": "alice", "since": "2024-01-01"}
    assert mail_filter_kwargs(parser.parse_args(["ask", "q"])) == {}
    assert mail_filter_kwargs(parser.parse_args(["ask", "q", "--email"])) == {"email_only": True}
