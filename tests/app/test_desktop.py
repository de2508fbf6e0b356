"""`cove desktop install/uninstall/autostart` against a throwaway HOME and XDG dirs: the files are right, uninstall
removes exactly what install created (and gives the user's default app back), re-install is idempotent."""
from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from app.desktop import integration as di
from app.cli import main
from app.settings import Settings

PDF, DOCX, EML = di.MIME_TYPES


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data-home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config-home"))
    return home


@pytest.fixture
def tool_log(tmp_path: Path) -> list[tuple[str, ...]]:
    return []


@pytest.fixture
def linux(tool_log: list[tuple[str, ...]]) -> di.LinuxDesktop:
    """The backend with desktop helpers faked as absent (recorded), so tests never touch the real desktop."""
    def run_tool(name: str, *args: str) -> str:
        tool_log.append((name, *args))
        return "absent"

    return di.LinuxDesktop(run_tool=run_tool)


def tree(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


def entry(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if "=" in line)


def test_install_writes_launcher_icons_and_mime_types(home: Path, linux: di.LinuxDesktop) -> None:
    report = linux.install()
    desktop = home / "data-home" / "applications" / "cove.desktop"
    assert report["desktop_file"] == str(desktop)
    fields = entry(desktop)
    command = di.launcher_command()
    assert command[-1] == "gui" and os.path.isabs(command[0])
    assert fields["Exec"] == " ".join(di.exec_quote(a) for a in command) + " %F"
    assert fields["TryExec"] == command[0]
    assert fields["MimeType"] == f"{PDF};{DOCX};{EML};"
    assert fields["Icon"] == "cove" and fields["Type"] == "Application" and fields["Terminal"] == "false"
    hicolor = home / "data-home" / "icons" / "hicolor"
    svg = hicolor / "scalable" / "apps" / "cove.svg"
    assert svg.read_bytes() == di.icon_svg().read_bytes()
    assert svg.read_bytes().lstrip().startswith(b"<svg")
    for size in di.PNG_SIZES:
        png = hicolor / f"{size}x{size}" / "apps" / "cove.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        assert stat.S_IMODE(png.stat().st_mode) == 0o644
    assert stat.S_IMODE(desktop.stat().st_mode) == 0o644
    assert len(report["files"]) == 2 + len(di.PNG_SIZES)
    manifest = json.loads(di.Manifest.path().read_text())
    assert sorted(manifest["files"]) == sorted(report["files"])
    assert not (home / "config-home" / "mimeapps.list").exists()  # no --default: the user's defaults are untouched


def test_uninstall_removes_exactly_what_install_created(home: Path, linux: di.LinuxDesktop) -> None:
    apps = home / "data-home" / "applications"
    apps.mkdir(parents=True)
    (apps / "editor.desktop").write_text("[Desktop Entry]\nName=Editor\n")  # the user's own: must survive
    (home / "data-home" / "icons").mkdir()
    before = tree(home)
    linux.install()
    assert len(tree(home)) > len(before)
    report = linux.uninstall()
    assert report["removed"]
    assert tree(home) == before
    assert not di.Manifest.path().exists()
    assert linux.uninstall()["removed"] == []  # a second uninstall is a no-op


def test_reinstall_is_idempotent(home: Path, linux: di.LinuxDesktop) -> None:
    before = tree(home)
    first = linux.install()
    after_first = tree(home)
    second = linux.install()
    assert tree(home) == after_first
    assert sorted(second["files"]) == sorted(first["files"])
    manifest = json.loads(di.Manifest.path().read_text())
    assert len(manifest["files"]) == len(set(manifest["files"]))
    linux.uninstall()
    assert tree(home) == before


def test_default_is_only_set_when_asked_and_restored_on_uninstall(home: Path, linux: di.LinuxDesktop) -> None:
    mimeapps = home / "config-home" / "mimeapps.list"
    mimeapps.parent.mkdir(parents=True)
    original = ("# my choices\n[Added Associations]\napplication/pdf=evince.desktop;\n\n"
                "[Default Applications]\napplication/pdf=evince.desktop;\ntext/plain=gedit.desktop;\n")
    mimeapps.write_text(original)
    linux.install()
    assert mimeapps.read_text() == original
    report = linux.install(set_default=True)
    assert report["defaults_set"] == list(di.MIME_TYPES)
    text = mimeapps.read_text()
    for mime in di.MIME_TYPES:
        assert f"{mime}=cove.desktop;" in text
    assert "text/plain=gedit.desktop;" in text and "# my choices" in text
    linux.install(set_default=True)  # re-install must not record Cove itself as "the previous default"
    restored = linux.uninstall()["restored_defaults"]
    assert restored[PDF] == "evince.desktop" and restored[EML] is None
    assert mimeapps.read_text() == original


def test_xdg_mime_is_used_when_present(home: Path, tool_log: list[tuple[str, ...]]) -> None:
    def run_tool(name: str, *args: str) -> str:
        tool_log.append((name, *args))
        return "ran"

    di.LinuxDesktop(run_tool=run_tool).install(set_default=True)
    assert ("xdg-mime", "default", "cove.desktop", *di.MIME_TYPES) in tool_log
    assert [t[0] for t in tool_log[:2]] == ["update-desktop-database", "gtk-update-icon-cache"]


def test_cli_runs_desktop_tools_if_present_and_cleans_their_caches(
        home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    bin_dir, log = tmp_path / "bin", tmp_path / "tools.log"
    bin_dir.mkdir()
    fake = {"update-desktop-database": 'touch "$2/mimeinfo.cache"', "gtk-update-icon-cache": 'touch "$4/icon-theme.cache"'}
    for name, action in fake.items():
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\n{action}\n')
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")  # the fakes first; sh needs touch
    before = tree(home)
    assert main(["desktop", "install", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["tools"] == {"update-desktop-database": "ran", "gtk-update-icon-cache": "ran"}
    apps = home / "data-home" / "applications"
    assert f"update-desktop-database -q {apps}" in log.read_text()
    assert (apps / "mimeinfo.cache").exists()
    assert main(["desktop", "uninstall", "--json"]) == 0
    assert tree(home) == before  # the caches the tools created for Cove went too


def test_cli_without_any_desktop_tools(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["desktop", "install"]) == 0
    out = capsys.readouterr().out
    assert "Open with Cove" in out and "update-desktop-database absent" in out
    assert main(["desktop", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["installed"] is True
    assert main(["desktop", "uninstall"]) == 0
    assert "Removed" in capsys.readouterr().out


def test_autostart_on_off_writes_entry_and_setting(home: Path, linux: di.LinuxDesktop) -> None:
    autostart = home / "config-home" / "autostart" / "cove.desktop"
    report = linux.set_autostart(True)
    assert report["autostart"] is True and report["file"] == str(autostart)
    fields = entry(autostart)
    assert fields["Exec"].endswith(" gui --tray") and "MimeType" not in fields
    assert fields["X-GNOME-Autostart-enabled"] == "true" and fields["StartupNotify"] == "false"
    assert Settings.load().get("autostart_tray") is True
    linux.set_autostart(False)
    assert not autostart.exists()
    assert Settings.load().get("autostart_tray") is False


def test_autostart_off_leaves_a_foreign_entry_alone(home: Path, linux: di.LinuxDesktop) -> None:
    autostart = home / "config-home" / "autostart" / "cove.desktop"
    autostart.parent.mkdir(parents=True)
    autostart.write_text("[Desktop Entry]\nExec=something-else\n")
    linux.set_autostart(False)
    assert autostart.exists()


def test_uninstall_also_removes_cove_autostart(home: Path, linux: di.LinuxDesktop) -> None:
    linux.install()
    linux.set_autostart(True)
    assert linux.uninstall()["autostart_removed"] is True
    assert not (home / "config-home" / "autostart" / "cove.desktop").exists()
    assert Settings.load().get("autostart_tray") is False


def test_cli_autostart(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["desktop", "autostart", "on"]) == 0
    assert "log in" in capsys.readouterr().out
    assert main(["desktop", "autostart", "off", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["autostart"] is False
    assert main(["desktop", "autostart", "maybe"]) == 2
    assert main(["desktop"]) == 2


def test_other_platforms_say_not_supported(home: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    for platform, name in (("darwin", "macOS"), ("win32", "Windows")):
        with pytest.raises(di.UnsupportedPlatform, match=f"not supported yet on {name}; use the bundle"):
            di.backend(platform)
    monkeypatch.setattr(di, "platform_key", lambda platform=None: "macos")
    assert main(["desktop", "install"]) == 1
    assert "not supported yet on macOS" in capsys.readouterr().err
    assert not (home / "data-home").exists()


def test_exec_quoting_follows_the_desktop_entry_spec() -> None:
    assert di.exec_quote("/usr/bin/cove") == "/usr/bin/cove"
    assert di.exec_quote("/home/me/My Apps/cove") == '"/home/me/My Apps/cove"'
    assert di.exec_quote("/opt/$x/100%/cove") == '"/opt/\\\\$x/100%%/cove"'
    assert di.exec_quote('/a"b') == '"/a\\\\"b"'


def test_exec_with_spaces_round_trips(home: Path, linux: di.LinuxDesktop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(di, "launcher_command", lambda: ["/home/me/My Apps/cove", "gui"])
    linux.install()
    fields = entry(home / "data-home" / "applications" / "cove.desktop")
    assert fields["Exec"] == '"/home/me/My Apps/cove" gui %F'


def test_launcher_command_in_the_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/Cove/cove")
    assert di.launcher_command() == ["/opt/Cove/cove", "gui"]
