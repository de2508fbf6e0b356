"""The short answer inside an evidence sentence, for questions that ask for a name, a date or a number.

When the model's own words are not supported, answering used to quote the best evidence sentence whole
("Your documents say: “In 1929, the university's fifth president, Robert Maynard Hutchins, took office…”"). For a
"when…?", "how many…?" or "who…?" question that sentence usually holds exactly one thing of the kind asked that the
question does not already name; that thing, taken verbatim from the sentence and shown with the sentence as its
evidence, is the answer ("1929 [1]"). Nothing is generated, so nothing can be invented: the span is a substring of
the source, and the sentence it came from is highlighted in the viewer.

Where a sentence holds several candidates, the one nearest to the words it shares with the question wins
("…tackled Ronnie Hillman for a 3-yard loss" → "Ronnie Hillman" for "Who lost 3 yards on a tackle by Shaq
Thompson?": "Shaq Thompson" is named by the question). Measured end to end in app/answer/answering.py's table.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from app.answer.evidence import _MONTHS, STOPWORDS, answer_type, content_terms, fold, stem

_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
          r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?")
_SEASON = r"(?:(?:the\s+)?(?:early|late|mid|spring|summer|autumn|fall|winter)(?:\s+of)?\s+)"
_YEAR = r"(?:1[0-9]{3}|20[0-9]{2})"
_DATE = re.compile(
    rf"\b(?:{_SEASON}?(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+{_YEAR}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+{_YEAR}"
    rf"|{_MONTH},?\s+{_YEAR}|{_YEAR}s?(?:\s*[-–]\s*(?:{_YEAR}|[0-9]{{2}})\b)?)"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)\s+century|\d{{4}}-\d{{2}}-\d{{2}})",
    re.I)
_NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
                 "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
                 "dozen twice sevenfold tenfold").split()
_SCALE = r"(?:\s+(?:hundred|thousand|million|billion|trillion))?"
_NUMBER = re.compile(
    rf"(?:[$€£]\s?)?\b\d+(?:[.,]\d+)*(?:\s?(?:%|percent\b|per cent\b))?{_SCALE}"
    rf"|\b(?:{'|'.join(_NUMBER_WORDS)})(?:[- ](?:{'|'.join(_NUMBER_WORDS)}))*{_SCALE}\b",
    re.I)
# A name: capitalised words, with the particles names carry ("Jean de Rely", "Hassan al-Turabi", "Vincent van Gogh").
_NAME = re.compile(r"(?:\b[A-Z][\w'’-]*\.?|\b(?:al|el|bin|ibn)-[A-Z][\w'’-]*)"
                   r"(?:[ \t\u00a0]+(?:(?:de|van|von|der|den|da|di|del|la|le|du|bin|ibn)[ \t\u00a0]+)*"
                   r"(?:[A-Z][\w'’-]*\.?|(?:al|el)-[A-Z][\w'’-]*))*")
_NOT_NAMES = frozenset(_MONTHS) | {"i"}  # month and day names are capitalised too


# "How long…?" wants "six months", not "six"; "How many episodes…?" wants "12" (SQuAD's gold answers; development
# set d05: "The review period is six months").
_MEASURE_Q = re.compile(r"^\W*how (?:long|old|far|big|large|tall|much|heavy|wide|deep|high)\b", re.I)
_UNIT = re.compile(r"[- ]?(?:[a-z]{1,12}\b|%)")
# "Who is Hassan al-Turabi?" asks what he is, not for a name.
_SHARE_Q = re.compile(r"\b(?:percentage|percent|per cent|proportion)\b", re.I)
_DEFINITION_Q = re.compile(r"^\W*(?i:who) (?i:is|was|are|were) (?:the |a |an )?[A-Z]")


@dataclass(frozen=True)
class Extracted:
    text: str
    start: int  # offsets into the sentence it was taken from
    end: int


def _stems(text: str) -> set[str]:
    return set(content_terms(text))


# A number word that counts nothing: "no one invention since Watt's time" was the answer to "How much less steam did
# the Corliss engine use…?" (SQuAD dev #70, verified).
_NOT_A_COUNT = re.compile(r"\b(?:no|any|every|some)\s+$", re.I)
# A numbered heading or list item: tried as a user, "How many articles did they use for the evaluation?" was answered
# "4.1" from "4.1 Evaluation Method We evaluated the obtained tables as follows." (a paper's section, verified).
_HEADING_NUMBER = re.compile(r"\s*(\d+(?:\.\d+)+\.?|\d+\.)\s+[A-Z]")


def _candidates(kind: str, sentence: str, q_terms: set[str], question: str,
                organisations: set[int] | None = None) -> list[tuple[int, int]]:
    """Spans of `sentence` holding a `kind` the question does not name; `organisations` collects the starts of names
    cut short of an organisation word ("Niagara Falls Cataract Construction [Company]")."""
    out: list[tuple[int, int]] = []
    q_low = fold(question).lower()
    if kind == "when":
        for m in _DATE.finditer(sentence):
            if m.group(0).lower() not in q_low:
                out.append(m.span())
    elif kind == "number":
        share = _SHARE_Q.search(question)
        heading = _HEADING_NUMBER.match(sentence)
        for m in _NUMBER.finditer(sentence):
            value = m.group(0).strip()
            if share and not re.search(r"%|per ?cent", value, re.I):
                continue  # "What percentage…?" wants "47%", not "one"
            if re.search(rf"(?<![\w.,]){re.escape(value.lower())}(?![\w])", q_low):
                continue  # "one loss" in the question: "one" is not the answer
            if m.start() > 0 and sentence[m.start() - 1] in "#§+[" or _PHONE_LIKE.match(sentence, m.start()):
                continue  # "#12", "§3", "[16]", "(+1) 819 …": a label, a footnote or a phone number, not a count
            if _NOT_A_COUNT.search(sentence[:m.start()]) and not value[0].isdigit():
                continue  # "no one invention since Watt's time", "one of the…": not how many
            if heading is not None and m.start() == heading.start(1):
                continue  # "4.1 Evaluation Method We evaluated…": a section's number, not how many
            end = m.start() + len(m.group(0).rstrip())
            if _MEASURE_Q.search(question):
                unit = _UNIT.match(sentence, end)
                if unit and unit.group(0).strip(" -").lower() not in STOPWORDS:
                    end = unit.end()
            out.append((m.start(), end))
    elif kind == "who":
        first = _first_word(sentence)
        cut_orgs = organisations if organisations is not None else set()
        for m in _NAME.finditer(sentence):
            tokens = [(t.start() + m.start(), t.end() + m.start(), t.group(0)) for t in re.finditer(r"\S+", m.group(0))]
            # a sentence's first word is capitalised anyway: drop it when it is a common word ("One day later, …")
            if tokens and tokens[0][0] == first and tokens[0][2].lower().strip(".") in STOPWORDS | {"first", "after"}:
                tokens = tokens[1:]
            while tokens and tokens[-1][2].lower().strip(".") in STOPWORDS:  # "Conclusion In this paper"
                tokens = tokens[:-1]
            cut = next((i for i, t in enumerate(tokens) if i >= 2 and t[2].lower().strip(".,") in _ORG_WORDS), None)
            if cut is not None:  # "Valter Kiisk Institute of Physics": the person, not the institute
                tokens = tokens[:cut]
                cut_orgs.add(tokens[0][0])
            if not tokens or (tokens[0][0] == first and len(tokens) == 1):
                continue  # a sentence's single capitalised first word may be any word ("Conclusion")
            if len(tokens) == 1 and (re.fullmatch(r"[A-Z]{1,3}s?", tokens[0][2].strip(".,"))
                                     or re.search(r"(?:an|ese|ish)$", tokens[0][2].strip(".,"))):
                continue  # "IE", "US": an acronym of a thing; "American", "Chinese": an adjective, not someone
            words = [t[2].strip(".,'’").lower() for t in tokens]
            if all(w in _NOT_NAMES or w in STOPWORDS for w in words):
                continue
            if all(stem(w) in q_terms or w in STOPWORDS for w in words):
                continue  # the question names it already
            end = tokens[-1][1] - (tokens[-1][2].endswith(".") and len(tokens[-1][2].rstrip(".")) > 1)
            out.append((tokens[0][0], end))  # "Precious Doe." ends a sentence; "Jack M." keeps its initial
    return out


SINGLE_NAME_FAR = 40
# The answer stands near the words it shares with the question: of 23 SQuAD extractions the right ones stood 1-50
# characters from the nearest question word (median 13).
MAX_ANCHOR_CHARS = 80
_PHONE_LIKE = re.compile(r"\d{3}[ .-]\d{3,4}[ .-]?\d{0,4}\b|\d{7,}")
_ORG_WORDS = frozenset("institute university college department school faculty laboratory laboratories lab center "
                       "centre foundation hospital inc ltd llc gmbh corporation corp company group".split())


def _first_word(sentence: str) -> int:
    m = re.search(r"[A-Za-z]", sentence)
    return m.start() if m else 0


def _term_positions(sentence: str, q_terms: set[str]) -> list[int]:
    return [m.start() for m in re.finditer(r"[\w][\w'’-]*", sentence)
            if stem(fold(m.group(0)).lower().strip("'’-")) in q_terms]


def typed_answer(question: str, sentence: str, *, anchored: bool = True) -> Extracted | None:
    """The name, date or number `sentence` gives in answer to `question` ("" kinds: None). Among several, the one
    closest to the question's words in the sentence; None when the sentence holds none the question does not name.
    `anchored=False` is for a verified answer of the model's, which need not repeat the question's words."""
    kind = answer_type(question)
    if kind not in ("who", "when", "number") or (kind == "who" and _DEFINITION_Q.search(question)):
        return None
    q_terms = _stems(question)
    organisations: set[int] = set()
    spans = _candidates(kind, sentence, q_terms, question, organisations)
    anchors = _term_positions(sentence, q_terms)
    if not spans or (anchored and not anchors):
        return None  # a sentence that shares no word with the question does not answer it

    def near(span: tuple[int, int]) -> int:
        return min((min(abs(a - span[0]), abs(a - span[1])) for a in anchors), default=0)

    def distance(span: tuple[int, int]) -> tuple[int, int]:
        # a person's name has two words or more: for "who…?" a single word (a company, a place) or an
        # organisation's name counts as if it stood SINGLE_NAME_FAR characters further away ("Jamie Zawinski from
        # Netscape registered mozilla.org")
        far = SINGLE_NAME_FAR if kind == "who" and (" " not in sentence[span[0]:span[1]].strip()
                                                    or span[0] in organisations) else 0
        return (far + near(span), span[0])

    spans = [sp for sp in spans if near(sp) <= MAX_ANCHOR_CHARS]
    if not spans:
        return None
    start, end = min(spans, key=distance)
    raw = sentence[start:end]
    text = raw.strip(" ,;:")
    start += len(raw) - len(raw.lstrip(" ,;:"))
    return Extracted(text, start, start + len(text)) if text else None
