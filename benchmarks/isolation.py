"""The cost of isolation: ``python benchmarks/isolation.py [--runs N] [--csv]``.

Measures, the two sides run alternately and the median of each kept (wall time):

- a 10-row XLSX read with the default settings (isolated) and with
  ``isolate=False``, after a first read that starts the worker: what each
  workbook costs a service once the worker runs (a fork, the read in the
  child, the answer sent back);
- a 2-row CSV read with ``isolate=True`` and without;
- the benchmark's 100k-row, 19-column XLSX (``bench-data/``, made by
  ``benchmarks/run.py`` when missing): ``import_file`` dry runs with the
  default settings (isolated) and with ``isolate=False``; the difference is the
  transfer of the table (the child encodes it, the caller splits it);
- with ``--csv``, the 100k-row CSV read with every row iterated, with
  ``isolate=True`` and without.

Prints a Markdown table (for docs/security.md).
"""

from __future__ import annotations

import argparse
import io
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


def small_xlsx() -> bytes:
    import xlsxwriter  # a development dependency

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Clients")
    sheet.write_row(0, 0, ["Nom du client", "Email du contact", "Ville"])
    for row in range(1, 11):
        sheet.write_row(row, 0, [f"Client {row}", f"contact{row}@example.com", "Paris"])
    workbook.close()
    return buffer.getvalue()


def side_by_side(bare: Callable[[], object], isolated: Callable[[], object],
                 runs: int) -> tuple[float, float]:
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for index, call in enumerate((bare, isolated)):
            started = time.perf_counter()
            call()
            times[index].append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])


def read_all(source: object, isolate: bool | None) -> int:
    return sum(1 for _ in ui.read_table(source, isolate=isolate).rows)  # type: ignore[arg-type]


def dry_run(path: Path, isolate: bool | None) -> ui.ImportReport:
    return ui.import_file(path, ui.InMemoryRepository(), dry_run=True, isolate=isolate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each 100k-row measurement")
    parser.add_argument("--small-runs", type=int, default=50, help="runs of each small-file measurement")
    parser.add_argument("--csv", action="store_true", help="also the 100k-row CSV read")
    args = parser.parse_args()
    workbook = small_xlsx()
    started = time.perf_counter()
    read_all(workbook, None)
    first = time.perf_counter() - started
    rows = [("`read_table`, 10-row XLSX, the first (starts the worker)", None, first)]
    bare, isolated = side_by_side(partial(read_all, workbook, False), partial(read_all, workbook, None),
                                  args.small_runs)
    rows.append(("`read_table`, 10-row XLSX, each after the first", bare, isolated))
    bare, isolated = side_by_side(partial(read_all, TINY, False), partial(read_all, TINY, True),
                                  args.small_runs)
    rows.append(("`read_table`, 2-row CSV, `isolate=True`", bare, isolated))
    path = data_file(100_000, "xlsx")
    bare, isolated = side_by_side(partial(dry_run, path, False), partial(dry_run, path, None), args.runs)
    rows.append(("`import_file` dry run, 100k-row XLSX", bare, isolated))
    if args.csv:
        path = data_file(100_000, "csv")
        bare, isolated = side_by_side(partial(read_all, path, False), partial(read_all, path, True),
                                      args.runs)
        rows.append(("`read_table` + rows, 100k-row CSV, `isolate=True`", bare, isolated))
    print(f"Measured on {cpu_model()} ({os.cpu_count()} CPUs), Python {platform.python_version()}; "
          f"median of {args.small_runs} alternating runs for the small files, {args.runs} for the "
          f"100k-row ones.")
    print()
    print("| measurement | `isolate=False` | isolated | overhead |")
    print("|---|---|---|---|")
    for name, bare_time, isolated_time in rows:
        if bare_time is None:
            print(f"| {name} | | {isolated_time:.3f} s | |")
            continue
        extra = isolated_time - bare_time
        print(f"| {name} | {bare_time:.3f} s | {isolated_time:.3f} s | {extra * 1000:+.0f} ms "
              f"({(isolated_time / bare_time - 1) * 100:+.0f} %) |")


if __name__ == "__main__":
    main()
