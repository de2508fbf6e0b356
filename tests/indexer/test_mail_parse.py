"""Reading single messages: charsets, bodies, attachments, mbox splitting, file detection and the viewer."""
from __future__ import annotations

import shutil
from email.message import EmailMessage
from pathlib import Path

import pytest

from indexer.mail import mbox as mboxfmt
from indexer.mail.detect import classify, looks_like_message, maildir_label
from indexer.mail.headers import decode_bytes, decode_header, format_addresses, iso_date, normalize_message_id
from indexer.mail.message import indexable_body, parse_rfc822
from indexer.mail.view import render_message

FIX = Path(__file__).resolve().parents[1] / "fixtures"
MAIL = FIX / "mail"
BIG = 50 * 1024 * 1024


def test_rfc2047_split_multibyte_latin1_q_words_and_8bit_headers():
    c = parse_rfc822((MAIL / "charsets.eml").read_bytes(), max_bytes=BIG)
    assert c.subject == "Zürich – 東京 budget"  # B-words split inside a UTF-8 character are decoded together
    assert c.sender == "Renée Müller <renee@example.org>"
    assert c.recipients == "Zoë <zoe@example.org>, 山田 <yamada@example.jp>, bob@example.org"
    assert c.date == "2024-03-05T15:20:00Z"  # ISO 8601, UTC
    assert c.message_id == "<charsets-1@example.org>"
    assert "4 200 €" in c.blocks[0].text  # body labelled Latin-1 but written in UTF-8
    assert c.attachments == ["naïve notes.txt"]  # RFC 2231 name
    att = [b for b in c.blocks if b.where.part == "naïve notes.txt"]
    assert att and "kayak rental" in att[0].text


def test_header_helpers_never_give_up():
    assert decode_header("=?unknown-8bit?q?caf=C3=A9?=") == "café"
    assert decode_header("=?utf-8?q?a?= =?utf-8?q?b?=") == "ab"  # whitespace between encoded words is not content
    assert decode_header("Gr\udcc3\udcbc\udcc3\udc9fe") == "Grüße"  # surrogate-escaped raw 8-bit UTF-8
    assert decode_header("=?iso-8859-1?b?SGVsbG8=?= world") == "Hello world"
    assert decode_bytes("Grüße".encode("cp1252"), "us-ascii") == "Grüße"  # mislabelled ASCII: guessed
    assert decode_bytes("Привет, как дела? Всё хорошо.".encode("koi8-r"), "koi8-r") == "Привет, как дела? Всё хорошо."
    assert format_addresses(["jgb at example.com (Jesus M. Gonzalez)"]) == "Jesus M. Gonzalez <jgb@example.com>"
    assert iso_date("Thu, 29 Aug 2019 08:43:10 +0200") == "2019-08-29T06:43:10Z"
    assert iso_date("not a date") == "" and iso_date(None) == ""
    assert normalize_message_id(" \r\n <abc@x>") == "<abc@x>"
    assert normalize_message_id("abc@x") == "<abc@x>"


def test_html_only_body_is_readable_text_without_remote_content():
    c = parse_rfc822((MAIL / "html-only.eml").read_bytes(), max_bytes=BIG)
    text = "\n".join(b.text for b in c.blocks)
    assert "quarterly lighthouse inspection moved to Friday" in text
    assert "Room | B12" in text
    for bad in ("tracker.example.com", "alert(1)", "color: red", "<"):
        assert bad not in c.body
    shown = render_message(str(MAIL / "html-only.eml"))
    assert "tracker" not in shown.as_text() and "https://" not in shown.as_text()
    assert shown.header("Subject") == "Inspection moved"


def test_plain_part_preferred_over_html():
    m = EmailMessage()
    m["From"], m["Subject"], m["Message-ID"] = "a@example.org", "alt", "<alt@x>"
    m.set_content("plain words only")
    m.add_alternative("<p>html words only</p>", subtype="html")
    c = parse_rfc822(m.as_bytes(), max_bytes=BIG)
    assert "plain words only" in c.body and "html words" not in c.body


def test_quotes_and_signature_left_out_of_index_but_not_alone():
    reply = "Sounds good, booked.\n\nOn Mon, Alice wrote:\n> the hut is booked\n> for six\n\n-- \nBob\nPhone 123"
    assert indexable_body(reply) == "Sounds good, booked."
    only_quote = "> just a quote of something important\n> second line"
    assert indexable_body(only_quote) == only_quote


def test_attachments_pdf_docx_and_nested_message_keep_locators():
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "Ann <ann@example.org>", "b@example.org", "Reports"
    m["Message-ID"] = "<att-1@example.org>"
    m.set_content("Two reports attached.")
    m.add_attachment((FIX / "pdf" / "pagelabels.pdf").read_bytes(), maintype="application", subtype="pdf",
                     filename="labels.pdf")
    m.add_attachment((FIX / "docx" / "headers.docx").read_bytes(), maintype="application",
                     subtype="vnd.openxmlformats-officedocument.wordprocessingml.document", filename="notes.docx")
    inner = EmailMessage()
    inner["From"], inner["Subject"] = "Inner <in@example.org>", "Forwarded thing"
    inner.set_content("The inner message mentions the word quokka.")
    m.add_attachment(inner, filename="fwd.eml")
    m.add_attachment(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, maintype="image", subtype="png", filename="logo.png")
    c = parse_rfc822(m.as_bytes(), max_bytes=BIG)
    parts = {b.where.part for b in c.blocks}
    assert {"labels.pdf", "notes.docx", "fwd.eml"} <= parts
    assert any(b.where.part == "labels.pdf" and b.where.page is not None for b in c.blocks)  # page locator kept
    assert any(b.where.part == "fwd.eml" and "quokka" in b.text for b in c.blocks)
    assert "logo.png" in c.attachments and "logo.png" not in parts  # images are listed, not indexed
    assert "Attachments: labels.pdf, notes.docx, fwd.eml, logo.png" in c.blocks[0].text


