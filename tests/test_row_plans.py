"""Plan.rows held as columns (PlanRows) against the plain tuple of RowReport objects it must equal."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import upflow_import as ui
from test_pipeline_properties import csv_files, filled_repository
from upflow_import.fields import Field
from upflow_import.issues import Issue
from upflow_import.model import ParsedImport
from upflow_import.planning import accounting
from upflow_import.planning.entities import Resolution
from upflow_import.planning.types import Operation, Outcome, PlanRows, RowReport
from upflow_import.testing import parsed_import

ISSUES = st.sampled_from([(), (Issue.from_code("value.required", row=2, field=Field.CLIENT_NAME),)])
OUTCOMES = st.sampled_from(list(Outcome))
ROW = st.tuples(ISSUES, st.lists(st.integers(0, 50), max_size=3).map(tuple), OUTCOMES,
                st.one_of(st.none(), OUTCOMES))


def _parsed(count: int) -> ParsedImport:
    """A parsed file of ``count`` rows, every other one with a contact."""
    return parsed_import([{"client.name": f"Client {i}", "client.city": "Paris",
                           **({"contact.email": f"c{i}@acme.fr"} if i % 2 else {})} for i in range(count)])


def columns(parsed: ParsedImport, rows: Sequence[tuple[object, ...]]) -> PlanRows:
    issues, operations, clients, contacts = ([row[i] for row in rows] for i in range(4))
    return PlanRows(parsed, issues, operations, clients, contacts)  # type: ignore[arg-type]


def plain_rows(parsed: ParsedImport, rows: Sequence[tuple[object, ...]]) -> tuple[RowReport, ...]:
    return tuple(RowReport(parsed_row.number, parsed_row.cells, *row, parsed_row.client,  # type: ignore[arg-type]
                           parsed_row.contact) for parsed_row, row in zip(parsed.rows, rows, strict=True))


@given(rows=st.lists(ROW, min_size=1, max_size=8), index=st.integers(-10, 10), start=st.integers(-10, 10),
       stop=st.integers(-10, 10), step=st.sampled_from([1, 2, -1, -3]))
def test_plan_rows_read_as_the_tuple_of_row_reports_built_the_plain_way(
    rows: list[tuple[object, ...]], index: int, start: int, stop: int, step: int
) -> None:
    parsed = _parsed(len(rows))
    plain = plain_rows(parsed, rows)
    view = columns(parsed, rows)

    assert len(view) == len(plain)
    assert list(view) == list(plain)
    assert view == plain and plain == view
    assert view == columns(parsed, rows)
    assert view != (*plain, plain[0])
    assert hash(view) == hash(plain)
    assert view[start:stop:step] == plain[start:stop:step]
    if -len(plain) <= index < len(plain):
        assert view[index] == plain[index]
    else:
        with pytest.raises(IndexError):
            view[index]
    assert view != list(plain)  # as a tuple, never equal to a list
    assert [tuple(outcome) for outcome in view.outcomes()] == [
        (row.number, row.issues, row.operations, row.client, row.contact) for row in plain]


def test_plan_rows_refuse_columns_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="one entry per row"):
        PlanRows(_parsed(2), [(), ()], [(), ()], [Outcome.CREATE], [None, None])


def test_a_plan_compares_equal_whether_its_rows_are_columns_or_a_tuple() -> None:
    table = ui.read_table(b"Nom du client;Email du contact\nAcme;a@x.fr\nGlobex;\n")
    planned = ui.plan(ui.parse(table, ui.auto_map(table)), ui.InMemoryRepository())
    assert isinstance(planned.rows, PlanRows)
    assert [(row.number, row.client, row.contact) for row in planned.rows] == [
        (2, Outcome.CREATE, Outcome.CREATE), (3, Outcome.CREATE, None)]
    as_tuple = ui.Plan(planned.operations, tuple(planned.rows), planned.file_issues, planned.clients,
                       planned.contacts, planned.on_error, planned.lookups)
    assert as_tuple == planned


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file=csv_files(), abort=st.booleans())
def test_the_planner_row_columns_equal_the_plain_row_plans(
    file: tuple[bytes, str, str, list[str], list[list[str]]], abort: bool
) -> None:
    data, encoding, delimiter, _, _ = file
    compared: list[int] = []
    columnar = accounting._row_plans

    def both(parsed: ParsedImport, resolution: Resolution, operations: Sequence[Operation],
             final: Callable[[Outcome], Outcome]) -> PlanRows:
        fast = columnar(parsed, resolution, operations, final)
        assert fast == accounting._row_plans_reference(parsed, resolution, operations, final)
        compared.append(len(fast))
        return fast

    table = ui.read_table(data, encoding=encoding, delimiter=delimiter)
    parsed = ui.parse(table, ui.auto_map(table))
    repository = filled_repository()
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(accounting, "_row_plans", both)
        planned = ui.plan(parsed, repository, on_error="abort" if abort else "skip")
    assert len(planned.rows) == len(parsed.rows)
    assert compared in ([], [len(parsed.rows)])  # [] when the file itself is unusable
