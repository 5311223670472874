"""Rows of text to typed records: :func:`parse`.

Column by column, then row by row. Each mapped column gets its parser once
(see :func:`upflow_import.values.parser_for`) and each distinct cell of a
column is parsed once (phones and postal codes once per distinct cell and
country); then each row becomes a
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

import itertools
import operator
from collections.abc import Iterable, Sequence
from typing import NoReturn

import attrs

from upflow_import.errors import FileTooLargeError
from upflow_import.fields import SPECS, Field, Kind
from upflow_import.issues import Issue, Text, format_number
from upflow_import.limits import DEFAULT_LIMITS, Limits
from upflow_import.mapping import ColumnMapping
from upflow_import.model import (
    Address,
    ClientRef,
    ContactRecord,
    FieldValue,
    ParsedImport,
    ParsedRow,
    new_client_record,
    new_contact_record,
    new_parsed_row,
)
from upflow_import.table import Row, Table
from upflow_import.values import ColumnParser, Problem, parser_for, unmark

__all__ = ["parse"]

# The fields in the order parse() unpacks a row's values: each field's column of
# values sits at its slot, and rows are zipped from the columns.
_ORDER = (
    Field.CLIENT_EXTERNAL_ID, Field.CLIENT_NAME, Field.CLIENT_ACCOUNTING_CODE, Field.CLIENT_VAT_NUMBER,
    Field.CLIENT_ADDRESS, Field.CLIENT_POSTAL_CODE, Field.CLIENT_CITY, Field.CLIENT_STATE,
    Field.CLIENT_COUNTRY, Field.CLIENT_ACCOUNT_MANAGER_EMAIL, Field.CLIENT_DUNNING_PLAN,
    Field.CLIENT_PAYMENT_TERM_DAYS, Field.GROUP_NAME, Field.GROUP_EXTERNAL_ID, Field.CONTACT_EMAIL,
    Field.CONTACT_FIRST_NAME, Field.CONTACT_LAST_NAME, Field.CONTACT_PHONE, Field.CONTACT_EXTERNAL_ID,
    Field.CONTACT_POSITION, Field.CONTACT_IS_MAIN,
)
assert set(_ORDER) == set(Field) and len(_ORDER) == len(Field)
_SLOT = {field: slot for slot, field in enumerate(_ORDER)}
_WIDTH = len(_SLOT)

_NO_ADDRESS = Address()
# Beyond this many distinct cells, a column's values are listed rather than looked up
# from its dictionary of distinct cells as the rows are built (see parse()).
_DISTINCT_TO_LIST = 4096
_NAMING_KEYS = frozenset({Field.CLIENT_EXTERNAL_ID.value, Field.CLIENT_NAME.value})
_EMAIL_KEY = Field.CONTACT_EMAIL.value
_CONTACT_KEYS = frozenset(field.value for field in Field if field.is_contact)


def _blank(cells: Sequence[str | None], values: Sequence[FieldValue | None]) -> bool:
    """No value was read and no cell, mapped or not, holds anything but spaces."""
    return all(value is None for value in values) and not any(cell and cell.strip() for cell in cells)


def _blank_cells(cells: Sequence[str | None]) -> bool:
    return not any(cell and cell.strip() for cell in cells)


# A mapped column, everything its cells need decided once: (cell index, header,
# field key, slot, parser).
_Column = tuple[int, str, str, int, ColumnParser]

# Kinds whose reading depends on the row's country.
_BY_COUNTRY = frozenset({Kind.PHONE, Kind.POSTAL_CODE})


def _columns(headers: Sequence[str], mapping: ColumnMapping) -> tuple[
        _Column | None, list[_Column], list[_Column]]:
    """The country column, the columns read alike in every country, the columns read in the
    light of the row's country (phones, postal codes)."""
    position = {header: index for index, header in reversed(list(enumerate(headers)))}
    country: _Column | None = None
    plain: list[_Column] = []
    by_country: list[_Column] = []
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
        elif SPECS[field].kind in _BY_COUNTRY:
            by_country.append(column)
        else:
            plain.append(column)
    return country, plain, by_country


def _mapping_issues(headers: Sequence[str], mapping: ColumnMapping) -> list[Issue]:
    issues = list(mapping.validate())
    mapped = set(mapping.columns)
    issues.extend(Issue.make("mapping.unmapped_column", column=header)
                  for header in headers if header not in mapped and header.strip())
    return issues


