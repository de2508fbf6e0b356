"""Issue 15: the core knows how each root got into the library (watched folder, mail store, `cove index`, a drop)
and says so the same way in `cove status` and in the snapshot the desktop library draws; an index from before
origins were recorded says "how is not recorded", never "dropped"; forgetting a root forgets its record too."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app import paths
from app.cli import main
from app.library import ROOTS_FILE, RootLog, dropped_to_release, library_roots, origin_label
from tests.conftest import FIXTURES


def _folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    shutil.copy(FIXTURES / "search" / "lighthouse.md", folder)
    (folder / "notes.txt").write_text("The ferry to the island leaves at seven every morning.\n")
    return folder


def _status(capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_cove_index_records_its_root_and_status_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(tmp_path, "Notes")
    assert main(["index", str(folder)]) == 0
    status = _status(capsys)
    roots = {r["path"]: r for r in status["roots"]}
    assert roots[str(folder)]["origin"] == "cli"
    assert roots[str(folder)]["label"] == "Indexed with cove index"
    assert roots[str(folder)]["indexed"] == 2
    assert not any(r["origin"] in ("drop", "unknown") for r in status["roots"])
    main(["status"])
    text = capsys.readouterr().out
    assert f"Indexed with cove index: {folder} (2 indexed)" in text

    # the record is owner-only, and forgetting the folder drops it (its name is not kept anywhere)
    log = paths.data_dir() / ROOTS_FILE
    assert log.stat().st_mode & 0o077 == 0
    assert main(["forget", str(folder)]) == 0
    assert str(folder) not in log.read_text()
    assert not any(r["path"] == str(folder) for r in _status(capsys)["roots"])


def test_an_index_from_before_origins_says_how_is_not_recorded(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(tmp_path, "Old")
    assert main(["index", str(folder)]) == 0
    (paths.data_dir() / ROOTS_FILE).unlink()  # what an index made before issue 15 looks like
    status = _status(capsys)
    assert [r["origin"] for r in status["roots"]] == ["unknown"]
    assert status["roots"][0]["label"] == "Indexed files (how is not recorded)"
    assert status["roots"][0]["documents"] == 2 and status["roots"][0]["indexed"] == 2


def test_watched_and_mail_come_from_settings_and_win_over_the_log(tmp_path: Path) -> None:
    watched, mail, cli, drop = (str(tmp_path / n) for n in ("w", "m", "c", "d"))
    for p in (watched, mail, cli, drop):
        Path(p).mkdir()
    (tmp_path / "w" / "inner").mkdir()
    log = RootLog(tmp_path / "data")
    log.record([cli, watched + "/inner"], "cli")
    log.record([drop, str(tmp_path / "gone")], "drop")  # a path that does not exist is not recorded
    assert [r.path for r in log.items()] == [cli, drop, watched + "/inner"]
    roots = library_roots([watched], [mail], log.items())  # a logged root inside a watched folder counts in it
    assert roots == [(watched, "watched"), (mail, "mail"), (cli, "cli"), (drop, "drop")]
    log.record([drop], "cli")  # indexed again with cove index: the later explicit act is what it is now
    assert dict(library_roots([], [], log.items()))[drop] == "cli"
    # a dropped item leaves again only if no watched folder, mail store or cove-index root holds it
    kept_inside = cli + "/a.txt"
    assert dropped_to_release([kept_inside, watched + "/b.txt", drop + "/c.txt", str(tmp_path / "x.txt")],
                              [(watched, "watched"), (cli, "cli"), (drop, "drop")]) == [drop + "/c.txt",
                                                                                      str(tmp_path / "x.txt")]


def test_a_folder_no_longer_watched_says_so(tmp_path: Path) -> None:
    from app.core import CoveCore

    folder = str(_folder(tmp_path, "Papers"))
    core = CoveCore()
    assert core.set_watched(folder, True)
    assert core.library_roots() == [(folder, "watched")]
    assert core.set_watched(folder, False)  # its documents stay searchable: the library says what it is now
    assert core.library_roots() == [(folder, "unwatched")]
    assert origin_label("unwatched") == "Folder no longer watched"


def test_a_damaged_log_means_unknown_origins_not_a_crash(tmp_path: Path) -> None:
    log = RootLog(tmp_path)
    (tmp_path / ROOTS_FILE).write_text("{not json")
    assert log.items() == []
    (tmp_path / ROOTS_FILE).write_text(json.dumps({"/x": {"origin": "alien"}, "/y": {"origin": "cli"}}))
    assert [(r.path, r.origin) for r in log.items()] == [("/y", "cli")]
