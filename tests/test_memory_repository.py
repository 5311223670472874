"""InMemoryRepository passes the contract test-kit, with and without transactions, and is strict."""

from __future__ import annotations

from collections.abc import Collection

import pytest

import upflow_import as ui
from planner_helpers import seed_client, seed_contact
from upflow_import.repository import Repository
from upflow_import.testing import RepositoryContract


class TestInMemoryRepository(RepositoryContract):
    @pytest.fixture
    def repository(self) -> Repository:
        return ui.InMemoryRepository(transactional=True)

    def add_account_managers(self, repository: Repository, emails: Collection[str]) -> None:
        assert isinstance(repository, ui.InMemoryRepository)
        repository.add_account_managers(emails)

    def add_dunning_plans(self, repository: Repository, names: Collection[str]) -> None:
        assert isinstance(repository, ui.InMemoryRepository)
        repository.add_dunning_plans(names)


class TestInMemoryRepositoryWithoutTransactions(TestInMemoryRepository):
    @pytest.fixture
    def repository(self) -> Repository:
        return ui.InMemoryRepository()

    def test_a_transaction_that_raises_writes_nothing(self, repository: Repository) -> None:
        # Replaces the contract's test: this store must not pretend to offer transactions.
        assert not hasattr(repository, "transaction")


def test_it_is_a_repository() -> None:
    assert isinstance(ui.InMemoryRepository(), ui.Repository)
    assert callable(ui.InMemoryRepository(transactional=True).transaction)


def test_references_are_untracked_until_one_is_added() -> None:
    repository = ui.InMemoryRepository()
    assert repository.known_account_managers(["a@b.fr"]) is None
    assert repository.known_dunning_plans(["Plan"]) is None
    repository.add_dunning_plan("Plan Standard")
    repository.add_account_manager("Anne@Example.com")
    assert repository.known_dunning_plans(["Plan standard", "Plan Standard"]) == {"Plan Standard"}
    assert repository.known_account_managers(["anne@example.com"]) == {"anne@example.com"}
    assert repository.all_account_managers() == ["Anne@Example.com"]


def test_duplicates_a_planner_must_never_write_are_refused() -> None:
    repository = ui.InMemoryRepository()
    client_id = seed_client(repository, "C1", "Acme")
    with pytest.raises(ValueError, match="external id"):
        seed_client(repository, "C1", "Other")
    seed_contact(repository, client_id, "jean@acme.fr", is_main=True)
    with pytest.raises(ValueError, match="email"):
        seed_contact(repository, client_id, "JEAN@acme.fr")
    with pytest.raises(ValueError, match="main contact"):
        seed_contact(repository, client_id, "marie@acme.fr", is_main=True)
    assert repository.writes == 2
    assert len(repository.contacts_of(client_id)) == 1


def test_the_main_contact_email_follows_the_main_contact() -> None:
    repository = ui.InMemoryRepository()
    client_id = seed_client(repository, "C1", "Acme")
    seed_contact(repository, client_id, "Jean@acme.fr", is_main=True)
    assert repository.client(client_id).main_contact_email == "Jean@acme.fr"


def _documented_repository() -> type:
    """The example repository of the "Writing a repository" page, run as the docs show it."""
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "repository.md").read_text(encoding="utf-8")
    example = re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)[0]
    namespace: dict[str, object] = {}
    exec(compile(example, "docs/repository.md", "exec"), namespace)
    repository_class = namespace["SqlRepository"]
    assert isinstance(repository_class, type)
    return repository_class


class TestTheDocumentedExampleRepository(RepositoryContract):
    @pytest.fixture
    def repository(self) -> Repository:
        import sqlite3

        return _documented_repository()(sqlite3.connect(":memory:"))  # type: ignore[no-any-return]

    # The example tracks no references and has no lookup by contact id: check it says so.
    def test_known_account_managers_is_the_registered_subset(self, repository: Repository) -> None:
        assert repository.known_account_managers(["anne@example.com"]) is None

    def test_known_dunning_plans_is_the_registered_subset(self, repository: Repository) -> None:
        assert repository.known_dunning_plans(["Plan VIP"]) is None

    def test_contacts_by_external_id_when_offered(self, repository: Repository) -> None:
        assert not hasattr(repository, "find_contacts_by_external_ids")
