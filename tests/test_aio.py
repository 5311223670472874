"""upflow_import.aio: the asynchronous API gives exactly what the synchronous one gives, on the same
inputs (plans, apply results, reports, stores), with the same failure accounting and transactions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import upflow_import as ui
from planner_helpers import FailingRepository, Rows, parsed_import, plan_rows
from test_apply import FILE, FILES, seeded, state
from test_bulk_writes import BulkMemory, PoisonedMemory
from test_pipeline_properties import csv_files
from upflow_import import aio
from upflow_import.apply import OperationStatus
from upflow_import.fields import Field
from upflow_import.testing.strategies import import_files

T = TypeVar("T")
APPLIED, FAILED, NOT_ATTEMPTED = (
    OperationStatus.APPLIED, OperationStatus.FAILED, OperationStatus.NOT_ATTEMPTED)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def report_json(report: ui.ImportReport) -> str:
    return json.dumps(report.to_dict(), sort_keys=True, ensure_ascii=False)


def outcome(result: ui.ApplyResult) -> tuple[object, ...]:
    """Everything a user sees of an apply: each operation's status, id and issues."""
    return (result.transactional, result.rolled_back, [
        (r.index, r.status, r.id, [(i.code, i.row, i.message) for i in r.issues]) for r in result.results])


# -- the same answers as the synchronous API -------------------------------------------------------

@SETTINGS
@given(first=FILES, second=FILES, transactional=st.booleans(), on_error=st.sampled_from(["skip", "abort"]))
def test_plan_and_apply_equal_the_synchronous_ones(first: Rows, second: Rows, transactional: bool,
                                                    on_error: Any) -> None:
    sync = ui.InMemoryRepository(transactional=transactional)
    asynchronous = aio.AsyncInMemoryRepository(transactional=transactional)
    for rows in (first, second):
        expected_plan = plan_rows(rows, sync, on_error=on_error)
        planned = run(aio.plan(parsed_import(rows), asynchronous, on_error=on_error))
        assert planned == expected_plan
        expected = ui.apply(expected_plan, sync)
        assert outcome(run(aio.apply(planned, asynchronous))) == outcome(expected)
        assert state(asynchronous.sync) == state(sync)


@SETTINGS
@given(generated=import_files(namespace="g-"), dry_run=st.booleans(), again=st.booleans())
def test_import_file_gives_the_synchronous_report_byte_for_byte(generated: Any, dry_run: bool,
                                                                 again: bool) -> None:
    sync = ui.InMemoryRepository(transactional=True)
    asynchronous = aio.AsyncInMemoryRepository(transactional=True)
    for _ in range(2 if again else 1):
        expected = ui.import_file(generated.data, sync, dry_run=dry_run)
        report = run(aio.import_file(generated.data, asynchronous, dry_run=dry_run))
        assert report_json(report) == report_json(expected)
    assert state(asynchronous.sync) == state(sync)


@SETTINGS
@given(file=csv_files(), dry_run=st.booleans(), on_error=st.sampled_from(["skip", "abort"]),
       lang=st.sampled_from(["en", "fr"]))
def test_messy_files_give_the_synchronous_report(file: Any, dry_run: bool, on_error: Any, lang: Any) -> None:
    data = file[0]
    try:
        expected: ui.ImportReport | Exception = ui.import_file(
            data, ui.InMemoryRepository(), dry_run=dry_run, on_error=on_error, lang=lang)
    except ui.UpflowImportError as error:
        expected = error
    if isinstance(expected, Exception):
        with pytest.raises(type(expected)) as raised:
            run(aio.import_file(data, aio.AsyncInMemoryRepository(), dry_run=dry_run, on_error=on_error,
                                lang=lang))
        assert raised.value.code == expected.code  # type: ignore[attr-defined]
        return
    report = run(aio.import_file(data, aio.AsyncInMemoryRepository(), dry_run=dry_run, on_error=on_error,
                                 lang=lang))
    assert report_json(report) == report_json(expected)


# -- failures, transactions, bulk writes ---------------------------------------------------------

@SETTINGS
@given(first=FILES, second=FILES, k=st.integers(1, 12), transactional=st.booleans(),
       on_error=st.sampled_from(["skip", "abort"]))
