"""apply(): dependency order, transactions, failures that stay contained, and re-runs that finish the job."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import upflow_import as ui
from planner_helpers import FailingRepository, Rows, parsed_import, plan_rows, seed_client, seed_contact
from upflow_import.apply import OperationStatus
from upflow_import.identity import normalize_email

APPLIED, FAILED, NOT_ATTEMPTED = (
    OperationStatus.APPLIED,
    OperationStatus.FAILED,
    OperationStatus.NOT_ATTEMPTED,
)

# A file exercising every kind of operation and dependency: a subsidiary listed before its
# parent, contacts of new and stored clients, a stored main contact demoted, a client known by name.
FILE: Rows = [
    {
        "client.external_id": "S1",
        "client.name": "Hôtel Nice",
        "group.external_id": "G1",
        "contact.email": "nice@lumiere.fr",
        "contact.is_main": True,
    },
    {"client.external_id": "G1", "client.name": "Groupe Lumière", "contact.email": "dg@lumiere.fr"},
    {
        "client.external_id": "C1",
        "client.city": "Paris",
        "contact.email": "new@acme.fr",
        "contact.is_main": True,
    },
    {"client.name": "Café des Arts", "contact.email": "cafe@arts.fr", "contact.position": "PAYER"},
    {"client.external_id": "C1", "contact.email": "old@acme.fr", "contact.first_name": "Jean"},
]


def seeded(repository: ui.InMemoryRepository) -> ui.InMemoryRepository:
    client_id = seed_client(repository, "C1", "Acme")
    seed_contact(repository, client_id, "old@acme.fr", is_main=True)
    return repository


def state(repository: ui.InMemoryRepository) -> list[tuple[Any, ...]]:
    """What the store holds, without its ids: comparable between two stores."""
    by_id = {client.id: client for client in repository.clients()}
    snapshot = []
    for client in repository.clients():
        parent = None if client.parent_id is None else by_id[client.parent_id].name
        contacts = sorted(
            (
                contact.email,
                contact.is_main,
                contact.id == client.main_contact_id,
                sorted((f.value, str(v)) for f, v in contact.values.items()),
            )
            for contact in repository.contacts_of(client.id)
        )
        snapshot.append(
            (
                client.external_id,
                client.name,
                sorted((f.value, str(v)) for f, v in client.values.items()),
                parent,
                contacts,
            )
        )
    return sorted(snapshot, key=repr)


def clean_run() -> list[tuple[Any, ...]]:
    repository = seeded(ui.InMemoryRepository())
    assert ui.apply(plan_rows(FILE, repository), repository).ok
    return state(repository)


def test_operations_are_written_in_order_with_created_ids_threaded_through() -> None:
    repository = seeded(ui.InMemoryRepository())
    plan = plan_rows(FILE, repository)
    assert [op.op for op in plan.operations] == [
        "create_client",
        "create_client",
        "update_client",
        "create_client",
        "create_contact",
        "create_contact",
        "update_contact",
        "create_contact",
        "create_contact",
    ]
    seen: list[tuple[int, int]] = []
    result = ui.apply(plan, repository, progress=lambda done, total: seen.append((done, total)))
    assert result.ok and not result.transactional
    assert seen == [(n, 9) for n in range(1, 10)]
    group, subsidiary = repository.client_by_external_id("G1"), repository.client_by_external_id("S1")
    assert subsidiary.parent_id == group.id
    assert repository.contact(subsidiary.main_contact_id).email == "nice@lumiere.fr"
    acme = repository.client_by_external_id("C1")
    assert repository.contact(acme.main_contact_id).email == "new@acme.fr"
    assert result.results[0].id == group.id


@pytest.mark.parametrize("transactional", [False, True])
def test_a_failed_write_is_contained_and_a_rerun_finishes_the_job(transactional: bool) -> None:
    expected = clean_run()
    operations = len(plan_rows(FILE, seeded(ui.InMemoryRepository())).operations)
    for k in range(1, operations + 1):
        repository = seeded(FailingRepository(transactional=transactional))
        repository.fail_at = {repository.attempts + k}
        plan = plan_rows(FILE, repository)
        result = ui.apply(plan, repository)
        statuses = [r.status for r in result.results]
        assert len(statuses) == operations and statuses[k - 1] is FAILED
        failed_op = plan.operations[k - 1]
        for operation, status in zip(plan.operations, statuses, strict=True):
            blocked = any(statuses[i] is not APPLIED for i in operation.depends_on)
            if operation is not failed_op:
                assert status is (NOT_ATTEMPTED if blocked else APPLIED), (k, operation)
        # Every operation's rows carry what happened to it.
        report = ui.ImportReport.from_plan(parsed_import(FILE), plan, result)
        for operation, status in zip(plan.operations, statuses, strict=True):
            if status is not APPLIED:
                code = "apply.failed" if status is FAILED else "apply.not_attempted"
                for number in operation.rows:
                    assert code in [i.code for i in report.rows[number - 2].issues]
        assert not report.ok and report.summary.errors >= 1
        # Running the same import again completes the work and duplicates nothing.
        rerun = plan_rows(FILE, repository)
        assert len(rerun.operations) == statuses.count(FAILED) + statuses.count(NOT_ATTEMPTED)
        assert ui.apply(rerun, repository).ok
        assert state(repository) == expected, k
        assert plan_rows(FILE, repository).operations == ()


def test_abort_inside_a_transaction_rolls_everything_back() -> None:
    repository = seeded(FailingRepository(transactional=True))
    before = state(repository)
    repository.fail_at = {repository.attempts + 3}
    plan = plan_rows(FILE, repository, on_error="abort")
    result = ui.apply(plan, repository)
    assert result.rolled_back and result.transactional
    assert [r.status for r in result.results] == [NOT_ATTEMPTED, NOT_ATTEMPTED, FAILED] + [NOT_ATTEMPTED] * 6
    assert state(repository) == before
    assert all(issue.code in ("apply.failed", "apply.not_attempted") for issue in result.issues)


def test_abort_without_a_transaction_stops_at_the_first_failure() -> None:
    repository = seeded(FailingRepository())
    repository.fail_at = {repository.attempts + 4}
    plan = plan_rows(FILE, repository, on_error="abort")
    statuses = [r.status for r in ui.apply(plan, repository).results]
    assert statuses == [APPLIED] * 3 + [FAILED] + [NOT_ATTEMPTED] * 5


def test_skip_inside_a_transaction_commits_the_independent_writes() -> None:
    repository = seeded(FailingRepository(transactional=True))
    repository.fail_at = {repository.attempts + 1}  # creating G1: S1 and its contact depend on it
    result = ui.apply(plan_rows(FILE, repository), repository)
    assert not result.rolled_back
    assert {c.external_id for c in repository.clients()} == {"C1", None}
    assert result.count(APPLIED) == 5 and result.count(NOT_ATTEMPTED) == 3


def test_a_transaction_that_cannot_commit_loses_every_write() -> None:
    class NoCommit(ui.InMemoryRepository):
        @contextlib.contextmanager
        def _transaction(self) -> Iterator[ui.InMemoryRepository]:
            with super()._transaction():
                yield self
                raise OSError("disk full")

    repository = NoCommit(transactional=True)
    result = ui.apply(plan_rows([{"client.name": "Acme"}], repository), repository)
    assert result.rolled_back and [r.status for r in result.results] == [FAILED]
    assert "disk full" in result.issues[0].message and repository.clients() == []


# -- properties over random files ------------------------------------------------------------------

NAMES = ["Acme", "ACME", " acme\u00a0", "Globex", "Initech"]
EMAILS = ["a@x.fr", "A@X.fr", "b@x.fr", "c@x.fr"]
N = None  # a blank cell; repeated in the lists below to make blanks as frequent as they are in files
CLIENT = st.fixed_dictionaries(
    {
        "client.external_id": st.sampled_from([N, "C1", "C2", "C3"]),
        "client.name": st.sampled_from([N, *NAMES]),
        "client.city": st.sampled_from([N, "Paris", "Lyon"]),
        "group.external_id": st.sampled_from([N, N, N, N, N, "C1", "C2", "C9"]),
        "group.name": st.sampled_from([N, N, N, N, N, "Globex", "Initech"]),
    }
)
CONTACT = st.fixed_dictionaries(
    {
        "contact.email": st.sampled_from([N, *EMAILS]),
        "contact.first_name": st.sampled_from([N, "Jean", "Marie"]),
        "contact.external_id": st.sampled_from([N, N, "K1", "K2"]),
        "contact.is_main": st.sampled_from([N, True, True, False]),
    }
)
ROW = st.builds(lambda client, contact: {**client, **(contact or {})}, CLIENT, st.one_of(st.none(), CONTACT))
FILES = st.lists(ROW, min_size=1, max_size=8)


def check_accounted(plan: ui.Plan, rows: Rows) -> None:
    assert [row.number for row in plan.rows] == list(range(2, 2 + len(rows)))
    for row in plan.rows:
        if row.client is ui.Outcome.DROPPED or row.contact is ui.Outcome.DROPPED:
            assert row.has_errors, row
        if ui.Outcome.CREATE in (row.client, row.contact) or ui.Outcome.UPDATE in (row.client, row.contact):
            assert row.operations, row


def check_store(repository: ui.InMemoryRepository) -> None:
    external_ids = [c.external_id for c in repository.clients() if c.external_id is not None]
    assert len(external_ids) == len(set(external_ids))
    emails = [normalize_email(c.email) for c in repository.contacts()]
    assert len(emails) == len(set(emails))
    for client in repository.clients():
        mains = [c.id for c in repository.contacts_of(client.id) if c.is_main]
        assert len(mains) <= 1
        assert mains == ([] if client.main_contact_id is None else [client.main_contact_id])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=FILES, second=FILES, transactional=st.booleans())
def test_random_files_are_accounted_for_and_idempotent(
    first: Rows, second: Rows, transactional: bool
) -> None:
    repository = ui.InMemoryRepository(transactional=transactional)
    for rows in (first, second):
        plan = plan_rows(rows, repository)
        check_accounted(plan, rows)
        result = ui.apply(plan, repository)
        assert result.ok, [i.message for i in result.issues]
        check_store(repository)
        again = plan_rows(rows, repository)
        # A row imported as planned is never planned again. A row refused for a conflict with the
        # store (an external id another contact held until this file moved it) may be planned once
        # the conflict is gone: then the import completes, and stays complete.
        refused = {row.number for row in plan.rows if row.has_errors}
        changes = [(op.op, op.key, dict(op.changes)) for op in again.operations]
        assert all(set(op.rows) <= refused for op in again.operations), changes
        if again.operations:
            assert ui.apply(again, repository).ok
            check_store(repository)
            assert plan_rows(rows, repository).operations == ()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=FILES, second=FILES, k=st.integers(1, 12), transactional=st.booleans())
def test_random_failures_are_contained_and_a_rerun_ends_where_a_clean_import_does(
    first: Rows, second: Rows, k: int, transactional: bool
) -> None:
    clean = ui.InMemoryRepository()
    for rows in (first, second):
        ui.apply(plan_rows(rows, clean), clean)
    repository = FailingRepository(transactional=transactional)
    ui.apply(plan_rows(first, repository), repository)
    repository.fail_at = {repository.attempts + k}
    plan = plan_rows(second, repository)
    assert len(ui.apply(plan, repository).results) == len(plan.operations)
    check_store(repository)
    assert ui.apply(plan_rows(second, repository), repository).ok
    assert state(repository) == state(clean)
