"""The resident Cove (issue 12): one warm process (`cove serve`, or the desktop app) owns the index and the model and
answers other Coves over a local socket: the wire format (protocol), the server, the client the CLI tries first,
and the one assistant the desktop chat and the server share (shared_assistant)."""
