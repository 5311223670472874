"""The importer as one step of an ETL job: read, map, dry-run, then stop on errors or apply.

    python examples/etl_step.py FILE [--db PATH] [--mapping M.json] [--failed-rows OUT.csv]

Each layer of the library is called on its own, as a pipeline that wants to
log or check between steps would: ``read_table`` → ``auto_map`` → ``parse``
→ ``plan`` (a dry run: reads the store, writes nothing) → ``apply``. A file
with any error stops the step before anything is written (exit status 1),
and its rows with errors go to ``--failed-rows`` for someone to fix. The
store is the SQLite file the command line uses (``upflow.db`` by default),
so ``upflow-import export`` shows the result.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import upflow_import as ui


def log(message: str) -> None:
    print(f"[etl] {message}")


def run(path: Path, db: str, mapping_path: Path | None, failed_rows: Path | None) -> int:
    # 1. Read: the format, encoding and separator are detected from the bytes.
    table = ui.read_table(path)
    log(f"read {path.name}: {table.format}, encoding={table.encoding}, delimiter={table.delimiter!r}, "
        f"{len(table.headers)} columns")

    # 2. Map: automatic, with the explicit choices of a saved mapping laid over it.
    overrides = None if mapping_path is None else ui.ColumnMapping.from_json(mapping_path.read_text("utf-8"))
    mapping = ui.auto_map(table, overrides=overrides)
    for match in mapping.matches:
        target = match.field.value if match.field is not None else "(not imported)"
        log(f"  {match.column!r:32} -> {target} ({match.confidence:.0%})")

    # 3. Parse every row, then 4. plan against the store: nothing is written yet.
    parsed = ui.parse(table, mapping)
    with ui.SqliteRepository(db) as repository:
        # "skip" (the default) so that the dry run counts what the valid rows would do;
        # this step applies nothing at all when there is an error.
        planned = ui.plan(parsed, repository)
        dry_run = ui.ImportReport.from_plan(parsed, planned)
        summary = dry_run.summary
        log(f"dry run: {summary.rows} rows, {summary.errors} errors, {summary.warnings} warnings; "
            f"clients to create {summary.clients.create}, to update {summary.clients.update}; "
            f"contacts to create {summary.contacts.create}, to update {summary.contacts.update}")

        # 5. Stop on errors, keeping the rows to fix; or apply.
        if not dry_run.ok:
            for issue in dry_run.issues:
                if issue.is_error:
                    where = "file" if issue.row is None else f"row {issue.row}"
                    log(f"  {issue.code} at {where}: {issue.message}")
            if failed_rows is not None:
                count = ui.write_failed_rows(dry_run, failed_rows)
                log(f"{count} rows with errors written to {failed_rows}")
            log("stopped: nothing was written")
            return 1
        result = ui.apply(planned, repository)
        report = ui.ImportReport.from_plan(parsed, planned, result)
    applied = report.summary
    log(f"applied to {db}: clients created {applied.clients.create}, updated {applied.clients.update}, "
        f"unchanged {applied.clients.unchanged}; contacts created {applied.contacts.create}, "
        f"updated {applied.contacts.update}")
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("file", type=Path)
    parser.add_argument("--db", default="upflow.db", help="the SQLite store (default: upflow.db)")
    parser.add_argument("--mapping", type=Path, help="a saved column mapping (JSON)")
    parser.add_argument("--failed-rows", type=Path, help="where to write the rows with errors (.csv, .xlsx)")
    args = parser.parse_args(argv)
    try:
        return run(args.file, args.db, args.mapping, args.failed_rows)
    except ui.UpflowImportError as error:
        # The file (or the store) cannot be used at all: its code says why.
        log(f"cannot import {args.file}: [{error.code}] {error.message_in('en')}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
