"""mimeapps.list edits change only the key asked for and leave the user's other lines byte-for-byte alone."""
from __future__ import annotations

from pathlib import Path

from app.desktop import mimeapps as m

PDF = "application/pdf"


def test_set_and_remove_default_in_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "mimeapps.list"
    m.set_default(path, PDF, "cove.desktop")
    assert path.read_text() == "[Default Applications]\napplication/pdf=cove.desktop;\n"
    assert m.read_default(path, PDF) == "cove.desktop"
    m.set_default(path, PDF, None)
    assert m.read_default(path, PDF) is None


def test_replace_keeps_everything_else(tmp_path: Path) -> None:
    path = tmp_path / "mimeapps.list"
    original = "# mine\n[Default Applications]\napplication/pdf=evince.desktop;okular.desktop;\nimage/png=eog.desktop;\n"
    path.write_text(original)
    assert m.read_default(path, PDF) == "evince.desktop"
    m.set_default(path, PDF, "cove.desktop")
    assert path.read_text() == original.replace("evince.desktop;okular.desktop;", "cove.desktop;")
    m.set_default(path, PDF, "evince.desktop")
    assert m.read_default(path, PDF) == "evince.desktop" and "image/png=eog.desktop;" in path.read_text()


def test_adds_key_to_an_existing_group_before_the_next_one(tmp_path: Path) -> None:
    path = tmp_path / "mimeapps.list"
    path.write_text("[Default Applications]\nimage/png=eog.desktop;\n[Removed Associations]\ntext/plain=x.desktop;\n")
    m.set_default(path, PDF, "cove.desktop")
    assert path.read_text() == ("[Default Applications]\nimage/png=eog.desktop;\napplication/pdf=cove.desktop;\n"
                                "[Removed Associations]\ntext/plain=x.desktop;\n")
    assert m.read_default(path, "text/plain") is None  # only [Default Applications] counts


def test_remove_added_association(tmp_path: Path) -> None:
    path = tmp_path / "mimeapps.list"
    path.write_text("[Added Associations]\napplication/pdf=cove.desktop;evince.desktop;\nmessage/rfc822=cove.desktop;\n")
    m.remove_added(path, PDF, "cove.desktop")
    m.remove_added(path, "message/rfc822", "cove.desktop")
    assert path.read_text() == "[Added Associations]\napplication/pdf=evince.desktop;\n"
    m.remove_added(tmp_path / "absent.list", PDF, "cove.desktop")  # no file: nothing to do
