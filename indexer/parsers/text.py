"""Plain text, Markdown, reStructuredText and source code.

Blocks are blank-line separated paragraphs (merged up to ~1,500 characters) carrying 1-based inclusive line ranges,
so a citation can point at the exact lines of a note or a source file; Markdown and RST headings become the
`section` path. The heading scanners are deliberately small line-based state machines, not full parsers: they
only need to know where headings and fenced code are.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from indexer.documents import Block, ParsedDocument, SkipDocument
from indexer.locator import Locator
from indexer.parsers.textutil import (
    BLOCK_CHARS,
    HeadingPath,
    clean_line,
    decode_text,
    looks_binary,
    merge_blocks,
    normalize_newlines,
    stem,
)

MARKDOWN_EXTS = (".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn", ".mdtxt", ".mdtext", ".rmd", ".qmd")
RST_EXTS = (".rst", ".rest")
TEXT_EXTS = (".txt", ".text", ".log", ".csv", ".tsv", ".nfo", ".srt", ".vtt", ".tex", ".bib", ".org", ".adoc",
             ".asciidoc", ".textile", ".wiki", ".me", ".1st", ".diff", ".patch")
CODE_EXTS = (
    ".py", ".pyi", ".pyw", ".ipynb", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".java", ".kt", ".kts", ".scala",
    ".groovy", ".gradle", ".c", ".h", ".cpp", ".cc", ".cxx", ".hpp", ".hh", ".hxx", ".cs", ".fs", ".go", ".rs", ".rb",
    ".php", ".pl", ".pm", ".swift", ".m", ".mm", ".r", ".jl", ".lua", ".dart", ".hs", ".ml", ".mli", ".ex", ".exs",
    ".erl", ".clj", ".cljs", ".lisp", ".el", ".scm", ".vim", ".zig", ".nim", ".v", ".vhd", ".sv", ".asm", ".s",
    ".sh", ".bash", ".zsh", ".fish", ".ps1", ".psm1", ".bat", ".cmd", ".awk", ".sed", ".tcl",
    ".json", ".jsonl", ".ndjson", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".properties", ".xml", ".xsd",
    ".xsl", ".xslt", ".plist", ".sql", ".graphql", ".proto", ".css", ".scss", ".sass", ".less", ".vue", ".svelte",
    ".tf", ".hcl", ".cmake", ".mk", ".mak", ".dockerfile", ".nix", ".j2", ".jinja", ".tmpl", ".mustache",
)

EXTENSIONS: dict[str, str] = {
    **{e: "markdown" for e in MARKDOWN_EXTS},
    **{e: "rst" for e in RST_EXTS},
    **{e: "text" for e in TEXT_EXTS},
    **{e: "code" for e in CODE_EXTS},
}

Line = tuple[int, str]  # (1-based line number, text)


def parse(data: bytes, name: str, kind: str = "text") -> ParsedDocument:
    """Decode and split a text-like file; `kind` is "markdown", "rst", "text" or "code"."""
    if looks_binary(data):
        raise SkipDocument("binary content, not text")
    text = normalize_newlines(decode_text(data))
    return parse_str(text, name, kind)


def parse_str(text: str, name: str, kind: str = "text") -> ParsedDocument:
    """The str half of `parse`, also used for text that arrives already decoded."""
    raw = text.split("\n")
    if kind == "code":
        lines = [_BAD.sub("", line.rstrip()) for line in raw]
    elif kind in ("markdown", "rst"):
        lines = [_keep_indent(line) for line in raw]  # indentation decides what is code, not a heading
    else:
        lines = [clean_line(line) for line in raw]
    if not any(lines):
        raise SkipDocument("no text (only blank lines)")
    if kind == "markdown":
        paras, title = split_markdown(lines)
    elif kind == "rst":
        paras, title = split_rst(lines)
    else:
        paras, title = split_plain(lines), ""
    blocks = merge_blocks(paras)
    if not blocks:
        raise SkipDocument("no text (only blank lines)")
    return ParsedDocument(kind=kind, title=title or stem(name), blocks=tuple(blocks))


_BAD = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_INDENT = re.compile(r"^[ \t]*")


def _keep_indent(line: str) -> str:
    """`clean_line` that keeps the leading indentation (tabs as 4 columns)."""
    cleaned = clean_line(line)
    if not cleaned:
        return ""
    return " " * len(_INDENT.match(line).group(0).expandtabs(4)) + cleaned  # type: ignore[union-attr]


_MD_LINK = re.compile(r"!?\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
_MD_EMPH = re.compile(r"(\*{1,3}|_{1,3})(?=\S)(.+?)(?<=\S)\1")
_MD_ATTRS = re.compile(r"\s*\{[#.][^}]*\}\s*$")


def md_heading(text: str) -> str:
    """Heading text without Markdown syntax (links, emphasis, code ticks, `{#id .class}`), for `section`."""
    text = _MD_ATTRS.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_EMPH.sub(r"\2", text)
    return text.replace("`", "").strip()


def line_runs(lines: list[Line], section: str, limit: int = BLOCK_CHARS) -> list[Block]:
    """Split one paragraph into runs of whole lines of at most `limit` characters (a longer line stays whole).

    Keeps line ranges exact for long paragraphs such as CSV files or code without blank lines.
    """
    out: list[Block] = []
    run: list[Line] = []
    size = 0
    for n, text in lines:
        if run and size + 1 + len(text) > limit:
            out.append(_block(run, section))
            run, size = [], 0
        run.append((n, text))
        size += len(text) + 1
    if run:
        out.append(_block(run, section))
    return out


def _block(run: list[Line], section: str) -> Block:
    return Block(text="\n".join(t for _, t in run).strip("\n"),
                 where=Locator(section=section, line_start=run[0][0], line_end=run[-1][0]))


class _Splitter:
    """Collects lines into paragraphs under the current heading path."""

    def __init__(self, inline: Callable[[str], str] | None = None) -> None:
        self.path = HeadingPath()
        self.blocks: list[Block] = []
        self.cur: list[Line] = []
        self.title = ""
        self.inline = inline or (lambda s: s)

    def flush(self) -> None:
        if self.cur:
            lines = [(n, self.inline(t)) for n, t in self.cur]
            self.blocks.extend(line_runs(lines, self.path.path))
            self.cur = []

    def heading(self, level: int, text: str, start: int, end: int) -> None:
        self.flush()
        text = self.inline(text).strip()
        if not text:
            return
        self.title = self.title or text
        self.path.push(level, text)
        self.blocks.append(Block(text=text, where=Locator(section=self.path.path, line_start=start, line_end=end)))


def split_plain(lines: list[str]) -> list[Block]:
    """Blank-line separated paragraphs, no headings."""
    sp = _Splitter()
    for n, line in enumerate(lines, 1):
        if line.strip():
            sp.cur.append((n, line))
        else:
            sp.flush()
    sp.flush()
    return sp.blocks


_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^ {0,3}([-+*]|\d{1,9}[.)])[ \t]")
_FRONT_TITLE = re.compile(r"^title:\s*[\"']?(.*?)[\"']?\s*$", re.I)


def split_markdown(lines: list[str], inline: Callable[[str], str] | None = None) -> tuple[list[Block], str]:
    """Paragraphs with ATX (`# x`) and setext (`x` / `===`) headings; `#` lines inside fences are code."""
    sp = _Splitter(inline)
    start = 0
    if lines and lines[0].strip() == "---":  # YAML front matter: text, never a heading
        for j in range(1, min(len(lines), 300)):
            if lines[j].strip() in ("---", "..."):
                sp.cur = [(k + 1, lines[k]) for k in range(j + 1)]
                sp.flush()
                for k in range(1, j):
                    m = _FRONT_TITLE.match(lines[k])
                    if m and m.group(1):
                        sp.title = m.group(1)
                start = j + 1
                break
    fence: tuple[str, int] | None = None
    for n in range(start + 1, len(lines) + 1):
        line = lines[n - 1]
        if fence:
            sp.cur.append((n, line))
            s = line.strip()
            if s.startswith(fence[0] * fence[1]) and not s.strip(fence[0]):
                fence = None
                sp.flush()
            continue
        m = _FENCE.match(line)
        if m:
            sp.flush()
            fence = (m.group(1)[0], len(m.group(1)))
            sp.cur.append((n, line))
            continue
        if not line.strip():
            sp.flush()
            continue
        m = _ATX.match(line)
        if m:
            sp.heading(len(m.group(1)), md_heading(m.group(2) or ""), n, n)
            continue
        m = _SETEXT.match(line)
        if m:
            prev = sp.cur[0][1] if len(sp.cur) == 1 else ""
            if prev and not prev.startswith("    ") and not _LIST_ITEM.match(prev) and not prev.lstrip().startswith(
                    (">", "|")):
                (first, text), sp.cur = sp.cur[0], []
                sp.heading(1 if m.group(1)[0] == "=" else 2, md_heading(text), first, n)
                continue
            if m.group(1)[0] == "-" and len(m.group(1)) >= 3:  # thematic break
                sp.flush()
                continue
        sp.cur.append((n, line))
    sp.flush()
    return sp.blocks, sp.title


_ADORN = re.compile(r"^([!-/:-@\[-`{-~])\1{2,}[ \t]*$")


def split_rst(lines: list[str]) -> tuple[list[Block], str]:
    """Paragraphs with reStructuredText section titles (underlined, optionally overlined).

    Levels follow the order in which adornment styles first appear, as docutils does.
    """
    sp = _Splitter()
    styles: list[tuple[str, bool]] = []

    def level(char: str, over: bool) -> int:
        if (char, over) not in styles:
            styles.append((char, over))
        return styles.index((char, over)) + 1

    n = 1
    while n <= len(lines):
        line = lines[n - 1]
        if not line.strip():
            sp.flush()
            n += 1
            continue
        m = _ADORN.match(line)
        if m and not sp.cur and n + 2 <= len(lines):
            text, under = lines[n], lines[n + 1]
            if text.strip() and not _ADORN.match(text) and under.strip() == line.strip():
                sp.heading(level(m.group(1), True), text.strip(), n, n + 2)
                n += 3
                continue
        if m and len(sp.cur) == 1 and not _ADORN.match(sp.cur[0][1]):
            (first, text), sp.cur = sp.cur[0], []
            sp.heading(level(m.group(1), False), text.strip(), first, n)
            n += 1
            continue
        if m and not sp.cur:  # a transition line
            n += 1
            continue
        sp.cur.append((n, line))
        n += 1
    sp.flush()
    return sp.blocks, sp.title
