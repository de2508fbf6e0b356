"""The desktop around the window, without Qt: one Cove per user and data dir (single_instance), the menu entry, file
associations and autostart (integration, mimeapps), and starting the GUI safely (launch, qt_deps)."""
