"""Where Cove keeps things. Everything lives under one data dir and one config dir (platformdirs), both relocatable
with COVE_DATA_DIR / COVE_CONFIG_DIR (or `--data-dir`) for tests and portable use, and created owner-only."""
from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "Cove"


def _owner_only_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    return path


def data_dir() -> Path:
    """The index, chat history and the assembled model live here."""
    return _owner_only_dir(data_dir_path())


def data_dir_path() -> Path:
    """Where data_dir() is, without creating it (the log file is only made when something is logged)."""
    env = os.environ.get("COVE_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """The user's settings.json lives here."""
    env = os.environ.get("COVE_CONFIG_DIR")
    if env:
        return _owner_only_dir(Path(env).expanduser().resolve())
    if os.environ.get("COVE_DATA_DIR"):
        return _owner_only_dir(Path(os.environ["COVE_DATA_DIR"]).expanduser().resolve() / "config")
    from platformdirs import user_config_dir

    return _owner_only_dir(Path(user_config_dir(APP_NAME, appauthor=False)))


def index_dir() -> Path:
    return _owner_only_dir(data_dir() / "index")


def models_dir() -> Path:
    """The assembled bundled model (253 MB) and its re-encoded runtime file (386 MB) live here. COVE_MODELS_DIR moves
    them, so a test run with a fresh data dir per test prepares them once: per-test copies took 14 GB of /tmp in one
    run of the suite and filled a CI machine's disk (stop 19)."""
    env = os.environ.get("COVE_MODELS_DIR")
    return _owner_only_dir(Path(env).expanduser().resolve() if env else data_dir() / "models")


def owner_only_dir(path: Path) -> Path:
    """Create `path` (0700, narrowed if it exists); for files Cove keeps outside the helpers above."""
    return _owner_only_dir(path)


def embedder_cache_dir() -> Path:
    """The int8 ONNX embedder made from the bundled weights (issue 12; indexer/onnx_export.py). COVE_EMBEDDER_CACHE
    moves it, so test runs with a fresh data dir each can share one prepared, hash-checked file."""
    env = os.environ.get("COVE_EMBEDDER_CACHE")
    return _owner_only_dir(Path(env).expanduser().resolve() if env else models_dir() / "embedder")
