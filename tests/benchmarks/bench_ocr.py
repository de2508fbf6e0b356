"""OCR figures (issue 14), printed as markdown tables.

    .venv/bin/python -m tests.benchmarks.bench_ocr [--no-corpus]

1. Every PDF under ../shared/corpora/pdf is indexed twice into one store: with the setting `ocr` off (today's
   behaviour: scans are "no text layer (scanned)") and then on, which re-reads exactly the files skipped because
   OCR was off (everything else is unchanged). Files indexed/skipped/error before and after, how many of the
   scans now yield text, worker crashes, OCR pages/s (pages / wall time of the second run) and peak RSS of the
   OCR worker and of this process. The embedder is the tests' hashing stand-in: statuses do not depend on it.
2. Accuracy: character error rate of OCR on ocrmypdf-resources/linn.pdf against its ground truth linn.txt (both
   normalised: Unicode NFKC, typographic quotes and dashes to ASCII, whitespace collapsed).
3. `cove index` + `cove search` (the real CLI, real embedder) find a sentence of
   pypdf-resources/Seige_of_Vicksburg_Sample_OCR.pdf on its page.
Wall-clock figures depend on the machine's load: the load average is printed with them.
"""
from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from tests.benchmarks.scratch import scratch_dir

ROOT = Path(__file__).resolve().parents[2]
CORPORA = Path(os.environ.get("COVE_CORPORA", ROOT.parent / "shared" / "corpora"))
VICKSBURG = "pypdf-resources/Seige_of_Vicksburg_Sample_OCR.pdf"
VICKSBURG_SENTENCE = "there are grumblers in the North who are complaining of our slow progress"


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    for a, b in (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u2014", "-"), ("\u2013", "-")):
        text = text.replace(a, b)
    return re.sub(r"\s+", " ", text).strip()


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return prev[-1]


def corpus_figures() -> None:
    os.environ["COVE_DATA_DIR"] = scratch_dir(prefix="cove-bench-ocr-")
    from app import paths
    from indexer.ocr.client import POOL, STATS
    from indexer.pipeline import IndexConfig, Indexer
    from indexer.store import Store
    from tests.conftest import FakeEmbedder

    folder = str(CORPORA / "pdf")
    embedder = FakeEmbedder()
    store = Store(paths.index_dir(), embedder.id, embedder.dim)
    before = Indexer(store, embedder, IndexConfig(ocr=False)).index_paths([folder])
    docs_off = store.load_documents()
    scans = {d.doc_id: d for d in docs_off.values() if d.error.startswith("no text layer (scanned)")}
    load_before = load()
    started = time.perf_counter()
    after = Indexer(store, embedder, IndexConfig(ocr=True)).index_paths([folder])
    ocr_s = time.perf_counter() - started
    load_after = load()
    docs_on = store.load_documents()
    POOL.close()
    read = [d for i, d in docs_on.items() if i in scans and d.status == "indexed"]
    crashed = [d for d in docs_on.values() if "crashed" in d.error or "stopped answering" in d.error]

    def counts(report) -> str:  # noqa: ANN001
        c = report.counts
        return " / ".join(str(c.get(k, 0) + (c.get("unchanged", 0) if k == "indexed" and report is after else 0))
                          for k in ("indexed", "skipped", "error"))

    print(f"\n## OCR over {folder} (load average before/after the OCR run: {load_before} / {load_after}; "
          f"{os.cpu_count()} CPUs)\n")
    print("| what | figure |")
    print("|---|---:|")
    print(f"| files indexed / skipped / error, OCR off (as before) | {counts(before)} |")
    print(f"| files indexed / skipped / error, OCR on | {counts(after)} |")
    print(f"| \"no text layer (scanned)\" files that now yield text | {len(read)} of {len(scans)} "
          f"({100 * len(read) / max(1, len(scans)):.0f} %; target ≥ 90 %) |")
    print(f"| OCR worker crashes | {len(crashed)} |")
    print(f"| pages through OCR / wall time of the OCR run | {after.ocr_pages} / {ocr_s:.0f} s |")
    print(f"| OCR pages/s (2 cores, one worker × 2 threads) | {after.ocr_pages / ocr_s:.3f} |")
    print(f"| peak RSS, OCR worker | {STATS['peak_rss_kb'] / 1024:.0f} MB |")
    print(f"| peak RSS, indexing process | {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB |")
    rest = sorted((d for i, d in docs_on.items() if i in scans and d.status != "indexed"), key=lambda d: d.path)
    if rest:
        print("\nScans still without text:\n")
        print("| file | status | reason |")
        print("|---|---|---|")
        for d in rest:
            print(f"| {os.path.relpath(d.path, folder)} | {d.status} | {d.error} |")
    partial = [d for d in read if d.error]
    if partial:
        print("\nRead, with notes on some pages:\n")
        for d in partial:
            print(f"- {os.path.relpath(d.path, folder)}: {d.error}")


def accuracy_figures() -> None:
    from indexer.ocr import complete
    from indexer.ocr.client import POOL
    from indexer.parsers import parse_bytes

    pdf = CORPORA / "pdf" / "ocrmypdf-resources" / "linn.pdf"
    truth = normalise((pdf.parent / "linn.txt").read_text(encoding="utf-8"))
    data = pdf.read_bytes()
    started = time.perf_counter()
    doc = complete(parse_bytes(data, pdf.name), data)
    seconds = time.perf_counter() - started
    POOL.close()
    got = normalise("\n".join(b.text for b in doc.blocks))
    cer = edit_distance(got, truth) / len(truth)
    print(f"\n## OCR accuracy (load average {load()})\n")
    print("| document | ground-truth chars | OCR chars | CER | target | seconds |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| ocrmypdf-resources/linn.pdf vs linn.txt | {len(truth)} | {len(got)} | {100 * cer:.2f} % | ≤ 5 % | "
          f"{seconds:.1f} |")


def search_figure() -> None:
    with tempfile.TemporaryDirectory(prefix="cove-bench-ocr-cli-") as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        shutil.copy(CORPORA / "pdf" / VICKSBURG, folder)
        env = {**os.environ, "COVE_DATA_DIR": str(Path(tmp) / "data"), "COVE_CONFIG_DIR": str(Path(tmp) / "config")}
        cli = [sys.executable, "-m", "app.cli"]
        subprocess.run(cli + ["index", str(folder)], check=True, cwd=ROOT, env=env, capture_output=True)
        out = subprocess.run(cli + ["search", VICKSBURG_SENTENCE, "-k", "3", "--json"], check=True, cwd=ROOT,
                             env=env, capture_output=True, text=True).stdout
    hits = json.loads(out)["results"]
    top = hits[0] if hits else {}
    print("\n## `cove search` on the scanned Vicksburg pages\n")
    print("| query | top hit | page | found on p. 4 |")
    print("|---|---|---:|---|")
    print(f"| \"{VICKSBURG_SENTENCE}\" | {Path(str(top.get('path', ''))).name} | {top.get('page')} | "
          f"{'yes' if top.get('page') == 4 and Path(str(top.get('path'))).name == Path(VICKSBURG).name else 'no'} |")


def main(argv: list[str]) -> int:
    if "--no-corpus" not in argv:
        corpus_figures()
    accuracy_figures()
    search_figure()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
