"""Settings: shipped defaults (settings.json at the repo root / in the package) overridden by the user's file in the
OS config dir. Every key's type, default and bounds come from app/settings_schema.py: unknown keys are kept, bad
values are rejected with a message that names the key, typed reads (`get_int("n_ctx")`) fall back to the schema's
default, and saves are atomic so a crash never leaves a half-written file."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from app import paths, settings_schema

SETTINGS_FILE = "settings.json"


class SettingsError(ValueError):
    """A settings value is invalid; the message says which key and why."""


def defaults_path() -> Path:
    """The shipped defaults: next to the package in a source checkout, or bundled as package data."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / SETTINGS_FILE, here / SETTINGS_FILE):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"shipped {SETTINGS_FILE} not found next to {here}")


def user_settings_path() -> Path:
    return paths.config_dir() / SETTINGS_FILE


def validate(key: str, value: Any) -> None:
    """Check a value against the schema (app/settings_schema.py); unknown keys are kept as they are."""
    opt = settings_schema.option(key)
    if opt is None:
        return
    accepted: tuple[type, ...] = (int, float) if opt.kind is float else (opt.kind,)
    if isinstance(value, bool) and opt.kind in (int, float):
        raise SettingsError(f"setting '{key}': expected a number, got {value!r}")
    if not isinstance(value, accepted):
        raise SettingsError(f"setting '{key}': expected {' or '.join(k.__name__ for k in accepted)}, got {value!r}")
    if opt.minimum is not None and value < opt.minimum:
        raise SettingsError(f"setting '{key}': {value!r} is below the minimum {opt.minimum}")
    if opt.maximum is not None and value > opt.maximum:
        raise SettingsError(f"setting '{key}': {value!r} is above the maximum {opt.maximum}")
    if opt.choices and value not in opt.choices:
        raise SettingsError(f"setting '{key}': {value!r} is not one of {', '.join(opt.choices)}")


def upgrade(values: dict[str, Any]) -> dict[str, Any]:
    """A user's file brought up to the schema's version by the steps in settings_schema.UPGRADES. No `version` means
    1 (every file written so far); a file from a newer Cove is kept as it is (keys this Cove knows are still
    validated, the others kept), so going back to an older Cove never loses settings."""
    found = values.get("version", 1)
    validate("version", found)
    while found < settings_schema.SCHEMA_VERSION:
        values = {**settings_schema.UPGRADES[found](dict(values)), "version": found + 1}
        found += 1
    return values


class Settings:
    """Defaults merged with the user's overrides. `get` reads, `set` validates, `save` writes only the overrides."""

    def __init__(self, defaults: dict[str, Any], overrides: dict[str, Any], path: Path) -> None:
        self.defaults = defaults
        self.overrides = overrides
        self.path = path

    @classmethod
    def load(cls, path: Path | None = None) -> "Settings":
        defaults = json.loads(defaults_path().read_text(encoding="utf-8"))
        path = path or user_settings_path()
        overrides: dict[str, Any] = {}
        if path.is_file():
            try:
                overrides = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise SettingsError(f"cannot read {path}: {exc}. Fix or delete the file to use the defaults.") from exc
            if not isinstance(overrides, dict):
                raise SettingsError(f"{path} must hold a JSON object")
            try:
                overrides = upgrade(overrides)
                for key, value in overrides.items():
                    validate(key, value)
            except SettingsError as exc:
                raise SettingsError(f"{path}: {exc}") from None
        return cls(defaults, overrides, path)

    def get(self, key: str, default: Any = None) -> Any:
        if key in self.overrides:
            return self.overrides[key]
        return self.defaults.get(key, default)

    # typed reads: the schema's default when neither file has the key, never a default repeated at the call site
    def get_int(self, key: str) -> int:
        return int(self._typed(key, int))

    def get_float(self, key: str) -> float:
        return float(self._typed(key, float))

    def get_bool(self, key: str) -> bool:
        return bool(self._typed(key, bool))

    def get_str(self, key: str) -> str:
        return str(self._typed(key, str))

    def get_list(self, key: str) -> list[str]:
        return list(self._typed(key, list))

    def get_paths(self, key: str) -> list[str]:
        """A list of folders or files, `~` expanded and made absolute."""
        return [os.path.abspath(os.path.expanduser(p)) for p in self.get_list(key)]

    def _typed(self, key: str, kind: type) -> Any:
        opt = settings_schema.option(key)
        if opt is None or opt.kind is not kind:  # a programming error: the key or the accessor is wrong
            raise TypeError(f"setting '{key}' is not declared as {kind.__name__} in app/settings_schema.py")
        value = self.get(key, opt.default)
        validate(key, value)  # also values that bypassed load() and set()
        return value

    def set(self, key: str, value: Any) -> None:
        validate(key, value)
        self.overrides[key] = value

    def as_dict(self) -> dict[str, Any]:
        return {**self.defaults, **self.overrides}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.overrides, fh, indent=2, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
