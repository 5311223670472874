"""Importing files from asynchronous code: several files at once on one event loop.

    python examples/async_import.py FILE [FILE ...]

Each file is imported with ``upflow_import.aio.import_file`` into one shared
store, all at the same time (``asyncio.gather``): the files are read and
parsed in worker threads (a workbook in the capped child process), and only
the store's calls run on the event loop, which stays free for the rest of the
service. The store is an ``AsyncInMemoryRepository`` with transactions, so
two files naming the same client are imported one after the other and the
second updates what the first created. With a database, use your own
asynchronous repository instead (see the asynchronous API page of the docs).

Before writing anything, every file is dry-run first; a file with an error is
not imported, and its issues are printed.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from upflow_import import ImportReport, aio


async def import_one(path: Path, repository: aio.AsyncInMemoryRepository) -> ImportReport | None:
    """Dry-run ``path``, then import it if it has no error; ``None`` when it was not imported."""
    dry_run = await aio.import_file(path, repository, dry_run=True)
    if dry_run.summary.errors:
        for issue in dry_run.issues:
            if issue.is_error:
                print(f"{path.name}: {issue.code} at row {issue.row}: {issue.message}")
        return None
    return await aio.import_file(path, repository)


async def import_all(paths: list[Path]) -> int:
    repository = aio.AsyncInMemoryRepository(transactional=True)
    reports = await asyncio.gather(*(import_one(path, repository) for path in paths))
    for path, report in zip(paths, reports, strict=True):
        if report is None:
            print(f"{path.name}: not imported (errors above)")
            continue
        clients, contacts = report.summary.clients, report.summary.contacts
        print(f"{path.name}: {report.summary.rows} rows; clients created {clients.create}, "
              f"updated {clients.update}; contacts created {contacts.create}, updated {contacts.update}")
    store = repository.sync
    print(f"store: {len(store.clients())} clients, {len(store.contacts())} contacts")
    return 0 if all(reports) else 1


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    return asyncio.run(import_all([Path(argument) for argument in argv]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
