"""One question and its answer: the question bubble, the answer streamed as Markdown with clickable [n] citations,
its source cards (each with its evidence sentence), a Copy button and a status line. When the answer could not be
verified against the sources, the streamed words are replaced by the final answer (what the documents say) under an
amber banner that keeps the model's draft one click away. Tokens are buffered and the Markdown re-rendered at most every
~40 ms, so a fast model never floods the GUI thread with layout work."""
from __future__ import annotations

import re
import time
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QToolButton, QVBoxLayout,
                               QWidget)

from app.answer.record import Verdict, is_replaced, verdict, verdict_of
from app.gui import theme
from app.gui.errors import DetailsButton
from app.gui.icons import IconLabel, icon
from app.gui.models import Saved, SourceRef, Status
from app.gui.safe_browser import SafeTextBrowser, set_answer_markdown
from app.gui.source_cards import SourceList

REPAINT_MS = 40
_CITED = re.compile(r"\[(\d{1,3})\]")


class AnswerBrowser(SafeTextBrowser):
    """Grows with its text (no inner scroll bar); the chat's scroll area scrolls."""

    citation_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.viewport().setAutoFillBackground(False)
        self.setStyleSheet("QTextBrowser { background: transparent; }")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.document().setDocumentMargin(2)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.setFont(font)
        self.anchorClicked.connect(self._on_anchor)
        self.markdown = ""
        self.draft = False
        self._pending: list[str] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REPAINT_MS)
        self._timer.timeout.connect(self._flush)
        self.render_times: list[float] = []  # when each re-render happened (monotonic), for tests and benchmarks
        self.setAccessibleName("Answer")
        self._fit()

    def set_draft(self, on: bool) -> None:
        """While the model writes, its words are a draft: muted and slanted until the check against the sources
        has replaced them with the answer (issue 11: a streamed wrong sentence must not read as a verified one)."""
        self.draft = on
        extra = f" QTextBrowser {{ color: {theme.colors(self.palette()).muted}; font-style: italic; }}" if on else ""
        self.setStyleSheet("QTextBrowser { background: transparent; }" + extra)

    def append(self, text: str) -> None:
        self._pending.append(text)
        if not self._timer.isActive():
            self._timer.start()

    def set_markdown(self, markdown: str) -> None:
        self._timer.stop()
        self._pending.clear()
        self.markdown = markdown
        self._render()

    def _flush(self) -> None:
        if self._pending:
            self.markdown += "".join(self._pending)
            self._pending.clear()
            self._render()

    def _render(self) -> None:
        self.render_times.append(time.monotonic())
        set_answer_markdown(self.document(), self.markdown, theme.colors(self.palette()).accent)
        self._fit()

    def _fit(self) -> None:
        doc = self.document()
        doc.setTextWidth(max(50, self.viewport().width()))
        height = int(doc.size().height()) + 4
        if self.height() != height:
            self.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(400, self.height())

    def _on_anchor(self, url: QUrl) -> None:
        if url.scheme() == "cite" and url.path().isdigit():
            self.citation_clicked.emit(int(url.path()))


