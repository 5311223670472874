"""The report's fast paths equal the plain ways they replace, whatever the values: each operation's
JSON text against ``json.dumps(operation.to_dict())``, and each row's values read from the parsed
file's columns against the values of the row's records."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from upflow_import._report_json import json_value, operation_json, operations_json
from upflow_import.fields import Field, Kind
from upflow_import.mapping import ColumnMapping
from upflow_import.model import (
    CLIENT_FIELDS,
    CONTACT_FIELDS,
    ClientRecord,
    ClientRef,
    ContactRecord,
    FieldValue,
    ParsedImport,
    ParsedRow,
    Position,
)
from upflow_import.planner import (
    CreateClient,
    CreateContact,
    Operation,
    Target,
    UpdateClient,
    UpdateContact,
)
from upflow_import.planning.types import row_values as _values
from upflow_import.report import _values_by_position

# Text the encoder escapes (quotes, backslashes, control characters, line separators) among the rest.
_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)) | st.sampled_from('"\\\n\t\x00\u2028é'),
                max_size=6)
_SCALARS = st.none() | st.booleans() | st.integers() | _TEXT | st.floats()
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
                       | st.dictionaries(_TEXT, inner, max_size=3), max_leaves=6)


def _field_value(kind: Kind) -> st.SearchStrategy[FieldValue | None]:
    """A value of a field of ``kind`` as ``record.values()`` holds it (``None``: not filled in)."""
    if kind is Kind.EMAILS:
        return st.none() | st.lists(_TEXT, max_size=3).map(tuple)
    if kind is Kind.INTEGER:
        return st.none() | st.integers(-(10**20), 10**20)
    if kind is Kind.FLAG:
        return st.none() | st.booleans()
    if kind is Kind.CHOICE:
        return st.none() | st.sampled_from([position.value for position in Position])
    return st.none() | _TEXT


@st.composite
def _values_of(draw: st.DrawFn, fields: tuple[Field, ...]) -> dict[Field, FieldValue]:
    drawn = {field: draw(_field_value(field.spec.kind)) for field in fields}
    return {field: value for field, value in drawn.items() if value is not None}


_ROWS = st.lists(st.integers(1, 10**6), min_size=1, max_size=3).map(tuple)
_CLIENT_REF = st.none() | st.builds(ClientRef, st.none() | _TEXT, st.none() | _TEXT)
_CLIENTS = st.builds(ClientRecord.from_values, _ROWS, _values_of(CLIENT_FIELDS), _CLIENT_REF)
_CONTACTS = st.builds(ContactRecord.from_values, _ROWS, _values_of(CONTACT_FIELDS))
_CHANGE = st.tuples(st.none() | _field_value(Kind.TEXT) | _field_value(Kind.EMAILS) | st.integers(),
                    st.none() | _field_value(Kind.TEXT) | _field_value(Kind.EMAILS) | st.booleans())
# Parent links as the planner writes them (group fields), and now and then one naming a client field.
_LINKS = st.dictionaries(st.sampled_from(["group.external_id", "group.name", "client.name"]), _CHANGE,
                         max_size=2)
_STORED = st.dictionaries(st.sampled_from(list(Field)), st.none() | _TEXT | st.integers(), max_size=3)


@st.composite
def _operations(draw: st.DrawFn) -> Operation:
    common = {"index": draw(st.integers(0, 5)), "key": draw(_TEXT), "rows": draw(_ROWS)}
    kind = draw(st.sampled_from([CreateClient, UpdateClient, CreateContact, UpdateContact]))
    if kind is CreateClient:
        return CreateClient(**common, record=draw(_CLIENTS), parent_change=draw(_LINKS))
    if kind is CreateContact:
        return CreateContact(**common, client=Target(op=0), record=draw(_CONTACTS))
    values = draw(_values_of(CLIENT_FIELDS if kind is UpdateClient else CONTACT_FIELDS))
    if kind is UpdateClient:
        return UpdateClient(**common, client_id=1, values=values, old=draw(_STORED),
                            parent_change=draw(_LINKS))
    return UpdateContact(**common, contact_id=1, values=values, old=draw(_STORED))


class _Renamed(CreateContact[int]):
    """An operation kind the fast path was not written for: written the plain way."""

    op = "renamed_contact"


def _plain(operation: Operation) -> str:
    return json.dumps(operation.to_dict(), ensure_ascii=False)


@given(_VALUES)
def test_a_value_is_written_as_json_dumps_writes_it(value: object) -> None:
    assert json_value(value) == json.dumps(value, ensure_ascii=False)


@given(st.lists(_operations(), max_size=4))
def test_operations_are_written_as_json_dumps_writes_their_dicts(operations: list[Operation]) -> None:
    for operation in operations:
        assert operation_json(operation) == _plain(operation)
    plain = json.dumps([operation.to_dict() for operation in operations], ensure_ascii=False)
    assert f"[{operations_json(operations)}]" == plain


@given(_CONTACTS)
def test_an_operation_of_another_kind_is_written_the_plain_way(record: ContactRecord) -> None:
    operation = _Renamed(index=0, key="k", rows=(2,), client=Target(op=0), record=record)
    assert operation_json(operation) == _plain(operation)


@st.composite
def _parsed_rows(draw: st.DrawFn) -> list[ParsedRow]:
    rows = []
    for number in range(2, 2 + draw(st.integers(0, 6))):
        if draw(st.integers(0, 4)) == 0:  # a row the reader could not produce
            rows.append(ParsedRow(number, None, None))
        else:
            rows.append(ParsedRow(number, draw(_CLIENTS), draw(st.none() | _CONTACTS)))
    return rows


def _typed(values: dict[str, object]) -> list[tuple[str, type, object]]:
    return [(key, type(value), value) for key, value in values.items()]


@given(_parsed_rows())
def test_the_values_read_from_the_columns_are_the_values_of_the_records(rows: list[ParsedRow]) -> None:
    parsed = ParsedImport.from_rows(rows, headers=(), mapping=ColumnMapping(()))
    expected = [_values(row.client, row.contact) for row in parsed.rows]
    assert [_typed(values) for values in _values_by_position(parsed)] == [
        _typed(values) for values in expected]
