"""The performance benchmark: ``nox -s bench`` (or ``python benchmarks/run.py``).

It generates, with real writers (the ``csv`` module and XlsxWriter), a
19-column client/contact file: two contacts per client, every tenth client a
subsidiary of another, half of the clients (and their contacts) already in the
repository, some of them with values the file changes, and a few mistakes (a
phone number that is not one, an email without a domain). Beside it, a
*short-cell* file of the same rows and columns whose values are one to six
characters long (the email a few more), where the bare read is fastest. The
files are cached in ``bench-data/`` (ignored by git): 100k rows as CSV (``;``,
UTF-8) and XLSX, the short-cell CSV, and 1M rows as CSV.

Then it measures, side by side in one process, the two sides of each pair run
alternately and the median of each kept:

- ``csv.DictReader`` merely iterating the CSV, against
  ``import_file(..., dry_run=True)`` on it with a pre-filled ``InMemoryRepository``
  (target ≤ 4×), and the same on the short-cell file (≤ 8×);
- python-calamine merely loading the XLSX sheet, against the same dry run on the XLSX
  with the default settings (the workbook read in an isolated child process; ≤ 2×);

and, once each:

- peak memory of ``list(csv.DictReader(...))`` against the dry run, on both CSV
  files (≤ 1 KiB/row above the former): each side in a fresh child process that
  first fills the same repository and reports, at its end, its own high-water
  mark (``VmHWM`` of ``/proc/self/status``; a child's ``ru_maxrss`` would keep
  the peak of the process that started it, which ``exec`` does not reset);
- repository lookup calls per 1000 rows (as the plan counts them);
- ``SqliteRepository``: a real import of the 100k-row file into an empty store
  (≥ 30,000 rows/s), then the same file again (everything unchanged), once with
  the store's bulk writes hidden (one record per call) and once with them, run
  alternately (the median of each kept); then ``apply`` alone of that file's
  plan into empty stores, one by one against bulk writes, likewise;
- the 1M-row CSV dry run (time and peak memory, ≤ 2 GiB, in a child process),
  next to ``csv.DictReader`` iterating it (both children fill the same in-memory
  repository first, which is most of the bare side's peak), and the same dry run
  into an empty store, whose peak is the import's own.

``nox -s bench`` then runs ``postgres.py`` and ``async_loop.py`` beside this file, which
write their own sections of the page.

It prints the table and writes it, with the CPU model and Python version, to
``docs/performance.md`` (between the ``bench:start`` / ``bench:end`` markers,
so the page's hand-written analysis is kept).

Options: ``--quick`` (20k rows instead of 100k, three runs; prints only), ``--skip-1m``,
``--runs N``, ``--no-write`` (print only), ``--only-sqlite`` (only the SQLite
measurements, printed).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from upflow_import import (
    ImportReport,
    InMemoryRepository,
    SqliteRepository,
    apply,
    auto_map,
    import_file,
    parse,
    plan,
    read_table,
)
from upflow_import.repository import BULK_METHODS

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"
PAGE = ROOT / "docs" / "performance.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
# Bump when the generated data changes, so that cached files are rebuilt.
DATA_VERSION = 3
#: Which file: the usual one, or the one whose cells are one to six characters long.
Kind = Literal["clients", "short"]
#: One line of the table: measurement, bare reader, upflow_import, ratio, target and verdict.
TableRow = tuple[str, str, str, str, str]

HEADERS = ["Identifiant Client", "Nom du client", "Code comptable du client", "Numéro de TVA", "Adresse",
           "Code postal", "Ville", "Pays", "Email du Responsable de Compte", "Nom du plan de relance",
           "Délai de paiement par défaut", "Nom du groupe", "Identifiant du groupe", "Email du contact",
           "Prénom du contact", "Nom du contact", "Téléphone du contact", "Poste du contact",
           "Contact principal"]
PLACES = [(75001, "Paris", "France"), (69002, "Lyon", "France"), (13001, "Marseille", "France"),
          (59000, "Lille", "France"), (33000, "Bordeaux", "France"), (44000, "Nantes", "France"),
          (31000, "Toulouse", "FR"), (67000, "Strasbourg", "France"), (1000, "Bruxelles", "Belgique"),
          (6000, "Nice", "France")]
MANAGERS = [f"{name}@upflow-demo.fr" for name in ("alice", "bruno", "chloe", "david", "emma")]
PLANS = ["Plan standard", "Plan grands comptes", "Plan PME"]
FIRST = ["Jean", "Marie", "Pierre", "Sophie", "Luc", "Camille", "Hugo", "Léa", "Paul", "Chloé", "Louis",
         "Manon", "Jules", "Inès", "Arthur", "Zoé", "Nathan", "Emma", "Théo", "Alice"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
        "Moreau", "Simon", "Laurent", "Lefèbvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent",
        "Fournier"]
PHONE_PREFIXES = ["42", "44", "45", "53", "61", "63", "64", "70", "72", "74", "75", "76", "77", "78"]
POSITIONS = ["Comptable", "Commercial", "Acheteur", "Payeur"]


# -- the data ---------------------------------------------------------------------------------------

def _vat(client: int) -> str:
    """A French VAT number with valid check digits (SIREN Luhn digit, then the VAT key)."""
    base = f"{(30_000_000 + client * 37) % 100_000_000:08d}"
    total = 0
    for position, digit in enumerate(reversed(base + "0")):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    siren = base + str((10 - total % 10) % 10)
    return f"FR {(12 + 3 * (int(siren) % 97)) % 97:02d} {siren[:3]} {siren[3:6]} {siren[6:]}"


def _row(index: int, *, typed: bool) -> list[object]:
    """Data row ``index`` (0-based): client ``index // 2``, its contact ``index % 2``.

    ``typed``: numbers as numbers (XLSX), else as the text a CSV export holds.
    """
    client, second = divmod(index, 2)
    postal, city, country = PLACES[client % len(PLACES)]
    parent = client - 5 if client % 10 == 5 else None
    # Distinct valid French numbers, written national or international.
    lead, prefix = "1674"[index % 4], PHONE_PREFIXES[index % len(PHONE_PREFIXES)]
    digits = f"{index * 7919 % 1_000_000:06d}"
    national = index % 3 and country != "Belgique"
    phone = f"{'0' if national else '+33 '}{lead} {prefix} {digits[:2]} {digits[2:4]} {digits[4:]}"
    email = f"contact{second + 1}.{client}@societe{client}.fr"
    if client % 2:  # a few mistakes, on clients not yet in the repository
        if index % 997 == 1:
            phone = "n/a"  # a warning
        if index % 1009 == 1:
            email = email.replace(".fr", "")  # an error: this contact is dropped
    person = index * 7
    return [
        f"C{client:07d}", f"Société {client} SARL", f"411{client:07d}", _vat(client),
        f"{client % 300 + 1} rue de la République",
        (postal if typed else f"{postal:05d}" if country != "Belgique" else str(postal)),
        city, country, MANAGERS[client % len(MANAGERS)], PLANS[client % len(PLANS)],
        (30, 45, 60)[client % 3] if typed else str((30, 45, 60)[client % 3]),
        "" if parent is None else f"Société {parent} SARL", "" if parent is None else f"C{parent:07d}",
        email, FIRST[person % len(FIRST)],
        LAST[person // len(FIRST) % len(LAST)], phone, POSITIONS[(client + second) % len(POSITIONS)],
        (1 if second == 0 else 0) if typed else ("1" if second == 0 else "0"),
    ]


def _stored_row(index: int) -> list[object] | None:
    """The row as the repository already holds it, for the clients already there (every even
    client); a quarter of them have a city, and an eighth a contact phone, that the file changes."""
    client = index // 2
    if client % 2:
        return None
    row = _row(index, typed=False)
    if client % 4 == 2:
        row[6] = "Ancienne ville"
    if client % 8 == 0 and index % 2:
        row[16] = "+33 9 00 00 00 00"
    return row


SHORT_MANAGERS = [f"{name}@u.fr" for name in "abcde"]
SHORT_PLANS = ["P1", "P2", "P3"]
SHORT_CITIES = [("75001", "Paris", "FR"), ("69002", "Lyon", "FR"), ("06000", "Nice", "FR"),
                ("59000", "Lille", "France"), ("29200", "Brest", "France")]


def _short_row(index: int) -> list[str]:
    """Short-cell data row ``index``: the same shape as :func:`_row` (client ``index // 2``, its
    contact ``index % 2``, a subsidiary every tenth client), every value one to six characters
    long but the contact's email (a few more: it must be unique) and the cells left empty."""
    client, second = divmod(index, 2)
    postal, city, country = SHORT_CITIES[client % len(SHORT_CITIES)]
    parent = client - 5 if client % 10 == 5 else None
    return [
        f"C{client:x}", f"N{client:x}", f"4{client % 99_999}", "", f"{client % 99 + 1} r",
        postal, city, country, SHORT_MANAGERS[client % len(SHORT_MANAGERS)],
        SHORT_PLANS[client % len(SHORT_PLANS)], ("30", "45", "60")[client % 3],
        "" if parent is None else f"N{parent:x}", "" if parent is None else f"C{parent:x}",
        f"{client:x}.{second}@x.fr", FIRST[index % len(FIRST)][:6], LAST[index % len(LAST)][:6], "",
        "Payeur" if second else "", "1" if second == 0 else "0",
    ]


