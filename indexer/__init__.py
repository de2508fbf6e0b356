"""Cove's indexing engine: parse, chunk, embed and store a person's documents. Never imports Qt or `app`."""

from indexer.lazy_imports import defer_lance_rest_client as _defer

_defer()  # before anything imports lancedb: its unused REST client costs seconds at import (see lazy_imports.py)
