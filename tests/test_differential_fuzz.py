"""A short run of the differential fuzzer (``fuzz/differential.py``, fixed seeds): XLSX, XLSB, XLS
and ODS files mutated where the guard and calamine could read them differently, each read by the
guard here and by calamine in a capped worker child. A file the guard passes while calamine dies
on it, builds a sheet beyond the limits or reaches past the guard's rectangle, and any exception
of the guard other than an ``UpflowImportError``, is a finding and fails the test; the long run is
documented in docs/security.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "fuzz" / "differential.py"

pytestmark = pytest.mark.fuzz


def differential(tmp_path: Path, *options: str) -> dict[str, object]:
    process = subprocess.run(
        [sys.executable, str(RUN), "--quiet", "--findings", str(tmp_path / "findings"), *options],
        capture_output=True, text=True, timeout=600, check=False)
    summary: dict[str, object] = json.loads(process.stdout.splitlines()[-1])
    notes = [path.read_text() for path in sorted((tmp_path / "findings").glob("*.json"))]
    assert process.returncode == 0 and not summary["findings"], "\n".join(notes)[-4000:] or process.stderr
    return summary


def test_mutated_written_files_are_read_by_calamine_within_the_guards_limits(tmp_path: Path) -> None:
    summary = differential(tmp_path, "--executions", "400", "--seed", "20261203")

    assert summary["executions"] == 400
    outcomes = summary["outcomes"]
    assert isinstance(outcomes, dict)
    # The mutated files reach calamine in every format, not only the guard's refusals.
    assert {"xlsx read by calamine", "ods read by calamine", "xls read by calamine"} <= set(outcomes)


def test_mutated_corpus_workbooks_are_read_by_calamine_within_the_guards_limits(
        tmp_path: Path, corpus_dir: Path) -> None:
    summary = differential(tmp_path, "--executions", "300", "--seed", "20261204", "--corpus", str(corpus_dir))

    assert summary["executions"] == 300
    outcomes = summary["outcomes"]
    assert isinstance(outcomes, dict)
    assert "xlsb read by calamine" in outcomes