def _short_stored_row(index: int) -> list[str] | None:
    """The short-cell row as the repository holds it (every even client), a quarter of them with
    a city the file changes."""
    client = index // 2
    if client % 2:
        return None
    row = _short_row(index)
    if client % 4 == 2:
        row[6] = "Metz"
    return row


def _rows(kind: Kind, count: int) -> Any:
    return (_row(index, typed=False) if kind == "clients" else _short_row(index) for index in range(count))


def write_csv(path: Path, count: int, kind: Kind = "clients") -> None:
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow(HEADERS)
        writer.writerows(_rows(kind, count))
    temporary.replace(path)


def write_xlsx(path: Path, count: int) -> None:
    import xlsxwriter

    temporary = path.with_suffix(".tmp")
    workbook = xlsxwriter.Workbook(str(temporary), {"constant_memory": True})
    sheet = workbook.add_worksheet("Clients")
    sheet.write_row(0, 0, HEADERS)
    for index in range(count):
        sheet.write_row(index + 1, 0, _row(index, typed=True))
    workbook.close()
    temporary.replace(path)


def data_file(count: int, suffix: str, kind: Kind = "clients") -> Path:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"{kind}-v{DATA_VERSION}-{count}.{suffix}"
    if not path.exists():
        print(f"writing {path.name}…", flush=True)
        if suffix == "csv":
            write_csv(path, count, kind)
        elif kind == "clients":
            write_xlsx(path, count)
        else:
            raise ValueError(f"no {suffix} file of {kind} rows")
    return path


