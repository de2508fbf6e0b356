"""Shared fixtures for the indexer tests: the small copied fixtures and the optional shared corpora."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """tests/fixtures: small real files copied from the shared corpora, always present."""
    return FIXTURES


@pytest.fixture(scope="session")
def corpora() -> Path:
    """The shared corpora folder, or skip the test when this checkout has none."""
    from tests.conftest import corpus

    return corpus()
