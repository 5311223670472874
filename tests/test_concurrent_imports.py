"""Two imports racing on one store, in two processes: no duplicate client or contact, every row
accounted for. On SQLite and on PostgreSQL.

The guarantee comes from the stores' ``transaction()``, which :func:`~upflow_import.import_file`
holds across planning and writing: SQLite takes its write lock at ``BEGIN IMMEDIATE``, PostgreSQL
an advisory lock (``pg_advisory_xact_lock``). The second import waits, then plans against what
the first wrote. Each round starts both imports at a barrier, and checks that they ran at the
same time (most rounds must have; a busy machine may hold one back); 20 rounds, each with its own
files (shuffled rows, different overlaps).
"""

from __future__ import annotations

import csv
import multiprocessing
import random
from pathlib import Path
from typing import Any

import pytest

import upflow_import as ui
from race_worker import import_rounds, open_store

ROUNDS = 20
HEADERS = ["Identifiant Client", "Nom du client", "Ville", "Email du contact", "Prénom du contact"]


def write_file(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADERS)
        writer.writerows(rows)


def round_files(folder: Path, seed: int) -> tuple[Path, Path, dict[str, Any]]:
    """Two overlapping files: clients and contacts in both (some known only by their name), and
    some in one file only; and what the store must hold once both are imported."""
    rng = random.Random(seed)
    shared = [[f"S{seed}-{n}", f"Partagé {n}", "Paris", f"contact{n}@partage.fr", "Anne"]
              for n in range(rng.randint(5, 12))]
    # Clients without an id are identified by their name: racing imports must not make two.
    by_name = [["", f"Maison {n}", "Lyon", f"maison{n}@exemple.fr", ""] for n in range(rng.randint(1, 4))]
    only = {side: [[f"{side}{seed}-{n}", f"Client {side} {n}", "Nice", f"{side.lower()}{n}@seul.fr", ""]
                   for n in range(rng.randint(1, 6))] for side in ("A", "B")}
    paths = []
    for side in ("A", "B"):
        rows = [*shared, *by_name, *only[side]]
        rng.shuffle(rows)
        path = folder / f"round{seed}-{side}.csv"
        write_file(path, rows)
        paths.append(path)
    everyone = [*shared, *by_name, *only["A"], *only["B"]]
    expected = {
        "external_ids": sorted(row[0] for row in everyone if row[0]),
        "names": sorted(row[1] for row in everyone),
        "emails": sorted(row[3] for row in everyone),
        "rows": {"A": len(shared) + len(by_name) + len(only["A"]),
                 "B": len(shared) + len(by_name) + len(only["B"])},
    }
    return paths[0], paths[1], expected


def stored(kind: str, target: str) -> dict[str, list[str]]:
    """Every client (external id, name) and contact email the store holds, duplicates included."""
    repository, close = open_store(kind, target)
    try:
        if kind == "sqlite":
            connection = repository._connection
            clients = connection.execute("SELECT external_id, name FROM clients").fetchall()
            emails = [email for (email,) in connection.execute("SELECT email FROM contacts")]
        else:
            clients = repository.connection.execute("SELECT external_id, name FROM clients").fetchall()
            emails = [email for (email,) in repository.connection.execute("SELECT email FROM contacts")]
    finally:
        close()
    return {"external_ids": sorted(external_id for external_id, _ in clients if external_id),
            "names": sorted(name for _, name in clients), "emails": sorted(emails)}


def race(kind: str, targets: list[str], folder: Path) -> None:
    """Run the rounds: two processes import their file of each round at once into ``targets[round]``."""
    rounds = [round_files(folder, seed) for seed in range(ROUNDS)]
    # spawn: the children start clean, without this process's connections or threads.
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    workers = [
        context.Process(target=import_rounds, args=(kind, targets, [str(r[side]) for r in rounds], barrier,
                                                    results))
        for side in (0, 1)
    ]
    for worker in workers:
        worker.start()
    overlapping = 0
    try:
        for seed, (first, second, expected) in enumerate(rounds):
            reports = {Path(report["file"]).name: report
                       for report in (results.get(timeout=180), results.get(timeout=180))}
            assert not [r["error"] for r in reports.values() if "error" in r], reports
            check_round(seed, reports[first.name], reports[second.name], expected,
                        stored(kind, targets[seed]))
            # Both imports under way at the same time: one of them had to wait for the other.
            (start_a, end_a), (start_b, end_b) = reports[first.name]["span"], reports[second.name]["span"]
            overlapping += start_a < end_b and start_b < end_a
    finally:
        for worker in workers:
            worker.join(timeout=60)
            if worker.is_alive():
                worker.kill()
    assert [worker.exitcode for worker in workers] == [0, 0]
    # Both start at a barrier, but a busy machine may hold one back until the other is done:
    # most rounds, not every one, are sure to overlap.
    print(f"{kind}: {ROUNDS} rounds, the two imports overlapped in {overlapping}")
    assert overlapping >= ROUNDS // 2, f"only {overlapping} of {ROUNDS} rounds had the imports overlap"


def check_round(seed: int, first: dict[str, Any], second: dict[str, Any], expected: dict[str, Any],
                store: dict[str, list[str]]) -> None:
    where = f"round {seed}"
    # No duplicate, nothing missing.
    assert store == {key: expected[key] for key in ("external_ids", "names", "emails")}, where
    for report, side in ((first, "A"), (second, "B")):
        # Every row accounted for, none failed: each is created, updated or unchanged.
        assert report["ok"] and report["codes"] == [], (where, side, report)
        assert report["rows"] == expected["rows"][side], (where, side, report)
        assert set(report["statuses"]) <= {"created", "updated", "unchanged"}, (where, side, report)
    # Each client and contact was created by exactly one of the two imports; the other found it.
    for entity, total in (("clients", len(expected["names"])), ("contacts", len(expected["emails"]))):
        created = first[entity]["create"] + second[entity]["create"]
        assert created == total, f"{where}: {created} {entity} created for {total} in the store"
        for report, side in ((first, "A"), (second, "B")):
            counts = report[entity]
            assert counts["create"] + counts["update"] + counts["unchanged"] == expected["rows"][side], (
                where, side, entity, counts)


def test_two_imports_racing_on_sqlite_make_no_duplicate(tmp_path: Path) -> None:
    targets = [str(tmp_path / f"round{seed}.db") for seed in range(ROUNDS)]
    for target in targets:
        ui.SqliteRepository(target).close()
    race("sqlite", targets, tmp_path)


def test_two_imports_racing_on_postgresql_make_no_duplicate(
    tmp_path: Path, postgres_server: str, postgres_template: str
) -> None:
    psycopg = pytest.importorskip("psycopg")
    from psycopg.conninfo import make_conninfo

    names = [f"upflow_race_{seed}_{tmp_path.name[-8:]}".lower().replace("-", "_") for seed in range(ROUNDS)]
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
    try:
        race("postgres", [make_conninfo(postgres_server, dbname=name) for name in names], tmp_path)
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
