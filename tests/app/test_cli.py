"""`cove index / search / status` as a user runs them: real subprocesses for exit codes, in-process for output."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

from app.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run_cove(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def test_bad_usage_exits_2_with_a_message(tmp_path):
    r = run_cove("index", str(tmp_path / "does-not-exist"))
    assert r.returncode == 2
    assert "no such file or folder" in r.stderr
    r = run_cove("frobnicate")
    assert r.returncode == 2
    r = run_cove("search", "x", "-k", "0")
    assert r.returncode == 2 and "-k must be at least 1" in r.stderr


def test_help_lists_commands():
    r = run_cove("--help")
    assert r.returncode == 0
    for cmd in ("index", "search", "status"):
        assert cmd in r.stdout


@pytest.fixture
def indexed_dir(tmp_path, real_embedder, capsys):  # type: ignore[no-untyped-def]
    folder = tmp_path / "docs"
    shutil.copytree(FIXTURES / "search", folder)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    (folder / "empty.txt").write_bytes(b"")
    assert main(["index", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "3 indexed" in out and "1 skipped" in out and "1 errors" in out
    assert "broken.pdf: corrupt PDF" in out
    assert "empty.txt: empty file" in out
    return folder


def test_index_search_status_json(indexed_dir, capsys):
    assert main(["search", "Inverse Cluster Frequency of each unique basic pattern", "-k", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    top = data["results"][0]
    assert top["path"].endswith("naacl06-shinyama.pdf") and top["page"] == 6
    assert set(top) >= {"path", "page", "section", "score", "snippet", "doc_id"}
    assert len(data["results"]) == 2

    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["by_status"] == {"indexed": 3, "skipped": 1, "error": 1}
    assert status["embedder"]["id"].startswith("sentence-transformers/all-MiniLM-L6-v2") and status["embedder"]["dim"] == 384
    assert status["data_dir"] == os.environ["COVE_DATA_DIR"]
    reasons = {Path(p["path"]).name: p["reason"] for p in status["problems"]}
    assert reasons["empty.txt"] == "empty file" and reasons["broken.pdf"].startswith("corrupt PDF")
    assert status["chunks"] > 10

    assert main(["index", "--json", str(indexed_dir)]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["counts"]["unchanged"] == 4 and again["counts"]["indexed"] == 0


def test_text_output_is_readable(indexed_dir, capsys):
    assert main(["search", "how often is the lamp cleaned", "-k", "1"]) == 0
    out = capsys.readouterr().out
    assert "lighthouse.md" in out and "Lighthouse maintenance › Lamp" in out
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "Documents: 5 (3 indexed, 1 skipped, 1 errors)" in out
    assert "[error]" in out and "broken.pdf" in out


def test_data_dir_flag_relocates_everything(tmp_path, real_embedder, capsys):
    target = tmp_path / "elsewhere"
    doc = tmp_path / "n.md"
    doc.write_text("# Title\n\nThe quick brown fox.\n")
    assert main(["--data-dir", str(target), "index", str(doc)]) == 0
    assert (target / "index").is_dir()
    assert oct((target).stat().st_mode & 0o777) == "0o700"


def test_index_summary_counts_one_ocr_page_in_the_singular():
    """What the user is told reads right: "1 page read by OCR", "3 pages read by OCR"."""
    import io

    from app.cli.output import print_index_summary
    from indexer.progress import IndexReport

    for pages, words in ((1, "; 1 page read by OCR."), (3, "; 3 pages read by OCR."), (0, "chunks written.")):
        out = io.StringIO()
        print_index_summary(IndexReport((), 1.0, 5, counts={"indexed": 1}, ocr_pages=pages), out)
        assert words in out.getvalue(), out.getvalue()
