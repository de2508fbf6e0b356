"""The CLI's usage error, in a module of its own: the command modules (app/cli/*.py) raise it and `main()` in
app/cli/__init__.py turns it into exit code 2. It once lived in app/cli.py, and cli_mail importing it back closed
an import cycle (launch → gui.main → resident_server → cli_mail → cli; tests/test_import_cycles.py)."""
from __future__ import annotations


class UsageError(Exception):
    """Bad arguments: exit 2 with a message that says what to do."""
