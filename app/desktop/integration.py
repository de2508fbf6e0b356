"""Put Cove on the desktop: a launcher, icons, "Open with Cove" for PDF/DOCX/EML, and autostart-to-tray.

Qt-free, so the CLI can do it before any window exists. Linux follows the XDG specs (desktop entry, icon theme,
MIME applications, autostart) in the user's own dirs, never system-wide. Everything `install` writes is recorded in
a manifest in Cove's config dir, so `uninstall` removes exactly that and nothing of the user's. Cove never makes
itself the default app unless asked (`--default`), and uninstall gives the previous default back.

Other platforms: `backend()` raises UnsupportedPlatform with a message that points at the bundle. Adding macOS or
Windows means one class with the same methods (install/uninstall/set_autostart/status) registered in BACKENDS.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

from app import paths
from app.desktop import mimeapps

DESKTOP_ID = "cove.desktop"
ICON_NAME = "cove"
MIME_TYPES = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "message/rfc822",
)
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
MANIFEST_NAME = "desktop-install.json"
MANAGED_MARKER = "X-Cove-Managed=true"
TRAY_FLAG = "--tray"


class DesktopError(RuntimeError):
    """Desktop integration cannot proceed; the message says what to do."""


class UnsupportedPlatform(DesktopError):
    """No desktop integration for this OS yet."""


# -- where things are -------------------------------------------------------------------------------------------------

def assets_dir() -> Path:
    """repo/assets in a checkout; sys._MEIPASS/assets in the bundle (app/ sits next to it in both)."""
    return Path(__file__).resolve().parents[2] / "assets"


def icon_svg() -> Path:
    for candidate in (assets_dir() / "icons" / "cove.svg", assets_dir() / "cove.svg"):
        if candidate.is_file():
            return candidate
    raise DesktopError(f"Cove's icon is missing from {assets_dir()}; run from a source checkout or the bundle")


def icon_pngs() -> dict[int, Path]:
    return {n: p for n in PNG_SIZES if (p := assets_dir() / "png" / f"cove-{n}.png").is_file()}


def launcher_command() -> list[str]:
    """How the desktop starts this Cove: the bundle's executable when frozen, else this environment's `cove`."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "gui"]
    script = Path(os.path.abspath(sys.executable)).parent / ("cove.exe" if os.name == "nt" else "cove")
    if script.is_file():
        return [str(script), "gui"]
    found = shutil.which("cove")
    return [found, "gui"] if found else [os.path.abspath(sys.executable), "-m", "app.cli", "gui"]


def _xdg_dir(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable, "")
    return Path(value) if value and os.path.isabs(value) else Path.home() / fallback  # the spec: relative = unset


def xdg_data_home() -> Path:
    return _xdg_dir("XDG_DATA_HOME", ".local/share")


def xdg_config_home() -> Path:
    return _xdg_dir("XDG_CONFIG_HOME", ".config")


# -- desktop entry text -----------------------------------------------------------------------------------------------

_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def exec_quote(arg: str) -> str:
    """Quote one Exec argument per the Desktop Entry spec (quoting rule, then the string escape on top)."""
    if arg and not any(c in _RESERVED for c in arg):
        quoted = arg
    else:
        quoted = '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'
    return quoted.replace("%", "%%").replace("\\", "\\\\")


def _string_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def render_entry(command: list[str], extra_args: list[str], *, mime: bool, extra_lines: tuple[str, ...] = ()) -> str:
    """The .desktop text from assets/cove.desktop: Exec = command + extra args (unquoted field codes like %F)."""
    template_path = assets_dir() / "cove.desktop"
    try:
        template = template_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DesktopError(f"{template_path} is missing; run from a source checkout or the bundle") from None
    exec_line = " ".join([exec_quote(a) for a in command] + extra_args)
    lines = []
    for line in template.replace("@EXEC@", exec_line).replace("@TRYEXEC@", _string_escape(command[0])).replace(
            "@ICON@", ICON_NAME).replace("@MIME_TYPES@", ";".join(MIME_TYPES) + ";").splitlines():
        if line.startswith("MimeType=") and not mime:
            continue
        lines.append(line)
    return "\n".join(lines + list(extra_lines)) + "\n"


# -- manifest ---------------------------------------------------------------------------------------------------------

