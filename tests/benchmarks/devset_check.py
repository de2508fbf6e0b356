"""Check the answer development set (tests/benchmarks/devset.jsonl) against the text Cove itself extracts.

    .venv/bin/python -m tests.benchmarks.devset_check [--dump PATH [--grep WORD]]

Why: a gold answer that Cove's parsers never produce (a PDF ligature, an HTML entity, a quoted-printable soft break,
a header the mail reader drops) would count as a model failure when it is really a data error. Every source is read
through the product's own path (`indexer.prepare.prepare_source`: the mail readers for mbox/Maildir/.eml/.msg, the
document parsers and the chunker otherwise), and for every answerable question we assert, after whitespace
normalisation and case folding, that the `evidence` string occurs in one chunk of the source (of the message whose
subject contains `locator`, for mail; of the page `locator` names, for PDFs), and that one gold answer occurs in
the evidence. `--dump` prints a file's chunks as Cove sees them, for writing new questions.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tests.conftest import CORPORA  # noqa: E402  (one definition: ../shared/corpora or COVE_CORPORA)

DEVSET = Path(__file__).with_name("devset.jsonl")
KINDS = ("email", "pdf", "docs", "unanswerable")


def squash(text: str) -> str:
    """Whitespace-normalised, case-folded: what the evidence check compares."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class ParsedChunk:
    title: str  # document title (the subject, for mail)
    page: int | None
    text: str


@lru_cache(maxsize=None)
def parsed_chunks(path: str) -> tuple[ParsedChunk, ...]:
    """Every chunk Cove would index for this file (all messages of an mbox), in order."""
    from indexer.prepare import PrepareConfig, prepare_source

    cfg = PrepareConfig(max_bytes=200 * 1024 * 1024)
    out: list[ParsedChunk] = []
    for prep in prepare_source(path, [], cfg, _counter()):
        for c in prep.chunks or []:
            out.append(ParsedChunk(prep.doc.subject or prep.doc.title, c.where.page, c.text))
    return tuple(out)


@lru_cache(maxsize=1)
def _counter():  # type: ignore[no-untyped-def]
    from indexer.chunking import default_token_counter

    return default_token_counter()


def load(path: Path = DEVSET) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _locator_matches(chunk: ParsedChunk, locator: str) -> bool:
    if not locator:
        return True
    m = re.fullmatch(r"p\.\s*(\d+)", locator.strip())
    if m:
        return chunk.page == int(m.group(1))
    return squash(locator) in squash(chunk.title)


def check(item: dict) -> list[str]:
    """Problems with one devset row (empty when it is sound)."""
    problems: list[str] = []
    for key in ("id", "question", "answers", "kind"):
        if key not in item:
            problems.append(f"missing {key}")
    if item.get("kind") not in KINDS:
        problems.append(f"bad kind {item.get('kind')!r}")
    if item.get("kind") == "unanswerable":
        return problems
    answers = item.get("answers") or []
    evidence = squash(item.get("evidence", ""))
    if not answers or not evidence:
        return problems + ["answerable question without answers or evidence"]
    if not any(squash(a) in evidence for a in answers):
        problems.append(f"no gold answer {answers!r} occurs in the evidence")
    path = CORPORA / item["source"]
    if not path.exists():
        return problems + [f"source {path} does not exist"]
    chunks = [c for c in parsed_chunks(str(path)) if _locator_matches(c, item.get("locator", ""))]
    if not chunks:
        return problems + [f"no parsed chunk of {item['source']} matches locator {item.get('locator')!r}"]
    if not any(evidence in squash(c.text) for c in chunks):
        whole = " ".join(squash(c.text) for c in chunks)
        where = "only across a chunk boundary" if evidence in whole else "nowhere"
        problems.append(f"evidence found {where} in the parsed text: {item['evidence'][:80]!r}")
    return problems


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", help="print the chunks Cove extracts from this file (path relative to the corpora)")
    ap.add_argument("--grep", help="with --dump: only chunks containing this (case-insensitive)")
    args = ap.parse_args(argv)
    import app  # noqa: F401  (offline switches and the network guard)

    if args.dump:
        for c in parsed_chunks(str(CORPORA / args.dump)):
            if args.grep and args.grep.casefold() not in c.text.casefold():
                continue
            print(f"--- [{c.title}] p={c.page}\n{c.text}\n")
        return 0
    items = load()
    bad = 0
    ids = [i["id"] for i in items]
    if len(ids) != len(set(ids)):
        print("duplicate ids", file=sys.stderr)
        bad += 1
    for item in items:
        for problem in check(item):
            bad += 1
            print(f"{item.get('id')}: {problem}")
    counts = {k: sum(i["kind"] == k for i in items) for k in KINDS}
    print(f"{len(items)} questions {counts}; {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
