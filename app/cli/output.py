"""How the CLI shows things to a person: a live progress line, the index summary, search hits and status."""
from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from indexer.hits import SearchHit
    from indexer.progress import IndexProgress, IndexReport


def fmt_eta(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ProgressLine:
    """One line rewritten in place on a terminal; on a pipe (CI, logs) a plain line every few seconds."""

    def __init__(self, stream: TextIO, enabled: bool = True, interval_s: float = 0.1) -> None:
        self.stream = stream
        self.enabled = enabled
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.interval = interval_s if self.tty else 5.0
        self._last = 0.0
        self._width = 0

    def update(self, p: "IndexProgress") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.interval and p.phase == "indexing":
            return
        self._last = now
        pct = f"{100 * p.fraction:5.1f}%" if p.files_total else "  ...%"
        cur = p.current[-40:] if p.current else ""
        # "file 1/5 · message 37/108": the file of the run and how far inside it (issues 13, 15)
        where = p.items_text() if p.phase == "indexing" else f"{p.files_done}/{p.files_total} files"
        ocr = f"OCR {p.ocr_pages} pages{' (' + p.ocr_current[-40:] + ')' if p.ocr_current else ''} | " if getattr(
            p, "ocr_pages", 0) or getattr(p, "ocr_current", "") else ""  # issue 14: OCR pages are slow, shown apart
        line = (f"{p.phase:<9} {where or '0/0 files'} {pct} | {p.chunks_done} chunks "
                f"({p.chunks_per_s:.1f}/s) | {ocr}ETA {fmt_eta(p.eta_s)} | {p.errors} errors | {cur}")
        if self.tty:
            pad = max(0, self._width - len(line))
            self.stream.write("\r" + line + " " * pad)
            self._width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self.tty and self._width:
            self.stream.write("\n")
            self.stream.flush()


def print_index_summary(report: IndexReport, out: TextIO) -> None:
    c = report.counts
    out.write(
        f"{'Cancelled' if report.cancelled else 'Done'} in {report.elapsed_s:.1f} s: {c.get('indexed', 0)} indexed, "
        f"{c.get('unchanged', 0)} unchanged, {c.get('skipped', 0)} skipped, {c.get('error', 0)} errors, "
        f"{c.get('removed', 0)} removed; {report.chunks_written} chunks written"
        + (f"; {report.ocr_pages} page{'' if report.ocr_pages == 1 else 's'} read by OCR"
           if getattr(report, "ocr_pages", 0) else "") + ".\n"
    )
    for label, items in (("Skipped", report.of("skipped")), ("Errors", report.of("error"))):
        if items:
            out.write(f"{label}:\n")
            for o in sorted(items, key=lambda o: o.path):
                out.write(f"  {o.path}: {o.reason}\n")


def print_search_hits(hits: Sequence[SearchHit], out: TextIO) -> None:
    if not hits:
        out.write("No matches. Is the folder indexed? Try `cove status`.\n")
        return
    for i, h in enumerate(hits, 1):
        where = f" ({h.locator})" if h.locator else ""
        out.write(f"{i:>2}. {h.path}{where}  score {h.score:.4f}  sim {h.similarity:.2f}\n")
        if h.kind == "email":
            out.write(f"    {h.sender} · {h.date} · {h.subject}\n")
        out.write(f"    {h.snippet(200)}\n")


def print_status(s: dict[str, Any], out: TextIO) -> None:
    b = s["by_status"]
    out.write(f"Data dir:  {s['data_dir']}\n")
    if s.get("log"):  # issue 15 (a resident Cove from before it may not say)
        out.write(f"Log file:  {s['log']}\n")
    out.write(f"Embedder:  {s['embedder']['id']} ({s['embedder']['dim']}-d)\n")
    if s.get("reembed"):  # issue 12: built by another embedder than the settings ask for
        r = s["reembed"]
        what = (f"re-embedding {r['done']}/{r['total']} chunks" if r["state"] == "running"
                else f"{r['total']} chunks to re-embed; `cove index PATH` (or the app) does it, the old index answers meanwhile")
        out.write(f"           switching to {r['to']}: {what}\n")
    out.write(f"Documents: {s['documents']} ({b['indexed']} indexed, {b['skipped']} skipped, {b['error']} errors); "
              f"{s['chunks']} chunks\n")
    if s.get("ocr_pages"):  # issue 14
        out.write(f"OCR:       {s['ocr_pages']} pages read by OCR in {s.get('ocr_documents', 0)} documents\n")
    if s["by_kind"]:
        out.write("By kind:\n")
        for kind, counts in s["by_kind"].items():
            parts = ", ".join(f"{n} {st}" for st, n in sorted(counts.items()))
            out.write(f"  {kind:<10} {parts}\n")
    if s.get("roots"):  # issue 15: every root and how it got into the index (the desktop library shows the same)
        out.write("Library:\n")
        for r in s["roots"]:
            counts = f"{r['indexed']} indexed" + "".join(f", {r[k]} {k}" for k in ("skipped", "errors") if r.get(k))
            where = r["path"] or f"{r.get('documents', 0)} files"
            out.write(f"  {r['label']}: {where} ({counts}){'' if r['exists'] else ' (missing)'}\n")
    if s.get("watched"):
        out.write("Watched folders:\n")
        for w in s["watched"]:
            out.write(f"  {watched_line(w)}\n")
    if s["problems"]:
        out.write("Not indexed:\n")
        for p in s["problems"]:
            out.write(f"  [{p['status']}] {p['path']}: {p['reason']}\n")
    if s.get("excluded"):  # issue 13: forgotten paths stay out until indexed again on purpose
        out.write("Forgotten (kept out of the index; `cove index PATH` indexes one again):\n")
        for e in s["excluded"]:
            out.write(f"  [{e['kind']}] {e['path']}\n")
    if s.get("writer"):
        w = s["writer"]
        out.write(f"Writing now: pid {w['pid']}{' (' + w['what'] + ')' if w.get('what') else ''}\n")


def watched_line(w: dict[str, Any]) -> str:
    """One watched folder for `cove status`: state, files, pending changes (issue 4)."""
    state = w["state"]
    if state == "not running":
        state = "not running (start `cove watch` or the app)"
    text = f"{w['path']}: {state}; {w['files']} files, {w['pending']} pending changes"
    if w.get("problems"):
        text += f", {w['problems']} with problems"
    return text + (f" ({w['detail']})" if w.get("detail") else "")
