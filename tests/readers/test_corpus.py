"""Every file of the shared real-world corpus either reads or is refused with a code."""

from __future__ import annotations

from pathlib import Path

from isolation import read_in_child

# What the corpus holds that is not a readable customer table, and why it is refused.
EXPECTED_REFUSALS = {
    "OOM_alloc3.xls": "file.corrupt",  # a sector chain points past the end of the file
    "issue_385.xls": "file.password_protected",
    "pass_protected.ods": "file.password_protected",
    "pass_protected.xlsb": "file.password_protected",
    "pass_protected.xlsx": "file.password_protected",
    "picture.jpg": "file.unsupported_format",
    "picture.png": "file.unsupported_format",
    "issue_594_dos.ods": "file.too_large",
    "minimal_package.xlsx": "header.title_row",  # 'ARREST BOOKINGS for 01/30/17' over the table
}


def test_every_corpus_file_reads_or_is_refused_with_a_code(corpus_dir: Path) -> None:
    paths = sorted(path for path in corpus_dir.iterdir() if path.is_file())

    outcome = read_in_child(paths, per_file_seconds=30)

    assert set(outcome.codes) == {path.name for path in paths}
    for name, code in EXPECTED_REFUSALS.items():
        assert outcome.codes[name] == code, name
    readable = [name for name, code in outcome.codes.items() if code is None]
    assert len(readable) >= 80
    assert outcome.peak_mib < 1500