def filled_repository(count: int, kind: Kind = "clients") -> InMemoryRepository:
    """An InMemoryRepository holding half of the file's clients and their contacts, with the
    account managers and dunning plans registered (filled by the library itself)."""
    short = kind == "short"
    repository = InMemoryRepository(account_managers=SHORT_MANAGERS if short else MANAGERS,
                                    dunning_plans=SHORT_PLANS if short else PLANS)
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=";")
    writer.writerow(HEADERS)
    stored = _short_stored_row if short else _stored_row
    writer.writerows(row for row in map(stored, range(count)) if row is not None)
    report = import_file(text.getvalue().encode(), repository)
    if not report.ok:
        raise SystemExit(f"the repository could not be filled: {report.issues[:3]}")
    return repository


# -- measuring --------------------------------------------------------------------------------------

def side_by_side(bare: Callable[[], object], ours: Callable[[], object], runs: int) -> tuple[float, float]:
    """The median time of each, the two run alternately so that a busy moment hits both alike."""
    bare_times: list[float] = []
    our_times: list[float] = []
    for _ in range(runs):
        for run, times in ((bare, bare_times), (ours, our_times)):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
    return statistics.median(bare_times), statistics.median(our_times)


def iterate_dictreader(path: Path) -> int:
    count = 0
    with path.open(newline="", encoding="utf-8") as file:
        for _ in csv.DictReader(file, delimiter=";"):
            count += 1
    return count


