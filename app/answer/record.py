"""How a finished answer is presented, the same way in the CLI, the desktop app and chat history: each source's
evidence sentence (shown instead of the chunk's first lines, because the first lines of an email chunk are its
`Subject:`/`From:` headers and of a PDF chunk usually a running title), and the verdict on the answer — whether it
may be read as fact, or was replaced by what the documents say. Qt-free, so the GUI keeps no rule of its own about
when an answer is trustworthy; it only draws the verdict."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.answer.events import CLOSEST_PREFIX, REPLACED_PREFIX  # check_answer's wordings when it replaced an answer

if TYPE_CHECKING:
    from app.answer.events import Done, Evidence, Source


def evidence_json(ev: Evidence) -> dict[str, Any]:
    """One evidence span as `cove ask --json` prints it: offsets into the chunk text (hit.text[start:end] == text)."""
    return {"text": ev.text, "start": ev.start, "end": ev.end, "page": ev.page, "score": ev.score}


def best_evidence(source: Source) -> Evidence | None:
    """The best evidence of an app.answer.answering.Source (they come best first), or None."""
    evidence = getattr(source, "evidence", ()) or ()
    return evidence[0] if evidence else None


def flat(text: str) -> str:
    return " ".join(text.split())


def plain_draft(draft: str) -> str:
    """The model's words as quoted back to the user: flattened, without its [n] markers (they point at nothing
    the user can check, since the words were not supported)."""
    return flat(re.sub(r"\s*\[\d+(?:\s*,\s*\d+)*\]", "", draft))


def _quoted(draft: str) -> str:
    """“words.” — a closing full stop only when the words do not already end a sentence."""
    words = plain_draft(draft)
    return f"“{words}”" + ("" if words.endswith((".", "!", "?", "…")) else ".")


def clip(text: str, width: int) -> str:
    text = flat(text)
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def source_line(source: Source, width: int = 240) -> str:
    """What to show under a source: its evidence sentence, quoted, or the chunk's start when there is none."""
    ev = best_evidence(source)
    if ev is not None and ev.text.strip():
        return f"“{clip(ev.text, width)}”"
    return source.hit.snippet(width)


@dataclass(frozen=True)
class Verdict:
    """state: verified | replaced (the model's words were not supported; the answer is what the documents say) |
    unverified (not checked or not supported, kept as is) | refusal | not_found | cancelled | none (nothing to
    check against, e.g. a summary)."""

    state: str
    draft: str = ""

    @property
    def warns(self) -> bool:
        return self.state in ("replaced", "unverified")

    @property
    def title(self) -> str:
        if self.state == "replaced":
            return "Not verified — showing what your documents say"
        if self.state == "unverified":
            return "Not verified against your documents — check the sources"
        return ""

    @property
    def detail(self) -> str:
        if self.state != "replaced":
            return ""
        if plain_draft(self.draft):
            return f"The model answered “{plain_draft(self.draft)}” — your documents do not support that."
        return "The model gave no usable answer."


def is_replaced(answer: str) -> bool:
    """Whether `answer` is check_answer's replacement of an unsupported answer (a quote of the documents)."""
    return answer.lstrip().startswith((REPLACED_PREFIX, CLOSEST_PREFIX))


def verdict(answer: str, *, verified: bool, draft: str = "", not_found: bool = False, cancelled: bool = False,
            has_sources: bool = True) -> Verdict:
    if cancelled:
        return Verdict("cancelled", draft)
    if not_found:
        return Verdict("not_found")
    if verified:
        return Verdict("verified")
    if draft or is_replaced(answer):
        return Verdict("replaced", draft)
    if not has_sources:
        return Verdict("none")
    from app.answer.evidence import is_refusal

    return Verdict("refusal" if is_refusal(answer) else "unverified")


def verdict_of(done: Done) -> Verdict:
    """The verdict of an app.answer.answering.Done."""
    return verdict(done.answer, verified=bool(getattr(done, "verified", False)), draft=getattr(done, "draft", ""),
                   not_found=done.not_found, cancelled=done.cancelled, has_sources=bool(done.sources))


def cli_notice(v: Verdict) -> str:
    """The plain line the CLI prints after the streamed text when it must not be read as fact."""
    if v.state == "replaced":
        said = f": {_quoted(v.draft)}" if plain_draft(v.draft) else " (the model gave no usable answer)."
        return f"⚠ Not supported by your documents{said}"
    if v.state == "unverified":
        return "⚠ Not verified against your documents — check the sources below."
    return ""
