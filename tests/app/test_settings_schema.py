"""One settings schema (app/settings_schema.py): the shipped settings.json and the README table agree with it, values
are validated against its types and bounds, typed accessors fall back to its defaults, and `version` upgrades an old
user file. The drift checks are run on a drifted copy too, so they are known to fail when they should."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from app import settings_schema
from app.settings import Settings, SettingsError, validate
from app.settings_schema import SCHEMA, Option

ROOT = Path(__file__).resolve().parents[2]


# --- schema ↔ settings.json ↔ README -------------------------------------------------------------------------------
def test_shipped_settings_json_is_the_schema_defaults() -> None:
    shipped = json.loads((ROOT / "settings.json").read_text(encoding="utf-8"))
    assert list(shipped) == list(SCHEMA)  # every key, in the schema's order, none extra
    for name, value in shipped.items():
        assert value == SCHEMA[name].default and type(value) is type(SCHEMA[name].default), name
    assert (ROOT / "settings.json").read_text(encoding="utf-8") == settings_schema.defaults_json()


def test_readme_table_lists_every_setting_with_its_default() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert settings_schema.readme_block() in readme
    block = readme[readme.index(settings_schema.README_BEGIN):readme.index(settings_schema.README_END)]
    rows = [line for line in block.splitlines() if line.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == list(SCHEMA)
    n_ctx = next(r for r in rows if r.startswith("| `n_ctx`"))
    assert "`4096`" in n_ctx and "256 to 262144" in n_ctx and "reloads the model" in n_ctx


def test_check_passes_here_and_fails_on_a_drifted_copy(tmp_path: Path) -> None:
    assert settings_schema.problems(ROOT) == []
    r = subprocess.run([sys.executable, "-m", "app.settings_schema", "--check"], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    shipped = json.loads((ROOT / "settings.json").read_text(encoding="utf-8"))
    (tmp_path / "settings.json").write_text(json.dumps({**shipped, "n_ctx": 2048}, indent=2) + "\n", encoding="utf-8")
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    (tmp_path / "README.md").write_text(readme.replace("| `search_k` | `8` |", "| `search_k` | `10` |"), "utf-8")
    found = settings_schema.problems(tmp_path)
    assert len(found) == 2 and "settings.json" in found[0] and "README" in found[1]
    (tmp_path / "README.md").write_text("no markers here\n", encoding="utf-8")
    assert "markers" in settings_schema.problems(tmp_path)[1]


def test_generators_write_what_the_check_expects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "settings.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "README.md").write_text(f"# x\n\n{settings_schema.README_BEGIN}\nstale table\n{settings_schema.README_END}\n"
                                        "\nafter\n", encoding="utf-8")
    monkeypatch.setattr(settings_schema, "ROOT", tmp_path)
    assert settings_schema.main(["--write-defaults", "--write-readme"]) == 0
    assert settings_schema.problems(tmp_path) == []
    text = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert text.startswith("# x\n\n") and text.endswith("\n\nafter\n") and "stale table" not in text


# --- the schema itself ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("opt", list(SCHEMA.values()), ids=list(SCHEMA))
def test_every_option_is_complete_and_its_default_valid(opt: Option) -> None:
    assert opt.kind in (int, float, bool, str, list)
    assert opt.label and opt.help.endswith(".")
    validate(opt.name, opt.default)
    if opt.choices:
        assert opt.kind is str and opt.default in opt.choices


def test_dialog_groups_cover_every_shown_option_once() -> None:
    shown = [o.name for _, opts in settings_schema.dialog_groups() for o in opts]
    assert sorted(shown) == sorted(o.name for o in SCHEMA.values() if o.in_dialog)
    assert [g for g, _ in settings_schema.dialog_groups()] == ["Library", "Answers", "App", "Other"]
    # what Cove keeps for itself stays out of the dialog
    assert {"version", "first_run_done", "recent_models"} <= {o.name for o in SCHEMA.values() if not o.in_dialog}
    assert settings_schema.RELOAD_MODEL == {"model_path", "prompt_style", "n_ctx", "n_threads", "n_gpu_layers"}


def test_indexer_defaults_agree_with_the_schema() -> None:
    """indexer/ never imports app/, so IndexConfig keeps its own defaults (for library use); they must not drift."""
    from indexer.pipeline import IndexConfig

    renamed = {"overlap_tokens": "chunk_overlap_tokens"}
    shared = {f.name: f.default for f in fields(IndexConfig) if renamed.get(f.name, f.name) in SCHEMA}
    assert len(shared) >= 9
    for name, default in shared.items():
        expected = SCHEMA[renamed.get(name, name)].default
        assert (tuple(expected) if isinstance(default, tuple) else expected) == default, name


# --- validation ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key,value,message", [
    ("n_ctx", 255, "below the minimum 256"),
    ("n_ctx", 262_145, "above the maximum 262144"),
    ("n_ctx", 1024.5, "expected int"),
    ("n_ctx", True, "expected a number"),
    ("n_ctx", "4096", "expected int"),
    ("temperature", 2.5, "above the maximum 2"),
    ("temperature", False, "expected a number"),
    ("min_similarity", -1.01, "below the minimum -1"),
    ("max_file_mb", 0, "below the minimum 0.001"),
    ("parse_timeout_s", 4, "below the minimum 5"),
    ("prompt_style", "sideways", "not one of auto, completion, chat"),
    ("theme", "blue", "not one of system, light, dark"),
    ("embedder_backend", "gpu", "not one of onnx-int8, torch"),
    ("watched_folders", "/home/me/Documents", "expected list"),
    ("ocr", 1, "expected bool"),
    ("first_run_done", "yes", "expected bool"),
    ("model_path", None, "expected str"),
    ("version", 0, "below the minimum 1"),
])
def test_bad_values_are_refused_naming_the_key(key: str, value: Any, message: str) -> None:
    with pytest.raises(SettingsError) as err:
        validate(key, value)
    assert f"'{key}'" in str(err.value) and message in str(err.value)


@pytest.mark.parametrize("key,value", [("n_ctx", 256), ("n_ctx", 262_144), ("temperature", 0), ("temperature", 1.5),
                                       ("max_file_mb", 0.5), ("model_idle_minutes", 0), ("n_gpu_layers", -1),
                                       ("ignore_globs", ["*.log"]), ("made_up_key", object())])
def test_good_values_and_unknown_keys_pass(key: str, value: Any) -> None:
    validate(key, value)


def test_a_bad_user_file_is_refused_with_its_path_and_key(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"search_k": 5, "n_ctx": 100}), encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        Settings.load(path)
    assert str(path) in str(err.value) and "'n_ctx'" in str(err.value) and "minimum 256" in str(err.value)


def test_user_file_over_shipped_defaults_unknown_keys_kept(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"search_k": 5, "someone_elses_key": {"a": 1}}), encoding="utf-8")
    s = Settings.load(path)
    assert s.get_int("search_k") == 5 and s.get_int("answer_k") == 5 and s.get_int("n_ctx") == 4096
    s.set("theme", "dark")
    s.save()
    assert json.loads(path.read_text(encoding="utf-8")) == {"search_k": 5, "someone_elses_key": {"a": 1},
                                                            "theme": "dark"}
    with pytest.raises(SettingsError):
        s.set("search_k", 0)


# --- typed accessors ----------------------------------------------------------------------------------------------
def test_typed_accessors_fall_back_to_the_schema_default(tmp_path: Path) -> None:
    bare = Settings({}, {}, tmp_path / "settings.json")  # neither file has any key
    assert bare.get_int("n_ctx") == 4096 and bare.get_float("temperature") == pytest.approx(0.1)
    assert bare.get_bool("remember_dropped") is True and bare.get_bool("first_run_done") is False
    assert bare.get_str("prompt_style") == "auto" and bare.get_list("ignore_globs") == []
    assert isinstance(bare.get_float("max_file_mb"), float) and bare.get_float("max_file_mb") == 100.0
    s = Settings({"n_ctx": 4096}, {"n_ctx": 2048, "watched_folders": ["~/Docs", "rel"]}, tmp_path / "s.json")
    assert s.get_int("n_ctx") == 2048
    assert s.get_paths("watched_folders") == [os.path.expanduser("~/Docs"), os.path.abspath("rel")]


def test_typed_accessors_refuse_a_wrong_kind_or_an_undeclared_key(tmp_path: Path) -> None:
    s = Settings({}, {}, tmp_path / "settings.json")
    with pytest.raises(TypeError, match="temperature"):
        s.get_int("temperature")
    with pytest.raises(TypeError, match="not_a_setting"):
        s.get_str("not_a_setting")
    broken = Settings({}, {"n_ctx": "big"}, tmp_path / "settings.json")  # built without load(): still checked
    with pytest.raises(SettingsError, match="n_ctx"):
        broken.get_int("n_ctx")


def test_no_inline_fallbacks_left_outside_the_leads_files() -> None:
    """`settings.get("key", default)` repeats the schema's default at the call site; use the typed accessors."""
    import re

    leads = {"answering.py", "evidence.py", "sentences.py", "prompts.py", "llm.py"}
    pattern = re.compile(r"settings\.get\(\s*\"(" + "|".join(SCHEMA) + r")\"|\bs\.get\(\s*\"(" + "|".join(SCHEMA) + r")\"")
    found = [f"{f.relative_to(ROOT)}:{i}" for f in sorted((ROOT / "app").rglob("*.py")) if f.name not in leads
             for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert found == []


# --- version: the settings file's format -------------------------------------------------------------------------
def test_an_old_user_file_is_upgraded_by_the_schema_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def v1_to_v2(values: dict[str, Any]) -> dict[str, Any]:  # a rename, as a future schema change would do
        if "context_tokens" in values:
            values["n_ctx"] = values.pop("context_tokens")
        return values

    monkeypatch.setattr(settings_schema, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(settings_schema, "UPGRADES", {1: v1_to_v2})
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"context_tokens": 2048, "theme": "dark"}), encoding="utf-8")  # no version: v1
    s = Settings.load(path)
    assert s.get_int("n_ctx") == 2048 and s.get("context_tokens") is None and s.get_int("version") == 2
    s.save()
    assert json.loads(path.read_text(encoding="utf-8")) == {"n_ctx": 2048, "theme": "dark", "version": 2}
    assert Settings.load(path).get_int("n_ctx") == 2048  # a v2 file is not upgraded again
    # an upgrade that yields a bad value is refused like any bad value
    path.write_text(json.dumps({"context_tokens": 10}), encoding="utf-8")
    with pytest.raises(SettingsError, match="n_ctx"):
        Settings.load(path)


def test_a_file_from_a_newer_cove_is_read_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": settings_schema.SCHEMA_VERSION + 3, "search_k": 7, "future": 1}), "utf-8")
    s = Settings.load(path)
    assert s.get_int("search_k") == 7 and s.get("future") == 1
    path.write_text(json.dumps({"version": "2"}), encoding="utf-8")
    with pytest.raises(SettingsError, match="version"):
        Settings.load(path)


def test_the_current_version_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"search_k": 7}), encoding="utf-8")
    assert Settings.load(path).overrides == {"search_k": 7}  # no version stamped while no upgrade ran