def load_calamine(path: Path) -> object:
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def in_child(kind: str, path: Path, count: int, data: Kind = "clients") -> tuple[float, int]:
    """Run one measurement in a fresh interpreter: (seconds it reports, its peak RSS in bytes).

    The child reports its own high-water mark (``VmHWM``): ``exec`` starts a new address space,
    whose peak is the child's alone (``ru_maxrss`` would not be: it survives ``exec``).
    """
    output = subprocess.run([sys.executable, __file__, "--child", kind, str(path), str(count), data],
                            check=True, stdout=subprocess.PIPE, text=True).stdout
    seconds, peak = output.strip().splitlines()[-1].split()
    return float(seconds), int(peak)


def peak_memory() -> int:
    """This process's peak resident set size in bytes: ``VmHWM`` where Linux tells it, else
    ``ru_maxrss`` (which, on other systems, may include the peak of the process that exec'd it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def child(kind: str, path: Path, count: int, data: Kind) -> None:
    """What one child process does: the same setup on both sides, then one measurement; prints
    the seconds it took and the process's peak RSS in bytes."""
    repository = InMemoryRepository() if kind.endswith("-empty") else filled_repository(count, data)
    start = time.perf_counter()
    if kind == "dictreader-list":
        with path.open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file, delimiter=";"))
        assert len(rows) == count
    elif kind == "dictreader-iterate":
        assert iterate_dictreader(path) == count
    elif kind in ("dry-run", "dry-run-empty"):
        report = import_file(path, repository, dry_run=True)
        assert len(report.rows) == count
    else:
        raise SystemExit(f"unknown child {kind}")
    print(time.perf_counter() - start, peak_memory())


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# -- the report -------------------------------------------------------------------------------------

class OneByOne:
    """A repository seen without its bulk write methods: ``apply`` then writes one record per call."""

    def __init__(self, repository: object) -> None:
        self._repository = repository

    def __getattr__(self, name: str) -> object:
        if name in BULK_METHODS:
            raise AttributeError(name)
        return getattr(self._repository, name)


def new_store(folder: str, name: str) -> SqliteRepository:
    store = SqliteRepository(Path(folder) / f"{name}.db")
    store.add_account_managers(MANAGERS)
    store.add_dunning_plans(PLANS)
    return store


def measure_sqlite(csv_path: Path, count: int,
                   runs: int) -> tuple[list[TableRow], list[str]]:
    """``SqliteRepository``, one record per call (bulk methods hidden) beside bulk writes:
    ``import_file`` into an empty store and again, then ``apply`` alone of the same plan into
    empty stores (``runs`` alternating runs each, the median kept)."""
    table: list[TableRow] = []
    print("SQLite: import into an empty store, then again, one by one and in bulk…", flush=True)
    times: dict[tuple[str, bool], list[float]] = {}
    writes = 0
    with tempfile.TemporaryDirectory() as folder:
        for run in range(runs):
            for bulk in (False, True):  # alternately, so that a busy moment hits both alike
                store = new_store(folder, f"import-{run}-{bulk}")
                repository: Any = store if bulk else OneByOne(store)
                start = time.perf_counter()
                first = import_file(csv_path, repository)
                times.setdefault(("first", bulk), []).append(time.perf_counter() - start)
                start = time.perf_counter()
                second = import_file(csv_path, repository)
                times.setdefault(("again", bulk), []).append(time.perf_counter() - start)
                store.close()
                again = second.summary
                if (again.clients.create or again.clients.update or again.contacts.create
                        or again.contacts.update):
                    raise SystemExit(f"the second apply wrote something: {again}")
                writes = len(first.operations)
    median = {key: statistics.median(values) for key, values in times.items()}
    for label, what in (("first", f"apply {count:,} rows into an empty store ({writes} writes)"),
                        ("again", f"apply the same {count:,} rows again (all unchanged)")):
        one, bulk_time = median[label, False], median[label, True]
        verdict = ("≥ 30,000 rows/s " + ("met" if count / bulk_time >= 30_000 else "missed")
                   if label == "first" else "stated")
        table.append((f"SQLite `import_file`: {what}; one by one / bulk writes", f"{one:.2f} s",
                      f"{bulk_time:.2f} s", f"{count / one:,.0f} / {count / bulk_time:,.0f} rows/s", verdict))

    print("SQLite: apply alone, one by one against bulk writes…", flush=True)
    table_of_file = read_table(csv_path)
    parsed = parse(table_of_file, auto_map(table_of_file))
    with tempfile.TemporaryDirectory() as folder:
        planned = plan(parsed, new_store(folder, "plan"))
        stores: list[SqliteRepository] = []

        def applying(bulk: bool) -> Callable[[], object]:
            def run() -> object:
                store = new_store(folder, f"apply-{len(stores)}")
                stores.append(store)
                result = apply(planned, store if bulk else OneByOne(store))
                if not result.ok:
                    raise SystemExit(f"the apply failed: {result.issues[:3]}")
                return result
            return run

        one, bulk_time = side_by_side(applying(False), applying(True), runs)
        for store in stores:
            store.close()
    operations = len(planned.operations)
    table.append((f"SQLite `apply` alone: {operations:,} writes into an empty store; "
                  "one by one / bulk writes",
                  f"{one:.2f} s", f"{bulk_time:.2f} s",
                  f"{operations / one:,.0f} / {operations / bulk_time:,.0f} writes/s",
                  f"bulk {one / bulk_time:.2f}× as fast"))
    return table, []


