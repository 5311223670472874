"""The sans-I/O cores driven by hand: the reads the planner asks for, the writes apply asks for,
what a failed call means, and a differential test against the synchronous drivers."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import upflow_import as ui
from planner_helpers import Rows, parsed_import, plan_rows, seed_client, seed_contact
from upflow_import.apply import OperationStatus
from upflow_import.fields import Field
from upflow_import.planning.steps import (
    Failed,
    Read,
    RollBack,
    Write,
    applying,
    everything_lost,
    offers_of,
    planning,
)

APPLIED, FAILED, NOT_ATTEMPTED = (
    OperationStatus.APPLIED, OperationStatus.FAILED, OperationStatus.NOT_ATTEMPTED)
NOTHING = frozenset[str]()


def stored_acme() -> ui.StoredClient:
    return ui.StoredClient(id=41, values={Field.CLIENT_EXTERNAL_ID: "C1", Field.CLIENT_NAME: "Acme",
                                          Field.CLIENT_CITY: "Lyon"})


def finish(steps: Generator[Any, object, Any], answer: object) -> Any:
    with pytest.raises(StopIteration) as stop:
        steps.send(answer)
    return stop.value.value


def test_the_planner_asks_for_each_key_once_and_resumes_with_the_answers() -> None:
    parsed = parsed_import([
        {"client.external_id": "C1", "client.city": "Paris", "contact.email": "Jean@Acme.fr"},
        {"client.name": "Globex"},
    ])
    steps = planning(parsed, offers=NOTHING)
    assert next(steps) == Read("find_clients_by_external_ids", (["C1"],))
    assert steps.send([stored_acme()]) == Read("find_clients_by_names", (["globex"],))
    assert steps.send([]) == Read("find_contacts_by_emails", (["jean@acme.fr"],))
    plan = finish(steps, [])
    assert [(op.op, op.key) for op in plan.operations] == [
        ("update_client", "C1"), ("create_client", "Globex"), ("create_contact", "Jean@Acme.fr")]
    update = plan.operations[0]
    assert update.client_id == 41 and dict(update.changes) == {"client.city": ("Lyon", "Paris")}
    assert plan.lookups == {"find_clients_by_external_ids": 1, "find_clients_by_names": 1,
                            "find_contacts_by_emails": 1}


def test_the_planner_asks_the_optional_reads_only_of_a_store_that_offers_them() -> None:
    parsed = parsed_import([{"client.name": "Acme", "contact.email": "a@acme.fr",
                             "contact.external_id": "K1"}])
    offered = frozenset({"find_contacts_by_external_ids"})
    steps = planning(parsed, offers=offered, chunk_size=1)
    assert next(steps) == Read("find_clients_by_names", (["acme"],))
    assert steps.send([]) == Read("find_contacts_by_emails", (["a@acme.fr"],))
    assert steps.send([]) == Read("find_contacts_by_external_ids", (["K1"],))
    assert finish(steps, []).clients.create == 1


def test_a_failed_read_fails_the_plan_with_the_stores_own_error() -> None:
    steps = planning(parsed_import([{"client.name": "Acme"}]), offers=NOTHING)
    next(steps)
    with pytest.raises(ConnectionError, match="gone"):
        steps.send(Failed(ConnectionError("gone")))


def test_arguments_are_refused_before_the_first_read() -> None:
    with pytest.raises(ValueError, match="on_error"):
        planning(parsed_import([{"client.name": "Acme"}]), on_error="maybe", offers=NOTHING)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="batch_size"):
        applying(plan_rows([{"client.name": "Acme"}]), offers=NOTHING, batch_size=0, transactional=False)


def test_apply_asks_for_each_write_and_threads_the_new_ids_into_what_needs_them() -> None:
    plan = plan_rows([{"client.name": "Acme", "contact.email": "a@acme.fr"}])
    steps = applying(plan, offers=NOTHING, transactional=False)
    create = next(steps)
    assert create.method == "create_client" and create.args[1] is None
    contact = steps.send(7)
    assert contact == Write("create_contact", (7, plan.operations[1].record))
    result = finish(steps, 8)
    assert [(r.status, r.id) for r in result.results] == [(APPLIED, 7), (APPLIED, 8)]


def test_a_failed_write_fails_its_operation_and_its_dependants_are_not_attempted() -> None:
    plan = plan_rows([{"client.name": "Acme", "contact.email": "a@acme.fr"}, {"client.name": "Globex"}])
    steps = applying(plan, offers=NOTHING, transactional=False)
    next(steps)
    assert steps.send(Failed(ConnectionError("gone"))).args[0].name == "Globex"
    result = finish(steps, 9)
    assert [r.status for r in result.results] == [FAILED, APPLIED, NOT_ATTEMPTED]
    assert "ConnectionError: gone" in result.results[0].issues[0].message


def test_bulk_writes_are_asked_in_batches_and_a_refused_batch_again_one_by_one() -> None:
    plan = plan_rows([{"client.name": "Acme"}, {"client.name": "Globex"}])
    steps = applying(plan, offers=offers_of(BulkStore()), transactional=False)
    batch = next(steps)
    assert batch.method == "create_clients" and [r.name for r, _ in batch.args[0]] == ["Acme", "Globex"]
    assert steps.send(Failed(ValueError("duplicate"))).method == "create_client"
    assert steps.send(Failed(ValueError("duplicate"))).method == "create_client"
    assert [r.status for r in finish(steps, 5).results] == [FAILED, APPLIED]


def test_a_failure_inside_an_aborting_transaction_raises_rollback_with_the_result() -> None:
    plan = plan_rows([{"client.name": "Acme"}, {"client.name": "Globex"}], on_error="abort")
    steps = applying(plan, offers=NOTHING, transactional=True)
    next(steps)
    steps.send(1)
    with pytest.raises(RollBack) as rollback:
        steps.send(Failed(OSError("disk full")))
    result = rollback.value.result
    assert result.rolled_back and result.transactional
    assert [r.status for r in result.results] == [NOT_ATTEMPTED, FAILED]


def test_a_lost_transaction_fails_what_was_applied_and_keeps_what_failed() -> None:
    plan = plan_rows([{"client.name": "Acme"}, {"client.name": "Globex"}])
    steps = applying(plan, offers=NOTHING, transactional=True)
    next(steps)
    steps.send(Failed(ValueError("refused")))
    result = everything_lost(plan, finish(steps, 2), OSError("disk full"))
    assert result.rolled_back
    assert "refused" in result.results[0].issues[0].message
    assert "disk full" in result.results[1].issues[0].message
    assert [r.status for r in everything_lost(plan, None, OSError()).results] == [FAILED, FAILED]


class BulkStore(ui.InMemoryRepository):
    """Bulk writes made of the one-record ones."""

    def create_clients(self, items: Any) -> list[Any]:
        return [self.create_client(record, parent) for record, parent in items]

    def update_clients(self, items: Any) -> None:
        for client_id, changes in items:
            self.update_client(client_id, changes)

    def create_contacts(self, items: Any) -> list[Any]:
        return [self.create_contact(client_id, record) for client_id, record in items]

    def update_contacts(self, items: Any) -> None:
        for contact_id, changes in items:
            self.update_contact(contact_id, changes)


def test_offers_are_the_optional_methods_a_store_has() -> None:
    assert offers_of(ui.InMemoryRepository()) == {
        "find_contacts_by_external_ids", "find_clients_by_ids", "all_account_managers", "all_dunning_plans"}
    assert {"create_clients", "transaction"} <= offers_of(BulkStore(transactional=True))
    assert offers_of(object()) == frozenset()


# -- differential: a plain driver written here, as an asynchronous one would be -------------------


def plainly(steps: Generator[Any, object, Any], repository: object) -> Any:
    """Drive ``steps`` by hand: every answer made a list first, as an async driver sends it."""
    answer: object = None
    started = False
    while True:
        try:
            request = steps.send(answer) if started else next(steps)
        except StopIteration as stop:
            return stop.value
        started = True
        try:
            answer = getattr(repository, request.method)(*request.args)
            if request.method.startswith(("find_", "all_")):
                answer = list(answer)
        except Exception as error:
            answer = Failed(error)


def transactionally(repository: ui.InMemoryRepository, plan: ui.Plan) -> ui.ApplyResult:
    with repository.transaction():
        result: ui.ApplyResult = plainly(applying(plan, offers=offers_of(repository), transactional=True),
                                         repository)
    return result


NAMES = ["Acme", "ACME", "Globex", "Initech"]
N = None
ROW = st.fixed_dictionaries({
    "client.external_id": st.sampled_from([N, "C1", "C2"]),
    "client.name": st.sampled_from([N, *NAMES]),
    "client.city": st.sampled_from([N, "Paris", "Lyon"]),
    "group.external_id": st.sampled_from([N, N, N, "C1", "C9"]),
    "contact.email": st.sampled_from([N, "a@x.fr", "A@x.fr", "b@x.fr"]),
    "contact.external_id": st.sampled_from([N, N, "K1"]),
    "contact.is_main": st.sampled_from([N, True, False]),
})
FILES = st.lists(ROW, min_size=1, max_size=8)


def seeded() -> ui.InMemoryRepository:
    repository = ui.InMemoryRepository(transactional=True)
    acme = seed_client(repository, "C1", "Acme", city="Lyon")
    seed_contact(repository, acme, "a@x.fr", is_main=True, external_id="K1")
    seed_client(repository, None, "Globex", parent_id=acme)
    return repository


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=FILES, on_error=st.sampled_from(["skip", "abort"]), chunk_size=st.integers(1, 3))
def test_the_cores_driven_plainly_plan_and_write_as_the_synchronous_api(
        rows: Rows, on_error: Any, chunk_size: int) -> None:
    reference, driven = seeded(), seeded()
    expected = ui.plan(parsed_import(rows), reference, on_error=on_error, chunk_size=chunk_size)
    plan = plainly(planning(parsed_import(rows), on_error=on_error, chunk_size=chunk_size,
                            offers=offers_of(driven)), driven)
    assert plan == expected
    assert transactionally(driven, plan) == ui.apply(expected, reference)
    assert driven.clients() == reference.clients() and driven.contacts() == reference.contacts()
