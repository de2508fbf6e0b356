"""Settings: shipped defaults (settings.json at the repo root / in the package) overridden by the user's file in the
OS config dir. Unknown keys are kept, bad values are rejected with a message that names the key, and saves are
atomic so a crash never leaves a half-written file."""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app import paths

SETTINGS_FILE = "settings.json"


class SettingsError(ValueError):
    """A settings value is invalid; the message says which key and why."""


@dataclass(frozen=True)
class Rule:
    kind: type | tuple[type, ...]
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


RULES: dict[str, Rule] = {
    "version": Rule(int, 1),
    "watched_folders": Rule(list),
    "mail_stores": Rule(list),
    "ignore_globs": Rule(list),
    "max_file_mb": Rule((int, float), 0.001, 100_000),
    "embed_batch_size": Rule(int, 1, 4096),
    "embedder_backend": Rule(str, choices=("onnx-int8", "torch")),  # issue 12: indexer/embedders.py
    "chunk_tokens": Rule(int, 32, 256),
    "chunk_overlap_tokens": Rule(int, 0, 128),
    "search_k": Rule(int, 1, 100),
    "answer_k": Rule(int, 1, 50),
    "model_path": Rule(str),
    "prompt_style": Rule(str, choices=("auto", "completion", "chat")),
    "n_ctx": Rule(int, 256, 262_144),
    "n_threads": Rule(int, 0, 512),
    "n_gpu_layers": Rule(int, -1, 10_000),
    "max_answer_tokens": Rule(int, 16, 8192),
    "temperature": Rule((int, float), 0, 2),
    "min_similarity": Rule((int, float), -1, 1),
    "debounce_seconds": Rule((int, float), 0, 60),
    "remember_dropped": Rule(bool),
    "autostart_tray": Rule(bool),
    "autostart_headless": Rule(bool),  # issue 12: autostart runs `cove serve` (no window, no tray icon)
    "model_idle_minutes": Rule((int, float), 0, 10_080),  # issue 12: unload an unused model (0 = never)
    "theme": Rule(str, choices=("system", "light", "dark")),
    "ocr": Rule(bool),  # issue 14: read scanned PDF pages and image files with offline OCR
    # issue 13: limits of the parse workers (indexer/isolation.py) and secrets (indexer/secrets.py)
    "parse_timeout_s": Rule((int, float), 5, 3600),
    "parse_memory_mb": Rule((int, float), 128, 65_536),
    "max_unpacked_mb": Rule((int, float), 1, 100_000),
    "max_attachment_mb": Rule((int, float), 0.001, 100_000),
    "index_secrets": Rule(bool),
}


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
    rule = RULES.get(key)
    if rule is None:
        return  # unknown keys are kept as they are
    if isinstance(value, bool) and rule.kind is not bool and bool not in (rule.kind if isinstance(rule.kind, tuple) else (rule.kind,)):
        raise SettingsError(f"setting '{key}': expected a number, got {value!r}")
    if not isinstance(value, rule.kind):
        names = rule.kind.__name__ if isinstance(rule.kind, type) else " or ".join(k.__name__ for k in rule.kind)
        raise SettingsError(f"setting '{key}': expected {names}, got {value!r}")
    if rule.minimum is not None and value < rule.minimum:
        raise SettingsError(f"setting '{key}': {value!r} is below the minimum {rule.minimum}")
    if rule.maximum is not None and value > rule.maximum:
        raise SettingsError(f"setting '{key}': {value!r} is above the maximum {rule.maximum}")
    if rule.choices and value not in rule.choices:
        raise SettingsError(f"setting '{key}': {value!r} is not one of {', '.join(rule.choices)}")


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
            for key, value in overrides.items():
                try:
                    validate(key, value)
                except SettingsError as exc:
                    raise SettingsError(f"{path}: {exc}") from None
        return cls(defaults, overrides, path)

    def get(self, key: str, default: Any = None) -> Any:
        if key in self.overrides:
            return self.overrides[key]
        return self.defaults.get(key, default)

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
