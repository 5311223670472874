"""Test helpers for users' own code: the :class:`RepositoryContract` suite, :func:`parsed_import`,
and the hypothesis strategies of :mod:`upflow_import.testing.strategies`.

To check your own repository against everything the planner relies on,
subclass :class:`RepositoryContract` in a pytest test module, parameterised by
your repository type and its id type, and override its ``repository``
fixture so that it returns a new, empty repository::

    import pytest
    from upflow_import.testing import RepositoryContract

    class TestMyRepository(RepositoryContract[MyRepository, int]):
        @pytest.fixture
        def repository(self) -> MyRepository:
            return MyRepository(connect_to_a_fresh_test_database())

        # Optional: if your repository tracks account managers / dunning plans.
        def add_account_managers(self, repository: MyRepository, emails: Collection[str]) -> None:
            repository.register_managers(emails)

Every ``test_*`` method of the class then runs against it, and each failure
says what was expected and what the repository returned. Installing
``upflow-import[testing]`` (pytest) registers the package's pytest plugin,
which has pytest rewrite the suite's assertions; the library itself never
imports pytest.

An asynchronous repository (:class:`~upflow_import.aio.AsyncRepository`) is
checked the same way with :class:`AsyncRepositoryContract`, whose
``new_repository`` coroutine makes the repository on the test's own event loop.
"""

from __future__ import annotations

from upflow_import.testing._builders import parsed_import
from upflow_import.testing.async_contract import AsyncRepositoryContract
from upflow_import.testing.contract import OPTIONAL_METHODS, REQUIRED_METHODS, RepositoryContract

__all__ = ["OPTIONAL_METHODS", "REQUIRED_METHODS", "AsyncRepositoryContract", "RepositoryContract",
           "parsed_import"]