def test_failed_writes_are_accounted_for_as_by_the_synchronous_apply(
        first: Rows, second: Rows, k: int, transactional: bool, on_error: Any) -> None:
    sync = FailingRepository(transactional=transactional)
    failing = FailingRepository(transactional=transactional)
    asynchronous = aio.AsyncInMemoryRepository(failing)
    ui.apply(plan_rows(first, sync), sync)
    run(aio.apply(run(aio.plan(parsed_import(first), asynchronous)), asynchronous))
    sync.fail_at = {sync.attempts + k}
    failing.fail_at = {failing.attempts + k}
    expected = ui.apply(plan_rows(second, sync, on_error=on_error), sync)
    result = run(aio.apply(run(aio.plan(parsed_import(second), asynchronous, on_error=on_error)),
                           asynchronous))
    assert outcome(result) == outcome(expected)
    assert state(failing) == state(sync)


def test_a_failed_write_fails_its_rows_and_what_depends_on_it() -> None:
    failing = seeded(FailingRepository())
    failing.fail_at = {failing.attempts + 1}  # creating S1's group G1
    repository = aio.AsyncInMemoryRepository(failing)
    result = run(aio.apply(run(aio.plan(parsed_import(FILE), repository)), repository))
    assert [r.status for r in result.results].count(FAILED) == 1
    assert result.results[0].status is FAILED
    assert {i.code for i in result.issues} == {"apply.failed", "apply.not_attempted"}
    assert "ConnectionError: the database went away" in result.issues[0].message


def test_abort_inside_the_transaction_rolls_everything_back() -> None:
    failing = seeded(FailingRepository(transactional=True))
    before = state(failing)
    failing.fail_at = {failing.attempts + 3}
    repository = aio.AsyncInMemoryRepository(failing)
    result = run(aio.apply(run(aio.plan(parsed_import(FILE), repository, on_error="abort")), repository))
    assert result.transactional and result.rolled_back
    assert [r.status for r in result.results] == [NOT_ATTEMPTED, NOT_ATTEMPTED, FAILED] + [NOT_ATTEMPTED] * 6
    assert state(failing) == before


def test_a_transaction_that_cannot_commit_loses_every_write() -> None:
    class NoCommit(aio.AsyncInMemoryRepository):
        @property
        def transaction(self) -> Any:
            @contextlib.asynccontextmanager
            async def transaction() -> AsyncIterator[None]:
                async with super(NoCommit, self).transaction():
                    yield
                    raise OSError("disk full")
            return transaction

    repository = NoCommit(transactional=True)
    result = run(aio.apply(run(aio.plan(parsed_import([{"client.name": "Acme"}]), repository)), repository))
    assert result.rolled_back and [r.status for r in result.results] == [FAILED]
    assert "disk full" in result.issues[0].message and repository.sync.clients() == []


@SETTINGS
@given(first=FILES, second=FILES, poison=st.sets(st.sampled_from(["Acme", "Globex", "a@x.fr", "b@x.fr"])),
       transactional=st.booleans(), batch_size=st.integers(1, 4), on_error=st.sampled_from(["skip", "abort"]))
def test_bulk_writes_give_the_synchronous_outcome(*, first: Rows, second: Rows, poison: set[str],
                                                  transactional: bool, batch_size: int,
                                                  on_error: Any) -> None:
    sync = BulkMemory(transactional=transactional)
    poisoned = PoisonedMemory(transactional=transactional)
    asynchronous = aio.AsyncInMemoryRepository(poisoned, bulk_writes=True)
    ui.apply(plan_rows(first, sync), sync)
    run(aio.apply(run(aio.plan(parsed_import(first), asynchronous)), asynchronous))
    sync.poison = poisoned.poison = poison
    expected = ui.apply(plan_rows(second, sync, on_error=on_error), sync, batch_size=batch_size)
    result = run(aio.apply(run(aio.plan(parsed_import(second), asynchronous, on_error=on_error)),
                           asynchronous, batch_size=batch_size))
    assert outcome(result) == outcome(expected)
    assert state(poisoned) == state(sync)


def test_bulk_writes_are_used_in_batches_when_offered() -> None:
    calls: list[tuple[str, int]] = []

    class Counting(aio.AsyncInMemoryRepository):
        async def _all_or_nothing(self, write: Any) -> Any:
            written = await super()._all_or_nothing(write)
            calls.append(("batch", len(written)))
            return written

    repository = Counting(bulk_writes=True)
    rows = [{"client.name": f"Client {n}", "client.external_id": f"C{n}"} for n in range(7)]
    result = run(aio.apply(run(aio.plan(parsed_import(rows), repository)), repository, batch_size=3))
    assert result.ok and calls == [("batch", 3), ("batch", 3), ("batch", 1)]
    assert len(repository.sync.clients()) == 7


