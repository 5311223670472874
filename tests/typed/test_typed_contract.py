"""A typed use of the contract kit, as a user writes it: checked by ``mypy --strict`` in
tests/test_contract_kit.py, and run here against the reference repository."""

from __future__ import annotations

from collections.abc import Collection

import pytest

from upflow_import import InMemoryRepository
from upflow_import.testing import RepositoryContract, parsed_import


class TestTypedInMemoryRepository(RepositoryContract[InMemoryRepository, int]):
    generated_files = 3

    @pytest.fixture
    def repository(self) -> InMemoryRepository:
        return InMemoryRepository(transactional=True)

    def add_account_managers(self, repository: InMemoryRepository, emails: Collection[str]) -> None:
        repository.add_account_managers(emails)

    def add_dunning_plans(self, repository: InMemoryRepository, names: Collection[str]) -> None:
        repository.add_dunning_plans(names)

    def test_the_ids_are_the_repositorys_own_type(self, repository: InMemoryRepository) -> None:
        record = parsed_import([{"client.name": "Acme"}]).rows[0].client
        assert record is not None
        client_id: int = repository.create_client(record, None)
        assert repository.client(client_id).name == "Acme"
