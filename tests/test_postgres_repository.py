"""PostgresRepository against a real PostgreSQL server: the contract kit, the unique indexes,
bulk writes equal to one-by-one writes, the asynchronous twin, and whole imports."""

from __future__ import annotations

from collections.abc import Collection, Iterator

import pytest

import upflow_import as ui
from upflow_import.testing import RepositoryContract

psycopg = pytest.importorskip("psycopg", reason="the PostgreSQL tests need psycopg (the test extra has it)")

from upflow_import.postgres import PostgresRepository  # noqa: E402


class TestPostgresRepositoryContract(RepositoryContract):
    """The test-kit every repository must pass, run against PostgreSQL."""

    @pytest.fixture
    def repository(self, postgres_repository: PostgresRepository) -> Iterator[PostgresRepository]:
        yield postgres_repository

    def add_account_managers(self, repository: ui.Repository, emails: Collection[str]) -> None:
        assert isinstance(repository, PostgresRepository)
        repository.add_account_managers(emails)

    def add_dunning_plans(self, repository: ui.Repository, names: Collection[str]) -> None:
        assert isinstance(repository, PostgresRepository)
        repository.add_dunning_plans(names)
