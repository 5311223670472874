"""Is the event loop ever blocked by an import? (``nox -s bench`` runs it after ``run.py``.)

Twenty small files (CSV and XLSX, written with the ``csv`` module and
XlsxWriter, ``ROWS`` rows of clients with a contact each) are imported at the
same time on one event loop with :func:`upflow_import.aio.import_file`, each
into its own :class:`~upflow_import.aio.AsyncInMemoryRepository`, workbooks
isolated in the capped child as by default. Beside them a heartbeat task
sleeps ``TICK`` seconds again and again and records how late it wakes up: the
longest lateness is the longest time the loop was held by something else.
The target is that it never exceeds 50 ms.

The same imports are then measured once more after ``gc.freeze()``, as a
service may call once it has started: the collector's full passes hold every
thread, the loop's included, and no longer walk what was loaded at start-up.

For scale, the same heartbeat is run beside the synchronous
:func:`upflow_import.import_file` called on the loop (what a service must not
do): there the loop is held for each whole import.

The gap also holds what the machine does to any loop (other processes on
its cores): the same heartbeat alone, for as long, is measured alternately
with the imports and shown beside them; and the longest single step of the
loop (one callback, in CPU time of the loop's thread) shows the loop's own
work apart from any waiting.

Options: ``--files N`` (20), ``--rows N`` (200), ``--runs N`` (5: the worst
run's gap is reported, with the median of the runs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import gc
import io
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import NamedTuple

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


class LoopSteps:
    """The longest single step of the event loop (one callback or task step), in CPU time of the
    loop's thread: the loop's own work, without the time the machine or another thread holding
    the interpreter kept it waiting, which the heartbeat's gap includes."""

    def __init__(self) -> None:
        self.longest = 0.0

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        original = asyncio.events.Handle._run

        def timed(handle: asyncio.events.Handle) -> None:
            started = time.thread_time()
            try:
                original(handle)
            finally:
                self.longest = max(self.longest, time.thread_time() - started)

        asyncio.events.Handle._run = timed  # type: ignore[method-assign]
        try:
            yield
        finally:
            asyncio.events.Handle._run = original  # type: ignore[method-assign]


class Measure(NamedTuple):
    #: The heartbeat's longest lateness: how long the loop could not run it, in ms.
    gap_ms: float
    #: The loop's longest step in CPU time, in ms.
    step_ms: float
    wall_s: float


async def _with_heartbeat(work: Callable[[], Awaitable[object]]) -> Measure:
    """Run ``work()`` beside a heartbeat."""
    running = True
    longest = 0.0

    async def heartbeat() -> None:
        nonlocal longest
        while running:
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            longest = max(longest, time.perf_counter() - before - TICK)

    steps = LoopSteps()
    beating = asyncio.create_task(heartbeat())
    await asyncio.sleep(TICK)  # the heartbeat is running before the work starts
    started = time.perf_counter()
    with steps.watching():
        await work()
    wall = time.perf_counter() - started
    running = False
    await beating
    return Measure(longest * 1000, steps.longest * 1000, wall)


async def idle(seconds: float) -> Measure:
    """The heartbeat alone: what the machine itself does to a loop that has nothing else to do."""
    return await _with_heartbeat(lambda: asyncio.sleep(seconds))


async def concurrent_imports(files: list[bytes]) -> Measure:
    async def work() -> None:
        reports = await asyncio.gather(*(aio.import_file(data, aio.AsyncInMemoryRepository())
                                         for data in files))
        if not all(report.ok for report in reports):
            raise RuntimeError("a benchmark file did not import cleanly")
    return await _with_heartbeat(work)


async def blocking_imports(files: list[bytes]) -> Measure:
    async def work() -> None:
        for data in files:
            import_file(data, aio.AsyncInMemoryRepository().sync)
    return await _with_heartbeat(work)


def measure(files: int, rows: int, runs: int) -> list[tuple[str, str, str]]:
    data = small_files(files, rows)
    asyncio.run(concurrent_imports(data[:2]))  # warm up: imports, and the isolated reader's worker
    ours, baseline = [], []
    for _ in range(runs):  # alternately, so that both see the same machine
        ours.append(asyncio.run(concurrent_imports(data)))
        baseline.append(asyncio.run(idle(ours[-1].wall_s)))
    # A service may freeze what it loaded at start-up (gc.freeze()), so that the collector's
    # full passes, which hold every thread, no longer walk it: the same imports after that.
    gc.freeze()
    try:
        frozen = [asyncio.run(concurrent_imports(data)) for _ in range(runs)]
    finally:
        gc.unfreeze()
    blocked = asyncio.run(blocking_imports(data))
    gaps = [m.gap_ms for m in ours]
    kinds = f"{files} files of {rows} rows, half CSV, half XLSX"
    worst = max(gaps)
    return [
        (f"aio.import_file, {kinds}, concurrently: longest loop gap (worst of {runs} runs; median)",
         f"{worst:.1f} ms ({statistics.median(gaps):.1f} ms)",
         f"≤ {TARGET_MS:.0f} ms: {'met' if worst <= TARGET_MS else 'missed'}"),
        ("  the same heartbeat on an idle loop, same duration (worst; median)",
         f"{max(m.gap_ms for m in baseline):.1f} ms ({statistics.median(m.gap_ms for m in baseline):.1f} ms)",
         "the machine's own share of the gap"),
        ("  longest single step of the loop, CPU time (worst)", f"{max(m.step_ms for m in ours):.1f} ms",
         "the loop's own work"),
        ("  the same after gc.freeze() at start-up, as a service may do (worst; median)",
         f"{max(m.gap_ms for m in frozen):.1f} ms ({statistics.median(m.gap_ms for m in frozen):.1f} ms)",
         f"longest loop step {max(m.step_ms for m in frozen):.1f} ms"),
        ("  wall time of the imports (median)",
         f"{statistics.median(m.wall_s for m in ours) * 1000:.0f} ms", ""),
        ("synchronous import_file on the loop, one after the other: longest loop gap",
         f"{blocked.gap_ms:.1f} ms", f"wall {blocked.wall_s * 1000:.0f} ms"),
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
