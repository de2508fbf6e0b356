"""`python -m app.cli`: the `cove` command run from a checkout (packaging/bootstrap.py, the tests)."""
import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
