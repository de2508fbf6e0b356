"""Mail ingestion benchmark (run on purpose, not collected by pytest): messages/s for mbox and Maildir ingestion with
the real embedder, parsing alone on a large mbox, and the cost of re-indexing a grown mbox vs indexing it fresh.

    .venv/bin/python tests/benchmarks/bench_mail.py [--messages 200] [--big 6000]

Uses the real mail in ../shared/corpora/email (Apache list archives for mbox, the LKML Maildir from notmuch).
Prints a Markdown table. Each scenario gets a fresh LanceDB index in a temp dir.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from tests.benchmarks.scratch import scratch_dir  # noqa: E402
os.environ.setdefault("COVE_DATA_DIR", scratch_dir(prefix="cove-bench-"))

import app  # noqa: E402,F401  (privacy guard + offline switches, as in production)
from indexer.mail import mbox as mboxfmt  # noqa: E402
from indexer.pipeline import IndexConfig, Indexer  # noqa: E402
from indexer.store import Store  # noqa: E402

TMP = Path(scratch_dir(prefix="cove-bench-mail-"))  # every index and mailbox of the run; removed at the end
CORPUS = Path(os.environ.get("COVE_CORPORA") or REPO.parent / "shared" / "corpora") / "email"
_MID = re.compile(rb"(?im)^(message-id:\s*<)")


class CountingEmbedder:
    """Wraps an embedder to count the texts it embeds."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.id, self.dim, self.texts = inner, inner.id, inner.dim, 0

    def embed(self, texts):  # type: ignore[no-untyped-def]
        self.texts += len(texts)
        return self.inner.embed(texts)


def corpus_messages() -> list[bytes]:
    """Every mbox message of the Apache archives, as mbox entries (envelope line included)."""
    out: list[bytes] = []
    for name in ("maven-dev-2017-11-mailarchivesao.mbox", "httpd-users-2020-07.mbox",
                 "asterix-dev-201709-mailarchivesao.mbox"):
        data = (CORPUS / "ponymail-mbox" / name).read_bytes()
        out += [data[s:e] if data[s:e].endswith(b"\n\n") else data[s:e].rstrip(b"\n") + b"\n\n"
                for s, e in mboxfmt.spans(data, 0, len(data))]
    return out


def unique(entries: list[bytes], n: int, tag: str) -> list[bytes]:
    """n entries cycling through the corpus, each given its own Message-ID (so none is a duplicate)."""
    return [_MID.sub(rb"\1" + f"{tag}{i}.".encode(), entries[i % len(entries)], count=1) for i in range(n)]


def run(paths: list[str], embedder) -> tuple[float, int, int, Indexer]:  # type: ignore[no-untyped-def]
    store = Store(Path(tempfile.mkdtemp(prefix="idx-", dir=TMP)), embedder.id, embedder.dim)
    idx = Indexer(store, embedder, IndexConfig())
    return again(idx, paths, embedder)


def again(idx: Indexer, paths: list[str], embedder) -> tuple[float, int, int, Indexer]:  # type: ignore[no-untyped-def]
    before = embedder.texts
    t = time.perf_counter()
    report = idx.index_paths(paths)
    dt = time.perf_counter() - t
    msgs = sum(report.counts.get(k, 0) for k in ("indexed", "skipped", "error"))
    return dt, msgs, embedder.texts - before, idx


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=200, help="messages per real-embedder scenario")
    ap.add_argument("--big", type=int, default=6000, help="messages in the large mbox (fake embedder)")
    ap.add_argument("--grow", type=int, default=10, help="messages appended to the grown mbox")
    args = ap.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"mail corpus not found at {CORPUS}")
    from indexer.embedding import SentenceTransformerEmbedder
    from tests.conftest import FakeEmbedder

    real = CountingEmbedder(SentenceTransformerEmbedder(batch_size=32))
    real.embed(["warm up"])
    fake = CountingEmbedder(FakeEmbedder())
    work = TMP / "mail"
    entries = corpus_messages()
    rows: list[tuple[str, int, int, float]] = []

    # 1. mbox, real embedder
    box = work / "mbox" / "archive.mbox"
    box.parent.mkdir(parents=True)
    base = unique(entries, args.messages, "a")
    box.write_bytes(b"".join(base))
    dt, n, texts, idx_real = run([str(box.parent)], real)
    rows.append((f"mbox, fresh ({box.stat().st_size / 1e6:.1f} MB), real embedder", n, texts, dt))

    # 2. the same mbox grown by a few messages, re-indexed (real embedder) vs a fresh index of the grown file
    extra = unique(entries[::-1], args.grow, "g")
    with open(box, "ab") as fh:
        fh.write(b"".join(extra))
    dt, n, texts, _ = again(idx_real, [str(box.parent)], real)
    rows.append((f"mbox grown by {args.grow}, re-index, real embedder", n, texts, dt))
    dt, n, texts, _ = run([str(box.parent)], real)
    rows.append((f"mbox grown by {args.grow}, fresh index, real embedder", n, texts, dt))

    # 3. Maildir (LKML from notmuch), real embedder
    md = work / "Maildir"
    for d in ("cur", "new", "tmp"):
        (md / d).mkdir(parents=True)
    lkml = sorted((CORPUS / "notmuch-corpora" / "lkml" / "cur").iterdir())[: args.messages]
    for f in lkml:
        shutil.copy(f, md / "cur" / f.name)
    dt, n, texts, _ = run([str(md)], real)
    rows.append((f"Maildir, fresh ({len(lkml)} files), real embedder", n, texts, dt))

    # 4. a large mbox: parsing + chunking alone (fake embedder), then grown and re-indexed
    big = work / "big" / "Inbox"
    big.parent.mkdir(parents=True)
    big.write_bytes(b"".join(unique(entries, args.big, "b")))
    dt, n, texts, idx_big = run([str(big.parent)], fake)
    rows.append((f"large mbox ({big.stat().st_size / 1e6:.0f} MB), fresh, fake embedder", n, texts, dt))
    with open(big, "ab") as fh:
        fh.write(b"".join(unique(entries[::-1], args.grow, "h")))
    dt, n, texts, _ = again(idx_big, [str(big.parent)], fake)
    rows.append((f"large mbox grown by {args.grow}, re-index, fake embedder", n, texts, dt))
    dt, n, texts, _ = again(idx_big, [str(big.parent)], fake)
    rows.append(("large mbox unchanged, re-index", n, texts, dt))

    print(f"\nCPU cores: {os.cpu_count()}; load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print("| scenario | messages (re)indexed | chunks embedded | seconds | messages/s |")
    print("|---|---:|---:|---:|---:|")
    for name, n, texts, dt in rows:
        rate = f"{n / dt:.1f}" if n and dt > 0 else "–"
        print(f"| {name} | {n} | {texts} | {dt:.2f} | {rate} |")
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
