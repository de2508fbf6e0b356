"""The CLI's usage error, in a module of its own: the `cli_*` command modules raise it and `app.cli` turns it into
exit code 2, so none of them has to import `app.cli` back (an import cycle through cli_mail → cli, closed by
launch → gui.main → resident_server → cli_mail; tests/test_import_cycles.py). One class also under
`python -m app.cli`, where `app.cli` is loaded twice (as `__main__` and as `app.cli`)."""
from __future__ import annotations


class UsageError(Exception):
    """Bad arguments: exit 2 with a message that says what to do."""