# -- one transaction for plan and apply ------------------------------------------------------------

def test_import_file_plans_and_writes_inside_one_transaction() -> None:
    events: list[str] = []

    class Watched(aio.AsyncInMemoryRepository):
        @property
        def transaction(self) -> Any:
            inner = super().transaction

            @contextlib.asynccontextmanager
            async def transaction() -> AsyncIterator[None]:
                events.append("begin")
                async with inner():
                    yield
                events.append("commit")
            return transaction

        async def find_clients_by_external_ids(self, external_ids: Any) -> Any:
            events.append("read")
            return await super().find_clients_by_external_ids(external_ids)

        async def create_client(self, record: Any, parent_id: Any) -> int:
            events.append("write")
            return await super().create_client(record, parent_id)

    repository = Watched(transactional=True)
    report = run(aio.import_file(b"Code client;Nom du client\nC1;Acme\n", repository))
    assert report.ok
    assert events == ["begin", "read", "write", "commit"]


def test_two_concurrent_imports_of_one_transactional_store_create_each_client_once() -> None:
    repository = aio.AsyncInMemoryRepository(transactional=True)
    data = b"Code client;Nom du client\nC1;Acme\nC2;Globex\n"

    async def both() -> list[ui.ImportReport]:
        return await asyncio.gather(aio.import_file(data, repository), aio.import_file(data, repository))

    first, second = run(both())
    assert first.ok and second.ok
    assert sorted((first.summary.clients.create, second.summary.clients.create)) == [0, 2]
    assert sorted(c.external_id or "" for c in repository.sync.clients()) == ["C1", "C2"]


def test_a_sync_repository_is_refused_with_a_clear_error() -> None:
    with pytest.raises(TypeError, match=r"not an awaitable.*AsyncRepository"):
        run(aio.plan(parsed_import([{"client.name": "Acme"}]), ui.InMemoryRepository()))


def test_a_repository_missing_a_method_is_refused_before_reading() -> None:
    with pytest.raises(TypeError, match="lacks"):
        run(aio.import_file(b"not even read", object()))


def test_a_typed_use_passes_mypy_strict_and_a_sync_repository_does_not(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    typed = Path(__file__).parent / "typed" / "test_typed_aio.py"
    out, err, status = api.run(["--strict", "--no-error-summary", str(typed)])
    assert status == 0, out + err
    wrong = tmp_path / "wrong.py"
    wrong.write_text(typed.read_text("utf-8").replace(
        "repository = aio.AsyncInMemoryRepository(transactional=True, bulk_writes=True)",
        "repository = aio.AsyncInMemoryRepository(transactional=True, bulk_writes=True).sync"),
        encoding="utf-8")
    out, err, status = api.run(["--strict", "--no-error-summary", str(wrong)])
    assert status == 1 and '"InMemoryRepository"' in out and "AsyncRepository[int]" in out, out + err


def test_mappings_are_remembered_and_recalled_as_by_the_synchronous_import() -> None:
    first = "Société;Secteur\nAcme;Nord\n".encode()
    again = "Secteur;Société\nSud;Globex\n".encode()
    sync = ui.InMemoryRepository()
    asynchronous = aio.AsyncInMemoryRepository()
    expected = [report_json(ui.import_file(first, sync, mapping={"Secteur": "client.state"})),
                report_json(ui.import_file(again, sync, dry_run=True))]
    reports = [run(aio.import_file(first, asynchronous, mapping={"Secteur": "client.state"})),
               run(aio.import_file(again, asynchronous, dry_run=True))]
    assert [report_json(report) for report in reports] == expected
    assert [issue.code for issue in reports[1].issues] == ["mapping.remembered"]
    assert asynchronous.sync.clients()[0].values[Field.CLIENT_STATE] == "Nord"



def test_a_store_answering_with_iterators_is_read_on_the_loop() -> None:
    threads: list[bool] = []

    class Lazy(aio.AsyncInMemoryRepository):
        async def find_clients_by_external_ids(self, external_ids: Any) -> Any:
            found = await super().find_clients_by_external_ids(external_ids)

            def lazily() -> Any:
                threads.append(threading.current_thread() is threading.main_thread())
                yield from found
            return lazily()

    repository = Lazy()
    first = run(aio.import_file(b"Identifiant Client;Nom du client\nC1;Acme\n", repository))
    again = run(aio.import_file(b"Identifiant Client;Nom du client\nC1;Acme\n", repository))
    assert first.summary.clients.create == 1 and again.summary.clients.unchanged == 1
    assert threads == [True, True]
