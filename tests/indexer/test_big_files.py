"""Big files index completely and correctly as a stream (issue 13). Each runs in a child process through the same
runner as tests/benchmarks/bench_memory.py (which measures the memory ceiling; here only completion and
correctness are asserted). A constant-memory hashing embedder keeps this minutes, not hours: what is tested is the
pipeline (parse workers, streaming chunker, batched writes), not the model."""
from __future__ import annotations

from tests.benchmarks import bench_memory
from tests.indexer import hostile


def test_50_mb_text_file_streams_completely_with_exact_line_numbers(tmp_path):
    path = tmp_path / "big.log"
    markers = bench_memory.make_text(path, 50)
    result = bench_memory.run_child("text", path, "fake", timeout_s=3600)
    assert result["counts"] == {"indexed": 1} and result["docs_indexed"] == 1, result
    assert result["chunks"] == result["n_chunks_rows"] and result["ordinals_contiguous"]
    assert result["chunks"] > 50 * 1024 * 1024 // 1500  # every part of the file is in some chunk, not a prefix
    for line, word in markers:  # markers from the start to the end of the file, each cited at its own line
        start, end = result["markers"][word]
        assert start <= line <= end and end - start < 200, (word, line, start, end)
    assert "MB" in result["units"] and "chunks" in result["units"]  # progress inside the file


def test_20000_message_mbox_streams_completely(tmp_path):
    path = hostile.write_mbox(tmp_path / "Archive.mbox", 20_000, marker_every=1000)
    result = bench_memory.run_child("mbox", path, "fake", timeout_s=3600)
    assert result["counts"] == {"indexed": 20_000} and result["docs_indexed"] == 20_000, result
    assert result["chunks"] == result["n_chunks_rows"] >= 20_000
    assert result["markers"] == sorted(f"marker{i}." for i in range(0, 20_000, 1000))
    assert "messages" in result["units"] and result["max_units_done"] > 0
