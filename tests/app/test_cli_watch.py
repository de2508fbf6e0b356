"""`cove watch` and the watched folders in `cove status`: settings edits in-process, the foreground watcher as a
real subprocess (real embedder) stopped by SIGINT / SIGTERM."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.cli import main
from app.settings import Settings
from tests.indexer.watch_helpers import wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_add_and_remove_edit_the_settings(tmp_path, capsys):
    folder = tmp_path / "notes"
    folder.mkdir()
    assert main(["watch", "--add", str(folder)]) == 0
    assert Settings.load().get("watched_folders") == [str(folder)]
    assert main(["watch", "--add", str(folder)]) == 0
    assert "Already watched" in capsys.readouterr().out
    assert main(["watch", "--remove", str(folder)]) == 0
    assert Settings.load().get("watched_folders") == []
    assert "Removed" in capsys.readouterr().out


def test_bad_usage(tmp_path, capsys):
    assert main(["watch", str(tmp_path / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(["watch"]) == 2
    assert "no folders to watch" in capsys.readouterr().err
    (tmp_path / "f.txt").write_text("x")
    assert main(["watch", "--add", str(tmp_path / "f.txt")]) == 2


def test_status_lists_watched_folders_when_no_watcher_runs(tmp_path, capsys):
    folder = tmp_path / "notes"
    folder.mkdir()
    assert main(["watch", "--add", str(folder)]) == 0
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert f"{folder}: not running (start `cove watch` or the app); 0 files, 0 pending changes" in out
    assert main(["status", "--json"]) == 0
    [w] = json.loads(capsys.readouterr().out)["watched"]
    assert w["path"] == str(folder) and w["state"] == "not running" and w["files"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cove_watch_in_the_foreground(tmp_path, capsys, sig):
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    (folder / "first.md").write_text("# First\n\nThe lighthouse keeper's log.\n")
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "watch", str(folder)], cwd=ROOT, env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out: list[str] = []
    threading.Thread(target=lambda: [out.append(line) for line in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
    try:
        wait_for(lambda: any("caught up" in line for line in out), timeout=180, what="catching up")
        assert any("1 indexed" in line for line in out)
        (folder / "sub" / "second.md").write_text("# Second\n\nA note about the fog horn.\n")
        wait_for(lambda: any(line.split()[1:3] == ["indexed", str(folder / "sub" / "second.md")] for line in out),
                 timeout=60, what="a line for the new file")
        os.rename(folder / "first.md", folder / "renamed.md")
        wait_for(lambda: any("moved" in line and "renamed.md" in line for line in out), timeout=60, what="a move line")
        wait_for(lambda: _status(capsys)["state"] == "watching" and _status(capsys)["files"] == 2, timeout=30,
                 what="status from another process")
    finally:
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "Stopped" in err
    assert Settings.load().get("watched_folders") == [str(folder)], "a PATH given to `cove watch` is remembered"
    assert _status(capsys)["state"] == "not running"


def _status(capsys) -> dict:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    return json.loads(capsys.readouterr().out)["watched"][0]
