"""Cove: the Qt-free application core (settings, paths, privacy guard, language model, answering, CLI).

Importing `app` installs the privacy guard first, before any third-party library is imported anywhere.
"""
from app.privacy import guard as _guard

_guard.install()
