"""The contract test-suite for asynchronous repositories: :class:`AsyncRepositoryContract`.

Every check of :class:`~upflow_import.testing.RepositoryContract` runs against
your :class:`~upflow_import.aio.AsyncRepository`, each coroutine awaited on
one event loop per test (an :class:`asyncio.Runner`), so that a connection
made by :meth:`~AsyncRepositoryContract.new_repository` is used on the loop it
belongs to; and the import checks run through :func:`upflow_import.aio.import_file`
itself, ``async with repository.transaction()`` included.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable, Collection, Coroutine, Hashable, Iterator
from typing import Any, ClassVar, Generic, TypeVar

import pytest

from upflow_import.aio import AsyncRepository
from upflow_import.aio import import_file as import_file_async
from upflow_import.repository import BULK_METHODS, REQUIRED_METHODS
from upflow_import.testing.contract import OPTIONAL_METHODS, RepositoryContract

__all__ = ["AsyncRepositoryContract", "BlockingRepository"]

AsyncRepoT = TypeVar("AsyncRepoT", bound=AsyncRepository[Any])
IdT = TypeVar("IdT", bound=Hashable)
T = TypeVar("T")

_METHODS = (*REQUIRED_METHODS, *(name for name in OPTIONAL_METHODS if name != "transaction"),
            "find_clients_by_ids", *BULK_METHODS)


class BlockingRepository:
    """An asynchronous repository seen through blocking calls: each method runs its coroutine to
    the end on ``runner``'s loop, and ``transaction()`` is a plain context manager around the
    repository's asynchronous one. Only the methods the repository has are there."""

    def __init__(self, wrapped: Any, runner: asyncio.Runner) -> None:
        #: The asynchronous repository.
        self.wrapped = wrapped
        self._runner = runner
        for name in _METHODS:
            method = _offered(wrapped, name)
            if method is not None:
                setattr(self, name, self._blocking(method))
        transaction = _offered(wrapped, "transaction")
        if transaction is not None:
            self.transaction = self._blocking_transaction(transaction)

    def _blocking(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            return self._runner.run(method(*args))
        return call

    def _blocking_transaction(self, transaction: Callable[[], Any]) -> Callable[[], Any]:
        runner = self._runner

        @contextlib.contextmanager
        def blocking() -> Iterator[object]:
            manager = transaction()
            entered = runner.run(manager.__aenter__())
            try:
                yield entered
            except BaseException as error:
                if not runner.run(manager.__aexit__(type(error), error, error.__traceback__)):
                    raise
            else:
                runner.run(manager.__aexit__(None, None, None))
        return blocking


def _offered(repository: object, name: str) -> Callable[..., Any] | None:
    try:
        method = getattr(repository, name, None)
    except AttributeError:  # a property that refuses: the method is not offered
        return None
    return method if callable(method) else None


class AsyncRepositoryContract(RepositoryContract[Any, IdT], Generic[AsyncRepoT, IdT]):
    """The behaviours of an :class:`~upflow_import.aio.AsyncRepository` that
    :mod:`upflow_import.aio` relies on, as pytest checks.

    Subclass it (``TestMyStore(AsyncRepositoryContract[MyAsyncStore, int])``)
    and override :meth:`new_repository`, a coroutine returning a new, empty
    repository (and :meth:`close_repository` to close its connection). Every
    check of :class:`~upflow_import.testing.RepositoryContract` then runs, each
    call awaited on the test's event loop; override
    :meth:`add_account_managers_async` and :meth:`add_dunning_plans_async` if
    the repository tracks them. No pytest plugin for asyncio is needed::

        class TestMyStore(AsyncRepositoryContract[MyAsyncStore, int]):
            async def new_repository(self) -> MyAsyncStore:
                return MyAsyncStore(await connect_to_a_fresh_test_database())

            async def close_repository(self, repository: MyAsyncStore) -> None:
                await repository.connection.close()
    """

    #: How many generated files :meth:`test_generated_files_import_once_through_aio` imports.
    generated_files: ClassVar[int] = 10

    async def new_repository(self) -> AsyncRepoT:
        """A new, empty repository: override this coroutine in your subclass."""
        pytest.fail("override the `new_repository` coroutine of your AsyncRepositoryContract subclass "
                    "so that it returns a new, empty repository")

    async def close_repository(self, repository: AsyncRepoT) -> None:
        """Called after each test with the repository :meth:`new_repository` made."""

    async def add_account_managers_async(self, repository: AsyncRepoT, emails: Collection[str]) -> None:
        """Register account managers in ``repository``; override if it tracks them."""
        pytest.skip("this repository does not track account managers (override add_account_managers_async "
                    "to check known_account_managers)")

    async def add_dunning_plans_async(self, repository: AsyncRepoT, names: Collection[str]) -> None:
        """Register dunning plans in ``repository``; override if it tracks them."""
        pytest.skip("this repository does not track dunning plans (override add_dunning_plans_async "
                    "to check known_dunning_plans)")

    @pytest.fixture
    def runner(self) -> Iterator[asyncio.Runner]:
        """The test's event loop."""
        with asyncio.Runner() as runner:
            yield runner

    @pytest.fixture
    def repository(self, runner: asyncio.Runner) -> Iterator[Any]:
        repository = runner.run(self.new_repository())
        try:
            yield BlockingRepository(repository, runner)
        finally:
            runner.run(self.close_repository(repository))

    def add_account_managers(self, repository: Any, emails: Collection[str]) -> None:
        repository._runner.run(self.add_account_managers_async(repository.wrapped, emails))

    def add_dunning_plans(self, repository: Any, names: Collection[str]) -> None:
        repository._runner.run(self.add_dunning_plans_async(repository.wrapped, names))

    # -- through upflow_import.aio ---------------------------------------------------------------

    def _run(self, repository: Any, coroutine: Coroutine[Any, Any, T]) -> T:
        runner: asyncio.Runner = repository._runner
        return runner.run(coroutine)

    def test_aio_import_twice_writes_nothing_the_second(self, repository: Any) -> None:
        data = ("Identifiant Client;Nom du client;Identifiant du groupe;Email du contact;Contact principal\n"
                "G1;Groupe Lumière;;;\n"
                "S1;Hôtel Lumière Nice;G1;compta@lumiere.fr;oui\n").encode()
        first = self._run(repository, import_file_async(data, repository.wrapped))
        assert first.ok, (
            f"the first import through upflow_import.aio should succeed, but: "
            f"{[issue.message for issue in first.issues]}")
        second = self._run(repository, import_file_async(data, repository.wrapped))
        assert second.ok and second.operations == (), (
            "importing the same file again through upflow_import.aio should write nothing, but it planned "
            f"{[op.to_dict() for op in second.operations]!r}")

    def test_generated_files_import_once_through_aio(self, repository: Any) -> None:
        """The property check of the synchronous suite, through :func:`upflow_import.aio.import_file`."""
        if self.generated_files <= 0:
            pytest.skip("generated_files = 0: the property check over generated files is off")
        pytest.importorskip("hypothesis", reason="the property check needs hypothesis")
        from hypothesis import HealthCheck, given, settings  # noqa: PLC0415

        from upflow_import.testing.strategies import GeneratedFile, import_files  # noqa: PLC0415

        namespaces = itertools.count()

        @settings(max_examples=self.generated_files, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(import_files(namespace=lambda: f"a{next(namespaces)}-"))
        def check(generated: GeneratedFile) -> None:
            report = self._run(repository, import_file_async(generated.data, repository.wrapped))
            numbers = [row.number for row in report.rows]
            assert numbers == list(range(2, len(generated.rows) + 2)), (
                f"every row of the file should be in the report, in order, but got rows {numbers}")
            again = self._run(repository, import_file_async(generated.data, repository.wrapped))
            assert again.operations == (), (
                "importing the same file a second time should write nothing (the repository must return "
                f"what was written), but it wrote {[op.to_dict() for op in again.operations]}")

        check()
