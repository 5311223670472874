"""Shared test helpers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# The machines that run the suite are shared and often busy: a property test is judged on its
# answers, never on how long one example took (speed is measured by the benchmark).
settings.register_profile("shared-machine", deadline=None)
settings.load_profile("shared-machine")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "calamine"
#: Why the corpus tests skip, as ``pytest -rs`` prints it (the README's development section agrees).
CORPUS_MISSING = "needs the real-world spreadsheet corpus at ../shared/corpus/calamine, beside the checkout"
EXAMPLES = ROOT / "examples"


@pytest.fixture
def corpus_dir() -> Path:
    """The shared real-world spreadsheet corpus; tests using it skip when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(CORPUS_MISSING)
    return CORPUS


# -- PostgreSQL: a throwaway server per test session, a fresh database per test ------------------

@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The DSN of a PostgreSQL server for the whole session, as its superuser: the one named by
    ``UPFLOW_TEST_POSTGRES_DSN`` (what CI sets), else a throwaway server started here.
    Skips when neither psycopg nor PostgreSQL's programs are there (CI installs both)."""
    pytest.importorskip("psycopg", reason="the PostgreSQL tests need psycopg (the test extra has it)")
    from postgres_server import DSN_VARIABLE, NO_POSTGRES, server_programs, throwaway_server

    dsn = os.environ.get(DSN_VARIABLE)
    if dsn:
        yield dsn
        return
    if server_programs() is None:
        pytest.skip(NO_POSTGRES)
    with throwaway_server() as server:
        yield server.dsn


def _in_database(dsn: str, name: str) -> str:
    from psycopg.conninfo import make_conninfo

    return make_conninfo(dsn, dbname=name)


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> Iterator[str]:
    """A database holding the store's empty schema, which each test's database is copied from.
    One per test process, since a template cannot be copied while another session is in it."""
    import psycopg

    from upflow_import.postgres import create_schema

    name = f"upflow_template_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(_in_database(postgres_server, name), autocommit=True) as connection:
            create_schema(connection)
        yield name
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _fresh_database(server: str, template: str) -> Iterator[str]:
    import psycopg

    name = f"upflow_test_{uuid.uuid4().hex}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _in_database(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_dsn(postgres_server: str, postgres_template: str) -> Iterator[str]:
    """The DSN of a new database of its own for this test, with the store's tables, empty;
    dropped afterwards."""
    with _fresh_database(postgres_server, postgres_template) as dsn:
        yield dsn


@pytest.fixture
def empty_postgres_dsn(postgres_server: str) -> Iterator[str]:
    """The DSN of a new, empty database (no tables) for this test; dropped afterwards."""
    with _fresh_database(postgres_server, "template0") as dsn:
        yield dsn


@pytest.fixture
def postgres_repository(postgres_dsn: str) -> Iterator[Any]:
    """A :class:`~upflow_import.postgres.PostgresRepository` on an empty store of its own."""
    import psycopg

    from upflow_import.postgres import PostgresRepository

    with psycopg.connect(postgres_dsn, autocommit=True) as connection:
        yield PostgresRepository(connection)
