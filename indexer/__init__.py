"""Cove's indexing engine: parse, chunk, embed and store a person's documents. Never imports Qt or `app`."""
