"""Which corpus files the answer development set indexes: every file a question names, plus the rest of the folders
those files live in as distractors (other threads of the same list, other PDFs, other saved pages), capped so the
whole subset indexes in a few minutes on 2 cores.

Why not all of /work/shared/corpora: 53 MB and ~1,000 files (scans, SciFact, SQuAD) take far longer to embed than
the questions need, and the QA sets would be distractors no user has. Files over PER_FILE_BYTES are left out (a 2.7 MB
.eml of attachments, a 2 MB .msg of TIFFs, 2 MB image-only PDFs): they add embedding time, not realistic text.
Pandoc's `.native` golden files are left out because they repeat the .docx text verbatim, and Readability's
`expected.html` because it repeats `source.html` (duplicates would make retrieval hit@5 a coin toss between copies).
"""
from __future__ import annotations

from pathlib import Path

from tests.conftest import CORPORA  # noqa: E402  (one definition: ../shared/corpora or COVE_CORPORA)

PER_FILE_BYTES = 1_000_000
TOTAL_BYTES_CAP = 16_000_000

# (folder relative to the corpora root, glob inside it). "**/*" walks Maildir trees (files without extensions).
DISTRACTORS: tuple[tuple[str, str], ...] = (
    ("email/ponymail-mbox", "*.mbox"),
    ("email/bigbang-3gpp-mbox", "*.mbox"),
    ("email/notmuch-corpora/default", "**/*"),
    ("email/msg/msg-extractor", "*.msg"),
    ("email/msg/MSGReader-dotnet", "*.[em][ms][lg]"),  # .eml and .msg
    ("pdf/pdfminer-samples/nonfree", "*.pdf"),
    ("pdf/pdfminer-samples/contrib", "*.pdf"),
    ("pdf/pypdf-resources", "*.pdf"),
    ("html/readability-test-pages", "*/source.html"),
    ("docs/pandoc-tests/markdown", "*.txt"),
    ("docs/pandoc-tests/docx", "*.docx"),
    ("docs/pandoc-tests/epub", "*.epub"),
    ("docs/python-docx-tests", "*.docx"),
)


def subset_files(questions: list[dict]) -> list[Path]:
    """The sorted list of files to index: question sources first (never dropped), then distractors within the caps."""
    named = {CORPORA / q["source"] for q in questions if q.get("source")}
    chosen: set[Path] = set(named)
    total = sum(p.stat().st_size for p in named)
    for folder, pattern in DISTRACTORS:
        for path in sorted((CORPORA / folder).glob(pattern)):
            if path in chosen or not path.is_file():
                continue
            size = path.stat().st_size
            if size > PER_FILE_BYTES or total + size > TOTAL_BYTES_CAP:
                continue
            chosen.add(path)
            total += size
    return sorted(chosen)
