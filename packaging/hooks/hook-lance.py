"""pylance: a native extension; skip its pytest conftest."""
excludedimports = ["lance.conftest", "pytest"]
