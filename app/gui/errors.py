"""Failures in the desktop app: logged with their traceback (the log file, app/logs.py), shown as one short sentence
with a "Details…" button. The desktop app's stderr is seen by nobody, so nothing here prints.

A `Failure` is a `str` (the short message) that also carries the traceback, so every place that shows, formats or
compares the message keeps working unchanged, and only the widgets that offer "Details…" look for `.details`. A
signal that carries one across threads must be typed `object`: a `str` signal would copy the text only.
"""
from __future__ import annotations

import logging
import traceback
from typing import Any

from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

MAX_MESSAGE = 600  # characters of an exception's text in the short message; the rest is in Details and the log


class Failure(str):
    """A short message for the user, with the traceback behind it for "Details…"."""

    details: str

    def __new__(cls, message: str, details: str = "") -> "Failure":
        obj = super().__new__(cls, message)
        obj.details = details
        return obj

    def reworded(self, message: str) -> "Failure":
        """Another wording of the same failure ("Indexing failed: …"), keeping the details."""
        return Failure(message, self.details)


def short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) < MAX_MESSAGE else text[:MAX_MESSAGE] + "…"


def failure(log: logging.Logger, exc: BaseException, what: str, message: str | None = None) -> Failure:
    """Log `exc` with its traceback as "`what` failed" and return the message to show. `what` names the operation
    ("answering a question"), never its content: the question and the documents stay out of the log."""
    log.error("%s failed", what, exc_info=exc)
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return Failure(short(exc) if message is None else message, details)


def details_of(message: Any) -> str:
    return getattr(message, "details", "") or ""


def reword(message: Any, text: str) -> Any:
    """`text` carrying `message`'s details when it has some (a plain str stays a plain str)."""
    return message.reworded(text) if isinstance(message, Failure) else text


def show_details(parent: QWidget | None, message: str, details: str) -> QMessageBox:
    """A window-modal box: the short message, and the traceback behind Qt's own "Show Details…" button."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Cove", str(message), QMessageBox.StandardButton.Close, parent)
    box.setInformativeText("The full report is also in the log file (cove status shows where).")
    box.setDetailedText(details)
    box.setObjectName("FailureDetails")
    box.open()
    return box


class DetailsButton(QPushButton):
    """A flat "Details…" button beside a short error message; hidden unless the message carries details."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Details…", parent)
        self.setFlat(True)
        self.setObjectName("DetailsButton")
        self.setToolTip("What exactly went wrong (also written to the log file)")
        self.message: str = ""
        self.details: str = ""
        self.box: QMessageBox | None = None
        self.clicked.connect(self.show_details)
        self.hide()

    def show_for(self, message: Any) -> None:
        self.message, self.details = str(message), details_of(message)
        self.setVisible(bool(self.details))

    def show_details(self) -> None:
        if self.details:
            self.box = show_details(self.window(), self.message, self.details)
