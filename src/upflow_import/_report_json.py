"""The JSON text of a report's operations, written directly.

:meth:`ImportReport.to_json <upflow_import.report.ImportReport.to_json>` must print exactly
``json.dumps(report.to_dict())``, whose ``operations`` are each ``operation.to_dict()``. Made
that way, an operation creating a client builds the record's values, its changes, a copy of
them with lists for tuples, then hands them to the encoder: on a file of 100,000 rows, most of
the time of the whole JSON document. Here each operation's text is written from the record's
attributes straight away, by functions written from the field declarations (as
:mod:`upflow_import.model` writes its row maker), and any operation this module does not know
is encoded the plain way. ``tests/test_report_json.py`` checks the two agree, whatever the
values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from json.encoder import encode_basestring
from typing import Any, cast

from upflow_import.fields import Field, Kind
from upflow_import.model import CLIENT_FIELDS, CONTACT_FIELDS
from upflow_import.planner import CreateClient, CreateContact, Operation, UpdateClient, UpdateContact

__all__ = ["encode", "json_value", "operations_json"]

# The report's JSON is plain data made afresh from frozen values: it cannot refer to itself,
# so the encoder need not keep a record of every list and dict it enters.
encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def json_value(value: object) -> str:
    """``json.dumps(value, ensure_ascii=False)``, the common kinds of value without the encoder's
    set-up (what else a value may be is left to the encoder itself)."""
    if isinstance(value, str):  # a str subclass too, as the encoder writes it
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    return encode(value)


def operations_json(operations: Iterable[Operation]) -> str:
    """The items of the report's ``operations`` array: each operation's ``to_dict()`` as JSON,
    joined as ``json.dumps`` joins the items of an array."""
    return ", ".join(map(operation_json, operations))


def operation_json(operation: Operation) -> str:
    """``json.dumps(operation.to_dict(), ensure_ascii=False)``."""
    written = _WRITTEN.get(type(operation))
    if written is None:  # an operation this module was not written for
        return encode(operation.to_dict())
    head, changes_of = written
    key = operation.key
    return (f'{head}{encode_basestring(key) if type(key) is str else json_value(key)}, '
            f'"rows": [{_rows_json(operation.rows)}], "changes": {{{", ".join(changes_of(operation))}}}}}')


def _rows_json(rows: tuple[int, ...]) -> str:
    # Most operations come from one row.
    if len(rows) == 1 and type(rows[0]) is int:
        return int.__repr__(rows[0])
    return ", ".join(map(json_value, rows))


def _changes(changes: Mapping[str, tuple[object, object]]) -> list[str]:
    """Each ``"key": [old, new]`` of an operation's ``changes``."""
    return [f"{json_value(key)}: [{json_value(old)}, {json_value(new)}]"
            for key, (old, new) in changes.items()]


def _client_creation_changes(operation: CreateClient) -> list[str]:
    changes = _client_changes(operation.record)
    link = operation.parent_change
    if link:
        if not link.keys().isdisjoint(_CLIENT_KEYS):
            # The link replaces a value in place (a dict's update): the changes as the
            # operation makes them.
            return _changes(operation.changes)
        changes += _changes(link)
    return changes


def _contact_creation_changes(operation: CreateContact) -> list[str]:
    return _contact_changes(operation.record)


def _update_changes(operation: UpdateClient | UpdateContact) -> list[str]:
    return _changes(operation.changes)


_CLIENT_KEYS = frozenset(field.value for field in CLIENT_FIELDS)
# An attribute path of a record, as the field declarations give it ("address.city").
_ATTRIBUTE = re.compile(r"[a-z_]+(\.[a-z_]+)*")


def _creation_changes(name: str, fields: tuple[Field, ...]) -> Callable[[Any], list[str]]:
    """A function listing ``"key": [null, value]`` for each field of ``fields`` a record fills
    in, in order: what ``record.values()`` holds (an empty list of emails is not filled in,
    a choice is its string), as the changes of the operation creating it. One line per field
    reads its attribute, with no loop over the fields and no dict of values."""
    namespace: dict[str, Any] = {"value_of": json_value, "string": encode_basestring}
    lines = [f"def {name}(record):", "    changes = []", "    add = changes.append"]
    for index, field in enumerate(fields):
        attribute = field.spec.attribute
        if not _ATTRIBUTE.fullmatch(attribute):
            raise ValueError(f"not an attribute path: {attribute!r}")
        namespace[f"key_{index}"] = f"{json_value(field.value)}: [null, "
        lines.append(f"    value = record.{attribute}")
        if field.spec.kind is Kind.EMAILS:
            lines.append("    if value:")
            lines.append(f"        add(key_{index} + '[' + ', '.join(map(value_of, value)) + ']]')")
        elif field.spec.kind is Kind.CHOICE:
            lines.append("    if value is not None:")
            lines.append(f"        add(key_{index} + value_of(value.value) + ']')")
        else:  # most values are strings: those are written without a call of value_of
            lines.append("    if value is not None:")
            lines.append(f"        add(key_{index} + (string(value) if type(value) is str "
                         "else value_of(value)) + ']')")
    lines.append("    return changes")
    exec("\n".join(lines), namespace)  # written from our own field declarations, checked above
    return cast("Callable[[Any], list[str]]", namespace[name])


_client_changes = _creation_changes("client_changes", CLIENT_FIELDS)
_contact_changes = _creation_changes("contact_changes", CONTACT_FIELDS)
# The operation kinds written here, by exact type (a subclass may show other changes): the
# text up to the operation's key, and what lists its changes.
_WRITTEN: Mapping[type, tuple[str, Callable[[Any], list[str]]]] = {
    kind: (f'{{"op": {json_value(kind.op)}, "key": ', changes_of) for kind, changes_of in (
        (CreateClient, _client_creation_changes), (CreateContact, _contact_creation_changes),
        (UpdateClient, _update_changes), (UpdateContact, _update_changes))
}
