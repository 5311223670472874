"""A short run of the fuzzer (``fuzz/run.py``, random engine, fixed seeds): mutated CSV, XLSX,
XLS and ODS files through ``read_table`` and the whole pipeline, each in a worker child process
with a memory cap and a time bound. Any input that ends otherwise than in a table, a report or an
``UpflowImportError`` with a code (another exception, an abort, a hang, the cap hit, a broken
invariant) is a finding and fails the test; the long run is documented in docs/security.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "fuzz" / "run.py"

pytestmark = pytest.mark.fuzz


def fuzz(tmp_path: Path, *options: str) -> dict[str, object]:
    process = subprocess.run(
        [sys.executable, str(RUN), "--engine", "random", "--target", "both", "--quiet",
         "--findings", str(tmp_path / "findings"), *options],
        capture_output=True, text=True, timeout=600, check=False)
    summary: dict[str, object] = json.loads(process.stdout.splitlines()[-1])
    notes = [path.read_text() for path in sorted((tmp_path / "findings").glob("*.json"))]
    assert process.returncode == 0 and not summary["findings"], "\n".join(notes)[-4000:] or process.stderr
    return summary


def test_mutated_synthetic_files_read_or_are_refused_with_a_code(tmp_path: Path) -> None:
    summary = fuzz(tmp_path, "--executions", "500", "--seed", "20240601")

    assert summary["executions"] == 500
    outcomes = summary["outcomes"]
    assert isinstance(outcomes, dict)
    # The mutations reach every reader and the whole pipeline, not only the sniffing.
    assert {"read_table: table csv", "read_table: table xlsx", "pipeline: report"} <= set(outcomes)


def test_mutated_corpus_files_read_or_are_refused_with_a_code(tmp_path: Path, corpus_dir: Path) -> None:
    summary = fuzz(tmp_path, "--executions", "300", "--seed", "20240602", "--corpus", str(corpus_dir))

    assert summary["executions"] == 300
