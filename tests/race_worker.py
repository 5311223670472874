"""The child process of the race test (tests/test_concurrent_imports.py): imports one file per
round into a shared store, each round started by a barrier so that the two children overlap."""

from __future__ import annotations

import time
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any


def open_store(kind: str, target: str) -> Any:
    """A repository on the shared store, opened by this process: ``(repository, close)``."""
    import upflow_import as ui

    if kind == "sqlite":
        store = ui.SqliteRepository(target)
        return store, store.close
    import psycopg

    from upflow_import.postgres import PostgresRepository

    connection = psycopg.connect(target, autocommit=True)
    return PostgresRepository(connection), connection.close


def import_rounds(kind: str, targets: list[str], files: list[str], barrier: Barrier, results: Any) -> None:
    """For each round: wait for the other importer, import ``files[round]`` into ``targets[round]``,
    and send back what the report says (and when the import ran)."""
    import upflow_import as ui

    for target, path in zip(targets, files, strict=True):
        repository, close = open_store(kind, target)
        try:
            barrier.wait(timeout=120)
            started = time.time()
            report = ui.import_file(Path(path), repository, lang="en")
            ended = time.time()
        except BaseException as error:
            results.put({"file": path, "error": f"{type(error).__name__}: {error}"})
            raise
        finally:
            close()
        summary = report.summary
        results.put({
            "file": path,
            "ok": report.ok,
            "rows": summary.rows,
            "clients": summary.clients.to_dict(),
            "contacts": summary.contacts.to_dict(),
            "codes": sorted({issue.code for issue in report.issues}),
            "statuses": sorted({str(row.status) for row in report.rows}),
            "span": (started, ended),
        })
