"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "calamine"
#: Why the corpus tests skip, as ``pytest -rs`` prints it (the README's development section agrees).
CORPUS_MISSING = "needs the real-world spreadsheet corpus at ../shared/corpus/calamine, beside the checkout"
EXAMPLES = ROOT / "examples"


@pytest.fixture
def corpus_dir() -> Path:
    """The shared real-world spreadsheet corpus; tests using it skip when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(CORPUS_MISSING)
    return CORPUS
