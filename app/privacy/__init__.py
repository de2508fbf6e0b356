"""Privacy: the network guard every Cove process installs first (guard), and what `cove privacy` reports about where
your data lives and whether its disk is encrypted (report, disk_encryption)."""