def _verdict(value: float, target: float, shown: str) -> str:
    return f"{shown} {'met' if value <= target else 'missed'}"


def measure_dry_runs(count: int, runs: int) -> tuple[list[TableRow], list[str]]:
    """The dry runs against the bare readers, and their peak memory against ``list(DictReader)``."""
    table: list[TableRow] = []
    notes: list[str] = []
    csv_path, xlsx_path = data_file(count, "csv"), data_file(count, "xlsx")
    short_path = data_file(count, "csv", "short")
    print("filling the repositories…", flush=True)
    repositories = {"clients": filled_repository(count), "short": filled_repository(count, "short")}

    def dry_run(path: Path, kind: Kind = "clients") -> Callable[[], ImportReport]:
        def run() -> ImportReport:
            return import_file(path, repositories[kind], dry_run=True)
        return run

    for kind, path in (("clients", csv_path), ("short", short_path)):
        summary = dry_run(path, kind)().summary
        notes.append(f"Dry run outcome ({'short-cell ' if kind == 'short' else ''}CSV): clients "
                     f"{summary.clients.to_dict()}, contacts {summary.contacts.to_dict()}, "
                     f"{summary.errors} errors, {summary.warnings} warnings.")
    lookups = sum(dry_run(csv_path)().plan.lookups.values())

    for kind, path, target, label in (("clients", csv_path, 4.0, "CSV"),
                                      ("short", short_path, 8.0, "Short-cell CSV")):
        print(f"{label}: DictReader against the dry run…", flush=True)
        bare, ours = side_by_side(lambda path=path: iterate_dictreader(path), dry_run(path, kind), runs)
        ratio = ours / bare
        table.append((f"{label} {count:,} rows: dry run / `csv.DictReader` iteration", f"{bare:.2f} s",
                      f"{ours:.2f} s", f"{ratio:.2f}×", _verdict(ratio, target, f"≤ {target:.0f}×")))

    print("XLSX: calamine against the dry run (default settings: isolated)…", flush=True)
    bare, ours = side_by_side(lambda: load_calamine(xlsx_path), dry_run(xlsx_path), runs)
    ratio = ours / bare
    table.append((f"XLSX {count:,} rows: dry run (default settings, isolated) / python-calamine load",
                  f"{bare:.2f} s", f"{ours:.2f} s", f"{ratio:.2f}×", _verdict(ratio, 2.0, "≤ 2×")))

    print("peak memory, in child processes…", flush=True)
    for kind, path, label in (("clients", csv_path, ""), ("short", short_path, "short-cell CSV, ")):
        _, bare_rss = in_child("dictreader-list", path, count, kind)
        _, our_rss = in_child("dry-run", path, count, kind)
        per_row = (our_rss - bare_rss) / count
        table.append((f"Peak memory, {label}{count:,} rows: dry run − `list(csv.DictReader)`",
                      f"{bare_rss / 2**20:.0f} MiB", f"{our_rss / 2**20:.0f} MiB", f"{per_row:+.0f} B/row",
                      _verdict(per_row, 1024, "≤ 1 KiB/row")))

    per_thousand = lookups * 1000 / count
    table.append((f"Repository lookup calls, {count:,} rows", "", f"{lookups} calls",
                  f"{per_thousand:.2f} / 1000 rows", _verdict(per_thousand, 5, "≤ 5")))
    return table, notes


