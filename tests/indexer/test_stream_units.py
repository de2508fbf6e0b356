"""The pieces behind streaming and odd names, checked against the whole-file code they replace."""
from __future__ import annotations

import base64
import os

import pytest

from indexer.parsers.text import parse_str
from indexer.parsers.textstream import iter_text_blocks
from indexer.pathsafe import from_store, printable, to_store
from indexer.secrets import secret_by_content, secret_by_name


@pytest.mark.parametrize("kind", ["text", "code"])
def test_streamed_text_blocks_equal_the_whole_file_parser(tmp_path, kind):
    lines = []
    for i in range(3000):
        lines.append("" if i % 7 == 0 else f"line {i}\tcontent  with   spaces {'x' * (i % 300)}")
    lines.insert(50, "a very long line " * 200)  # longer than a block: stays whole
    text = "\n".join(lines) + "\n"
    path = tmp_path / "f.txt"
    path.write_text(text, encoding="utf-8")
    whole = parse_str(text, "f.txt", kind).blocks
    streamed = tuple(iter_text_blocks(str(path), kind, path.stat().st_size))
    assert [(b.text, b.where.line_start, b.where.line_end) for b in streamed] == [(b.text, b.where.line_start, b.where.line_end) for b in whole]


def test_streamed_text_decodes_legacy_encodings_like_the_whole_file_parser(tmp_path):
    from indexer.parsers.textutil import decode_text

    path = tmp_path / "latin.txt"
    prose = ("Le café était fermé; nous sommes allés à la gare, où l'on vendait des crêpes et du thé glacé. "
             "Die Größe der Straße überrascht, schöne Grüße aus München! ")
    data = "\n\n".join(f"{i}. {prose}" for i in range(2000)).encode("cp1252")
    path.write_bytes(data)
    streamed = [b.text for b in iter_text_blocks(str(path), "text", path.stat().st_size)]
    assert streamed == [b.text for b in parse_str(decode_text(data), "latin.txt", "text").blocks]
    assert "Le café était fermé" in streamed[0] and "Größe" in streamed[0]


def test_store_form_of_names_is_reversible_and_utf8():
    for name in ["/x/bad\udcffdir/latin1-\udce9.txt", "/plain/ok.txt", "/has\u241bff/and\u241b", "/a\nb", "/é/ü"]:
        stored = to_store(name)
        stored.encode("utf-8")  # storable
        assert from_store(stored) == name
    assert to_store("/x/bad\udcffdir") == "/x/bad\u241bffdir"
    assert printable("/x/bad\udcffdir/a\nb") == "/x/bad\\xffdir/a\\nb"


def test_secret_names_and_contents():
    for name in ["id_rsa", "id_ed25519", "server.pem", "tls.key", "cert.p12", "cert.pfx", "vault.kdbx", ".env",
                 ".env.local", "Chrome Passwords.csv", "bitwarden_export_2024.json", "1PasswordExport.1pux"]:
        assert secret_by_name(name), name
    for name in ["id_rsa.pub", "notes.txt", "password-policy.md", "keynote.txt", "environment.md"]:
        assert secret_by_name(name) is None, name
    key = "-----BEGIN RSA PRIVATE KEY-----\n" + base64.encodebytes(os.urandom(900)).decode() + "-----END RSA PRIVATE KEY-----"
    assert secret_by_content("keep this safe\n" + key)
    assert secret_by_content(base64.encodebytes(os.urandom(4000)).decode())  # a bare key blob
    prose = "We rotate the private key every month and store it in the vault, never in a file. " * 40
    assert secret_by_content(prose) is None
    assert secret_by_content("The hash of the release is " + "ab12" * 16 + ".\n" + prose) is None
