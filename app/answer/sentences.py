"""Sentence spans inside a retrieved chunk, with character offsets into the chunk text, for evidence and for the
focused prompt. Email header lines (`Subject:`, `From:` … that start an email chunk) and quoted reply lines are
marked, because a sentence selector that cannot tell a header from the body picks `Subject:` lines every time (the
probe reported in issue 11 did, on every email question).

Why not a library (nltk punkt, spaCy): both need model/data downloads or hundreds of MB; the chunks are short and
the failure that matters here — initials, abbreviations, versions and decimals ending a sentence — is handled by the
rules below and by tests."""
from __future__ import annotations

import re
from dataclasses import dataclass

HEADER_FIELDS = ("Subject", "From", "To", "Cc", "Date", "Attachments", "Sent", "Reply-To")
_HEADER_LINE = re.compile(r"^(?:%s):\s" % "|".join(HEADER_FIELDS))
# A reply's quoted header block inside the body ("-----Original Message-----", then From:/Sent:/To:/Subject: lines,
# or Outlook's block without the marker line): development set e11 quoted "-----Original Message----- From: Milan
# Jelinek <…> Sent: Wednesday, August 25, 2021 1:16 PM To: …" as what the documents say.
_REPLY_MARK = re.compile(r"^\s*-{2,}\s*(?:original message|forwarded message|begin forwarded message)\s*-*\s*:?\s*$",
                         re.I)
# The same block flattened onto one line by the mail parser: a sentence that starts with the marker, or with
# "From: …" followed by "Sent:"/"Date:", is a header too.
_QUOTED_HEADERS = re.compile(r"-{2,}\s*(?:original message|forwarded message|begin forwarded message)|"
                             r"From:\s[^\n]{0,200}?\s(?:Sent|Date):\s", re.I)
# A reply's attribution line ("On 9/3/17 11:44 PM, Riyafa Abdul Hameed wrote:"), often run into the quoted text
# after it: a header of the quote, not something anyone said. Held-out set h02: "Who wrote the German lecture notes…?"
# was answered "Riyafa Abdul Hameed" from such a line.
_ATTRIBUTION = re.compile(r"(?:>\s*)*(?:On\b[^\n]{4,160}?|[^\n.!?>]{2,80}?)\bwrote:(?=\s*(?:>|$))")
_BULLET = re.compile(r"^\s*(?:[-*+•]\s|\d{1,3}[.)]\s|#{1,6}\s|\|)")
# A sentence ends at . ! ? (plus closing quotes/brackets) followed by white space and an upper-case letter, digit,
# quote or bracket. What may not end one: an initial ("Jack M. Nilles"), a known abbreviation ("e.g. the"), a
# version or number ("v2.4. Then" is kept whole; "3.5 " never matches because no space follows the first dot).
# A footnote mark after the full stop (".[3] One day later…", Wikipedia pages) still ends the sentence, and so does
# a list item run into the line ("…internal statistics. - Black-box monitoring - Testing externally visible…": a
# glossary of a saved web page, whose items the chunker joined with spaces; development set d07).
_END = re.compile(r"[.!?][\"'”’)\]]*(?:\[\d{1,3}\])*\s+(?=(?:[-*•]\s+)?[\"'“‘(\[]?[A-Z0-9])")
ABBREVIATIONS = frozenset("""e.g i.e etc vs cf al approx ca mr mrs ms dr prof st jr sr no nos fig figs inc ltd co corp
dept est vol vols ed eds p pp ch sec op jan feb mar apr jun jul aug sep sept oct nov dec mt ft gen col lt sgt rev
u.s u.k a.m p.m ph.d""".split())
MAX_SENTENCE_CHARS = 400  # longer runs (tables, code, run-on lists) are cut into windows of about this size


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str = "text"  # "text", "header" (an email header line) or "quote" (a quoted reply line)


def _word_before(text: str, dot: int) -> str:
    i = dot
    while i > 0 and not text[i - 1].isspace() and text[i - 1] not in "([\"'“":
        i -= 1
    return text[i:dot]


def is_false_end(text: str, dot: int) -> bool:
    """True when the full stop at `dot` belongs to an initial, an abbreviation, a version or a number."""
    if text[dot] != ".":
        return False
    word = _word_before(text, dot)
    bare = word.strip("\"'“‘(").lower()
    if len(bare) == 1 and bare.isalpha():
        return True  # an initial: "M." in "Jack M. Nilles"
    if bare in ABBREVIATIONS or bare.rstrip(".") in ABBREVIATIONS:
        return True
    if re.fullmatch(r"v\d+(?:\.\d+)*|\d+(?:\.\d+)+", bare):
        return True  # "v2.4." or "2.4.": a version, not the end of a thought (a plain "1998." still ends one)
    return bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", bare))  # "e.g", "i.e", "u.s" written without the last dot


