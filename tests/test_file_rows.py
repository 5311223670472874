"""The planner reads rows from the parsed file's columns: each fast path equals its plain version."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

import upflow_import as ui
from upflow_import.fields import Field
from upflow_import.model import FieldValue, ParsedImport
from upflow_import.planning.file_rows import FileRows
from upflow_import.testing import parsed_import

# Few distinct values, so that rows often agree and stored values often match.
_CELLS: dict[str, st.SearchStrategy[FieldValue | None]] = {
    "client.external_id": st.sampled_from([None, "C1", "C2"]),
    "client.name": st.sampled_from([None, "Acme", "Globex"]),
    "client.city": st.sampled_from([None, "Paris", "Lyon"]),
    "client.country": st.sampled_from([None, "FR", "BE"]),
    "client.payment_term_days": st.sampled_from([None, 30, 45]),
    "client.account_manager_email": st.sampled_from([None, ("am@acme.fr",), ("am@acme.fr", "b@acme.fr")]),
    "group.external_id": st.sampled_from([None, "G1"]),
    "group.name": st.sampled_from([None, "Group"]),
    "contact.email": st.sampled_from([None, "jean@acme.fr", "paul@acme.fr"]),
    "contact.first_name": st.sampled_from([None, "Jean", "Paul"]),
    "contact.position": st.sampled_from([None, "ACCOUNTING", "SALES"]),
    "contact.is_main": st.sampled_from([None, True, False]),
}
Rows = list[dict[str, FieldValue | None]]
ROWS = st.lists(st.fixed_dictionaries({}, optional=_CELLS), min_size=1, max_size=6)


def _file(rows: Rows) -> tuple[ParsedImport, FileRows]:
    parsed = parsed_import(rows)
    return parsed, FileRows(parsed)


def _stored(values: dict[Field, FieldValue], changed: bool) -> dict[Field, FieldValue]:
    """Stored values: a record's own, or those with one value changed or dropped."""
    stored = dict(values)
    if changed and stored:
        field = next(iter(stored))
        stored[field] = "other" if isinstance(stored[field], str) else 0
    return stored


@settings(max_examples=300, deadline=None)
@given(ROWS)
def test_two_rows_say_the_same_of_their_client_as_their_records_do(rows: Rows) -> None:
    _, file = _file(rows)
    readable = [position for position in range(len(file)) if position not in file.unread]
    for one in readable:
        for other in readable:
            assert file.same_client(one, other) == file.same_client_reference(one, other)


@settings(max_examples=300, deadline=None)
@given(ROWS, st.booleans(), st.booleans(), st.integers(0, 5))
def test_a_row_matches_stored_values_as_its_record_does(
        rows: Rows, changed: bool, without_name: bool, pick: int) -> None:
    _, file = _file(rows)
    source = pick % len(file)
    for position in range(len(file)):
        if position in file.unread:
            continue
        stored = _stored(file.client_values(source), changed)
        assert file.client_matches(position, stored, without_name=without_name) == (
            file.client_matches_reference(position, stored, without_name=without_name))
        if position in file.with_contact and source in file.with_contact:
            stored = _stored(file.contact_values(source), changed)
            assert file.contact_matches(position, stored) == file.contact_matches_reference(position, stored)


@settings(max_examples=200, deadline=None)
@given(ROWS)
def test_the_records_made_from_the_columns_are_the_rows_records(rows: Rows) -> None:
    parsed, file = _file(rows)
    for position, row in enumerate(parsed.rows):
        if row.client is not None:
            assert file.client(position) == row.client
            assert file.parent(position) == row.client.parent
        if row.contact is not None:
            assert file.contact(position) == row.contact
            assert (position in file.with_contact) and file.emails[position] == row.contact.email


def _counting(parsed: ParsedImport) -> dict[str, int]:
    """Count the records and rows made from ``parsed`` from now on."""
    made = {"client": 0, "contact": 0, "row": 0}
    makers = parsed._makers

    def counted(kind: str, make: Callable[[int], object]) -> Callable[[int], object]:
        def count(position: int) -> object:
            made[kind] += 1
            return make(position)
        return count

    object.__setattr__(parsed, "_makers", type(makers)(
        *(counted(kind, make) for kind, make in zip(made, makers, strict=True))))
    return made


def test_planning_makes_records_only_for_what_changes_and_no_row_object() -> None:
    rows = [{"client.external_id": f"C{i}", "client.name": f"Client {i}", "client.city": "Paris",
             "contact.email": f"c{i}@acme.fr", "contact.first_name": "Jean"} for i in range(40)]
    repository = ui.InMemoryRepository()
    ui.apply(ui.plan(parsed_import(rows), repository), repository)
    # The same file again, with one client and one contact changed: their two records only.
    rows[7] = {**rows[7], "client.city": "Lyon"}
    rows[9] = {**rows[9], "contact.first_name": "Paul"}
    parsed = parsed_import(rows)
    made = _counting(parsed)
    planned = ui.plan(parsed, repository)
    assert [operation.op for operation in planned.operations] == ["update_client", "update_contact"]
    assert made == {"client": 1, "contact": 1, "row": 0}  # the 38 unchanged rows are read from the columns
    new = parsed_import([{"client.name": "Globex", "contact.email": "g@globex.fr"}])
    made = _counting(new)
    ui.plan(new, repository)
    assert made == {"client": 1, "contact": 1, "row": 0}  # the records of what is created
