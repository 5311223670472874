"""The outputs of a dry run of the benchmark files, written to compare two revisions byte for byte.

``python benchmarks/same_output.py OUT`` writes, into the folder ``OUT``, what
the ``upflow_import`` it imports (this checkout's, or another revision's put
first on ``PYTHONPATH``) prints for the benchmark's CSV and XLSX files (20,000
rows, generated as ``benchmarks/run.py`` generates them) against a store
holding half of their clients, as ``nox -s bench`` fills it:

- ``upflow-import plan FILE --json``, in English and in French;
- ``upflow-import plan FILE``, the text a person reads, in both languages;
- the failed-rows export (``--failed-rows``, CSV);
- ``ImportReport.to_rows()`` of the same dry run, as JSON.

``python benchmarks/same_output.py --compare A B`` then says whether two such
folders are identical, and names the files that are not. To compare a
revision with the current checkout (see docs/performance.md)::

    git worktree add ../before main
    PYTHONPATH=../before/src python benchmarks/same_output.py out-before
    python benchmarks/same_output.py out-after
    python benchmarks/same_output.py --compare out-before out-after
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run

ROWS = 20_000


def _cli(folder: Path, *arguments: str) -> bytes:
    """What the command line, run in ``folder``, prints on its standard output (its exit status is
    1 when the file has errors, as the benchmark's files have)."""
    completed = subprocess.run([sys.executable, "-m", "upflow_import", *arguments], stdout=subprocess.PIPE,
                               check=False, cwd=folder, env={**os.environ, "COLUMNS": "100"})
    if completed.returncode not in (0, 1):
        raise SystemExit(f"upflow-import {' '.join(arguments)} ended with {completed.returncode}")
    return completed.stdout


def _filled_store(folder: Path, count: int) -> Path:
    """An SQLite store holding what the benchmark's repository holds, filled by the command line."""
    store = "filled.db"
    stored = folder / "stored.csv"
    with stored.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow(run.HEADERS)
        writer.writerows(row for row in map(run._stored_row, range(count)) if row is not None)
    _cli(folder, "account-managers", "add", "--db", store, *run.MANAGERS)
    _cli(folder, "dunning-plans", "add", "--db", store, *run.PLANS)
    _cli(folder, "apply", stored.name, "--db", store, "--no-mapping-memory")
    return folder / store


def write_outputs(out: Path, count: int) -> list[Path]:
    """Write every output into ``out``; the paths written."""
    import upflow_import  # the one on sys.path: this checkout's or another revision's

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    (out / "library.txt").write_text(f"{upflow_import.__file__}\n", encoding="utf-8")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        filled = _filled_store(folder, count)
        for suffix in ("csv", "xlsx"):
            source = run.data_file(count, suffix)
            for lang in ("en", "fr"):
                # Paths relative to the folder the command runs in: its text names them.
                store = f"{suffix}-{lang}.db"
                shutil.copyfile(filled, folder / store)
                common = [str(source), "--db", store, "--no-mapping-memory", "--lang", lang]
                failed = f"failed-{suffix}-{lang}.csv"
                outputs = {
                    f"plan-{suffix}-{lang}.json": _cli(folder, "plan", *common, "--json"),
                    f"plan-{suffix}-{lang}.txt": _cli(folder, "plan", *common, "--failed-rows", failed),
                }
                outputs[f"failed-rows-{suffix}-{lang}.csv"] = (folder / failed).read_bytes()
                for file_name, data in outputs.items():
                    (out / file_name).write_bytes(data)
                    written.append(out / file_name)
            report = upflow_import.import_file(source, run.filled_repository(count), dry_run=True)
            rows = out / f"to-rows-{suffix}.json"
            text = io.StringIO()
            json.dump(report.to_rows(), text, ensure_ascii=False, sort_keys=True)
            rows.write_text(text.getvalue(), encoding="utf-8")
            written.append(rows)
    return written


def compare(before: Path, after: Path) -> bool:
    """True when every output file of ``before`` is in ``after``, byte for byte, and none is added."""
    names = sorted({path.name for path in (*before.iterdir(), *after.iterdir())} - {"library.txt"})
    different = [name for name in names
                 if not (before / name).is_file() or not (after / name).is_file()
                 or (before / name).read_bytes() != (after / name).read_bytes()]
    for name in names:
        print(f"{'DIFFERENT' if name in different else 'same     '}  {name}")
    return not different


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?", type=Path, help="the folder to write the outputs into")
    parser.add_argument("--rows", type=int, default=ROWS, help=f"rows of each file (default {ROWS:,})")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"),
                        help="compare two folders written before, byte for byte")
    options = parser.parse_args()
    if options.compare:
        raise SystemExit(0 if compare(*options.compare) else 1)
    if options.out is None:
        parser.error("give the folder to write into, or --compare A B")
    for path in write_outputs(options.out, options.rows):
        print(path)


if __name__ == "__main__":
    main()