def _parse_distinct(distinct: Iterable[str | None], parser: ColumnParser) -> tuple[
        dict[str | None, FieldValue | None], dict[str | None, tuple[Problem, ...]]]:
    """The value of each distinct cell of a column read alike in every row (parsers are pure:
    the names, cities, terms… a file repeats cost a dictionary lookup per cell), and the
    problems of the cells that have some."""
    values: dict[str | None, FieldValue | None] = {}
    wrong: dict[str | None, tuple[Problem, ...]] = {}
    for raw in distinct:
        if raw:
            value, problems = parser(raw if raw[0] != "'" else unmark(raw), None)
            values[raw] = value
            if problems:
                wrong[raw] = problems
        else:
            values[raw] = None
    return values, wrong


_Pair = tuple[str | None, FieldValue | None]


def _parse_distinct_by_country(distinct: Iterable[_Pair], parser: ColumnParser) -> tuple[
        dict[_Pair, FieldValue | None], dict[_Pair, tuple[Problem, ...]]]:
    """:func:`_parse_distinct` for a column read in the light of each row's country (phones,
    postal codes): each distinct (cell, country) pair parsed once."""
    values: dict[_Pair, FieldValue | None] = {}
    wrong: dict[_Pair, tuple[Problem, ...]] = {}
    for pair in distinct:
        raw, country = pair
        if raw:
            value, problems = parser(raw if raw[0] != "'" else unmark(raw), country)  # type: ignore[arg-type]
            values[pair] = value
            if problems:
                wrong[pair] = problems
        else:
            values[pair] = None
    return values, wrong


def _rows(table: Table, width: int, max_rows: int) -> list[Row]:
    """Every row of the table, cut or padded to ``width`` cells; more than ``max_rows`` rows
    that are not blank is ``file.too_large``."""
    source = iter(table.rows)
    rows = list(itertools.islice(source, max_rows))
    filled: int | None = None
    for row in source:  # beyond max_rows rows: only the blank ones may still come
        if filled is None:
            filled = sum(1 for earlier in rows if not _blank_cells(earlier.values))
        rows.append(row)
        if not _blank_cells(row.values):
            filled += 1
            if filled > max_rows:
                _too_many_rows(max_rows)
    for index, row in enumerate(rows):
        cells = row.values
        if len(cells) != width:
            cells = (*cells, *(None,) * width)[:width] if len(cells) < width else cells[:width]
            rows[index] = Row(row.number, cells)
    return rows


