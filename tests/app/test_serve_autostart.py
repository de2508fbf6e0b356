"""Headless autostart (issue 12): the log-in entry runs `cove serve` (no window, no tray icon) when asked, the tray app
otherwise; the choice is kept in settings (`autostart_headless`). Real files in a private XDG config home."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.desktop import integration as di
from app.cli import main
from app.settings import Settings


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data-home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config-home"))
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))  # no desktop helpers are run
    return home


def _exec(home: Path) -> str:
    text = (home / "config-home" / "autostart" / "cove.desktop").read_text("utf-8")
    return next(line.split("=", 1)[1] for line in text.splitlines() if line.startswith("Exec="))


def test_headless_autostart_runs_cove_serve(home: Path) -> None:
    linux = di.LinuxDesktop(run_tool=lambda *a: "absent")
    report = linux.set_autostart(True, headless=True)
    assert report["headless"] is True
    command = _exec(home)
    assert command.endswith(" serve") and "--tray" not in command and " gui" not in command
    assert Settings.load().get("autostart_headless") is True and Settings.load().get("autostart_tray") is True
    linux.set_autostart(True)  # no choice given: the saved one holds
    assert _exec(home).endswith(" serve")
    linux.set_autostart(True, headless=False)
    assert _exec(home).endswith(" gui --tray")
    assert Settings.load().get("autostart_headless") is False


def test_cli_flag(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["desktop", "autostart", "on", "--headless", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["headless"] is True and out["setting"]["autostart_headless"] is True
    assert _exec(home).endswith(" serve")
    assert main(["desktop", "autostart", "on"]) == 0
    assert "in the tray" in capsys.readouterr().out
    assert _exec(home).endswith(" gui --tray")
    assert main(["desktop", "autostart", "off"]) == 0
    assert not (home / "config-home" / "autostart" / "cove.desktop").exists()


def test_serve_command_is_the_launcher_with_serve() -> None:
    assert di.serve_command()[:-1] == di.launcher_command()[:-1] and di.serve_command()[-1] == "serve"
