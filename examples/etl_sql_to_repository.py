"""An ETL step from a SQL table: rows in with ``read_records``, failed rows routed to a table of their own.

    python examples/etl_sql_to_repository.py SOURCE.db [--store upflow.db] [--demo]

The customers come from a query on a database (SQLite here; any DB-API
cursor works the same), not from a file: ``read_records`` turns the rows into
the table a spreadsheet would give, with the same cell rules (``30.0`` →
``30``, ``1`` for true) and limits. The import runs against the command
line's SQLite store; every row's outcome comes back as plain data
(``report.to_rows()``), and the rows that failed go to the source database's
``import_failures`` table — with their original values, codes and messages —
for someone to fix, while the valid rows are imported. ``--demo`` first
fills SOURCE.db with a sample ``crm_customers`` table.

Exit status: 0 when every row was imported, 1 when some rows failed.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

import upflow_import as ui

QUERY = "SELECT * FROM crm_customers ORDER BY customer_id, contact_email"

# The source's column names are the CRM's, not a spreadsheet's: say once where each goes.
MAPPING = {
    "customer_id": "client.external_id",
    "company": "client.name",
    "city": "client.city",
    "country": "client.country",
    "payment_terms": "client.payment_term_days",
    "group_id": "group.external_id",
    "contact_email": "contact.email",
    "contact_first_name": "contact.first_name",
    "is_main_contact": "contact.is_main",
    "crm_internal_id": None,  # not imported
}

FAILURES_TABLE = """
CREATE TABLE IF NOT EXISTS import_failures (
    row INTEGER NOT NULL, customer_id TEXT, codes TEXT NOT NULL, messages TEXT NOT NULL,
    source_values TEXT NOT NULL)
"""

DEMO_ROWS = [
    # customer_id, company, city, country, payment_terms, group_id, contact_email, first name, main, internal
    ("G100", "Groupe Lumière", "Lyon", "France", 45.0, None, None, None, None, 1),
    ("C101", "Hôtel Lumière Nice", "Nice", "FR", 30.0, "G100", "compta@lumiere-nice.fr", "Inès", 1, 2),
    ("C101", "Hôtel Lumière Nice", "Nice", "FR", 30.0, "G100", "direction@lumiere-nice.fr", "Paul", 0, 3),
    ("C102", "Café des Arts", "Paris", "France", None, None, "gerant@cafedesarts", "Zoé", 1, 4),
    ("C103", "Librairie Étoile", "Lille", "France", "soon", None, None, None, None, 5),
    ("C104", "Boulangerie Dupont", "Paris", "FR", 60.0, None, "contact@dupont.fr", None, 1, 6),
]


def log(message: str) -> None:
    print(f"[etl] {message}")


def make_demo_source(path: Path) -> None:
    """A CRM table as an ETL job finds it: numbers stored as REAL, flags as 0/1, a few mistakes."""
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TABLE IF EXISTS crm_customers")
        connection.execute(
            "CREATE TABLE crm_customers (customer_id TEXT, company TEXT, city TEXT, country TEXT, "
            "payment_terms, group_id TEXT, contact_email TEXT, contact_first_name TEXT, "
            "is_main_contact INTEGER, crm_internal_id INTEGER)")
        connection.executemany(f"INSERT INTO crm_customers VALUES ({', '.join('?' * 10)})", DEMO_ROWS)
    connection.close()


def run(source: Path, store: str) -> int:
    # 1. Extract: a query, its column names from the cursor.
    connection = sqlite3.connect(source)
    try:
        cursor = connection.execute(QUERY)
        headers = [column[0] for column in cursor.description]
        table = ui.read_records(cursor, headers=headers, name=f"{source.name}: crm_customers")
        log(f"read {sum(1 for _ in table.rows)} rows of {len(headers)} columns from {source.name}")

        # 2. Load: plan and apply against the store; valid rows go in, failed rows are reported.
        with ui.SqliteRepository(store) as repository:
            report = ui.import_file(table, repository, mapping=MAPPING, remember_mapping=False)
        summary = report.summary
        log(f"clients: created {summary.clients.create}, updated {summary.clients.update}, "
            f"unchanged {summary.clients.unchanged}; contacts: created {summary.contacts.create}, "
            f"updated {summary.contacts.update}")

        # 3. Route: every row's outcome is plain data; the failed ones go back to the source database.
        failed = [row for row in report.to_rows() if row["status"] == "failed"]
        with connection:
            connection.execute(FAILURES_TABLE)
            connection.execute("DELETE FROM import_failures")
            connection.executemany(
                "INSERT INTO import_failures VALUES (?, ?, ?, ?, ?)",
                [(row["row"], row["cells"]["customer_id"],  # type: ignore[index]
                  ", ".join(issue["code"] for issue in row["issues"]),  # type: ignore[attr-defined]
                  "\n".join(issue["message"] for issue in row["issues"]),  # type: ignore[attr-defined]
                  json.dumps(row["cells"], ensure_ascii=False)) for row in failed])
        for row in failed:
            codes = ", ".join(issue["code"] for issue in row["issues"])  # type: ignore[attr-defined]
            log(f"  row {row['row']} ({row['cells']['customer_id']}): {codes}")  # type: ignore[index]
        log(f"{len(failed)} failed rows routed to import_failures" if failed else "every row imported")
    finally:
        connection.close()
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("source", type=Path, help="the SQLite database holding crm_customers")
    parser.add_argument("--store", default="upflow.db", help="the import store (default: upflow.db)")
    parser.add_argument("--demo", action="store_true", help="fill SOURCE with a sample crm_customers table")
    args = parser.parse_args(argv)
    if args.demo:
        make_demo_source(args.source)
    try:
        return run(args.source, args.store)
    except ui.UpflowImportError as error:
        log(f"cannot import: [{error.code}] {error.message_in('en')}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
