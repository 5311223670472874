"""The cost of ``isolate=True``: ``python benchmarks/isolation.py [--runs N]``.

Measures, the two sides run alternately and the median of each kept (wall time):

- a two-row CSV read with and without isolation: the cost of starting the
  child (a new interpreter importing the readers);
- the benchmark's 100k-row, 19-column CSV and XLSX (``bench-data/``, made by
  ``benchmarks/run.py`` when missing): ``read_table`` with every row
  iterated, and ``import_file`` dry runs, with and without isolation. The
  difference is the start plus the transfer: the child encodes the table as
  JSON, the caller decodes and checks it.

Prints a Markdown table (for docs/security.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import cpu_model, data_file

import upflow_import as ui

TINY = b"Nom du client;Ville\nAcme;Paris\nGlobex;Lyon\n"


def side_by_side(bare: Callable[[], object], isolated: Callable[[], object],
                 runs: int) -> tuple[float, float]:
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for index, call in enumerate((bare, isolated)):
            started = time.perf_counter()
            call()
            times[index].append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])


def read_all(source: object, isolate: bool) -> int:
    return sum(1 for _ in ui.read_table(source, isolate=isolate).rows)  # type: ignore[arg-type]


def dry_run(path: Path, isolate: bool) -> ui.ImportReport:
    return ui.import_file(path, ui.InMemoryRepository(), dry_run=True, isolate=isolate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = []
    bare, isolated = side_by_side(lambda: read_all(TINY, False), lambda: read_all(TINY, True), args.runs * 3)
    rows.append(("read_table, 2-row CSV (start of the child)", bare, isolated))
    for suffix in (".csv", ".xlsx"):
        path = data_file(100_000, suffix[1:])
        bare, isolated = side_by_side(partial(read_all, path, False), partial(read_all, path, True),
                                      args.runs)
        rows.append((f"read_table + rows, 100k-row {suffix[1:].upper()}", bare, isolated))
        bare, isolated = side_by_side(partial(dry_run, path, False), partial(dry_run, path, True), args.runs)
        rows.append((f"import_file dry run, 100k-row {suffix[1:].upper()}", bare, isolated))
    print(f"Measured on {cpu_model()} ({os.cpu_count()} CPUs), Python {platform.python_version()}, "
          f"median of {args.runs} alternating runs ({args.runs * 3} for the 2-row file).")
    print()
    print("| measurement | without | isolate=True | overhead |")
    print("|---|---|---|---|")
    for name, bare, isolated in rows:
        print(f"| {name} | {bare:.3f} s | {isolated:.3f} s | +{isolated - bare:.3f} s "
              f"({(isolated / bare - 1) * 100:.0f} %) |")


if __name__ == "__main__":
    main()