def sentence_ends(text: str, start: int = 0, end: int | None = None) -> list[int]:
    """Offsets just after each sentence-ending punctuation mark (and its closing quotes) in text[start:end]."""
    stop = len(text) if end is None else end
    out: list[int] = []
    for m in _END.finditer(text, start, stop):
        if is_false_end(text, m.start()):
            continue
        out.append(m.start() + len(m.group(0).rstrip()))
    return out


def _segments(text: str) -> list[Span]:
    """Lines grouped into paragraphs; a line break separates when the next line is a list item or header line,
    when the line ends a sentence or a heading (short line), or when it is a header/quote line itself."""
    spans: list[Span] = []
    pos, n = 0, len(text)
    lines: list[tuple[int, int]] = []
    while pos <= n:
        nl = text.find("\n", pos)
        e = n if nl < 0 else nl
        lines.append((pos, e))
        if nl < 0:
            break
        pos = nl + 1
    in_headers = True
    cur: list[tuple[int, int]] = []
    cur_kind = "text"

    def flush() -> None:
        nonlocal cur
        if cur:
            spans.append(Span(cur[0][0], cur[-1][1], cur_kind))
        cur = []

    for i, (s, e) in enumerate(lines):
        line = text[s:e]
        if not line.strip():
            flush()
            in_headers = False
            continue
        if _REPLY_MARK.match(line):
            flush()
            spans.append(Span(s, e, "header"))
            in_headers = True  # the quoted From:/Sent:/To: lines that follow are headers too
            continue
        if not in_headers and line.startswith("From: ") and i + 1 < len(lines) and \
                _HEADER_LINE.match(text[lines[i + 1][0]:lines[i + 1][1]]):
            in_headers = True  # Outlook's quoted block: "From: …" then "Sent: …" without a marker line
        if in_headers and _HEADER_LINE.match(line):
            flush()
            spans.append(Span(s, e, "header"))
            continue
        in_headers = False
        kind = "quote" if line.lstrip().startswith(">") else "text"
        if cur and (kind != cur_kind or _BULLET.match(line)):
            flush()
        cur_kind = kind
        cur.append((s, e))
        stripped = line.rstrip()
        if kind == "text" and (len(stripped) < 40 and not stripped.endswith(",") or stripped.endswith(":")):
            flush()  # a heading, a short list line, or "…as follows:"
    flush()
    return spans


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def split_sentences(text: str) -> list[Span]:
    """Every sentence (or header line, or quoted line group) of `text`, in order, with exact offsets:
    text[span.start:span.end] is the sentence, without surrounding white space."""
    out: list[Span] = []
    for seg in _segments(text):
        if seg.kind == "header":
            s, e = _trim(text, seg.start, seg.end)
            out.append(Span(s, e, "header"))
            continue
        cuts = [seg.start, *sentence_ends(text, seg.start, seg.end), seg.end]
        for a, b in zip(cuts, cuts[1:]):
            a, b = _trim(text, a, b)
            while b - a > MAX_SENTENCE_CHARS:  # cut over-long runs at white space
                cut = text.rfind(" ", a, a + MAX_SENTENCE_CHARS)
                cut = cut if cut > a + MAX_SENTENCE_CHARS // 2 else a + MAX_SENTENCE_CHARS
                s2, e2 = _trim(text, a, cut)
                if e2 > s2:
                    out.append(Span(s2, e2, seg.kind))
                a, _ = _trim(text, cut, b)
            said = _ATTRIBUTION.match(text, a, b)
            if said is not None:
                out.append(Span(a, said.end(), "header"))
                a, b = _trim(text, said.end(), b)
            if b > a:
                quoted = seg.kind == "text" and _QUOTED_HEADERS.match(text, a) is not None
                kind = "quote" if said is not None and text[a] == ">" else seg.kind
                out.append(Span(a, b, "header" if quoted else kind))
    return out


def first_sentence_end(text: str) -> int:
    """Where a one-sentence answer ends: just after the first real sentence end followed by white space, or -1.
    Used as the generation stop for base models instead of the stop string ". ", which cut "Jack M. Nilles"."""
    for m in re.finditer(r"[.!?][\"'”’)\]]*\s", text):
        if not is_false_end(text, m.start()):
            return m.start() + len(m.group(0).rstrip())
    return -1
