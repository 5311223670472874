"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "calamine"
EXAMPLES = ROOT / "examples"


@pytest.fixture
def corpus_dir() -> Path:
    """The shared real-world spreadsheet corpus; tests using it skip when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip("the shared corpus is not beside the project")
    return CORPUS
