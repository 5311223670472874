"""Rows of text to typed records: :func:`parse`.

One pass over the table. Each mapped column gets its parser once (see
:func:`upflow_import.values.parser_for`); each row becomes a
:class:`~upflow_import.ParsedRow` with its :class:`~upflow_import.ClientRecord`,
its :class:`~upflow_import.ContactRecord` (``None`` when the row has no contact
cells) and every issue found in it, located by row, column, field and value.
A bad cell never stops the other cells or rows. Merging rows by identity is
the planner's job, not this module's.

Row rules decided here:

- a row whose cells are all empty is skipped (readers already skip them; this
  covers tables built in code);
- a row that names no client (neither a customer ID nor a customer name) has
  ``value.required`` on ``client.name``: it cannot refer to any client. A row
  with only an ID is fine here: the planner decides whether the ID exists;
- a row with contact cells but no contact email has ``contact.email_required``
  on ``contact.email``; its :class:`ContactRecord` is still built (without
  email) so that reports can show it. A main-contact cell saying "no" (``0``)
  alone is not a contact;
- a cell starting with ``'`` then ``=``, ``+``, ``-``, ``@``, tab or carriage
  return is read without that ``'``: it is how exports neutralise formulas
  (see :func:`upflow_import.values.unmark`), so a failed-rows file imports as it is;
- reading problems of a row (a CSV line with the wrong number of cells) are
  attached to that row; a row the reader could not produce at all becomes a
  :class:`ParsedRow` with ``client=None``.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from upflow_import.errors import FileTooLargeError
from upflow_import.fields import SPECS, Field, Kind
from upflow_import.issues import Issue
from upflow_import.limits import DEFAULT_LIMITS, Limits
from upflow_import.mapping import ColumnMapping
from upflow_import.model import (
    Address,
    ClientRecord,
    ClientRef,
    ContactRecord,
    FieldValue,
    ParsedImport,
    ParsedRow,
)
from upflow_import.table import Table
from upflow_import.values import ColumnParser, Result, parser_for, unmark

__all__ = ["parse"]

# Each field's position in a row's value list: records are built positionally,
# which is much cheaper per row than a dict of fields.
_SLOT = {field: slot for slot, field in enumerate(Field)}
_WIDTH = len(_SLOT)
_EXTERNAL_ID = _SLOT[Field.CLIENT_EXTERNAL_ID]
_NAME = _SLOT[Field.CLIENT_NAME]
_ACCOUNTING_CODE = _SLOT[Field.CLIENT_ACCOUNTING_CODE]
_VAT = _SLOT[Field.CLIENT_VAT_NUMBER]
_STREET = _SLOT[Field.CLIENT_ADDRESS]
_POSTAL_CODE = _SLOT[Field.CLIENT_POSTAL_CODE]
_CITY = _SLOT[Field.CLIENT_CITY]
_STATE = _SLOT[Field.CLIENT_STATE]
_COUNTRY = _SLOT[Field.CLIENT_COUNTRY]
_MANAGERS = _SLOT[Field.CLIENT_ACCOUNT_MANAGER_EMAIL]
_DUNNING_PLAN = _SLOT[Field.CLIENT_DUNNING_PLAN]
_PAYMENT_TERM = _SLOT[Field.CLIENT_PAYMENT_TERM_DAYS]
_GROUP_NAME = _SLOT[Field.GROUP_NAME]
_GROUP_ID = _SLOT[Field.GROUP_EXTERNAL_ID]
_EMAIL = _SLOT[Field.CONTACT_EMAIL]
_FIRST_NAME = _SLOT[Field.CONTACT_FIRST_NAME]
_LAST_NAME = _SLOT[Field.CONTACT_LAST_NAME]
_PHONE = _SLOT[Field.CONTACT_PHONE]
_CONTACT_ID = _SLOT[Field.CONTACT_EXTERNAL_ID]
_POSITION = _SLOT[Field.CONTACT_POSITION]
_IS_MAIN = _SLOT[Field.CONTACT_IS_MAIN]

_NO_ADDRESS = Address()
_NAMING_KEYS = frozenset({Field.CLIENT_EXTERNAL_ID.value, Field.CLIENT_NAME.value})
_EMAIL_KEY = Field.CONTACT_EMAIL.value
_CONTACT_KEYS = frozenset(field.value for field in Field if field.is_contact)


def _blank(cells: Sequence[str | None], values: list[FieldValue | None]) -> bool:
    """No value was read and no cell, mapped or not, holds anything but spaces."""
    return all(value is None for value in values) and not any(cell and cell.strip() for cell in cells)


# A mapped column, everything its cells need decided once: (cell index, header,
# field key, slot, parser). Plain tuples, unpacked in the loop, are the cheapest.
_Column = tuple[int, str, str, int, ColumnParser]
# The same with the column's memo of already parsed cells.
_MemoColumn = tuple[int, str, str, int, ColumnParser, dict[str, Result]]

# Kinds whose cells rarely repeat (one per contact) or whose reading depends on
# the row's country: parsed every time. The others (names, cities, countries,
# terms, positions, flags, managers, VAT numbers repeated on a client's rows…)
# repeat a lot, and parsers are pure, so each distinct cell is parsed once.
_NOT_MEMOISED = frozenset({Kind.EMAIL, Kind.PHONE, Kind.POSTAL_CODE})
# A memo is emptied when full: it stays bounded, and repeats are mostly close together.
_MEMO_SIZE = 4096


def _columns(headers: Sequence[str], mapping: ColumnMapping) -> tuple[
        _Column | None, list[_MemoColumn], list[_Column]]:
    """The country column, the memoised columns, the other columns."""
    position = {header: index for index, header in reversed(list(enumerate(headers)))}
    country: _Column | None = None
    memoised: list[_MemoColumn] = []
    plain: list[_Column] = []
    seen: set[Field] = set()
    for match in mapping.matches:
        field = match.field
        index = position.get(match.column)
        # A field mapped twice is a file-level error already; the first column feeds it.
        if field is None or index is None or field in seen:
            continue
        seen.add(field)
        column = (index, match.column, field.value, _SLOT[field], parser_for(field))
        if field is Field.CLIENT_COUNTRY:
            # Read first: phone numbers and postal codes are read in its light.
            country = column
        elif SPECS[field].kind in _NOT_MEMOISED:
            plain.append(column)
        else:
            memoised.append((*column, {}))
    return country, memoised, plain


def _mapping_issues(headers: Sequence[str], mapping: ColumnMapping) -> list[Issue]:
    issues = list(mapping.validate())
    mapped = set(mapping.columns)
    issues.extend(Issue.make("mapping.unmapped_column", column=header)
                  for header in headers if header not in mapped and header.strip())
    return issues


def parse(table: Table, mapping: ColumnMapping, *, limits: Limits | None = None) -> ParsedImport:
    """Type every row of ``table`` through ``mapping`` and collect every problem.

    Never stops at a bad cell or row. The mapping's own problems
    (``mapping.*``) and the table's file-level reading problems go to
    :attr:`ParsedImport.issues`; when they include an error,
    :attr:`ParsedImport.has_file_errors` is true and nothing should be
    imported, but the rows are parsed all the same so that every problem is
    reported at once. ``limits.max_rows`` bounds the rows of tables built in
    code (readers enforce every limit themselves); exceeding it raises
    :class:`~upflow_import.FileTooLargeError`.

    >>> from upflow_import import ColumnMapping, Table
    >>> table = Table.from_rows(["Nom", "Délai"], [["Acme", "30"], ["Globex", "trente"]])
    >>> parsed = parse(table, ColumnMapping.from_dict({"Nom": "client.name", "Délai":
    ...     "client.payment_term_days"}))
    >>> [(row.number, row.client.payment_term_days) for row in parsed.rows]
    [(2, 30), (3, None)]
    >>> [(i.code, i.row, i.column, i.value) for i in parsed.rows[1].issues]
    [('value.invalid_integer', 3, 'Délai', 'trente')]
    """
    max_rows = (limits or DEFAULT_LIMITS).max_rows
    headers = table.headers
    width = len(headers)
    country_column, memoised_columns, plain_columns = _columns(headers, mapping)
    name_column = mapping.fields().get(Field.CLIENT_NAME)
    email_column = mapping.fields().get(Field.CONTACT_EMAIL)
    parsed: list[ParsedRow] = []
    order: dict[str | None, int] = {header: index for index, header in enumerate(headers)}

    for row in table.rows:
        if len(parsed) >= max_rows:
            raise FileTooLargeError.of("file.too_large", limit="max_rows", actual=f"> {max_rows}",
                                       maximum=max_rows)
        number = row.number
        cells = row.values
        if len(cells) != width:
            cells = (*cells, *(None,) * width)[:width] if len(cells) < width else cells[:width]
        values: list[FieldValue | None] = [None] * _WIDTH
        issues: list[Issue] = []
        country: str | None = None
        if country_column is not None:
            index, header, key, slot, parser = country_column
            raw = cells[index]
            if raw:
                value, problems = parser(unmark(raw) if raw[0] == "'" else raw, None)
                if problems:
                    issues.extend(p.to_issue(number, header, key, raw) for p in problems)
                values[slot] = value
                country = value  # type: ignore[assignment]
        for index, header, key, slot, parser, memo in memoised_columns:
            raw = cells[index]
            if raw:
                result = memo.get(raw)
                if result is None:
                    if len(memo) >= _MEMO_SIZE:
                        memo.clear()
                    result = memo[raw] = parser(unmark(raw) if raw[0] == "'" else raw, country)
                value, problems = result
                if problems:
                    issues.extend(p.to_issue(number, header, key, raw) for p in problems)
                values[slot] = value
        for index, header, key, slot, parser in plain_columns:
            raw = cells[index]
            if raw:
                value, problems = parser(unmark(raw) if raw[0] == "'" else raw, country)
                if problems:
                    issues.extend(p.to_issue(number, header, key, raw) for p in problems)
                values[slot] = value

        if len(issues) > 1:
            issues.sort(key=lambda issue: order.get(issue.column, width))  # as the columns read
        # A main-contact cell saying "no" alone is not a contact.
        has_contact = (
            values[_EMAIL] is not None or values[_FIRST_NAME] is not None
            or values[_LAST_NAME] is not None or values[_PHONE] is not None
            or values[_CONTACT_ID] is not None or values[_POSITION] is not None
            or values[_IS_MAIN] is True
            or (bool(issues) and any(issue.field in _CONTACT_KEYS for issue in issues))
        )
        if values[_EXTERNAL_ID] is None and values[_NAME] is None and not any(
                issue.field in _NAMING_KEYS for issue in issues):
            if not has_contact and not issues and _blank(cells, values):
                continue  # a blank row says nothing
            # Nothing on the row says which client it is about.
            issues.append(Issue.make("value.required", row=number, column=name_column,
                                     field=Field.CLIENT_NAME.value))
        contact: ContactRecord | None = None
        if has_contact:
            contact = _contact(number, values)
            if contact.email is None and not any(i.field == _EMAIL_KEY for i in issues):
                issues.append(Issue.make("contact.email_required", row=number, column=email_column,
                                         field=_EMAIL_KEY))
        parsed.append(ParsedRow(number, _client(number, values), contact, tuple(issues), cells))

    return ParsedImport(
        rows=_with_reading_issues(parsed, table),
        issues=(*_mapping_issues(headers, mapping), *(i for i in table.issues if i.row is None)),
        headers=headers,
        mapping=mapping,
        format=table.format,
        encoding=table.encoding,
        delimiter=table.delimiter,
        sheet=table.sheet,
    )


def _client(number: int, v: list[FieldValue | None]) -> ClientRecord:
    street, postal_code, city, state, country = (v[_STREET], v[_POSTAL_CODE], v[_CITY], v[_STATE],
                                                 v[_COUNTRY])
    address = (
        _NO_ADDRESS if street is None and postal_code is None and city is None and state is None
        and country is None
        else Address(street, postal_code, city, state, country)  # type: ignore[arg-type]
    )
    group_name, group_id = v[_GROUP_NAME], v[_GROUP_ID]
    parent = (None if group_name is None and group_id is None
              else ClientRef(group_id, group_name))  # type: ignore[arg-type]
    return ClientRecord(
        (number,), v[_EXTERNAL_ID], v[_NAME], v[_ACCOUNTING_CODE], v[_VAT],  # type: ignore[arg-type]
        address, v[_MANAGERS] or (), v[_DUNNING_PLAN], v[_PAYMENT_TERM], parent,  # type: ignore[arg-type]
    )


def _contact(number: int, v: list[FieldValue | None]) -> ContactRecord:
    return ContactRecord(
        (number,), v[_EMAIL], v[_FIRST_NAME], v[_LAST_NAME], v[_PHONE],  # type: ignore[arg-type]
        v[_CONTACT_ID], v[_POSITION], v[_IS_MAIN],  # type: ignore[arg-type]
    )


def _with_reading_issues(parsed: list[ParsedRow], table: Table) -> tuple[ParsedRow, ...]:
    """The rows with the reading problems the table found in them (complete only now that
    the rows have been iterated), a row the reader could not produce added in its place."""
    by_row: dict[int, list[Issue]] = {}
    for issue in table.issues:
        if issue.row is not None:
            by_row.setdefault(issue.row, []).append(issue)
    if not by_row:
        return tuple(parsed)
    rows = []
    for parsed_row in parsed:
        found = by_row.pop(parsed_row.number, None)
        rows.append(parsed_row if found is None else
                    attrs.evolve(parsed_row, issues=(*found, *parsed_row.issues)))
    rows.extend(ParsedRow(number, None, None, tuple(found)) for number, found in by_row.items())
    rows.sort(key=lambda r: r.number)
    return tuple(rows)
