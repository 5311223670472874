"""Builders for tests that need no file: :func:`parsed_import`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from upflow_import.fields import Field
from upflow_import.mapping import ColumnMapping
from upflow_import.model import ClientRecord, ClientRef, ContactRecord, FieldValue, ParsedImport, ParsedRow

__all__ = ["parsed_import"]

_GROUP_FIELDS = (Field.GROUP_EXTERNAL_ID, Field.GROUP_NAME)


def _typed(field: Field, value: FieldValue) -> FieldValue:
    if field is Field.CLIENT_ACCOUNT_MANAGER_EMAIL and isinstance(value, str):
        return tuple(email.strip() for email in value.split(","))
    return value


def _cell(value: FieldValue | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, tuple):
        return ", ".join(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def parsed_import(rows: Sequence[Mapping[str, FieldValue | None]], *, first_row: int = 2) -> ParsedImport:
    """A :class:`~upflow_import.ParsedImport` made of rows given as ``{field key: value}``.

    It stands for a clean file whose columns are named after the field keys,
    so that planner tests and repository tests need no file. ``None`` values
    are blank cells; a row has a contact when it fills a ``contact.*`` field.
    Account managers may be given as one comma-separated string.

    >>> parsed = parsed_import([{"client.external_id": "C1", "client.name": "Acme",
    ...                          "contact.email": "jean@acme.fr", "contact.is_main": True}])
    >>> parsed.rows[0].client.name, parsed.rows[0].contact.is_main
    ('Acme', True)
    """
    headers = tuple(dict.fromkeys(key for row in rows for key in row))
    fields = {key: Field(key) for key in headers}
    parsed_rows = []
    for offset, row in enumerate(rows):
        number = first_row + offset
        values = {fields[key]: _typed(fields[key], value) for key, value in row.items() if value is not None}
        client_values = {f: v for f, v in values.items() if f.entity == "client"}
        contact_values = {f: v for f, v in values.items() if f.is_contact}
        parent = ClientRef(
            None if values.get(Field.GROUP_EXTERNAL_ID) is None else str(values[Field.GROUP_EXTERNAL_ID]),
            None if values.get(Field.GROUP_NAME) is None else str(values[Field.GROUP_NAME]),
        )
        client = ClientRecord.from_values((number,), client_values, parent or None)
        contact = ContactRecord.from_values((number,), contact_values) if contact_values else None
        cells = tuple(_cell(row.get(key)) for key in headers)
        parsed_rows.append(ParsedRow(number, client, contact, (), cells))
    return ParsedImport.from_rows(
        parsed_rows,
        headers=headers,
        mapping=ColumnMapping.from_dict({key: key for key in headers}),
    )