@dataclass
class Manifest:
    """What install created, so uninstall can remove exactly that."""

    files: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)      # created by install, removed again when left empty
    caches: list[str] = field(default_factory=list)    # tool caches that did not exist before install
    defaults: dict[str, str | None] = field(default_factory=dict)  # mime -> the previous default app (or None)
    command: list[str] = field(default_factory=list)
    installed_at: float = 0.0

    @staticmethod
    def path() -> Path:
        return paths.config_dir() / MANIFEST_NAME

    @classmethod
    def load(cls) -> "Manifest | None":
        try:
            data = json.loads(cls.path().read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise DesktopError(f"cannot read {cls.path()}: {exc}") from None
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def save(self) -> None:
        target = self.path()
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(tmp, target)


def _run_tool(name: str, *args: str) -> str:
    """Run a desktop helper if installed: 'ran', 'absent' or 'failed: …' (never fatal: they only refresh caches)."""
    exe = shutil.which(name)
    if exe is None:
        return "absent"
    try:
        proc = subprocess.run([exe, *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"failed: {exc}"
    return "ran" if proc.returncode == 0 else f"failed: {(proc.stderr or proc.stdout).strip()[:200]}"


class DesktopBackend(Protocol):
    def install(self, set_default: bool = False) -> dict[str, Any]: ...
    def uninstall(self) -> dict[str, Any]: ...
    def set_autostart(self, enabled: bool) -> dict[str, Any]: ...
    def status(self) -> dict[str, Any]: ...


class LinuxDesktop:
    """XDG desktop integration in the user's dirs ($XDG_DATA_HOME, $XDG_CONFIG_HOME)."""

    platform = "linux"

    def __init__(self, run_tool: Callable[..., str] = _run_tool) -> None:
        self.run_tool = run_tool

    @property
    def applications_dir(self) -> Path:
        return xdg_data_home() / "applications"

    @property
    def hicolor_dir(self) -> Path:
        return xdg_data_home() / "icons" / "hicolor"

    @property
    def desktop_file(self) -> Path:
        return self.applications_dir / DESKTOP_ID

    @property
    def autostart_file(self) -> Path:
        return xdg_config_home() / "autostart" / DESKTOP_ID

    def _mimeapps_files(self) -> list[Path]:
        return [xdg_config_home() / "mimeapps.list", self.applications_dir / "mimeapps.list"]  # current, legacy

    def _caches(self) -> list[Path]:
        return [self.applications_dir / "mimeinfo.cache", self.hicolor_dir / "icon-theme.cache"]

    def _refresh(self) -> dict[str, str]:
        return {
            "update-desktop-database": self.run_tool("update-desktop-database", "-q", str(self.applications_dir)),
            "gtk-update-icon-cache": self.run_tool("gtk-update-icon-cache", "-q", "-t", "-f", str(self.hicolor_dir)),
        }

    def install(self, set_default: bool = False) -> dict[str, Any]:
        old = Manifest.load() or Manifest()
        manifest = Manifest(dirs=list(old.dirs), caches=list(old.caches), defaults=dict(old.defaults),
                            command=launcher_command(), installed_at=time.time())
        ours = set(old.files) | set(old.caches)
        caches_before = {str(c) for c in self._caches() if c.exists() and str(c) not in ours}
        entry = render_entry(manifest.command, ["%F"], mime=True).encode("utf-8")
        self._write(self.desktop_file, entry, manifest)
        self._write(self.hicolor_dir / "scalable" / "apps" / f"{ICON_NAME}.svg", icon_svg().read_bytes(), manifest)
        for size, png in sorted(icon_pngs().items()):
            self._write(self.hicolor_dir / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png", png.read_bytes(), manifest)
        for stale in set(old.files) - set(manifest.files):  # e.g. a size the previous install had and this one lacks
            Path(stale).unlink(missing_ok=True)
        tools = self._refresh()
        for cache in self._caches():
            if cache.exists() and str(cache) not in caches_before and str(cache) not in manifest.caches:
                manifest.caches.append(str(cache))
        defaults_set: list[str] = []
        if set_default:
            tools["xdg-mime"] = self._make_default(manifest)
            defaults_set = list(MIME_TYPES)
        manifest.save()
        return {"platform": self.platform, "installed": True, "desktop_file": str(self.desktop_file),
                "exec": manifest.command + ["%F"], "files": manifest.files, "mime_types": list(MIME_TYPES),
                "defaults_set": defaults_set, "tools": tools, "manifest": str(Manifest.path())}

    def _write(self, target: Path, data: bytes, manifest: Manifest) -> None:
        missing: list[Path] = []
        parent = target.parent
        while not parent.exists():
            missing.append(parent)
            parent = parent.parent
        for directory in reversed(missing):
            directory.mkdir(mode=0o755)
            os.chmod(directory, 0o755)  # launchers and icons are read by the desktop shell; nothing private here
            manifest.dirs.append(str(directory))
        tmp = target.with_name(f".{target.name}.cove-tmp")
        tmp.write_bytes(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        manifest.files.append(str(target))

    def _make_default(self, manifest: Manifest) -> str:
        user_list = self._mimeapps_files()[0]
        for mime in MIME_TYPES:
            if mime not in manifest.defaults:  # remember the user's choice once, not Cove's own from a re-install
                previous = mimeapps.read_default(user_list, mime)
                manifest.defaults[mime] = None if previous == DESKTOP_ID else previous
        result = self.run_tool("xdg-mime", "default", DESKTOP_ID, *MIME_TYPES)
        if result != "ran":  # no xdg-utils: write the user's mimeapps.list ourselves (what xdg-mime does)
            for mime in MIME_TYPES:
                mimeapps.set_default(user_list, mime, DESKTOP_ID)
            result = f"{result}; wrote {user_list}"
        return result

    def uninstall(self) -> dict[str, Any]:
        manifest = Manifest.load()
        removed: list[str] = []
        restored: dict[str, str | None] = {}
        autostart = self._remove_autostart()
        if manifest is None:
            return {"platform": self.platform, "installed": False, "removed": removed, "restored_defaults": restored,
                    "autostart_removed": autostart, "tools": {}, "manifest": str(Manifest.path())}
        for mime, previous in manifest.defaults.items():
            for listing in self._mimeapps_files():
                if mimeapps.read_default(listing, mime) == DESKTOP_ID:
                    mimeapps.set_default(listing, mime, previous)
                    restored[mime] = previous
                mimeapps.remove_added(listing, mime, DESKTOP_ID)
        for name in manifest.files + manifest.caches:
            path = Path(name)
            if path.exists() or path.is_symlink():
                path.unlink()
                removed.append(name)
        for name in sorted(manifest.dirs, key=lambda d: d.count(os.sep), reverse=True):
            try:
                Path(name).rmdir()  # only when empty: the user may have put their own files there since
                removed.append(name)
            except OSError:
                pass
        kept_caches = [c for c in self._caches() if c.exists()]
        tools = self._refresh() if kept_caches else {}  # tell the desktop that Cove's entries are gone
        Manifest.path().unlink(missing_ok=True)
        return {"platform": self.platform, "installed": False, "removed": removed, "restored_defaults": restored,
                "autostart_removed": autostart, "tools": tools, "manifest": str(Manifest.path())}

    def _remove_autostart(self) -> bool:
        """Remove Cove's autostart entry (only one Cove wrote) and record the setting as off."""
        path = self.autostart_file
        try:
            ours = MANAGED_MARKER in path.read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            return False
        if ours:
            path.unlink()
            _save_autostart_setting(False)
        return ours

    def set_autostart(self, enabled: bool, headless: bool | None = None) -> dict[str, Any]:
        """headless (issue 12): log-in starts `cove serve` (no window, no tray icon) instead of the tray app;
        None keeps the `autostart_headless` setting."""
        path = self.autostart_file
        if headless is None:
            headless = _autostart_headless_setting()
        if enabled:
            command, extra = (serve_command(), []) if headless else (launcher_command(), [TRAY_FLAG])
            text = render_entry(command, extra, mime=False, extra_lines=("X-GNOME-Autostart-enabled=true",))
            text = text.replace("StartupNotify=true", "StartupNotify=false")  # no window to end the busy cursor
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.cove-tmp")
            tmp.write_text(text, encoding="utf-8")
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
            _save_autostart_setting(True, headless)
        else:
            self._remove_autostart()
            _save_autostart_setting(False, headless)
        return {"platform": self.platform, "autostart": enabled, "file": str(path), "exists": path.exists(),
                "headless": headless, "setting": {"autostart_tray": enabled, "autostart_headless": headless}}

    def status(self) -> dict[str, Any]:
        manifest = Manifest.load()
        return {"platform": self.platform, "installed": manifest is not None and self.desktop_file.exists(),
                "desktop_file": str(self.desktop_file), "command": launcher_command(),
                "installed_command": manifest.command if manifest else None,
                "defaults_set": sorted(manifest.defaults) if manifest else [],
                "autostart": self.autostart_file.exists(), "autostart_file": str(self.autostart_file),
                "manifest": str(Manifest.path())}


def _save_autostart_setting(enabled: bool, headless: bool | None = None) -> None:
    from app.settings import Settings

    settings = Settings.load()
    settings.set("autostart_tray", enabled)
    if headless is not None:
        settings.set("autostart_headless", headless)
    settings.save()


def _autostart_headless_setting() -> bool:
    from app.settings import Settings

    return Settings.load().get_bool("autostart_headless")


def serve_command() -> list[str]:
    """What headless autostart runs: the launcher's program with `serve` instead of `gui` (issue 12)."""
    command = launcher_command()
    return command[:-1] + ["serve"]


BACKENDS: dict[str, Callable[[], DesktopBackend]] = {"linux": LinuxDesktop}
_PLATFORM_NAMES = {"macos": "macOS", "windows": "Windows"}


def platform_key(platform: str | None = None) -> str:
    platform = platform or sys.platform
    if platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return "linux"  # the XDG specs are the same on the BSDs
    return {"darwin": "macos", "win32": "windows", "cygwin": "windows"}.get(platform, platform)


def backend(platform: str | None = None) -> DesktopBackend:
    key = platform_key(platform)
    factory = BACKENDS.get(key)
    if factory is None:
        name = _PLATFORM_NAMES.get(key, key)
        raise UnsupportedPlatform(
            f"desktop integration is not supported yet on {name}; use the bundle instead: build it with "
            "`python3 packaging/build_bundle.py` and start dist/cove/cove (or add it to your dock/start menu)")
    return factory()
