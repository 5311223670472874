"""The PostgreSQL apply benchmark: ``python benchmarks/postgres.py`` (``nox -s bench`` runs it).

It starts a throwaway PostgreSQL server (tests/postgres_server.py: initdb in a
temporary folder, loopback only, durability off as for the tests), plans the
benchmark's 100k-row CSV file (benchmarks/run.py's file: 50k clients, 100k
contacts) against an empty store, and then measures ``apply`` of that plan
into a new empty database, side by side in one run, alternately:

- one call per write (the repository's bulk methods hidden), each write in its
  own savepoint inside the import's transaction, as ``apply`` requires;
- bulk writes (one ``unnest`` statement per batch of 1000).

It also times a whole ``import_file`` of the file into an empty store (bulk).
The table is printed and, unless ``--no-write``, written to
docs/performance.md between the ``bench-postgres`` markers.
Options: ``--rows N`` (default 100,000), ``--runs N`` (default 3).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "tests")]

from run import MANAGERS, PLANS, OneByOne, cpu_model, data_file  # noqa: E402

from postgres_server import throwaway_server  # noqa: E402
from upflow_import import Plan, apply, auto_map, import_file, parse, plan, read_table  # noqa: E402
from upflow_import.postgres import PostgresRepository, create_schema  # noqa: E402

PAGE = ROOT / "docs" / "performance.md"
START, END = "<!-- bench-postgres:start -->", "<!-- bench-postgres:end -->"
#: The targets of the issue that asked for this store.
BULK_RATE, BULK_SPEEDUP = 20_000, 10


@contextmanager
def empty_store(server: str, template: str) -> Iterator[PostgresRepository]:
    name = f"bench_{uuid.uuid4().hex}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        with psycopg.connect(make_conninfo(server, dbname=name), autocommit=True) as connection:
            yield PostgresRepository(connection)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_template(server: str) -> str:
    """A database with the schema and the reference data, copied for each measurement."""
    name = "bench_template"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(make_conninfo(server, dbname=name), autocommit=True) as connection:
        create_schema(connection)
        repository = PostgresRepository(connection)
        repository.add_account_managers(MANAGERS)
        repository.add_dunning_plans(PLANS)
    return name


class Counted:
    """A repository whose write calls are counted, by method."""

    def __init__(self, repository: object, calls: Counter[str]) -> None:
        self._repository = repository
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._repository, name)
        if not name.startswith(("create_", "update_")):
            return attribute

        def call(*arguments: Any) -> Any:
            self._calls[name] += 1
            return attribute(*arguments)

        return call


def without_groups(path: Path) -> Path:
    """The same file with its group columns blanked: no client needs another of the file, so
    ``apply`` hands the store full batches of clients (it splits a batch before a subsidiary
    whose parent is in it)."""
    flat = path.with_name(path.stem + "-without-groups.csv")
    if not flat.exists():
        with path.open(newline="", encoding="utf-8") as source, flat.open("w", newline="",
                                                                           encoding="utf-8") as target:
            reader, writer = csv.reader(source, delimiter=";"), csv.writer(target, delimiter=";")
            headers = next(reader)
            groups = [index for index, header in enumerate(headers) if "groupe" in header.lower()]
            writer.writerow(headers)
            writer.writerows([("" if index in groups else cell) for index, cell in enumerate(row)]
                             for row in reader)
    return flat


def planned_writes(server: str, template: str, path: Path) -> Plan:
    table = read_table(path)
    parsed = parse(table, auto_map(table))
    with empty_store(server, template) as store:
        return plan(parsed, store)


def timed_apply(server: str, template: str, planned: Plan, bulk: bool, calls: Counter[str]) -> float:
    with empty_store(server, template) as store:
        repository: Any = Counted(store if bulk else OneByOne(store), calls)
        start = time.perf_counter()
        result = apply(planned, repository)
        elapsed = time.perf_counter() - start
        if not result.ok or store.count()["clients"] == 0:
            raise SystemExit(f"the apply failed: {result.issues[:3]}")
    print(f"  apply, {'bulk' if bulk else 'one call per write'}: {elapsed:.2f} s", flush=True)
    return elapsed


def calls_text(calls: Counter[str], runs: int) -> str:
    return ", ".join(f"{count // runs:,} {name}" for name, count in sorted(calls.items()))


def measure(server: str, rows: int, runs: int) -> list[tuple[str, str]]:
    template = make_template(server)
    path = data_file(rows, "csv")
    planned = planned_writes(server, template, path)
    operations = len(planned.operations)
    print(f"{rows:,} rows: {operations:,} writes into an empty store", flush=True)

    def applying(bulk: bool) -> Callable[[], float]:
        return lambda: timed_apply(server, template, planned, bulk, calls[bulk])

    times: dict[bool, list[float]] = {False: [], True: []}
    calls: dict[bool, Counter[str]] = {False: Counter(), True: Counter()}
    for _ in range(runs):
        for bulk in (False, True):  # alternately, so that a busy moment hits both alike
            times[bulk].append(applying(bulk)())
    one, bulk_time = statistics.median(times[False]), statistics.median(times[True])

    print("the same file without its groups, bulk writes:", flush=True)
    flat_plan = planned_writes(server, template, without_groups(path))
    flat_calls: Counter[str] = Counter()
    flat_time = statistics.median(
        timed_apply(server, template, flat_plan, True, flat_calls) for _ in range(runs))

    whole: list[float] = []
    for _ in range(runs):
        with empty_store(server, template) as store:
            start = time.perf_counter()
            report = import_file(path, store)
            whole.append(time.perf_counter() - start)
            if report.summary.clients.create == 0:
                raise SystemExit("the import wrote nothing")
    whole_time = statistics.median(whole)

    rate, speedup = rows / bulk_time, one / bulk_time
    return [
        ("`apply`, one call per write", f"{one:.2f} s ({rows / one:,.0f} rows/s, "
                                        f"{operations / one:,.0f} writes/s)"),
        ("`apply`, bulk writes", f"{bulk_time:.2f} s ({rate:,.0f} rows/s, "
                                 f"{operations / bulk_time:,.0f} writes/s)"),
        ("bulk ÷ one call per write", f"{speedup:.1f}× as fast (target ≥ {BULK_SPEEDUP}×: "
                                      f"{'met' if speedup >= BULK_SPEEDUP else 'missed'})"),
        ("bulk rows/s", f"{rate:,.0f} (target ≥ {BULK_RATE:,}: {'met' if rate >= BULK_RATE else 'missed'})"),
        ("repository write calls, bulk", calls_text(calls[True], runs)),
        ("`apply`, bulk writes, the file without its groups (full batches)",
         f"{flat_time:.2f} s ({rows / flat_time:,.0f} rows/s; {calls_text(flat_calls, runs)})"),
        ("whole `import_file` (read, parse, plan, bulk apply)",
         f"{whole_time:.2f} s ({rows / whole_time:,.0f} rows/s)"),
    ]


def markdown(results: list[tuple[str, str]], rows: int, runs: int) -> str:
    return "\n".join([
        START,
        f"PostgreSQL {server_version()} (throwaway server on loopback, durability off), psycopg "
        f"{psycopg.__version__}; measured on {cpu_model()} ({os.cpu_count()} CPUs), Python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}; {rows:,} rows into an empty store, "
        f"median of {runs} alternating runs (`benchmarks/postgres.py`).",
        "",
        "| PostgreSQL measurement | Result |",
        "|---|---|",
        *(f"| {what} | {result} |" for what, result in results),
        END,
    ]) + "\n"


_VERSION: list[str] = []


def server_version() -> str:
    return _VERSION[0] if _VERSION else "?"


def write_page(text: str) -> None:
    page = PAGE.read_text(encoding="utf-8")
    if START in page and END in page:
        before, rest = page.split(START, 1)
        page = before + text.rstrip("\n") + rest.split(END, 1)[1]
    else:
        page = page.rstrip("\n") + "\n\n## PostgreSQL\n\n" + text
    PAGE.write_text(page, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the file (default 100,000)")
    parser.add_argument("--runs", type=int, default=3, help="alternating runs of each side (default 3)")
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs/performance.md")
    options = parser.parse_args()
    with throwaway_server() as server:
        with psycopg.connect(server.dsn) as connection:
            _VERSION.append(str(connection.execute("SHOW server_version").fetchone()[0]).split()[0])
        results = measure(server.dsn, options.rows, options.runs)
    text = markdown(results, options.rows, options.runs)
    print()
    print(text)
    if not options.no_write:
        write_page(text)
        print(f"written to {PAGE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