class VerifyBanner(QFrame):
    """"Not verified — showing what your documents say", with the model's own words behind a toggle (and in the
    tooltip). Hidden for verified answers, refusals and anything without sources to check against."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("VerifyBanner")
        self.verdict = Verdict("none")
        mark = IconLabel("warning", 18)
        self.title = QLabel()
        self.title.setObjectName("VerifyTitle")
        self.title.setWordWrap(True)
        self.toggle = QToolButton()
        self.toggle.setObjectName("ChipButton")
        self.toggle.setCheckable(True)
        self.toggle.setText("Show the model's draft")
        self.toggle.toggled.connect(self._expand)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.hide()
        head = QHBoxLayout()
        head.setSpacing(8)
        head.addWidget(mark, 0, Qt.AlignmentFlag.AlignVCenter)
        head.addWidget(self.title, 1, Qt.AlignmentFlag.AlignVCenter)
        head.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignVCenter)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 8, 6)
        lay.setSpacing(4)
        lay.addLayout(head)
        lay.addWidget(self.detail)
        self.hide()

    def show_verdict(self, v: Verdict) -> None:
        self.verdict = v
        self.title.setText(v.title)
        self.detail.setText(v.detail)
        self.setToolTip(v.detail)
        self.setAccessibleName(v.title)
        self.setAccessibleDescription(v.detail)
        self.toggle.setVisible(bool(v.detail))
        self.toggle.setChecked(False)
        self.setVisible(v.warns)

    def _expand(self, on: bool) -> None:
        self.detail.setVisible(on)
        self.toggle.setText("Hide the model's draft" if on else "Show the model's draft")


class TurnWidget(QFrame):
    """Consumes the chat worker's events for one request (it is the request's "sink")."""

    open_source = Signal(object)  # SourceRef
    forget_requested = Signal(str)
    finished = Signal(object)  # the Done event
    saved = Signal(int)  # the turn was stored in this conversation

    def __init__(self, question: str, parent: QWidget | None = None, *, show_question: bool = True,
                 sources: list[SourceRef] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Turn")
        self.question = question
        self.refs: list[SourceRef] = []
        self.preset_sources = sources or []
        self.state = "waiting"  # waiting | streaming | done | stopped | failed
        self.done_event: Any = None
        self.tokens_seen = 0
        self._meta_text = ""

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 6, 0, 10)
        lay.setSpacing(6)
        self.bubble = QLabel(question)
        self.bubble.setObjectName("QuestionBubble")
        self.bubble.setWordWrap(True)
        self.bubble.setTextFormat(Qt.TextFormat.PlainText)
        self.bubble.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bubble.setMaximumWidth(560)
        natural = self.bubble.fontMetrics().horizontalAdvance(question) + 28
        self.bubble.setMinimumWidth(min(natural, 420))
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.bubble)
        if show_question:
            lay.addLayout(row)
        else:
            self.bubble.hide()

        self.status = QLabel("")
        self.status.setObjectName("Muted")
        self.status.setWordWrap(True)
        self.details = DetailsButton()  # a failure's "Details…" (app/gui/errors.py); hidden otherwise
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.details, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(status_row)
        self.banner = VerifyBanner()
        lay.addWidget(self.banner)
        self.answer = AnswerBrowser()
        self.answer.citation_clicked.connect(self._on_citation)
        lay.addWidget(self.answer)
        self.sources = SourceList()
        self.sources.activated.connect(self.open_source)
        self.sources.forget_requested.connect(self.forget_requested)
        self.sources.hide()
        lay.addWidget(self.sources)

        actions = QHBoxLayout()
        actions.setSpacing(8)
        self.copy_button = QPushButton(icon("copy"), "Copy answer")
        self.copy_button.setFlat(True)
        self.copy_button.setToolTip("Copy the answer and its sources (Ctrl+Shift+C copies the latest)")
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        self.copy_button.hide()
        self.meta = QLabel("")
        self.meta.setObjectName("Muted")
        actions.addWidget(self.copy_button)
        actions.addWidget(self.meta)
        actions.addStretch(1)
        lay.addLayout(actions)
        self.set_status("Waiting…")

    # the sink protocol ------------------------------------------------------------------------------------------------
    def handle(self, event: Any) -> None:
        from app.answer.answering import Done, Retrieved, Token

        if isinstance(event, Status):
            self.set_status(event.text)
        elif isinstance(event, Saved):
            self.saved.emit(event.conversation_id)
        elif isinstance(event, Retrieved):
            n = len(event.hits)
            self.set_status(f"Read {n} passage{'s' * (n != 1)} · writing the answer…  (Esc stops)" if n
                            else "Nothing relevant found")
        elif isinstance(event, Token):
            if self.state != "streaming":
                self.state = "streaming"
                self.answer.set_draft(True)
                self.set_status("Draft — it is checked against your sources when it is finished…  (Esc stops)")
            self.tokens_seen += 1
            self.answer.append(event.text)
        elif isinstance(event, Done):
            self._done(event)

    def fail(self, message: str) -> None:
        self.state = "failed"
        self.answer.set_draft(False)
        self.answer.set_markdown(self.answer.markdown)
        self.set_status(f"Something went wrong: {message}", warning=True)
        self.details.show_for(message)  # the traceback, when the worker sent one (a Failure)
        self.finished.emit(None)

    def _done(self, done: Any) -> None:
        self.done_event = done
        self.answer.set_draft(False)
        text = done.answer
        if done.cancelled:
            self.state = "stopped"
            self.answer.set_markdown(text or self.answer.markdown + "".join(self.answer._pending))
            self.set_status("Stopped.")
        else:
            self.state = "done"
            # the final answer replaces what was streamed (citations checked, or the evidence instead of an
            # unsupported answer); never an empty answer
            self.answer.set_markdown(text or self.answer.markdown + "".join(self.answer._pending) or "*No answer.*")
            self.set_status("")
        self.banner.show_verdict(verdict_of(done))
        refs = [SourceRef.from_source(s) for s in done.sources] or list(self.preset_sources)
        self.set_sources(refs)
        timings = done.timings or {}
        bits = []
        cited = [r for r in refs if r.cited]
        if cited:
            bits.append(f"{len(cited)} source{'s' * (len(cited) != 1)}")
        if timings.get("parts"):
            bits.append(f"{timings['parts']} part{'s' * (timings['parts'] != 1)}")
        if timings.get("total_ms"):
            bits.append(f"{timings['total_ms'] / 1000:.1f} s")
        if timings.get("tokens_per_s"):
            bits.append(f"{timings['tokens_per_s']:.0f} tokens/s")
        self._meta_text = " · ".join(bits)
        self.meta.setText(self._meta_text)
        self.copy_button.setVisible(bool(self.answer.markdown.strip()))
        self.finished.emit(done)

    # display helpers ---------------------------------------------------------------------------------------------------
    def set_status(self, text: str, warning: bool = False) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
        if warning:
            self.status.setStyleSheet(f"color: {theme.colors(self.palette()).warning};")
        else:
            self.status.setStyleSheet("")

    def set_sources(self, refs: list[SourceRef]) -> None:
        self.refs = refs
        self.sources.set_sources(refs)
        self.sources.setVisible(bool(refs))

    def show_final(self, answer: str, refs: list[SourceRef], *, verified: bool | None = None,
                   draft: str = "") -> None:
        """A turn loaded from history: no streaming, sources as stored. `verified` None: stored before answers
        were verified (only a replaced answer is recognisable then)."""
        self.state = "done"
        cited = {int(n) for n in _CITED.findall(answer)}
        refs = [SourceRef(**{**r.__dict__, "cited": (r.n in cited) if cited else True}) for r in refs]
        if verified is None:
            v = Verdict("replaced", draft) if is_replaced(answer) else Verdict("none")
        else:
            v = verdict(answer, verified=verified, draft=draft, has_sources=bool(refs))
        self.banner.show_verdict(v)
        self.answer.set_markdown(answer)
        self.set_status("")
        self.set_sources(refs)
        self.copy_button.setVisible(bool(answer.strip()))

    def _on_citation(self, n: int) -> None:
        ref = next((r for r in self.refs if r.n == n), None)
        if ref is not None:
            self.open_source.emit(ref)

    def plain_answer(self) -> str:
        text = self.answer.markdown.strip()
        cited = [r for r in self.refs if r.cited]
        if cited:
            text += "\n\nSources:\n" + "\n".join(r.citation_line() for r in cited)
        return text

    def copy_to_clipboard(self) -> None:
        QGuiApplication.clipboard().setText(self.plain_answer())
        self.meta.setText("Copied to the clipboard")
        QTimer.singleShot(1500, self, lambda: self.meta.setText(self._meta_text))

    @property
    def is_active(self) -> bool:
        return self.state in ("waiting", "streaming")
