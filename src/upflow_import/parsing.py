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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, NoReturn

import attrs

from upflow_import.errors import FileTooLargeError
from upflow_import.fields import Field, Kind
from upflow_import.issues import Issue, Text, format_number
from upflow_import.limits import DEFAULT_LIMITS, Limits
from upflow_import.mapping import ColumnMapping
from upflow_import.model import FieldValue, ParsedImport
from upflow_import.table import Table
from upflow_import.values import ColumnParser, Problem, parser_for, unmark

__all__ = ["parse"]

_NAMING_FIELDS = (Field.CLIENT_EXTERNAL_ID, Field.CLIENT_NAME)


def _blank_cells(cells: Sequence[str | None]) -> bool:
    return not any(cell and cell.strip() for cell in cells)


class _Column(NamedTuple):
    """A mapped column, everything its cells need decided once."""

    cell_index: int
    header: str
    field: Field
    parser: ColumnParser

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
        column = _Column(index, match.column, field, parser_for(field))
        if field is Field.CLIENT_COUNTRY:
            # Read first: phone numbers and postal codes are read in its light.
            country = column
        elif field.spec.kind in _BY_COUNTRY:
            by_country.append(column)
        else:
            plain.append(column)
    return country, plain, by_country


def _mapping_issues(headers: Sequence[str], mapping: ColumnMapping) -> list[Issue]:
    issues = list(mapping.validate())
    mapped = set(mapping.columns)
    issues.extend(Issue.from_code("mapping.unmapped_column", column=header)
                  for header in headers if header not in mapped and header.strip())
    return issues


class _ParsedCells(dict[str | None, FieldValue | None]):
    """The value of each distinct cell of a column read alike in every row, parsed the first
    time it is looked up (parsers are pure: the names, cities, terms… a file repeats cost a
    dictionary lookup per cell), and the problems of the cells that have some in :attr:`wrong`."""

    def __init__(self, parser: ColumnParser) -> None:
        super().__init__()
        self.parser = parser
        self.wrong: dict[str | None, tuple[Problem, ...]] = {}

    def __missing__(self, raw: str | None) -> FieldValue | None:
        value: FieldValue | None = None
        if raw:
            value, problems = self.parser(raw if raw[0] != "'" else unmark(raw), None)
            if problems:
                self.wrong[raw] = problems
        self[raw] = value
        return value


_Pair = tuple[str | None, FieldValue | None]


class _ParsedPairs(dict[_Pair, FieldValue | None]):
    """:class:`_ParsedCells` for a column read in the light of each row's country (phones,
    postal codes): each distinct (cell, country) pair parsed once."""

    def __init__(self, parser: ColumnParser) -> None:
        super().__init__()
        self.parser = parser
        self.wrong: dict[_Pair, tuple[Problem, ...]] = {}

    def __missing__(self, pair: _Pair) -> FieldValue | None:
        raw, country = pair
        value: FieldValue | None = None
        if raw:
            value, problems = self.parser(raw if raw[0] != "'" else unmark(raw), country)  # type: ignore[arg-type]
            if problems:
                self.wrong[pair] = problems
        self[pair] = value
        return value


def _rows(table: Table, width: int, max_rows: int) -> tuple[list[int], list[tuple[str | None, ...]]]:
    """The number and the cells (cut or padded to ``width``) of every row of the table that
    is not blank; more than ``max_rows`` such rows is ``file.too_large``.

    The rows are taken apart as they come: the cells are the table's own tuples (not copies)
    and no :class:`Row` outlives its turn, which spares the garbage collector 100,000 objects
    to look at on a large file.
    """
    numbers: list[int] = []
    every_cells: list[tuple[str | None, ...]] = []
    add_number, add_cells = numbers.append, every_cells.append
    filled = 0
    for row in table.rows:
        cells = row.values
        # The usual row, of the header's width with its first cell filled, is not blank.
        usual = len(cells) == width and width and (first := cells[0]) and not first.isspace()
        if not usual and _blank_cells(cells):
            continue
        filled += 1  # counted as given: cells beyond the header's width may be all it has
        if filled > max_rows:
            _too_many_rows(max_rows)
        if len(cells) != width:
            cells = (*cells, *(None,) * width)[:width] if len(cells) < width else cells[:width]
            if _blank_cells(cells):
                continue
        add_number(row.number)
        add_cells(cells)
    return numbers, every_cells