def measure_million() -> list[TableRow]:
    big = 1_000_000
    big_path = data_file(big, "csv")
    print("1M rows, in child processes…", flush=True)
    bare_time, bare_rss = in_child("dictreader-iterate", big_path, big)
    our_time, our_rss = in_child("dry-run", big_path, big)
    # The in-memory repository of the pair above holds half the file, in the measuring process
    # (the bare side's peak is mostly that repository): into an empty store, the peak is the
    # import's own, every row a client or contact to create.
    empty_time, empty_rss = in_child("dry-run-empty", big_path, big)
    return [
        (f"CSV {big:,} rows: dry run / `csv.DictReader` iteration (one run each)",
         f"{bare_time:.1f} s", f"{our_time:.1f} s", f"{our_time / bare_time:.2f}×", "stated"),
        (f"Peak memory, {big:,} rows: dry run (the `DictReader` iteration beside it)",
         f"{bare_rss / 2**20:.0f} MiB", f"{our_rss / 2**20:.0f} MiB", f"{our_rss / big:.0f} B/row",
         _verdict(our_rss, 2 * 2**30, "≤ 2 GiB")),
        (f"Peak memory, {big:,} rows: dry run into an empty store, its own (time {empty_time:.1f} s)",
         "", f"{empty_rss / 2**20:.0f} MiB", f"{empty_rss / big:.0f} B/row",
         _verdict(empty_rss, 2 * 2**30, "≤ 2 GiB")),
    ]


def measure(count: int, runs: int, million: bool) -> tuple[list[TableRow], list[str]]:
    table, notes = measure_dry_runs(count, runs)
    sqlite_rows, sqlite_notes = measure_sqlite(data_file(count, "csv"), count, runs)
    table += sqlite_rows
    notes += sqlite_notes
    if million:
        table += measure_million()
    return table, notes


def markdown(table: list[TableRow], notes: list[str], count: int, runs: int) -> str:
    lines = [
        START,
        f"Measured on {cpu_model()} ({os.cpu_count()} CPUs), Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}; {count:,} rows, median of {runs} alternating runs.",
        "",
        "| Measurement | Bare reader | upflow_import | Ratio | Target |",
        "|---|---|---|---|---|",
        *(f"| {' | '.join(cells)} |" for cells in table),
        "",
        *notes,
        END,
    ]
    return "\n".join(lines) + "\n"


TEMPLATE = """# Performance

Generated by `nox -s bench` (`benchmarks/run.py`); the table below is replaced on each run.

{table}"""


def write_page(text: str) -> None:
    if PAGE.exists():
        page = PAGE.read_text(encoding="utf-8")
        if START in page and END in page:
            before, rest = page.split(START, 1)
            after = rest.split(END, 1)[1]
            PAGE.write_text(before + text.rstrip("\n") + after, encoding="utf-8")
            return
    PAGE.write_text(TEMPLATE.format(table=text), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="20k rows, three runs, the page left as it is")
    parser.add_argument("--skip-1m", action="store_true", help="leave out the 1M-row CSV")
    parser.add_argument("--runs", type=int, help="alternating runs per pair (default 5, --quick 3)")
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs/performance.md")
    parser.add_argument("--only-sqlite", action="store_true",
                        help="only the SQLite measurements (printed, the page left as it is)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        kind, path, count, data = options.child
        child(kind, Path(path), int(count), data)
        return
    count = options.rows or (20_000 if options.quick else 100_000)
    runs = options.runs or (3 if options.quick else 5)
    if options.only_sqlite:
        table, notes = measure_sqlite(data_file(count, "csv"), count, runs)
    else:
        table, notes = measure(count, runs, million=not options.skip_1m)
    text = markdown(table, notes, count, runs)
    print()
    print(text)
    if not options.no_write and not options.quick and not options.only_sqlite:
        write_page(text)
        print(f"written to {PAGE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