def test_malformed_and_encrypted_messages_still_readable():
    c = parse_rfc822(b"Subject: broken\nContent-Type: multipart/mixed; boundary=x\n\nno boundary ever", max_bytes=BIG)
    assert c.subject == "broken"
    enc = (b"From: a@x\nSubject: secret\nMIME-Version: 1.0\nContent-Type: multipart/encrypted; "
           b"protocol=\"application/pgp-encrypted\"; boundary=b\n\n--b\nContent-Type: application/pgp-encrypted\n\n"
           b"Version: 1\n--b\nContent-Type: application/octet-stream\n\n-----BEGIN PGP MESSAGE-----\n--b--\n")
    c = parse_rfc822(enc, max_bytes=BIG)
    assert c.subject == "secret" and any("encrypted" in n for n in c.notes)


def test_mbox_boundaries_escapes_and_envelope():
    data = (MAIL / "Inbox").read_bytes()
    spans = list(mboxfmt.spans(data, 0, len(data)))
    assert len(spans) == 3  # "From there on we walk" after a blank line is prose, not a new message
    env, msg = mboxfmt.split_envelope(data[spans[0][0]:spans[0][1]])
    assert env.startswith(b"From alice@example.org")
    assert b"\nFrom the last trip" in msg  # mboxrd ">From " unescaped
    c = parse_rfc822(msg, max_bytes=BIG)
    assert "From there on we walk" in c.blocks[0].text
    third = parse_rfc822(mboxfmt.split_envelope(data[spans[2][0]:])[1], max_bytes=BIG)
    assert any(b.where.part == "booking.eml" and "HUT-7731" in b.text for b in third.blocks)
    assert mboxfmt.content_hash(b"a\r\nb\r\n\r\n") == mboxfmt.content_hash(b"a\nb")


def test_classify_by_name_content_and_place(tmp_path: Path):
    tb = tmp_path / "Mail" / "Local Folders"
    tb.mkdir(parents=True)
    shutil.copy(MAIL / "Inbox", tb / "Inbox")
    shutil.copy(MAIL / "Inbox.msf", tb / "Inbox.msf")
    (tb / "Archives.sbd").mkdir()
    shutil.copy(MAIL / "Inbox", tb / "Archives.sbd" / "2023")
    (tb / "Drafts").write_bytes(b"")
    (tb / "Drafts.msf").write_bytes(b"x")
    md = tmp_path / "Maildir"
    for d in ("cur", "new", "tmp", ".Work.Projects/cur", ".Work.Projects/new", ".Work.Projects/tmp"):
        (md / d).mkdir(parents=True)
    msg = (MAIL / "html-only.eml").read_bytes()
    (md / "cur" / "1.host:2,S").write_bytes(msg)
    (md / "tmp" / "2.host").write_bytes(msg)
    (md / ".Work.Projects" / "new" / "3.host").write_bytes(msg)
    note = tmp_path / "note.md"
    note.write_text("From: a friend\nTo: me\n\nA markdown note, not mail.\n")
    raw = tmp_path / "saved-message"
    raw.write_bytes(msg)
    prose = tmp_path / "letter.txt"
    prose.write_text("From here on, dear reader,\nthe story begins.\n")
    assert classify(str(tb / "Inbox")).fmt == "mbox"
    assert classify(str(tb / "Inbox")).mailbox == "Inbox"
    assert classify(str(tb / "Archives.sbd" / "2023")).mailbox == "Archives/2023"
    assert classify(str(tb / "Inbox.msf")).fmt == "ignore"
    assert classify(str(tb / "Drafts")).fmt == "ignore"  # an empty Thunderbird folder
    assert classify(str(md / "cur" / "1.host:2,S")).fmt == "maildir"
    assert classify(str(md / "cur" / "1.host:2,S")).mailbox == "INBOX"
    assert classify(str(md / "tmp" / "2.host")).fmt == "ignore"  # still being delivered
    assert classify(str(md / ".Work.Projects" / "new" / "3.host")).mailbox == "Work/Projects"
    assert classify(str(raw)).fmt == "eml"
    assert classify(str(MAIL / "charsets.eml")).fmt == "eml"
    assert classify(str(note)) is None and classify(str(prose)) is None
    assert maildir_label(str(tmp_path / "local-mail" / ".inbox.directory" / "lists")) == "inbox/lists"
    assert not looks_like_message(b"title: notes\ndate: 2024-01-01\n\nfront matter, not mail\n")


def test_render_mbox_message_by_offset():
    path = str(MAIL / "Inbox")
    data = (MAIL / "Inbox").read_bytes()
    second = list(mboxfmt.spans(data, 0, len(data)))[1][0]
    shown = render_message(f"{path}#{second}")
    assert shown.header("From") == "Bob Baker <bob@example.org>"
    assert shown.header("Subject") == "Re: Glacier survey dates"
    assert "> Bob, the glacier survey" in shown.body  # the viewer shows quotes; only the index leaves them out
    with pytest.raises(OSError):
        render_message(str(MAIL / "missing.eml"))
