"""`python -m app.gui [--quick-ask]`: open Cove, or only its quick-ask popup (for a desktop keyboard shortcut)."""
import sys

from app.gui.main import run

sys.exit(run(sys.argv[1:]))
