"""Is the event loop ever blocked by an import? (``nox -s bench`` runs it after ``run.py``.)

Twenty small files (CSV and XLSX, written with the ``csv`` module and
XlsxWriter, ``ROWS`` rows of clients with a contact each) are imported at the
same time on one event loop with :func:`upflow_import.aio.import_file`, each
into its own :class:`~upflow_import.aio.AsyncInMemoryRepository`, workbooks
isolated in the capped child as by default. Beside them a heartbeat task
sleeps ``TICK`` seconds again and again and records how late it wakes up: the
longest lateness is the longest time the loop was held by something else.
The target is that it never exceeds 50 ms.

For scale, the same heartbeat is run beside the synchronous
:func:`upflow_import.import_file` called on the loop (what a service must not
do): there the loop is held for each whole import.

Options: ``--files N`` (20), ``--rows N`` (200), ``--runs N`` (5: the worst
run's gap is reported, with the median of the runs).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import statistics
import time
from collections.abc import Awaitable, Callable

from upflow_import import aio, import_file

#: The heartbeat's sleep: short, so that the gap it measures is the loop's, not its own.
TICK = 0.001
TARGET_MS = 50.0
HEADERS = ["Code client", "Nom du client", "Ville", "Pays", "Délai de paiement", "Email", "Prénom",
           "Téléphone"]


def _rows(count: int, file: int) -> list[list[object]]:
    return [[f"F{file}-C{index:05}", f"Client {file}-{index}", "Lyon", "France", 30,
             f"compta{index}@client{file}.example.fr", "Inès", "+33 4 72 00 00 00"]
            for index in range(count)]


def csv_file(count: int, file: int) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";")
    writer.writerow(HEADERS)
    writer.writerows(_rows(count, file))
    return text.getvalue().encode("utf-8")


def xlsx_file(count: int, file: int) -> bytes:
    import xlsxwriter

    data = io.BytesIO()
    workbook = xlsxwriter.Workbook(data, {"in_memory": True})
    sheet = workbook.add_worksheet("Clients")
    sheet.write_row(0, 0, HEADERS)
    for index, row in enumerate(_rows(count, file), start=1):
        sheet.write_row(index, 0, row)
    workbook.close()
    return data.getvalue()


def small_files(files: int, rows: int) -> list[bytes]:
    """Half CSV, half XLSX."""
    return [csv_file(rows, n) if n % 2 == 0 else xlsx_file(rows, n) for n in range(files)]


async def _with_heartbeat(work: Callable[[], Awaitable[object]]) -> tuple[float, float, int]:
    """Run ``work()`` beside a heartbeat; (longest gap in ms, wall time in s, heartbeats)."""
    running = True
    longest = 0.0
    beats = 0

    async def heartbeat() -> None:
        nonlocal longest, beats
        while running:
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            longest = max(longest, time.perf_counter() - before - TICK)
            beats += 1

    beating = asyncio.create_task(heartbeat())
    await asyncio.sleep(TICK)  # the heartbeat is running before the work starts
    started = time.perf_counter()
    await work()
    wall = time.perf_counter() - started
    running = False
    await beating
    return longest * 1000, wall, beats


async def concurrent_imports(files: list[bytes]) -> tuple[float, float, int]:
    async def work() -> None:
        reports = await asyncio.gather(*(aio.import_file(data, aio.AsyncInMemoryRepository())
                                         for data in files))
        if not all(report.ok for report in reports):
            raise RuntimeError("a benchmark file did not import cleanly")
    return await _with_heartbeat(work)


async def blocking_imports(files: list[bytes]) -> tuple[float, float, int]:
    async def work() -> None:
        for data in files:
            import_file(data, aio.AsyncInMemoryRepository().sync)
    return await _with_heartbeat(work)


def measure(files: int, rows: int, runs: int) -> list[tuple[str, str, str]]:
    data = small_files(files, rows)
    asyncio.run(concurrent_imports(data[:2]))  # warm up: imports, and the isolated reader's worker
    gaps, walls = [], []
    for _ in range(runs):
        gap, wall, _beats = asyncio.run(concurrent_imports(data))
        gaps.append(gap)
        walls.append(wall)
    blocked, blocked_wall, _ = asyncio.run(blocking_imports(data))
    kinds = f"{files} files of {rows} rows, half CSV, half XLSX"
    return [
        (f"aio.import_file, {kinds}, concurrently: longest loop gap (worst of {runs} runs; median)",
         f"{max(gaps):.1f} ms ({statistics.median(gaps):.1f} ms)",
         f"≤ {TARGET_MS:.0f} ms: {'met' if max(gaps) <= TARGET_MS else 'MISSED'}"),
        ("  wall time of the 20 imports (median)", f"{statistics.median(walls) * 1000:.0f} ms", ""),
        ("synchronous import_file on the loop, one after the other: longest loop gap",
         f"{blocked:.1f} ms", f"wall {blocked_wall * 1000:.0f} ms"),
    ]


def markdown(table: list[tuple[str, str, str]]) -> str:
    lines = ["| async measure | value | note |", "|---|---|---|"]
    lines += [f"| {measure} | {value} | {note} |" for measure, value, note in table]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    """Measure, print the table, and return it as Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args(argv)
    text = markdown(measure(options.files, options.rows, options.runs))
    print(text)
    return text


if __name__ == "__main__":
    main()