def _too_many_rows(max_rows: int) -> NoReturn:
    more = Text(f"more than {format_number(max_rows, 'en')}", f"plus de {format_number(max_rows, 'fr')}")
    raise FileTooLargeError.of("file.too_large", limit="max_rows", actual=more, maximum=max_rows)


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
    country_column, plain_columns, country_columns = _columns(headers, mapping)
    rows = _rows(table, width, max_rows)
    numbers = [row.number for row in rows]
    every_cells = [row.values for row in rows]

    # Column by column: each distinct cell parsed, and the issues of the rows that have some
    # (by position). A column's values are looked up from its distinct cells as the rows are
    # built below: no list of values per column, only of the countries, read by two columns.
    columns: list[Iterable[FieldValue | None] | None] = [None] * _WIDTH
    issues_at: list[list[Issue] | None] = [None] * len(rows)

    def add_issues(position: int, header: str, key: str, raw: str | None,
                   problems: tuple[Problem, ...]) -> None:
        assert raw
        issues = issues_at[position]
        if issues is None:
            issues = issues_at[position] = []
        issues.extend(problem.to_issue(numbers[position], header, key, raw) for problem in problems)

    countries: list[FieldValue | None] | None = None
    for column in [*filter(None, [country_column]), *plain_columns]:
        index, header, key, slot, parser = column
        cell = operator.itemgetter(index)
        values, wrong = _parse_distinct(set(map(cell, every_cells)), parser)
        if wrong:
            for position, raw in enumerate(map(cell, every_cells)):
                problems = wrong.get(raw)
                if problems is not None:
                    add_issues(position, header, key, raw, problems)
        column_values = map(values.__getitem__, map(cell, every_cells))
        if column is country_column:
            countries = list(column_values)
        # A dictionary costs more per entry than a list: a column of mostly distinct cells
        # (identifiers, emails) is listed now and its dictionary freed.
        columns[slot] = countries if column is country_column else (
            list(column_values) if len(values) > _DISTINCT_TO_LIST else column_values)
    nothing = itertools.repeat(None)
    for index, header, key, slot, parser in country_columns:
        cell = operator.itemgetter(index)
        in_country = nothing if countries is None else countries
        by_pair, wrong_pairs = _parse_distinct_by_country(
            set(zip(map(cell, every_cells), in_country, strict=False)), parser)  # countries may repeat None
        if wrong_pairs:
            for position, pair in enumerate(zip(map(cell, every_cells), in_country, strict=False)):
                problems = wrong_pairs.get(pair)
                if problems is not None:
                    add_issues(position, header, key, pair[0], problems)
        pair_values = map(by_pair.__getitem__, zip(map(cell, every_cells), in_country, strict=False))
        columns[slot] = list(pair_values) if len(by_pair) > _DISTINCT_TO_LIST else pair_values

    order: dict[str | None, int] = {header: index for index, header in enumerate(headers)}
    name_column = mapping.fields().get(Field.CLIENT_NAME)
    email_column = mapping.fields().get(Field.CONTACT_EMAIL)
    addresses: dict[tuple[FieldValue | None, ...], Address] = {}
    parents: dict[tuple[FieldValue | None, FieldValue | None], ClientRef] = {}
    parsed: list[ParsedRow] = []
    for (number, cells, cell_issues, external_id, name, accounting_code, vat, street, postal_code, city,
         state, country, managers, dunning_plan, term, group_name, group_id, email, first_name,
         last_name, phone, contact_id, contact_position, is_main) in zip(
            numbers, every_cells, issues_at, *(nothing if column is None else column for column in columns),
            strict=False):  # the columns not mapped repeat None
        row_issues = cell_issues
        if row_issues is not None and len(row_issues) > 1:
            row_issues.sort(key=lambda issue: order.get(issue.column, width))  # as the columns read
        # A main-contact cell saying "no" alone is not a contact.
        has_contact = (
            email is not None or first_name is not None or last_name is not None or phone is not None
            or contact_id is not None or contact_position is not None or is_main is True
            or (row_issues is not None and any(issue.field in _CONTACT_KEYS for issue in row_issues))
        )
        if external_id is None and name is None and (row_issues is None or not any(
                issue.field in _NAMING_KEYS for issue in row_issues)):
            if not has_contact and row_issues is None and _blank(cells, (
                    accounting_code, vat, street, postal_code, city, state, country, managers, dunning_plan,
                    term, group_name, group_id, is_main)):
                continue  # a blank row says nothing
            # Nothing on the row says which client it is about.
            if row_issues is None:
                row_issues = []
            row_issues.append(Issue.make("value.required", row=number, column=name_column,
                                         field=Field.CLIENT_NAME.value))
        own_rows = (number,)  # one tuple for both records
        contact: ContactRecord | None = None
        if has_contact:
            contact = new_contact_record(own_rows, email, first_name, last_name, phone,
                                    contact_id, contact_position, is_main)
            if email is None and (row_issues is None or not any(i.field == _EMAIL_KEY for i in row_issues)):
                if row_issues is None:
                    row_issues = []
                row_issues.append(Issue.make("contact.email_required", row=number, column=email_column,
                                             field=_EMAIL_KEY))
        if street is None and postal_code is None and city is None and state is None and country is None:
            address = _NO_ADDRESS
        else:
            place = (street, postal_code, city, state, country)
            address = addresses.get(place)  # type: ignore[assignment]
            if address is None:
                address = addresses[place] = Address(*place)
        parent: ClientRef | None = None
        if group_name is not None or group_id is not None:
            parent = parents.get((group_id, group_name))
            if parent is None:
                parent = parents[group_id, group_name] = ClientRef(group_id, group_name)
        client = new_client_record(own_rows, external_id, name, accounting_code, vat,
                              address, managers or (), dunning_plan, term, parent)
        parsed.append(new_parsed_row(number, client, contact, () if row_issues is None else tuple(row_issues),
                                     cells))
    if len(parsed) > max_rows:
        _too_many_rows(max_rows)

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