def _too_many_rows(max_rows: int) -> NoReturn:
    more = Text(f"more than {format_number(max_rows, 'en')}", f"plus de {format_number(max_rows, 'fr')}")
    raise FileTooLargeError.from_code("file.too_large", limit="max_rows", actual=more, maximum=max_rows)


def parse(table: Table, mapping: ColumnMapping, *, limits: Limits | None = None) -> ParsedImport:
    """Type every row of ``table`` through ``mapping`` and collect every problem.

    Never stops at a bad cell or row. The mapping's own problems
    (``mapping.*``) and the table's file-level reading problems go to
    :attr:`ParsedImport.file_issues`; when they include an error,
    :attr:`ParsedImport.has_file_errors` is true and nothing should be
    imported, but the rows are parsed all the same so that every problem is
    reported at once. ``limits.max_rows`` bounds the rows of tables built in
    code (readers enforce every limit themselves); exceeding it raises
    :class:`~upflow_import.FileTooLargeError`.

    The result holds the file as columns (one sequence of values per mapped field);
    :attr:`ParsedImport.rows` makes the rows from them when asked for. Every cache
    of parsed values belongs to this one call.

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
    numbers, every_cells = _rows(table, width, max_rows)  # a blank row says nothing: skipped

    # Column by column: each distinct cell parsed once, and the issues of the rows that have
    # some (by position).
    columns: dict[Field, list[FieldValue | None]] = {}
    issues_at: dict[int, list[Issue]] = {}

    def read_column(column: _Column, countries: Sequence[FieldValue | None] | None) -> None:
        raws = map(operator.itemgetter(column.cell_index), every_cells)
        parsed: _ParsedCells | _ParsedPairs
        if countries is None:
            parsed = _ParsedCells(column.parser)
            columns[column.field] = list(map(parsed.__getitem__, raws))
        else:
            parsed = _ParsedPairs(column.parser)
            columns[column.field] = list(map(parsed.__getitem__, zip(raws, countries, strict=True)))
        if parsed.wrong:
            _add_issues(issues_at, numbers, column, every_cells, countries=countries, wrong=parsed.wrong)

    for column in [*filter(None, [country_column]), *plain_columns]:
        read_column(column, None)
    # Phones and postal codes are read in the light of the row's country (none without a
    # country column: then the cell alone is the key).
    countries = columns.get(Field.CLIENT_COUNTRY)
    for column in country_columns:
        read_column(column, countries)

    order: dict[str | None, int] = {header: index for index, header in enumerate(headers)}
    for found in issues_at.values():
        if len(found) > 1:
            found.sort(key=lambda issue: order.get(issue.column, width))  # as the columns read
    contacts = _contact_positions(columns, issues_at)
    _require_a_client(columns, issues_at, numbers, mapping.fields().get(Field.CLIENT_NAME))
    _require_an_email(columns, issues_at, numbers, contacts, mapping.fields().get(Field.CONTACT_EMAIL))
    parsed = ParsedImport(
        numbers=numbers,
        columns=columns,
        file_issues=(*_mapping_issues(headers, mapping), *(i for i in table.issues if i.row is None)),
        headers=headers,
        mapping=mapping,
        contact_positions=frozenset(contacts),
        issues_by_position={position: tuple(found) for position, found in issues_at.items()},
        cells=every_cells,
        format=table.format,
        encoding=table.encoding,
        delimiter=table.delimiter,
        sheet=table.sheet,
    )
    return _with_reading_issues(parsed, table)


def _add_issues(issues_at: dict[int, list[Issue]], numbers: Sequence[int], column: _Column,
                every_cells: Sequence[tuple[str | None, ...]], *,
                countries: Sequence[FieldValue | None] | None,
                wrong: Mapping[Any, tuple[Problem, ...]]) -> None:
    """The issues of the cells of ``column`` that have problems (``wrong``, by cell, or by
    cell and country when the column is read in the light of the rows' ``countries``), added
    to those of their rows."""
    index = column.cell_index
    keys: Iterable[Any] = map(operator.itemgetter(index), every_cells)
    if countries is not None:
        keys = zip(keys, countries, strict=True)
    for position in itertools.compress(itertools.count(), map(wrong.__contains__, keys)):
        raw = every_cells[position][index]
        assert raw
        key = raw if countries is None else (raw, countries[position])
        issues_at.setdefault(position, []).extend(
            problem.to_issue(numbers[position], column.header, column.field, raw) for problem in wrong[key])


def _contact_positions(columns: Mapping[Field, Sequence[FieldValue | None]],
                       issues_at: Mapping[int, list[Issue]]) -> set[int]:
    """The positions of the rows with a contact: a contact value, a problem in a contact cell,
    or a main-contact cell saying "yes" (one saying "no" alone is not a contact)."""
    # One flag per row, or-ed over the contact columns (all in C: no Python call per cell).
    flags: Iterator[bool] | None = None
    for field, values in columns.items():
        if field.is_contact:
            wanted = (map(operator.is_, values, itertools.repeat(True)) if field is Field.CONTACT_IS_MAIN
                      else map(operator.is_not, values, itertools.repeat(None)))
            flags = wanted if flags is None else map(operator.or_, flags, wanted)
    positions = set() if flags is None else set(itertools.compress(itertools.count(), flags))
    positions.update(position for position, found in issues_at.items()
                     if any(issue.field is not None and issue.field.is_contact for issue in found))
    return positions


def _require_a_client(columns: Mapping[Field, Sequence[FieldValue | None]], issues_at: dict[int, list[Issue]],
                      numbers: Sequence[int], name_column: str | None) -> None:
    """``value.required`` for each row that names no client (no id, no name, no problem in
    either cell): nothing on it says which client it is about."""
    nothing: Sequence[None] = (None,) * len(numbers)
    ids, names = (columns.get(field, nothing) for field in _NAMING_FIELDS)
    neither = map(operator.and_, map(operator.is_, ids, itertools.repeat(None)),
                  map(operator.is_, names, itertools.repeat(None)))
    for position in itertools.compress(itertools.count(), neither):
        found = issues_at.get(position)
        if found is None or not any(issue.field in _NAMING_FIELDS for issue in found):
            issues_at.setdefault(position, []).append(Issue.from_code(
                "value.required", row=numbers[position], column=name_column, field=Field.CLIENT_NAME))


def _require_an_email(columns: Mapping[Field, Sequence[FieldValue | None]], issues_at: dict[int, list[Issue]],
                      numbers: Sequence[int], contacts: set[int], email_column: str | None) -> None:
    """``contact.email_required`` for each contact without an email (and no problem in its cell)."""
    emails = columns.get(Field.CONTACT_EMAIL)
    without: Iterable[int] = sorted(contacts)
    if emails is not None:
        without = itertools.compress(without, map(operator.is_, map(emails.__getitem__, without),
                                                  itertools.repeat(None)))
    for position in without:
        found = issues_at.get(position)
        if found is None or not any(issue.field is Field.CONTACT_EMAIL for issue in found):
            issues_at.setdefault(position, []).append(Issue.from_code(
                "contact.email_required", row=numbers[position], column=email_column,
                field=Field.CONTACT_EMAIL))


def _with_reading_issues(parsed: ParsedImport, table: Table) -> ParsedImport:
    """The parsed file with the reading problems the table found in its rows (complete only
    now that the rows have been iterated), a row the reader could not produce added in its place."""
    by_row: dict[int, list[Issue]] = {}
    for issue in table.issues:
        if issue.row is not None:
            by_row.setdefault(issue.row, []).append(issue)
    if not by_row:
        return parsed
    numbers = list(parsed.numbers)
    issues = {position: list(found) for position, found in parsed.issues_by_position.items()}
    for position, number in enumerate(numbers):
        found = by_row.pop(number, None)
        if found is not None:
            issues[position] = [*found, *issues.get(position, ())]
    if not by_row:
        return attrs.evolve(parsed, issues_by_position={p: tuple(found) for p, found in issues.items()})
    # Rows the reader could not produce: placed by their number, with no values.
    unread = sorted(by_row)
    order = sorted(range(len(numbers) + len(unread)),
                   key=lambda index: numbers[index] if index < len(numbers) else unread[index - len(numbers)])
    where = {old: new for new, old in enumerate(order)}
    count = len(numbers)

    def placed(values: Sequence[Any], blank: Any) -> list[Any]:
        return [values[old] if old < count else blank for old in order]

    return attrs.evolve(
        parsed,
        numbers=[numbers[old] if old < count else unread[old - count] for old in order],
        columns={field: placed(values, None) for field, values in parsed.columns.items()},
        contact_positions=frozenset(where[old] for old in parsed.contact_positions),
        issues_by_position={where[old]: tuple(found) for old, found in issues.items()}
        | {where[count + index]: tuple(by_row[number]) for index, number in enumerate(unread)},
        cells=placed(parsed.cells, ()),
        unread_positions=frozenset(where[count + index] for index in range(len(unread))),
    )
